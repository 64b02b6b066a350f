"""Background work: thin wrappers over services."""

from __future__ import annotations

from django_tasks import task

from govdesk.frictions.detectors import frictions_detect


@task()
def detect_frictions() -> dict[str, dict[str, int | bool]]:
    """Run the friction detectors once (each reads what is new since its last run)."""
    return {kind: found.as_dict() for kind, found in frictions_detect().items()}
