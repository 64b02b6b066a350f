"""Cluster benchmark and check: govdesk on more than one machine, with real components on this
one (issue 11, item 5; docs/deployment.md).

    .venv/bin/python bench/cluster.py [--seconds 8] [--connections 8]
    .venv/bin/python bench/cluster.py --checks-only        # what tests/test_cluster.py runs

What it starts, all on 127.0.0.1, and stops again at the end (in ``finally``):

- PostgreSQL: the primary is the Debian cluster on :5432 (database ``govdesk_cluster``, made
  afresh, or ``--database-url``); a **streaming replica** on :5442 made with ``pg_basebackup``
  (a physical replication slot; data directory under a temporary folder). If the primary's
  ``pg_hba.conf`` allows no replication connection from 127.0.0.1, one ``trust`` line is added
  and the configuration reloaded (said on the output).
- Redis on :6379, database 13, emptied before and after: the shared cache (rate limits). If
  none answers there, a private ``redis-server`` on :16379 (started and stopped here).
- Two app nodes: gunicorn, 2 processes x 1 thread each, on :18101 and :18102, with
  ``GOVDESK_REPLICA_DATABASE_URL`` and ``GOVDESK_CACHE_URL`` set.
- HAProxy (Debian's ``haproxy``): :18080 balances both nodes (health checks on ``/healthz``,
  retries and redispatch of what is safe to retry), :18081 sends everything to node 1.
- Two task workers: ``govdesk db_worker`` and ``govdesk outbox-worker``, twice each.

Then it checks that sessions, bearer tokens, token revocation, rate limits, idempotency keys and
certificate numbering behave across nodes as on one; that the public catalogue reads the
replica, and a browser that just wrote reads the primary; that no task runs twice; and that
stopping one node under load (wrk), gracefully or by SIGKILL, loses no request that HAProxy can
retry (a response cut mid-way by the crash it cannot). Without ``--checks-only`` it then prints
throughput with one node and with two (wrk pinned to CPU 0, 1 thread) and the replica lag seen.

Exit status: 0 when every check passes, 1 when one fails, 3 when a component is missing (the
first line of output says which; the test skips on it).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import httpx
import psycopg

from machine import machine_rows

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PRIMARY_SERVER = "postgres://postgres@127.0.0.1:5432"
REPLICA_PORT = 5442
SLOT = "govdesk_cluster_replica"
REDIS_DB = 13
REDIS_PORTS = (6379, 16379)  # the machine's, or else one of ours
NODE_PORTS = (18101, 18102)
LB_BOTH, LB_ONE = 18080, 18081
MATTER = "CERT-RESIDENT-POPULATION"
GUIDE = f"/api/v1/matters/{MATTER}"
LI = "320205197405120027"
BUNDLE = "BUNDLE-EMPLOYMENT-DIFFICULTY"
CERTIFICATES = 10
VERIFY_LIMIT = 6
TOKEN_CACHE_SECONDS = 2
SKIP = 3
WORKER_SETTINGS = {
    "GOVDESK_OUTBOX_LEASE_SECONDS": "10",
    "GOVDESK_OUTBOX_RETRY_SECONDS": "1",
    "GOVDESK_OUTBOX_RETRY_MAX_SECONDS": "2",
    "GOVDESK_OUTBOX_POLL_SECONDS": "1",
}


class CheckFailed(Exception):
    pass


class Missing(Exception):
    """A component this machine lacks: the run is skipped, not failed."""


# --- processes ----------------------------------------------------------------------------------


@dataclass
class Proc:
    """A process of ours, in its own process group, stopped by its id."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    _out: IO[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        self._out = self.log.open("ab")
        self.process = subprocess.Popen(
            self.argv,
            env=self.env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, sig: signal.Signals) -> None:
        if self.alive():
            assert self.process is not None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)

    def stop(self, *, kill: bool = False, timeout: float = 10.0) -> None:
        if self.process is None:
            return
        self.signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        # Whatever the group still holds (a gunicorn worker orphaned by a SIGKILL).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        if self._out is not None:
            self._out.close()
            self._out = None

    def tail(self, chars: int = 1500) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def wait_for(what: str, ready: Callable[[], bool], timeout: float, every: float = 0.1) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if ready():
            return time.monotonic() - started
        time.sleep(every)
    raise CheckFailed(f"{what}: not ready after {timeout:.0f} s")


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def as_postgres(*argv: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    runner = [] if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--"]
    return subprocess.run(
        [*runner, *argv], check=True, capture_output=True, text=True, timeout=300, **kwargs
    )


# --- the replica --------------------------------------------------------------------------------


@dataclass
class Replica:
    folder: Path
    started: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def allow_replication(self) -> None:
        with psycopg.connect(f"{PRIMARY_SERVER}/postgres", autocommit=True) as conn:
            rules = conn.execute(
                "SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database)"
                " AND type = 'host' AND address = '127.0.0.1' AND auth_method = 'trust'"
            ).fetchone()
            if rules and rules[0] > 0:
                return
            row = conn.execute("SHOW hba_file").fetchone()
            assert row is not None
            hba = Path(str(row[0]))
            try:
                with hba.open("a", encoding="utf-8") as out:
                    out.write(
                        "\n# Added by govdesk bench/cluster.py: streaming replicas on this host\n"
                        "host replication all 127.0.0.1/32 trust\n"
                    )
            except OSError as exc:
                raise Missing(f"cannot allow replication in {hba}: {exc}") from exc
            conn.execute("SELECT pg_reload_conf()")
            self.notes.append(f"added 'host replication all 127.0.0.1/32 trust' to {hba}")

    def create(self) -> float:
        """pg_basebackup with a new slot; returns the seconds it took."""
        self.allow_replication()
        with psycopg.connect(f"{PRIMARY_SERVER}/postgres", autocommit=True) as conn:
            # A slot left by a run that was killed would keep WAL on the primary for ever.
            conn.execute(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                " WHERE slot_name = %s AND NOT active",
                [SLOT],
            )
            settings: dict[str, str] = dict(
                conn.execute(
                    "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)",
                    [
                        [
                            "max_connections",
                            "max_worker_processes",
                            "max_wal_senders",
                            "max_prepared_transactions",
                            "max_locks_per_transaction",
                        ]
                    ],
                ).fetchall()
            )
        self.folder.mkdir(mode=0o755)
        self.folder.parent.chmod(0o711)  # the postgres user passes through to its folder
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        started = time.monotonic()
        as_postgres(
            str(PG_BIN / "pg_basebackup"),
            "-h127.0.0.1",
            "-p5432",
            "-Upostgres",
            f"-D{self.data}",
            "-Xstream",
            "-R",
            "-C",
            f"-S{SLOT}",
            "--checkpoint=fast",
        )
        took = time.monotonic() - started
        # Debian keeps the configuration outside the data directory: the copy needs its own.
        conf = [
            f"port = {REPLICA_PORT}",
            "listen_addresses = '127.0.0.1'",
            f"unix_socket_directories = '{self.folder}'",
            "hot_standby = on",
            "shared_buffers = 128MB",
            "fsync = off",
            *(f"{name} = {value}" for name, value in settings.items()),
        ]
        for name, text in {
            "postgresql.conf": "\n".join(conf) + "\n",
            "pg_hba.conf": "local all all trust\nhost all all 127.0.0.1/32 trust\n",
            "pg_ident.conf": "",
        }.items():
            (self.data / name).write_text(text, encoding="utf-8")
            shutil.chown(self.data / name, "postgres", "postgres")
        return took

    def start(self) -> None:
        as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "replica.log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        self.started = True

    def stop(self) -> None:
        if self.started:
            with contextlib.suppress(subprocess.SubprocessError):
                as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop")
            self.started = False
        with (
            contextlib.suppress(psycopg.Error),
            psycopg.connect(f"{PRIMARY_SERVER}/postgres", autocommit=True) as conn,
        ):
            conn.execute(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                " WHERE slot_name = %s",
                [SLOT],
            )


def replay_lag_ms(primary: psycopg.Connection[Any], replica: psycopg.Connection[Any]) -> float:
    """Milliseconds until the replica has replayed the WAL the primary holds now."""
    row = primary.execute("SELECT pg_current_wal_lsn()").fetchone()
    assert row is not None
    lsn = row[0]
    started = time.perf_counter()
    while True:
        done = replica.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn]).fetchone()
        if done and done[0]:
            return (time.perf_counter() - started) * 1000
        if time.perf_counter() - started > 30:
            raise CheckFailed("the replica did not catch up within 30 s")
        time.sleep(0.001)


