"""Reads of the friction log, scoped like everything else: the data bureau (operators and
auditors) sees its whole area; other staff what happened in their jurisdiction (and of their
department's matters where they belong to one) and what they reported; a resident only what
they reported. A staff read is audited."""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncWeek
from django.utils.translation import gettext as _

from govdesk.audit.actions import AuditAction
from govdesk.audit.services import audit_record
from govdesk.common.errors import Invalid, NotFound
from govdesk.common.idnumbers import redact_numbers
from govdesk.common.principal import Principal
from govdesk.common.roles import Role
from govdesk.frictions import lifecycle
from govdesk.frictions.models import Friction, KindTally, Problem, ProblemEvent, ProblemTally
from govdesk.frictions.services import roles_of
from govdesk.organisations.models import Department
from govdesk.organisations.selectors import subtree_ids

#: Staff who see every friction of their area (the data bureau).
BUREAU = frozenset({Role.OPERATOR, Role.AUDITOR})


@dataclass(frozen=True)
class FrictionFilters:
    status: str | None = None
    kind: str | None = None
    matter: str | None = None
    department: str | None = None


@dataclass(frozen=True)
class HistoryItem:
    action: str
    from_status: str
    to_status: str
    actor: str
    role: str
    at: datetime
    note: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class FrictionView:
    """A friction with its problem, as the reader may see it."""

    friction: Friction
    problem: Problem
    history: list[HistoryItem] = field(default_factory=list)
    allowed_actions: list[lifecycle.Action] = field(default_factory=list)


def _scoped(principal: Principal) -> QuerySet[Friction]:
    rows = Friction.objects.select_related("problem", "matter", "department", "region")
    if principal.kind == "resident":
        return rows.filter(person=principal.person)
    home = principal.jurisdiction
    if principal.kind != "staff" or home is None:
        return rows.none()
    mine = Q(reporter_ref=principal.actor().name)
    if principal.role in BUREAU:
        return rows.filter(Q(region_id__in=subtree_ids(home)) | Q(region__isnull=True) | mine)
    area = Q(region_id__in=subtree_ids(home))
    user = principal.user
    if user is not None and user.department_id is not None:
        area &= Q(department_id=user.department_id) | Q(problem__department_id=user.department_id)
    return rows.filter(area | mine)


