"""The friction log (错题本) over the API: a stutter reported with its context filled in by the
server, grouped into a problem, moved through its loop by the roles the table names, rectified
by a configuration change the platform applies, and scoped like everything else."""

from __future__ import annotations

from typing import Any

import pytest

from govdesk.audit.models import AuditEvent
from govdesk.catalog.models import Matter
from govdesk.frictions.models import Friction, Kind, Problem, ProblemStatus
from govdesk.frictions.services import Context, friction_record, problem_observe

LI = "320205197405120027"
WANG = "320205196803090017"
FIELD = "insurance.contribution_grade"  # 缴费基数档次, which the registries do not hold
MATTER = "HRSS-005"


@pytest.fixture
def clerk(staff_token: Any) -> str:
    token: str = staff_token("clerk.chunlei")
    return token


@pytest.fixture
def operator(staff_token: Any) -> str:
    token: str = staff_token("operator.data")
    return token


def _application(api: Any, clerk: str) -> dict[str, Any]:
    response = api.post("/api/v1/applications", clerk, {"matter": MATTER, "applicant": LI})
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def _report(api: Any, token: str, application: str, summary: str = "这个要手填，每次都问") -> Any:
    return api.post(
        "/api/v1/frictions",
        token,
        {
            "summary": summary,
            "application": application,
            "field": FIELD,
            "screen": f"/staff/applications/{application}/",
        },
    )


def test_a_report_carries_its_context(api: Any, clerk: str) -> None:
    application = _application(api, clerk)
    response = _report(api, clerk, application["id"])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("CT") and body["kind"] == "reported"
    assert body["status"] == "new"
    context = body["context"]
    assert context["matter"] == MATTER and context["field"] == FIELD
    assert context["application"] == application["id"]
    assert context["community"] == "春雷社区" and context["department"]
    assert context["screen"].startswith("/staff/applications/")
    assert context["reporter"] == "staff" and context["reporter_role"] == "clerk"
    assert body["problem"]["occurrences"] == 1 and body["problem"]["people"] == 1
    assert AuditEvent.objects.filter(action="friction.report", actor="clerk.chunlei").exists()


def test_the_same_stutter_twice_is_one_problem(api: Any, clerk: str, staff_token: Any) -> None:
    application = _application(api, clerk)
    first = _report(api, clerk, application["id"]).json()
    second = _report(api, clerk, application["id"], "又要手填").json()
    assert first["problem"]["number"] == second["problem"]["number"]
    problem = Problem.objects.get(number=first["problem"]["number"])
    assert problem.occurrences == 2 and problem.people == 1  # one person, twice
    assert problem.minutes_lost > 0


def test_the_loop_with_a_rectification_the_platform_applies(
    api: Any, clerk: str, operator: str
) -> None:
    application = _application(api, clerk)
    assert {f["key"]: f for f in application["fields"]}[FIELD]["missing"]
    friction = _report(api, clerk, application["id"]).json()
    url = f"/api/v1/frictions/{friction['id']}"
    # The operator finds it, with its context, and assigns it.
    listed = api.get("/api/v1/frictions?status=new", operator).json()
    assert friction["id"] in {f["id"] for f in listed["results"]}
    assigned = api.post(f"{url}/actions", operator, {"action": "assign", "department": "hrss"})
    assert assigned.status_code == 200, assigned.content
    assert assigned.json()["problem"]["deadline"]
    # The clerk may not rectify (not the owner department, not the bureau): 403, audited.
    before = AuditEvent.objects.filter(action="problem.act", result="denied").count()
    refused = api.post(f"{url}/actions", clerk, {"action": "rectify", "note": "x"})
    assert refused.status_code == 403
    assert AuditEvent.objects.filter(action="problem.act", result="denied").count() == before + 1
    # A rectification without saying what was done is refused.
    assert api.post(f"{url}/actions", operator, {"action": "rectify"}).status_code == 422
    change = {"type": "field_default", "matter": MATTER, "field": FIELD, "default": "60%"}
    rectified = api.post(
        f"{url}/actions",
        operator,
        {"action": "rectify", "note": "缴费基数档次默认60%，可改", "change": change},
    )
    assert rectified.status_code == 200, rectified.content
    assert rectified.json()["status"] == "rectified"
    assert rectified.json()["problem"]["change"]["before"] == {"key": FIELD, "default": None}
    # A new application has the field filled in.
    again = api.post("/api/v1/applications", clerk, {"matter": MATTER, "applicant": WANG}).json()
    field = {f["key"]: f for f in again["fields"]}[FIELD]
    assert field["value"] == "60%" and not field["missing"]
    # The clerk sees the feedback and confirms it; every step is in the history.
    seen = api.get(url, clerk).json()
    assert seen["status"] == "rectified" and "confirm" in seen["allowed_actions"]
    assert seen["problem"]["note"] == "缴费基数档次默认60%，可改"
    confirmed = api.post(f"{url}/actions", clerk, {"action": "confirm"})
    assert confirmed.json()["status"] == "verified"
    steps = [h["action"] for h in confirmed.json()["history"]]
    assert steps == ["report", "assign", "rectify", "confirm"]


