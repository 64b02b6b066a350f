"""The workbench's once-only form: the union of the fields of several applications (the steps
of a bundle, or one application), each data element shown once with its value and source.

Presentation only. Values, sources and what is missing come from
``applications.selectors.application_detail``; saving goes through
``applications.services.application_update``. Nothing here decides a business rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from govdesk.applications.labels import event_label
from govdesk.common.idnumbers import mask, mask_phone
from govdesk.common.roles import Role
from govdesk.forms.derivations import RULES
from govdesk.people.models import Relation

#: Names of the registries a value may come from (``origin`` of a registry value).
REGISTRY_LABELS: dict[str, Promise] = {
    "population": gettext_lazy("Population registry"),
    "social_security": gettext_lazy("Social security registry"),
    "civil_affairs": gettext_lazy("Civil affairs registry"),
    "disabled_federation": gettext_lazy("Disabled Persons' Federation"),
    "medical_insurance": gettext_lazy("Medical insurance registry"),
    "licence_library": gettext_lazy("E-licence"),
}
#: What each kind of source is called on a badge.
SOURCE_LABELS: dict[str, Promise] = {
    "registry": gettext_lazy("Registry"),
    "licence": gettext_lazy("E-licence"),
    "captured": gettext_lazy("Captured earlier"),
    "typed": gettext_lazy("Typed in this application"),
    "derived": gettext_lazy("Computed"),
    "default": gettext_lazy("Default"),
}
MATERIAL_LABELS: dict[str, Promise] = {
    "licence": gettext_lazy("E-licence verified"),
    "registry": gettext_lazy("From system data"),
    "provided": gettext_lazy("Checked at the window"),
    "required": gettext_lazy("Needed from the applicant"),
}
ACTION_LABELS: dict[str, Promise] = {
    "submit": gettext_lazy("Submit"),
    "accept": gettext_lazy("Accept"),
    "return": gettext_lazy("Return for correction"),
    "approve": gettext_lazy("Approve"),
    "refuse": gettext_lazy("Refuse"),
    "complete": gettext_lazy("Complete"),
}
#: Actions that need a reason in the comment box.
NEEDS_REASON = frozenset({"return", "refuse"})
#: Types the form cannot offer an input for.
NOT_TYPED = frozenset({"list"})
SOURCES_NOT_TYPED = frozenset({"registry", "licence"})
PREFIX = "fact:"
#: Marks a row whose input the request carries (each row has its own, so htmx keeps them all).
SHOWN = "shown:"


def _is_english() -> bool:
    return (get_language() or "").startswith("en")


def choice_label(choice: Sequence[str]) -> str:
    """A choice is ``[value, Chinese label, English label]``."""
    if _is_english() and len(choice) > 2 and choice[2]:
        return str(choice[2])
    return str(choice[1]) if len(choice) > 1 else str(choice[0])


def display_value(kind: str, value: Any, choices: Sequence[Sequence[str]]) -> str:
    """A value as a person reads it: choice labels, yes/no, members with their relation."""
    if value is None or value == "" or value == []:
        return ""
    labels = {str(c[0]): choice_label(c) for c in choices}
    separator = ", " if _is_english() else "、"
    if kind == "choice":
        return labels.get(str(value), str(value))
    if kind == "multichoice" and isinstance(value, list):
        return separator.join(labels.get(str(v), str(v)) for v in value)
    if kind == "bool":
        return _("Yes") if value else _("No")
    if kind == "list" and isinstance(value, list):
        return separator.join(_member(item) for item in value)
    if isinstance(value, dict):
        return separator.join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def _member(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    relation = str(item.get("relation", ""))
    label = Relation(relation).label if relation in Relation.values else relation
    return f"{item.get('name', '')} ({label})"


def local_date(stamp: str | None) -> str:
    """``2026-03-01`` from an ISO date or timestamp, in local time."""
    if not stamp:
        return ""
    moment = parse_datetime(stamp)
    if moment is None:
        return stamp[:10]
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.strftime("%Y-%m-%d")


def local_time(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    moment = parse_datetime(stamp)
    if moment is not None and timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment


def source_badge(source: str | None, origin: str) -> str:
    """The badge text: the registry's name for registry values, else the kind of source."""
    if source == "registry":
        return str(REGISTRY_LABELS.get(origin, SOURCE_LABELS["registry"]))
    if source is None:
        return _("Not known")
    return str(SOURCE_LABELS.get(source, source))


def role_label(role: str) -> str:
    return str(Role(role).label) if role in Role.values else role


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def slug(key: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in key)


