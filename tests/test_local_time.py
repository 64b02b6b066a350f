"""One time zone for people: every date and time shown or printed is the deployment's local
time (``GOVDESK_TIME_ZONE``, Asia/Shanghai), never a UTC date. The clock is stopped at 00:30 on
1 January 2027 in Shanghai, which is still 31 December 2026, 16:30, in UTC: a date taken in
UTC (or from the server's clock, ``date.today()``) shows the day before, and this test sees it.

Also: the promised time (承诺时限) and the statutory time limit (法定时限) read alike on the
guide, the resident's application and the workbench; staff and resident read the same status
names (the lifecycle table's)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from govdesk.accounts.models import User
from govdesk.applications.lifecycle import Status, event_label
from govdesk.applications.models import Application
from govdesk.applications.services import application_act
from govdesk.catalog.models import Matter
from govdesk.common.principal import Principal
from tests.conftest import CERTIFICATE_MATTER, pdf_text, staff_client
from tests.test_portal import sign_in
from tests.test_workbench import LI, start_bundle

pytestmark = pytest.mark.django_db

WANG = "320205196803090017"
#: 00:30 on 1 January 2027 in Shanghai: 16:30 on 31 December 2026 in UTC.
MIDNIGHT_PAST = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
TODAY, YESTERDAY = "2027-01-01", "2026-12-31"
SRC = Path(__file__).resolve().parent.parent / "src" / "govdesk"


def visible(response: Any) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def row(html: str, slug: str) -> str:
    """The HTML of one row of the once-only form."""
    start = html.index(f'id="fact-{slug}"')
    return html[start : html.index('class="fact-notes"', start)]


def same_day(text: str, where: str) -> None:
    assert TODAY in text or "2027年1月1日" in text, f"{where}: no local date in {text[:1500]}"
    assert YESTERDAY not in text and "2026年12月31日" not in text, f"{where}: a UTC date"


@pytest.fixture
def half_past_midnight(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The clock at ``MIDNIGHT_PAST``, running on from there."""
    settings.TIME_ZONE = "Asia/Shanghai"
    settings.DEMO_SMS_ON_SCREEN = True
    started = time.monotonic()
    monkeypatch.setattr(
        timezone, "now", lambda: MIDNIGHT_PAST + timedelta(seconds=time.monotonic() - started)
    )
    yield


def wang_applies(language: str = "zh-hans") -> tuple[Client, str, Application]:
    """王建国 signed in (reading ``language``) with a 常住人口信息证明 application started:
    his browser, the application's page and the application."""
    resident = Client(headers={"Accept-Language": language})
    sign_in(resident, WANG)
    url = resident.post(f"/matters/{CERTIFICATE_MATTER}/apply/")["Location"]
    application = Application.objects.get(
        applicant__id_number=WANG, matter__code=CERTIFICATE_MATTER
    )
    return resident, url, application


def test_no_date_from_the_servers_clock() -> None:
    """The server's clock is in UTC (or anything): dates come from ``timezone.localdate()``."""
    found = [
        f"{path.relative_to(SRC)}:{n}"
        for path in SRC.rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\bdate\.today\(\)|datetime\.now\(\)|datetime\.utcnow\(\)", line)
        and "server clock: no Django settings" not in line
    ]
    assert not found, found


def test_the_portal_shows_todays_date_after_midnight(half_past_midnight: None) -> None:
    resident, url, application = wang_applies()
    assert application.number.startswith("GD20270101")
    same_day(visible(resident.get(url)), "application (draft)")
    resident.post(url + "submit/")
    same_day(visible(resident.get("/me/")), "my applications")
    clerk = Principal(kind="staff", user=User.objects.get(username="clerk.chunlei"))
    application_act(principal=clerk, application_id=application.pk, action="accept")
    application.refresh_from_db()
    assert application.deadline is not None and application.deadline > datetime(2027, 1, 1).date()
    page = visible(resident.get(url))
    same_day(page, "application (accepted)")
    assert "办结期限" in page and application.deadline.isoformat() in page
    # A form's "next month" is counted from today in Shanghai (January, so February).
    other = Client(headers={"Accept-Language": "zh-hans"})
    sign_in(other, LI)
    enrolment = other.post("/matters/HRSS-005/apply/")["Location"]
    page = " ".join(visible(other.get(enrolment)).split())
    assert "参保起始年月 2027-02" in page, page[:3000]


