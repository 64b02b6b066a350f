"""kill -9 at random points loses no certificate and issues none twice (ADR 13).

Real worker processes — ``govdesk db_worker`` (the nudges queued on commit) and ``govdesk
outbox-worker`` (the intents themselves) — run against this test database (a file on SQLite,
the test database on PostgreSQL; the data commits, ``transaction=True``). Twenty 常住人口信息证明
applications of synthetic 春雷社区 residents are approved; for half of them the nudge is
dropped, as if the web process died between the commit and the enqueue. The workers are
SIGKILLed at seeded random moments and started again. In the end every application has exactly
one certificate, the numbers run on without a gap, every intent is done, no task is left
RUNNING and the audit chain is intact.

About 30 s on SQLite or PostgreSQL (2 cores); ``-m kill`` selects it, and it runs in the normal
suite.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from govdesk.accounts.models import User
from govdesk.applications import services
from govdesk.applications.models import Application, OutcomeIntent
from govdesk.applications.services import application_act
from govdesk.applications.tasks import NUDGES
from govdesk.audit.models import AuditEvent
from govdesk.audit.services import audit_verify
from govdesk.certificates.models import Certificate, CertificateSequence
from govdesk.common.principal import Principal
from govdesk.demo.loader import CHUNLEI
from tests.conftest import PASSPHRASE, accepted_certificate_application, chunlei_resident

pytestmark = [pytest.mark.kill, pytest.mark.django_db(transaction=True)]

APPLICATIONS = 20
SEED = 20261208
KILLS = 6
#: Seconds the workers get, from the first approval, to finish everything (kills included).
BUDGET = 50.0
SURNAMES, GIVEN = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许", "华国民平安"
WORKER_SETTINGS = {
    "GOVDESK_OUTBOX_LEASE_SECONDS": "2",
    "GOVDESK_OUTBOX_RETRY_SECONDS": "1",
    "GOVDESK_OUTBOX_RETRY_MAX_SECONDS": "2",
    "GOVDESK_OUTBOX_POLL_SECONDS": "1",
}


@dataclass
class Worker:
    """A worker process of ours: started, SIGKILLed by its pid, started again."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    _out: IO[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        if self._out is None:
            self._out = self.log.open("ab")
        self.starts += 1
        self._out.write(f"--- start {self.starts}\n".encode())
        self._out.flush()
        self.process = subprocess.Popen(  # noqa: S603
            self.argv, env=self.env, stdout=self._out, stderr=subprocess.STDOUT
        )

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def close(self) -> None:
        self.kill()
        if self._out is not None:
            self._out.close()


def _database_url() -> str:
    """The test database, for another process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{quote(db['USER'])}{password}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def workers(tmp_path: Path, pki_dir: Path, settings: Any) -> Iterator[list[Worker]]:
    for name, value in WORKER_SETTINGS.items():
        setattr(settings, name.removeprefix("GOVDESK_"), int(value))
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        # Bytecode compiled once serves every start (as a deployment's would), even where the
        # environment says not to write it.
        "PYTHONPYCACHEPREFIX": str(django_settings.VAR_DIR / "pycache"),
        "DJANGO_SETTINGS_MODULE": "govdesk.settings",
        "DATABASE_URL": _database_url(),
        "GOVDESK_DEBUG": "false",
        "GOVDESK_SECRET_KEY": django_settings.SECRET_KEY,
        "GOVDESK_AUDIT_KEY": django_settings.AUDIT_KEY,
        "GOVDESK_PKI_DIR": str(pki_dir),
        "GOVDESK_SIGNING_KEY_PASSPHRASE": PASSPHRASE,
        "GOVDESK_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "GOVDESK_LOG_LEVEL": "ERROR",
        **WORKER_SETTINGS,
    }
    python = [sys.executable, "-m", "govdesk"]
    started = [
        Worker(
            "db_worker",
            [*python, "db_worker", "--interval", "0.2", "--no-startup-delay", "--no-reload"],
            env,
            tmp_path / "db_worker.log",
        ),
        Worker("outbox-worker", [*python, "outbox-worker"], env, tmp_path / "outbox.log"),
    ]
    yield started
    for worker in started:
        worker.close()


def _claim_holder(workers: list[Worker], timeout: float, *, warm: bool) -> Worker | None:
    """The worker of ours that holds a live claim on an intent (it is issuing), if one does
    within ``timeout`` seconds; ``warm``: one that has finished an intent since it started
    (past its first issuance, which loads the fonts and the signing libraries)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = timezone.now()
        claims = OutcomeIntent.objects.filter(claimed_by__gt="").values_list(
            "claimed_by", "done_at", "claimed_until"
        )
        holding, finished = set(), set()
        for holder, done_at, until in claims:
            pid = holder.rsplit(":", 1)[-1]
            if done_at is not None:
                finished.add(pid)
            elif until is not None and until > now:
                holding.add(pid)
        for worker in workers:
            pid = str(worker.process.pid) if worker.process else ""
            if pid in holding and (not warm or pid in finished):
                return worker
        time.sleep(0.05)
    return None


