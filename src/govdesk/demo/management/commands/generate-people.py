"""``govdesk generate-people --count N``: a deterministic synthetic population."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from govdesk.demo.loader import PERSONA_NUMBERS, regions_load
from govdesk.organisations.models import RegionLevel
from govdesk.people.generator import population_generate


class Command(BaseCommand):
    help = "Make sure COUNT synthetic residents exist (adds only what is missing)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        regions = regions_load()
        communities = [r for r in regions.values() if r.level == RegionLevel.COMMUNITY]
        added = population_generate(
            count=options["count"],
            seed=options["seed"],
            communities=communities,
            reserved=PERSONA_NUMBERS,
        )
        elapsed = time.perf_counter() - started
        self.stdout.write(f"added {added} people in {elapsed:.1f} s")
