"""Paths around the happy ones (paths issue): what a person already holds is not applied for
again without a word (items 3 and 9), and applications complete by themselves when what
follows their approval has happened (item 14)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from govdesk.accounts.models import User
from govdesk.applications import services
from govdesk.applications.errors import AlreadyHeld
from govdesk.applications.lifecycle import Status
from govdesk.applications.models import Application, BundleRun, Channel
from govdesk.catalog.models import CertificateType, Matter
from govdesk.certificates.models import Certificate
from govdesk.common.principal import Principal
from govdesk.organisations.models import Region
from govdesk.people.models import Person

from .conftest import staff_client

LI = "320205197405120027"
WANG = "320205196803090017"
CHEN = "32020519700815002X"  # 王建国's wife: the same household
BUNDLE = "BUNDLE-EMPLOYMENT-DIFFICULTY"
CERT = "CERT-RESIDENT-POPULATION"


def _clerk() -> Principal:
    return Principal(kind="staff", user=User.objects.get(username="clerk.chunlei"))


def _approve_all(run: BundleRun) -> None:
    run.applications.update(status=Status.APPROVED, decided_at=timezone.now())


def test_a_completed_bundle_is_not_started_again_without_a_reason(
    world: Any, api: Any, staff_token: Any
) -> None:
    run = services.bundle_start(principal=_clerk(), bundle_code=BUNDLE, applicant=LI)
    _approve_all(run)
    token = staff_token("clerk.chunlei")
    before = Application.objects.count()
    refused = api.post(f"/api/v1/bundles/{BUNDLE}/start", token, {"applicant": LI})
    assert refused.status_code == 409, refused.content
    body = refused.json()
    assert body["code"] == "already_held" and body["held"]["number"]
    assert Application.objects.count() == before  # nothing started, subsidy claim included
    again = api.post(
        f"/api/v1/bundles/{BUNDLE}/start",
        token,
        {"applicant": LI, "repeat_reason": "Employed and unemployed again since."},
    )
    assert again.status_code == 201, again.content
    assert Application.objects.count() == before + 4


def test_the_workbench_says_so_and_offers_to_start_with_a_reason(world: Any) -> None:
    run = services.bundle_start(principal=_clerk(), bundle_code=BUNDLE, applicant=LI)
    _approve_all(run)
    clerk: Client = staff_client("clerk.chunlei")
    page = clerk.post("/staff/bundles/start/", {"bundle": BUNDLE, "applicant": LI, "idem": "a"})
    assert page.status_code == 409
    html = page.content.decode()
    assert 'name="repeat_reason"' in html and "/staff/applications/" in html
    done = clerk.post(
        "/staff/bundles/start/",
        {"bundle": BUNDLE, "applicant": LI, "idem": "b", "repeat_reason": "changed"},
    )
    assert done.status_code == 302 and "/staff/bundles/" in done["Location"]


def test_a_step_already_held_is_skipped_and_the_rest_started(world: Any) -> None:
    first = services.application_create(
        principal=_clerk(), matter_code="HRSS-001", applicant=LI, channel=Channel.WINDOW
    )
    Application.objects.filter(pk=first.pk).update(
        status=Status.APPROVED, decided_at=timezone.now()
    )
    run = services.bundle_start(principal=_clerk(), bundle_code=BUNDLE, applicant=LI)
    assert 1 in run.skipped
    assert not run.applications.filter(step=1).exists()
    assert run.applications.count() == 3


def test_an_old_approval_does_not_hold(world: Any) -> None:
    matter = Matter.objects.get(code="HRSS-001")
    assert matter.repeat_after_days
    first = services.application_create(
        principal=_clerk(), matter_code="HRSS-001", applicant=LI, channel=Channel.WINDOW
    )
    long_ago = timezone.now() - timedelta(days=matter.repeat_after_days + 1)
    Application.objects.filter(pk=first.pk).update(status=Status.APPROVED, decided_at=long_ago)
    again = services.application_create(
        principal=_clerk(), matter_code="HRSS-001", applicant=LI, channel=Channel.WINDOW
    )
    assert again.pk != first.pk


def _valid_certificate(holder: Person) -> Certificate:
    region = Region.objects.get(code="320205005001")
    return Certificate.objects.create(
        number="TEST-HELD-1",
        type=CertificateType.objects.get(matter__code=CERT),
        application=Application.objects.create(
            number="GD-TEST-HELD-1",
            matter=Matter.objects.get(code=CERT),
            applicant=holder,
            region=region,
            channel=Channel.ONLINE,
            status=Status.COMPLETED,
            created_by="test",
        ),
        holder=holder,
        issuer=region,
        issuer_name="春雷社区",
        issued_at=timezone.now(),
        valid_until=timezone.localdate() + timedelta(days=30),
        token="test-held-token",
        pdf=b"",
        pdf_sha256="",
    )


def test_a_household_holding_a_valid_certificate_is_told_before_a_second(
    world: Any, api: Any, client: Client
) -> None:
    _valid_certificate(Person.objects.get(id_number=WANG))
    chen = Principal(kind="resident", person=Person.objects.get(id_number=CHEN))
    try:
        services.application_start_or_resume(
            principal=chen, matter_code=CERT, applicant=CHEN, channel=Channel.ONLINE
        )
    except AlreadyHeld as exc:
        assert exc.extra["held"]["number"] == "TEST-HELD-1"
        assert exc.extra["held"]["verify_url"].endswith("/verify/test-held-token")
    else:
        raise AssertionError("a second certificate was started without a word")
    made = services.application_start_or_resume(
        principal=chen,
        matter_code=CERT,
        applicant=CHEN,
        channel=Channel.ONLINE,
        repeat_reason="Our son moved out.",
    )
    event = made.events.get(action="create")
    assert event.detail == {"repeat_reason": "Our son moved out.", "held": "TEST-HELD-1"}


def test_the_guide_shows_the_valid_certificate_and_asks_why(
    world: Any, client: Client, settings: Any
) -> None:
    from .test_portal import sign_in

    settings.DEMO_SMS_ON_SCREEN = True
    _valid_certificate(Person.objects.get(id_number=WANG))
    sign_in(client, WANG)
    html = client.get(f"/matters/{CERT}/").content.decode()
    assert "TEST-HELD-1" in html and "/verify/test-held-token" in html
    assert 'name="repeat_reason"' in html


def test_an_approval_with_nothing_to_follow_waits_for_staff_to_complete(world: Any) -> None:
    application = services.application_create(
        principal=_clerk(), matter_code="HRSS-005", applicant=LI, channel=Channel.WINDOW
    )
    Application.objects.filter(pk=application.pk).update(status=Status.APPROVED)
    assert services.application_outcomes_run(application_id=application.pk) == {}
    application.refresh_from_db()
    assert application.status == Status.APPROVED
