from django.contrib import admin

from govdesk.catalog.admin import AuditedAdmin
from govdesk.forms.models import DataElement, FormDefinition


@admin.register(DataElement)
class DataElementAdmin(AuditedAdmin):
    list_display = ["key", "label", "type", "sensitivity", "derived"]
    list_filter = ["type", "sensitivity", "derived"]
    search_fields = ["key", "label"]


@admin.register(FormDefinition)
class FormDefinitionAdmin(AuditedAdmin):
    list_display = ["code", "title", "matter", "template", "produces"]
