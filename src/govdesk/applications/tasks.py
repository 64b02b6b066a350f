"""Background work: thin wrappers over services."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from govdesk.applications.services import application_outcomes_run


@task()
def run_outcomes(application_id: str) -> dict[str, Any]:
    return application_outcomes_run(application_id=application_id)
