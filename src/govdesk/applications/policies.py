"""Who may read and act on an application. Checked on the server for every object."""

from __future__ import annotations

from govdesk.applications.models import Application, Status
from govdesk.catalog.models import Level
from govdesk.common.principal import Principal
from govdesk.common.roles import Role

STAFF_READERS = {Role.CLERK, Role.REVIEWER, Role.APPROVER}
HIGH_LEVELS = {Level.DISTRICT, Level.CITY}


def may_read(principal: Principal, application: Application) -> bool:
    if principal.kind == "resident":
        return principal.person is not None and principal.person.pk == application.applicant_id
    return principal.role in STAFF_READERS and principal.covers(application.region)


def may_edit(principal: Principal, application: Application) -> bool:
    if application.status not in (Status.DRAFT, Status.RETURNED):
        return False
    if principal.kind == "resident":
        return may_read(principal, application)
    return principal.role == Role.CLERK and principal.covers(application.region)


def allowed_actions(principal: Principal, application: Application) -> list[str]:
    """The actions this principal may take now, in the order a screen shows them."""
    if not may_read(principal, application):
        return []
    status = application.status
    role = principal.role
    actions: list[str] = []
    if status in (Status.DRAFT, Status.RETURNED) and may_edit(principal, application):
        actions.append("submit")
    if principal.kind != "staff":
        return actions
    high = application.matter.decided_at in HIGH_LEVELS
    if status == Status.SUBMITTED and role == Role.CLERK:
        actions += ["accept", "return", "refuse"]
    elif (status == Status.ACCEPTED and role == Role.REVIEWER) or (
        status == Status.REVIEWED and role == Role.APPROVER and high
    ):
        actions += ["approve", "return", "refuse"]
    elif status == Status.APPROVED and role in STAFF_READERS:
        actions.append("complete")
    return actions


def next_status(application: Application, action: str) -> str:
    status = application.status
    if action == "accept":
        return Status.ACCEPTED
    if action == "return":
        return Status.RETURNED
    if action == "refuse":
        return Status.REFUSED
    if action == "complete":
        return Status.COMPLETED
    if action == "approve":
        high = application.matter.decided_at in HIGH_LEVELS
        return Status.REVIEWED if status == Status.ACCEPTED and high else Status.APPROVED
    raise ValueError(action)
