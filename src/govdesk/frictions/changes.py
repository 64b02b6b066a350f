"""Rectifications that are configuration changes, made from the problem's page and applied by
the platform: a search synonym for a matter, a form field's default or data element, a material
fetched from an e-licence. Each is checked before anything changes and records what it changed
(before and after), so the problem's history says exactly what was done."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from govdesk.catalog.models import MaterialRequirement, Matter
from govdesk.common.errors import Invalid
from govdesk.forms.models import DataElement, FormDefinition
from govdesk.people.models import LicenceType

KINDS = ("synonym", "field_default", "field_element", "material_licence")


def _matter(code: Any) -> Matter:
    matter = Matter.objects.filter(code=str(code or "")).first()
    if matter is None:
        raise Invalid(_("Unknown matter."), {"change.matter": _("No matter has this code.")})
    return matter


def change_apply(change: dict[str, Any]) -> dict[str, Any]:
    """Apply ``change``; returns it with what it found before (``before``). Raises ``Invalid``
    (nothing changed) when it names something that does not exist."""
    kind = change.get("type")
    if kind == "synonym":
        return _synonym(change)
    if kind == "field_default":
        return _field(change, default=True)
    if kind == "field_element":
        return _field(change, default=False)
    if kind == "material_licence":
        return _material_licence(change)
    raise Invalid(
        _("Unknown kind of change."),
        {"change.type": _("Use one of: %(kinds)s.") % {"kinds": ", ".join(KINDS)}},
    )


def _synonym(change: dict[str, Any]) -> dict[str, Any]:
    query = str(change.get("query") or "").strip()
    if not query or len(query) > 60:
        raise Invalid(_("Say what residents call it."), {"change.query": _("1 to 60 characters.")})
    matter = _matter(change.get("matter"))
    before = list(matter.aliases)
    if query not in matter.aliases:
        matter.aliases = [*matter.aliases, query]
        matter.save(update_fields=["aliases"])
    return {"type": "synonym", "query": query, "matter": matter.code, "before": before}


def _field(change: dict[str, Any], *, default: bool) -> dict[str, Any]:
    matter = _matter(change.get("matter"))
    key = str(change.get("field") or "")
    form = FormDefinition.objects.filter(matter=matter).first()
    rows = [row for section in (form.sections if form else []) for row in section["fields"]]
    row = next((r for r in rows if r.get("key") == key), None)
    if form is None or row is None:
        raise Invalid(
            _("This matter's form has no such field."),
            {"change.field": _("This matter's form has no such field.")},
        )
    before = {k: row.get(k) for k in ("key", "default")}
    if default:
        if "default" not in change or change["default"] in (None, ""):
            raise Invalid(_("Give the default."), {"change.default": _("Required.")})
        row["default"] = change["default"]
    else:
        element = str(change.get("element") or "")
        if not DataElement.objects.filter(key=element).exists():
            raise Invalid(
                _("Unknown data element."), {"change.element": _("No data element has this key.")}
            )
        row["key"] = element
    form.save(update_fields=["sections"])
    return {
        **{k: v for k, v in change.items() if k in {"type", "default", "element"}},
        "matter": matter.code,
        "field": key,
        "before": before,
    }


def _material_licence(change: dict[str, Any]) -> dict[str, Any]:
    matter = _matter(change.get("matter"))
    name = str(change.get("material") or "")
    licence = str(change.get("licence_type") or "")
    requirement = MaterialRequirement.objects.filter(matter=matter, name=name).first()
    if requirement is None:
        raise Invalid(
            _("This matter has no such material."),
            {"change.material": _("This matter has no such material.")},
        )
    if licence not in LicenceType.values:
        raise Invalid(
            _("Unknown e-licence type."),
            {
                "change.licence_type": _("Use one of: %(kinds)s.")
                % {"kinds": ", ".join(LicenceType.values)}
            },
        )
    before = {"licence_type": requirement.licence_type, "need": str(requirement.need)}
    requirement.licence_type = licence  # needed only if the library does not hold it (its need)
    requirement.save(update_fields=["licence_type"])
    return {
        "type": "material_licence",
        "matter": matter.code,
        "material": name,
        "licence_type": licence,
        "before": before,
    }
