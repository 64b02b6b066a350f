"""The outcome handler this app registers with the application lifecycle: after approval,
issue the certificate a matter asks for. (The e-licences a matter produces, such as the
就业创业证 after 失业登记, are issued by ``applications.licences``.)"""

from __future__ import annotations

import logging
from typing import Any

from django.utils.translation import gettext as _

from govdesk.applications import outcomes
from govdesk.applications.models import Application
from govdesk.catalog.models import CertificateType
from govdesk.certificates.errors import NotIssuable
from govdesk.certificates.rendering import pdf_url, verify_url

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


def register_all() -> None:
    outcomes.register("certificate", issues_certificate, certificate_outcome)
