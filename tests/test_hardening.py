"""Findings of the attack probe (hardening issue), each reproduced: departments and levels,
refusals that survive their rollback, lists that are audited, replays scoped to one person,
materials attested by window staff only, application numbers that cannot collide."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from govdesk.accounts.models import User
from govdesk.accounts.services import token_create
from govdesk.applications import services
from govdesk.applications.errors import NotFound
from govdesk.applications.lifecycle import Status
from govdesk.applications.models import Application
from govdesk.audit.models import AuditEvent
from govdesk.common.principal import Principal
from govdesk.people.models import Person

from .conftest import staff_client

LI = "320205197405120027"
WANG = "320205196803090017"
# HRSS-016 (社保权益记录打印) is a district 人社 matter: approver.hrss rightly decides it.
OTHER_DEPARTMENTS_AND_LEVELS = ["EDU-002", "HOUSING-001", "CDPF-001", "HRSS-010", "HOUSING-003"]


def _clerk() -> Principal:
    return Principal(kind="staff", user=User.objects.get(username="clerk.chunlei"))


def _reviewed(code: str, applicant: str = WANG) -> Application:
    """An application that passed its first review, waiting for an approver."""
    application = services.application_create(
        principal=_clerk(), matter_code=code, applicant=applicant, channel="window"
    )
    Application.objects.filter(pk=application.pk).update(status=Status.REVIEWED)
    return application


def _denied(actor: str) -> int:
    return AuditEvent.objects.filter(actor=actor, result="denied").count()


# 1. Approvers decide only their department's matters, at their own level ----------------


@pytest.mark.parametrize("code", OTHER_DEPARTMENTS_AND_LEVELS)
def test_an_approver_cannot_decide_another_departments_or_levels_matters(
    world: Any, staff_token: Any, api: Any, code: str
) -> None:
    application = _reviewed(code)
    token = staff_token("approver.hrss")
    before = _denied("approver.hrss")
    response = api.post(
        f"/api/v1/applications/{application.pk}/actions", token, {"action": "approve"}
    )
    assert response.status_code in (403, 404), response.content
    application.refresh_from_db()
    assert application.status == Status.REVIEWED
    assert _denied("approver.hrss") == before + 1  # exactly one refusal, kept after rollback
    queue = api.get("/api/v1/applications?waiting=true&limit=200", token).json()["results"]
    assert str(application.pk) not in {item["id"] for item in queue}


def test_the_approver_of_the_department_and_level_decides(
    world: Any, staff_token: Any, api: Any
) -> None:
    hrss = _reviewed("HRSS-001", LI)
    assert (
        api.post(
            f"/api/v1/applications/{hrss.pk}/actions",
            staff_token("approver.hrss"),
            {"action": "approve"},
        ).json()["status"]
        == Status.APPROVED
    )
    other = _reviewed("HRSS-001", WANG)
    mca = staff_token("approver.mca")
    refused = api.post(f"/api/v1/applications/{other.pk}/actions", mca, {"action": "approve"})
    assert refused.status_code in (403, 404)
    listed = api.get("/api/v1/applications", mca).json()["results"]
    assert str(other.pk) not in {i["id"] for i in listed}


def test_another_subdistricts_reviewer_sees_and_decides_nothing_here(
    world: Any, staff_token: Any, api: Any
) -> None:
    application = services.application_create(
        principal=_clerk(), matter_code="HRSS-001", applicant=LI, channel="window"
    )
    Application.objects.filter(pk=application.pk).update(status=Status.ACCEPTED)
    token = staff_token("reviewer.dongting")
    before = _denied("reviewer.dongting")
    assert api.get(f"/api/v1/applications/{application.pk}", token).status_code == 404
    refused = api.post(
        f"/api/v1/applications/{application.pk}/actions", token, {"action": "approve"}
    )
    assert refused.status_code == 404
    assert _denied("reviewer.dongting") == before + 2


# 2. Every refused change leaves exactly one row --------------------------------------------


def test_each_refused_change_leaves_exactly_one_denied_row(
    world: Any, staff_token: Any, api: Any
) -> None:
    mine = staff_token("clerk.chunlei")
    created = api.post("/api/v1/applications", mine, {"matter": "HRSS-005", "applicant": LI})
    assert created.status_code == 201
    url = f"/api/v1/applications/{created.json()['id']}"
    other = staff_token("clerk.dongting")
    attempts = [
        ("PATCH", url, {"fields": {"application.note": "x"}}),
        ("POST", f"{url}/submit", {}),
        ("POST", f"{url}/actions", {"action": "accept"}),
        ("POST", "/api/v1/bundles/BUNDLE-EMPLOYMENT-DIFFICULTY/start", {"applicant": LI}),
        ("POST", "/api/v1/applications", {"matter": "HRSS-005", "applicant": LI}),
    ]
    for method, path, body in attempts:
        before = _denied("clerk.dongting")
        response = api.send(method, path, other, body, Idempotency_Key=f"k-{method}-{path}")
        assert response.status_code in (403, 404), (path, response.content)
        assert _denied("clerk.dongting") == before + 1, (method, path)


def test_a_refusal_inside_nested_transactions_is_written_once(world: Any) -> None:
    application = services.application_create(
        principal=_clerk(), matter_code="HRSS-005", applicant=LI, channel="window"
    )
    other = Principal(kind="staff", user=User.objects.get(username="clerk.dongting"))
    before = _denied("clerk.dongting")

    def act() -> tuple[int, dict[str, Any]]:
        services.application_submit(principal=other, application_id=application.pk)
        return 200, {}

    with pytest.raises(NotFound):
        services.run_idempotent(scope="t", key="nested", action=act)
    assert _denied("clerk.dongting") == before + 1


def test_the_workbench_queue_is_audited_naming_whom_it_shows(world: Any) -> None:
    application = services.application_create(
        principal=_clerk(), matter_code="HRSS-005", applicant=LI, channel="window"
    )
    Application.objects.filter(pk=application.pk).update(status=Status.SUBMITTED)
    before = AuditEvent.objects.filter(action="application.list").count()
    page = staff_client("clerk.chunlei").get("/staff/")
    assert page.status_code == 200 and "李红梅" in page.content.decode()
    rows = AuditEvent.objects.filter(action="application.list").order_by("seq")
    assert rows.count() == before + 1
    from govdesk.audit.services import subject_ref

    assert subject_ref(LI) in rows.last().detail["subjects"]  # type: ignore[union-attr]


# 4. Idempotency keys and audit actors are per person, not per masked number -------------


def test_residents_with_the_same_masked_number_are_told_apart(world: Any) -> None:
    one = Person(id_number="320205197405120027")
    two = Person(id_number="320205198812310027")  # masked alike: 320205********0027
    first, second = (Principal(kind="resident", person=p) for p in (one, two))
    assert first.name == second.name  # what a screen shows
    assert first.key != second.key and first.actor().name != second.actor().name
    assert "0027" not in first.actor().name


def test_a_resident_cannot_replay_anothers_request(world: Any, api: Any) -> None:
    wang = token_create(resident=Person.objects.get(id_number=WANG))
    li = token_create(resident=Person.objects.get(id_number=LI))
    mine = api.post(
        "/api/v1/applications",
        wang,
        {"matter": "CERT-RESIDENT-POPULATION", "applicant": WANG, "channel": "online"},
        Idempotency_Key="same-key",
    )
    assert mine.status_code == 201
    theirs = api.post(
        "/api/v1/applications",
        li,
        {"matter": "CERT-RESIDENT-POPULATION", "applicant": WANG, "channel": "online"},
        Idempotency_Key="same-key",
    )
    assert theirs.status_code in (403, 404)
    assert "王建国" not in theirs.content.decode()


# 5. Only window staff attest materials -----------------------------------------------------


def test_a_resident_cannot_mark_materials_as_checked(world: Any, api: Any) -> None:
    wang = Person.objects.get(id_number=WANG)
    token = token_create(resident=wang)
    created = api.post(
        "/api/v1/applications",
        token,
        {"matter": "CERT-RESIDENT-POPULATION", "applicant": WANG, "channel": "online"},
    ).json()
    material = created["materials"][0]["name"] if created["materials"] else "居民身份证"
    before = AuditEvent.objects.filter(result="denied", action="application.edit").count()
    response = api.patch(
        f"/api/v1/applications/{created['id']}", token, {"materials_provided": [material]}
    )
    assert response.status_code == 403
    assert Application.objects.get(pk=created["id"]).materials_provided == []
    assert (
        AuditEvent.objects.filter(result="denied", action="application.edit").count() == before + 1
    )


def test_a_clerk_may_mark_materials_as_checked(world: Any, api: Any, staff_token: Any) -> None:
    token = staff_token("clerk.chunlei")
    created = api.post("/api/v1/applications", token, {"matter": "HRSS-005", "applicant": LI})
    names = [m["name"] for m in created.json()["materials"]]
    assert names
    done = api.patch(
        f"/api/v1/applications/{created.json()['id']}", token, {"materials_provided": names[:1]}
    )
    assert done.status_code == 200, done.content


# 12. Application numbers never collide -----------------------------------------------------


def test_application_numbers_are_unique_and_dated(world: Any, monkeypatch: Any) -> None:
    # Randomness is not what makes them unique: with every random draw alike they still are.
    monkeypatch.setattr("secrets.randbelow", lambda _n: 42)
    numbers = {
        services.application_create(
            principal=_clerk(), matter_code="HRSS-005", applicant=LI, channel="window"
        ).number
        for _ in range(30)
    }
    assert len(numbers) == 30
    assert all(re.fullmatch(r"GD\d{8}\d{8,}", n) for n in numbers)


def test_the_workbench_sends_a_clerk_of_another_community_nowhere(world: Any) -> None:
    application = services.application_create(
        principal=_clerk(), matter_code="HRSS-005", applicant=LI, channel="window"
    )
    before = _denied("clerk.dongting")
    client: Client = staff_client("clerk.dongting")
    assert client.get(f"/staff/applications/{application.pk}/").status_code == 404
    assert _denied("clerk.dongting") == before + 1


def test_a_reader_who_may_not_edit_is_refused_once_and_audited(
    world: Any, staff_token: Any, api: Any
) -> None:
    """The reviewer reads a draft of their subdistrict but is not the applicant's side: a
    PATCH is refused (403, not a state conflict), audited once, and changes nothing."""
    application = services.application_create(
        principal=_clerk(), matter_code="HRSS-016", applicant=LI, channel="window"
    )
    token = staff_token("reviewer.yunlin")
    before = _denied("reviewer.yunlin")
    bodies: list[dict[str, Any]] = [
        {"fields": {"application.note": "x"}},
        {"materials_provided": []},
    ]
    for body in bodies:
        response = api.patch(f"/api/v1/applications/{application.pk}", token, body)
        assert response.status_code == 403, response.content
    assert _denied("reviewer.yunlin") == before + 2
    assert Application.objects.get(pk=application.pk).version == application.version


def test_a_workbench_decision_on_an_application_out_of_reach_is_audited_once(world: Any) -> None:
    application = services.application_create(
        principal=_clerk(), matter_code="HRSS-016", applicant=LI, channel="window"
    )
    Application.objects.filter(pk=application.pk).update(status=Status.SUBMITTED)
    client = staff_client("clerk.dongting")
    for path, data in (("actions/", {"action": "accept"}), ("retry/", {})):
        before = _denied("clerk.dongting")
        response = client.post(f"/staff/applications/{application.pk}/{path}", data)
        assert response.status_code == 404
        assert _denied("clerk.dongting") == before + 1, path
    assert Application.objects.get(pk=application.pk).status == Status.SUBMITTED
