"""Outcome handlers this app registers with the application lifecycle: after approval,
issue the certificate a matter asks for; after 失业登记, the 就业创业证 e-licence."""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.applications import outcomes
from govdesk.applications.models import Application
from govdesk.catalog.models import CertificateType
from govdesk.certificates.errors import NotIssuable
from govdesk.certificates.rendering import pdf_url, verify_url
from govdesk.people.models import Licence, LicenceType

UNEMPLOYMENT_REGISTRATION = "HRSS-001"
logger = logging.getLogger(__name__)


def issues_certificate(application: Application) -> bool:
    return CertificateType.objects.filter(matter_id=application.matter_id).exists()


def certificate_outcome(application: Application) -> dict[str, Any]:
    """Issue; on failure keep a clear error in the outcome (nothing was issued, no number
    used). A failed issuance is tried again by ``application_outcomes_run`` (or the retry
    action, ``POST /api/v1/applications/{id}/outcomes/retry``) once the cause is fixed."""
    from govdesk.certificates.services import certificate_issue, issue_failed_record

    try:
        certificate = certificate_issue(application=application)
    except NotIssuable as exc:
        issue_failed_record(application=application, error=exc)
        return {"error": exc.message, "code": exc.code}
    except Exception as exc:  # a renderer or signer fault: said on the application, retriable
        logger.exception("issuing the certificate of %s failed", application.number)
        error = NotIssuable(
            _("The certificate could not be issued (%(reason)s); nothing was issued. Try again.")
            % {"reason": type(exc).__name__},
            code="internal_error",
        )
        issue_failed_record(application=application, error=error)
        return {"error": error.message, "code": error.code}
    return {
        "number": certificate.number,
        "verify_url": verify_url(certificate.token),
        "pdf_url": pdf_url(certificate.number),
    }


def registers_unemployment(application: Application) -> bool:
    return application.matter.code == UNEMPLOYMENT_REGISTRATION


def employment_card_outcome(application: Application) -> dict[str, Any]:
    """失业登记 approved: the applicant holds a 就业创业证 in the e-licence library (kept if
    they already hold one; it now records this registration)."""
    from govdesk.people.services import licence_upsert

    person = application.applicant
    held = (
        Licence.objects.filter(person=person, type=LicenceType.EMPLOYMENT_CARD, revoked=False)
        .order_by("-issued_on")
        .first()
    )
    today = timezone.localdate()
    number = held.number if held else f"{application.region.code[:6]}{application.number[2:]}"
    licence = licence_upsert(
        person=person,
        type=LicenceType.EMPLOYMENT_CARD,
        number=number,
        issuer=application.matter.department.name,
        issued_on=held.issued_on if held else today,
        valid_until=None,
        data={
            **(held.data if held else {}),
            "employment_status": "失业",
            "unemployment_registered_on": today.isoformat(),
            "registered_at": application.region.name,
            "application": application.number,
        },
    )
    return {"licence": LicenceType.EMPLOYMENT_CARD.value, "number": licence.number}


def register_all() -> None:
    outcomes.register("certificate", issues_certificate, certificate_outcome)
    outcomes.register("employment_card", registers_unemployment, employment_card_outcome)