def test_a_synonym_makes_the_search_find_the_matter(operator: str, api: Any, world: Any) -> None:
    query = "领那个老两口的补助"
    matter = Matter.objects.get(code="MCA-001")

    def top3() -> set[str]:
        return {h["code"] for h in api.get(f"/api/v1/matters?q={query}").json()["results"][:3]}

    assert matter.code not in top3()
    friction = friction_record(
        kind=Kind.SEARCH_NO_RESULT, source_ref="search:1", context=Context(query=query)
    )
    assert friction is not None
    assert friction_record(kind=Kind.SEARCH_NO_RESULT, source_ref="search:1") is None  # once
    url = f"/api/v1/frictions/{friction.id}"
    done = api.post(
        f"{url}/actions",
        operator,
        {
            "action": "rectify",
            "note": "加了俗称",
            "change": {"type": "synonym", "query": query, "matter": matter.code},
        },
    )
    assert done.status_code == 200, done.content
    assert matter.code in top3()


def test_recurrence_reopens_and_clean_runs_verify(world: Any, settings: Any) -> None:
    settings.FRICTION_VERIFY_AFTER = 2
    first = friction_record(
        kind=Kind.SEARCH_NO_RESULT, source_ref="s:1", context=Context(query="某某")
    )
    assert first is not None
    problem = first.problem
    problem.status = ProblemStatus.RECTIFIED
    problem.save()
    friction_record(kind=Kind.SEARCH_NO_RESULT, source_ref="s:2", context=Context(query="某某"))
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.REOPENED and problem.recurred_since_rectified == 1
    problem.status = ProblemStatus.RECTIFIED
    problem.save()
    problem_observe(problem_id=problem.pk, recurred=False)
    assert Problem.objects.get(pk=problem.pk).status == ProblemStatus.RECTIFIED
    problem_observe(problem_id=problem.pk, recurred=False)
    assert Problem.objects.get(pk=problem.pk).status == ProblemStatus.VERIFIED


def test_scoping(api: Any, clerk: str, staff_token: Any, world: Any) -> None:
    application = _application(api, clerk)
    friction = _report(api, clerk, application["id"]).json()
    other = staff_token("clerk.dongting")
    assert friction["id"] not in {
        f["id"] for f in api.get("/api/v1/frictions", other).json()["results"]
    }
    before = AuditEvent.objects.filter(action="friction.read", result="denied").count()
    assert api.get(f"/api/v1/frictions/{friction['id']}", other).status_code == 404
    assert AuditEvent.objects.filter(action="friction.read", result="denied").count() == before + 1
    # A resident sees only what they reported.
    from govdesk.accounts.services import token_create
    from govdesk.people.models import Person

    wang = token_create(resident=Person.objects.get(id_number=WANG))
    assert api.get("/api/v1/frictions", wang).json()["results"] == []
    mine = api.post("/api/v1/frictions", wang, {"summary": "找不到水电气证明", "screen": "/"})
    assert mine.status_code == 201, mine.content
    assert [f["id"] for f in api.get("/api/v1/frictions", wang).json()["results"]] == [
        mine.json()["id"]
    ]
    # Another community's clerk cannot report on an application out of reach.
    assert _report(api, other, application["id"]).status_code == 404


