from django.contrib.auth import views as auth_views
from django.urls import path

from govdesk.workbench import frictions, views

app_name = "workbench"
urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="workbench/login.html"),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("people/find/", views.find, name="find"),
    path("report/", frictions.report, name="report"),
    path("frictions/", frictions.inbox, name="frictions"),
    path("frictions/dashboard/", frictions.dashboard, name="friction_dashboard"),
    path("frictions/export.csv", frictions.export_csv, name="friction_export"),
    path("frictions/<uuid:friction_id>/", frictions.detail, name="friction"),
    path("frictions/<uuid:friction_id>/actions/", frictions.act, name="friction_act"),
    path("people/<str:ref>/", views.person, name="person"),
    path("bundles/start/", views.bundle_start, name="bundle_start"),
    path("bundles/<uuid:run_id>/", views.bundle, name="bundle"),
    path("bundles/<uuid:run_id>/fields/", views.bundle_fields, name="bundle_fields"),
    path("bundles/<uuid:run_id>/materials/", views.bundle_materials, name="bundle_materials"),
    path("bundles/<uuid:run_id>/submit/", views.bundle_submit, name="bundle_submit"),
    path("bundles/<uuid:run_id>/uploads/", views.bundle_uploads, name="bundle_uploads"),
    path("applications/start/", views.application_start, name="application_start"),
    path("applications/<uuid:application_id>/", views.application, name="application"),
    path(
        "applications/<uuid:application_id>/fields/",
        views.application_fields,
        name="application_fields",
    ),
    path(
        "applications/<uuid:application_id>/materials/",
        views.application_materials,
        name="application_materials",
    ),
    path(
        "applications/<uuid:application_id>/submit/",
        views.application_submit,
        name="application_submit",
    ),
    path(
        "applications/<uuid:application_id>/actions/",
        views.application_act,
        name="application_act",
    ),
    path("certificates/<str:number>.pdf", views.certificate_pdf, name="certificate_pdf"),
    path(
        "applications/<uuid:application_id>/retry/",
        views.application_retry,
        name="application_retry",
    ),
    path(
        "applications/<uuid:application_id>/form.pdf",
        views.application_pdf,
        name="application_pdf",
    ),
    path(
        "applications/<uuid:application_id>/uploads/",
        views.application_uploads,
        name="application_uploads",
    ),
    path(
        "applications/<uuid:application_id>/uploads/<uuid:upload_id>/",
        views.upload_file,
        name="upload_file",
    ),
    path(
        "applications/<uuid:application_id>/templates/<slug:code>.pdf",
        views.template_pdf,
        name="template_pdf",
    ),
    path(
        "applications/<uuid:application_id>/receipt.pdf",
        views.receipt_pdf,
        name="receipt_pdf",
    ),
]
