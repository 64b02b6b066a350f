"""The workbench's once-only form: the union of the fields of several applications (the steps
of a bundle, or one application), each data element shown once with its value and source.

Presentation only. Values, sources and what is missing come typed from
``applications.selectors.application_detail``; labels and display values from
``presentation.values``; saving goes through
``applications.services.application_update``. Nothing here decides a business rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _

from govdesk.applications.readmodels import ApplicationDetail, FieldValue, ReturnInfo
from govdesk.catalog.i18n import text
from govdesk.forms.derivations import RULES
from govdesk.presentation.values import (
    MATERIAL_LABELS,
    actor_label,
    awaited_text,
    choice_options,
    display_value,
    local_date,
    masked_display,
    source_name,
)

#: Types the form cannot offer an input for.
NOT_TYPED = frozenset({"list"})
SOURCES_NOT_TYPED = frozenset({"registry", "licence", "produced"})
PREFIX = "fact:"
#: Marks a row whose input the request carries (each row has its own, so htmx keeps them all).
SHOWN = "shown:"


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
    #: Who typed a captured or typed value (a clerk's user name, or "the applicant").
    by: str
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


def _row(f: FieldValue, step: int | None) -> FactRow:
    return FactRow(
        key=f.key,
        label=f.label,
        type=f.type,
        choices=choice_options(f.choices),
        value=f.value,
        display=display_value(f.type, f.value, f.choices) or awaited_text(f.source, f.origin),
        source=f.source,
        origin=f.origin,
        as_of=local_date(f.as_of),
        by=actor_label(f.origin) if f.source in {"captured", "typed"} else "",
        badge=source_name(f.source, f.origin),
        required=f.required,
        missing=f.missing,
        derived=f.derived,
        conflict=f.conflict,
        steps=[step] if step is not None else [],
    )


def _take_value(row: FactRow, f: FieldValue) -> None:
    fresh = _row(f, None)
    for name in ("value", "display", "source", "origin", "as_of", "by", "badge", "conflict"):
        setattr(row, name, getattr(fresh, name))


def facts_build(
    details: Sequence[ApplicationDetail],
    *,
    posted: QueryDict | None = None,
    saved: str = "",
    errors: Mapping[str, str] | None = None,
) -> Facts:
    """One row per data element across ``details`` (in step order).

    A value is shown as the first editable step sees it (else as the first step does); it is
    typed on that step. ``posted`` carries values typed but not saved yet, so that saving one
    field never wipes another; ``errors`` are per-field messages from the service.
    """
    errors = errors or {}
    rows: dict[str, FactRow] = {}
    order: list[tuple[str, str]] = []
    for detail in details:
        step = detail.bundle.step if detail.bundle is not None else None
        for f in detail.fields:
            row = rows.get(f.key)
            if row is None:
                row = rows[f.key] = _row(f, step)
                order.append((f.section, f.key))
            else:
                if step is not None:
                    row.steps.append(step)
                row.required = row.required or f.required
                row.missing = row.missing or f.missing
                row.conflict = row.conflict or f.conflict
            if detail.editable and row.target is None and not f.derived:
                row.target = Target(str(detail.id), detail.version, step)
                _take_value(row, f)
                row.conflict = row.conflict or f.conflict
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


def _conflict_text(row: FactRow) -> str:
    conflict = row.conflict or {}
    choices = [[value, label] for value, label in row.choices]
    registry, typed = (
        masked_display(row.type, conflict.get(k), choices) for k in ("registry", "typed")
    )
    return _(
        "Differs from the registry. Registry: %(registry)s. Typed by %(who)s on %(when)s: "
        "%(typed)s. The registry value is used."
    ) % {
        "registry": registry or "—",
        "typed": typed or "—",
        "who": actor_label(str(conflict.get("typed_by") or "")) or "—",
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


def _shown(posted: QueryDict) -> list[str]:
    return [name.removeprefix(SHOWN) for name in posted if name.startswith(SHOWN)]


def _differs(row: FactRow, raw: Any) -> bool:
    """Whether ``raw``, as posted for ``row``, is not what the row holds."""
    if row.type == "multichoice":
        return sorted(str(v) for v in raw) != sorted(row.input_values)
    return str(raw) != row.input_value


def _carry_unsaved(rows: dict[str, FactRow], posted: QueryDict, saved: str) -> None:
    for key in _shown(posted):
        row = rows.get(key)
        if row is None or not row.editable or key == saved:
            continue
        raw = posted_value(posted, key, row.type)
        if not _differs(row, raw):
            continue
        row.unsaved = True
        if row.type == "multichoice":
            row.input_values = [str(v) for v in raw]
        else:
            row.input_value = str(raw)


def posted_changes(facts: Facts, posted: QueryDict) -> dict[str, dict[str, Any]]:
    """The values the page carries that differ from what is held, by the application each is
    saved on (the row's target): what a submit saves first. Rows the request does not show,
    and rows that cannot be typed, are left alone."""
    changes: dict[str, dict[str, Any]] = {}
    for key in _shown(posted):
        row = facts.rows.get(key)
        if row is None or not row.editable or row.target is None:
            continue
        raw = posted_value(posted, key, row.type)
        if _differs(row, raw):
            changes.setdefault(row.target.application, {})[key] = raw
    return changes


def field_label(key: str, facts: Facts) -> str:
    """How a message names the field ``key``: its label, never the key."""
    row = facts.rows.get(key)
    if row is not None:
        return row.label
    material = key.removeprefix("materials_provided.")
    if material != key:
        return str(text(material))
    return _("Another item of the form")


def step_summary(detail: ApplicationDetail) -> dict[str, Any]:
    """What a screen shows of one step: status, materials, print link data."""
    return {
        "id": detail.id,
        "number": detail.number,
        "matter": detail.matter,
        "step": detail.bundle.step if detail.bundle is not None else None,
        "status": detail.status,
        "status_label": detail.status_label,
        "version": detail.version,
        "editable": detail.editable,
        "missing": [f.label for f in detail.missing],
        "materials": [_material(m) for m in detail.materials],
        "optional_materials": [_material(m) for m in detail.optional_materials],
        "form_title": detail.form_title,
    }


def _material(m: Any) -> dict[str, Any]:
    return {**m.as_json(), "status_label": str(MATERIAL_LABELS.get(m.status, m.status))}


#: What a material's state since a return is called (``MaterialChange.before``/``after``).
def _provided_label(state: str) -> str:
    return str(MATERIAL_LABELS[state]) if state in MATERIAL_LABELS else _("Not provided")


def return_changes(info: ReturnInfo | None) -> list[dict[str, str]]:
    """What changed since the application was returned, as rows: what, before, now."""
    if info is None:
        return []
    rows = [
        {
            "what": c.label,
            "before": display_value(c.type, c.before, c.choices) or "—",
            "after": display_value(c.type, c.after, c.choices) or "—",
        }
        for c in info.changes
    ]
    rows += [
        {
            "what": m.name,
            "before": _provided_label(m.before),
            "after": _("Replaced by a new file") if m.replaced else _provided_label(m.after),
        }
        for m in info.material_changes
    ]
    return rows
