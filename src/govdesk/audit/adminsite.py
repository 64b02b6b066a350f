"""The admin, audited: every save and every delete of every model writes one row to the trail,
with the fields changed (old → new); security-relevant fields are guarded.

``AuditedAdminSite`` is the project's ``admin.site`` (``audit/adminconfig.py``, named in
``INSTALLED_APPS``). Whatever is registered with it becomes an ``AuditedModelAdmin``: govdesk's
admin classes subclass it by name, and the site mixes it into the others (the organisations'
admin, Django's groups), so that no registration can leave the audit out.

- A save (add, change, ``list_editable``) writes ``admin.created`` or ``admin.changed`` with
  ``{"model", "object", "changes": {field: [old, new]}}``, many-to-many fields and inline rows
  included (``"inlines"``); the row is written in the save's transaction.
- A delete, one object or "delete selected", writes one ``admin.deleted`` row per object, with
  its values and what the database deleted with it (``"cascade"``).
- ``security_fields`` are read-only for whoever lacks ``SECURITY_PERMISSION``; a POST that
  carries one anyway is refused (403) and audited as ``admin.refused`` before anything is saved.
- Values are never written in clear when they are secrets (passwords, digests, tokens …) or
  identity, phone and account numbers; anything shaped like an ID number is masked wherever it
  appears.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, NoReturn, TypeVar, cast
from uuid import UUID

from django.contrib import admin
from django.contrib.admin.utils import NestedObjects, unquote
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import router, transaction
from django.db.models import Model, QuerySet
from django.db.models.base import ModelBase
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse

from govdesk.audit.actions import AuditAction
from govdesk.audit.models import Result
from govdesk.audit.services import audit_record
from govdesk.common.actor import Actor
from govdesk.common.http import client_ip
from govdesk.common.idnumbers import mask, mask_value
from govdesk.common.roles import SECURITY_PERMISSION

_ModelT = TypeVar("_ModelT", bound=Model)

Snapshot = dict[str, Any]
Changes = dict[str, list[Any]]

REDACTED = "[redacted]"
#: Fields whose values never enter the trail (that they changed does): secrets and digests.
SECRET_FIELDS = frozenset({"password", "digest", "code_hash", "token", "secret", "private_key"})
SECRET_SUFFIXES = ("_hash", "_digest", "_secret", "_token", "_password")
#: Fields written masked, as ``common.idnumbers.mask_value`` masks each kind.
MASKED_FIELDS = {"id_number": "id_number", "phone": "phone", "bank_account": "bank_account"}
#: Anything shaped like an 18-character identity number, in any text or JSON value.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
# Where save_model leaves the stored values for save_related (the form lives for one request).
_BEFORE = "_govdesk_audit_before"


def _plain(value: Any) -> Any:
    """A field's value as JSON holds it."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return f"[{len(bytes(value))} bytes]"
    return value


def snapshot(obj: Model) -> Snapshot:
    """The values of ``obj``: each concrete field but the primary key (a foreign key as the
    related key), and each many-to-many field as the sorted keys of its related rows."""
    values: Snapshot = {
        field.name: _plain(field.value_from_object(obj))
        for field in obj._meta.concrete_fields
        if not field.primary_key
    }
    if obj.pk is not None:
        for field in obj._meta.many_to_many:
            values[field.name] = sorted(getattr(obj, field.name).values_list("pk", flat=True))
    return values


def _stored(model: type[Model], pk: Any) -> Model | None:
    return model._base_manager.filter(pk=pk).first() if pk is not None else None


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def changes(before: Snapshot, after: Snapshot) -> Changes:
    """``{field: [old, new]}`` for each field whose value differs (an object created or deleted
    is compared with nothing; fields empty on both sides are left out)."""
    names = [*before, *(name for name in after if name not in before)]
    return {
        name: [before.get(name), after.get(name)]
        for name in names
        if before.get(name) != after.get(name)
        and not (_empty(before.get(name)) and _empty(after.get(name)))
    }


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _ID_NUMBER.sub(lambda found: mask(found.group()), value)
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item) for key, item in value.items()}
    return value


def shown(name: str, value: Any, secret: Iterable[str] = ()) -> Any:
    """``value`` of field ``name`` as the trail may hold it."""
    if _empty(value):
        return value
    if name in SECRET_FIELDS or name in secret or name.endswith(SECRET_SUFFIXES):
        return REDACTED
    if name in MASKED_FIELDS:
        return mask_value(MASKED_FIELDS[name], value)
    return _scrub(value)


