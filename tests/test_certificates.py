"""Community certificates: F2 for 王建国 over the API (accept → review → issue), the signed PDF
(pdftotext, pdfsig, the QR code), verification and revocation, access, the font coverage check,
and gap-free numbers under concurrent issuance.

The signing keys live in a temporary PKI folder made once per session (conftest's
``pki_dir``); outcome handlers run at once (django-tasks ImmediateBackend) when the approval
commits.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone

from govdesk.accounts.models import User
from govdesk.accounts.services import token_create
from govdesk.applications.models import Application, Channel, Status
from govdesk.applications.services import application_outcomes_run
from govdesk.catalog.models import Matter
from govdesk.certificates.models import Certificate, CertificateSequence
from govdesk.certificates.services import certificate_issue
from govdesk.demo.loader import CHUNLEI
from govdesk.organisations.models import Region
from govdesk.people.models import Licence, LicenceType, Person
from govdesk.people.services import person_upsert
from tests.conftest import (
    PASSPHRASE,
    accepted_certificate_application,
    chunlei_resident,
    staff_client,
)

WANG = "320205196803090017"
CHEN = "32020519700815002X"
LI = "320205197405120027"
HOUSEHOLD = ["王建国", "陈桂兰", "王磊", "周婷", "王子涵", "孙𠮷珍"]
MATTER = "CERT-RESIDENT-POPULATION"
BASE_URL = "https://govdesk.example"
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
CONCURRENT = 20


@pytest.fixture(autouse=True)
def _certificate_settings(settings: Any, pki_dir: Path) -> Iterator[None]:
    settings.PKI_DIR = pki_dir
    settings.SIGNING_KEY_PASSPHRASE = PASSPHRASE
    settings.TASKS = IMMEDIATE
    settings.PUBLIC_BASE_URL = BASE_URL
    cache.clear()  # the verification rate limit counts per test
    yield
    cache.clear()


@pytest.fixture
def clerk(staff_token: Any) -> str:
    token: str = staff_token("clerk.chunlei")
    return token


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (poppler-utils / zbar-tools)")
    return path


def _run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(args, capture_output=True, check=False, timeout=60)  # noqa: S603


def _unprintable_resident(sequence: int, flat: int, surname: str = "王") -> Person:
    """A 春雷社区 resident, head of a household of one, whose name holds a character no font
    has (Private Use Area): issuing them a certificate must fail closed."""
    return chunlei_resident(sequence, f"{surname}\ue000", flat)


def _apply(
    api: Any,
    clerk: str,
    reviewer: str,
    capture: Callable[..., Any],
    applicant: str = WANG,
) -> dict[str, Any]:
    """The whole F2 lifecycle at the window; returns the approved application's JSON."""
    response = api.post("/api/v1/applications", clerk, {"matter": MATTER, "applicant": applicant})
    assert response.status_code == 201, response.content
    created = response.json()
    url = f"/api/v1/applications/{created['id']}"
    assert not [f["key"] for f in created["fields"] if f["missing"]], "nothing should be typed"
    assert api.post(f"{url}/submit", clerk).status_code == 200
    assert api.post(f"{url}/actions", clerk, {"action": "accept"}).status_code == 200
    with capture(execute=True):
        response = api.post(f"{url}/actions", reviewer, {"action": "approve"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    detail: dict[str, Any] = api.get(url, clerk).json()
    return detail


@pytest.fixture
def issued(
    api: Any, clerk: str, staff_token: Any, django_capture_on_commit_callbacks: Any
) -> dict[str, Any]:
    detail = _apply(api, clerk, staff_token("reviewer.yunlin"), django_capture_on_commit_callbacks)
    certificate: dict[str, Any] = detail["certificate"]
    assert certificate is not None and "error" not in certificate, certificate
    return certificate


def _pdf(api: Any, token: str, certificate: dict[str, Any]) -> bytes:
    response = api.get(certificate["pdf_url"], token)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/pdf"
    content: bytes = response.content
    return content


def _token(url: str) -> str:
    return url.rsplit("/", 1)[-1]


# --- F2 end to end ------------------------------------------------------------------------------


def test_f2_issues_a_numbered_signed_certificate(
    api: Any, clerk: str, issued: dict[str, Any], tmp_path: Path
) -> None:
    assert set(issued) == {"number", "verify_url", "pdf_url"}
    assert issued["number"].startswith(f"{CHUNLEI}-{timezone.localdate().year}-")
    assert issued["verify_url"].startswith(f"{BASE_URL}/verify/")
    assert len(_token(issued["verify_url"])) >= 32  # 192 random bits, base64url
    _assert_random_tokens([_token(issued["verify_url"])])
    assert issued["pdf_url"] == f"/api/v1/certificates/{issued['number']}.pdf"

    document = _pdf(api, clerk, issued)
    record = Certificate.objects.get(number=issued["number"])
    assert hashlib.sha256(document).hexdigest() == record.pdf_sha256
    assert [m["name"] for m in record.data["members"]] == HOUSEHOLD
    assert record.data["count"] == 6 and record.holder.id_number == WANG

    file = tmp_path / "certificate.pdf"
    file.write_bytes(document)
    text = _run(_tool("pdftotext"), "-enc", "UTF-8", str(file), "-").stdout.decode("utf-8")
    for name in HOUSEHOLD:
        assert name in text, name
    assert "孙𠮷珍" in text  # U+20BB7 extracted exactly, not a look-alike or a box
    assert issued["number"] in text and "常住人口信息证明" in text
    assert "320205********0017" in text and WANG not in text


def test_pdfsig_says_valid_and_one_changed_byte_breaks_it(
    api: Any, clerk: str, issued: dict[str, Any], tmp_path: Path
) -> None:
    pdfsig = _tool("pdfsig")
    document = _pdf(api, clerk, issued)
    good = tmp_path / "good.pdf"
    good.write_bytes(document)
    report = _run(pdfsig, str(good)).stdout.decode("utf-8", "replace")
    assert "Signature is Valid." in report, report
    assert "Total document signed" in report
    assert "ETSI.CAdES.detached" in report  # PAdES

    tampered = bytearray(document)
    tampered[len(document) // 3] ^= 0x01  # inside the signed range (the page content)
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(bytes(tampered))
    report = _run(pdfsig, str(bad)).stdout.decode("utf-8", "replace")
    assert "Signature is Valid." not in report, report
    # The file still parses and its signature is checked: the digest no longer matches.
    assert "govdesk-signature" in report and "Digest Mismatch." in report, report


def test_the_qr_code_decodes_to_the_verification_url(
    api: Any, clerk: str, issued: dict[str, Any], tmp_path: Path
) -> None:
    pdftoppm, zbarimg = _tool("pdftoppm"), _tool("zbarimg")
    file = tmp_path / "certificate.pdf"
    file.write_bytes(_pdf(api, clerk, issued))
    _run(pdftoppm, "-r", "200", "-png", "-singlefile", str(file), str(tmp_path / "page"))
    decoded = _run(zbarimg, "--quiet", "--raw", str(tmp_path / "page.png"))
    assert decoded.stdout.decode("utf-8").split() == [issued["verify_url"]], decoded.stderr


def test_verify_valid_then_revoked_at_once(api: Any, clerk: str, issued: dict[str, Any]) -> None:
    path = f"/api/v1/verify/{_token(issued['verify_url'])}"
    found = api.get(path)
    assert found.status_code == 200, found.content
    body = found.json()
    assert body["status"] == "valid"
    assert body["number"] == issued["number"] and body["type"] == "常住人口信息证明"
    assert body["issuer"] == "无锡市锡山区云林街道春雷社区居民委员会"
    assert body["holder"] == "王**" and body["issued_at"]

    revoke = f"/api/v1/certificates/{issued['number']}/revoke"
    assert api.post(revoke, clerk, {}).status_code == 422
    assert api.post(revoke, clerk, {"reason": "   "}).status_code == 422
    assert api.get(path).json()["status"] == "valid"  # a refused revocation changed nothing
    response = api.post(revoke, clerk, {"reason": "户内人员已变动，证明内容不再准确"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "revoked"
    assert api.get(path).json()["status"] == "revoked"
    assert api.post(revoke, clerk, {"reason": "again"}).status_code == 409


def test_verify_says_expired_after_valid_until(api: Any, issued: dict[str, Any]) -> None:
    Certificate.objects.filter(number=issued["number"]).update(
        valid_until=timezone.localdate() - timedelta(days=1)
    )
    assert api.get(f"/api/v1/verify/{_token(issued['verify_url'])}").json()["status"] == "expired"


def test_unknown_token_is_404_and_verification_is_rate_limited(
    api: Any, settings: Any, issued: dict[str, Any]
) -> None:
    assert api.get("/api/v1/verify/no-such-token").status_code == 404
    settings.VERIFY_RATE_PER_MINUTE = 3
    cache.clear()
    path = f"/api/v1/verify/{_token(issued['verify_url'])}"
    assert [api.get(path).status_code for _ in range(3)] == [200, 200, 200]
    limited = api.get(path, Accept_Language="en")
    assert limited.status_code == 429
    assert "Too many" in limited.json()["detail"] and int(limited["Retry-After"]) >= 1
    assert limited.json()["code"] == "too_many_requests"
    assert "核验请求过多" in api.get(path, Accept_Language="zh-hans").json()["detail"]
    assert Client().get(f"/verify/{_token(issued['verify_url'])}").status_code == 429
    # The page and the API count together: the limit is per address, not per door.
    cache.clear()
    page = Client()
    assert [page.get(f"/verify/{_token(issued['verify_url'])}").status_code for _ in range(3)] == [
        200,
        200,
        200,
    ]
    assert api.get(path).status_code == 429


def test_the_public_page_shows_the_status_and_checks_an_uploaded_pdf(
    api: Any, clerk: str, issued: dict[str, Any]
) -> None:
    token = _token(issued["verify_url"])
    browser = Client(enforce_csrf_checks=True, headers={"Accept-Language": "en"})
    page = browser.get(f"/verify/{token}")
    assert page.status_code == 200
    html = page.content.decode()
    assert issued["number"] in html and "王**" in html and "Valid" in html
    assert "320205196803090017" not in html and "王建国" not in html
    assert 'name="csrfmiddlewaretoken"' in html
    # The code in the path reaches no Referer; the page's own POSTs keep their Origin.
    assert page["Referrer-Policy"] == "strict-origin"
    # What the certificate states, to compare with a copy: members masked as printed.
    assert page.context["result"]["count"] == 6 and "6 people" in html
    assert [m["name"] for m in page.context["result"]["members"]] == [
        "王**",
        "陈**",
        "王*",
        "周*",
        "王**",
        "孙**",
    ]
    assert "Head of household" in html and "320205********0017" in html
    for name in HOUSEHOLD:
        assert name not in html, name

    document = _pdf(api, clerk, issued)
    csrf = browser.cookies["csrftoken"].value
    genuine = browser.post(
        f"/verify/{token}",
        {"document": SimpleUploadedFile("c.pdf", document, "application/pdf")},
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert genuine.status_code == 200
    assert genuine.context["upload"].genuine
    assert "The file is genuine" in genuine.content.decode()

    tampered = bytearray(document)
    tampered[len(document) // 3] ^= 0x01
    forged = browser.post(
        f"/verify/{token}",
        {"document": SimpleUploadedFile("c.pdf", bytes(tampered), "application/pdf")},
        HTTP_X_CSRFTOKEN=csrf,
    )
    check = forged.context["upload"]
    assert not check.genuine and not check.signature.intact and not check.matches_record
    assert "The file does not match" in forged.content.decode()

    unsigned = browser.post(
        f"/verify/{token}",
        {"document": SimpleUploadedFile("c.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")},
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert not unsigned.context["upload"].genuine
    unknown = browser.get("/verify/not-a-real-token")
    assert unknown.status_code == 404 and unknown["Referrer-Policy"] == "strict-origin"


# --- access -------------------------------------------------------------------------------------


def test_access_to_certificates(api: Any, staff_token: Any, issued: dict[str, Any]) -> None:
    number = issued["number"]
    other_clerk = staff_token("clerk.dongting")
    assert api.get(issued["pdf_url"], other_clerk).status_code == 404
    assert number not in {c["number"] for c in api.get("/api/v1/certificates", other_clerk).json()}
    revoke = f"/api/v1/certificates/{number}/revoke"
    assert api.post(revoke, other_clerk, {"reason": "x"}).status_code == 404

    wang = token_create(resident=Person.objects.get(id_number=WANG))
    mine = api.get("/api/v1/certificates", wang)
    assert mine.status_code == 200
    listed = {c["number"]: c for c in mine.json()}
    assert listed[number]["status"] == "valid" and listed[number]["pdf_url"] == issued["pdf_url"]
    assert listed[number]["holder"]["id_number"] == "320205********0017"
    assert listed[number]["revoke_reason"] is None
    assert _pdf(api, wang, issued).startswith(b"%PDF")
    assert api.post(revoke, wang, {"reason": "不要了"}).status_code == 403

    chen = token_create(resident=Person.objects.get(id_number=CHEN))  # same household
    assert api.get(issued["pdf_url"], chen).status_code == 404
    li = token_create(resident=Person.objects.get(id_number=LI))  # another household
    assert api.get(issued["pdf_url"], li).status_code == 404
    assert number not in {c["number"] for c in api.get("/api/v1/certificates", li).json()}
    assert api.post(revoke, li, {"reason": "x"}).status_code == 404
    assert api.get("/api/v1/certificates", chen).json() == []
    assert api.get("/api/v1/certificates?status=revoked", wang).json() == []
    assert api.get("/api/v1/certificates?status=lost", wang).status_code == 422
    assert api.get("/api/v1/certificates").status_code == 401
    assert api.get(issued["pdf_url"]).status_code == 401

    reviewer = staff_token("reviewer.yunlin")
    assert number in {c["number"] for c in api.get("/api/v1/certificates", reviewer).json()}

    from govdesk.audit.models import AuditEvent

    actions = set(
        AuditEvent.objects.filter(action__startswith="certificate.").values_list(
            "action", "result", "actor"
        )
    )
    assert ("certificate.pdf", "denied", "clerk.dongting") in actions
    assert ("certificate.list", "ok", "reviewer.yunlin") in actions
    assert ("certificate.issue", "ok", "govdesk") in actions


@pytest.mark.parametrize("approver", ["approver.hrss", "approver.mca"])
def test_a_departments_staff_see_only_their_departments_certificates(
    api: Any, staff_token: Any, issued: dict[str, Any], approver: str
) -> None:
    """The district's bureaus cover 春雷社区, but 常住人口信息证明 is not their matter: like
    its application, its certificate is not theirs to read, list or revoke (found by the
    authorisation matrix: they could do all three)."""
    from govdesk.audit.models import AuditEvent

    token = staff_token(approver)
    number = issued["number"]
    denied = AuditEvent.objects.filter(actor=approver, result="denied")
    before = denied.count()
    assert api.get(issued["pdf_url"], token).status_code == 404
    revoked = api.post(f"/api/v1/certificates/{number}/revoke", token, {"reason": "x"})
    assert revoked.status_code == 404
    assert denied.count() == before + 2
    assert Certificate.objects.get(number=number).status == "valid"
    assert number not in {c["number"] for c in api.get("/api/v1/certificates", token).json()}
    assert api.get(f"/staff/certificates/{number}.pdf").status_code == 302  # not signed in
    assert staff_client(approver).get(f"/staff/certificates/{number}.pdf").status_code == 404


# --- issuing once, and never with a box ---------------------------------------------------------


def test_issuing_twice_issues_once(issued: dict[str, Any]) -> None:
    record = Certificate.objects.get(number=issued["number"])
    application = record.application
    sequence = CertificateSequence.objects.get(issuer=record.issuer, year=timezone.localdate().year)
    again = certificate_issue(application=application)
    assert again.pk == record.pk
    assert application_outcomes_run(application_id=application.pk)["certificate"] == issued
    assert Certificate.objects.filter(application=application).count() == 1
    sequence.refresh_from_db()
    assert sequence.last == int(record.number.rsplit("-", 1)[1])


def test_an_uncovered_character_stops_issuance_with_a_clear_error(
    api: Any, clerk: str, staff_token: Any, django_capture_on_commit_callbacks: Any
) -> None:
    person = _unprintable_resident(991, 909)
    number = person.id_number
    sequences = list(CertificateSequence.objects.values_list("issuer_id", "year", "last"))

    detail = _apply(
        api, clerk, staff_token("reviewer.yunlin"), django_capture_on_commit_callbacks, number
    )

    outcome = detail["certificate"]
    assert outcome["code"] == "uncovered_characters"
    # The message names the character, in whichever language the issuance ran in.
    from django.utils import translation

    from govdesk.documents.pdf import UncoveredCharacters

    messages = set()
    for language in ("en", "zh-hans", "zh-hant"):
        with translation.override(language):
            messages.add(str(UncoveredCharacters(["\ue000"])))
    assert "U+E000" in outcome["error"] and outcome["error"] in messages, outcome["error"]
    assert not Certificate.objects.filter(holder=person).exists()
    assert list(CertificateSequence.objects.values_list("issuer_id", "year", "last")) == sequences

    from govdesk.audit.models import AuditEvent

    failed = AuditEvent.objects.filter(action="certificate.issue", result="failed").last()
    assert failed is not None and failed.detail["code"] == "uncovered_characters"


def test_a_failed_issuance_can_be_retried_after_the_fix(
    api: Any, clerk: str, staff_token: Any, django_capture_on_commit_callbacks: Any, tmp_path: Path
) -> None:
    """Issuance stopped by an uncovered character is tried again, by staff, once the cause is
    fixed: the certificate then gets the next number (no gap), and a repeat issues nothing."""
    chunlei = Region.objects.get(code=CHUNLEI)
    person = _unprintable_resident(992, 908)
    number = person.id_number
    detail = _apply(
        api, clerk, staff_token("reviewer.yunlin"), django_capture_on_commit_callbacks, number
    )
    assert detail["certificate"]["code"] == "uncovered_characters"
    retry = f"/api/v1/applications/{detail['id']}/outcomes/retry"
    year = timezone.localdate().year
    before = CertificateSequence.objects.filter(issuer=chunlei, year=year).first()
    start = before.last if before else 0

    # Not fixed yet: the retry says so again, and uses no number.
    again = api.post(retry, clerk)
    assert again.status_code == 200, again.content
    assert again.json()["certificate"]["code"] == "uncovered_characters"
    assert not Certificate.objects.filter(holder=person).exists()
    assert (
        CertificateSequence.objects.filter(issuer=chunlei, year=year, last__gt=start).count() == 0
    )

    # Nobody else may retry: another community's clerk, the resident himself.
    assert api.post(retry, staff_token("clerk.dongting")).status_code == 404
    assert api.post(retry, token_create(resident=person)).status_code == 403

    person_upsert(id_number=number, name="王建民")  # the registry's name corrected
    fixed = api.post(retry, clerk, Idempotency_Key="retry-once")
    assert fixed.status_code == 200, fixed.content
    certificate = fixed.json()["certificate"]
    assert set(certificate) == {"number", "verify_url", "pdf_url"}, certificate
    assert certificate["number"].startswith(f"{CHUNLEI}-{year}-")
    assert int(certificate["number"].rsplit("-", 1)[1]) == start + 1  # no number was lost
    assert CertificateSequence.objects.get(issuer=chunlei, year=year).last == start + 1

    # A double click (same key, or none) changes nothing.
    assert api.post(retry, clerk, Idempotency_Key="retry-once").json()["certificate"] == certificate
    assert api.post(retry, clerk).json()["certificate"] == certificate
    assert Certificate.objects.filter(holder=person).count() == 1
    assert CertificateSequence.objects.get(issuer=chunlei, year=year).last == start + 1
    timeline = api.get(f"/api/v1/applications/{detail['id']}", clerk).json()["timeline"]
    assert [(e["action"], e["actor"]) for e in timeline if e["action"] == "retry"] == [
        ("retry", "clerk.chunlei"),
        ("retry", "clerk.chunlei"),
    ]

    file = tmp_path / "retried.pdf"
    file.write_bytes(_pdf(api, clerk, certificate))
    text = _run(_tool("pdftotext"), "-enc", "UTF-8", str(file), "-").stdout.decode("utf-8")
    assert "王建民" in text and certificate["number"] in text
    assert "Signature is Valid." in _run(_tool("pdfsig"), str(file)).stdout.decode()

    # An application whose certificate was issued, or that is not approved, has nothing to retry.
    assert api.post(retry, clerk).status_code == 200
    draft = api.post("/api/v1/applications", clerk, {"matter": MATTER, "applicant": WANG}).json()
    assert api.post(f"/api/v1/applications/{draft['id']}/outcomes/retry", clerk).status_code == 409


def test_f3_the_resident_online_over_the_api(
    api: Any, staff_token: Any, django_capture_on_commit_callbacks: Any, tmp_path: Path
) -> None:
    """F3 with the resident's own token: applies online with nothing typed, the community
    clerk accepts, the reviewer approves, and he downloads his signed certificate."""
    wang = token_create(resident=Person.objects.get(id_number=WANG))
    created = api.post(
        "/api/v1/applications", wang, {"matter": MATTER, "applicant": WANG, "channel": "online"}
    )
    assert created.status_code == 201, created.content
    application = created.json()
    assert application["channel"] == "online"
    assert not [f["key"] for f in application["fields"] if f["missing"]]
    members = next(f for f in application["fields"] if f["key"] == "household.members")
    assert sorted(m["name"] for m in members["value"]) == sorted(HOUSEHOLD)
    assert members["source"] == "registry"
    assert all(m["status"] != "required" for m in application["materials"])
    url = f"/api/v1/applications/{application['id']}"
    assert api.post(f"{url}/submit", wang, Idempotency_Key="f3").status_code == 200
    assert api.post(f"{url}/actions", wang, {"action": "accept"}).status_code == 403

    clerk, reviewer = staff_token("clerk.chunlei"), staff_token("reviewer.yunlin")
    assert api.post(f"{url}/actions", clerk, {"action": "accept"}).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        approved = api.post(f"{url}/actions", reviewer, {"action": "approve"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"

    mine = api.get(url, wang).json()
    certificate = mine["certificate"]
    assert certificate and "error" not in certificate, certificate
    listed = api.get("/api/v1/certificates", wang).json()
    assert certificate["number"] in {c["number"] for c in listed}
    document = _pdf(api, wang, certificate)
    record = Certificate.objects.get(number=certificate["number"])
    assert hashlib.sha256(document).hexdigest() == record.pdf_sha256
    file = tmp_path / "mine.pdf"
    file.write_bytes(document)
    assert "Signature is Valid." in _run(_tool("pdfsig"), str(file)).stdout.decode()
    text = _run(_tool("pdftotext"), "-enc", "UTF-8", str(file), "-").stdout.decode("utf-8")
    assert all(name in text for name in HOUSEHOLD)
    actors = [(e["action"], e["role"]) for e in mine["timeline"]]
    # The certificate issued, the platform completes the application by itself (办结).
    assert actors == [
        ("create", "resident"),
        ("submit", "resident"),
        ("accept", "clerk"),
        ("approve", "reviewer"),
        ("complete", "system"),
    ]
    assert mine["status"] == "completed"


# --- the outcome F1 relies on -------------------------------------------------------------------


def test_unemployment_registration_issues_the_employment_card(world: dict[str, Region]) -> None:
    li = Person.objects.get(id_number="320205197405120027")
    assert not Licence.objects.filter(person=li, type=LicenceType.EMPLOYMENT_CARD).exists()
    application = Application.objects.create(
        number="GD-TEST-HRSS-001",
        matter=Matter.objects.get(code="HRSS-001"),
        applicant=li,
        region=world[CHUNLEI],
        channel=Channel.WINDOW,
        status=Status.APPROVED,
        created_by="test",
    )
    outcome = application_outcomes_run(application_id=application.pk)
    card = Licence.objects.get(person=li, type=LicenceType.EMPLOYMENT_CARD)
    assert outcome["employment_card"] == {"licence": "employment_card", "number": card.number}
    assert card.data["employment_status"] == "失业" and not card.revoked
    assert "certificate" not in outcome
    application_outcomes_run(application_id=application.pk)
    assert Licence.objects.filter(person=li, type=LicenceType.EMPLOYMENT_CARD).count() == 1


# --- concurrency (commits for real) -------------------------------------------------------------


def test_concurrent_issuance_gives_distinct_gap_free_numbers_and_never_twice(
    loaded: None,
) -> None:
    chunlei = Region.objects.get(code=CHUNLEI)
    wang = Person.objects.get(id_number=WANG)
    applications = [
        accepted_certificate_application(wang, f"GD-TEST-CONCURRENT-{i:02d}")
        for i in range(CONCURRENT)
    ]
    year = timezone.localdate().year
    before = CertificateSequence.objects.filter(issuer=chunlei, year=year).first()
    start = before.last if before else 0
    reviewer = token_create(user=User.objects.get(username="reviewer.yunlin"))

    # Every application approved twice at the same instant (a double click): 40 requests.
    targets = [a.pk for a in applications for _ in range(2)]
    barrier = threading.Barrier(len(targets))
    statuses: list[int] = []
    crashes: list[str] = []

    def approve(application_id: Any) -> None:
        try:
            client = Client(raise_request_exception=False)
            barrier.wait(timeout=30)
            response = client.post(
                f"/api/v1/applications/{application_id}/actions",
                data=json.dumps({"action": "approve"}),
                content_type="application/json",
                headers={"Authorization": f"Bearer {reviewer}"},
            )
            statuses.append(response.status_code)
        except BaseException as exc:
            crashes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(t,), daemon=True) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "an approval hung"
    assert not crashes, crashes
    assert sorted(statuses) == [200] * CONCURRENT + [403] * CONCURRENT, statuses

    issued = list(Certificate.objects.filter(application__in=applications))
    assert len(issued) == CONCURRENT
    assert len({c.application_id for c in issued}) == CONCURRENT
    sequence = sorted(int(c.number.rsplit("-", 1)[1]) for c in issued)
    assert sequence == list(range(start + 1, start + CONCURRENT + 1))
    assert CertificateSequence.objects.get(issuer=chunlei, year=year).last == start + CONCURRENT
    for application in Application.objects.filter(pk__in=[a.pk for a in applications]):
        assert application.outcome["certificate"]["number"] in {c.number for c in issued}
    assert len({c.token for c in issued}) == CONCURRENT
    _assert_random_tokens([c.token for c in issued])


def _assert_random_tokens(tokens: list[str]) -> None:
    """Each verification token is base64url of at least 16 bytes (128 bits) and they look
    random: distinct, and about as many one bits as zero bits over all of them."""
    raw = [base64.urlsafe_b64decode(t + "=" * (-len(t) % 4)) for t in tokens]
    assert all(len(r) >= 16 for r in raw), [len(r) for r in raw]
    assert all(
        base64.urlsafe_b64encode(r).decode().rstrip("=") == t
        for r, t in zip(raw, tokens, strict=True)
    )
    assert len(set(raw)) == len(raw)
    if len(raw) >= 10:  # enough bits for the balance to be meaningful (σ ≈ 0.8 % here)
        bits = sum(len(r) * 8 for r in raw)
        ones = sum(bin(byte).count("1") for r in raw for byte in r)
        assert 0.45 < ones / bits < 0.55, (ones, bits)


def test_the_workbench_shows_a_failed_issuance_and_retries_it(
    api: Any, clerk: str, staff_token: Any, django_capture_on_commit_callbacks: Any
) -> None:
    person = _unprintable_resident(993, 907, surname="李")
    number = person.id_number
    detail = _apply(
        api, clerk, staff_token("reviewer.yunlin"), django_capture_on_commit_callbacks, number
    )
    page_url = f"/staff/applications/{detail['id']}/"
    window = staff_client("clerk.chunlei")
    page = window.get(page_url).content.decode()
    assert "The certificate was not issued." in page and "/retry/" in page

    person_upsert(id_number=number, name="李建华")  # the registry's name corrected
    response = window.post(f"{page_url}retry/")
    assert response.status_code == 302, response.content
    issued = Certificate.objects.get(holder=person)
    page = window.get(page_url).content.decode()
    assert issued.number in page and "The certificate was not issued." not in page
    pdf = window.get(f"/staff/certificates/{issued.number}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # Another community's clerk can neither retry nor open it.
    other = staff_client("clerk.dongting")
    assert other.post(f"{page_url}retry/").status_code == 404
    assert other.get(f"/staff/certificates/{issued.number}.pdf").status_code in {403, 404}
