from django.contrib import admin
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from govdesk.api.urls import api


def healthz(request: HttpRequest) -> HttpResponse:
    """For the load balancer's health check: the process serves and reaches its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok\n", content_type="text/plain")


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("staff/", include("govdesk.workbench.urls")),
    path("verify/", include("govdesk.certificates.urls")),
    path("", include("govdesk.portal.urls")),
]

# The site's own error pages, in the reader's language (presentation/errorpages.py).
handler400 = "govdesk.presentation.errorpages.bad_request"
handler403 = "govdesk.presentation.errorpages.permission_denied"
handler404 = "govdesk.presentation.errorpages.page_not_found"
handler500 = "govdesk.presentation.errorpages.server_error"