def _described(model: type[Model], name: str, value: Any) -> Any:
    """A relation's keys as the trail shows them, ``"锡山区 (#3)"``, so that an auditor reads
    which region, group or permission was given without looking keys up."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return value
    related = field.related_model
    if not field.is_relation or _empty(value) or not isinstance(related, type):
        return value
    keys = value if isinstance(value, list) else [value]
    lookup = "pk" if field.many_to_many else getattr(field, "target_field", field).name
    found = related._base_manager.filter(**{f"{lookup}__in": keys})
    labels = {str(getattr(row, lookup)): _label(row) for row in found}
    described = [f"{labels.get(str(key), '?')} (#{key})" for key in keys]
    return described if isinstance(value, list) else described[0]


def _label(obj: Model | None) -> str:
    return str(_scrub(str(obj)))[:100] if obj is not None else ""


def _actor(request: HttpRequest) -> Actor:
    user = request.user
    role = getattr(user, "role", "") or ("superuser" if user.is_superuser else "")
    return Actor(name=user.get_username(), role=role, ip=client_ip(request))


def _posted(request: HttpRequest, name: str) -> Any:
    values = request.POST.getlist(name)
    return values[0] if len(values) == 1 else values


def _cascade(obj: Model) -> dict[str, int]:
    """What deleting ``obj`` deletes with it: rows per model, ``obj`` itself left out."""
    collector = NestedObjects(using=router.db_for_write(type(obj)))
    collector.collect([obj])
    # Keyed by model class (django-stubs says by name).
    found = cast(dict[type[Model], set[Model]], collector.model_objs)
    counts = {  # many-to-many links are in the deleted object's values already
        model._meta.label_lower: len(objects)
        for model, objects in found.items()
        if not model._meta.auto_created
    }
    own = obj._meta.label_lower
    if own in counts:
        counts[own] -= 1
    return {label: count for label, count in sorted(counts.items()) if count}


class AuditedModelAdmin(admin.ModelAdmin[_ModelT]):
    """A ``ModelAdmin`` whose saves and deletes are audited, with guarded security fields."""

    #: Fields only holders of ``SECURITY_PERMISSION`` may change; read-only for the others.
    security_fields: Sequence[str] = ()
    #: Fields whose values never enter the trail, besides ``SECRET_FIELDS``.
    audit_secret_fields: Sequence[str] = ()

    def guarded_fields(self, request: HttpRequest) -> frozenset[str]:
        """The fields this user may see but not change."""
        if request.user.has_perm(SECURITY_PERMISSION):
            return frozenset()
        return frozenset(self.security_fields)

    def get_readonly_fields(self, request: HttpRequest, obj: _ModelT | None = None) -> list[str]:
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly + sorted(self.guarded_fields(request) - set(readonly))

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST":
            smuggled = sorted(self.guarded_fields(request) & set(request.POST))
            if smuggled:
                # Outside the view's transaction, so that the refusal stays in the trail.
                self._refuse(request, object_id, smuggled)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: _ModelT, form: Any, change: bool) -> None:
        stored = _stored(self.model, obj.pk) if change else None
        setattr(form, _BEFORE, snapshot(stored) if stored is not None else {})
        super().save_model(request, obj, form, change)

    def save_related(
        self, request: HttpRequest, form: ModelForm[_ModelT], formsets: Any, change: bool
    ) -> None:
        inlines_before = [(formset, self._rows_before(formset)) for formset in formsets]
        super().save_related(request, form, formsets, change)
        inlines = [
            row for formset, before in inlines_before for row in self._rows_after(formset, before)
        ]
        self.record_save(request, form.instance, getattr(form, _BEFORE, {}), change, inlines)

    def record_save(
        self,
        request: HttpRequest,
        obj: _ModelT,
        before: Snapshot,
        change: bool,
        inlines: list[dict[str, Any]] | None = None,
    ) -> None:
        """Audit the save of ``obj``, whose stored values were ``before``. The admin's saves
        call it; so does a view that saves by itself (the password form of the users)."""
        stored = _stored(self.model, obj.pk)
        changed = changes(before, snapshot(stored or obj))
        if change and self.guarded_fields(request) & set(changed):
            raise PermissionDenied  # a path changeform_view did not see: roll the save back
        detail = self._detail(obj, changed)
        if inlines:
            detail["inlines"] = inlines
        action = AuditAction.ADMIN_CHANGED if change else AuditAction.ADMIN_CREATED
        self._record(request, action, obj, detail)

    def delete_model(self, request: HttpRequest, obj: _ModelT) -> None:
        self._record_deletion(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[_ModelT]) -> None:
        with transaction.atomic(using=router.db_for_write(self.model)):
            for obj in queryset:
                self._record_deletion(request, obj)
            super().delete_queryset(request, queryset)

    # -- the rows ------------------------------------------------------------------------

    def _shown_changes(self, changed: Changes, model: type[Model] | None = None) -> Changes:
        model = model or self.model
        secret = self.audit_secret_fields
        return {
            name: [
                shown(name, _described(model, name, old), secret),
                shown(name, _described(model, name, new), secret),
            ]
            for name, (old, new) in changed.items()
        }

    def _detail(self, obj: Model | None, changed: Changes) -> dict[str, Any]:
        return {
            "model": self.model._meta.label_lower,
            "object": _label(obj),
            "changes": self._shown_changes(changed),
        }

    def _record(
        self,
        request: HttpRequest,
        action: AuditAction,
        obj: Model | None,
        detail: dict[str, Any],
        result: str = Result.OK,
    ) -> None:
        audit_record(
            actor=_actor(request),
            action=action,
            result=result,
            subject_type=self.model._meta.label_lower[:32],
            subject_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
            subject_label=_label(obj),
            detail=detail,
        )

    def _record_deletion(self, request: HttpRequest, obj: _ModelT) -> None:
        detail = self._detail(obj, changes(snapshot(obj), {}))
        cascade = _cascade(obj)
        if cascade:
            detail["cascade"] = cascade
        self._record(request, AuditAction.ADMIN_DELETED, obj, detail)

    def _refuse(self, request: HttpRequest, object_id: str | None, fields: list[str]) -> NoReturn:
        obj = self.get_object(request, unquote(object_id)) if object_id else None
        current = snapshot(obj) if obj is not None else {}
        attempted = {name: [current.get(name), _posted(request, name)] for name in fields}
        detail = self._detail(obj, attempted)
        self._record(request, AuditAction.ADMIN_REFUSED, obj, detail, result=Result.DENIED)
        raise PermissionDenied

    def _rows_before(self, formset: Any) -> dict[Any, tuple[str, Snapshot]]:
        """The stored values of an inline formset's rows, before it is saved."""
        pks = [form.instance.pk for form in formset.initial_forms if form.instance.pk is not None]
        stored = formset.model._base_manager.filter(pk__in=pks)
        return {row.pk: (_label(row), snapshot(row)) for row in stored}

    def _rows_after(
        self, formset: Any, before: dict[Any, tuple[str, Snapshot]]
    ) -> list[dict[str, Any]]:
        """Each inline row created, changed or deleted by the save, with its changes."""
        model = formset.model
        new = [obj.pk for obj in formset.new_objects]
        stored = {row.pk: row for row in model._base_manager.filter(pk__in=[*before, *new])}
        rows = []

        def row(action: str, pk: Any, label: str, changed: Changes) -> None:
            rows.append(
                {
                    "model": model._meta.label_lower,
                    "object": label,
                    "id": str(pk),
                    "action": action,
                    "changes": self._shown_changes(changed, model),
                }
            )

        for pk, (label, old) in before.items():
            if pk not in stored:
                row("deleted", pk, label, changes(old, {}))
            elif changed := changes(old, snapshot(stored[pk])):
                row("changed", pk, _label(stored[pk]), changed)
        for pk in new:
            if pk in stored:
                row("created", pk, _label(stored[pk]), changes({}, snapshot(stored[pk])))
        return rows


class AuditedAdminSite(admin.AdminSite):
    """``admin.site``: every ``ModelAdmin`` registered here is an ``AuditedModelAdmin``."""

    def register(
        self,
        model_or_iterable: ModelBase | Iterable[ModelBase],
        admin_class: type[admin.ModelAdmin[Any]] | None = None,
        **options: Any,
    ) -> None:
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AuditedModelAdmin):
            admin_class = type(
                admin_class.__name__,
                (AuditedModelAdmin, admin_class),
                {"__module__": admin_class.__module__},
            )
        super().register(model_or_iterable, admin_class, **options)
