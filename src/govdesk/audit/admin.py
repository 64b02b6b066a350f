"""The audit trail in the admin: read-only, and only for auditors."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from govdesk.audit.models import AuditEvent
from govdesk.common.roles import Role


def _is_auditor(request: HttpRequest) -> bool:
    return getattr(request.user, "role", "") == Role.AUDITOR


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    list_display = ["seq", "at", "actor", "actor_role", "action", "subject_label", "result", "ip"]
    list_filter = ["action", "result", "actor_role"]
    search_fields = ["actor", "subject_id", "action"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_auditor(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_auditor(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
