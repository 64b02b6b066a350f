from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from govdesk.audit.adminsite import AuditedModelAdmin
from govdesk.forms.models import DataElement, FormDefinition, Sensitivity


@admin.register(DataElement)
class DataElementAdmin(AuditedModelAdmin[DataElement]):
    list_display = ["key", "label", "type", "sensitivity", "derived"]
    list_filter = ["type", "sensitivity", "derived"]
    search_fields = ["key", "label"]
    # Sensitivity decides who sees a value masked: a security setting, not the catalogue's.
    security_fields = ("sensitivity",)

    def save_model(self, request: HttpRequest, obj: DataElement, form: Any, change: bool) -> None:
        if not change and "sensitivity" in self.guarded_fields(request):
            # Fail closed: an element created without the security permission starts at the
            # most restrictive level, else deleting or renaming an element and creating it
            # again would lower its sensitivity.
            obj.sensitivity = Sensitivity.SENSITIVE
        super().save_model(request, obj, form, change)


@admin.register(FormDefinition)
class FormDefinitionAdmin(AuditedModelAdmin[FormDefinition]):
    list_display = ["code", "title", "matter", "template", "produces"]
