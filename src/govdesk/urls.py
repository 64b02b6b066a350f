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
