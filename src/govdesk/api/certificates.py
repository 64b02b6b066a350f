"""/api/v1/verify/{token} (public) and /api/v1/certificates: list, PDF, revoke."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from govdesk.api.auth import principal_of
from govdesk.api.errors import ErrorOut, ValidationErrorOut
from govdesk.certificates import selectors, services
from govdesk.common import ratelimit
from govdesk.presentation.http import pdf_response

verify_router = Router(tags=["certificates"])
router = Router(tags=["certificates"])


class VerificationOut(Schema):
    status: str = Field(description="valid | revoked | expired")
    type: str
    number: str
    issued_at: str
    issuer: str
    holder: str = Field(description="The holder's name, masked: 王**")
    valid_until: str
    revoked_at: str | None


class HolderOut(Schema):
    name: str
    id_number: str = Field(description="Masked")


class CertificateOut(Schema):
    number: str
    type: str
    type_name: str
    status: str = Field(description="valid | revoked | expired")
    issued_at: str
    valid_until: str
    issuer: str
    holder: HolderOut
    application: str
    verify_url: str
    pdf_url: str
    revoked_at: str | None
    revoke_reason: str | None = Field(description="Staff only")


class RevokeIn(Schema):
    reason: str = Field(
        min_length=1, max_length=1000, pattern=r"\S", description="Why it is revoked (required)"
    )


class ConflictOut(Schema):
    detail: str
    status: str | None = None


RESPONSES: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}


def _json(body: dict[str, Any], status: int) -> HttpResponse:
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type="application/json"
    )


@verify_router.get(
    "/{token}",
    auth=None,
    response={200: VerificationOut, 404: ErrorOut, 429: ErrorOut},
    summary="Verify a certificate (public; rate-limited per IP)",
)
def verify(request: HttpRequest, token: str) -> Any:
    decision = ratelimit.verification_hit(request)
    if not decision.allowed:
        response = _json(
            {
                "detail": _("Too many verifications from your address; try again in %(s)d s.")
                % {"s": decision.retry_after}
            },
            429,
        )
        response["Retry-After"] = str(decision.retry_after)
        return response
    found = selectors.verification(token=token)
    if found is None:
        return Status(404, {"detail": _("No certificate has this verification code.")})
    return found


@router.get(
    "",
    response={200: list[CertificateOut], **RESPONSES},
    summary="Certificates: a resident's own; staff: issued in their jurisdiction",
)
def certificate_list(
    request: HttpRequest, status: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    principal = principal_of(request)
    found = list(
        selectors.certificates_for(principal=principal, status=status)[: max(1, min(limit, 200))]
    )
    selectors.list_audit(principal=principal, certificates=found)
    return [selectors.certificate_json(c, principal=principal) for c in found]


@router.get(
    "/{number}.pdf",
    response={200: None, **RESPONSES},
    summary="The signed PDF (its holder, or staff covering the issuer)",
)
def certificate_pdf(request: HttpRequest, number: str) -> HttpResponse:
    principal = principal_of(request)
    certificate, pdf = selectors.certificate_pdf(principal=principal, number=number)
    return pdf_response(pdf, certificate.number, download=True)


@router.post(
    "/{number}/revoke",
    response={200: CertificateOut, 409: ConflictOut, **RESPONSES},
    summary="Revoke, with a reason; verification says revoked at once",
)
def revoke(request: HttpRequest, number: str, payload: RevokeIn) -> dict[str, Any]:
    principal = principal_of(request)
    certificate = services.certificate_revoke(
        principal=principal, number=number, reason=payload.reason
    )
    return selectors.certificate_json(certificate, principal=principal)
