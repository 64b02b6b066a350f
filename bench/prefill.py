"""Prefill benchmark: how long one form takes to fill from the registry of a million people,
and how many SQL queries that costs (constant whatever the number of fields).

    .venv/bin/python bench/prefill.py [--db govdesk_bench] [--sample 2000]

The database must hold at least 1,000,000 people (``bench/registry.py`` builds ``govdesk_bench``;
or ``govdesk migrate``, ``govdesk demo --people 0``, ``govdesk load-catalog`` and
``govdesk generate-people --count 1000000`` on a database of your own). If the named database is
missing or too small, ``govdesk_prefill`` is used when it is big enough.
Prefill runs in-process, exactly as the services call it: one bulk registry look-up, the facts
captured earlier, then derivations.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

from machine import machine_rows

if TYPE_CHECKING:
    from govdesk.forms.schema import FieldSpec

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgres://postgres@127.0.0.1:5432"
FALLBACK_DB = "govdesk_prefill"
PEOPLE_NEEDED = 1_000_000
SEED = 2026
# The main spec: the subsidy claim plus the recognition it rests on (derived fields included).
MAIN_FORMS = ("灵活就业人员社会保险补贴申领", "就业困难人员认定")
# More forms of the same bundle, to grow the spec to 30 fields and more.
MORE_FORMS = ("灵活就业人员参保登记", "失业登记")
MUST_INCLUDE = ("employment.difficulty_category", "household.zero_employment")
# The smallest spec already reaches every kind of source (population, household and its
# members, e-licences, social security, other registry facts, captured facts, derivations),
# so growing it adds fields, not sources: the query count must stay the same.
EVERY_SOURCE = (
    "person.name",
    "household.zero_employment",
    "bank.account",
    "dibao.status",
    "employment.difficulty_category",
)
FIELD_COUNTS = (5, 10, 20, 30)
GOAL_P95_MS = 25.0
GOAL_QUERIES = 10


def people_in(server: str, db: str) -> int | None:
    """How many people the database holds; None if it does not exist or has no registry."""
    try:
        with psycopg.connect(f"{server}/{db}", connect_timeout=5) as conn:
            row = conn.execute("SELECT count(*) FROM people_person").fetchone()
    except psycopg.Error:
        return None
    return int(row[0]) if row else 0


def choose_database(server: str, wanted: str) -> tuple[str, int]:
    found = people_in(server, wanted)
    if found is not None and found >= PEOPLE_NEEDED:
        return wanted, found
    print(
        f"database {wanted!r} "
        + ("does not exist" if found is None else f"holds only {found:,} people")
        + f"; trying {FALLBACK_DB!r}",
        file=sys.stderr,
    )
    fallback = people_in(server, FALLBACK_DB)
    if wanted != FALLBACK_DB and fallback is not None and fallback >= PEOPLE_NEEDED:
        return FALLBACK_DB, fallback
    sys.exit(
        f"no database with {PEOPLE_NEEDED:,} people. Build one, e.g.:\n"
        f"  createdb -h 127.0.0.1 -U postgres {FALLBACK_DB}\n"
        f"  export DATABASE_URL={server}/{FALLBACK_DB}\n"
        "  govdesk migrate && govdesk demo --people 0 && govdesk load-catalog\n"
        f"  govdesk generate-people --count {PEOPLE_NEEDED}"
    )


def machine() -> list[tuple[str, str]]:
    return machine_rows()


def setup_django(server: str, db: str) -> None:
    os.environ["DATABASE_URL"] = f"{server}/{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govdesk.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def ensure_catalogue() -> None:
    """Load (idempotently) the catalogue and its forms; go on with what is stored if the
    load fails but the forms this benchmark needs are there."""
    from govdesk.catalog.models import Matter
    from govdesk.demo.loader import catalogue_load
    from govdesk.forms.models import FormDefinition

    try:
        catalogue_load()
    except Exception as exc:
        names = MAIN_FORMS + MORE_FORMS
        stored = FormDefinition.objects.filter(matter__name__in=names).count()
        if stored < len(names) or Matter.objects.filter(name__in=names).count() < len(names):
            raise
        print(f"warning: catalogue_load() failed ({exc}); using the stored catalogue")


def combined_specs(names: Sequence[str], first: Sequence[str] = ()) -> list[FieldSpec]:
    """The fields of several forms, each data element once; ``first`` ones first."""
    from govdesk.catalog.models import Matter
    from govdesk.forms.models import DataElement
    from govdesk.forms.schema import FieldSpec, form_for

    elements = {e.key: e for e in DataElement.objects.all()}
    specs: dict[str, FieldSpec] = {}
    for name in names:
        for spec in form_for(Matter.objects.get(name=name), elements).fields:
            specs.setdefault(spec.key, spec)
    for key in MUST_INCLUDE:
        if key not in specs:
            element = elements[key]
            specs[key] = FieldSpec(key=key, label=element.label, type=element.type)
    ordered = [specs[key] for key in first if key in specs]
    return ordered + [spec for spec in specs.values() if spec.key not in first]


def analyse_if_never_analysed() -> None:
    """A bulk-loaded registry has no planner statistics until it is analysed (autovacuum may
    be off, or not have come round yet); without them PostgreSQL picks poor plans."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        row = cursor.fetchone()
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE relname LIKE %s "
            "AND last_analyze IS NULL AND last_autoanalyze IS NULL ORDER BY relname",
            ["people\\_%"],
        )
        never = [name for (name,) in cursor.fetchall()]
        for name in never:
            cursor.execute(f'ANALYZE "{name}"')
    autovacuum = row[0] if row else "?"
    if never:
        print(f"  analysed {', '.join(never)} (never analysed; autovacuum {autovacuum})")
    else:
        print(f"  planner statistics present (autovacuum {autovacuum})")


