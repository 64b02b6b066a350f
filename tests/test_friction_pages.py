"""The friction log's pages: report a stutter from a workbench field in one click, the inbox,
a problem's page where the bureau assigns and rectifies it by a change the platform applies,
the reporter's confirmation; the resident's report and 我的反馈."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.test import Client

from govdesk.accounts.models import User
from govdesk.applications.models import Application
from govdesk.audit.models import AuditEvent
from govdesk.frictions.models import Friction, ProblemStatus
from tests.conftest import staff_client

LI = "320205197405120027"
WANG = "320205196803090017"
FIELD = "insurance.contribution_grade"
MATTER = "HRSS-005"


def _application(clerk: Client) -> Application:
    from govdesk.applications import services
    from govdesk.common.principal import Principal

    return services.application_create(
        principal=Principal(kind="staff", user=User.objects.get(username="clerk.chunlei")),
        matter_code=MATTER,
        applicant=LI,
        channel="window",
    )


def test_report_a_field_from_the_workbench_and_close_the_loop(world: Any) -> None:
    clerk = staff_client("clerk.chunlei")
    application = _application(clerk)
    screen = f"/staff/applications/{application.pk}/"
    page = clerk.get(screen).content.decode()
    # One click from the field: the report link carries the application, field and screen.
    query = urlencode({"application": str(application.pk), "field": FIELD, "screen": screen})
    assert f"/staff/report/?application={application.pk}&amp;field={FIELD}" in page
    form = clerk.get(f"/staff/report/?{query}")
    assert form.status_code == 200
    assert "缴费" in form.content.decode() or "contribution" in form.content.decode().lower()
    sent = clerk.post(
        "/staff/report/",
        {
            "application": str(application.pk),
            "field": FIELD,
            "screen": screen,
            "summary": "每次都手选",
        },
    )
    assert sent.status_code == 302 and sent["Location"] == screen
    friction = Friction.objects.get()
    assert (friction.field, friction.application_id, friction.screen) == (
        FIELD,
        application.pk,
        screen,
    )
    assert friction.channel == "window" and friction.matter is not None
    assert friction.step is None or friction.step >= 1
    inbox = clerk.get("/staff/frictions/").content.decode()
    assert friction.number in inbox

    bureau = staff_client("operator.data")
    url = f"/staff/frictions/{friction.pk}/"
    detail = bureau.get(url)
    assert detail.status_code == 200 and 'value="assign"' in detail.content.decode()
    assigned = bureau.post(f"{url}actions/", {"action": "assign", "department": "hrss"})
    assert assigned.status_code == 302
    rectified = bureau.post(
        f"{url}actions/",
        {
            "action": "rectify",
            "note": "默认60%",
            "change_type": "field_default",
            "change_value": "60%",
        },
    )
    assert rectified.status_code == 302
    friction.problem.refresh_from_db()
    assert friction.problem.status == ProblemStatus.RECTIFIED
    assert friction.problem.change["default"] == "60%"

    seen = clerk.get(url).content.decode()
    assert "默认60%" in seen and 'value="confirm"' in seen
    clerk.post(f"{url}actions/", {"action": "confirm"})
    friction.problem.refresh_from_db()
    assert friction.problem.status == ProblemStatus.VERIFIED
    history = clerk.get(url).content.decode()
    for step in ("report", "assign", "rectify", "confirm"):
        assert f'data-action="{step}"' in history


def test_a_step_refused_says_why_and_changes_nothing(world: Any) -> None:
    clerk = staff_client("clerk.chunlei")
    application = _application(clerk)
    clerk.post("/staff/report/", {"application": str(application.pk), "screen": "/staff/"})
    friction = Friction.objects.get()
    bureau = staff_client("operator.data")
    url = f"/staff/frictions/{friction.pk}/"
    response = bureau.post(f"{url}actions/", {"action": "reject"}, follow=True)
    assert response.status_code == 200
    friction.problem.refresh_from_db()
    assert friction.problem.status == ProblemStatus.NEW
    other = staff_client("clerk.dongting")
    before = AuditEvent.objects.filter(action="friction.read", result="denied").count()
    assert other.get(url).status_code == 404
    assert AuditEvent.objects.filter(action="friction.read", result="denied").count() == before + 1


def test_a_resident_reports_and_reads_the_answer(
    client: Client, demo_sms: None, world: Any
) -> None:
    from tests.test_portal import sign_in

    sign_in(client, WANG)
    form = client.get("/report/?screen=/certificates/")
    assert form.status_code == 200
    sent = client.post("/report/", {"screen": "/certificates/", "summary": "找不到水电气用的证明"})
    assert sent.status_code == 302 and sent["Location"] == "/certificates/"
    friction = Friction.objects.get()
    assert friction.person is not None and friction.person.id_number == WANG
    assert friction.channel == "online" and friction.reporter == "resident"
    mine = client.get("/me/feedback/").content.decode()
    assert friction.number in mine
    assert client.get(f"/me/feedback/{friction.pk}/").status_code == 200
    other = Client()
    sign_in(other, LI)
    assert other.get(f"/me/feedback/{friction.pk}/").status_code == 404
    assert friction.number not in other.get("/me/feedback/").content.decode()


def test_the_dashboard_the_export_and_the_public_page(world: Any) -> None:
    import re

    from govdesk.common.principal import Principal
    from govdesk.frictions.models import Kind
    from govdesk.frictions.services import Context, friction_record, problem_act

    clerk = staff_client("clerk.chunlei")
    application = _application(clerk)
    clerk.post(
        "/staff/report/", {"application": str(application.pk), "field": FIELD, "screen": "/staff/"}
    )
    # A search that held a phone number and an ID number: neither may reach a public page.
    searched = friction_record(
        kind=Kind.SEARCH_NO_RESULT,
        source_ref="t:1",
        context=Context(query=f"13506171234 {LI} 老年证"),
    )
    assert searched is not None
    operator = Principal(kind="staff", user=User.objects.get(username="operator.data"))
    problem_act(
        principal=operator,
        problem_id=searched.problem.pk,
        action="rectify",
        note="加了俗称“老年证”",
    )
    bureau = staff_client("operator.data")
    board = bureau.get("/staff/frictions/dashboard/")
    assert board.status_code == 200
    html = board.content.decode()
    assert 'id="dashboard-data"' in html and "echarts.common.min.js" in html
    assert "13506171234" not in html and LI not in html
    csv = bureau.get("/staff/frictions/export.csv")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    body = csv.content.decode("utf-8-sig")
    assert "search_no_result" in body and "13506171234" not in body and LI not in body
    public = Client().get("/you-said-we-did/")
    assert public.status_code == 200
    text = public.content.decode()
    assert "老年证" in text
    assert not re.search(r"\d{17}[\dXx]", text) and not re.search(r"1[3-9]\d{9}", text)


def test_the_dashboard_shows_the_ratings(world: Any) -> None:
    from govdesk.people.models import Person
    from govdesk.ratings.models import Rating
    from tests.conftest import accepted_certificate_application

    wang = Person.objects.get(id_number=WANG)
    for number, level in (("GD-RATED-1", 2), ("GD-RATED-2", 5)):
        application = accepted_certificate_application(wang, number)
        Rating.objects.create(
            application=application,
            person=wang,
            stage="accepted",
            channel="window",
            level=level,
            region=application.region,
            department=application.matter.department,
        )
    html = staff_client("operator.data").get("/staff/frictions/dashboard/").content.decode()
    assert 'id="chart-ratings"' in html and 'id="chart-satisfaction"' in html
    assert "50 %" in html  # one poor rating of two
    assert "3.50" in html  # the month's mean level
    assert WANG not in html and "王建国" not in html
