"""Catalogue configuration for the data bureau; residents see published entries only. Every
save and delete is audited (``audit.adminsite.AuditedModelAdmin``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from govdesk.audit.adminsite import AuditedModelAdmin
from govdesk.catalog.models import (
    Bundle,
    BundleStep,
    CertificateType,
    ForbiddenCertificate,
    LifeEvent,
    MaterialRequirement,
    Matter,
    OfferRule,
    QAEntry,
    SearchLog,
    SynonymGroup,
)


class MaterialInline(admin.TabularInline):  # type: ignore[type-arg]
    model = MaterialRequirement
    extra = 0
    fields = [
        "order",
        "name",
        "required",
        "licence_type",
        "elements",
        "generated_form",
        "template",
        "note",
    ]


@admin.register(Matter)
class MatterAdmin(AuditedModelAdmin[Matter]):
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
class BundleAdmin(AuditedModelAdmin[Bundle]):
    list_display = ["code", "name", "published"]
    inlines = [BundleStepInline]


@admin.register(CertificateType)
class CertificateTypeAdmin(AuditedModelAdmin[CertificateType]):
    list_display = ["code", "name", "level", "validity_days", "published"]


@admin.register(ForbiddenCertificate)
class ForbiddenCertificateAdmin(AuditedModelAdmin[ForbiddenCertificate]):
    list_display = ["order", "name", "instead_department"]


@admin.register(LifeEvent)
class LifeEventAdmin(AuditedModelAdmin[LifeEvent]):
    list_display = ["code", "name", "name_en", "order"]


@admin.register(SynonymGroup)
class SynonymGroupAdmin(AuditedModelAdmin[SynonymGroup]):
    list_display = ["__str__"]


@admin.register(QAEntry)
class QAEntryAdmin(AuditedModelAdmin[QAEntry]):
    list_display = ["order", "question"]
    search_fields = ["question", "answer"]


@admin.register(SearchLog)
class SearchLogAdmin(AuditedModelAdmin[SearchLog]):
    list_display = ["at", "query", "results", "top", "opened", "channel"]
    list_filter = ["channel"]
    search_fields = ["query"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OfferRule)
class OfferRuleAdmin(AuditedModelAdmin[OfferRule]):
    """Shown, not edited: a rule is checked when ``catalog/data/offers.yaml`` is loaded (the
    data elements it tests, what it offers), and only there."""

    list_display = ["order", "code", "matter", "bundle", "reason", "household", "published"]
    list_filter = ["published", "household"]
    search_fields = ["code", "reason"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
