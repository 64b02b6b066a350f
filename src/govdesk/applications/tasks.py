"""Background work: thin wrappers over services."""

from __future__ import annotations

from django.conf import settings
from django_tasks import task

from govdesk.applications.services import outcome_intents_dispatch


@task()
def dispatch_outcome_intents() -> dict[str, int]:
    """A nudge after an approval commits: run the outcome intents that are due now. The
    intents are the truth (ADR 13); ``govdesk outbox-worker`` re-drives any this misses. Kept
    within about one lease, so a worker that ran it and died is recognised (see NUDGES)."""
    return outcome_intents_dispatch(budget=settings.OUTBOX_LEASE_SECONDS).as_dict()


#: Tasks that only nudge an outbox: a result of theirs left RUNNING by a dead worker is closed
#: by the dispatcher (``outbox.abandoned_task_results_close``). ``run_outcomes`` was the task
#: before the outbox; results of it may still be in the table.
NUDGES = [
    dispatch_outcome_intents.module_path,
    "govdesk.applications.tasks.run_outcomes",
]
