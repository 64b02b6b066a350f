"""Statutory time limits count working days: Monday to Friday, less the public holidays, plus
the weekend days worked instead (调休), from the workday calendar (``data/workdays.yaml``, or
the file ``GOVDESK_WORKDAY_CALENDAR`` names)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import yaml
from django.conf import settings

BUNDLED = Path(__file__).resolve().parent / "data" / "workdays.yaml"


@dataclass(frozen=True)
class Calendar:
    holidays: frozenset[date]
    workdays: frozenset[date]  # weekend days worked (调休)
    years: frozenset[int]

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5


def _dates(values: object, path: Path) -> frozenset[date]:
    if values is None:
        return frozenset()
    if not isinstance(values, list) or not all(isinstance(v, date) for v in values):
        raise ValueError(f"{path}: a list of dates (YYYY-MM-DD) expected")
    return frozenset(values)


@cache
def load_calendar(path: Path) -> Calendar:
    """The calendar in ``path``: ``{year: {"holidays": [dates], "workdays": [dates]}}``."""
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    holidays: set[date] = set()
    workdays: set[date] = set()
    for value in data.values():
        entry = value or {}
        holidays |= _dates(entry.get("holidays"), path)
        workdays |= _dates(entry.get("workdays"), path)
    return Calendar(frozenset(holidays), frozenset(workdays), frozenset(int(y) for y in data))


def calendar() -> Calendar:
    configured: str = getattr(settings, "WORKDAY_CALENDAR", "")
    return load_calendar(Path(configured) if configured else BUNDLED)


def is_working_day(day: date) -> bool:
    return calendar().is_working_day(day)


def add_working_days(start: date, days: int) -> date:
    """``days`` working days after ``start`` (holidays and 调休 from the workday calendar)."""
    known = calendar()
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if known.is_working_day(current):
            remaining -= 1
    return current
