"""The replica router (ADR 15): which reads may go to a streaming replica, and "read your
writes". The decisions are tested as they are; then, on SQLite and PostgreSQL, a second
connection to the test database stands in for the replica and real requests show which
connection served what. Without a replica configured nothing changes (the first tests)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.db import connections, transaction
from django.db.utils import load_backend
from django.test import Client
from django.test.utils import CaptureQueriesContext

from govdesk.accounts.models import ApiToken, User
from govdesk.accounts.services import token_create
from govdesk.applications.models import Application
from govdesk.catalog.models import Matter, SearchLog
from govdesk.common import replica
from govdesk.common.replica import (
    PIN_COOKIE,
    REPLICA,
    ReplicaRouter,
    Scope,
    may_read_replica,
)
from govdesk.forms.models import CapturedFact, DataElement, FormDefinition
from govdesk.organisations.models import Region
from govdesk.people.models import Person

GUIDE = "/api/v1/matters/CERT-RESIDENT-POPULATION"
LI = "320205197405120027"


def test_without_a_replica_there_is_no_router_and_no_cookie(client: Client, db: None) -> None:
    if REPLICA in django_settings.DATABASES:
        pytest.skip("GOVDESK_REPLICA_DATABASE_URL is set for this run")
    assert django_settings.DATABASE_ROUTERS == []
    response = client.get(GUIDE)
    assert response.status_code == 200
    assert PIN_COOKIE not in response.cookies


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (Matter, True),
        (Region, True),
        (DataElement, True),
        (FormDefinition, True),
        (Person, False),
        (Application, False),
        (CapturedFact, False),
        (ApiToken, False),
        (User, False),
        (Session, False),
        (SearchLog, True),
    ],
)
def test_only_reference_data_may_come_from_the_replica(model: Any, expected: bool) -> None:
    assert may_read_replica(model, Scope(stale_ok=True), in_transaction=False) is expected


def test_the_replica_only_where_a_view_allows_and_nothing_was_written() -> None:
    assert not may_read_replica(Matter, None, in_transaction=False)  # workers, commands
    assert not may_read_replica(Matter, Scope(), in_transaction=False)  # view did not allow
    assert not may_read_replica(Matter, Scope(stale_ok=True, pinned=True), in_transaction=False)
    assert not may_read_replica(Matter, Scope(stale_ok=True), in_transaction=True)


def test_what_a_process_keeps_is_built_from_the_primary() -> None:
    """The catalogue a process keeps past the request (``catalog.versioned``) is read from the
    primary even in a view that allows stale reads, and the view's choice is restored."""
    scope = Scope(stale_ok=True)
    token = replica._scope.set(scope)
    try:
        with replica.primary_reads():
            assert not may_read_replica(Matter, scope, in_transaction=False)
        assert may_read_replica(Matter, scope, in_transaction=False)
    finally:
        replica._scope.reset(token)


def test_a_write_pins_the_request_but_bookkeeping_does_not() -> None:
    router = ReplicaRouter()
    scope = Scope(stale_ok=True)
    token = replica._scope.set(scope)
    try:
        assert router.db_for_write(Session) == "default"
        assert router.db_for_write(SearchLog) == "default"
        assert not scope.pinned
        assert router.db_for_read(Matter) == REPLICA
        assert router.db_for_write(Application) == "default"
        assert scope.pinned and scope.wrote
        assert router.db_for_read(Matter) == "default"
    finally:
        replica._scope.reset(token)
    assert router.db_for_read(Matter) == "default"
    assert router.allow_migrate(REPLICA, "catalog") is False
    assert router.allow_migrate("default", "catalog") is None


@pytest.fixture
def second_connection(
    settings: Any, transactional_db: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A ``replica`` alias: a second connection to the test database, and the router. (Made
    by hand rather than through settings.DATABASES, which the test case's database guard has
    already read.)"""
    config = copy.deepcopy(connections["default"].settings_dict)
    wrapper = load_backend(config["ENGINE"]).DatabaseWrapper(config, REPLICA)
    local: Any = connections._connections  # type: ignore[attr-defined]
    setattr(local, REPLICA, wrapper)
    monkeypatch.setattr(replica, "replica_configured", lambda: True)
    settings.DATABASE_ROUTERS = ["govdesk.common.replica.ReplicaRouter"]
    try:
        yield REPLICA
    finally:
        wrapper.close()
        delattr(local, REPLICA)


def _served(client: Client, path: str, **headers: Any) -> tuple[int, int, int, Any]:
    """(status, queries on the primary, queries on the replica, response)."""
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as copy_,
    ):
        response = client.get(path, headers=headers)
    return response.status_code, len(primary), len(copy_), response


def test_stale_reads_go_to_the_replica_and_a_write_pins_the_browser(
    loaded: None, second_connection: str, settings: Any
) -> None:
    client = Client()
    status, on_primary, on_replica, response = _served(client, GUIDE)
    assert status == 200 and on_replica > 0 and on_primary == 0
    assert PIN_COOKIE not in response.cookies
    status, on_primary, on_replica, _ = _served(client, "/certificates/")
    assert status == 200 and on_replica > 0

    # Personal data and staff reads never come from the replica.
    token = token_create(user=User.objects.get(username="clerk.chunlei"))
    status, on_primary, on_replica, _ = _served(
        client, "/api/v1/applications", Authorization=f"Bearer {token}"
    )
    assert status == 200 and on_replica == 0 and on_primary > 0

    # A write: the response pins this browser to the primary for a while.
    created = client.post(
        "/api/v1/applications",
        data={"matter": "CERT-RESIDENT-POPULATION", "applicant": LI},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.status_code == 201, created.content
    pin = created.cookies[PIN_COOKIE]
    assert int(pin["max-age"]) == settings.REPLICA_READ_YOUR_WRITES_SECONDS
    assert pin["httponly"]
    status, on_primary, on_replica, _ = _served(client, GUIDE)
    assert status == 200 and on_replica == 0 and on_primary > 0

    # Another browser, or this one once the cookie has expired, reads the replica again.
    status, on_primary, on_replica, _ = _served(Client(), GUIDE)
    assert status == 200 and on_replica > 0 and on_primary == 0


def test_a_search_reads_the_replica_though_it_logs_the_query(
    loaded: None, second_connection: str
) -> None:
    status, on_primary, on_replica, response = _served(Client(), "/search/?q=低保")
    assert status == 200 and on_replica > 0
    assert on_primary > 0  # the search log, written to the primary
    assert PIN_COOKIE not in response.cookies


def test_inside_a_transaction_reads_go_to_the_primary(loaded: None, second_connection: str) -> None:
    scope = Scope(stale_ok=True)
    token = replica._scope.set(scope)
    try:
        with CaptureQueriesContext(connections[REPLICA]) as copy_:
            assert Matter.objects.filter(code="CERT-RESIDENT-POPULATION").exists()
        assert len(copy_) == 1
        with transaction.atomic(), CaptureQueriesContext(connections[REPLICA]) as copy_:
            assert Matter.objects.filter(code="CERT-RESIDENT-POPULATION").exists()
        assert len(copy_) == 0
    finally:
        replica._scope.reset(token)
