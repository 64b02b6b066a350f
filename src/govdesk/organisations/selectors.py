"""Reads of the organisation tree."""

from __future__ import annotations

from django.db import connection

from govdesk.common import rawsql
from govdesk.organisations.models import Region


def region_by_code(code: str) -> Region | None:
    """The region with this code, or None. On every person card: one hand-written query."""
    sql = f"SELECT {rawsql.columns(Region, 'r')} FROM {rawsql.table(Region)} r WHERE r.code = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [code])
        row = cursor.fetchone()
    return rawsql.from_row(Region, row) if row is not None else None
