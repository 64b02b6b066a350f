"""Reads that may be stale go to the streaming replica; everything else reads the primary (ADR 15).

With ``GOVDESK_REPLICA_DATABASE_URL`` set, settings add the database alias ``replica`` and this
module's router. A read goes to the replica only when all of these hold:

- the request's view said its reads may be stale (``allow_stale_reads()``, or the
  ``stale_reads_ok`` decorator): the public catalogue, search, guides and public lists;
- the model is reference data the data bureau publishes (``REPLICA_MODELS``: the catalogue,
  the organisations, data elements and form definitions), never a person's data, a session, a
  token or an application;
- nothing was written yet in this request, and this browser wrote nothing in the last
  ``GOVDESK_REPLICA_READ_YOUR_WRITES_SECONDS`` (a cookie says so; see the middleware);
- no transaction is open on the primary (a service reads what it is about to change there).

Otherwise, and always outside a request (workers, commands, tests), reads go to the primary.
Writes always go to the primary. Without a replica nothing here does anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

PRIMARY = "default"
REPLICA = "replica"
#: Models whose reads may come from the replica in a view that allows stale reads.
REPLICA_APPS = frozenset({"catalog", "organisations"})
REPLICA_MODELS = frozenset({"govforms.dataelement", "govforms.formdefinition"})
#: Writes that do not change what a reader of the replica sees (bookkeeping): they do not pin
#: the reader to the primary.
UNPINNING_WRITES = frozenset({"sessions.session", "catalog.searchlog"})
#: The cookie that tells the next requests of a browser that it has just written.
PIN_COOKIE = "govdesk_primary"


@dataclass
class Scope:
    """What the router knows of the request it serves."""

    stale_ok: bool = False
    #: This browser wrote recently (the cookie) or this request wrote: read the primary.
    pinned: bool = False
    wrote: bool = False


_scope: ContextVar[Scope | None] = ContextVar("govdesk_replica_scope", default=None)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def allow_stale_reads() -> None:
    """Say that the current request's reads of reference data may be a little stale (they may
    come from the replica). A no-op outside a request or without a replica."""
    scope = _scope.get()
    if scope is not None:
        scope.stale_ok = True


@contextmanager
def primary_reads() -> Iterator[None]:
    """Within the block every read goes to the primary, even in a view that allows stale reads:
    for what a process keeps beyond the request (``catalog.versioned``), which must not be
    built from a replica that has not yet replayed the change it was built for."""
    scope = _scope.get()
    if scope is None:
        yield
        return
    was = scope.stale_ok
    scope.stale_ok = False
    try:
        yield
    finally:
        scope.stale_ok = was


def stale_reads_ok(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A view decorator: ``allow_stale_reads()`` for every request of the view."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        allow_stale_reads()
        return view(request, *args, **kwargs)

    return wrapped


def may_read_replica(model: type[Model], scope: Scope | None, *, in_transaction: bool) -> bool:
    """The whole decision, apart from the database state (kept pure for the tests)."""
    if scope is None or not scope.stale_ok or scope.pinned or in_transaction:
        return False
    meta = model._meta
    return meta.app_label in REPLICA_APPS or meta.label_lower in REPLICA_MODELS


class ReplicaRouter:
    """``DATABASE_ROUTERS`` entry when a replica is configured."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        in_transaction = connections[PRIMARY].in_atomic_block
        if may_read_replica(model, _scope.get(), in_transaction=in_transaction):
            return REPLICA
        return PRIMARY

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        scope = _scope.get()
        if scope is not None and model._meta.label_lower not in UNPINNING_WRITES:
            scope.wrote = scope.pinned = True
        return PRIMARY

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        both = {obj1._state.db, obj2._state.db}
        return True if both <= {PRIMARY, REPLICA, None} else None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # The replica follows the primary's WAL: nothing is ever migrated on it.
        return False if db == REPLICA else None


class ReplicaMiddleware:
    """Opens the router's scope for each request and keeps "read your writes" across requests:
    a request that wrote sets a short-lived cookie, and while the browser sends it back its
    reads all go to the primary. Does nothing without a replica."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not replica_configured():
            return self.get_response(request)
        scope = Scope(pinned=PIN_COOKIE in request.COOKIES)
        token = _scope.set(scope)
        try:
            response = self.get_response(request)
        finally:
            _scope.reset(token)
        if scope.wrote:
            seconds: int = settings.REPLICA_READ_YOUR_WRITES_SECONDS
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=seconds,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
