"""/api/v1/verify/{token} (public) and /api/v1/certificates: list, PDF, revoke."""

from __future__ import annotations

import json
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.params.functions import Query

from govdesk.api.auth import principal_of
from govdesk.api.errors import (
    BODY_ERRORS,
    ApiErrorCode,
    ErrorOut,
    ValidationErrorOut,
    error_body,
)
from govdesk.api.params import PDF_RESPONSE
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


class ConflictOut(ErrorOut):
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
            error_body(
                _("Too many verifications from your address; try again in %(s)d s.")
                % {"s": decision.retry_after},
                ApiErrorCode.TOO_MANY_REQUESTS,
            ),
            429,
        )
        response["Retry-After"] = str(decision.retry_after)
        return response
    found = selectors.verification(token=token)
    if found is None:
        return Status(
            404,
            error_body(_("No certificate has this verification code."), ApiErrorCode.NOT_FOUND),
        )
    return found


@router.get(
    "",
    response={200: list[CertificateOut], **RESPONSES},
    summary="Certificates: a resident's own; staff: issued in their jurisdiction",
)
def certificate_list(
    request: HttpRequest,
    status: Literal["valid", "revoked", "expired"] | None = None,
    limit: int = Query(50, description="At most this many (1 to 200; others are clamped)"),
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
    openapi_extra=PDF_RESPONSE,
    summary="The signed PDF (its holder, or staff covering the issuer)",
)
def certificate_pdf(request: HttpRequest, number: str) -> HttpResponse:
    principal = principal_of(request)
    certificate, pdf = selectors.certificate_pdf(principal=principal, number=number)
    return pdf_response(pdf, certificate.number, download=True)


@router.post(
    "/{number}/revoke",
    response={200: CertificateOut, 409: ConflictOut, **RESPONSES, **BODY_ERRORS},
    summary="Revoke, with a reason; verification says revoked at once",
)
def revoke(request: HttpRequest, number: str, payload: RevokeIn) -> dict[str, Any]:
    principal = principal_of(request)
    certificate = services.certificate_revoke(
        principal=principal, number=number, reason=payload.reason
    )
    return selectors.certificate_json(certificate, principal=principal)
