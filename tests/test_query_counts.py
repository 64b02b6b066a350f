"""How many SQL statements each API operation sends, pinned (issue: fast at every operation).

Counted with the catalogue and the bearer token kept by the process (as they are after the first
request). ``statements`` leaves savepoints out (the work a request asks of the database);
``test_the_same_figures_with_pytest_django`` counts them too. On PostgreSQL the audit append is
one statement (``govdesk_audit_append``); elsewhere it is three (lock the head, insert, move it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from govdesk.accounts.services import token_cache_clear

MATTER = "CERT-RESIDENT-POPULATION"
WANG = "320205196803090017"
LI = "320205197405120027"
AUDIT = 1 if connection.vendor == "postgresql" else 3

#: The goals: a read of a submitted application in at most 6 statements, the audit append
#: included; a create in at most 12.
READ_SUBMITTED = 3 + AUDIT  # the application, its uploads, its timeline
CREATE = 9 + AUDIT  # person, holdings, number, insert, event, 4 for the prefill
ACCEPT = 5 + AUDIT  # lock, update, event, uploads, timeline
LIST_FIRST_PAGE = 2 + AUDIT  # the count, the rows
LIST_LATER_PAGE = 1 + AUDIT  # the rows (the count travels in the cursor)


@contextmanager
def statements(limit: int) -> Iterator[CaptureQueriesContext]:
    with CaptureQueriesContext(connection) as ctx:
        yield ctx
    sent = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"].split(" ", 2)[:2]]
    assert len(sent) <= limit, f"{len(sent)} statements (limit {limit}):\n" + "\n".join(
        s[:160] for s in sent
    )


@pytest.fixture
def clerk(staff_token: Any, settings: Any) -> str:
    settings.API_TOKEN_CACHE_SECONDS = 300
    token_cache_clear()
    token: str = staff_token("clerk.chunlei")
    return token


def _warm(api: Any, clerk: str) -> None:
    """One of each, so the process keeps the catalogue and the token as a running one does."""
    first = api.post("/api/v1/applications", clerk, {"matter": MATTER, "applicant": LI}).json()
    api.get(f"/api/v1/applications/{first['id']}", clerk)
    api.get("/api/v1/applications?limit=2", clerk)


def test_create_read_accept_and_list_send_few_statements(api: Any, clerk: str) -> None:
    _warm(api, clerk)
    assert READ_SUBMITTED <= 6 and CREATE <= 12
    with statements(CREATE):
        created = api.post("/api/v1/applications", clerk, {"matter": MATTER, "applicant": WANG})
    assert created.status_code == 201, created.content
    url = f"/api/v1/applications/{created.json()['id']}"
    submitted = api.post(f"{url}/submit", clerk)
    assert submitted.status_code == 200, submitted.content
    with statements(READ_SUBMITTED):
        read = api.get(url, clerk)
    assert read.status_code == 200 and read.json()["fields"]
    with statements(ACCEPT):
        accepted = api.post(f"{url}/actions", clerk, {"action": "accept"})
    assert accepted.json()["status"] == "accepted"
    with statements(LIST_FIRST_PAGE):
        page = api.get("/api/v1/applications?limit=1", clerk).json()
    assert page["next"]
    with statements(LIST_LATER_PAGE):
        api.get(page["next"].split("testserver", 1)[-1], clerk)


def test_a_submitted_application_is_read_without_asking_the_registries(
    api: Any, clerk: str, monkeypatch: Any
) -> None:
    """Its fields come from the snapshot and its materials from what was frozen with it."""
    created = api.post("/api/v1/applications", clerk, {"matter": MATTER, "applicant": WANG})
    url = f"/api/v1/applications/{created.json()['id']}"
    assert api.post(f"{url}/submit", clerk).status_code == 200
    before = api.get(url, clerk).json()

    from govdesk.people import sources

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("a submitted application asked the registries")

    monkeypatch.setattr(sources.registry(), "lookup", refuse)
    after = api.get(url, clerk).json()
    assert after["fields"] == before["fields"]
    assert after["materials"] == before["materials"]
    assert any(m["status"] in {"licence", "registry"} for m in after["materials"])


def test_the_same_figures_with_pytest_django(
    api: Any, clerk: str, django_assert_max_num_queries: Any
) -> None:
    """The pins again with ``django_assert_max_num_queries``, which counts every statement the
    test sees, savepoints included. A change runs a service's ``atomic`` inside the idempotency
    transaction: one savepoint pair in production too (on PostgreSQL a create is then 12
    statements in all, the goal), and one more pair here, where the test's own transaction
    turns the outermost ``atomic`` into a savepoint as well. A read opens no transaction."""
    _warm(api, clerk)
    savepoint_pair = 2 * 2
    with django_assert_max_num_queries(CREATE + savepoint_pair):
        created = api.post("/api/v1/applications", clerk, {"matter": MATTER, "applicant": WANG})
    url = f"/api/v1/applications/{created.json()['id']}"
    assert api.post(f"{url}/submit", clerk).status_code == 200
    with django_assert_max_num_queries(READ_SUBMITTED):
        assert api.get(url, clerk).status_code == 200
    with django_assert_max_num_queries(ACCEPT + savepoint_pair):
        assert api.post(f"{url}/actions", clerk, {"action": "accept"}).status_code == 200
    with django_assert_max_num_queries(LIST_FIRST_PAGE):
        assert api.get("/api/v1/applications?limit=100", clerk).status_code == 200
