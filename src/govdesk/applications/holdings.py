"""What a person already holds that makes a new application for the same matter pointless:
an approval still in force (the matter's ``repeat_after_days``), or a valid certificate of the
kind the matter issues (the certificates app registers that check; this app never imports it).

One rule for every channel: ``application_create`` and ``bundle_start`` refuse a new
application while a holding exists unless the caller gives a reason (the household changed,
the certificate was lost …), and the screens show the holding with a link before anyone tries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.utils import timezone

if TYPE_CHECKING:
    from govdesk.catalog.models import Matter
    from govdesk.people.models import Person


@dataclass(frozen=True)
class Holding:
    """What the person holds: a kind (``approval`` or ``certificate``), its number, since
    when and until when, and where to see it."""

    kind: str
    number: str
    since: Any
    until: Any = None
    links: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "number": self.number,
            "since": str(self.since) if self.since else None,
            "until": str(self.until) if self.until else None,
            **self.links,
        }


Check = Callable[["Person", "Matter"], "Holding | None"]
_CHECKS: dict[str, Check] = {}


def register(name: str, check: Check) -> None:
    """Add a check (from an app's ``ready()``); the same one twice is a no-op."""
    if _CHECKS.get(name) not in (None, check):
        raise ValueError(f"a holding check named {name!r} is registered already")
    _CHECKS[name] = check


def approval_in_force(person: Person, matter: Matter) -> Holding | None:
    """The person's latest approval of this matter, if ``repeat_after_days`` have not passed."""
    from govdesk.applications.lifecycle import OUTCOME_STATUSES
    from govdesk.applications.models import Application

    if matter.repeat_after_days is None:
        return None
    since = timezone.now() - timedelta(days=matter.repeat_after_days)
    earlier = (
        Application.objects.filter(
            applicant=person,
            matter=matter,
            status__in=OUTCOME_STATUSES,
            decided_at__gte=since,
        )
        .order_by("-decided_at")
        .first()
    )
    if earlier is None or earlier.decided_at is None:
        return None
    return Holding(
        kind="approval",
        number=earlier.number,
        since=timezone.localdate(earlier.decided_at),
        until=timezone.localdate(earlier.decided_at + timedelta(days=matter.repeat_after_days)),
        links={"application": str(earlier.pk)},
    )


def holding_for(person: Person, matter: Matter) -> Holding | None:
    """The first holding any check finds, or None."""
    for check in (approval_in_force, *_CHECKS.values()):
        found = check(person, matter)
        if found is not None:
            return found
    return None
