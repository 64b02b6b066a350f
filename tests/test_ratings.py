"""好差评 (issue 12, item 5): 王建国 rates his completed 常住人口信息证明; a 差评 opens a
``poor_rating`` friction for the community, due 15 working days ahead (holidays from the
workday calendar), that closes only after the return visit (回访); the same stage is rated
once; nobody else rates it; a completed application left unrated is invited once (智能邀评);
after the rectification he rates again (复评)."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from govdesk.accounts.models import SmsMessage
from govdesk.accounts.services import token_create
from govdesk.applications.lifecycle import Action, Status
from govdesk.applications.models import Application, ApplicationEvent
from govdesk.applications.workdays import add_working_days, is_working_day, load_calendar
from govdesk.audit.models import AuditEvent
from govdesk.common.roles import SYSTEM, SYSTEM_NAME
from govdesk.frictions.models import Kind, Problem, ProblemStatus
from govdesk.people.models import Person
from govdesk.portal.session import RESIDENT_KEY, SEEN_AT_KEY, SIGNED_IN_AT_KEY
from govdesk.ratings.models import Rating, RatingInvitation, Stage
from govdesk.ratings.services import ratings_invite
from tests.conftest import accepted_certificate_application, staff_client

WANG = "320205196803090017"
LI = "320205197405120027"
WANG_PHONE = "13506171234"


def _completed(number: str = "RT0001", *, days_ago: int = 0) -> Application:
    """王建国's 常住人口信息证明, completed (办结) ``days_ago`` days ago."""
    application = accepted_certificate_application(Person.objects.get(id_number=WANG), number)
    Application.objects.filter(pk=application.pk).update(status=Status.COMPLETED)
    event = ApplicationEvent.objects.create(
        application=application,
        action=Action.COMPLETE,
        from_status=Status.APPROVED,
        to_status=Status.COMPLETED,
        actor=SYSTEM_NAME,
        actor_role=SYSTEM,
    )
    ApplicationEvent.objects.filter(pk=event.pk).update(
        at=timezone.now() - timedelta(days=days_ago)
    )
    application.refresh_from_db()
    return application


@pytest.fixture
def wang(world: Any) -> str:
    return token_create(resident=Person.objects.get(id_number=WANG))


def _rate(api: Any, token: str, application: Application, **body: Any) -> Any:
    return api.post(f"/api/v1/applications/{application.pk}/rating", token, body)


