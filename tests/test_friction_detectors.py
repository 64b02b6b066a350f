"""The detectors (issue 12, item 3): the platform raises its own stutters from what it records
(the search log, the application timeline, the values typed with their sources, the materials
resolved at submission, the 500 page), once per source row, reading only what is new, and it
verifies a rectified problem by itself when its context comes back without the stutter."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from govdesk.applications.models import Application, Channel, Status
from govdesk.catalog.models import MaterialRequirement, Matter, SearchLog
from govdesk.catalog.services import search_opened, search_record
from govdesk.demo.loader import CHUNLEI
from govdesk.forms.models import CapturedFact
from govdesk.frictions import detectors
from govdesk.frictions.detectors import frictions_detect, frictions_detect_due
from govdesk.frictions.models import DetectorMark, Friction, Kind, Problem, ProblemStatus
from govdesk.people.models import Person

LI = "320205197405120027"
WANG = "320205196803090017"
MATTER = "CERT-RESIDENT-POPULATION"
NOTHING = "量子纠缠"  # a query the catalogue has no word for


@pytest.fixture
def clerk(staff_token: Any) -> str:
    token: str = staff_token("clerk.chunlei")
    return token


@pytest.fixture
def operator(staff_token: Any) -> str:
    token: str = staff_token("operator.data")
    return token


@pytest.fixture
def reviewer(staff_token: Any) -> str:
    token: str = staff_token("reviewer.yunlin")
    return token


def _detect() -> dict[str, detectors.Found]:
    return frictions_detect(until_done=True)


def _of(kind: str) -> list[Friction]:
    return list(Friction.objects.filter(kind=kind).order_by("at"))


def _search(api: Any, query: str) -> list[str]:
    response = api.get(f"/api/v1/matters?q={query}")
    assert response.status_code == 200
    return [hit["code"] for hit in response.json()["results"]]


def _created(api: Any, clerk: str, applicant: str = WANG) -> dict[str, Any]:
    response = api.post("/api/v1/applications", clerk, {"matter": MATTER, "applicant": applicant})
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def _submitted(api: Any, clerk: str, applicant: str = WANG, **edit: Any) -> str:
    created = _created(api, clerk, applicant)
    url = f"/api/v1/applications/{created['id']}"
    if edit:
        response = api.patch(url, clerk, edit)
        assert response.status_code == 200, response.content
    response = api.post(f"{url}/submit", clerk)
    assert response.status_code == 200, response.content
    return str(created["id"])


def _act(api: Any, token: str, application: str, action: str, **body: Any) -> Any:
    response = api.post(
        f"/api/v1/applications/{application}/actions", token, {"action": action, **body}
    )
    assert response.status_code == 200, response.content
    return response.json()


# --- search_no_result ---------------------------------------------------------------------


def test_a_search_that_finds_nothing_is_a_friction(api: Any, world: Any) -> None:
    assert _search(api, NOTHING) == []
    _detect()
    [friction] = _of(Kind.SEARCH_NO_RESULT)
    assert friction.query == NOTHING and friction.reporter == "platform"
    assert friction.source_ref.startswith("searchlog:")


def test_a_search_that_finds_something_is_not(api: Any, world: Any) -> None:
    assert _search(api, "低保")
    _detect()
    assert not _of(Kind.SEARCH_NO_RESULT)


def test_detect_twice_creates_nothing_new(api: Any, world: Any) -> None:
    _search(api, NOTHING)
    first = _detect()
    assert first[Kind.SEARCH_NO_RESULT].raised == 1
    count = Friction.objects.count()
    second = _detect()
    assert all(found.raised == 0 for found in second.values())
    assert Friction.objects.count() == count
    # Even with the marks reset (a full re-read), each source row gives one friction only.
    DetectorMark.objects.all().delete()
    third = _detect()
    assert all(found.raised == 0 for found in third.values())
    assert Friction.objects.count() == count


def test_a_run_reads_at_most_its_batch(world: Any) -> None:
    for i in range(5):
        search_record(query=f"{NOTHING}{i}", results=0, top="")
    found = frictions_detect(batch=2)[Kind.SEARCH_NO_RESULT]
    assert (found.scanned, found.raised, found.more) == (2, 2, True)
    found = frictions_detect(batch=2)[Kind.SEARCH_NO_RESULT]
    assert found.raised == 2
    assert frictions_detect(batch=2)[Kind.SEARCH_NO_RESULT].raised == 1
    assert frictions_detect(batch=2)[Kind.SEARCH_NO_RESULT].scanned == 0


def test_the_search_loop_verifies_itself(
    api: Any, operator: str, world: Any, settings: Any, capsys: Any
) -> None:
    """A query that finds nothing becomes a friction after ``govdesk frictions detect``; the
    operator adds it as a synonym of a matter; the same query now finds that matter in the top
    3; the next detects mark the problem verified, without anyone declaring it."""
    settings.FRICTION_VERIFY_AFTER = 2
    query = NOTHING
    assert _search(api, query) == []
    call_command("frictions", "detect")
    assert "search_no_result: 1 raised" in capsys.readouterr().out
    [friction] = _of(Kind.SEARCH_NO_RESULT)
    matter = Matter.objects.get(code="MCA-001")
    done = api.post(
        f"/api/v1/frictions/{friction.id}/actions",
        operator,
        {
            "action": "rectify",
            "note": "加了俗称",
            "change": {"type": "synonym", "query": query, "matter": matter.code},
        },
    )
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "rectified"
    assert matter.code in _search(api, query)[:3]
    call_command("frictions", "detect")
    problem = Problem.objects.get(pk=friction.problem_id)
    assert problem.status == ProblemStatus.RECTIFIED and problem.clean_since_rectified == 1
    assert matter.code in _search(api, query)[:3]
    call_command("frictions", "detect")
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.VERIFIED
    assert [e.action for e in problem.events.all()][-1] == "verify"
    assert problem.events.last().actor_role == "system"  # type: ignore[union-attr]
    assert len(_of(Kind.SEARCH_NO_RESULT)) == 1


def test_a_stutter_that_comes_back_reopens(api: Any, world: Any) -> None:
    _search(api, NOTHING)
    _detect()
    problem = _of(Kind.SEARCH_NO_RESULT)[0].problem
    Problem.objects.filter(pk=problem.pk).update(
        status=ProblemStatus.RECTIFIED, rectified_at=timezone.now()
    )
    _search(api, NOTHING)
    _detect()
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.REOPENED and problem.occurrences == 2


# --- search_abandoned ---------------------------------------------------------------------


def test_a_search_nobody_opened_is_abandoned(world: Any, settings: Any) -> None:
    settings.FRICTION_ABANDONED_MINUTES = 30
    search_record(query="低保", results=4, top="matter:MCA-001")
    assert not _detect()[Kind.SEARCH_ABANDONED].raised  # not yet: it may still be opened
    SearchLog.objects.update(at=timezone.now() - timedelta(minutes=31))
    _detect()
    [friction] = _of(Kind.SEARCH_ABANDONED)
    assert friction.query == "低保"


def test_a_search_with_a_result_opened_is_not_abandoned(client: Client, world: Any) -> None:
    search_id = search_record(query="低保", results=4, top="matter:MCA-001")
    search_opened(search_id=search_id, key="matter:MCA-001")
    search_record(query="低保", results=4, top="matter:MCA-001", channel="api")  # opens unseen
    SearchLog.objects.update(at=timezone.now() - timedelta(hours=2))
    _detect()
    assert not _of(Kind.SEARCH_ABANDONED)


# --- typed_known --------------------------------------------------------------------------


def _conflicting_fact() -> str:
    """A value typed earlier for WANG of an element the registry holds (and differently)."""
    from govdesk.forms.prefill import prefill
    from govdesk.forms.schema import form_for

    matter = Matter.objects.get(code=MATTER)
    resolved = prefill(id_number=WANG, specs=form_for(matter).fields)
    key = next(
        k for k, r in resolved.items() if r.source == "registry" and isinstance(r.value, str)
    )
    CapturedFact.objects.create(
        person=Person.objects.get(id_number=WANG),
        element=key,
        value=f"{resolved[key].value}（手填）",
        source=CapturedFact.Source.TYPED_BY_CLERK,
        actor="clerk.chunlei",
    )
    return key


def test_a_value_typed_where_the_registry_held_one(api: Any, clerk: str) -> None:
    key = _conflicting_fact()
    application = _submitted(api, clerk)
    _detect()
    [friction] = _of(Kind.TYPED_KNOWN)
    assert friction.field == key and str(friction.application_id) == application
    assert friction.matter is not None and friction.matter.code == MATTER


def test_values_from_their_sources_are_not_typed_known(api: Any, clerk: str) -> None:
    _submitted(api, clerk)
    _detect()
    assert not _of(Kind.TYPED_KNOWN)


def test_typed_known_is_verified_by_new_applications(api: Any, clerk: str, settings: Any) -> None:
    settings.FRICTION_VERIFY_AFTER = 1
    _conflicting_fact()
    _submitted(api, clerk)
    _detect()
    problem = _of(Kind.TYPED_KNOWN)[0].problem
    Problem.objects.filter(pk=problem.pk).update(
        status=ProblemStatus.RECTIFIED, rectified_at=timezone.now()
    )
    _submitted(api, clerk, LI)  # the field now comes from the registry, nothing typed
    _detect()
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.VERIFIED


# --- paper_despite_licence ----------------------------------------------------------------


def _licence_material() -> MaterialRequirement:
    found = MaterialRequirement.objects.filter(matter__code=MATTER, licence_type="id_card").first()
    assert found is not None
    return found


def test_paper_asked_for_though_the_licence_was_held(api: Any, clerk: str) -> None:
    material = _licence_material()  # held as an e-licence; the clerk took the paper card anyway
    _submitted(api, clerk, materials_provided=[material.name])
    _detect()
    [friction] = _of(Kind.PAPER_DESPITE_LICENCE)
    assert friction.material == material.name
    application = Application.objects.get(pk=str(friction.application_id))
    assert f"licence.{material.licence_type}" in (application.held or {})


def test_a_licence_used_as_held_is_not_paper(api: Any, clerk: str) -> None:
    _submitted(api, clerk)
    _detect()
    assert not _of(Kind.PAPER_DESPITE_LICENCE)


# --- returned -----------------------------------------------------------------------------


def test_a_returned_application_is_a_friction_with_its_reason(api: Any, clerk: str) -> None:
    application = _submitted(api, clerk)
    _act(api, clerk, application, "return", comment="户口簿首页照片不清晰")
    _detect()
    [friction] = _of(Kind.RETURNED)
    assert friction.summary == "户口簿首页照片不清晰"
    assert str(friction.application_id) == application
    assert friction.person is not None and friction.person.id_number == WANG


def test_an_accepted_application_is_not_returned(api: Any, clerk: str) -> None:
    _act(api, clerk, _submitted(api, clerk), "accept")
    _detect()
    assert not _of(Kind.RETURNED)


# --- slow_step ----------------------------------------------------------------------------


def _usual(world: Any, count: int, minutes: int) -> None:
    """``count`` applications of the matter decided ``minutes`` after their acceptance."""
    now = timezone.now()
    wang = Person.objects.get(id_number=WANG)
    for i in range(count):
        Application.objects.create(
            number=f"GD-USUAL-{i}",
            matter=Matter.objects.get(code=MATTER),
            applicant=wang,
            region=world[CHUNLEI],
            channel=Channel.WINDOW,
            status=Status.APPROVED,
            created_by="test",
            accepted_at=now - timedelta(days=30, minutes=minutes),
            decided_at=now - timedelta(days=30),
        )


def _approved(api: Any, clerk: str, reviewer: str, *, took: timedelta) -> str:
    application = _submitted(api, clerk)
    _act(api, clerk, application, "accept")
    Application.objects.filter(pk=application).update(accepted_at=timezone.now() - took)
    _act(api, reviewer, application, "approve")
    return application


def test_a_step_far_slower_than_usual(
    api: Any, clerk: str, reviewer: str, settings: Any, world: Any
) -> None:
    settings.FRICTION_SLOW_FACTOR = 3
    settings.FRICTION_SLOW_MIN_SAMPLES = 5
    _usual(world, 6, minutes=60)
    application = _approved(api, clerk, reviewer, took=timedelta(hours=5))
    _detect()
    [friction] = _of(Kind.SLOW_STEP)
    assert str(friction.application_id) == application
    assert friction.minutes_lost == pytest.approx(240, abs=2)


def test_a_step_in_its_usual_time_is_not_slow(
    api: Any, clerk: str, reviewer: str, settings: Any, world: Any
) -> None:
    settings.FRICTION_SLOW_FACTOR = 3
    settings.FRICTION_SLOW_MIN_SAMPLES = 5
    _usual(world, 6, minutes=60)
    _approved(api, clerk, reviewer, took=timedelta(hours=2))
    _detect()
    assert not _of(Kind.SLOW_STEP)


# --- server_error -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_person_who_reached_the_500_page_is_a_friction(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.error_urls"
    response = Client(raise_request_exception=False).get("/test-errors/500/")
    assert response.status_code == 500
    [friction] = _of(Kind.SERVER_ERROR)
    assert friction.screen == "/test-errors/500/" and friction.reporter == "platform"


@pytest.mark.django_db
def test_other_error_pages_are_not_server_errors(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.error_urls"
    assert Client().get("/no-such-page/").status_code == 404
    assert not _of(Kind.SERVER_ERROR)


@pytest.mark.django_db
def test_the_500_page_shows_when_recording_fails(settings: Any, monkeypatch: Any) -> None:
    settings.ROOT_URLCONF = "tests.error_urls"

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr("govdesk.frictions.services.friction_record", broken)
    response = Client(raise_request_exception=False).get("/test-errors/500/")
    assert response.status_code == 500 and "系统出现故障" in response.content.decode()


# --- the worker ---------------------------------------------------------------------------


def test_the_worker_runs_the_detectors_at_their_interval(
    api: Any, settings: Any, world: Any
) -> None:
    settings.FRICTION_DETECT_SECONDS = 300
    _search(api, NOTHING)
    assert frictions_detect_due().done == 1
    _search(api, NOTHING)
    assert frictions_detect_due().done == 0  # not due yet
    DetectorMark.objects.filter(name=detectors.SCHEDULE).update(
        last_at=timezone.now() - timedelta(seconds=301)
    )
    assert frictions_detect_due().done == 1
    settings.FRICTION_DETECT_SECONDS = 0
    assert frictions_detect_due().done == 0


def test_the_task_wraps_the_service(api: Any, world: Any) -> None:
    from govdesk.frictions.tasks import detect_frictions

    _search(api, NOTHING)
    assert detect_frictions.call()[Kind.SEARCH_NO_RESULT]["raised"] == 1


def test_every_automatic_kind_has_its_detector() -> None:
    by_hand = {Kind.REPORTED, Kind.POOR_RATING, Kind.SERVER_ERROR, Kind.DELIVERY_FAILED}
    assert set(detectors.DETECTORS) == set(Kind.values) - {str(k) for k in by_hand}


# --- the stats tallies --------------------------------------------------------------------


def test_the_stats_from_the_tallies_are_the_stats_from_the_frictions(
    api: Any, clerk: str, world: Any
) -> None:
    from govdesk.accounts.models import User
    from govdesk.common.principal import Principal
    from govdesk.frictions.selectors import _count, _scoped, _Totals, friction_stats
    from govdesk.frictions.tallies import tallies_rebuild

    _search(api, NOTHING)
    _search(api, "比特币矿机")
    _act(api, clerk, _submitted(api, clerk), "return", comment="照片不清晰")
    api.post("/api/v1/frictions", clerk, {"summary": "卡住了", "screen": "/staff/"})
    _detect()
    operator = Principal(kind="staff", user=User.objects.get(username="operator.data"))
    from_tallies = friction_stats(principal=operator)
    counted = _Totals()
    _count(_scoped(operator), counted)
    assert from_tallies == counted.stats()
    assert sum(from_tallies.by_kind.values()) == Friction.objects.count() == 4
    tallies_rebuild()
    assert friction_stats(principal=operator) == from_tallies
