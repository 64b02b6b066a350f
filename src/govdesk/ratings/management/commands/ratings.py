"""``govdesk ratings invite``: invite a rating of each completed application left unrated
(智能邀评); idempotent, each application is invited once."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from govdesk.ratings.services import ratings_invite


class Command(BaseCommand):
    help = "Service ratings (好差评): 'invite' sends the invitations that are due, once each."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        invite = sub.add_parser("invite", help="invite ratings of completed applications")
        invite.add_argument("--limit", type=int, default=500, help="at most this many per run")

    def handle(self, *args: Any, **options: Any) -> None:
        report = ratings_invite(limit=options["limit"])
        self.stdout.write(
            f"invited {report.invited}, without a phone {report.without_phone}, "
            f"failed {report.failed}"
        )
