"""Returned for correction (退回补正): what the returner names, and what changed since.

At a return, ``return_detail`` records in the event's detail the form fields and materials the
returner ticked (what the applicant must correct or add) and what the application held then:
the values as submitted and the materials provided at the window or uploaded. ``last_return``
reads the latest return back with the changes since (values and materials), for the resident
(the reason and what to change, first) and for the clerk (the diff when it comes back).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _

from govdesk.applications.errors import InvalidFields
from govdesk.applications.lifecycle import Action
from govdesk.applications.models import Application, ApplicationEvent, MaterialUpload
from govdesk.applications.readmodels import FieldChange, MaterialChange, ReturnInfo
from govdesk.common.idnumbers import mask_value
from govdesk.forms.prefill import Resolved
from govdesk.forms.schema import form_for, matter_materials

EMPTY: tuple[Any, ...] = (None, "", [])


def _materials_now(application: Application) -> dict[str, Any]:
    return {
        "provided": sorted(application.materials_provided),
        "uploads": dict(
            MaterialUpload.objects.filter(
                application=application, replaced_at__isnull=True
            ).values_list("material", "sha256")
        ),
    }


def return_detail(
    application: Application, fields: Sequence[str], materials: Sequence[str]
) -> dict[str, Any]:
    """The detail of a return event: the fields (keys) and materials (names) named, checked
    against the application's form and matter, and what it held at the return."""
    keys = {spec.key for spec in form_for(application.matter).fields}
    names = {m.name for m in matter_materials(application.matter)}
    errors = {
        **{
            f"return_fields.{k}": _("This form has no such field.") for k in fields if k not in keys
        },
        **{
            f"return_materials.{n}": _("This matter has no such material.")
            for n in materials
            if n not in names
        },
    }
    if errors:
        raise InvalidFields(_("Some of the points named are not this application's."), errors)
    return {
        "fields": sorted(set(fields)),
        "materials": sorted(set(materials)),
        "before": {
            "fields": {k: v.get("value") for k, v in (application.snapshot or {}).items()},
            **_materials_now(application),
        },
    }


def _state(name: str, provided: Sequence[str], uploads: Mapping[str, str]) -> str:
    if name in provided:
        return "provided"
    return "uploaded" if name in uploads else ""


def shown(r: Resolved, value: Any, *, show_full: bool) -> Any:
    """A value as a reader sees it: sensitive values masked unless ``show_full``."""
    return value if show_full or r.sensitivity != "sensitive" else mask_value(r.type, value)


def last_return(
    application: Application,
    fields: Mapping[str, Resolved],
    labels: Mapping[str, str],
    *,
    show_full: bool,
    events: Sequence[ApplicationEvent] | None = None,
    uploads: Mapping[str, str] | None = None,
) -> ReturnInfo | None:
    """The latest return of the application, if it was ever returned, with what changed since
    in its values (``fields``: as they are now; ``labels`` in the reader's language) and its
    materials. Values are shown as ``shown`` says. ``events`` (the timeline) and ``uploads``
    (material → checksum of its current file), when the caller has them, save the queries."""
    if events is None:
        event = application.events.filter(action=Action.RETURN).order_by("-at", "-id").first()
    else:
        returns = [e for e in events if e.action == Action.RETURN]
        event = max(returns, key=lambda e: (e.at, e.id)) if returns else None
    if event is None:
        return None
    detail = event.detail or {}
    before = detail.get("before") or {}
    values: dict[str, Any] = before.get("fields") or {}
    changes = [
        FieldChange(
            key=key,
            label=labels.get(key, key),
            type=r.type,
            choices=r.choices,
            before=shown(r, values.get(key), show_full=show_full),
            after=shown(r, r.value, show_full=show_full),
        )
        for key, r in fields.items()
        if key in values and _differs(values.get(key), r.value)
    ]
    now: dict[str, Any] = (
        _materials_now(application)
        if uploads is None
        else {"provided": sorted(application.materials_provided), "uploads": dict(uploads)}
    )
    old_provided, old_uploads = before.get("provided") or [], before.get("uploads") or {}
    material_changes = []
    for name in sorted({*old_provided, *old_uploads, *now["provided"], *now["uploads"]}):
        was = _state(name, old_provided, old_uploads)
        is_ = _state(name, now["provided"], now["uploads"])
        replaced = was == is_ == "uploaded" and old_uploads[name] != now["uploads"][name]
        if was != is_ or replaced:
            material_changes.append(MaterialChange(name, was, is_, replaced))
    named = [k for k in detail.get("fields") or [] if k in fields]
    return ReturnInfo(
        at=event.at,
        actor=event.actor,
        role=event.actor_role,
        comment=event.comment,
        fields=named,
        field_labels=[labels.get(k, k) for k in named],
        materials=list(detail.get("materials") or []),
        changes=changes,
        material_changes=material_changes,
    )


def _differs(before: Any, after: Any) -> bool:
    if before in EMPTY and after in EMPTY:
        return False
    return bool(before != after)
