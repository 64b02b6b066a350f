"""API benchmark: read, create, accept and a list page of 100, as the goals of the performance
issue state them, on PostgreSQL with about 10,000 applications built through the services.

    .venv/bin/python bench/api.py [--db govdesk_api_bench] [--reuse] [--seconds 8]
    .venv/bin/python bench/api.py --applications 1000000 [--reuse]   # the list, in process

It prints the machine, then

1. recreates a dedicated database (migrate, the demo city, 20,000 generated people) and creates
   10,000 applications of 春雷社区's residents through the services (``application_create``,
   ``application_submit``, ``application_act``), as a clerk would: most submitted, some
   accepted;
2. counts the SQL statements of each operation in process (the catalogue and the token kept,
   as in a running server);
3. serves with gunicorn, 2 processes × 1 thread, and drives each operation with wrk pinned to
   one core (``taskset``) at 1, 8 and 16 connections; every answer's status is checked (any
   non-2xx fails the run) and a sample body of each operation is checked for its shape;
4. prints a table like the issue's, with the load the machine was under.

With ``--applications N`` (N > 10,000) the database is grown to N applications by copying the
service-built ones in SQL (numbers, ids and dates new), and the list is measured in process:
``application_page`` for a clerk and for the district, first pages and later ones (goal p95
≤ 50 ms). The exit status is 0 only when every goal is met.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from machine import machine_rows
from registry import (
    BIN,
    ROOT,
    Server,
    app_env,
    database_url,
    govdesk,
    heading,
    percentile,
    pg_connect,
    say,
    server_start,
)

DB = "govdesk_api_bench"
APPLICATIONS = 10_000
PEOPLE = 20_000
MATTER = "CERT-RESIDENT-POPULATION"
CLERK = "clerk.chunlei"
DISTRICT = "approver.hrss"
CONNECTIONS = (1, 8, 16)

#: operation → (req/s at 8 connections, p95 ms at 8 connections or None, statements)
GOALS: dict[str, tuple[float, float | None, int]] = {
    "read": (300.0, 40.0, 6),
    "create": (100.0, None, 12),
    "accept": (150.0, None, 12),
    "list": (60.0, 150.0, 6),
}
LIST_P95_GOAL_MS = 50.0  # in process, with 1,000,000 applications

WRK_LUA = """
local items = {ITEMS}
local auth = "Bearer TOKEN"
local n = 0
local non2xx = 0
local kind = "KIND"

