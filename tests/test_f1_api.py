"""F1 — 就业困难认定和补贴一件事 for 李红梅 over the API."""

from __future__ import annotations

from typing import Any

import pytest

from govdesk.applications.models import Application, ApplicationEvent
from govdesk.forms.models import CapturedFact
from tests.conftest import pdf_text

LI = "320205197405120027"
BUNDLE = "BUNDLE-EMPLOYMENT-DIFFICULTY"
# What a clerk would type for the fields the system cannot know.
ANSWERS = {
    "insurance.contribution_grade": "60%",
    "employment.flexible_type": "个体经营",
    "employment.job_wish": "保洁",
    "person.skill_level": "无",
}


@pytest.fixture
def clerk(staff_token: Any) -> str:
    token: str = staff_token("clerk.chunlei")
    return token


def _start(api: Any, clerk: str) -> list[dict[str, Any]]:
    response = api.post(f"/api/v1/bundles/{BUNDLE}/start", clerk, {"applicant": LI})
    assert response.status_code == 201, response.content
    steps: list[dict[str, Any]] = response.json()["steps"]
    assert [s["matter_name"] for s in steps] == [
        "失业登记",
        "就业困难人员认定",
        "灵活就业人员参保登记",
        "灵活就业人员社会保险补贴申领",
    ]
    assert all(s["application"] for s in steps)
    return steps


def test_bundle_start_prefills_every_step(api: Any, clerk: str) -> None:
    steps = _start(api, clerk)
    first = api.get(f"/api/v1/applications/{steps[0]['application']}", clerk).json()
    fields = {f["key"]: f for f in first["fields"]}
    assert fields["person.name"]["value"] == "李红梅"
    assert fields["person.name"]["source"] == "registry"
    assert fields["employment.end_date"]["value"] == "2026-09-30"
    assert fields["person.id_number"]["value"] == "320205********0027"
    assert {m["status"] for m in first["materials"]} <= {"licence", "registry"}
    second = api.get(f"/api/v1/applications/{steps[1]['application']}", clerk).json()
    category = next(f for f in second["fields"] if f["key"] == "employment.difficulty_category")
    assert category["source"] == "derived" and "4050人员" in category["value"]
    card = next(m for m in second["materials"] if m["licence_type"] == "employment_card")
    assert card["status"] == "licence" and "失业登记" in card["evidence"]


