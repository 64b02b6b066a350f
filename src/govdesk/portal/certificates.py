"""The resident's certificates, through the certificates app when it is installed.

Kept apart so that the portal still works (without a "my certificates" list) where that app is
not installed. Access is decided by the certificates selectors: a resident sees their own only.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.applications.errors import NotFound
from govdesk.applications.models import Application
from govdesk.catalog.i18n import text
from govdesk.common.principal import Principal
from govdesk.presentation.http import pdf_response

APP = "govdesk.certificates"


def available() -> bool:
    return apps.is_installed(APP)


def _json(certificate: Any) -> dict[str, Any]:
    status = certificate.status_on(timezone.localdate())
    labels = {"valid": _("Valid"), "expired": _("Expired"), "revoked": _("Revoked")}
    return {
        "number": certificate.number,
        "name": text(certificate.type.name, certificate.type.en, "name"),
        "issued_at": certificate.issued_at,
        "valid_until": certificate.valid_until,
        "status": status,
        "status_label": labels.get(status, status),
        "issuer": certificate.issuer_name,
        "application": str(certificate.application_id),
        "download_url": reverse("portal:certificate_download", args=[certificate.number]),
    }


def for_resident(principal: Principal) -> list[dict[str, Any]]:
    """The resident's own certificates, newest first."""
    if not available():
        return []
    from govdesk.certificates.selectors import certificates_for

    return [_json(c) for c in certificates_for(principal=principal)[:100]]


def by_application(principal: Principal) -> dict[str, list[dict[str, Any]]]:
    """The resident's own certificates by the application they were issued for (one query)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for certificate in for_resident(principal):
        found.setdefault(certificate["application"], []).append(certificate)
    return found


def for_application(principal: Principal, application: Application) -> list[dict[str, Any]]:
    """The certificate issued for ``application``, if any (the resident's own)."""
    if not available():
        return []
    from govdesk.certificates.selectors import certificates_for

    return [_json(c) for c in certificates_for(principal=principal).filter(application=application)]


def download(principal: Principal, number: str) -> HttpResponse | None:
    """The signed PDF, if the certificate is the resident's own; otherwise None."""
    if not available() or len(number) > 40:
        return None
    from govdesk.certificates.selectors import certificate_pdf

    try:
        certificate, data = certificate_pdf(principal=principal, number=number)
    except NotFound:
        return None
    return pdf_response(data, certificate.number, download=True)