function request()
  n = n + 1
  local item = items[((n - 1) % #items) + 1]
  local headers = {["Authorization"] = auth, ["Content-Type"] = "application/json"}
  if kind == "read" then
    return wrk.format("GET", "/api/v1/applications/" .. item, headers)
  elseif kind == "create" then
    local body = '{"matter": "MATTER", "applicant": "' .. item .. '"}'
    return wrk.format("POST", "/api/v1/applications", headers, body)
  elseif kind == "accept" then
    return wrk.format("POST", "/api/v1/applications/" .. item .. "/actions", headers,
      '{"action": "accept"}')
  else
    return wrk.format("GET", item, headers)
  end
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if non2xx < 4 then io.stderr:write("status " .. status .. ": " .. body:sub(1, 300) .. "\\n") end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK-JSON {\\"requests\\": %d, \\"duration_us\\": %d, \\"non2xx\\": %d, " ..
    "\\"errors\\": %d, \\"p50_us\\": %d, \\"p95_us\\": %d, \\"p99_us\\": %d}\\n",
    summary.requests, summary.duration, non2xx,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


@dataclass
class Run:
    rps: float
    p50: float
    p95: float
    p99: float
    requests: int
    non2xx: int
    errors: int


@dataclass
class Figures:
    statements: dict[str, int] = field(default_factory=dict)
    runs: dict[tuple[str, int], Run] = field(default_factory=dict)
    load: list[str] = field(default_factory=list)
    samples_ok: dict[str, bool] = field(default_factory=dict)
    paging: dict[str, Any] = field(default_factory=dict)


# --- Django in this process -----------------------------------------------------------------


def django_setup(db: str) -> None:
    os.environ.update(app_env(db))
    os.environ["GOVDESK_ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govdesk.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def build(db: str, applications: int) -> None:
    heading(f"database {db}: migrate, demo city, {PEOPLE:,} people, {applications:,} applications")
    from psycopg import sql

    with pg_connect("postgres") as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db)))
    env = app_env(db)
    govdesk(["migrate", "--no-input", "-v0"], env, timeout=600)
    govdesk(["demo", "--people", "0"], env, timeout=600)
    govdesk(["generate-people", "--count", str(PEOPLE)], env, timeout=1200)
    django_setup(db)
    started = time.perf_counter()
    made = grow_through_services(applications, submitted_share=0.9, accepted_share=0.3)
    say(f"{made:,} applications through the services in {time.perf_counter() - started:.0f} s")
    vacuum(db)


def vacuum(db: str) -> None:
    """What autovacuum does for a database in service: statistics and the visibility map
    (index-only counts), after the bulk of rows was written."""
    with pg_connect(db) as conn:
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")


def applicants(limit: int = 100_000) -> list[str]:
    """ID numbers of living residents within the clerk's community."""
    from govdesk.accounts.models import User
    from govdesk.people.models import Person

    home = User.objects.get(username=CLERK).jurisdiction
    assert home is not None
    return list(
        Person.objects.filter(home.subtree_q("membership__household__region"))
        .filter(deceased_on__isnull=True)
        .order_by("id")
        .values_list("id_number", flat=True)[:limit]
    )


def grow_through_services(count: int, *, submitted_share: float, accepted_share: float) -> int:
    """``count`` applications by the clerk, through the services: created, most submitted,
    some of those accepted."""
    from govdesk.accounts.models import User
    from govdesk.applications import services
    from govdesk.common.principal import Principal

    clerk = Principal(kind="staff", user=User.objects.get(username=CLERK), ip="127.0.0.1")
    people = applicants()
    rng = random.Random(2026)
    made = 0
    for i in range(count):
        application = services.application_create(
            principal=clerk, matter_code=MATTER, applicant=people[i % len(people)], channel="window"
        )
        made += 1
        if rng.random() < submitted_share:
            services.application_submit(principal=clerk, application_id=application.id)
            if rng.random() < accepted_share / submitted_share:
                services.application_act(
                    principal=clerk, application_id=application.id, action="accept"
                )
        if made % 1000 == 0:
            say(f"  {made:,} of {count:,}")
    return made


def submitted_pool(needed: int) -> list[str]:
    """Ids of submitted applications (each may be accepted once), topped up if short."""
    from govdesk.applications.models import Application, Status

    ids = [
        str(i)
        for i in Application.objects.filter(status=Status.SUBMITTED).values_list("id", flat=True)
    ]
    if len(ids) < needed:
        say(f"topping up: {needed - len(ids):,} submitted applications for the accept runs")
        grow_through_services(needed - len(ids), submitted_share=1.0, accepted_share=0.0)
        return submitted_pool(needed)
    random.Random(7).shuffle(ids)
    return ids


def token_for(username: str) -> str:
    from govdesk.accounts.models import User
    from govdesk.accounts.services import token_create

    return token_create(user=User.objects.get(username=username), label="bench/api.py")


def count_statements(token: str, figures: Figures) -> dict[str, Any]:
    """Each operation once in process (after one of each to warm the process up), counting
    the statements it sends; returns sample bodies by operation."""
    heading("SQL statements per operation (in process, warm)")
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(headers={"Authorization": f"Bearer {token}"})
    people = applicants(50)
    pool = submitted_pool(10)

    def run(kind: str, i: int) -> Any:
        if kind == "create":
            body = {"matter": MATTER, "applicant": people[i]}
            return client.post("/api/v1/applications", body, content_type="application/json")
        if kind == "read":
            return client.get(f"/api/v1/applications/{pool[i]}")
        if kind == "accept":
            return client.post(
                f"/api/v1/applications/{pool[i]}/actions",
                {"action": "accept"},
                content_type="application/json",
            )
        return client.get("/api/v1/applications?limit=100")

    samples: dict[str, Any] = {}
    for kind in ("create", "read", "accept", "list"):
        run(kind, 0)
        with CaptureQueriesContext(connection) as ctx:
            response = run(kind, 1)
        assert response.status_code in (200, 201), (kind, response.content[:500])
        figures.statements[kind] = len(
            [q for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"][:20]]
        )
        samples[kind] = response.json()
        say(f"{kind:8} {figures.statements[kind]} statements")
    return samples


def sample_ok(kind: str, body: Any) -> bool:
    if kind == "list":
        rows = body.get("results") or []
        return (
            isinstance(body.get("count"), int)
            and len(rows) == 100
            and bool(body.get("next"))
            and all("*" in r["applicant"]["id_number"] for r in rows)
            and all("fields" not in r for r in rows)
        )
    return (
        bool(body.get("id"))
        and body.get("matter", {}).get("code") == MATTER
        and bool(body.get("fields"))
        and (kind != "accept" or body.get("status") == "accepted")
    )


def list_urls(token: str, pages: int = 20) -> list[str]:
    """The first page and the following ones, by their next links (as a client follows them)."""
    from django.test import Client

    client = Client(headers={"Authorization": f"Bearer {token}"})
    url: str | None = "/api/v1/applications?limit=100"
    urls: list[str] = []
    while url and len(urls) < pages:
        urls.append(url)
        body = client.get(url).json()
        url = body["next"].split("testserver", 1)[-1] if body["next"] else None
    return urls


# --- wrk ------------------------------------------------------------------------------------


def wrk(
    server: Server,
    kind: str,
    items: list[str],
    token: str,
    connections: int,
    seconds: int,
    tmp: Path,
) -> Run:
    script = tmp / f"{kind}.lua"
    listed = "{" + ", ".join(json.dumps(i) for i in items) + "}"
    script.write_text(
        WRK_LUA.replace("{ITEMS}", listed)
        .replace("TOKEN", token)
        .replace("KIND", kind)
        .replace("MATTER", MATTER),
        encoding="utf-8",
    )
    command = [
        shutil.which("wrk") or "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        f"http://127.0.0.1:{server.port}/",
    ]
    if shutil.which("taskset"):
        command = ["taskset", "-c", "0", *command]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK-JSON ")), None)
    if line is None:
        say(done.stdout + done.stderr)
        raise SystemExit(f"wrk printed no summary for {kind}")
    if done.stderr.strip():
        say(done.stderr.strip()[:600])
    data = json.loads(line[len("WRK-JSON ") :])
    return Run(
        rps=data["requests"] / (data["duration_us"] / 1e6),
        p50=data["p50_us"] / 1000,
        p95=data["p95_us"] / 1000,
        p99=data["p99_us"] / 1000,
        requests=data["requests"],
        non2xx=data["non2xx"],
        errors=max(0, data["errors"]),
    )


def paging_check(port: int, token: str, existing: set[str], result: dict[str, Any]) -> None:
    """Follow the list's next links over HTTP (pages of 200) while others create applications:
    no row twice, and every row that existed at the start seen."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    url: str | None = "/api/v1/applications?limit=200"
    seen: list[str] = []
    pages = 0
    try:
        while url:
            conn.request("GET", url, headers={"Authorization": f"Bearer {token}"})
            response = conn.getresponse()
            body = json.loads(response.read())
            if response.status != 200:
                result["error"] = f"status {response.status} on page {pages + 1}"
                return
            pages += 1
            seen += [row["id"] for row in body["results"]]
            url = body["next"].split(f":{port}", 1)[-1] if body["next"] else None
    finally:
        conn.close()
    result.update(
        pages=pages,
        rows=len(seen),
        duplicates=len(seen) - len(set(seen)),
        missing=len(existing - set(seen)),
    )


def measure(db: str, token: str, seconds: int, figures: Figures, operations: list[str]) -> None:
    heading(f"wrk pinned to core 0, gunicorn 2 processes × 1 thread, {seconds} s per run")
    from govdesk.applications.models import Application, Status

    reads = [
        str(i)
        for i in Application.objects.filter(
            status__in=[Status.SUBMITTED, Status.ACCEPTED]
        ).values_list("id", flat=True)[:5000]
    ]
    random.Random(3).shuffle(reads)
    people = applicants()
    random.Random(5).shuffle(people)
    pages = list_urls(token)
    accepts = (
        submitted_pool(int(GOALS["accept"][0] * 2.5 * seconds * len(CONNECTIONS)))
        if "accept" in operations
        else []
    )
    vacuum(db)
    items = {"read": reads, "create": people, "list": pages}
    accept_share = len(accepts) // len(CONNECTIONS)  # the same for each run
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        server = server_start(db, workers=2, threads=1, connections=32, log=tmp / "gunicorn.log")
        try:
            for kind in [k for k in GOALS if k in operations]:
                pager: threading.Thread | None = None
                if kind == "create":
                    existing = {str(i) for i in Application.objects.values_list("id", flat=True)}
                    pager = threading.Thread(
                        target=paging_check, args=(server.port, token, existing, figures.paging)
                    )
                    pager.start()
                for connections in CONNECTIONS:
                    if kind == "accept":  # each application is accepted once
                        batch, accepts = accepts[:accept_share], accepts[accept_share:]
                        run = wrk(server, kind, batch, token, connections, seconds, tmp)
                        if run.requests > len(batch):
                            raise SystemExit("the accept pool ran out; raise it")
                    else:
                        run = wrk(server, kind, items[kind], token, connections, seconds, tmp)
                    figures.runs[(kind, connections)] = run
                    figures.load.append(f"{os.getloadavg()[0]:.2f}")
                    say(
                        f"{kind:7} c={connections:<3} {run.rps:7.1f} req/s  p50 {run.p50:6.1f} ms"
                        f"  p95 {run.p95:6.1f} ms  p99 {run.p99:6.1f} ms  non-2xx {run.non2xx}"
                        f"  errors {run.errors}  load {figures.load[-1]}"
                    )
                if pager is not None:
                    pager.join(timeout=300)
                    say(f"paging through the list while creating: {figures.paging}")
        finally:
            server.stop()


def report(figures: Figures) -> bool:
    heading("result (8 connections unless said)")
    ok_all = True
    say(f"{'operation':10}{'1 conn':>10}{'8 conn':>10}{'16 conn':>10}{'p95@8':>10}{'SQL':>6}  goal")
    for kind, (rps_goal, p95_goal, sql_goal) in GOALS.items():
        runs = [figures.runs.get((kind, c)) for c in CONNECTIONS]
        at8 = figures.runs.get((kind, 8))
        clean = all(r is not None and r.non2xx == 0 and r.errors == 0 for r in runs)
        met = (
            at8 is not None
            and clean
            and at8.rps >= rps_goal
            and (p95_goal is None or at8.p95 <= p95_goal)
            and figures.statements.get(kind, 99) <= sql_goal
            and figures.samples_ok.get(kind, False)
        )
        ok_all &= met
        goal = f"≥ {rps_goal:.0f} req/s" + (f", p95 ≤ {p95_goal:.0f} ms" if p95_goal else "")
        goal += f", ≤ {sql_goal} SQL"
        say(
            f"{kind:10}"
            + "".join(f"{r.rps:>10.1f}" if r else f"{'-':>10}" for r in runs)
            + (f"{at8.p95:>8.1f}ms" if at8 else f"{'-':>10}")
            + f"{figures.statements.get(kind, 0):>6}  {goal}: {'MET' if met else 'MISSED'}"
        )
    say(f"load average after each run: {' '.join(figures.load)}")
    paged = figures.paging
    paging_ok = (
        "error" not in paged
        and paged.get("duplicates") == 0
        and paged.get("missing") == 0
        and paged.get("rows", 0) >= APPLICATIONS
    )
    say(
        f"the list paged through {paged.get('rows', 0):,} rows in {paged.get('pages', 0)} pages "
        f"while applications were created: {paged.get('duplicates')} twice, "
        f"{paged.get('missing')} skipped ({'MET' if paging_ok else 'MISSED'})"
    )
    return ok_all and paging_ok


# --- the list with a million applications (in process) ------------------------------------


def grow_in_sql(target: int) -> None:
    """Copy the service-built applications until there are ``target`` (new ids, numbers,
    creation times spread over five years)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM applications_application")
        have = int(cursor.fetchone()[0])
        # The copies are spread over the city's communities and its matters, as a city's
        # applications are.
        cursor.execute("SELECT id FROM organisations_region WHERE level = 'community'")
        communities = [int(r[0]) for r in cursor.fetchall()]
        cursor.execute("SELECT id FROM catalog_matter WHERE published")
        matters = [int(r[0]) for r in cursor.fetchall()]
        while have < target:
            batch = min(have, target - have, 200_000)
            cursor.execute(
                """
                INSERT INTO applications_application (id, number, matter_id, applicant_id,
                  region_id, channel, status, service_point_id, bundle_run_id, step, version,
                  created_by, created_at, updated_at, submitted_at, accepted_at, decided_at,
                  deadline, snapshot, held, materials_provided, outcome)
                SELECT gen_random_uuid(), 'GDX' || lpad((%s + row_number() OVER ())::text, 12, '0'),
                  (%s::int[])[1 + floor(random() * cardinality(%s::int[]))::int], applicant_id,
                  (%s::int[])[1 + floor(random() * cardinality(%s::int[]))::int],
                  channel, status, service_point_id, NULL,
                  NULL, version, created_by,
                  now() - (random() * interval '1825 days'), now(), submitted_at, accepted_at,
                  decided_at, deadline, snapshot, held, materials_provided, outcome
                FROM applications_application LIMIT %s
                """,
                [have, matters, matters, communities, communities, batch],
            )
            have += batch
            say(f"  {have:,} applications")
    vacuum(connection.settings_dict["NAME"])


def list_in_process(target: int) -> bool:
    heading(f"the list with {target:,} applications, in process")
    grow_in_sql(target)
    from govdesk.accounts.models import User
    from govdesk.applications.selectors import application_page
    from govdesk.common.principal import Principal

    ok = True
    for username in (CLERK, "reviewer.yunlin", DISTRICT, "approver.mca"):
        user = User.objects.filter(username=username).first()
        if user is None:
            continue
        principal = Principal(kind="staff", user=user, ip="127.0.0.1")
        times: list[float] = []
        count = 0
        for _ in range(10):
            cursor = None
            for _page in range(10):
                started = time.perf_counter()
                page = application_page(principal=principal, cursor=cursor, limit=100)
                times.append((time.perf_counter() - started) * 1000)
                count = page.count
                cursor = page.next_cursor
                if cursor is None:
                    break
        times.sort()
        p95 = percentile(times, 95)
        met = p95 <= LIST_P95_GOAL_MS
        ok &= met
        say(
            f"{username:18} {count:>9,} in reach  pages {len(times)}  p50 "
            f"{statistics.median(times):.1f} ms  p95 {p95:.1f} ms (goal ≤ 50 ms: "
            f"{'MET' if met else 'MISSED'})"
        )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=DB)
    parser.add_argument("--reuse", action="store_true", help="benchmark the existing database")
    parser.add_argument("--seconds", type=int, default=8, help="length of each wrk run")
    parser.add_argument("--applications", type=int, default=APPLICATIONS)
    parser.add_argument("--build-only", action="store_true", help="build the database and stop")
    parser.add_argument(
        "--operations",
        default=",".join(GOALS),
        help="which operations to drive with wrk (comma-separated; the table marks the others)",
    )
    args = parser.parse_args()
    heading("machine")
    for label, value in machine_rows():
        say(f"{label:10} {value}")
    if args.applications > APPLICATIONS:
        # A copy of the 10,000-application database, grown in SQL.
        big = f"{args.db}_{args.applications}"
        if not args.reuse:
            from psycopg import sql

            with pg_connect("postgres") as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(big))
                )
                conn.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(big), sql.Identifier(args.db)
                    )
                )
        django_setup(big)
        return 0 if list_in_process(args.applications) else 1
    if not args.reuse:
        build(args.db, APPLICATIONS)
    else:
        django_setup(args.db)
    if args.build_only:
        return 0
    figures = Figures()
    token = token_for(CLERK)
    samples = count_statements(token, figures)
    figures.samples_ok = {kind: sample_ok(kind, body) for kind, body in samples.items()}
    say(f"sample bodies: {figures.samples_ok}")
    measure(args.db, token, args.seconds, figures, args.operations.split(","))
    ok = report(figures)
    say(f"database {database_url(args.db)}; python {BIN / 'python'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
