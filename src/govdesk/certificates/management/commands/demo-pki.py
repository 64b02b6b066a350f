"""``govdesk demo-pki``: a demo CA and a signing key and certificate per issuing organisation."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from govdesk.certificates.services import demo_pki_load


class Command(BaseCommand):
    help = (
        "Create or update, idempotently, a demo certificate authority and a signing key and "
        "certificate for every community and subdistrict, in GOVDESK_PKI_DIR."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = demo_pki_load()
        if not report.issuers_created and not report.issuers_kept:
            self.stderr.write(
                "No community or subdistrict is in the database yet: run `govdesk demo` "
                "(it sets up the demo PKI too), then `govdesk demo-pki` after adding regions."
            )
        self.stdout.write(
            f"demo PKI in {report.folder}: CA {'created' if report.ca_created else 'kept'}, "
            f"{len(report.issuers_created)} issuer certificates created, "
            f"{report.issuers_kept} kept"
        )
