"""The application lifecycle in one table: statuses, actions, and who may take which action
from which status, whether a reason is needed, and the status it leads to.

Everything else reads this module: the services (``application_submit``, ``application_act``),
the policies (``allowed_actions``), the staff queues (who is waiting for what), the API schema
(which actions a client may send), the workbench (button labels, reason boxes) and the portal
(whether a resident may still check and submit). Timeline events are ``Action`` members.

    draft ──submit──▶ submitted ──accept──▶ accepted ──approve──▶ approved ──complete──▶ completed
      ▲                  │                    │  (district/city matters: ──approve──▶ reviewed
      │                  │                    │       ──approve (approver)──▶ approved)
      └──resubmit── returned ◀──return── (submitted, accepted, reviewed)
                                  refused ◀──refuse── (submitted, accepted, reviewed)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from govdesk.catalog.models import Level
from govdesk.common.roles import RESIDENT, SYSTEM, Role


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Returned for correction")
    REVIEWED = "reviewed", _("Passed first review")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    COMPLETED = "completed", _("Completed")


class Action(models.TextChoices):
    """Every event of an application's timeline; the label is what the timeline says."""

    CREATE = "create", _("Started")
    EDIT = "edit", _("Edited")
    SUBMIT = "submit", _("Submitted")
    RESUBMIT = "resubmit", _("Resubmitted")
    ACCEPT = "accept", _("Accepted")
    RETURN = "return", _("Returned for correction")
    APPROVE = "approve", _("Approved")
    REFUSE = "refuse", _("Refused")
    COMPLETE = "complete", _("Completed")
    RETRY = "retry", _("Issuance tried again")
    UPLOAD = "upload", _("Material uploaded")


#: Levels at which a matter is decided by a district or city approver after a first review.
HIGH_LEVELS = frozenset({Level.DISTRICT, Level.CITY})
ALL_LEVELS = frozenset(Level.values)
LOW_LEVELS = ALL_LEVELS - HIGH_LEVELS
STAFF = frozenset({Role.CLERK, Role.REVIEWER, Role.APPROVER})


@dataclass(frozen=True)
class Transition:
    """``roles`` may take ``action`` on an application in ``source`` whose matter is decided
    at one of ``levels``; it moves to ``target`` and the timeline records ``event``."""

    action: Action
    source: Status
    target: Status
    roles: frozenset[str]
    needs_reason: bool = False
    levels: frozenset[str] = ALL_LEVELS
    event: Action | None = None

    @property
    def event_action(self) -> Action:
        return self.event or self.action


def _rows(
    action: Action,
    sources: Iterable[Status],
    target: Status,
    roles: Iterable[str],
    *,
    needs_reason: bool = False,
    levels: frozenset[str] = ALL_LEVELS,
) -> list[Transition]:
    return [Transition(action, s, target, frozenset(roles), needs_reason, levels) for s in sources]


DECIDERS_OF: dict[Status, tuple[frozenset[str], frozenset[str]]] = {
    # status waiting for a decision: (who decides, at which matter levels)
    Status.SUBMITTED: (frozenset({Role.CLERK}), ALL_LEVELS),
    Status.ACCEPTED: (frozenset({Role.REVIEWER}), ALL_LEVELS),
    Status.REVIEWED: (frozenset({Role.APPROVER}), HIGH_LEVELS),
}

TRANSITIONS: tuple[Transition, ...] = (
    # The applicant's side: a resident for themselves, a clerk at the window.
    Transition(Action.SUBMIT, Status.DRAFT, Status.SUBMITTED, frozenset({RESIDENT, Role.CLERK})),
    Transition(
        Action.SUBMIT,
        Status.RETURNED,
        Status.SUBMITTED,
        frozenset({RESIDENT, Role.CLERK}),
        event=Action.RESUBMIT,
    ),
    # The window accepts; the subdistrict reviews; the district or city approves its matters.
    *_rows(Action.ACCEPT, [Status.SUBMITTED], Status.ACCEPTED, [Role.CLERK]),
    *_rows(Action.APPROVE, [Status.ACCEPTED], Status.APPROVED, [Role.REVIEWER], levels=LOW_LEVELS),
    *_rows(Action.APPROVE, [Status.ACCEPTED], Status.REVIEWED, [Role.REVIEWER], levels=HIGH_LEVELS),
    *_rows(Action.APPROVE, [Status.REVIEWED], Status.APPROVED, [Role.APPROVER], levels=HIGH_LEVELS),
    # Whoever decides a status may also return the application for correction or refuse it.
    *(
        row
        for status, (roles, levels) in DECIDERS_OF.items()
        for action, target in ((Action.RETURN, Status.RETURNED), (Action.REFUSE, Status.REFUSED))
        for row in _rows(action, [status], target, roles, needs_reason=True, levels=levels)
    ),
    # Staff complete by hand; the platform does when everything that follows the approval
    # (a certificate, an e-licence …) has happened.
    *_rows(Action.COMPLETE, [Status.APPROVED], Status.COMPLETED, STAFF | {SYSTEM}),
)

