from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from govdesk.accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):  # type: ignore[type-arg]
    """Staff users. Failed logins and lock-outs are under Axes (access attempts): deleting an
    attempt there lifts its lock-out."""

    list_display = ["username", "first_name", "last_name", "role", "jurisdiction", "is_active"]
    list_filter = ["role", "is_active"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("govdesk", {"fields": ("role", "jurisdiction", "service_point", "department")}),
    )
