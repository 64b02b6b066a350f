"""What a process keeps of the catalogue, and when it reads it again.

Every application read needs its matter's form, materials and data elements; they change a
few times a month, when the data bureau edits the catalogue. Each process keeps what it built
from them (``cached``) and looks at one number in the database (``CatalogueVersion``) at most
every ``CATALOGUE_CHECK_SECONDS``; a save or delete of any catalogue row moves the number in
the same transaction (see ``apps.py``), so other processes build again within that time, and
the process that made the change at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import F

from govdesk.common.replica import primary_reads

T = TypeVar("T")

_lock = threading.Lock()
_kept: dict[str, Any] = {}
_state: dict[str, Any] = {"version": None, "checked_at": -1e18, "changes": 0}


def cached(name: str, build: Callable[[], T]) -> T:
    """``build()`` once per catalogue version in this process, under ``name``."""
    _check()
    try:
        return _kept[name]  # type: ignore[no-any-return]
    except KeyError:
        pass
    with primary_reads():  # never from a replica behind the version it was built for
        value = build()
    with _lock:
        _kept[name] = value
    return value


def _check() -> None:
    now = time.monotonic()
    if now - _state["checked_at"] < settings.CATALOGUE_CHECK_SECONDS:
        return
    from govdesk.catalog.models import CatalogueVersion

    with primary_reads():
        version = CatalogueVersion.objects.filter(pk=1).values_list("number", flat=True).first()
    with _lock:
        if version != _state["version"]:
            _kept.clear()
            _state["version"] = version
        _state["checked_at"] = now


def current() -> tuple[int | None, int]:
    """The catalogue's version as this process last saw it (looked at again if it is time),
    with the number of changes this process made itself (a change rolled back leaves the
    version where it was, but what was built during it must not be used again)."""
    _check()
    return _state["version"], _state["changes"]


def clear() -> None:
    """Forget everything kept here (the next use looks at the version again)."""
    with _lock:
        _kept.clear()
        _state["version"] = None
        _state["checked_at"] = -1e18


def catalogue_changed(**_signal: Any) -> None:
    """The catalogue changed in this transaction: move the version with it, and forget what
    this process kept (now, and again once the change is committed)."""
    from govdesk.catalog.models import CatalogueVersion

    if not CatalogueVersion.objects.filter(pk=1).update(number=F("number") + 1):
        CatalogueVersion.objects.get_or_create(pk=1, defaults={"number": 1})
    clear()
    with _lock:
        _state["changes"] += 1
    transaction.on_commit(clear)
