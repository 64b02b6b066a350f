"""The closed loop of a problem, as one table: who may move it from which status to which.

    new → triaged → assigned → rectifying → rectified → verified
    rejected (with an explanation the reporters see), reopened (a reporter disagrees, or the
    stutter recurs after the rectification)

``OWNER`` is the staff of the department the problem is assigned to; ``REPORTER`` whoever
reported one of its frictions; ``SYSTEM`` the platform (its detectors verify and reopen).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from govdesk.common.roles import SYSTEM, Role
from govdesk.frictions.models import ProblemStatus

OWNER = "owner"
REPORTER = "reporter"


class Action(models.TextChoices):
    REPORT = "report", _("Reported")
    TRIAGE = "triage", _("Triaged")
    ASSIGN = "assign", _("Assigned")
    START = "start", _("Rectification started")
    RECTIFY = "rectify", _("Rectified")
    REJECT = "reject", _("Rejected")
    CONFIRM = "confirm", _("Confirmed by the reporter")
    VERIFY = "verify", _("Verified: it did not recur")
    REOPEN = "reopen", _("Reopened")


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[ProblemStatus]
    target: ProblemStatus
    roles: frozenset[str]
    needs_note: bool = False


_OPEN = frozenset({ProblemStatus.NEW, ProblemStatus.TRIAGED, ProblemStatus.REOPENED})

TRANSITIONS: tuple[Transition, ...] = (
    Transition(Action.TRIAGE, _OPEN, ProblemStatus.TRIAGED, frozenset({Role.OPERATOR})),
    # The platform assigns what has an owner from the start: a poor rating (差评) goes to the
    # department that handled the application (谁办理、谁负责).
    Transition(Action.ASSIGN, _OPEN, ProblemStatus.ASSIGNED, frozenset({Role.OPERATOR, SYSTEM})),
    Transition(
        Action.START,
        frozenset({ProblemStatus.ASSIGNED}),
        ProblemStatus.RECTIFYING,
        frozenset({Role.OPERATOR, OWNER}),
    ),
    # The data bureau owns the catalogue: it may rectify what it sees at once (a synonym, a
    # default) without assigning it to itself first.
    Transition(
        Action.RECTIFY,
        _OPEN | {ProblemStatus.ASSIGNED, ProblemStatus.RECTIFYING},
        ProblemStatus.RECTIFIED,
        frozenset({Role.OPERATOR, OWNER}),
        needs_note=True,
    ),
    Transition(
        Action.REJECT,
        _OPEN | {ProblemStatus.ASSIGNED},
        ProblemStatus.REJECTED,
        frozenset({Role.OPERATOR}),
        needs_note=True,
    ),
    Transition(
        Action.CONFIRM,
        frozenset({ProblemStatus.RECTIFIED}),
        ProblemStatus.VERIFIED,
        frozenset({REPORTER}),
    ),
    Transition(
        Action.VERIFY,
        frozenset({ProblemStatus.RECTIFIED}),
        ProblemStatus.VERIFIED,
        frozenset({SYSTEM}),
    ),
    Transition(
        Action.REOPEN,
        frozenset({ProblemStatus.RECTIFIED, ProblemStatus.VERIFIED, ProblemStatus.REJECTED}),
        ProblemStatus.REOPENED,
        frozenset({REPORTER, Role.OPERATOR, SYSTEM}),
        needs_note=True,
    ),
)

#: What a person may ask for through the API and the screens (verify is the platform's).
ACTIONS: tuple[Action, ...] = tuple(a for a in Action if a not in {Action.REPORT, Action.VERIFY})
#: Statuses in which the problem is still someone's work.
OPEN_STATUSES = frozenset(
    {
        ProblemStatus.NEW,
        ProblemStatus.TRIAGED,
        ProblemStatus.ASSIGNED,
        ProblemStatus.RECTIFYING,
        ProblemStatus.REOPENED,
    }
)

BUTTON_LABELS: dict[Action, Promise] = {
    Action.TRIAGE: _("Triage"),
    Action.ASSIGN: _("Assign"),
    Action.START: _("Start rectifying"),
    Action.RECTIFY: _("Mark rectified"),
    Action.REJECT: _("Reject"),
    Action.CONFIRM: _("Confirm it is fixed"),
    Action.REOPEN: _("Reopen"),
}


def transition(action: str, status: str, roles: set[str]) -> Transition | None:
    """The row for ``action`` from ``status`` that one of ``roles`` may take, or None."""
    for row in TRANSITIONS:
        if row.action == action and status in row.sources and row.roles & roles:
            return row
    return None


def allowed(status: str, roles: set[str]) -> list[Action]:
    return [
        row.action
        for row in TRANSITIONS
        if status in row.sources and row.roles & roles and row.action in ACTIONS
    ]
