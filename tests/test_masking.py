"""Full numbers where they should be masked (hardening issue, item 8), each finding reproduced:
the printed form, the search log and the log lines. (Numbers in URLs: test_people_api.py and
test_workbench.py.)"""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Any

import pytest
from django.apps import apps
from django.test import Client

from govdesk.accounts.models import User
from govdesk.accounts.services import token_create
from govdesk.audit.actions import AuditAction
from govdesk.audit.models import AuditEvent
from govdesk.audit.services import audit_verify
from govdesk.catalog.models import SearchLog
from govdesk.common.idnumbers import redact_numbers
from govdesk.common.roles import Role
from govdesk.people import policies
from govdesk.people.models import Person
from tests.conftest import pdf_text, staff_client

LI = "320205197405120027"
LI_MASKED = "320205********0027"
LI_PHONE = "13861701234"
LI_ACCOUNT = "6214960012345678901"
BUNDLE = "BUNDLE-EMPLOYMENT-DIFFICULTY"
FULL_NUMBERS = (LI, LI_PHONE, LI_ACCOUNT)


# The printed form ----------------------------------------------------------------------------


@pytest.fixture
def steps(api: Any, staff_token: Any) -> list[str]:
    """F1's four applications for 李红梅; the third (参保登记) prints her phone and account."""
    response = api.post(
        f"/api/v1/bundles/{BUNDLE}/start", staff_token("clerk.chunlei"), {"applicant": LI}
    )
    assert response.status_code == 201, response.content
    return [str(s["application"]) for s in response.json()["steps"]]


def _form(api: Any, token: str, application: str, query: str = "") -> str:
    response = api.get(f"/api/v1/applications/{application}/form.pdf{query}", token)
    assert response.status_code == 200, response.content[:300]
    return pdf_text(response.content)


def _last_print() -> AuditEvent:
    row = (
        AuditEvent.objects.filter(
            action__in=[AuditAction.APPLICATION_FORM_PDF, AuditAction.APPLICATION_FORM_SIGNATURE]
        )
        .order_by("seq")
        .last()
    )
    assert row is not None
    return row


def test_a_plain_print_masks_id_phone_and_account(
    api: Any, staff_token: Any, steps: list[str]
) -> None:
    token = staff_token("clerk.chunlei")
    enrolment = _form(api, token, steps[2])
    assert "李红梅" in enrolment and LI_MASKED in enrolment
    for number in FULL_NUMBERS:
        assert number not in enrolment, number
    assert "138****1234" in enrolment and "***************8901" in enrolment
    row = _last_print()
    assert row.action == AuditAction.APPLICATION_FORM_PDF
    assert row.detail["unmasked"] is False and row.purpose == ""
    for application in (steps[0], steps[3]):
        text = _form(api, token, application)
        assert LI_MASKED in text and not [n for n in FULL_NUMBERS if n in text]


def test_a_print_for_signature_shows_them_in_full_and_is_audited(
    api: Any, staff_token: Any, steps: list[str]
) -> None:
    before = AuditEvent.objects.count()
    enrolment = _form(api, staff_token("clerk.chunlei"), steps[2], "?for=signature")
    for number in FULL_NUMBERS:
        assert number in enrolment, number
    row = _last_print()
    assert row.seq > before
    assert row.action == AuditAction.APPLICATION_FORM_SIGNATURE
    assert (row.actor, row.purpose, row.result) == ("clerk.chunlei", "print for signature", "ok")
    assert row.detail == {"application": steps[2], "unmasked": True, "asked_unmask": True}
    assert row.subject_label == LI_MASKED
    assert audit_verify().ok