def test_a_field_the_form_does_not_have_is_422(api: Any, clerk: str) -> None:
    application = _application(api, clerk)
    response = api.post(
        "/api/v1/frictions",
        clerk,
        {"summary": "x", "application": application["id"], "field": "no.such"},
    )
    assert response.status_code == 422
    assert not Friction.objects.exists()


def test_stats(api: Any, clerk: str, operator: str) -> None:
    application = _application(api, clerk)
    _report(api, clerk, application["id"])
    friction_record(kind=Kind.SEARCH_NO_RESULT, source_ref="q:9", context=Context(query="xx"))
    stats = api.get("/api/v1/frictions/stats", operator).json()
    assert stats["by_kind"]["reported"] == 1
    assert stats["by_kind"]["search_no_result"] == 1
    assert sum(stats["by_week"].values()) == 2 and stats["minutes_lost"] > 0


def test_the_list_pages(api: Any, operator: str, world: Any) -> None:
    for i in range(5):
        friction_record(
            kind=Kind.SEARCH_NO_RESULT, source_ref=f"p:{i}", context=Context(query=f"q{i}")
        )
    first = api.get("/api/v1/frictions?limit=2", operator).json()
    assert first["count"] == 5 and len(first["results"]) == 2 and first["next"]
    seen = [f["id"] for f in first["results"]]
    url = first["next"].split("testserver", 1)[-1]
    while url:
        page = api.get(url, operator).json()
        seen += [f["id"] for f in page["results"]]
        url = page["next"].split("testserver", 1)[-1] if page["next"] else None
    assert len(seen) == len(set(seen)) == 5
    assert api.get("/api/v1/frictions?cursor=nonsense", operator).status_code == 422


def test_poor_ratings_are_problems_of_their_own_closed_only_after_a_return_visit(
    world: Any, staff_token: Any, api: Any
) -> None:
    """A 差评 is answered rater by rater: each its own problem, assigned by the platform (the
    community's staff own it), neither rectified nor rejected without the return visit."""
    from govdesk.accounts.models import User
    from govdesk.applications.models import Application
    from govdesk.common.errors import Invalid
    from govdesk.common.principal import Principal
    from govdesk.frictions.services import problem_act
    from govdesk.organisations.models import Department
    from govdesk.people.models import Person
    from tests.conftest import accepted_certificate_application

    application = accepted_certificate_application(
        Person.objects.get(id_number=WANG), "FR-RATING-1"
    )
    community = Department.objects.get(code="community")
    first = friction_record(
        kind=Kind.POOR_RATING,
        source_ref="rating:a",
        application=application,
        department=community,
        own_problem=True,
    )
    second = friction_record(
        kind=Kind.POOR_RATING,
        source_ref="rating:b",
        application=Application.objects.get(pk=application.pk),
        department=community,
        own_problem=True,
    )
    assert first is not None and second is not None
    assert first.problem_id != second.problem_id
    problem = problem_act(
        principal=Principal(kind="system"),
        problem_id=first.problem_id,
        action="assign",
        department="community",
    )
    assert problem.status == ProblemStatus.ASSIGNED and problem.deadline is not None
    clerk = staff_token("clerk.chunlei")
    url = f"/api/v1/frictions/{first.id}/actions"
    for action in ("rectify", "reject"):
        who = clerk if action == "rectify" else staff_token("operator.data")
        refused = api.post(url, who, {"action": action, "note": "已处理"})
        assert refused.status_code == 422, (action, refused.content)
    with pytest.raises(Invalid):
        problem_act(
            principal=Principal(kind="staff", user=User.objects.get(username="clerk.chunlei")),
            problem_id=first.problem_id,
            action="rectify",
            note="已处理",
        )
    # Another community's clerk does not own it.
    other = api.post(url, staff_token("clerk.dongting"), {"action": "start"})
    assert other.status_code in {403, 404}
    done = api.post(
        url, clerk, {"action": "rectify", "note": "已处理", "return_visit": "电话回访，认可"}
    )
    assert done.status_code == 200, done.content
    assert Problem.objects.get(pk=first.problem_id).status == ProblemStatus.RECTIFIED
