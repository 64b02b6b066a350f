"""``govdesk security-table``: the roles × permissions table of docs/security.md."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from govdesk.demo.securitytable import markdown


class Command(BaseCommand):
    help = (
        "Print the roles × permissions table (Markdown), computed from the policies, the "
        "lifecycle table and the demo's Django permissions; docs/security.md holds a copy."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(markdown(), ending="")
