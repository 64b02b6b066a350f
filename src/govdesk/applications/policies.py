"""Who may read and act on an application. Checked on the server for every object; the rules
of the lifecycle (who acts from which status) are the table in ``lifecycle``."""

from __future__ import annotations

from govdesk.applications import lifecycle
from govdesk.applications.lifecycle import Action, Transition
from govdesk.applications.models import Application
from govdesk.common.principal import Principal

STAFF_READERS = lifecycle.STAFF


def may_read(principal: Principal, application: Application) -> bool:
    if principal.kind == "resident":
        return principal.person is not None and principal.person.pk == application.applicant_id
    return principal.role in STAFF_READERS and principal.covers(application.region)


def may_edit(principal: Principal, application: Application) -> bool:
    """The applicant's side (the resident, or a clerk covering their community) may still
    change and submit it."""
    if application.status not in lifecycle.EDITABLE_STATUSES:
        return False
    return bool(_rows(principal, application, Action.SUBMIT)) and may_read(principal, application)


def _rows(
    principal: Principal, application: Application, action: str | None = None
) -> list[Transition]:
    return lifecycle.transitions(
        status=application.status,
        role=principal.role,
        level=application.matter.decided_at,
        action=action,
    )


def transition(principal: Principal, application: Application, action: str) -> Transition | None:
    """The row of the lifecycle table this principal would take, or None if they may not."""
    if not may_read(principal, application):
        return None
    rows = _rows(principal, application, action)
    return rows[0] if rows else None


def allowed_actions(principal: Principal, application: Application) -> list[Action]:
    """The actions this principal may take now, in the order a screen shows them."""
    if not may_read(principal, application):
        return []
    return [t.action for t in _rows(principal, application)]
