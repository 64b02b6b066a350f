"""The site's URLs and three more that fail on purpose, for the error page tests: a server
error, a refusal and a suspicious request. The error handlers are the site's own."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import path

from govdesk import urls as site


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("a request no browser sends")


urlpatterns = [
    path("test-errors/500/", boom),
    path("test-errors/403/", forbidden),
    path("test-errors/400/", suspicious),
    path("staff/test-errors/500/", boom),
    *site.urlpatterns,
]
handler400 = site.handler400
handler403 = site.handler403
handler404 = site.handler404
handler500 = site.handler500