def test_a_role_that_may_not_unmask_gets_a_masked_form_even_when_asking(
    api: Any, staff_token: Any, steps: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(policies, "UNMASKERS", frozenset({Role.CLERK}))
    text = _form(api, staff_token("reviewer.yunlin"), steps[2], "?for=signature")
    assert LI_MASKED in text and not [n for n in FULL_NUMBERS if n in text]
    row = _last_print()
    assert row.action == AuditAction.APPLICATION_FORM_PDF and row.actor == "reviewer.yunlin"
    assert row.detail["unmasked"] is False and row.detail["asked_unmask"] is True
    assert row.purpose == "print for signature"


def test_a_resident_asking_for_the_signature_print_gets_it_masked(
    api: Any, staff_token: Any
) -> None:
    token = token_create(resident=Person.objects.get(id_number=LI))
    created = api.post(
        "/api/v1/applications", token, {"matter": "HRSS-001", "applicant": LI, "channel": "online"}
    )
    assert created.status_code == 201, created.content
    text = _form(api, token, created.json()["id"], "?for=signature")
    assert LI_MASKED in text and LI not in text


def test_an_unknown_print_purpose_is_refused(api: Any, staff_token: Any, steps: list[str]) -> None:
    response = api.get(
        f"/api/v1/applications/{steps[0]}/form.pdf?for=everything", staff_token("clerk.chunlei")
    )
    assert response.status_code == 422


def test_the_workbench_prints_masked_and_for_signature(steps: list[str]) -> None:
    clerk = staff_client("clerk.chunlei")
    url = f"/staff/applications/{steps[2]}/"
    page = clerk.get(url).content.decode()
    assert f'href="{url}form.pdf" data-print' in page
    assert f'href="{url}form.pdf?for=signature" data-print-signature' in page
    plain = pdf_text(clerk.get(f"{url}form.pdf").content)
    assert LI_MASKED in plain and not [n for n in FULL_NUMBERS if n in plain]
    signed = pdf_text(clerk.get(f"{url}form.pdf?for=signature").content)
    assert LI in signed and LI_ACCOUNT in signed
    row = _last_print()
    assert row.action == AuditAction.APPLICATION_FORM_SIGNATURE
    assert row.purpose == "print for signature" and row.detail["unmasked"] is True


def test_the_workbench_offers_no_signature_print_to_a_role_that_may_not_unmask(
    steps: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(policies, "UNMASKERS", frozenset({Role.CLERK}))
    reviewer = staff_client("reviewer.yunlin")
    url = f"/staff/applications/{steps[2]}/"
    page = reviewer.get(url).content.decode()
    assert "data-print-signature" not in page and "data-print" in page
    text = pdf_text(reviewer.get(f"{url}form.pdf?for=signature").content)
    assert LI_MASKED in text and LI not in text


# The search log --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("320205197405120027", "320205********0027"),
        ("证明 32020519700815002x", "证明 320205********002X"),
        ("李红梅320205197405120027的证明", "李红梅320205********0027的证明"),
        ("３２０２０５１９７４０５１２００２７", "320205********0027"),  # full-width digits
        ("3202 0519 7405 1200 27", "320205********0027"),
        ("320205740512002", "320**********02"),  # an old 15-digit number
        ("13861701234", "138****1234"),
        ("电话 138 6170 1234", "电话 138****1234"),
        ("+86 13861701234", "+86138****1234"),
        ("0510-81234567", "051*******67"),
        ("(0510) 8123 4567", "(051*******67"),
        ("010-12345678", "010****5678"),
        ("6214960012345678901", "621**************01"),  # a bank card
        ("5 13861701234", "513*******34"),  # a mobile number inside a run
    ],
)
def test_numbers_are_redacted(typed: str, stored: str) -> None:
    assert redact_numbers(typed) == stored
    assert redact_numbers(stored) == stored  # idempotent


@pytest.mark.parametrize(
    "text",
    [
        "水电 人口 证明",
        "2026-03-02 10:15",
        "XS-2026-000123",
        "GD2026112600000042",  # an application number: letters first
        "HRSS-001",
        "低保 2024年 3 月",
        "12345",
        "320205********0027",
        "138****1234",
    ],
)
def test_what_is_no_id_or_phone_number_is_left_alone(text: str) -> None:
    assert redact_numbers(text) == text


def test_a_search_for_a_number_is_stored_masked(client: Client, world: Any) -> None:
    client.get("/search/", {"q": f"证明 {LI}"})
    client.get("/api/v1/matters", {"q": f"{LI_PHONE} 低保"})
    queries = list(SearchLog.objects.values_list("query", flat=True))
    assert f"证明 {LI_MASKED}" in queries and "138****1234 低保" in queries
    assert not [q for q in queries if LI in q or LI_PHONE in q]


def test_the_admin_shows_searches_masked(world: Any) -> None:
    SearchLog.objects.create(query=f"证明 {LI}", results=0)  # a row from before the fix
    _migration().redact(apps, None)
    admin = User.objects.create_superuser("admin.masking", password="x-long-password-1")
    client = Client()
    client.force_login(admin)
    page = client.get("/admin/catalog/searchlog/").content.decode()
    assert f"证明 {LI_MASKED}" in page and LI not in page


def _migration() -> Any:
    return importlib.import_module("govdesk.catalog.migrations.0006_searchlog_redact_numbers")


def test_the_migration_redacts_what_is_already_stored(world: Any) -> None:
    old = [
        SearchLog.objects.create(query=f"证明 {LI}", results=1),
        SearchLog.objects.create(query=f"电话{LI_PHONE}", results=0),
        SearchLog.objects.create(query="水电 人口 证明", results=3),
    ]
    _migration().redact(apps, None)
    _migration().redact(apps, None)  # twice changes nothing more
    assert [SearchLog.objects.get(pk=r.pk).query for r in old] == [
        f"证明 {LI_MASKED}",
        "电话138****1234",
        "水电 人口 证明",
    ]


# The log --------------------------------------------------------------------------------------


def _handlers(name: str) -> list[logging.Handler]:
    """Every handler of settings.LOGGING a record of logger ``name`` reaches (pytest's own
    capturing handlers left out)."""
    found: list[logging.Handler] = []
    logger: logging.Logger | None = logging.getLogger(name)
    while logger is not None:
        found += [h for h in logger.handlers if not type(h).__module__.startswith("_pytest")]
        logger = logger.parent if logger.propagate else None
    return found


@pytest.mark.parametrize(
    "name", ["govdesk.workbench.views", "django.request", "django.server", "django"]
)
def test_no_log_line_carries_a_full_number(name: str) -> None:
    handlers = _handlers(name)
    assert handlers, name
    try:
        raise ValueError(f"registry said no for {LI}")
    except ValueError:
        exc_info = sys.exc_info()
    for handler in handlers:
        record = logging.LogRecord(
            name, logging.WARNING, __file__, 1, "Not Found: %s (%s)", (f"/x/{LI}/", LI_PHONE), None
        )
        record.exc_info = exc_info
        assert handler.filter(record), (name, handler)
        line = handler.format(record)
        assert LI not in line and LI_PHONE not in line, (name, handler, line)
        assert f"/x/{LI_MASKED}/" in line and "ValueError" in line
