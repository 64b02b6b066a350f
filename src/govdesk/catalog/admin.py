"""Catalogue configuration for the data bureau. Saves go through the catalogue service, which
audits them; residents see published entries only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.forms import ModelForm
from django.http import HttpRequest

from govdesk.catalog.models import (
    Bundle,
    BundleStep,
    CertificateType,
    ForbiddenCertificate,
    LifeEvent,
    MaterialRequirement,
    Matter,
    QAEntry,
    SearchLog,
    SynonymGroup,
)
from govdesk.catalog.services import catalog_entry_save


class AuditedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def save_model(
        self, request: HttpRequest, obj: Model, form: ModelForm[Any], change: bool
    ) -> None:
        catalog_entry_save(
            instance=obj,
            actor=getattr(request.user, "username", ""),
            role=getattr(request.user, "role", ""),
            ip=str(request.META.get("REMOTE_ADDR", "")),
        )


class MaterialInline(admin.TabularInline):  # type: ignore[type-arg]
    model = MaterialRequirement
    extra = 0
    fields = ["order", "name", "required", "licence_type", "elements", "generated_form", "note"]


@admin.register(Matter)
class MatterAdmin(AuditedAdmin):
    list_display = [
        "code",
        "name",
        "department",
        "level",
        "decided_at",
        "online",
        "published",
        "featured_rank",
    ]
    list_filter = ["department", "level", "online", "published"]
    search_fields = ["code", "name", "aliases"]
    inlines = [MaterialInline]
    filter_horizontal = ["life_events"]


class BundleStepInline(admin.TabularInline):  # type: ignore[type-arg]
    model = BundleStep
    extra = 0


@admin.register(Bundle)
class BundleAdmin(AuditedAdmin):
    list_display = ["code", "name", "published"]
    inlines = [BundleStepInline]


@admin.register(CertificateType)
class CertificateTypeAdmin(AuditedAdmin):
    list_display = ["code", "name", "level", "validity_days", "published"]


@admin.register(ForbiddenCertificate)
class ForbiddenCertificateAdmin(AuditedAdmin):
    list_display = ["order", "name", "instead_department"]


@admin.register(LifeEvent)
class LifeEventAdmin(AuditedAdmin):
    list_display = ["code", "name", "name_en", "order"]


@admin.register(SynonymGroup)
class SynonymGroupAdmin(AuditedAdmin):
    list_display = ["__str__"]


@admin.register(QAEntry)
class QAEntryAdmin(AuditedAdmin):
    list_display = ["order", "question"]
    search_fields = ["question", "answer"]


@admin.register(SearchLog)
class SearchLogAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["at", "query", "results", "top", "opened", "channel"]
    list_filter = ["channel"]
    search_fields = ["query"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