def friction_list(
    *,
    principal: Principal,
    filters: FrictionFilters | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[int, list[Friction]]:
    """(how many, the newest ``limit``) of the frictions this principal may read; after
    ``cursor`` (``next_cursor`` of the previous page's last row) for the following page."""
    filters = filters or FrictionFilters()
    rows = _scoped(principal)
    if filters.status:
        rows = rows.filter(problem__status=filters.status)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.matter:
        rows = rows.filter(matter__code=filters.matter)
    if filters.department:
        rows = rows.filter(
            Q(department__code=filters.department) | Q(problem__department__code=filters.department)
        )
    count = rows.count()
    if cursor:
        at, pk = _cursor_read(cursor)
        rows = rows.filter(at__lte=at).filter(Q(at__lt=at) | Q(at=at, id__lt=pk))
    found = list(rows.order_by("-at", "-id")[: max(1, min(limit, 200))])
    if principal.kind == "staff":
        audit_record(
            actor=principal.actor(),
            action=AuditAction.FRICTION_LIST,
            subject_type="frictions",
            subject_label=str(len(found)),
            detail={"count": len(found), "frictions": [f.number for f in found]},
        )
    return count, found


def next_cursor(last: Friction) -> str:
    raw = json.dumps([last.at.isoformat(), str(last.pk)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_read(cursor: str) -> tuple[datetime, UUID]:
    try:
        at, pk = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.fromisoformat(str(at)), UUID(str(pk))
    except (ValueError, TypeError) as exc:
        raise Invalid(
            _("This page link is not valid; start again from the first page."),
            {"cursor": _("Not a cursor this list gave.")},
        ) from exc


def friction_detail(*, principal: Principal, friction_id: UUID | str) -> FrictionView:
    """The friction, its problem (occurrences, people, minutes lost, status, owner) and the
    problem's history; refused as not found (audited) outside the reader's scope."""
    try:
        pk = friction_id if isinstance(friction_id, UUID) else UUID(str(friction_id))
    except ValueError as exc:
        raise NotFound(_("No such friction.")) from exc
    friction = _scoped(principal).filter(pk=pk).first()
    if friction is None:
        if principal.kind == "staff" and Friction.objects.filter(pk=pk).exists():
            audit_record(
                actor=principal.actor(),
                action=AuditAction.FRICTION_READ,
                result="denied",
                subject_type="friction",
                subject_id=str(pk),
            )
        raise NotFound(_("No such friction."))
    if principal.kind == "staff":
        audit_record(
            actor=principal.actor(),
            action=AuditAction.FRICTION_READ,
            subject_type="friction",
            subject_id=friction.number,
        )
    problem = friction.problem
    history = [
        HistoryItem(
            e.action, e.from_status, e.to_status, e.actor, e.actor_role, e.at, e.note, e.detail
        )
        for e in ProblemEvent.objects.filter(problem=problem)
    ]
    return FrictionView(
        friction=friction,
        problem=problem,
        history=history,
        allowed_actions=lifecycle.allowed(problem.status, roles_of(principal, problem)),
    )


@dataclass(frozen=True)
class Stats:
    by_kind: dict[str, int]
    by_status: dict[str, int]
    by_department: dict[str, int]
    by_week: dict[str, int]
    minutes_lost: float


def friction_stats(*, principal: Principal) -> Stats:
    """Counts of the frictions this principal may read, by kind, status, department and week.
    The data bureau and staff without a department read the tallies kept as frictions are
    recorded (``tallies``: a few small grouped queries, whatever the number of frictions),
    plus what they reported outside their area; others' scope is narrower and is counted from
    the frictions in one grouped pass."""
    user = principal.user
    home = principal.jurisdiction
    if (
        principal.kind == "staff"
        and home is not None
        and (principal.role in BUREAU or user is None or user.department_id is None)
    ):
        area = Q(region_id__in=subtree_ids(home))
        if principal.role in BUREAU:
            area |= Q(region__isnull=True)
        totals = _from_tallies(area)
        _count(Friction.objects.filter(reporter_ref=principal.actor().name).exclude(area), totals)
    else:
        totals = _Totals()
        _count(_scoped(principal), totals)
    return totals.stats()


@dataclass
class _Totals:
    kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    status: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    department: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    week: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    minutes: float = 0.0

    def stats(self) -> Stats:
        return Stats(
            by_kind=dict(self.kind),
            by_status=dict(self.status),
            by_department=dict(self.department),
            by_week=dict(sorted(self.week.items())),
            minutes_lost=self.minutes,
        )


def _iso_week(week: object) -> str | None:
    if isinstance(week, datetime):
        return week.date().isoformat()
    if isinstance(week, date):
        return week.isoformat()
    return None


def _from_tallies(area: Q) -> _Totals:
    totals = _Totals()
    kinds = KindTally.objects.filter(area).order_by()
    for kind, n in kinds.values_list("kind").annotate(n=Sum("count")).values_list("kind", "n"):
        totals.kind[str(kind)] += int(n)
    for code, n in (
        kinds.values_list("department__code")
        .annotate(n=Sum("count"))
        .values_list("department__code", "n")
    ):
        totals.department[str(code or "")] += int(n)
    for week, n in kinds.values_list("week").annotate(n=Sum("count")).values_list("week", "n"):
        key = _iso_week(week)
        if key is not None:
            totals.week[key] += int(n)
    totals.minutes = float(kinds.aggregate(total=Sum("minutes_lost"))["total"] or 0)
    for status, n in (
        ProblemTally.objects.filter(area)
        .order_by()
        .values_list("problem__status")
        .annotate(n=Sum("count"))
        .values_list("problem__status", "n")
    ):
        totals.status[str(status)] += int(n)
    return totals


def _count(frictions: QuerySet[Friction], totals: _Totals) -> None:
    """Add ``frictions`` to ``totals`` (one grouped pass, folded with the problems' status)."""
    rows = (
        frictions.order_by()
        .annotate(week=TruncWeek("at"))
        .values_list("kind", "problem_id", "department_id", "week")
        .annotate(n=Count("id"), lost=Sum("minutes_lost"))
    )
    by_problem: dict[int, int] = defaultdict(int)
    by_department: dict[int | None, int] = defaultdict(int)
    for kind, problem_id, department_id, week, n, lost in rows:
        totals.kind[str(kind)] += n
        by_problem[problem_id] += n
        by_department[department_id] += n
        key = _iso_week(week)
        if key is not None:
            totals.week[key] += n
        totals.minutes += float(lost or 0)
    for pk, status in Problem.objects.filter(pk__in=list(by_problem)).values_list("pk", "status"):
        totals.status[str(status)] += by_problem[pk]
    codes = dict(
        Department.objects.filter(pk__in=[d for d in by_department if d is not None]).values_list(
            "pk", "code"
        )
    )
    for department_id, n in by_department.items():
        totals.department[str(codes.get(department_id, "")) if department_id else ""] += n


@dataclass(frozen=True)
class ProblemRow:
    number: str
    title: str
    kind: str
    status: str
    occurrences: int
    people: int
    minutes_lost: float
    department: str
    deadline: date | None


@dataclass(frozen=True)
class Dashboard:
    stats: Stats
    top: list[ProblemRow]
    #: Mean days from first seen to rectified, over the problems rectified (None: none yet).
    days_to_rectify: float | None
    #: Share of the rectified problems that were verified (None: none rectified yet).
    share_verified: float | None


def friction_dashboard(*, principal: Principal, top: int = 10) -> Dashboard:
    """What the data bureau reads of the log (a department's staff: their own): the counts,
    the problems that cost people most, how long rectification takes and how much of it held.
    A fixed number of grouped queries."""
    stats = friction_stats(principal=principal)
    problems = Problem.objects.filter(
        pk__in=_scoped(principal).order_by().values("problem_id")
    ).select_related("department")
    worst = [
        ProblemRow(
            p.number,
            redact_numbers(p.title),
            p.kind,
            p.status,
            p.occurrences,
            p.people,
            p.minutes_lost,
            p.department.short_name if p.department else "",
            p.deadline,
        )
        for p in problems.order_by("-minutes_lost", "-occurrences")[:top]
    ]
    rectified = list(
        problems.filter(rectified_at__isnull=False).values_list(
            "first_seen", "rectified_at", "status"
        )
    )
    days = [
        (done - first).total_seconds() / 86400
        for first, done, _status in rectified
        if done is not None and first is not None
    ]
    held = [s for _f, _d, s in rectified if s == "verified"]
    return Dashboard(
        stats=stats,
        top=worst,
        days_to_rectify=sum(days) / len(days) if days else None,
        share_verified=len(held) / len(rectified) if rectified else None,
    )


@dataclass(frozen=True)
class PublicRow:
    title: str
    matter: str
    answer: str
    rectified_at: datetime | None
    verified: bool


def public_rectified(*, limit: int = 50) -> list[PublicRow]:
    """你说我改 / You said, we did: problems rectified, newest first, with what was done; no
    person, no number (ID-like and phone-like strings masked in case a search held one)."""
    rows = (
        Problem.objects.filter(status__in=["rectified", "verified"])
        .select_related("matter")
        .order_by("-rectified_at")[:limit]
    )
    return [
        PublicRow(
            title=redact_numbers(p.title),
            matter=p.matter.name if p.matter else "",
            answer=redact_numbers(p.note),
            rectified_at=p.rectified_at,
            verified=p.status == "verified",
        )
        for p in rows
    ]


def public_monthly(*, months: int = 12) -> list[tuple[str, int, int, int]]:
    """(month, stutters recorded, problems rectified, problems verified), the last ``months``."""
    from django.db.models.functions import TruncMonth

    def by_month(rows: QuerySet[Any], column: str) -> dict[str, int]:
        return {
            (m.date() if isinstance(m, datetime) else m).strftime("%Y-%m"): int(n)
            for m, n in rows.order_by()
            .annotate(month=TruncMonth(column))
            .values_list("month")
            .annotate(n=Count("id"))
            .values_list("month", "n")
            if m is not None
        }

    reported = by_month(Friction.objects.all(), "at")
    rectified = by_month(Problem.objects.filter(rectified_at__isnull=False), "rectified_at")
    verified = by_month(Problem.objects.filter(status="verified"), "rectified_at")
    keys = sorted(set(reported) | set(rectified))[-months:]
    return [(k, reported.get(k, 0), rectified.get(k, 0), verified.get(k, 0)) for k in keys]
