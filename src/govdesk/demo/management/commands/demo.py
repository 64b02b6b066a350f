"""``govdesk demo``: create or update the demo city, staff, personas and population."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from govdesk.demo.loader import STAFF, demo_load


class Command(BaseCommand):
    help = "Create or update (idempotently) the demo data, then print accounts and URLs."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--people", type=int, default=5000, help="synthetic residents to have (default 5000)"
        )
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args: Any, **options: Any) -> None:
        password = settings.DEMO_PASSWORD
        added = demo_load(password=password, people=options["people"], seed=options["seed"])
        base = settings.PUBLIC_BASE_URL.rstrip("/")
        self.stdout.write(f"demo data ready ({added} synthetic residents added)\n")
        self.stdout.write(f"Staff accounts (password: {password}):")
        for spec in STAFF:
            self.stdout.write(f"  {spec.username:<16} {spec.role}")
        self.stdout.write(
            "\nURLs:\n"
            f"  portal (public)   {base}/\n"
            f"  workbench (staff) {base}/staff/\n"
            f"  admin             {base}/admin/\n"
            f"  API docs          {base}/api/v1/docs\n"
            f"  OpenAPI           {base}/api/v1/openapi.json\n"
            "API token: govdesk token create clerk.chunlei  |  "
            "govdesk token create --resident 320205196803090017"
        )
