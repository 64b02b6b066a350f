"""Staff accounts and groups in the admin. Who works where and with what rights is security
configuration: only holders of ``SECURITY_PERMISSION`` change roles, scopes, groups and
permissions, only superusers make superusers, and nobody changes an account that holds more
power than they do (a password reset would take it over)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from govdesk.accounts.models import User
from govdesk.audit.adminsite import AuditedModelAdmin, snapshot
from govdesk.common.roles import SECURITY_PERMISSION


def _outranks(request: HttpRequest, account: User | None) -> bool:
    """Whether ``account`` holds a power the acting user does not."""
    if account is None:
        return False
    user = request.user
    if account.is_superuser and not user.is_superuser:
        return True
    return account.has_perm(SECURITY_PERMISSION) and not user.has_perm(SECURITY_PERMISSION)


@admin.register(User)
class UserAdmin(AuditedModelAdmin[User], BaseUserAdmin[User]):
    """Staff users. Failed logins and lock-outs are under Axes (access attempts): deleting an
    attempt there lifts its lock-out."""

    list_display = ["username", "first_name", "last_name", "role", "jurisdiction", "is_active"]
    list_filter = ["role", "is_active"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("govdesk", {"fields": ("role", "jurisdiction", "service_point", "department")}),
    )
    security_fields = (
        "role",
        "jurisdiction",
        "service_point",
        "department",
        "is_staff",
        "groups",
        "user_permissions",
    )

    def guarded_fields(self, request: HttpRequest) -> frozenset[str]:
        guarded = super().guarded_fields(request)
        return guarded if request.user.is_superuser else guarded | {"is_superuser"}

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return super().has_change_permission(request, obj) and not _outranks(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return super().has_delete_permission(request, obj) and not _outranks(request, obj)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """The password form saves by itself: audit it like any other save (redacted)."""
        account = self.get_object(request, unquote(id))
        before = snapshot(account) if account is not None else {}
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            after = self.get_object(request, unquote(id)) if request.method == "POST" else None
            if after is not None and snapshot(after) != before:
                self.record_save(request, after, before, change=True)
        return response


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(AuditedModelAdmin[Group], BaseGroupAdmin):
    security_fields = ("permissions",)
