"""Full numbers where they should be masked (hardening issue, item 8), each finding reproduced:
the search log and the log lines."""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Any

import pytest
from django.apps import apps
from django.test import Client

from govdesk.accounts.models import User
from govdesk.catalog.models import SearchLog
from govdesk.common.idnumbers import redact_numbers

LI = "320205197405120027"
LI_MASKED = "320205********0027"
LI_PHONE = "13861701234"


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
