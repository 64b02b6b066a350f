"""The outcome handler this app registers with the application lifecycle: after approval,
issue the certificate a matter asks for. (The e-licences a matter produces, such as the
就业创业证 after 失业登记, are issued by ``applications.licences``.)"""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.applications import holdings, outcomes
from govdesk.applications.holdings import Holding
from govdesk.applications.models import Application
from govdesk.catalog.models import CertificateType, Matter
from govdesk.catalog.versioned import cached
from govdesk.certificates.errors import NotIssuable
from govdesk.certificates.rendering import pdf_url, verify_url
from govdesk.people.models import Person

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


def valid_certificate_held(person: Person, matter: Matter) -> Holding | None:
    """A valid certificate of the kind ``matter`` issues, held by the person or by anyone of
    their household (a 常住人口信息证明 speaks for the whole household)."""
    from govdesk.certificates.models import Certificate

    kind = cached(
        f"certificate-type:{matter.pk}",
        lambda: CertificateType.objects.filter(matter=matter).first(),
    )
    if kind is None:
        return None
    membership = getattr(person, "membership", None)
    holders = (
        {"holder__membership__household_id": membership.household_id}
        if membership is not None
        else {"holder": person}
    )
    today = timezone.localdate()
    found = (
        Certificate.objects.filter(type=kind, status="valid", valid_until__gte=today, **holders)
        .order_by("-issued_at")
        .first()
    )
    if found is None:
        return None
    return Holding(
        kind="certificate",
        number=found.number,
        since=timezone.localdate(found.issued_at),
        until=found.valid_until,
        links={"verify_url": verify_url(found.token), "pdf_url": pdf_url(found.number)},
    )


def register_all() -> None:
    outcomes.register("certificate", issues_certificate, certificate_outcome)
    holdings.register("valid_certificate", valid_certificate_held)
