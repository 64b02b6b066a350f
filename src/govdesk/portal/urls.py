from django.urls import path

from govdesk.portal import frictions, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("browse/", views.browse, name="browse"),
    path("matters/<str:code>/", views.guide, name="guide"),
    path("matters/<str:code>/apply/", views.apply, name="apply"),
    path("bundles/<str:code>/", views.bundle, name="bundle"),
    path("certificates/", views.certificates, name="certificates"),
    path("search/", views.search, name="search"),
    path("ask/", views.ask, name="ask"),
    path("settings/", views.display_settings, name="settings"),
    path("signin/", views.sign_in, name="sign_in"),
    path("signin/code/", views.sign_in_code, name="sign_in_code"),
    path("signout/", views.sign_out, name="sign_out"),
    path("me/", views.me, name="me"),
    path("report/", frictions.report, name="report"),
    path("you-said-we-did/", frictions.rectified, name="rectified"),
    path("me/feedback/", frictions.feedback, name="feedback"),
    path("me/feedback/<uuid:friction_id>/", frictions.feedback_item, name="feedback_item"),
    path(
        "me/feedback/<uuid:friction_id>/actions/",
        frictions.feedback_act,
        name="feedback_act",
    ),
    path("me/applications/<uuid:application_id>/", views.application, name="application"),
    path(
        "me/applications/<uuid:application_id>/save/",
        views.application_save,
        name="application_save",
    ),
    path(
        "me/applications/<uuid:application_id>/submit/",
        views.application_submit,
        name="application_submit",
    ),
    path(
        "me/applications/<uuid:application_id>/upload/",
        views.application_upload,
        name="application_upload",
    ),
    path(
        "me/applications/<uuid:application_id>/uploads/<uuid:upload_id>/",
        views.upload_file,
        name="upload_file",
    ),
    path(
        "me/applications/<uuid:application_id>/templates/<slug:code>.pdf",
        views.template_pdf,
        name="template_pdf",
    ),
    path(
        "me/applications/<uuid:application_id>/receipt.pdf",
        views.receipt_pdf,
        name="receipt_pdf",
    ),
    path(
        "me/applications/<uuid:application_id>/rating/",
        views.rating,
        name="rating",
    ),
    path("me/certificates/", views.my_certificates, name="my_certificates"),
    path(
        "me/certificates/<str:number>/download/",
        views.certificate_download,
        name="certificate_download",
    ),
]
