"""The lifecycle table (applications/lifecycle.py) is the only statement of who may do what
from which status. These tests walk it: every status × role × matter level × action is either
a row of the table, and then policies offer it and the services carry it out to the row's
target with the row's event, or it is not, and then neither offers nor allows it."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.db import transaction

from govdesk.accounts.models import User
from govdesk.applications import lifecycle, policies, services
from govdesk.applications.errors import InvalidFields, NotAllowed, NotFound, StateConflict
from govdesk.applications.lifecycle import Action, Status, Transition
from govdesk.applications.models import Application
from govdesk.audit.actions import AuditAction
from govdesk.catalog.models import Matter
from govdesk.common.principal import Principal
from govdesk.common.roles import RESIDENT, Role
from govdesk.people.models import Person

WANG = "320205196803090017"
LOW = "CERT-RESIDENT-POPULATION"  # decided by the subdistrict reviewer; nothing to type
HIGH = "HRSS-001"  # decided by the district approver after a first review
STAFF_OF: dict[str, str] = {
    Role.CLERK: "clerk.chunlei",
    Role.REVIEWER: "reviewer.yunlin",
    Role.APPROVER: "approver.hrss",
}
ROLES = (RESIDENT, Role.CLERK, Role.REVIEWER, Role.APPROVER)


def _row(status: str, role: str, level: str, action: Action) -> Transition | None:
    rows = lifecycle.transitions(status=status, role=role, level=level, action=action)
    assert len(rows) <= 1, f"two rows for {status}/{role}/{level}/{action}"
    return rows[0] if rows else None


def test_the_table_is_complete_and_consistent() -> None:
    for action in lifecycle.ORDER:
        assert action in lifecycle.BUTTON_LABELS and action in lifecycle.VERBS
    for row in lifecycle.TRANSITIONS:
        # Every event of the timeline is also a word of the audit trail.
        assert f"application.{row.event_action.value}" in AuditAction.values
        assert row.needs_reason == (row.action in {Action.RETURN, Action.REFUSE})
        assert row.levels and row.roles
    reachable = {Status.DRAFT}
    while True:
        more = {t.target for t in lifecycle.TRANSITIONS if t.source in reachable} - reachable
        if not more:
            break
        reachable |= more
    assert reachable == set(Status), "every status is reachable from a draft"
    assert set(lifecycle.FINAL_STATUSES) == {Status.REFUSED, Status.COMPLETED}
    assert lifecycle.waiting_for(Role.CLERK) == [Status.SUBMITTED]
    assert lifecycle.waiting_for(Role.REVIEWER) == [Status.ACCEPTED]
    assert lifecycle.waiting_for(Role.APPROVER) == [Status.REVIEWED]
    assert lifecycle.waiting_for(Role.AUDITOR) == []


@pytest.fixture
def cases(world: Any) -> dict[str, Any]:
    person = Person.objects.get(id_number=WANG)
    principals: dict[str, Principal] = {
        role: Principal(kind="staff", user=User.objects.get(username=name))
        for role, name in STAFF_OF.items()
    }
    principals[RESIDENT] = Principal(kind="resident", person=person)
    matters = {m.code: m for m in Matter.objects.filter(code__in=[LOW, HIGH])}
    assert matters[LOW].decided_at not in lifecycle.HIGH_LEVELS
    assert matters[HIGH].decided_at in lifecycle.HIGH_LEVELS
    clerk = principals[Role.CLERK]
    applications = {
        code: services.application_create(
            principal=clerk, matter_code=code, applicant=WANG, channel="window"
        )
        for code in matters
    }
    return {"principals": principals, "applications": applications}


def _attempt(principal: Principal, application: Application, action: Action) -> Application:
    if action == Action.SUBMIT:
        return services.application_submit(principal=principal, application_id=application.pk)
    return services.application_act(
        principal=principal, application_id=application.pk, action=action, comment="Because."
    )


@pytest.mark.parametrize(("status", "role"), list(itertools.product(Status, ROLES)))
def test_every_cell_of_the_table(cases: dict[str, Any], status: Status, role: str) -> None:
    principal = cases["principals"][role]
    for code, created in cases["applications"].items():
        Application.objects.filter(pk=created.pk).update(status=status)
        application = Application.objects.select_related("matter", "region").get(pk=created.pk)
        level = application.matter.decided_at
        # Department and level (policies) come on top of the table: the district approver of
        # 人社 decides district 人社 matters only, so not the community certificate.
        entitled = principal.kind == "resident" or (
            policies.in_department(principal, application)
            and policies.at_own_level(principal, application)
        )
        assert entitled == (role != Role.APPROVER or code == HIGH), (code, role)
        expected = [
            a
            for a in lifecycle.ORDER
            if _row(status, role, level, a) is not None and (entitled or a == Action.SUBMIT)
        ]
        assert policies.allowed_actions(principal, application) == expected, (code, status, role)
        for action in lifecycle.ORDER:
            row = _row(status, role, level, action) if action in expected else None
            if action == Action.SUBMIT and code == HIGH and row is not None:
                continue  # its form needs typed values; the low matter walks submitting
            with transaction.atomic():
                try:
                    if row is None:
                        with pytest.raises((NotAllowed, NotFound, StateConflict)):
                            _attempt(principal, application, action)
                    else:
                        done = _attempt(principal, application, action)
                        assert done.status == row.target, (code, status, role, action)
                        last = done.events.order_by("-at", "-id").first()
                        assert last is not None and last.action == row.event_action
                        assert last.from_status == status and last.to_status == row.target
                finally:
                    transaction.set_rollback(True)


def test_a_reason_is_required_where_the_table_says(cases: dict[str, Any]) -> None:
    application = cases["applications"][LOW]
    Application.objects.filter(pk=application.pk).update(status=Status.SUBMITTED)
    clerk = cases["principals"][Role.CLERK]
    for action in (Action.RETURN, Action.REFUSE):
        with pytest.raises(InvalidFields) as caught:
            services.application_act(principal=clerk, application_id=application.pk, action=action)
        assert "comment" in caught.value.errors
    accepted = services.application_act(
        principal=clerk, application_id=application.pk, action=Action.ACCEPT
    )
    assert accepted.status == Status.ACCEPTED


def test_an_unknown_action_is_bad_input(cases: dict[str, Any]) -> None:
    application = cases["applications"][LOW]
    for action in ("create", "edit", "submit", "delete"):
        with pytest.raises(InvalidFields):
            services.application_act(
                principal=cases["principals"][Role.CLERK],
                application_id=application.pk,
                action=action,
            )
