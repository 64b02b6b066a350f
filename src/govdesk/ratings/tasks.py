"""Background work: thin wrappers over services."""

from __future__ import annotations

from django_tasks import task

from govdesk.ratings.services import ratings_invite


@task()
def invite_ratings() -> dict[str, int]:
    """智能邀评, for a periodic run in the worker (``govdesk ratings invite`` does the same)."""
    return ratings_invite().as_dict()