class LagSampler(threading.Thread):
    """Samples the replica's lag every ``every`` seconds while a load runs."""

    def __init__(self, db: str, every: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.db, self.every = db, every
        self.samples: list[float] = []
        self.stopping = threading.Event()
        self.error: str = ""

    def run(self) -> None:
        try:
            with (
                psycopg.connect(f"{PRIMARY_SERVER}/{self.db}", autocommit=True) as primary,
                psycopg.connect(replica_url(self.db), autocommit=True) as replica,
            ):
                while not self.stopping.is_set():
                    self.samples.append(replay_lag_ms(primary, replica))
                    self.stopping.wait(self.every)
        except (psycopg.Error, CheckFailed) as exc:
            self.error = str(exc)

    def stop(self) -> list[float]:
        self.stopping.set()
        self.join(timeout=40)
        return self.samples


def replica_url(db: str) -> str:
    return f"postgres://postgres@127.0.0.1:{REPLICA_PORT}/{db}"


# --- HAProxy ------------------------------------------------------------------------------------

HAPROXY = """\
global
    maxconn 4096
    log stderr format raw daemon

defaults
    mode http
    log global
    # Only what went wrong: a retry, a redispatch, an error (the log is haproxy.log).
    option httplog
    option dontlog-normal
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout queue 10s
    # A request whose node died (refused, reset, no answer) is sent again, to another node.
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout 502 503 504
    option forwardfor
    option httpchk
    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host 127.0.0.1
    default-server inter 500ms fall 2 rise 2

frontend both
    bind 127.0.0.1:{both}
    # Only what is safe to repeat is retried: reads, and writes with an Idempotency-Key.
    http-request disable-l7-retry if !METH_GET !METH_HEAD !{{ req.hdr(Idempotency-Key) -m found }}
    # The client's address for the app (GOVDESK_TRUSTED_PROXIES): never what the client sent.
    http-request del-header X-Forwarded-For
    default_backend nodes

frontend one
    bind 127.0.0.1:{one}
    # Only what is safe to repeat is retried: reads, and writes with an Idempotency-Key.
    http-request disable-l7-retry if !METH_GET !METH_HEAD !{{ req.hdr(Idempotency-Key) -m found }}
    # The client's address for the app (GOVDESK_TRUSTED_PROXIES): never what the client sent.
    http-request del-header X-Forwarded-For
    default_backend node1

backend nodes
    balance roundrobin
    server node1 127.0.0.1:{node1} check
    server node2 127.0.0.1:{node2} check

backend node1
    server node1 127.0.0.1:{node1} check
"""


# --- the cluster --------------------------------------------------------------------------------


@dataclass
class Cluster:
    folder: Path
    db: str
    env: dict[str, str]
    nodes: list[Proc] = field(default_factory=list)
    workers: list[Proc] = field(default_factory=list)
    balancer: Proc | None = None

    def everything(self) -> list[Proc]:
        return [*self.nodes, *self.workers, *([self.balancer] if self.balancer else [])]

    def node_url(self, index: int) -> str:
        return f"http://127.0.0.1:{NODE_PORTS[index]}"

    def start_node(self, index: int) -> None:
        gunicorn = Path(sys.executable).parent / "gunicorn"
        node = Proc(
            f"node{index + 1}",
            [
                str(gunicorn),
                "govdesk.wsgi",
                f"--bind=127.0.0.1:{NODE_PORTS[index]}",
                "--workers=2",
                "--threads=1",
                "--timeout=30",
                "--graceful-timeout=5",
            ],
            self.env,
            self.folder / f"node{index + 1}.log",
        )
        if index < len(self.nodes):
            self.nodes[index] = node
        else:
            self.nodes.append(node)
        node.start()

    def wait_node(self, index: int, timeout: float = 60) -> None:
        url = self.node_url(index) + "/healthz"

        def up() -> bool:
            if not self.nodes[index].alive():
                raise CheckFailed(f"node{index + 1} exited:\n{self.nodes[index].tail()}")
            try:
                return httpx.get(url, timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(f"node{index + 1}", up, timeout)

    def start(self) -> None:
        for port in (*NODE_PORTS, LB_BOTH, LB_ONE):
            if not port_free(port):
                raise Missing(f"port {port} is taken")
        for index in range(len(NODE_PORTS)):
            self.start_node(index)
        config = self.folder / "haproxy.cfg"
        config.write_text(
            HAPROXY.format(both=LB_BOTH, one=LB_ONE, node1=NODE_PORTS[0], node2=NODE_PORTS[1]),
            encoding="utf-8",
        )
        haproxy = shutil.which("haproxy") or "haproxy"
        subprocess.run(
            [haproxy, "-c", "-q", "-f", str(config)], check=True, timeout=30, capture_output=True
        )
        self.balancer = Proc(
            "haproxy", [haproxy, "-db", "-f", str(config)], self.env, self.folder / "haproxy.log"
        )
        self.balancer.start()
        python = [sys.executable, "-m", "govdesk"]
        for n in (1, 2):
            self.workers.append(
                Proc(
                    f"db_worker{n}",
                    [*python, "db_worker", "--interval=0.2", "--no-startup-delay", "--no-reload"],
                    self.env,
                    self.folder / f"db_worker{n}.log",
                )
            )
            self.workers.append(
                Proc(
                    f"outbox-worker{n}",
                    [*python, "outbox-worker"],
                    self.env,
                    self.folder / f"outbox-worker{n}.log",
                )
            )
        for worker in self.workers:
            worker.start()
        for index in range(len(NODE_PORTS)):
            self.wait_node(index)

        def balanced() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{LB_BOTH}/healthz", timeout=2).is_success
            except httpx.HTTPError:
                return False

        wait_for("haproxy", balanced, 20)

    def stop(self) -> None:
        for proc in self.everything():
            proc.stop()


# --- Django in this process (the operator's side: data, tokens, the checks' look-ups) -----------


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.pop("GOVDESK_REPLICA_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govdesk.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def prepare_database(db: str, password: str) -> None:
    with psycopg.connect(f"{PRIMARY_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')
    from django.core.management import call_command

    from govdesk.demo.loader import catalogue_load, personas_load, regions_load, staff_load

    call_command("migrate", verbosity=0, interactive=False)
    catalogue_load()
    regions = regions_load()
    staff_load(regions, password)
    personas_load(regions)
    from govdesk.certificates.services import demo_pki_load

    demo_pki_load()


def staff_token(username: str) -> str:
    from govdesk.accounts.models import User
    from govdesk.accounts.services import token_create

    return token_create(user=User.objects.get(username=username), label="cluster")


# --- the checks ---------------------------------------------------------------------------------


@dataclass
class Report:
    lines: list[tuple[str, bool, str]] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    def check(self, name: str, ok: bool, detail: str) -> None:
        self.lines.append((name, ok, detail))
        print(f"  {'ok  ' if ok else 'FAIL'} {name}: {detail}", flush=True)

    @property
    def ok(self) -> bool:
        return all(ok for _, ok, _ in self.lines)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def check_sessions(cluster: Cluster, report: Report, password: str) -> None:
    with httpx.Client(base_url=cluster.node_url(0), timeout=20) as one:
        page = one.get("/staff/login/")
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if found is None:
            report.check("sessions", False, f"no login form on node1 ({page.status_code})")
            return
        signed_in = one.post(
            "/staff/login/",
            data={
                "csrfmiddlewaretoken": found.group(1),
                "username": "clerk.chunlei",
                "password": password,
            },
            headers={"Referer": cluster.node_url(0) + "/staff/login/"},
        )
        cookies = dict(one.cookies)
    with httpx.Client(base_url=cluster.node_url(1), timeout=20, cookies=cookies) as two:
        home = two.get("/staff/")
        out = two.post("/staff/logout/", data={"csrfmiddlewaretoken": cookies.get("csrftoken")})
        after = two.get("/staff/")
    with httpx.Client(base_url=cluster.node_url(0), timeout=20, cookies=cookies) as one_again:
        gone = one_again.get("/staff/")
    report.check(
        "sessions",
        signed_in.status_code == 302
        and home.status_code == 200
        and "clerk.chunlei" in home.text
        and out.status_code in (200, 302)
        and after.status_code == 302
        and gone.status_code == 302,
        f"signed in on node1 ({signed_in.status_code}), workbench on node2 {home.status_code}; "
        f"signed out on node2, then node2 {after.status_code} and node1 {gone.status_code} "
        "(to the login page)",
    )


def check_tokens(cluster: Cluster, report: Report) -> None:
    from django.utils import timezone

    from govdesk.accounts.models import ApiToken

    token = staff_token("clerk.chunlei")
    statuses = []
    for index in (0, 1, 0, 1):
        statuses.append(
            httpx.get(
                cluster.node_url(index) + "/api/v1/applications", headers=bearer(token), timeout=20
            ).status_code
        )
    report.check(
        "bearer tokens",
        statuses == [200] * 4,
        f"one token on node1, node2, node1, node2: {statuses}",
    )
    # Revoked by the operator (in the database): every node refuses it within the time a
    # process may reuse a token it checked (GOVDESK_API_TOKEN_CACHE_SECONDS).
    revoked_at = time.monotonic()
    ApiToken.objects.filter(prefix=token[:10], revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    refused: dict[int, float] = {}
    while len(refused) < 2 and time.monotonic() - revoked_at < TOKEN_CACHE_SECONDS + 8:
        for index in (0, 1):
            if index in refused:
                continue
            reply = httpx.get(
                cluster.node_url(index) + "/api/v1/applications", headers=bearer(token), timeout=20
            )
            if reply.status_code == 401:
                refused[index] = time.monotonic() - revoked_at
        time.sleep(0.1)
    worst = max(refused.values()) if len(refused) == 2 else float("inf")
    report.check(
        "token revocation",
        worst <= TOKEN_CACHE_SECONDS + 3.0,  # the cache, then a request or two on a busy machine
        f"both nodes refuse a revoked token after {worst:.1f} s "
        f"(GOVDESK_API_TOKEN_CACHE_SECONDS={TOKEN_CACHE_SECONDS})",
    )


def check_rate_limits(cluster: Cluster, report: Report) -> None:
    # A fixed window per minute: start well inside one.
    if time.time() % 60 > 50:
        time.sleep(61 - time.time() % 60)
    path = "/api/v1/verify/" + secrets.token_urlsafe(24)
    balancer = f"http://127.0.0.1:{LB_BOTH}"
    spoofed = {"X-Forwarded-For": "198.51.100.23"}
    plan = [
        (cluster.node_url(0), {}),
        (cluster.node_url(1), {}),
        (balancer, spoofed),
        (cluster.node_url(0), {}),
        (cluster.node_url(1), {}),
        (balancer, spoofed),
    ]
    within = [httpx.get(url + path, headers=h, timeout=20).status_code for url, h in plan]
    beyond = [httpx.get(url + path, headers=h, timeout=20).status_code for url, h in plan[:3]]
    report.check(
        "rate limits",
        429 not in within and beyond == [429, 429, 429],
        f"{VERIFY_LIMIT}/min per client over both nodes and the balancer: first {len(within)} "
        f"{within}, then {beyond} (a made-up X-Forwarded-For changes nothing)",
    )


def check_idempotency(cluster: Cluster, report: Report) -> None:
    from govdesk.applications.models import ApplicationEvent

    clerk = staff_token("clerk.chunlei")
    started = httpx.post(
        f"http://127.0.0.1:{LB_BOTH}/api/v1/bundles/{BUNDLE}/start",
        json={"applicant": LI},
        headers=bearer(clerk),
        timeout=60,
    )
    if started.status_code != 201:
        report.check("idempotency keys", False, f"bundle start {started.status_code}")
        return
    application_id = started.json()["steps"][0]["application"]
    url = f"/api/v1/applications/{application_id}/submit"
    key = "cluster-" + secrets.token_hex(8)
    barrier = threading.Barrier(8)
    replies: list[tuple[int, Any]] = []
    lock = threading.Lock()

    def submit(index: int) -> None:
        barrier.wait(timeout=20)
        reply = httpx.post(
            cluster.node_url(index % 2) + url,
            headers={**bearer(clerk), "Idempotency-Key": key},
            timeout=60,
        )
        body = reply.json() if reply.headers.get("content-type", "").startswith("app") else None
        with lock:
            replies.append((reply.status_code, body))

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    statuses = sorted(Counter(s for s, _ in replies).items())
    versions = {b.get("version") for _, b in replies if isinstance(b, dict)}
    events = ApplicationEvent.objects.filter(application_id=application_id, action="submit").count()
    report.check(
        "idempotency keys",
        statuses == [(200, 8)] and len(versions) == 1 and events == 1,
        f"8 submits with one key at once, 4 per node: statuses {statuses}, "
        f"versions {sorted(versions, key=str)}, submit events {events}",
    )


@dataclass
class Issued:
    applications: list[str]
    numbers: list[int]
    seconds: float


def check_certificates(cluster: Cluster, report: Report) -> Issued | None:
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from govdesk.applications.models import Application, Channel, OutcomeIntent, Status
    from govdesk.audit.models import AuditEvent
    from govdesk.catalog.models import Matter
    from govdesk.certificates.models import Certificate, CertificateSequence
    from govdesk.common.idnumbers import make
    from govdesk.demo.loader import CHUNLEI
    from govdesk.organisations.models import Region
    from govdesk.people.services import household_upsert, person_upsert

    region = Region.objects.get(code=CHUNLEI)
    matter = Matter.objects.get(code=MATTER)
    run = secrets.token_hex(3).upper()
    applications = []
    for i in range(CERTIFICATES):
        person = person_upsert(id_number=make("320205", date(1961, 2, 3), 700 + i), name=f"集群{i}")
        household_upsert(
            number=f"3202050050017{i:02d}",
            address=f"无锡市锡山区云林街道春雷苑7幢{i + 1}室",
            region=region,
            members=[(person, "head", date(2000, 1, 1))],
        )
        applications.append(
            Application.objects.create(
                number=f"GD-CLUSTER-{run}-{i:02d}",
                matter=matter,
                applicant=person,
                region=region,
                channel=Channel.WINDOW,
                status=Status.ACCEPTED,
                created_by="bench",
                snapshot={
                    "certificate.purpose": {
                        "value": "用于申请调整阶梯水、电、气价人口基数",
                        "source": "default",
                        "origin": "",
                        "as_of": None,
                        "conflict": None,
                    }
                },
            )
        )
    sequence = CertificateSequence.objects.filter(
        issuer__code=CHUNLEI, year=timezone.localdate().year
    ).first()
    start = sequence.last if sequence else 0
    tasks_before = set(DBTaskResult.objects.values_list("id", flat=True))
    audit_before = AuditEvent.objects.count()
    reviewer = staff_token("reviewer.yunlin")
    began = time.monotonic()
    statuses: list[int] = []
    lock = threading.Lock()

    def approve(index: int) -> None:
        reply = httpx.post(
            f"http://127.0.0.1:{LB_BOTH}/api/v1/applications/{applications[index].pk}/actions",
            json={"action": "approve"},
            headers={**bearer(reviewer), "Idempotency-Key": f"approve-{run}-{index}"},
            timeout=60,
        )
        with lock:
            statuses.append(reply.status_code)

    threads = [threading.Thread(target=approve, args=(i,)) for i in range(CERTIFICATES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    def done() -> bool:
        return not OutcomeIntent.objects.filter(
            application__in=applications, done_at__isnull=True
        ).exists()

    try:
        wait_for("certificates", done, 90, every=0.25)
    except CheckFailed as exc:
        logs = "\n".join(f"{w.name}: {w.tail(800)}" for w in cluster.workers)
        report.check("certificate numbering", False, f"{exc}; approvals {statuses}\n{logs}")
        return None
    seconds = time.monotonic() - began
    certificates = list(Certificate.objects.filter(application__in=applications).defer("pdf"))
    per_application = Counter(c.application_id for c in certificates)
    numbers = sorted(int(c.number.rsplit("-", 1)[1]) for c in certificates)
    expected = list(range(start + 1, start + CERTIFICATES + 1))
    report.check(
        "certificate numbering",
        sorted(statuses) == [200] * CERTIFICATES
        and sorted(per_application.values()) == [1] * CERTIFICATES
        and numbers == expected,
        f"{CERTIFICATES} approvals through both nodes: one certificate each, numbers "
        f"{numbers[0] if numbers else '-'}..{numbers[-1] if numbers else '-'} without a gap "
        f"({seconds:.1f} s)",
    )

    def settled() -> bool:
        return not (
            DBTaskResult.objects.exclude(id__in=tasks_before)
            .filter(status__in=["READY", "RUNNING"])
            .exists()
        )

    with contextlib.suppress(CheckFailed):
        wait_for("tasks", settled, 30, every=0.25)
    tasks = list(DBTaskResult.objects.exclude(id__in=tasks_before))
    twice = [t for t in tasks if len(t.worker_ids) != 1]
    workers = Counter(w for t in tasks for w in t.worker_ids)
    intents = OutcomeIntent.objects.filter(application__in=applications)
    holders = Counter(i.claimed_by.rsplit(":", 1)[-1] for i in intents)
    unfinished = [t.status for t in tasks if t.status != "SUCCESSFUL"]
    report.check(
        "tasks run once",
        not twice and not unfinished and bool(tasks),
        f"{len(tasks)} tasks, each taken by one worker (workers used: {len(workers)}); "
        f"outcomes claimed by {len(holders)} worker processes; "
        f"not successful: {unfinished or 'none'}",
    )
    report.figures["audit rows per approval with its certificate"] = (
        AuditEvent.objects.count() - audit_before
    ) / CERTIFICATES
    return Issued([str(a.pk) for a in applications], numbers, seconds)


STORAGE = {
    # label: (table, rows to measure)
    "submitted application (made through the API)": (
        "applications_application",
        "created_by <> 'bench' AND status <> 'draft'",
    ),
    "application event": ("applications_applicationevent", "true"),
    "audit row": ("audit_auditevent", "true"),
    "certificate (with its signed PDF)": ("certificates_certificate", "true"),
}


def storage_figures(report: Report) -> None:
    """Bytes per row as stored (``pg_column_size``: after compression), and for the audit
    trail, the biggest table, its size with indexes per row."""
    from django.db import connection

    with connection.cursor() as cursor:
        for label, (table, where) in STORAGE.items():
            cursor.execute(
                f"SELECT count(*), coalesce(avg(pg_column_size(t.*)), 0) FROM {table} t"  # noqa: S608
                f" WHERE {where}"
            )
            count, average = cursor.fetchone()
            report.figures[f"bytes per {label} (n={count})"] = float(average)
        cursor.execute(
            "SELECT pg_total_relation_size('audit_auditevent')::float"
            " / greatest(1, (SELECT count(*) FROM audit_auditevent))"
        )
        report.figures["bytes per audit row with indexes"] = float(cursor.fetchone()[0])


def check_replica_reads(cluster: Cluster, report: Report, db: str) -> None:
    from govdesk.catalog.models import Matter

    balancer = f"http://127.0.0.1:{LB_BOTH}"
    matter = Matter.objects.get(code=MATTER)
    name = matter.name
    changed = name + "（新）"
    clerk = staff_token("clerk.chunlei")
    with psycopg.connect(replica_url(db), autocommit=True) as replica:
        in_recovery = replica.execute("SELECT pg_is_in_recovery()").fetchone()
        replica.execute("SELECT pg_wal_replay_pause()")
        try:
            Matter.objects.filter(pk=matter.pk).update(name=changed)
            with httpx.Client(base_url=balancer, timeout=20) as visitor:
                stale = [visitor.get(GUIDE).json()["name"] for _ in range(4)]
            with httpx.Client(base_url=balancer, timeout=60) as writer:
                before = writer.get(GUIDE).json()["name"]
                wrote = writer.post(
                    "/api/v1/applications",
                    json={"matter": MATTER, "applicant": LI},
                    headers=bearer(clerk),
                )
                pinned = [writer.get(GUIDE).json()["name"] for _ in range(4)]
        finally:
            replica.execute("SELECT pg_wal_replay_resume()")
        try:
            with psycopg.connect(f"{PRIMARY_SERVER}/{db}", autocommit=True) as primary:
                lag = replay_lag_ms(primary, replica)
            fresh = httpx.get(balancer + GUIDE, timeout=20).json()["name"]
        finally:
            Matter.objects.filter(pk=matter.pk).update(name=name)
    report.check(
        "stale reads from the replica",
        bool(in_recovery and in_recovery[0])
        and stale == [name] * 4
        and before == name
        and fresh == changed,
        f"replay paused, matter renamed on the primary: a visitor's 4 guide reads over both "
        f"nodes show the old name; once replay resumes ({lag:.0f} ms), the new one",
    )
    report.check(
        "read your writes",
        wrote.status_code in (200, 201) and pinned == [changed] * 4,
        f"the same browser, after a write ({wrote.status_code}), reads the primary on both "
        "nodes: 4 of 4 guide reads show the new name while the replica is paused",
    )


# --- load (wrk) ---------------------------------------------------------------------------------

LUA = """\
local paths = {{{paths}}}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
"""


@dataclass
class Load:
    rps: float
    requests: int
    bad: int
    errors: int
    error_kinds: str
    p50_ms: float
    p99_ms: float
    text: str
    #: WAL the primary wrote meanwhile, all its databases (others' included), in MB.
    wal_mb: float = 0.0


def _ms(value: str) -> float:
    number = float(re.sub(r"[a-z]+$", "", value))
    unit = re.sub(r"^[\d.]+", "", value)
    return number * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}.get(unit, 1.0)


def wrk(
    port: int, paths: list[str], token: str, seconds: float, connections: int, folder: Path
) -> Load:
    script = folder / "paths.lua"
    script.write_text(LUA.format(paths=", ".join(f'"{p}"' for p in paths)), encoding="utf-8")
    argv = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--latency",
        "--timeout=10s",
        f"-s{script}",
        f"-HAuthorization: Bearer {token}",
        f"http://127.0.0.1:{port}",
    ]
    if shutil.which("taskset"):
        argv = ["taskset", "-c", "0", *argv]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=True)
    text = done.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", text).group(1))  # type: ignore[union-attr]
    bad_match = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors_match = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    percentiles = dict(re.findall(r"\s(50|99)%\s+([\d.]+\w+)", text))
    return Load(
        rps=rps,
        requests=requests,
        bad=int(bad_match.group(1)) if bad_match else 0,
        errors=sum(int(g) for g in errors_match.groups()) if errors_match else 0,
        error_kinds=errors_match.group(0) if errors_match else "",
        p50_ms=_ms(percentiles.get("50", "0ms")),
        p99_ms=_ms(percentiles.get("99", "0ms")),
        text=text,
    )


def read_paths(applications: list[str]) -> dict[str, list[str]]:
    return {
        "catalogue guide (replica)": [GUIDE],
        "application read (primary, audited)": [f"/api/v1/applications/{a}" for a in applications],
    }


#: HAProxy's termination state for a response the node died in the middle of sending ("SD":
#: aborted by the server, data phase): part of it had reached the client, so no retry can mend
#: it. The client may repeat a read; every other request must succeed.
CUT_IN_DATA = re.compile(r"\sSD[-\w]{2}\s")


def check_node_loss(
    cluster: Cluster, report: Report, token: str, applications: list[str], seconds: float
) -> None:
    """Node 2 stops under load twice: gracefully (SIGTERM, as in an upgrade: nothing may be
    lost) and by a crash (SIGKILL: nothing may be lost but responses cut mid-way)."""
    paths = [GUIDE, *(f"/api/v1/applications/{a}" for a in applications)]
    for how, sig in (("stopped (SIGTERM)", signal.SIGTERM), ("killed (SIGKILL)", signal.SIGKILL)):
        result: list[Load] = []
        failure: list[str] = []

        def load(result: list[Load] = result, failure: list[str] = failure) -> None:
            try:
                result.append(wrk(LB_BOTH, paths, token, seconds, 8, cluster.folder))
            except (subprocess.SubprocessError, AttributeError) as exc:
                failure.append(str(exc))

        logged = len(cluster.balancer.tail(10**9)) if cluster.balancer else 0
        runner = threading.Thread(target=load)
        runner.start()
        time.sleep(seconds / 3)
        cluster.nodes[1].stop(kill=sig == signal.SIGKILL, timeout=20)
        runner.join(timeout=seconds + 90)
        name = f"a node {how} under load"
        if failure or not result:
            report.check(name, False, f"wrk failed: {failure}")
            return
        run = result[0]
        balancer = cluster.balancer.tail(10**9)[logged:] if cluster.balancer else ""
        cut = len(CUT_IN_DATA.findall(balancer)) if sig == signal.SIGKILL else 0
        ok = run.requests > 0 and run.bad == 0 and run.errors <= cut
        report.check(
            name,
            ok,
            f"node2 {how.split()[0]} {seconds / 3:.0f} s into {seconds:g} s of reads at 8 "
            f"connections: {run.requests} requests, {run.bad} not 2xx/3xx, {run.errors} "
            "socket errors"
            + (f", {cut} responses cut mid-way by the crash" if sig == signal.SIGKILL else "")
            + (f" ({run.error_kinds})\nhaproxy:\n{balancer[-3000:]}" if not ok else ""),
        )
        cluster.start_node(1)
        cluster.wait_node(1)
        time.sleep(1.5)  # HAProxy's health check takes node 2 back (rise 2 x 0.5 s)


def throughput(
    cluster: Cluster,
    report: Report,
    db: str,
    token: str,
    applications: list[str],
    seconds: float,
    connections: int,
) -> list[tuple[str, str, Load, list[float]]]:
    rows = []
    for label, paths in read_paths(applications).items():
        wrk(LB_BOTH, paths, token, 2, connections, cluster.folder)  # warm both nodes
        for nodes, port in (("1 node", LB_ONE), ("2 nodes", LB_BOTH)):
            sampler = LagSampler(db)
            sampler.start()
            with psycopg.connect(f"{PRIMARY_SERVER}/{db}", autocommit=True) as primary:
                before = primary.execute("SELECT pg_current_wal_lsn()").fetchone()
                run = wrk(port, paths, token, seconds, connections, cluster.folder)
                written = primary.execute(
                    "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s::pg_lsn)",
                    [before[0] if before else "0/0"],
                ).fetchone()
            run.wal_mb = float(written[0]) / 1e6 if written else 0.0
            lags = sampler.stop()
            rows.append((label, nodes, run, lags))
            if run.bad or run.errors:
                report.check(
                    f"throughput {label}, {nodes}",
                    False,
                    f"{run.bad} not 2xx/3xx, {run.errors} socket errors",
                )
    return rows


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


# --- main ---------------------------------------------------------------------------------------


def preflight() -> None:
    for tool in ("haproxy", "wrk"):
        if shutil.which(tool) is None:
            raise Missing(f"{tool} is not installed (scripts/system-packages.sh installs it)")
    for binary in ("pg_basebackup", "pg_ctl"):
        if not (PG_BIN / binary).exists():
            raise Missing(f"{PG_BIN / binary} is missing (PostgreSQL 15 server binaries)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        raise Missing("runuser is missing (to run the replica as the postgres user)")
    try:
        with psycopg.connect(f"{PRIMARY_SERVER}/postgres", connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        raise Missing(f"no PostgreSQL primary at {PRIMARY_SERVER}: {exc}") from exc
    if not redis_answers(REDIS_PORTS[0]) and shutil.which("redis-server") is None:
        raise Missing("no Redis on 127.0.0.1:6379 and no redis-server to start one")
    with psycopg.connect(f"{PRIMARY_SERVER}/postgres") as conn:
        slot = conn.execute(
            "SELECT active FROM pg_replication_slots WHERE slot_name = %s", [SLOT]
        ).fetchone()
    if slot and slot[0]:
        raise Missing(f"replication slot {SLOT} is in use (another run of this benchmark?)")


def redis_answers(port: int) -> bool:
    import redis

    try:
        return bool(redis.Redis(host="127.0.0.1", port=port, socket_timeout=3).ping())
    except redis.RedisError:
        return False


def start_redis(folder: Path) -> tuple[int, Proc | None]:
    """The machine's Redis if it answers, or a private one without persistence."""
    if redis_answers(REDIS_PORTS[0]):
        return REDIS_PORTS[0], None
    port = REDIS_PORTS[1]
    if not port_free(port):
        raise Missing(f"port {port} is taken")
    server = Proc(
        "redis",
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        dict(os.environ),
        folder / "redis.log",
    )
    server.start()
    wait_for("redis", lambda: redis_answers(port), 20)
    return port, server


def flush_redis(port: int) -> None:
    import redis

    redis.Redis(host="127.0.0.1", port=port, db=REDIS_DB, socket_timeout=3).flushdb()


def node_env(folder: Path, database_url: str, db: str, redis_port: int) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("GOVDESK_", "DATABASE_"))}
    keep.pop("PYTHONDONTWRITEBYTECODE", None)
    secrets_from_env = {
        name: os.environ.get(name) or secrets.token_urlsafe(48)
        for name in (
            "GOVDESK_SECRET_KEY",
            "GOVDESK_AUDIT_KEY",
            "GOVDESK_AUDIT_CHECKPOINT_KEY",
            "GOVDESK_SIGNING_KEY_PASSPHRASE",
        )
    }
    return {
        **keep,
        **secrets_from_env,
        "PYTHONPATH": str(ROOT / "src"),
        "PYTHONPYCACHEPREFIX": str(ROOT / "var" / "pycache"),
        "DJANGO_SETTINGS_MODULE": "govdesk.settings",
        "DATABASE_URL": database_url,
        "GOVDESK_REPLICA_DATABASE_URL": replica_url(db),
        "GOVDESK_CACHE_URL": f"redis://127.0.0.1:{redis_port}/{REDIS_DB}",
        "GOVDESK_TRUSTED_PROXIES": "127.0.0.1",
        "GOVDESK_VAR_DIR": str(folder / "var"),
        "GOVDESK_PKI_DIR": os.environ.get("GOVDESK_PKI_DIR") or str(folder / "pki"),
        "GOVDESK_DATA_DIR": str(folder / "shared-data"),
        "GOVDESK_AUDIT_CHECKPOINT_DIR": str(folder / "audit-checkpoints"),
        "GOVDESK_PUBLIC_BASE_URL": f"http://127.0.0.1:{LB_BOTH}",
        "GOVDESK_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "GOVDESK_SECURE_COOKIES": "false",
        "GOVDESK_DEBUG": "false",
        "GOVDESK_LOG_LEVEL": "ERROR",
        "GOVDESK_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "GOVDESK_VERIFY_RATE_PER_MINUTE": str(VERIFY_LIMIT),
        "GOVDESK_API_TOKEN_CACHE_SECONDS": str(TOKEN_CACHE_SECONDS),
        **WORKER_SETTINGS,
    }


@contextlib.contextmanager
def temporary_folder() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="govdesk-cluster-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def print_table(rows: list[tuple[str, str, Load, list[float]]], connections: int) -> None:
    print(f"\nthroughput, {connections} connections, wrk pinned to CPU 0:")
    header = (
        f"  {'operation':<38} {'nodes':<8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'lag p50 ms':>11} {'lag max ms':>11} {'WAL MB':>7}"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    for label, nodes, run, lags in rows:
        print(
            f"  {label:<38} {nodes:<8} {run.rps:>8.1f} {run.p50_ms:>8.1f} {run.p99_ms:>8.1f} "
            f"{percentile(lags, 50):>11.1f} {max(lags, default=float('nan')):>11.1f} "
            f"{run.wal_mb:>7.1f}"
        )
    print(
        "  (WAL MB: what the primary wrote during the run, in all its databases: the replica\n"
        "   replays the whole cluster, other users' databases included)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--db", default="govdesk_cluster", help="database made afresh")
    parser.add_argument(
        "--database-url",
        default="",
        help="use this migrated and loaded database instead (the test's); GOVDESK_PKI_DIR and "
        "GOVDESK_SIGNING_KEY_PASSPHRASE name its signing keys",
    )
    parser.add_argument("--staff-password", default=secrets.token_urlsafe(12))
    parser.add_argument("--checks-only", action="store_true", help="no throughput figures")
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds per wrk run")
    parser.add_argument("--kill-seconds", type=float, default=6.0)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args(argv)

    print("machine: " + "; ".join(f"{k}: {v}" for k, v in machine_rows()), flush=True)
    began = time.monotonic()
    try:
        preflight()
    except Missing as exc:
        print(f"skip: {exc}")
        return SKIP
    database_url = args.database_url or f"{PRIMARY_SERVER}/{args.db}"
    db = urlsplit(database_url).path.lstrip("/")
    report = Report()
    with temporary_folder() as folder, contextlib.ExitStack() as cleanup:
        try:
            redis_port, redis_server = start_redis(folder)
        except Missing as exc:
            print(f"skip: {exc}")
            return SKIP
        if redis_server is not None:
            cleanup.callback(redis_server.stop)
        env = node_env(folder, database_url, db, redis_port)
        for name in (
            "GOVDESK_SECRET_KEY",
            "GOVDESK_AUDIT_KEY",
            "GOVDESK_AUDIT_CHECKPOINT_KEY",
            "GOVDESK_SIGNING_KEY_PASSPHRASE",
            "GOVDESK_PKI_DIR",
            "GOVDESK_VAR_DIR",
            "GOVDESK_DATA_DIR",
            "GOVDESK_AUDIT_CHECKPOINT_DIR",
        ):
            os.environ[name] = env[name]
        os.environ["GOVDESK_TASKS_BACKEND"] = "django_tasks_db.DatabaseBackend"
        setup_django(database_url)
        if not args.database_url:
            prepared = time.monotonic()
            prepare_database(args.db, args.staff_password)
            print(f"database {args.db}: made in {time.monotonic() - prepared:.1f} s", flush=True)
        from django.db import connections

        connections.close_all()
        replica = Replica(folder / "replica")
        cluster = Cluster(folder, db, env)
        flush_redis(redis_port)
        try:
            took = replica.create()
            for note in replica.notes:
                print(f"note: {note}")
            replica.start()
            print(f"replica: pg_basebackup {took:.1f} s, streaming on :{REPLICA_PORT}", flush=True)
            cluster.start()
            print(
                f"cluster: 2 nodes x 2 processes, haproxy, 2 db_workers, 2 outbox-workers "
                f"({time.monotonic() - began:.0f} s)",
                flush=True,
            )
            print("checks:")
            check_sessions(cluster, report, args.staff_password)
            check_tokens(cluster, report)
            check_rate_limits(cluster, report)
            check_idempotency(cluster, report)
            issued = check_certificates(cluster, report)
            check_replica_reads(cluster, report, db)
            applications = issued.applications if issued else []
            token = staff_token("reviewer.yunlin")
            if applications:
                check_node_loss(cluster, report, token, applications, args.kill_seconds)
            rows = []
            if not args.checks_only and applications and report.ok:
                rows = throughput(
                    cluster, report, db, token, applications, args.seconds, args.connections
                )
        except (CheckFailed, subprocess.CalledProcessError, httpx.HTTPError) as exc:
            detail = getattr(exc, "stderr", "") or ""
            report.check("cluster", False, f"{exc} {detail}".strip())
            for proc in cluster.everything():
                if proc.tail(300).strip():
                    print(f"--- {proc.name} log:\n{proc.tail(600)}")
            rows = []
        finally:
            cluster.stop()
            replica.stop()
            with contextlib.suppress(Exception):
                flush_redis(redis_port)
            connections.close_all()
        if rows:
            print_table(rows, args.connections)
            lags = [lag for *_, samples in rows for lag in samples]
            print(
                f"\nreplica lag (time until the replica replayed the primary's WAL, sampled "
                f"every 0.2 s under load): p50 {percentile(lags, 50):.1f} ms, "
                f"p95 {percentile(lags, 95):.1f} ms, max {max(lags, default=0):.1f} ms "
                f"(n={len(lags)})"
            )
        if report.lines:
            storage_figures(report)
        for label, value in report.figures.items():
            print(f"{label}: {value:,.0f}")
    passed = sum(1 for _, ok, _ in report.lines if ok)
    print(
        f"\n{passed} of {len(report.lines)} checks passed in {time.monotonic() - began:.0f} s"
        f" (load now: {os.getloadavg()[0]:.2f})"
    )
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