def test_a_poor_rating_opens_a_friction_for_the_community(
    api: Any, wang: str, staff_token: Any
) -> None:
    application = _completed()
    response = _rate(
        api,
        wang,
        application,
        level=2,
        indicators={"overall": 2, "attitude": 3},
        channel="window",
        comment="等了很久",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["stage"] == "completed" and body["level"] == 2 and body["channel"] == "window"
    friction = body["friction"]
    assert friction is not None and friction["department"] == "community"
    assert friction["status"] == "assigned"
    due = add_working_days(timezone.localdate(), 15)
    assert friction["deadline"] == due.isoformat()

    problem = Problem.objects.get(number=friction["problem"])
    assert problem.kind == Kind.POOR_RATING and problem.department is not None
    assert problem.deadline == due
    first = problem.frictions.get()
    assert first.region is not None and first.region.name == "春雷社区"
    assert first.application_id == application.pk and first.channel == "window"
    assert AuditEvent.objects.filter(action="rating.submit", result="ok").count() == 1

    # It cannot close without the return visit: neither rectified nor rejected.
    clerk = staff_token("clerk.chunlei")
    url = f"/api/v1/frictions/{first.id}/actions"
    assert api.post(url, clerk, {"action": "start"}).status_code == 200
    refused = api.post(url, clerk, {"action": "rectify", "note": "已改进窗口叫号"})
    assert refused.status_code == 422, refused.content
    assert "return_visit" in str(refused.json())
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.RECTIFYING
    done = api.post(
        url,
        clerk,
        {
            "action": "rectify",
            "note": "已改进窗口叫号",
            "return_visit": "12月9日电话回访王建国，说明整改情况，本人表示认可",
        },
    )
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "rectified"
    last = problem.events.order_by("-at", "-id").first()
    assert last is not None and "电话回访" in last.detail["return_visit"]


def test_the_same_stage_twice_is_409_and_another_resident_404(
    api: Any, wang: str, staff_token: Any
) -> None:
    application = _completed()
    assert _rate(api, wang, application, level=5).status_code == 201
    again = _rate(api, wang, application, level=1)
    assert again.status_code == 409, again.content
    assert Rating.objects.filter(application=application).count() == 1

    li = token_create(resident=Person.objects.get(id_number=LI))
    assert _rate(api, li, application, level=1).status_code == 404
    # Staff who read it may not rate for the resident; staff who may not read it find nothing.
    assert _rate(api, staff_token("clerk.chunlei"), application, level=5).status_code == 403
    assert _rate(api, staff_token("clerk.dongting"), application, level=5).status_code == 404
    assert Rating.objects.filter(application=application).count() == 1
    denied = AuditEvent.objects.filter(action__in=["rating.submit", "application.read"])
    assert denied.filter(result="denied").count() == 3


def test_bad_input_is_422_and_a_draft_has_nothing_to_rate(api: Any, wang: str) -> None:
    application = _completed()
    assert _rate(api, wang, application, level=6).status_code == 422
    wrong = _rate(api, wang, application, level=4, channel="online", indicators={"attitude": 4})
    assert wrong.status_code == 422  # 服务态度 is a window indicator
    draft = accepted_certificate_application(Person.objects.get(id_number=WANG), "RT0002")
    Application.objects.filter(pk=draft.pk).update(status=Status.DRAFT)
    assert _rate(api, wang, draft, level=4).status_code == 409
    assert not Rating.objects.exists()


def test_a_rating_is_never_changed(world: Any) -> None:
    application = _completed()
    rating = Rating.objects.create(
        application=application,
        person=application.applicant,
        stage=Stage.COMPLETED,
        channel="online",
        level=5,
        region=application.region,
    )
    rating.level = 1
    with pytest.raises(ValueError, match="never changed"):
        rating.save()
    assert Rating.objects.get(pk=rating.pk).level == 5
    # Nor in the admin: the model is not registered there.
    from django.contrib import admin

    assert not admin.site.is_registered(Rating)


def test_rating_again_after_the_rectification(api: Any, wang: str, staff_token: Any) -> None:
    application = _completed()
    first = _rate(api, wang, application, level=1).json()
    assert first["friction"]["status"] == "assigned"
    # Nothing to rate again before it is put right.
    assert _rate(api, wang, application, level=4).status_code == 409
    problem = Problem.objects.get(number=first["friction"]["problem"])
    friction = problem.frictions.get()
    clerk = staff_token("clerk.chunlei")
    rectified = api.post(
        f"/api/v1/frictions/{friction.id}/actions",
        clerk,
        {"action": "rectify", "note": "已整改", "return_visit": "电话回访，本人认可"},
    )
    assert rectified.status_code == 200, rectified.content
    again = _rate(api, wang, application, level=4)
    assert again.status_code == 201, again.content
    assert again.json()["stage"] == "rerating" and again.json()["round"] == 1
    assert again.json()["friction"] is None
    assert _rate(api, wang, application, level=5).status_code == 409


def test_invited_once_after_three_days(world: Any) -> None:
    fresh = _completed("RT0003", days_ago=1)
    due = _completed("RT0004", days_ago=4)
    rated = _completed("RT0005", days_ago=5)
    Rating.objects.create(
        application=rated,
        person=rated.applicant,
        stage=Stage.COMPLETED,
        channel="online",
        level=5,
        region=rated.region,
    )
    before = SmsMessage.objects.filter(phone=WANG_PHONE).count()
    report = ratings_invite()
    assert report.invited == 1
    assert RatingInvitation.objects.filter(application=due, sent=True).exists()
    assert not RatingInvitation.objects.filter(application__in=[fresh, rated]).exists()
    sent = SmsMessage.objects.filter(phone=WANG_PHONE).order_by("-id")
    assert sent.count() == before + 1
    text = sent[0].text
    assert due.number in text and f"/me/applications/{due.pk}/rating/" in text
    # Once: running it again (the command) invites nobody.
    out = StringIO()
    call_command("ratings", "invite", stdout=out)
    assert "invited 0" in out.getvalue()
    assert SmsMessage.objects.filter(phone=WANG_PHONE).count() == before + 1
    assert AuditEvent.objects.filter(action="rating.invite").count() == 1


def _resident_client(id_number: str) -> Client:
    import time

    client = Client(headers={"Accept-Language": "en"})
    session = client.session
    session[RESIDENT_KEY] = Person.objects.get(id_number=id_number).pk
    session[SIGNED_IN_AT_KEY] = session[SEEN_AT_KEY] = int(time.time())
    session.save()
    return client


def test_the_portal_form_and_the_window_qr_code(world: Any) -> None:
    application = _completed()
    client = _resident_client(WANG)
    page = client.get(f"/me/applications/{application.pk}/")
    assert page.status_code == 200
    rating_url = f"/me/applications/{application.pk}/rating/"
    assert rating_url.encode() in page.content
    form = client.get(f"{rating_url}?channel=window")
    html = form.content.decode()
    assert form.status_code == 200
    assert html.count('type="radio" name="level"') == 5
    assert "Attitude of service" in html  # a window indicator
    posted = client.post(
        rating_url, {"channel": "window", "level": "4", "indicator-attitude": "5", "comment": ""}
    )
    assert posted.status_code == 302
    rating = Rating.objects.get(application=application)
    assert rating.channel == "window" and rating.indicators == {"attitude": 5}
    assert client.get(rating_url).content.decode().count('type="radio"') == 0

    # The clerk's page shows the QR code of the resident's rating page.
    workbench = staff_client("clerk.chunlei").get(f"/staff/applications/{application.pk}/")
    assert workbench.status_code == 200
    body = workbench.content.decode()
    assert "<svg" in body and f"{rating_url}?channel=window" in body


def test_the_workday_calendar(tmp_path: Path, settings: Any) -> None:
    # 国庆节 2026: 10月1日至7日 off, Saturday 10月10日 worked.
    assert not is_working_day(date(2026, 10, 1))
    assert is_working_day(date(2026, 10, 10))
    assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert add_working_days(date(2026, 9, 28), 15) == date(2026, 10, 23)
    # 春节: 2月14日 (Saturday) worked, 15日至23日 off.
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert add_working_days(date(2026, 2, 14), 1) == date(2026, 2, 24)
    # Another calendar, named by the setting.
    other = tmp_path / "calendar.yaml"
    other.write_text("2030:\n  holidays: [2030-01-01]\n  workdays: []\n", encoding="utf-8")
    settings.WORKDAY_CALENDAR = str(other)
    assert add_working_days(date(2029, 12, 31), 1) == date(2030, 1, 2)
    assert load_calendar(other).years == frozenset({2030})


def test_the_worker_invites_on_its_own_schedule(world: Any, settings: Any) -> None:
    """The outbox worker's passes run 智能邀评 once an interval, whichever worker comes first."""
    from govdesk.ratings.services import ratings_invite_due

    due = _completed("RT0009", days_ago=4)
    settings.RATING_INVITE_SECONDS = 3600
    assert ratings_invite_due().done == 1
    assert RatingInvitation.objects.filter(application=due, sent=True).exists()
    assert ratings_invite_due().done == 0  # not due again within the hour
    settings.RATING_INVITE_SECONDS = 0
    assert ratings_invite_due().done == 0  # off
