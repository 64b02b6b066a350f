"""HTTP answers the interface layers share."""

from __future__ import annotations

from django.http import HttpResponse


def pdf_response(pdf: bytes, filename: str, *, download: bool = False) -> HttpResponse:
    """A PDF that no cache keeps: shown in the browser, or saved with ``download``. The
    filename is a document number, never a person's ID number."""
    response = HttpResponse(pdf, content_type="application/pdf")
    disposition = "attachment" if download else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
