"""Reads of the organisation tree."""

from __future__ import annotations

import time

from django.db import connection

from govdesk.common import rawsql
from govdesk.organisations.models import Region

#: Regions change a few times a year (a community is split or renamed) and every person card
#: checks one, so each process keeps what it read for a minute; changes made in this process
#: clear it at once (see apps.py), other processes see them within REGION_CACHE_SECONDS.
REGION_CACHE_SECONDS = 60.0
_REGIONS: dict[tuple[str, str], tuple[float, Region | None]] = {}


def region_cache_clear() -> None:
    _REGIONS.clear()


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
