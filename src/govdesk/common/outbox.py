"""A transactional outbox: work that must follow a change, written as a row in the change's own
transaction and re-driven until it is done (ADR 13).

A concrete outbox is a model that subclasses ``OutboxEntry`` and adds what the work is about
(``applications.OutcomeIntent``: the application whose outcomes must run). Its dispatcher
claims due entries one at a time (``claim``), with a lease: on PostgreSQL the row is locked
``FOR UPDATE SKIP LOCKED``, on every database the claim is a conditional UPDATE that only one
worker can win. The work then runs, and in the work's own transaction the entry is marked
``finish``-ed or ``defer``-red (the error kept, the next attempt later, exponentially). A worker
that dies holding a claim leaves it to expire at ``claimed_until``; the next dispatch claims it
again. The work must therefore be idempotent: it may start more than once, and only what
commits counts.

Dispatchers register here (``register``) so that one command, ``govdesk outbox-worker``, drives
every outbox without knowing the apps that define them.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import connections, models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

E = TypeVar("E", bound="OutboxEntry")


class OutboxEntry(models.Model):
    """One piece of work to do after a commit, until it is done."""

    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    claimed_by = models.CharField(_("claimed by"), max_length=100, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        abstract = True
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="%(app_label)s_%(class)s_due",
                condition=Q(done_at__isnull=True),
            )
        ]


def worker_name() -> str:
    """Who claims: host and process, as an operator would look for it."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def lease() -> timedelta:
    return timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)


def backoff(attempts: int) -> timedelta:
    """How long to wait before the next attempt after ``attempts`` that did not finish: none
    after none, then ``OUTBOX_RETRY_SECONDS`` doubling up to ``OUTBOX_RETRY_MAX_SECONDS``."""
    if attempts <= 0:
        return timedelta(0)
    first, cap = settings.OUTBOX_RETRY_SECONDS, settings.OUTBOX_RETRY_MAX_SECONDS
    return timedelta(seconds=min(cap, first * 2 ** min(attempts - 1, 30)))


def due(queryset: QuerySet[E], now: datetime) -> QuerySet[E]:
    """Entries not done, whose next attempt has come and that nobody holds a live claim on."""
    return queryset.filter(done_at__isnull=True, next_attempt_at__lte=now).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    )


def claim(queryset: QuerySet[E], *, worker: str) -> E | None:
    """Claim the entry due first, or None: committed at once, so that other workers see the
    claim. The attempt is counted now, and the back-off after the previous attempts starts
    now, so that work which kills its worker every time is not tried in a tight loop."""
    connection = connections[queryset.db]
    for _round in range(5):  # lost races: another worker claimed the candidate meanwhile
        now = timezone.now()
        candidates = due(queryset, now).order_by("next_attempt_at", "pk")
        with transaction.atomic(using=queryset.db, durable=True):
            if connection.features.has_select_for_update_skip_locked:
                entry = candidates.select_for_update(skip_locked=True).first()
            else:
                entry = candidates.first()
            if entry is None:
                return None
            attempts, until = entry.attempts + 1, now + lease()
            won = candidates.filter(pk=entry.pk, attempts=entry.attempts).update(
                attempts=attempts,
                claimed_until=until,
                claimed_by=worker,
                next_attempt_at=now + backoff(attempts - 1),
            )
        if won:
            entry.attempts, entry.claimed_by, entry.claimed_until = attempts, worker, until
            return entry
    return None


def finish(queryset: QuerySet[E]) -> int:
    """Mark done (in the transaction of the work itself)."""
    return queryset.filter(done_at__isnull=True).update(
        done_at=timezone.now(), claimed_until=None, last_error=""
    )


def defer(queryset: QuerySet[E], *, error: str) -> int:
    """Keep the error and let go of the claim; the next attempt waits ``backoff``."""
    now = timezone.now()
    changed = 0
    for pk, attempts in queryset.filter(done_at__isnull=True).values_list("pk", "attempts"):
        changed += queryset.filter(pk=pk).update(
            next_attempt_at=now + backoff(max(attempts, 1)),
            claimed_until=None,
            last_error=error[:2000],
        )
    return changed


def drain(
    queryset: QuerySet[E],
    *,
    run: Callable[[E], bool],
    worker: str,
    budget: float | None = None,
) -> Report:
    """Claim and run due entries one at a time until none is due, one comes round a second
    time, or ``budget`` seconds have passed. ``run(entry)`` does the work, settles the entry in
    the work's own transaction (``finish`` or ``defer``) and says whether it finished; if it
    raises, its transaction rolled back and the entry is deferred here with the error."""
    started = time.monotonic()
    seen: set[object] = set()
    report = Report()
    while budget is None or time.monotonic() - started < budget:
        entry = claim(queryset, worker=worker)
        if entry is None or entry.pk in seen:
            break
        seen.add(entry.pk)
        try:
            finished = run(entry)
        except Exception as exc:
            logger.exception("outbox %s %s failed", entry._meta.label, entry.pk)
            defer(queryset.filter(pk=entry.pk), error=f"{type(exc).__name__}: {exc}")
            finished = False
        report += Report(done=1) if finished else Report(deferred=1)
    return report


# Dispatchers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    done: int = 0
    deferred: int = 0

    def __add__(self, other: Report) -> Report:
        return Report(self.done + other.done, self.deferred + other.deferred)

    def as_dict(self) -> dict[str, int]:
        return {"done": self.done, "deferred": self.deferred}


Dispatcher = Callable[..., Report]
_DISPATCHERS: dict[str, Dispatcher] = {}


def register(name: str, dispatcher: Dispatcher) -> None:
    """``dispatcher(worker=…, budget=…)`` runs the due entries of one outbox."""
    _DISPATCHERS[name] = dispatcher


def dispatchers() -> dict[str, Dispatcher]:
    return dict(_DISPATCHERS)


# django-tasks results left RUNNING by a worker that died -------------------------------------


ABANDONED = (
    "The worker stopped while this task was running (killed or lost). Its work is not lost: "
    "the outbox entry it was nudging is claimed again once its lease expires."
)


_CLOSED_AT: dict[tuple[str, ...], float] = {}


def abandoned_task_results_close(
    *, task_paths: list[str], started_before: datetime, every: float = 0.0
) -> int:
    """django-tasks' database backend marks a task RUNNING when a worker takes it and has no
    lease or heartbeat: a worker killed meanwhile leaves it RUNNING for good. For tasks that
    only nudge an outbox (their work is re-driven from the outbox's rows), such a result is
    noise: mark those started before ``started_before`` as failed, saying why. At most once
    every ``every`` seconds in a process: the results table has no index for this query."""
    from django_tasks_db.models import DBTaskResult

    key, now = tuple(task_paths), time.monotonic()
    if key in _CLOSED_AT and now - _CLOSED_AT[key] < every:
        return 0
    _CLOSED_AT[key] = now
    return DBTaskResult.objects.filter(
        status="RUNNING", task_path__in=task_paths, started_at__lt=started_before
    ).update(
        status="FAILED",
        finished_at=timezone.now(),
        exception_class_path="govdesk.common.outbox.WorkerStopped",
        traceback=ABANDONED,
    )
