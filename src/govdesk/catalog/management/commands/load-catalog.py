"""``govdesk load-catalog``: load the catalogue YAML files into the database."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from govdesk.catalog.services import DATA_DIR, CatalogError, catalog_load


class Command(BaseCommand):
    help = "Load (create or update) the catalogue from its YAML files."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--folder", type=Path, default=DATA_DIR)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = catalog_load(folder=options["folder"])
        except CatalogError as exc:
            raise CommandError(f"the catalogue has problems:\n{exc}") from exc
        self.stdout.write(
            f"catalogue {report.version}: {report.matters} matters, {report.bundles} bundles, "
            f"{report.certificate_types} certificate types, {report.forbidden} forbidden "
            f"certificates, {report.synonyms} synonym groups, {report.qa} Q&A entries, "
            f"{report.offers} offer rules, {report.departments} departments"
        )
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
