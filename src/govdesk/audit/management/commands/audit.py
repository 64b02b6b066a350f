"""``govdesk audit verify``: check the hash chain against the checkpoints; name the first broken
row or checkpoint. ``govdesk audit checkpoint``: anchor the chain head outside the database."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from govdesk.audit.checkpoints import CheckpointError, checkpoint_path
from govdesk.audit.services import audit_checkpoint, audit_verify


class Command(BaseCommand):
    help = "Audit trail tools."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "verify", help="verify the hash chain of the whole trail against the checkpoints"
        )
        sub.add_parser(
            "checkpoint",
            help="write a signed checkpoint of the chain head to the checkpoint file "
            "(GOVDESK_AUDIT_CHECKPOINT_DIR)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "checkpoint":
            self._checkpoint()
            return
        result = audit_verify()
        if not result.ok:
            where = "" if result.broken_seq is None else f" at sequence {result.broken_seq}"
            raise CommandError(f"audit trail BROKEN{where}: {result.reason}")
        self.stdout.write(f"audit trail OK: {result.rows} rows, chain intact; {result.anchor}")

    def _checkpoint(self) -> None:
        try:
            checkpoint = audit_checkpoint()
        except CheckpointError as exc:
            raise CommandError(f"no checkpoint written: {exc}") from exc
        if checkpoint is None:
            self.stdout.write("no checkpoint written: no new rows since the last one")
            return
        self.stdout.write(
            f"checkpoint {checkpoint.n} written to {checkpoint_path()}: sequence "
            f"{checkpoint.seq}, chain hash {checkpoint.hash[:16]}…"
        )