def test_f1_end_to_end(api: Any, clerk: str, staff_token: Any) -> None:
    steps = _start(api, clerk)
    typed: list[str] = []
    forms: dict[int, str] = {}
    for step in steps:
        url = f"/api/v1/applications/{step['application']}"
        data = api.get(url, clerk).json()
        missing = {f["key"] for f in data["fields"] if f["missing"]}
        if missing:
            body = {"fields": {k: ANSWERS[k] for k in missing}, "version": data["version"]}
            response = api.patch(url, clerk, body)
            assert response.status_code == 200, response.content
            typed += sorted(missing)
            data = response.json()
        assert not [f["key"] for f in data["fields"] if f["missing"]]
        # Check the system first: every material of the checklist is resolved; the optional
        # ones (a 居住证 for non-residents, a 低保 certificate …) are not asked for either.
        assert data["materials"], "the checklist is part of the application"
        assert all(m["status"] != "required" for m in data["materials"]), data["materials"]
        assert not [m for m in data["optional_materials"] if m["required"]]
        response = api.post(f"{url}/submit", clerk, Idempotency_Key=f"submit-{step['order']}")
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "submitted"
        # Printed for her to sign: her numbers in full (an audited unmasking).
        pdf = api.get(f"{url}/form.pdf?for=signature", clerk)
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
        forms[step["order"]] = pdf_text(pdf.content)
    assert len(typed) <= 4, typed
    assert len(typed) == len(set(typed)), "a data element was typed twice"
    # Each step's generated form carries her name and number (she signs it on paper), and the
    # values typed once are printed on every later form that has the field.
    assert len(forms) == 4
    for order, text in forms.items():
        assert "李红梅" in text, (order, text[:400])
        assert LI in text, order
    enrolment, subsidy_form = forms[steps[2]["order"]], forms[steps[3]["order"]]
    assert "灵活就业人员参保登记表" in enrolment
    assert "个体经营" in enrolment and "60%" in enrolment and "6214960012345678901" in enrolment
    assert "个体经营" in subsidy_form and "60%" in subsidy_form
    # The contribution grade typed once in step 3 is in step 4 already, as a captured fact.
    subsidy = api.get(f"/api/v1/applications/{steps[3]['application']}", clerk).json()
    grade = next(f for f in subsidy["fields"] if f["key"] == "insurance.contribution_grade")
    assert grade["value"] == "60%" and grade["source"] in {"captured", "typed"}
    assert CapturedFact.objects.filter(person__id_number=LI).count() == len(typed)

    reviewer, approver = staff_token("reviewer.yunlin"), staff_token("approver.hrss")
    for step in steps:
        url = f"/api/v1/applications/{step['application']}"
        for token, action in (
            (clerk, "accept"),
            (reviewer, "approve"),
            (approver, "approve"),
            (approver, "complete"),
        ):
            response = api.post(f"{url}/actions", token, {"action": action})
            assert response.status_code == 200, (action, response.content)
        final = api.get(url, clerk).json()
        assert final["status"] == "completed"
        # Every event of her application, in order, with who did it, in which role, and when.
        edited = [("edit", "clerk.chunlei", "clerk", "draft")] if step["order"] == 3 else []
        expected = [
            ("create", "clerk.chunlei", "clerk", "draft"),
            *edited,
            ("submit", "clerk.chunlei", "clerk", "submitted"),
            ("accept", "clerk.chunlei", "clerk", "accepted"),
            ("approve", "reviewer.yunlin", "reviewer", "reviewed"),
            ("approve", "approver.hrss", "approver", "approved"),
            ("complete", "approver.hrss", "approver", "completed"),
        ]
        timeline = [(e["action"], e["actor"], e["role"], e["to"]) for e in final["timeline"]]
        assert timeline == expected, (step["matter_name"], timeline)
        assert all(e["at"] for e in final["timeline"])
        stamps = [e["at"] for e in final["timeline"]]
        assert stamps == sorted(stamps)
        stored = ApplicationEvent.objects.filter(application_id=step["application"])
        assert stored.count() == len(expected)
        assert final["deadline"] and final["submitted_at"]


def test_contradicting_registry_is_flagged_not_overwritten(api: Any, clerk: str) -> None:
    created = api.post(
        "/api/v1/applications", clerk, {"matter": "HRSS-001", "applicant": LI, "channel": "window"}
    ).json()
    url = f"/api/v1/applications/{created['id']}"
    response = api.patch(url, clerk, {"fields": {"person.phone": "13900000000"}})
    assert response.status_code == 200
    phone = next(f for f in response.json()["fields"] if f["key"] == "person.phone")
    assert phone["source"] == "registry"
    assert phone["conflict"]["typed"] == "13900000000"
    from govdesk.people.models import Person

    assert Person.objects.get(id_number=LI).phone == "13861701234"


