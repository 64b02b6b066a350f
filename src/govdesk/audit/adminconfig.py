"""``django.contrib.admin`` with the audited site as ``admin.site`` (named in INSTALLED_APPS).

Kept apart from ``adminsite``: an app config is imported before the models are ready."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class AuditedAdminConfig(AdminConfig):
    default_site = "govdesk.audit.adminsite.AuditedAdminSite"
