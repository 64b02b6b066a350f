"""HTTP answers the interface layers share."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme


def pdf_response(pdf: bytes, filename: str, *, download: bool = False) -> HttpResponse:
    """A PDF that no cache keeps: shown in the browser, or saved with ``download``. The
    filename is a document number, never a person's ID number."""
    response = HttpResponse(pdf, content_type="application/pdf")
    disposition = "attachment" if download else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


def same_origin_path(request: HttpRequest, url: str | None) -> str | None:
    """The path of ``url`` (a Referer, htmx's ``HX-Current-URL``) if it is an address on this
    site, reached as this request was (HTTPS if it is); None for any other or none."""
    if not url:
        return None
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    if not url_has_allowed_host_and_scheme(
        url, allowed_hosts={host}, require_https=request.is_secure()
    ):
        return None
    return urlsplit(url).path or None


def file_response(content: bytes, content_type: str, filename: str) -> HttpResponse:
    """An uploaded file as stored (its type was checked from its content), shown in the
    browser, never cached, never sniffed as another type. ``filename`` says nothing of the
    person (an application number)."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