def test_bad_fields_get_422_and_change_nothing(api: Any, clerk: str) -> None:
    created = api.post(
        "/api/v1/applications", clerk, {"matter": "HRSS-005", "applicant": LI}
    ).json()
    url = f"/api/v1/applications/{created['id']}"
    response = api.patch(
        url,
        clerk,
        {
            "fields": {
                "insurance.contribution_grade": "999%",
                "insurance.start_month": "2026-13",
                "employment.flexible_type": "个体经营",
                "no.such": "x",
                "person.age": 30,
            }
        },
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_fields" and response.json()["message"]
    locs = {tuple(d["loc"]) for d in response.json()["detail"]}
    assert ("body", "fields", "insurance.contribution_grade") in locs
    assert ("body", "fields", "no.such") in locs
    assert ("body", "fields", "person.age") in locs
    assert all(d["msg"] for d in response.json()["detail"])
    assert not CapturedFact.objects.filter(person__id_number=LI).exists()
    assert api.get(url, clerk).json()["version"] == created["version"]


def test_stale_version_gets_409_with_both_versions(api: Any, clerk: str) -> None:
    created = api.post(
        "/api/v1/applications", clerk, {"matter": "HRSS-005", "applicant": LI}
    ).json()
    url = f"/api/v1/applications/{created['id']}"
    first = api.patch(
        url,
        clerk,
        {"fields": {"employment.flexible_type": "个体经营"}, "version": created["version"]},
    )
    assert first.status_code == 200
    second = api.patch(
        url,
        clerk,
        {"fields": {"insurance.contribution_grade": "80%"}, "version": created["version"]},
    )
    assert second.status_code == 409
    body = second.json()
    assert body["your_version"] == created["version"]
    assert body["current_version"] == first.json()["version"]


def test_submit_twice_with_one_key_creates_one_submission(api: Any, clerk: str) -> None:
    steps = _start(api, clerk)
    url = f"/api/v1/applications/{steps[0]['application']}"
    responses = [api.post(f"{url}/submit", clerk, Idempotency_Key="same") for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert len({r.json()["version"] for r in responses}) == 1
    events = ApplicationEvent.objects.filter(
        application_id=steps[0]["application"], action="submit"
    )
    assert events.count() == 1
    again = api.post(f"{url}/submit", clerk)  # no key: the state says it is done
    assert again.status_code == 409


def test_other_community_clerk_cannot_read_or_act(api: Any, clerk: str, staff_token: Any) -> None:
    """clerk.dongting (东亭, another community) gets "not found" for every one of her
    applications, whatever the request, and changes nothing; each refusal is audited."""
    from govdesk.audit.models import AuditEvent

    steps = _start(api, clerk)
    first = f"/api/v1/applications/{steps[0]['application']}"
    assert api.post(f"{first}/submit", clerk).status_code == 200  # one waits to be accepted
    other = staff_token("clerk.dongting")
    before = {
        a.pk: (a.status, a.version, a.events.count())
        for a in Application.objects.filter(applicant__id_number=LI)
    }
    for step in steps:
        url = f"/api/v1/applications/{step['application']}"
        version = api.get(url, clerk).json()["version"]
        refused = {
            "GET": api.get(url, other),
            "PATCH": api.patch(
                url, other, {"fields": {"employment.job_wish": "保洁"}, "version": version}
            ),
            "submit": api.post(f"{url}/submit", other, Idempotency_Key=f"o-{step['order']}"),
            "accept": api.post(f"{url}/actions", other, {"action": "accept"}),
            "refuse": api.post(f"{url}/actions", other, {"action": "refuse", "comment": "x"}),
            "form.pdf": api.get(f"{url}/form.pdf", other),
        }
        for what, response in refused.items():
            assert response.status_code == 404, (step["matter_name"], what, response.content)
            assert "李红梅" not in response.content.decode(errors="replace"), what
    after = {
        a.pk: (a.status, a.version, a.events.count())
        for a in Application.objects.filter(applicant__id_number=LI)
    }
    assert after == before
    assert not CapturedFact.objects.filter(person__id_number=LI).exists()
    for status in ("draft", "submitted"):
        queue = api.get(f"/api/v1/applications?status={status}", other).json()["results"]
        assert all(item["applicant"]["name"] != "李红梅" for item in queue)
    assert all(
        i["applicant"]["name"] != "李红梅"
        for i in api.get("/api/v1/applications", other).json()["results"]
    )
    started = api.post(f"/api/v1/bundles/{BUNDLE}/start", other, {"applicant": LI})
    assert started.status_code == 403
    denied = AuditEvent.objects.filter(actor="clerk.dongting", result="denied")
    assert denied.filter(action="application.read").count() >= len(steps)


def test_wrong_role_cannot_act(api: Any, clerk: str, staff_token: Any) -> None:
    steps = _start(api, clerk)
    url = f"/api/v1/applications/{steps[0]['application']}"
    api.post(f"{url}/submit", clerk)
    response = api.post(f"{url}/actions", staff_token("reviewer.yunlin"), {"action": "accept"})
    assert response.status_code == 403
    assert Application.objects.get(pk=steps[0]["application"]).status == "submitted"


def test_li_is_offered_the_bundle(db: None, world: Any) -> None:
    from govdesk.applications.selectors import offers_for

    assert [o.code for o in offers_for(id_number=LI)] == [BUNDLE]


def test_starting_an_open_bundle_again_resumes_it(api: Any, clerk: str) -> None:
    first = api.post(f"/api/v1/bundles/{BUNDLE}/start", clerk, {"applicant": LI}).json()
    again = api.post(f"/api/v1/bundles/{BUNDLE}/start", clerk, {"applicant": LI})
    assert again.status_code == 201, again.content
    assert again.json()["id"] == first["id"]
    assert again.json()["steps"] == first["steps"]
    assert Application.objects.filter(bundle_run_id=first["id"]).count() == 4
    # Once every step has left the draft state, they are under way: a new start would only
    # duplicate them, so it is refused with what is under way, unless a reason is given.
    for step in first["steps"]:
        Application.objects.filter(pk=step["application"]).update(status="submitted")
    refused = api.post(f"/api/v1/bundles/{BUNDLE}/start", clerk, {"applicant": LI})
    assert refused.status_code == 409 and refused.json()["code"] == "already_held"
    fresh = api.post(
        f"/api/v1/bundles/{BUNDLE}/start", clerk, {"applicant": LI, "repeat_reason": "lost"}
    ).json()
    assert fresh["id"] != first["id"]


def test_a_key_reused_for_a_different_request_is_refused(api: Any, clerk: str) -> None:
    body = {"matter": "HRSS-001", "applicant": LI, "channel": "window"}
    first = api.post("/api/v1/applications", clerk, body, Idempotency_Key="k-1")
    assert first.status_code == 201, first.content
    again = api.post("/api/v1/applications", clerk, body, Idempotency_Key="k-1")
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    before = Application.objects.count()
    other = api.post(
        "/api/v1/applications", clerk, {**body, "matter": "MCA-007"}, Idempotency_Key="k-1"
    )
    assert other.status_code == 422, other.content
    assert other.json()["detail"]
    assert Application.objects.count() == before


def test_a_form_with_an_unprintable_character_is_refused_clearly(
    api: Any, clerk: str, world: Any
) -> None:
    """A name no font can print stops the form with 422 naming the character; never a 500,
    never a box on paper."""
    from datetime import date

    from govdesk.common.idnumbers import make
    from govdesk.demo.loader import CHUNLEI
    from govdesk.people.services import household_upsert, person_upsert

    number = make("320205", date(1960, 1, 1), 993)
    person = person_upsert(id_number=number, name="王\ue000")  # Private Use Area: no glyph
    household_upsert(
        number="320205005001993",
        address="无锡市锡山区云林街道春雷苑9幢9单元903室",
        region=world[CHUNLEI],
        members=[(person, "head", date(2000, 1, 1))],
    )
    created = api.post("/api/v1/applications", clerk, {"matter": "HRSS-001", "applicant": number})
    assert created.status_code == 201, created.content
    response = api.get(f"/api/v1/applications/{created.json()['id']}/form.pdf", clerk)
    assert response.status_code == 422, response.content[:300]
    body = response.json()
    assert body["code"] == "uncovered_characters" and "U+E000" in body["detail"]


def test_a_server_without_fonts_says_so_with_503(
    api: Any, clerk: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    created = api.post("/api/v1/applications", clerk, {"matter": "HRSS-001", "applicant": LI})
    monkeypatch.setenv("GOVDESK_FONT_PATHS", str(tmp_path / "no-fonts-here"))
    response = api.get(f"/api/v1/applications/{created.json()['id']}/form.pdf", clerk)
    assert response.status_code == 503, response.content[:300]
    assert response.json()["code"] == "fonts_missing"
    assert str(tmp_path) not in response.json()["detail"]  # server paths stay in the log


def test_the_card_issued_by_step_one_reaches_step_two(
    api: Any,
    clerk: str,
    staff_token: Any,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    """就业创业证 is issued when 失业登记 (step 1) is approved; step 2 says so until then and
    shows (and prints) its number after, even though step 2 was submitted before."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    steps = _start(api, clerk)
    first, second = (f"/api/v1/applications/{s['application']}" for s in steps[:2])
    for url in (first, second):
        data = api.get(url, clerk).json()
        missing = {f["key"] for f in data["fields"] if f["missing"]}
        if missing:
            body = {"fields": {k: ANSWERS[k] for k in missing}, "version": data["version"]}
            assert api.patch(url, clerk, body).status_code == 200
        assert api.post(f"{url}/submit", clerk).status_code == 200
    card = next(
        f for f in api.get(second, clerk).json()["fields"] if f["key"] == "licence.employment_card"
    )
    assert card["source"] == "produced" and "失业登记" in card["origin"] and not card["missing"]
    assert "待第1. 失业登记办结后核发" in pdf_text(api.get(f"{second}/form.pdf", clerk).content)

    reviewer, approver = staff_token("reviewer.yunlin"), staff_token("approver.hrss")
    with django_capture_on_commit_callbacks(execute=True):
        for token, action in ((clerk, "accept"), (reviewer, "approve"), (approver, "approve")):
            assert api.post(f"{first}/actions", token, {"action": action}).status_code == 200
    card = next(
        f for f in api.get(second, clerk).json()["fields"] if f["key"] == "licence.employment_card"
    )
    assert card["source"] == "licence" and card["value"], card
    assert str(card["value"]) in pdf_text(api.get(f"{second}/form.pdf", clerk).content)


def test_a_body_that_is_not_json_is_400_with_a_code(client: Any, clerk: str) -> None:
    response = client.post(
        "/api/v1/applications",
        data="{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {clerk}", "Accept-Language": "zh-hans"},
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "无法解析请求体", "code": "bad_request"}


@pytest.mark.parametrize("matter", ["", "hrss-001", "HRSS 001", "HRSS-001\n", "A" * 70])
def test_a_matter_code_of_the_wrong_form_is_refused_before_anything_runs(
    api: Any, clerk: str, matter: str
) -> None:
    before = Application.objects.count()
    response = api.post(
        "/api/v1/applications",
        clerk,
        {"matter": matter, "applicant": LI},
        **{"Accept-Language": "zh-hans"},
    )
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "invalid_request" and body["message"]
    assert [d["loc"] for d in body["detail"]] == [["body", "payload", "matter"]]
    assert Application.objects.count() == before


def test_a_pattern_message_is_translated(api: Any, clerk: str) -> None:
    response = api.post(
        "/api/v1/applications",
        clerk,
        {"matter": "hrss-001", "applicant": LI},
        **{"Accept-Language": "zh-hans"},
    )
    assert response.json()["detail"][0]["msg"].startswith("应符合格式")


@pytest.mark.parametrize(
    ("method", "path", "body", "loc"),
    [
        ("GET", "/api/v1/matters?q=a%00b", None, "query.q"),
        (
            "POST",
            "/api/v1/people/lookup",
            {"id_number": LI, "purpose": "\x00"},
            "body.body.purpose",
        ),
        ("GET", "/api/v1/verify/a%00b", None, "path.token"),
        ("POST", "/api/v1/certificates/x/revoke", {"reason": "a\x00"}, "body.payload.reason"),
        (
            "PATCH",
            "/api/v1/applications/{id}",
            {"fields": {"x": ["\x00"]}},
            "body.payload.fields.x.0",
        ),
    ],
)
def test_text_with_the_nul_character_is_refused_everywhere(
    api: Any, clerk: str, method: str, path: str, body: Any, loc: str
) -> None:
    """PostgreSQL can neither store nor compare it: without this, a 500 there."""
    created = api.post("/api/v1/applications", clerk, {"matter": "HRSS-005", "applicant": LI})
    path = path.replace("{id}", created.json()["id"])
    chinese = {"Accept-Language": "zh-hans"}
    if body is None:
        response = api.get(path, clerk, **chinese)
    else:
        response = api.send(method, path, clerk, body, **chinese)
    assert response.status_code == 422, response.content
    (error,) = response.json()["detail"]
    assert error["type"] == "nul_character" and "空字符（U+0000）" in error["msg"]
    assert ".".join(map(str, error["loc"])) == loc
