"""Statutory time limits count working days."""

from __future__ import annotations

from datetime import date, timedelta


def add_working_days(start: date, days: int) -> date:
    """``days`` working days after ``start`` (Monday–Friday; public holidays are not modelled)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current