#: The order in which a screen offers actions.
ORDER: tuple[Action, ...] = (
    Action.SUBMIT,
    Action.ACCEPT,
    Action.APPROVE,
    Action.RETURN,
    Action.REFUSE,
    Action.COMPLETE,
)
#: Actions a decision-maker sends (``application_act``); submitting has its own service.
DECISIONS: tuple[Action, ...] = tuple(a for a in ORDER if a != Action.SUBMIT)

#: What a button says for each action.
BUTTON_LABELS: dict[Action, Promise] = {
    Action.SUBMIT: _("Submit"),
    Action.ACCEPT: _("Accept"),
    Action.RETURN: _("Return for correction"),
    Action.APPROVE: _("Approve"),
    Action.REFUSE: _("Refuse"),
    Action.COMPLETE: _("Complete"),
}
#: How a message names each action ("You may not %(action)s this application now").
VERBS: dict[Action, Promise] = {
    Action.SUBMIT: pgettext_lazy("application action", "submit"),
    Action.ACCEPT: pgettext_lazy("application action", "accept"),
    Action.RETURN: pgettext_lazy("application action", "return"),
    Action.APPROVE: pgettext_lazy("application action", "approve"),
    Action.REFUSE: pgettext_lazy("application action", "refuse"),
    Action.COMPLETE: pgettext_lazy("application action", "complete"),
}

#: Statuses in which the applicant's side may still change and submit the application.
EDITABLE_STATUSES: tuple[Status, ...] = tuple(
    t.source for t in TRANSITIONS if t.action == Action.SUBMIT
)
#: Statuses from which no action leads anywhere.
FINAL_STATUSES: tuple[Status, ...] = tuple(
    s for s in Status if not any(t.source == s for t in TRANSITIONS)
)
#: Statuses of applications still under way (not yet decided).
OPEN_STATUSES: tuple[Status, ...] = tuple(
    s for s in Status if any(t.source == s and t.action != Action.COMPLETE for t in TRANSITIONS)
)
#: Statuses in which an application that was accepted has no valid acceptance receipt: back
#: with the applicant, or submitted again and waiting to be accepted again.
RECEIPT_NOT_YET: tuple[Status, ...] = (*EDITABLE_STATUSES, Status.SUBMITTED)
#: Statuses after approval, whose outcomes (a certificate …) may be run and retried.
OUTCOME_STATUSES: tuple[Status, ...] = (Status.APPROVED, Status.COMPLETED)


def transitions(
    *, status: str, role: str, level: str, action: str | None = None
) -> list[Transition]:
    """The rows a ``role`` may take from ``status`` on a matter decided at ``level``, in the
    order a screen shows them (only ``action``'s row, if given)."""
    rows = [
        t
        for t in TRANSITIONS
        if t.source == status
        and role in t.roles
        and level in t.levels
        and (action is None or t.action == action)
    ]
    return sorted(rows, key=lambda t: ORDER.index(t.action))


def waiting_for(role: str) -> list[Status]:
    """The statuses in which an application waits for a decision by ``role`` (its queue)."""
    return [status for status, (roles, _levels) in DECIDERS_OF.items() if role in roles]


def holder(status: str) -> str:
    """Who must act next on an application in ``status``: the applicant (a draft, or returned
    for correction), the role that decides it, or nobody (decided)."""
    if status in EDITABLE_STATUSES:
        return RESIDENT
    deciders = DECIDERS_OF.get(Status(status)) if status in Status.values else None
    return min(deciders[0]) if deciders else ""


def needs_reason(action: str) -> bool:
    return any(t.needs_reason for t in TRANSITIONS if t.action == action)


def event_label(action: str) -> str:
    """What a timeline says for an event (staff and residents alike)."""
    return str(Action(action).label) if action in Action.values else action


def button_label(action: str) -> str:
    return str(BUTTON_LABELS[Action(action)]) if action in Action.values else action
