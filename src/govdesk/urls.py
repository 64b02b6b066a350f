from django.contrib import admin
from django.urls import include, path

from govdesk.api.urls import api

urlpatterns = [
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