def test_the_workbench_and_the_printed_form_show_todays_date(half_past_midnight: None) -> None:
    pytest.importorskip("govdesk.documents.pdf")
    clerk = staff_client("clerk.chunlei")
    url = start_bundle(clerk, "midnight")
    html = clerk.get(url).content.decode()
    same_day(visible(clerk.get(url)), "bundle screen")
    # The registration date of step 1 is today in Shanghai; enrolment starts next month.
    assert row(html, "unemployment-registration-date").count('value="2027-01-01"') == 1
    assert row(html, "insurance-start-month").count('value="2027-02"') == 1
    steps = list(Application.objects.filter(applicant__id_number=LI).order_by("step"))
    assert all(s.number.startswith("GD20270101") for s in steps)
    application = visible(clerk.get(f"/staff/applications/{steps[0].pk}/"))
    same_day(application, "application page")
    found = clerk.post("/staff/people/find/", {"id_number": LI}, follow=True)
    same_day(visible(found), "person page (open applications)")
    printed = []
    for step in (steps[0], steps[2]):
        pdf = clerk.get(f"/staff/applications/{step.pk}/form.pdf")
        assert pdf.status_code == 200, pdf.content[:300]
        printed.append(" ".join(pdf_text(pdf.content).split()))
        same_day(printed[-1], f"printed form of step {step.step}")
    # The form's time of printing, and the registration date (the text runs by columns).
    assert printed[0].count("2027-01-01") >= 2 and "失业登记日期" in printed[0], printed[0]
    assert "2027-02" in printed[1] and "参保起始年月" in printed[1], printed[1]


def test_the_certificate_carries_todays_date(
    half_past_midnight: None,
    settings: Any,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    pytest.importorskip("govdesk.certificates.services")
    from govdesk.certificates.services import demo_pki_load

    settings.PKI_DIR = tmp_path
    settings.SIGNING_KEY_PASSPHRASE = "midnight-passphrase"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    demo_pki_load()
    resident, url, application = wang_applies()
    resident.post(url + "submit/")
    for username, action in (("clerk.chunlei", "accept"), ("reviewer.yunlin", "approve")):
        staff = Principal(kind="staff", user=User.objects.get(username=username))
        with django_capture_on_commit_callbacks(execute=True):
            application_act(principal=staff, application_id=application.pk, action=action)
    listing = visible(resident.get("/me/certificates/"))
    same_day(listing, "my certificates")
    link = re.search(
        r'href="(/me/certificates/[^/"]+/download/)"', resident.get("/me/").content.decode()
    )
    assert link
    same_day(pdf_text(resident.get(link.group(1)).content), "the certificate")


def test_time_limits_read_alike_everywhere(settings: Any) -> None:
    """承诺时限 and 法定时限 with the same words on the guide, the resident's application and
    the workbench's application page."""
    settings.DEMO_SMS_ON_SCREEN = True
    matter = Matter.objects.get(code=CERTIFICATE_MATTER)
    expected = [
        f"承诺时限 {matter.promised_days}个工作日" if matter.promised_days else "承诺时限 即办",
        f"法定时限 {matter.time_limit_days}个工作日",
    ]
    resident, url, application = wang_applies()
    guide = " ".join(visible(resident.get(f"/matters/{CERTIFICATE_MATTER}/")).split())
    mine = " ".join(visible(resident.get(url)).split())
    clerk = staff_client("clerk.chunlei")
    clerk.cookies["django_language"] = "zh-hans"
    workbench = " ".join(
        visible(
            clerk.get(
                f"/staff/applications/{application.pk}/", headers={"Accept-Language": "zh-hans"}
            )
        ).split()
    )
    for words in expected:
        assert words in guide, guide[:2000]
        assert words in mine, mine[:2000]
        assert words in workbench, workbench[:2000]


def test_staff_and_resident_read_the_same_status_names(settings: Any) -> None:
    """For each status, the resident's application page, their list and the workbench's
    application page name it with the lifecycle table's label; the timelines name events
    with the table's labels too."""
    settings.DEMO_SMS_ON_SCREEN = True
    resident, url, application = wang_applies("en")
    resident.post(url + "submit/")
    clerk = staff_client("clerk.chunlei")
    for status in Status:
        Application.objects.filter(pk=application.pk).update(status=status)
        label = str(status.label)
        shown = f'status-{status.value}">{label}</span>'
        assert shown in resident.get(url).content.decode(), status
        assert shown in resident.get("/me/").content.decode(), status
        staff = clerk.get(f"/staff/applications/{application.pk}/").content.decode()
        assert f'data-status="{status.value}">{label}</span>' in staff, status
    for page in (resident.get(url), clerk.get(f"/staff/applications/{application.pk}/")):
        text = visible(page)
        assert str(event_label("create")) in text and str(event_label("submit")) in text
