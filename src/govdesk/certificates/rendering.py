"""From a statement to a signed PDF: the QR code, the Typst rendering (with its font coverage
check first) and the PAdES signature. No database: the benchmark runs exactly this."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings

from govdesk.certificates import pki


def verify_url(token: str) -> str:
    base: str = settings.PUBLIC_BASE_URL
    return f"{base.rstrip('/')}/verify/{token}"


def pdf_url(number: str) -> str:
    return f"/api/v1/certificates/{number}.pdf"


def qr_svg(url: str) -> str:
    import segno

    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", xmldecl=False, svgns=True, scale=4)
    return buffer.getvalue().decode("utf-8")


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def document_data(
    statement: dict[str, Any],
    *,
    title: str,
    number: str,
    issuer_name: str,
    issued_at: datetime,
    valid_until: date,
    url: str,
) -> dict[str, Any]:
    """What the certificate template prints (its data contract is in certificate.typ)."""
    return {
        **statement,
        "title": title,
        "number": number,
        "issuer": issuer_name,
        "seal_text": issuer_name,
        "issued_at": chinese_date(issued_at.date()),
        "valid_until": chinese_date(valid_until),
        "generated_at": issued_at.strftime("%Y-%m-%d %H:%M"),
        "verify_url": url,
        "qr_svg": qr_svg(url),
    }


@dataclass(frozen=True)
class SignedPdf:
    pdf: bytes
    sha256: str
    signer_fingerprint: str


def render_and_sign(
    template: str, data: dict[str, Any], *, issuer_code: str, issuer_name: str, location: str
) -> SignedPdf:
    """Render ``data`` with ``template`` and sign it with the issuer's key. Raises
    UncoveredCharacters before anything is rendered if a character cannot be printed,
    SigningUnavailable if the issuer has no usable key."""
    from govdesk.documents.pdf import render

    key = pki.issuer_key(issuer_code)  # a missing key fails before rendering
    unsigned = render(template, data)
    signed = pki.sign(
        unsigned,
        issuer_code=issuer_code,
        name=issuer_name,
        location=location,
        reason=f"{data.get('title', '')} {data.get('number', '')}".strip(),
    )
    return SignedPdf(
        pdf=signed,
        sha256=hashlib.sha256(signed).hexdigest(),
        signer_fingerprint=key.fingerprint,
    )
