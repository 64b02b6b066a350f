"""The counts the dashboard's stats add up (``KindTally``, ``ProblemTally``), kept as each
friction is recorded, and rebuilt from the frictions when needed (``tallies_rebuild``)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import F
from django.utils import timezone

from govdesk.frictions.models import Friction, KindTally, ProblemTally


def week_of(at: datetime) -> date:
    """The Monday (local time) of the week ``at`` falls in."""
    day = timezone.localdate(at)
    return day - timedelta(days=day.weekday())


def tally_add(friction: Friction) -> None:
    """Count ``friction`` in both tallies (called in the transaction that records it)."""
    key: dict[str, Any] = {
        "region_id": friction.region_id,
        "department_id": friction.department_id,
    }
    week = week_of(friction.at)
    if not KindTally.objects.filter(**key, kind=friction.kind, week=week).update(
        count=F("count") + 1, minutes_lost=F("minutes_lost") + friction.minutes_lost
    ):
        KindTally.objects.create(
            **key, kind=friction.kind, week=week, count=1, minutes_lost=friction.minutes_lost
        )
    if not ProblemTally.objects.filter(**key, problem_id=friction.problem_id).update(
        count=F("count") + 1
    ):
        ProblemTally.objects.create(**key, problem_id=friction.problem_id, count=1)


def tallies_rebuild(chunk: int = 50_000) -> tuple[int, int]:
    """Count every friction again (after a bulk load, or if the tallies were lost): returns
    how many rows each tally has."""
    kinds: dict[tuple[Any, ...], list[float]] = defaultdict(lambda: [0, 0.0])
    problems: dict[tuple[Any, ...], int] = defaultdict(int)
    rows = Friction.objects.order_by().values_list(
        "region_id", "department_id", "kind", "at", "minutes_lost", "problem_id"
    )
    for region, department, kind, at, lost, problem in rows.iterator(chunk_size=chunk):
        totals = kinds[(region, department, kind, week_of(at))]
        totals[0] += 1
        totals[1] += lost
        problems[(region, department, problem)] += 1
    KindTally.objects.all().delete()
    ProblemTally.objects.all().delete()
    KindTally.objects.bulk_create(
        [
            KindTally(region_id=r, department_id=d, kind=k, week=w, count=int(n), minutes_lost=lost)
            for (r, d, k, w), (n, lost) in kinds.items()
        ],
        batch_size=5000,
    )
    ProblemTally.objects.bulk_create(
        [
            ProblemTally(region_id=r, department_id=d, problem_id=p, count=n)
            for (r, d, p), n in problems.items()
        ],
        batch_size=5000,
    )
    return len(kinds), len(problems)
