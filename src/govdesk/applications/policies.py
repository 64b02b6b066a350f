"""Who may read and act on an application. Checked on the server for every object; the rules
of the lifecycle (who acts from which status) are the table in ``lifecycle``."""

from __future__ import annotations

from govdesk.applications import lifecycle
from govdesk.applications.lifecycle import Action, Transition
from govdesk.applications.models import Application
from govdesk.common.principal import Principal
from govdesk.common.roles import Role

STAFF_READERS = lifecycle.STAFF


def may_read(principal: Principal, application: Application) -> bool:
    """A resident their own; staff of the applicant's area, and of the matter's department
    where they belong to one."""
    if principal.kind == "resident":
        return principal.person is not None and principal.person.pk == application.applicant_id
    return (
        principal.role in STAFF_READERS
        and principal.covers(application.region)
        and in_department(principal, application)
    )


def in_department(principal: Principal, application: Application) -> bool:
    """Staff who belong to a department (a bureau's reviewers and approvers) deal only with
    its matters; staff of a service centre or station (no department) with every matter."""
    user = principal.user
    return (
        user is None
        or user.department_id is None
        or (user.department_id == application.matter.department_id)
    )


def at_own_level(principal: Principal, application: Application) -> bool:
    """An approver decides the matters decided at their own level (a district bureau the
    district's matters; city matters need the city's approver)."""
    if principal.role != Role.APPROVER:
        return True
    home = principal.jurisdiction
    return home is not None and home.level == application.matter.decided_at


def may_edit(principal: Principal, application: Application) -> bool:
    """The applicant's side (the resident, or a clerk covering their community) may still
    change and submit it."""
    if application.status not in lifecycle.EDITABLE_STATUSES:
        return False
    return bool(_rows(principal, application, Action.SUBMIT)) and may_read(principal, application)


def may_attest_materials(principal: Principal, application: Application) -> bool:
    """Only window staff, who saw the papers, may record a material as checked."""
    return (
        principal.kind == "staff"
        and principal.role == Role.CLERK
        and may_edit(principal, application)
    )


def _rows(
    principal: Principal, application: Application, action: str | None = None
) -> list[Transition]:
    rows = lifecycle.transitions(
        status=application.status,
        role=principal.role,
        level=application.matter.decided_at,
        action=action,
    )
    if principal.kind == "staff" and not at_own_level(principal, application):
        return [t for t in rows if t.action == Action.SUBMIT]
    return rows


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
