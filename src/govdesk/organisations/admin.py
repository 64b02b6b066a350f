from django.contrib import admin

from govdesk.organisations.models import Department, Region, ServicePoint


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin[Region]):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    readonly_fields = ["path"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin[Department]):
    list_display = ["code", "name", "short_name", "region"]
    search_fields = ["code", "name"]


@admin.register(ServicePoint)
class ServicePointAdmin(admin.ModelAdmin[ServicePoint]):
    list_display = ["code", "name", "region"]
    search_fields = ["code", "name"]