def _finished(applications: list[Application]) -> bool:
    open_intents = OutcomeIntent.objects.filter(
        application__in=applications, done_at__isnull=True
    ).exists()
    running = DBTaskResult.objects.filter(status="RUNNING", task_path__in=NUDGES).exists()
    return not open_intents and not running


def test_workers_killed_at_random_points_issue_every_certificate_exactly_once(
    loaded: None, workers: list[Worker], monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    rng = random.Random(SEED)
    applications = [
        accepted_certificate_application(
            chunlei_resident(800 + i, f"{SURNAMES[i]}建{GIVEN[i % 5]}"),
            f"GD-TEST-KILL-{i:02d}",
        )
        for i in range(APPLICATIONS)
    ]
    chunlei_issuer = CertificateSequence.objects.filter(
        issuer__code=CHUNLEI, year=timezone.localdate().year
    ).first()
    start = chunlei_issuer.last if chunlei_issuer else 0
    issued_before = AuditEvent.objects.filter(action="certificate.issue", result="ok").count()
    reviewer = Principal(kind="staff", user=User.objects.get(username="reviewer.yunlin"))

    began = time.monotonic()
    for worker in workers:
        worker.start()
    for i, application in enumerate(applications):
        with monkeypatch.context() as patch:
            if i % 2:  # the web process "dies" after the commit, before it enqueues the nudge
                patch.setattr(services, "_nudge_outcomes", lambda: None)
            application_act(principal=reviewer, application_id=application.pk, action="approve")

    kills: list[tuple[float, str, bool]] = []  # (when, whom, whether it held a claim)
    while len(kills) < KILLS and not _finished(applications) and time.monotonic() - began < BUDGET:
        holder = _claim_holder(workers, timeout=5.0, warm=len(kills) % 2 == 1)
        holder = holder or _claim_holder(workers, timeout=5.0, warm=False)
        if holder is None:
            continue
        # Mostly the worker inside an issuance, at a random point of it; now and then the
        # other one (starting, idle, or waiting for a lock).
        victim = holder if rng.random() < 0.8 else next(w for w in workers if w is not holder)
        time.sleep(rng.uniform(0.0, 0.3))
        victim.kill()
        kills.append((round(time.monotonic() - began, 1), victim.name, victim is holder))
        victim.start()
    while not _finished(applications) and time.monotonic() - began < BUDGET:
        time.sleep(0.25)
    elapsed = time.monotonic() - began
    for worker in workers:
        worker.kill()

    intents = list(OutcomeIntent.objects.filter(application__in=applications))
    attempts = Counter(i.attempts for i in intents)
    summary = f"{elapsed:.1f} s, kills {kills}, attempts per intent {dict(attempts)}"
    print(f"\n{connection.vendor}: {summary}")
    logs = "\n".join(f"{w.name}: {w.log.read_text(errors='replace')[-1500:]}" for w in workers)
    assert _finished(applications), f"not done after {BUDGET} s ({summary})\n{logs}"
    assert attempts.keys() != {1}, f"no claim was taken over from a killed worker ({summary})"

    certificates = list(Certificate.objects.filter(application__in=applications).defer("pdf"))
    per_application = Counter(c.application_id for c in certificates)
    assert sorted(per_application.values()) == [1] * APPLICATIONS, per_application
    numbers = sorted(int(c.number.rsplit("-", 1)[1]) for c in certificates)
    assert numbers == list(range(start + 1, start + APPLICATIONS + 1)), numbers
    sequence = CertificateSequence.objects.get(issuer__code=CHUNLEI, year=timezone.localdate().year)
    assert sequence.last == start + APPLICATIONS
    by_application = {c.application_id: c.number for c in certificates}
    for application in Application.objects.filter(pk__in=[a.pk for a in applications]):
        assert application.outcome["certificate"]["number"] == by_application[application.pk]
    assert all(i.done_at is not None and i.last_error == "" for i in intents)
    assert not DBTaskResult.objects.filter(status="RUNNING").exists()
    # A killed issuance rolled back whole: one audit row per certificate, and the chain holds.
    issued = AuditEvent.objects.filter(action="certificate.issue", result="ok").count()
    assert issued - issued_before == APPLICATIONS
    assert audit_verify().ok
