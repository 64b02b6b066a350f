"""Reads of the organisation tree."""

from __future__ import annotations

import time

from django.db import connection

from govdesk.common import rawsql
from govdesk.organisations.models import Region, ServicePoint

#: Regions change a few times a year (a community is split or renamed) and every person card
#: checks one, so each process keeps what it read for a minute; changes made in this process
#: clear it at once (see apps.py), other processes see them within REGION_CACHE_SECONDS.
REGION_CACHE_SECONDS = 60.0
_REGIONS: dict[tuple[str, str], tuple[float, Region | None]] = {}


_SERVICE_POINTS: dict[tuple[str, int], tuple[float, str]] = {}
_SUBTREES: dict[tuple[str, str], tuple[float, tuple[int, ...]]] = {}


def region_cache_clear() -> None:
    _REGIONS.clear()
    _SERVICE_POINTS.clear()
    _SUBTREES.clear()


def subtree_ids(region: Region) -> tuple[int, ...]:
    """The ids of ``region`` and every region inside it, kept like regions are: a list can then
    filter its rows by region id (an index) instead of joining the regions' paths."""
    key = (connection.alias, region.path)
    now = time.monotonic()
    cached = _SUBTREES.get(key)
    if cached is not None and now - cached[0] < REGION_CACHE_SECONDS:
        return cached[1]
    ids = tuple(
        Region.objects.filter(region.subtree_q()).order_by("id").values_list("id", flat=True)
    )
    _SUBTREES[key] = (now, ids)
    return ids


def service_point_name(point_id: int) -> str:
    """The name of a window (service point), kept like regions are; empty if there is none."""
    key = (connection.alias, point_id)
    now = time.monotonic()
    cached = _SERVICE_POINTS.get(key)
    if cached is not None and now - cached[0] < REGION_CACHE_SECONDS:
        return cached[1]
    name = ServicePoint.objects.filter(pk=point_id).values_list("name", flat=True).first() or ""
    _SERVICE_POINTS[key] = (now, name)
    return name


def region_by_code(code: str) -> Region | None:
    """The region with this code, or None."""
    key = (connection.alias, code)
    now = time.monotonic()
    cached = _REGIONS.get(key)
    if cached is not None and now - cached[0] < REGION_CACHE_SECONDS:
        return cached[1]
    sql = f"SELECT {rawsql.columns(Region, 'r')} FROM {rawsql.table(Region)} r WHERE r.code = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [code])
        row = cursor.fetchone()
    region = rawsql.from_row(Region, row) if row is not None else None
    _REGIONS[key] = (now, region)
    return region
