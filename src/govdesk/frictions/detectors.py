"""Detectors: the platform raises the frictions it can see itself, from what it records
already (the search log, the application timeline, the values typed with their sources, the
materials resolved at submission), through ``services.friction_record``.

Each detector reads only what is new since its last run (its ``DetectorMark``: the last row
it read), at most ``settings.FRICTION_DETECT_BATCH`` rows a run, and records a friction once
per source row (``source_ref``): running it twice creates nothing new. It also feeds
verification: when the context of a rectified problem comes back without the stutter (the
same search now finds something, the same field is now held by a source …), it tells
``services.problem_observe``, so that the problem is verified by the platform, not declared.

Kinds without a detector here: ``reported`` (people), ``poor_rating`` (the ratings),
``server_error`` (recorded by the 500 page itself: ``presentation.errorpages``) and
``delivery_failed`` (reserved for department routing, which does not exist yet).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import F, Max, Q, QuerySet
from django.utils import timezone

from govdesk.applications.lifecycle import Action
from govdesk.applications.models import Application, ApplicationEvent, MaterialUpload
from govdesk.audit.transactions import atomic
from govdesk.catalog.models import MaterialRequirement, SearchLog
from govdesk.catalog.search import normalize
from govdesk.common.outbox import Report
from govdesk.frictions.models import DetectorMark, Kind, Problem, ProblemStatus
from govdesk.frictions.services import Context, friction_record, problem_observe

#: Search-log channels where opening a result is recorded (the portal's result links); a
#: search over the API opens nothing we can see, so it is never "abandoned".
OPEN_TRACKED_CHANNELS = ("web",)
#: Sources of a form's value that mean a person typed it.
TYPED_SOURCES = frozenset({"typed"})


@dataclass
class Found:
    """What one detector did in one run."""

    scanned: int = 0
    raised: int = 0
    observed: int = 0
    #: More rows were waiting than one run reads.
    more: bool = False

    def as_dict(self) -> dict[str, int | bool]:
        return {
            "scanned": self.scanned,
            "raised": self.raised,
            "observed": self.observed,
            "more": self.more,
        }


def _mark(name: str) -> DetectorMark:
    DetectorMark.objects.get_or_create(name=name)
    return DetectorMark.objects.select_for_update().get(name=name)


def _advance(mark: DetectorMark, last_id: int) -> None:
    mark.last_id = max(mark.last_id, last_id)
    mark.last_at = timezone.now()
    mark.runs += 1
    mark.save()


def _window(
    mark: DetectorMark, rows: QuerySet[Any], top: int | None, batch: int
) -> tuple[int, int, int, bool]:
    """(after, upto, how many, more): the next ``batch`` rows of ``rows`` after the mark, up to
    ``top``, as a range of ids (gaps in the ids cost nothing)."""
    after = mark.last_id
    if top is None or top <= after:
        return after, after, 0, False
    ahead = rows.filter(id__gt=after, id__lte=top).order_by("id").values_list("id", flat=True)
    nth = list(ahead[batch - 1 : batch])
    if nth and nth[0] < top:
        return after, nth[0], batch, True
    return after, top, batch if nth else ahead.count(), False


def _rectified(kind: str) -> list[Problem]:
    return list(
        Problem.objects.filter(kind=kind, status=ProblemStatus.RECTIFIED).only(
            "id", "matter_id", "field", "material", "query", "rectified_at"
        )
    )


def _after(stamp: datetime, problem: Problem) -> bool:
    return problem.rectified_at is None or stamp > problem.rectified_at


def _observe(problems: Iterable[Problem], at: datetime, found: Found) -> None:
    for problem in problems:
        if _after(at, problem):
            problem_observe(problem_id=problem.pk, recurred=False)
            found.observed += 1


# --- the search log ---------------------------------------------------------------------------


def _by_query(kind: str) -> dict[str, list[Problem]]:
    problems: dict[str, list[Problem]] = defaultdict(list)
    for problem in _rectified(kind):
        if problem.query:
            problems[normalize(problem.query)].append(problem)
    return problems


@atomic()
def detect_search_no_result(batch: int) -> Found:
    """A search that found nothing (``SearchLog.results == 0``); a later search of a rectified
    problem's query that finds something counts towards its verification."""
    found = Found()
    mark = _mark(Kind.SEARCH_NO_RESULT)
    top = SearchLog.objects.aggregate(top=Max("id"))["top"]
    after, upto, found.scanned, found.more = _window(mark, SearchLog.objects.all(), top, batch)
    if upto == after:
        return found
    rows = SearchLog.objects.filter(id__gt=after, id__lte=upto)
    for pk, query in rows.filter(results=0).values_list("id", "query").order_by("id"):
        if friction_record(
            kind=Kind.SEARCH_NO_RESULT,
            source_ref=f"searchlog:{pk}",
            context=Context(query=query, channel="online"),
        ):
            found.raised += 1
    watched = _by_query(Kind.SEARCH_NO_RESULT)
    if watched:
        for query, at in rows.filter(results__gt=0).values_list("query", "at").order_by("id"):
            _observe(watched.get(normalize(query), ()), at, found)
    _advance(mark, upto)
    return found


