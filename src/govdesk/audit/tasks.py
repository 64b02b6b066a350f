"""Background work: thin wrappers over services."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from govdesk.audit.services import audit_checkpoint


@task()
def audit_checkpoint_write() -> dict[str, Any]:
    """Queued from the append path every N rows or M minutes (see ``audit_record``)."""
    checkpoint = audit_checkpoint()
    if checkpoint is None:
        return {"written": False}
    return {"written": True, "checkpoint": checkpoint.n, "seq": checkpoint.seq}