@dataclass
class Target:
    """The application a typed value is saved on: the first editable step with the field."""

    application: str
    version: int
    step: int | None


@dataclass
class FactRow:
    key: str
    label: str
    type: str
    choices: list[tuple[str, str]]
    value: Any
    display: str
    source: str | None
    origin: str
    as_of: str
    badge: str
    required: bool
    missing: bool
    derived: bool
    conflict: dict[str, Any] | None
    steps: list[int] = field(default_factory=list)
    target: Target | None = None
    editable: bool = False
    input_value: str = ""
    input_values: list[str] = field(default_factory=list)
    unsaved: bool = False
    error: str = ""
    computed_from: list[str] = field(default_factory=list)
    confirm_for: list[str] = field(default_factory=list)
    conflict_text: str = ""

    @property
    def slug(self) -> str:
        return slug(self.key)

    @property
    def attention(self) -> bool:
        return self.missing or bool(self.error) or bool(self.confirm_for)

    @property
    def widget(self) -> str:
        return {
            "choice": "select",
            "multichoice": "checkboxes",
            "bool": "radios",
            "date": "date",
            "month": "month",
            "integer": "number",
            "money": "money",
            "phone": "tel",
            "text": "textarea",
        }.get(self.type, "text")


@dataclass
class FactSection:
    title: str
    rows: list[FactRow]


@dataclass
class Facts:
    sections: list[FactSection]
    rows: dict[str, FactRow]

    @property
    def attention(self) -> list[FactRow]:
        return [r for r in self.rows.values() if r.attention]

    @property
    def missing(self) -> list[FactRow]:
        return [r for r in self.rows.values() if r.missing]

    @property
    def known(self) -> int:
        return sum(1 for r in self.rows.values() if r.value not in (None, "", []))


def _input_strings(kind: str, value: Any) -> tuple[str, list[str]]:
    if value is None:
        return "", []
    if kind == "multichoice":
        return "", [str(v) for v in value] if isinstance(value, list) else [str(value)]
    if kind == "bool":
        return ("true" if value else "false"), []
    return str(value), []


def _row(f: Mapping[str, Any], step: int | None) -> FactRow:
    kind = str(f["type"])
    choices = [(str(c[0]), choice_label(c)) for c in f.get("choices") or []]
    return FactRow(
        key=str(f["key"]),
        label=str(f["label"]),
        type=kind,
        choices=choices,
        value=f["value"],
        display=display_value(kind, f["value"], f.get("choices") or []),
        source=f["source"],
        origin=str(f.get("origin") or ""),
        as_of=local_date(f.get("as_of")),
        badge=source_badge(f["source"], str(f.get("origin") or "")),
        required=bool(f["required"]),
        missing=bool(f["missing"]),
        derived=bool(f["derived"]),
        conflict=f.get("conflict"),
        steps=[step] if step is not None else [],
    )


def _may_edit(detail: Mapping[str, Any]) -> bool:
    """The selectors offer ``submit`` exactly when this principal may still edit it."""
    return "submit" in detail["allowed_actions"]


def _take_value(row: FactRow, f: Mapping[str, Any]) -> None:
    fresh = _row(f, None)
    for name in ("value", "display", "source", "origin", "as_of", "badge", "conflict"):
        setattr(row, name, getattr(fresh, name))


def facts_build(
    details: Sequence[Mapping[str, Any]],
    *,
    posted: QueryDict | None = None,
    saved: str = "",
    errors: Mapping[str, str] | None = None,
) -> Facts:
    """One row per data element across ``details`` (application_detail dicts, in step order).

    A value is shown as the first editable step sees it (else as the first step does); it is
    typed on that step. ``posted`` carries values typed but not saved yet, so that saving one
    field never wipes another; ``errors`` are per-field messages from the service.
    """
    errors = errors or {}
    rows: dict[str, FactRow] = {}
    order: list[tuple[str, str]] = []
    for detail in details:
        editable_step = _may_edit(detail)
        step = detail["bundle"]["step"] if detail.get("bundle") else None
        for f in detail["fields"]:
            key = str(f["key"])
            row = rows.get(key)
            if row is None:
                row = rows[key] = _row(f, step)
                order.append((str(f.get("section") or ""), key))
            else:
                if step is not None:
                    row.steps.append(step)
                row.required = row.required or bool(f["required"])
                row.missing = row.missing or bool(f["missing"])
                row.conflict = row.conflict or f.get("conflict")
            if editable_step and row.target is None and not f["derived"]:
                row.target = Target(str(detail["id"]), int(detail["version"]), step)
                _take_value(row, f)
                row.conflict = row.conflict or f.get("conflict")
    for row in rows.values():
        row.editable = (
            row.target is not None
            and not row.derived
            and row.source not in SOURCES_NOT_TYPED
            and row.type not in NOT_TYPED
        )
        row.input_value, row.input_values = _input_strings(row.type, row.value)
        if row.conflict:
            row.conflict_text = _conflict_text(row)
        if row.key in errors:
            row.error = str(errors[row.key])
    _explain_derived(rows)
    if posted is not None:
        _carry_unsaved(rows, posted, saved)
    sections: dict[str, FactSection] = {}
    for title, key in order:
        sections.setdefault(title, FactSection(title, [])).rows.append(rows[key])
    return Facts(list(sections.values()), rows)