def sample_people(count: int, seed: int) -> list[str]:
    """``count`` distinct people drawn at random (always the same ones for the same data)."""
    from django.db.models import Max, Min

    from govdesk.people.models import Person

    bounds = Person.objects.aggregate(low=Min("pk"), high=Max("pk"))
    rng = random.Random(seed)
    chosen: dict[int, str] = {}
    while len(chosen) < count:
        wanted = {rng.randint(bounds["low"], bounds["high"]) for _ in range(count)}
        found = dict(
            Person.objects.filter(pk__in=wanted - set(chosen)).values_list("pk", "id_number")
        )
        for pk in sorted(found):
            if len(chosen) < count:
                chosen[pk] = found[pk]
    ids = list(chosen.values())
    rng.shuffle(ids)
    return ids


@dataclass
class Run:
    times_ms: list[float]
    queries: list[int]

    def pct(self, p: float) -> float:
        ordered = sorted(self.times_ms)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index]


def measure(people: Sequence[str], specs: Sequence[FieldSpec], count_queries: bool) -> Run:
    """Time one prefill per person (no query capture while timing), then count queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from govdesk.forms.prefill import prefill

    times: list[float] = []
    for id_number in people:
        started = time.perf_counter()
        prefill(id_number=id_number, specs=specs)
        times.append((time.perf_counter() - started) * 1000)
    queries: list[int] = []
    if count_queries:
        for id_number in people:
            connection.queries_log.clear()  # the log keeps 9,000 queries at most
            with CaptureQueriesContext(connection) as captured:
                prefill(id_number=id_number, specs=specs)
            # The process looks at the catalogue's version at most every
            # GOVDESK_CATALOGUE_CHECK_SECONDS (catalog.versioned), whichever call comes then:
            # not the prefill's work, so not counted as its queries.
            queries.append(
                sum(
                    1
                    for q in captured.captured_queries
                    if "catalog_catalogueversion" not in q["sql"]
                )
            )
    return Run(times, queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--db", default="govdesk_bench", help="database name (PostgreSQL)")
    parser.add_argument("--server", default=SERVER, help="PostgreSQL server URL without a name")
    parser.add_argument("--sample", type=int, default=2000, help="people to prefill for")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()

    db, people_count = choose_database(args.server, args.db)
    setup_django(args.server, db)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        row = cursor.fetchone()
    print("== machine")
    for label, value in [*machine(), ("PostgreSQL", str(row[0]) if row else "?")]:
        print(f"  {label:<11} {value}")
    print(f"  database    {db} ({people_count:,} people)")

    analyse_if_never_analysed()
    ensure_catalogue()
    specs = combined_specs(MAIN_FORMS)
    derived = [s.key for s in specs if s.key in MUST_INCLUDE]
    print(f"\n== form spec: {' + '.join(MAIN_FORMS)}")
    print(f"  {len(specs)} fields, derived among them: {', '.join(derived)}")
    print(f"  {', '.join(s.key for s in specs)}")

    people = sample_people(args.sample, args.seed)
    measure(people[:100], specs, count_queries=False)  # warm-up: imports, plans, caches
    run = measure(people, specs, count_queries=True)
    p95 = run.pct(95)
    print(
        f"\n== prefill of {len(specs)} fields for {len(people):,} random people (seed {args.seed})"
    )
    print(
        f"  p50 {run.pct(50):.2f} ms   p95 {p95:.2f} ms   p99 {run.pct(99):.2f} ms   "
        f"mean {statistics.fmean(run.times_ms):.2f} ms   max {max(run.times_ms):.2f} ms"
    )
    again = measure(people, specs, count_queries=False)
    print(
        f"  same people again: p50 {again.pct(50):.2f} ms   p95 {again.pct(95):.2f} ms   "
        f"p99 {again.pct(99):.2f} ms"
    )
    print(f"  SQL queries per prefill: min {min(run.queries)}, max {max(run.queries)}")

    print("\n== queries as the number of fields varies (same 500 people)")
    pool = combined_specs(MAIN_FORMS + MORE_FORMS, first=EVERY_SOURCE)
    print(
        f"  {'fields':>6}  {'queries min':>11}  {'queries max':>11}  {'p50 ms':>7}  {'p95 ms':>7}"
    )
    by_size: dict[int, tuple[int, int]] = {}
    for count in FIELD_COUNTS:
        chosen = pool[:count]
        if len(chosen) < count:
            print(f"  {count:>6}  (only {len(pool)} distinct fields available)")
            continue
        sized = measure(people[:500], chosen, count_queries=True)
        by_size[count] = (min(sized.queries), max(sized.queries))
        print(
            f"  {count:>6}  {min(sized.queries):>11}  {max(sized.queries):>11}  "
            f"{sized.pct(50):>7.2f}  {sized.pct(95):>7.2f}"
        )

    worst = max([*(high for _, high in by_size.values()), max(run.queries)])
    same = len(set(by_size.values())) == 1
    print("\n== goals")
    print(f"  p95 <= {GOAL_P95_MS:.0f} ms: {'met' if p95 <= GOAL_P95_MS else 'MISSED'} ({p95:.2f})")
    print(
        f"  queries a constant <= {GOAL_QUERIES}: "
        f"{'met' if same and worst <= GOAL_QUERIES else 'MISSED'} (at most {worst}; "
        f"{'the same' if same else 'NOT the same'} for {', '.join(map(str, by_size))} fields)"
    )


if __name__ == "__main__":
    main()