@atomic()
def detect_search_abandoned(batch: int) -> Found:
    """A portal search with results of which none was opened within
    ``FRICTION_ABANDONED_MINUTES`` (read only once that time has passed); a later search of a
    rectified problem's query whose result was opened counts towards its verification."""
    found = Found()
    mark = _mark(Kind.SEARCH_ABANDONED)
    cutoff = timezone.now() - timedelta(minutes=settings.FRICTION_ABANDONED_MINUTES)
    top = SearchLog.objects.filter(at__lte=cutoff).aggregate(top=Max("id"))["top"]
    after, upto, found.scanned, found.more = _window(mark, SearchLog.objects.all(), top, batch)
    if upto == after:
        return found
    rows = SearchLog.objects.filter(
        id__gt=after, id__lte=upto, results__gt=0, channel__in=OPEN_TRACKED_CHANNELS
    )
    for pk, query in rows.filter(opened="").values_list("id", "query").order_by("id"):
        if friction_record(
            kind=Kind.SEARCH_ABANDONED,
            source_ref=f"searchlog:{pk}",
            context=Context(query=query, channel="online"),
        ):
            found.raised += 1
    watched = _by_query(Kind.SEARCH_ABANDONED)
    if watched:
        for query, at in rows.exclude(opened="").values_list("query", "at").order_by("id"):
            _observe(watched.get(normalize(query), ()), at, found)
    _advance(mark, upto)
    return found


# --- the application timeline -----------------------------------------------------------------


def _events(
    name: str, actions: Iterable[str], batch: int
) -> tuple[DetectorMark, list[ApplicationEvent], Found, int]:
    """The timeline events of ``actions`` new since the mark (with their applications)."""
    found = Found()
    mark = _mark(name)
    top = ApplicationEvent.objects.aggregate(top=Max("id"))["top"]
    after, upto, found.scanned, found.more = _window(
        mark, ApplicationEvent.objects.all(), top, batch
    )
    if upto == after:
        return mark, [], found, upto
    events = list(
        ApplicationEvent.objects.filter(id__gt=after, id__lte=upto, action__in=list(actions))
        .select_related("application", "application__matter", "application__region")
        .order_by("id")
    )
    return mark, events, found, upto


def _submitted(events: list[ApplicationEvent]) -> list[Application]:
    """Each application submitted among ``events`` once (its snapshot as frozen then)."""
    seen: dict[Any, Application] = {}
    for event in events:
        seen.setdefault(event.application_id, event.application)
    return [a for a in seen.values() if a.snapshot is not None]


@atomic()
def detect_typed_known(batch: int) -> Found:
    """A submitted application with a value typed where the registry or an e-licence held one
    (prefill keeps the source's value and notes the typed one as a ``conflict`` in the
    snapshot; a value typed once is captured and prefilled afterwards). A new submitted
    application of a rectified problem's matter whose field now comes from a source counts
    towards its verification."""
    mark, events, found, upto = _events(Kind.TYPED_KNOWN, [Action.SUBMIT, Action.RESUBMIT], batch)
    watched: dict[tuple[int, str], list[Problem]] = defaultdict(list)
    for problem in _rectified(Kind.TYPED_KNOWN):
        if problem.matter_id is not None and problem.field:
            watched[(problem.matter_id, problem.field)].append(problem)
    for application in _submitted(events):
        snapshot: dict[str, Any] = application.snapshot or {}
        for key, item in snapshot.items():
            if not isinstance(item, dict):
                continue
            if item.get("conflict"):  # the values themselves are not copied into the log
                if friction_record(
                    kind=Kind.TYPED_KNOWN,
                    source_ref=f"application:{application.pk}:{key}"[:100],
                    context=Context(field=key),
                    application=application,
                    person=application.applicant,
                ):
                    found.raised += 1
                continue
            problems = watched.get((application.matter_id, key), ())
            if problems and item.get("source") not in TYPED_SOURCES and item.get("value"):
                _observe(problems, application.submitted_at or timezone.now(), found)
    _advance(mark, upto)
    return found


