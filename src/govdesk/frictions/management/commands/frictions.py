"""``govdesk frictions detect``: run the friction detectors once, each reading what is new
since its last run (at most ``--batch`` rows; ``--all`` goes on until nothing new is left),
and print what each found. Safe to run from cron beside the worker's periodic run."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from govdesk.frictions.detectors import frictions_detect


class Command(BaseCommand):
    help = "Friction log (错题本) tools."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        detect = sub.add_parser(
            "detect", help="raise the frictions the platform can see from what it recorded"
        )
        detect.add_argument(
            "--batch",
            type=int,
            default=None,
            help="rows each detector reads (default: GOVDESK_FRICTION_DETECT_BATCH)",
        )
        detect.add_argument(
            "--all", action="store_true", help="go on until every detector has read everything"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        report = frictions_detect(batch=options["batch"], until_done=options["all"])
        for kind, found in report.items():
            more = " (more to read)" if found.more else ""
            self.stdout.write(
                f"{kind}: {found.raised} raised, {found.observed} observed for verification, "
                f"{found.scanned} rows read{more}"
            )
        total = sum(found.raised for found in report.values())
        self.stdout.write(f"{total} frictions raised in {time.perf_counter() - started:.2f} s")
