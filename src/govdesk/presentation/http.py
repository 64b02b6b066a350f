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


def file_response(content: bytes, content_type: str, filename: str) -> HttpResponse:
    """An uploaded file as stored (its type was checked from its content), shown in the
    browser, never cached, never sniffed as another type. ``filename`` says nothing of the
    person (an application number)."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