def _masked(kind: str, value: Any) -> Any:
    """Conflicts carry raw values: ID, phone and account numbers are masked on screen."""
    if value in (None, ""):
        return value
    if kind == "id_number":
        return mask(str(value))
    if kind == "phone":
        return mask_phone(str(value))
    if kind == "bank_account":
        text = str(value)
        return "*" * max(0, len(text) - 4) + text[-4:]
    return value


def _conflict_text(row: FactRow) -> str:
    conflict = row.conflict or {}
    choices = [[value, label] for value, label in row.choices]
    registry, typed = (_masked(row.type, conflict.get(k)) for k in ("registry", "typed"))
    return _(
        "Differs from the registry. Registry: %(registry)s. Typed by %(who)s on %(when)s: "
        "%(typed)s. The registry value is used."
    ) % {
        "registry": display_value(row.type, registry, choices) or "—",
        "typed": display_value(row.type, typed, choices) or "—",
        "who": conflict.get("typed_by") or "—",
        "when": local_date(conflict.get("at")) or "—",
    }


def _explain_derived(rows: dict[str, FactRow]) -> None:
    """A computed value still missing says what it is computed from, and the editable values
    it depends on (e.g. a default to confirm) are marked for the clerk's attention."""
    for row in rows.values():
        if not (row.derived and row.missing and row.key in RULES):
            continue
        seen: set[str] = set()
        stack = list(RULES[row.key].inputs)
        while stack:
            name = stack.pop(0)
            if name in seen:
                continue
            seen.add(name)
            feeder = rows.get(name)
            if feeder is not None and name not in RULES:
                row.computed_from.append(feeder.label)
                if feeder.editable and feeder.source in (None, "default"):
                    feeder.confirm_for.append(row.label)
            stack.extend(RULES[name].inputs if name in RULES else ())


def posted_value(posted: QueryDict, key: str, kind: str) -> Any:
    """The raw value typed for ``key`` as the service expects it."""
    name = PREFIX + key
    if kind == "multichoice":
        return list(dict.fromkeys(posted.getlist(name)))
    return posted.get(name, "")


def _carry_unsaved(rows: dict[str, FactRow], posted: QueryDict, saved: str) -> None:
    shown = [name.removeprefix(SHOWN) for name in posted if name.startswith(SHOWN)]
    for key in shown:
        row = rows.get(key)
        if row is None or not row.editable or key == saved:
            continue
        raw = posted_value(posted, key, row.type)
        if row.type == "multichoice":
            values = [str(v) for v in raw]
            if sorted(values) != sorted(row.input_values):
                row.input_values, row.unsaved = values, True
        elif str(raw) != row.input_value:
            row.input_value, row.unsaved = str(raw), True


def step_summary(detail: Mapping[str, Any]) -> dict[str, Any]:
    """What a screen shows of one step: status, materials, print link data."""
    return {
        "id": detail["id"],
        "number": detail["number"],
        "matter": detail["matter"],
        "step": detail["bundle"]["step"] if detail.get("bundle") else None,
        "status": detail["status"],
        "status_label": detail["status_label"],
        "version": detail["version"],
        "editable": _may_edit(detail),
        "missing": [f["label"] for f in detail["fields"] if f["missing"]],
        "materials": [
            {**m, "status_label": str(MATERIAL_LABELS.get(m["status"], m["status"]))}
            for m in detail["materials"]
        ],
        "optional_materials": [
            {**m, "status_label": str(MATERIAL_LABELS.get(m["status"], m["status"]))}
            for m in detail["optional_materials"]
        ],
        "form_title": detail["form"]["title"],
    }


def timeline(detail: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "action": event_label(e["action"]),
            "actor": e["actor"],
            "role": role_label(e["role"]),
            "at": local_time(e["at"]),
            "comment": e["comment"],
            "to": e["to"],
        }
        for e in detail["timeline"]
    ]
