"""The public verification page in Chromium, as a person holding a certificate uses it: the
page says what the certificate states (names and ID numbers masked), the issued PDF uploaded
is found genuine, and the language switch works. Both are POSTs from a page that keeps its
verification code out of Referer headers: the browser must still send an Origin that Django's
CSRF check accepts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from govdesk.applications.models import Application, Status
from govdesk.certificates import pki
from govdesk.certificates.models import Certificate
from govdesk.certificates.services import certificate_issue, organisation_name
from govdesk.demo.loader import CHUNLEI
from govdesk.organisations.models import Region
from govdesk.people.models import Person
from tests.browser.conftest import axe_violations
from tests.conftest import accepted_certificate_application

pytestmark = pytest.mark.browser

WANG = "320205196803090017"
MEMBERS = ["王建国", "陈桂兰", "王磊", "周婷", "王子涵", "孙𠮷珍"]
SHOT = "/tmp/verify-certificate.png"  # noqa: S108 - a screenshot for people to look at


@pytest.fixture
def certificate(demo_world: dict[str, Region], settings: Any, tmp_path: Path) -> Certificate:
    """王建国's 常住人口信息证明, issued and signed as the approval would issue it."""
    settings.PKI_DIR = tmp_path / "pki"
    settings.SIGNING_KEY_PASSPHRASE = "browser-test-passphrase"
    chunlei = Region.objects.get(code=CHUNLEI)
    pki.demo_pki_setup(issuers=[(chunlei.code, organisation_name(chunlei))])
    application = accepted_certificate_application(
        Person.objects.get(id_number="320205196803090017"), "GD-TEST-VERIFY-01"
    )
    Application.objects.filter(pk=application.pk).update(status=Status.APPROVED)
    application.refresh_from_db()
    return certificate_issue(application=application)


def test_upload_and_language_switch_work_in_chromium(
    live_server: Any, certificate: Certificate, phone: Any
) -> None:
    address = f"{live_server.url}/verify/{certificate.token}"
    response = phone.goto(address)
    assert response is not None and response.status == 200

    # The issued PDF, uploaded: a POST from this page (refused with 403 while the page sent
    # "Referrer-Policy: no-referrer", which makes Chromium send "Origin: null").
    pdf = bytes(Certificate.objects.get(pk=certificate.pk).pdf)
    phone.set_input_files(
        "input[name=document]",
        files=[{"name": "certificate.pdf", "mimeType": "application/pdf", "buffer": pdf}],
    )
    with phone.expect_navigation() as posted:
        phone.click("main form button[type=submit]")
    assert posted.value is not None and posted.value.status == 200, posted.value.status
    assert phone.locator(".verdict-valid", has_text="文件真实有效").count() == 1

    # What the certificate says, to compare with a paper copy: masked, never in full.
    html = phone.content()
    assert certificate.number in phone.locator(".facts").inner_text()
    assert "常住人口信息证明" in html and certificate.issuer_name in html
    assert phone.locator(".cert-members tbody tr").count() == len(MEMBERS)
    for name in MEMBERS:
        assert name not in html, name
    assert "王**" in html and "孙**" in html
    assert "320205********0017" in html and WANG not in html
    assert re.search(r"\d{17}[\dX]", html) is None  # no ID number in full, of anyone
    phone.screenshot(path=SHOT, full_page=True)
    assert not axe_violations(phone), axe_violations(phone)
    assert phone.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")

    # The language switch: a POST to /i18n/setlang/, back to the same page, in English.
    with phone.expect_navigation() as switched:
        phone.click(".lang button[lang=en]")
    assert switched.value is not None and switched.value.status == 200, switched.value.status
    assert phone.url == address
    assert phone.locator("html").get_attribute("lang") == "en"
    assert phone.locator("h1").inner_text() == "Verify a certificate"
    assert phone.locator(".verdict h2").first.inner_text() == "✓ Valid"
    # The code is in the path: no Referer carries it, to any site, not even this one.
    assert switched.value.headers["referrer-policy"] == "strict-origin"
