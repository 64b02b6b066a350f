"""``govdesk token create USERNAME`` or ``govdesk token create --resident ID_NUMBER``."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from govdesk.accounts.models import User
from govdesk.accounts.services import token_create
from govdesk.common.idnumbers import InvalidIdNumber, parse
from govdesk.people.models import Person


class Command(BaseCommand):
    help = "Create an API bearer token for a staff user or a resident; prints it last."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token")
        create.add_argument("username", nargs="?", help="staff user name")
        create.add_argument("--resident", metavar="ID_NUMBER", help="a resident's ID number")
        create.add_argument("--days", type=int, default=None, help="days the token is valid")

    def handle(self, *args: Any, **options: Any) -> None:
        username, resident = options.get("username"), options.get("resident")
        if bool(username) == bool(resident):
            raise CommandError("give either USERNAME or --resident ID_NUMBER")
        if resident:
            try:
                number = parse(resident).value
            except InvalidIdNumber as exc:
                raise CommandError(str(exc.message)) from exc
            person = Person.objects.filter(id_number=number).first()
            if person is None:
                raise CommandError(f"no resident with ID number {resident} in the registry")
            token = token_create(resident=person, label="cli", days=options["days"])
        else:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(f"no active staff user {username!r}")
            token = token_create(user=user, label="cli", days=options["days"])
        self.stdout.write(token)