def _valid(licence: Any, on: date) -> bool:
    if not isinstance(licence, dict):
        return False
    until = licence.get("valid_until")
    if not until:
        return True
    try:
        return date.fromisoformat(str(until)[:10]) >= on
    except ValueError:
        return True


@atomic()
def detect_paper_despite_licence(batch: int) -> Found:
    """A material provided on paper at the window or uploaded while a valid e-licence of its
    type was held at submission (``Application.held``). A new submitted application of a
    rectified problem's matter where that material was not asked for counts towards its
    verification."""
    mark, events, found, upto = _events(
        Kind.PAPER_DESPITE_LICENCE, [Action.SUBMIT, Action.RESUBMIT], batch
    )
    applications = _submitted(events)
    watched: dict[tuple[int, str], list[Problem]] = defaultdict(list)
    for problem in _rectified(Kind.PAPER_DESPITE_LICENCE):
        if problem.matter_id is not None and problem.material:
            watched[(problem.matter_id, problem.material)].append(problem)
    matters = {a.matter_id for a in applications}
    requirements: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for matter_id, name, licence in (
        MaterialRequirement.objects.filter(matter_id__in=matters)
        .exclude(licence_type="")
        .values_list("matter_id", "name", "licence_type")
    ):
        requirements[matter_id].append((name, licence))
    uploaded = set(
        MaterialUpload.objects.filter(
            application__in=[a.pk for a in applications if requirements.get(a.matter_id)],
            replaced_at__isnull=True,
        ).values_list("application_id", "material")
    )
    for application in applications:
        held: dict[str, Any] = application.held or {}
        on = timezone.localdate(application.submitted_at or timezone.now())
        for name, licence in requirements.get(application.matter_id, ()):
            fact = held.get(f"licence.{licence}")
            if not isinstance(fact, dict) or not _valid(fact.get("value"), on):
                continue
            paper = name in (application.materials_provided or []) or (
                (application.pk, name) in uploaded
            )
            if paper:
                if friction_record(
                    kind=Kind.PAPER_DESPITE_LICENCE,
                    source_ref=f"application:{application.pk}:material:{name}"[:100],
                    context=Context(material=name),
                    application=application,
                    person=application.applicant,
                ):
                    found.raised += 1
            else:
                _observe(
                    watched.get((application.matter_id, name), ()),
                    application.submitted_at or timezone.now(),
                    found,
                )
    _advance(mark, upto)
    return found


@atomic()
def detect_returned(batch: int) -> Found:
    """An application returned to the resident for correction, with the reason as its
    summary. An acceptance of an application of a rectified problem's matter (it went through
    without a return) counts towards its verification."""
    mark, events, found, upto = _events(Kind.RETURNED, [Action.RETURN, Action.ACCEPT], batch)
    watched: dict[int, list[Problem]] = defaultdict(list)
    for problem in _rectified(Kind.RETURNED):
        if problem.matter_id is not None:
            watched[problem.matter_id].append(problem)
    for event in events:
        application = event.application
        if event.action == Action.RETURN:
            if friction_record(
                kind=Kind.RETURNED,
                source_ref=f"event:{event.pk}",
                summary=event.comment,
                application=application,
                person=application.applicant,
            ):
                found.raised += 1
        else:
            _observe(watched.get(application.matter_id, ()), event.at, found)
    _advance(mark, upto)
    return found


#: Approved applications of a matter its median is taken over (the most recent).
MEDIAN_OVER = 200


