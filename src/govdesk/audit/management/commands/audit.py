"""``govdesk audit verify``: check the hash chain; name the first broken row."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from govdesk.audit.services import audit_verify


class Command(BaseCommand):
    help = "Audit trail tools."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="verify the hash chain of the whole trail")

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit_verify()
        if not result.ok:
            raise CommandError(
                f"audit trail BROKEN at sequence {result.broken_seq}: {result.reason}"
            )
        self.stdout.write(f"audit trail OK: {result.rows} rows, chain intact")