def _medians(matters: set[int]) -> dict[int, float]:
    """Each matter's median acceptance-to-decision time in seconds, over its most recent
    approved applications (none when there are fewer than ``FRICTION_SLOW_MIN_SAMPLES``)."""
    medians: dict[int, float] = {}
    for matter_id in matters:
        spans = [
            (decided - accepted).total_seconds()
            for accepted, decided in Application.objects.filter(
                matter_id=matter_id, accepted_at__isnull=False, decided_at__isnull=False
            )
            .order_by("-decided_at")
            .values_list("accepted_at", "decided_at")[:MEDIAN_OVER]
            if accepted is not None and decided is not None
        ]
        if len(spans) >= settings.FRICTION_SLOW_MIN_SAMPLES:
            medians[matter_id] = statistics.median(spans)
    return medians


@atomic()
def detect_slow_step(batch: int) -> Found:
    """An application whose acceptance to approval took more than ``FRICTION_SLOW_FACTOR``
    times its matter's median. An approval within it, of a rectified problem's matter, counts
    towards its verification."""
    mark, events, found, upto = _events(Kind.SLOW_STEP, [Action.APPROVE], batch)
    events = [e for e in events if e.application.accepted_at is not None]
    medians = _medians({e.application.matter_id for e in events})
    watched: dict[int, list[Problem]] = defaultdict(list)
    for problem in _rectified(Kind.SLOW_STEP):
        if problem.matter_id is not None:
            watched[problem.matter_id].append(problem)
    factor = settings.FRICTION_SLOW_FACTOR
    for event in events:
        application = event.application
        median = medians.get(application.matter_id)
        accepted = application.accepted_at
        if median is None or accepted is None:
            continue
        took = (event.at - accepted).total_seconds()
        if took > factor * median and took > 0:
            if friction_record(
                kind=Kind.SLOW_STEP,
                source_ref=f"event:{event.pk}",
                application=application,
                person=application.applicant,
                minutes_lost=round((took - median) / 60, 1),
            ):
                found.raised += 1
        else:
            _observe(watched.get(application.matter_id, ()), event.at, found)
    _advance(mark, upto)
    return found


#: One detector per automatic kind, in the order they run.
DETECTORS: dict[str, Callable[[int], Found]] = {
    Kind.SEARCH_NO_RESULT: detect_search_no_result,
    Kind.SEARCH_ABANDONED: detect_search_abandoned,
    Kind.TYPED_KNOWN: detect_typed_known,
    Kind.PAPER_DESPITE_LICENCE: detect_paper_despite_licence,
    Kind.RETURNED: detect_returned,
    Kind.SLOW_STEP: detect_slow_step,
}


def frictions_detect(*, batch: int | None = None, until_done: bool = False) -> dict[str, Found]:
    """Run every detector once (or, ``until_done``, until each has read everything new);
    what each found, by kind. Each run of a detector is one transaction holding its mark, so
    two runs at once (the worker and the command line) read different rows or wait."""
    size = batch or settings.FRICTION_DETECT_BATCH
    report: dict[str, Found] = {}
    for kind, detector in DETECTORS.items():
        total = Found()
        while True:
            found = detector(size)
            total.scanned += found.scanned
            total.raised += found.raised
            total.observed += found.observed
            total.more = found.more
            if not (until_done and found.more):
                break
        report[str(kind)] = total
    return report


#: The mark that says when the worker last ran the detectors.
SCHEDULE = "_schedule"


def periodic_turn(name: str, every: int) -> bool:
    """Whether this worker's pass runs the periodic work ``name`` now: ``every`` seconds have
    passed since its last run by any worker, and this worker's update moved its mark first (so
    one of several workers runs it). ``every`` 0 or less: never (left to cron)."""
    if every <= 0:
        return False
    now = timezone.now()
    DetectorMark.objects.get_or_create(name=name)
    due = Q(last_at__isnull=True) | Q(last_at__lte=now - timedelta(seconds=every))
    return bool(DetectorMark.objects.filter(due, name=name).update(last_at=now, runs=F("runs") + 1))


def frictions_detect_due(*, worker: str = "", budget: float | None = None) -> Report:
    """The worker's periodic run (an ``outbox`` dispatcher, called on each of its passes): the
    detectors run when ``FRICTION_DETECT_SECONDS`` have passed since the last run by any
    worker (``periodic_turn``)."""
    if not periodic_turn(SCHEDULE, settings.FRICTION_DETECT_SECONDS):
        return Report()
    report = frictions_detect()
    return Report(done=sum(found.raised for found in report.values()))
