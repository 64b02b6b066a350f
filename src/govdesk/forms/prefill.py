"""The prefill engine: one bulk pass resolves every field of a form for its subject.

Sources in order of trust: the registry (population, social security, civil affairs …) and
the e-licence library → facts captured earlier (typed once by a clerk or the resident) →
derived values (computed from the others) → defaults. Every value comes back with its source
and time. The number of queries is constant whatever the number of fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from govdesk.forms.derivations import RULES, age_on, default_value, derivation_order
from govdesk.forms.derivations import inputs_closure as closure
from govdesk.forms.models import CapturedFact
from govdesk.forms.schema import FieldSpec, data_elements
from govdesk.people.models import Source
from govdesk.people.sources import MEMBERS_EMPLOYMENT, SourcedValue, registry

LICENCE_SOURCES = {Source.LICENCE_LIBRARY.value}


@dataclass
class Resolved:
    key: str
    label: str
    type: str
    choices: list[list[str]]
    sensitivity: str
    required: bool
    value: Any = None
    source: str | None = None  # registry | licence | captured | typed | derived | default
    origin: str = ""  # which registry or who typed it
    as_of: str | None = None
    conflict: dict[str, Any] | None = None
    derived: bool = False
    inputs: list[str] = field(default_factory=list)
    #: An e-licence as the library holds it (number, issuer, validity …); ``value`` is its number.
    raw: Any = None

    @classmethod
    def of(cls, spec: FieldSpec, values: dict[str, Any]) -> Resolved:
        """The field ``spec`` describes, without its value yet; required or not by what
        ``values`` (every value resolved for the subject) hold."""
        return cls(
            key=spec.key,
            label=spec.label,
            type=spec.type,
            choices=spec.choices,
            sensitivity=spec.sensitivity,
            required=spec.required_for(values),
            derived=spec.key in RULES,
            inputs=list(RULES[spec.key].inputs) if spec.key in RULES else [],
        )

    @property
    def missing(self) -> bool:
        return self.required and self.value in (None, "", [])


def _display(key: str, value: Any) -> Any:
    """Licence elements resolve to their number for forms."""
    if key.startswith("licence.") and isinstance(value, dict):
        return value.get("number")
    return value


def _iso(stamp: datetime | date) -> str:
    return stamp.isoformat()


def prefill(
    *,
    id_number: str,
    specs: Sequence[FieldSpec],
    application_ref: str = "",
    today: date | None = None,
) -> dict[str, Resolved]:
    """Resolve ``specs`` for the person with ``id_number``. Returns key → Resolved."""
    today = today or timezone.localdate()
    keys = {spec.key for spec in specs}
    needed = closure(keys)
    looked_up = {k for k in needed if k not in RULES}
    zero_employment = "household.zero_employment" in needed
    if zero_employment:  # a registry that can, answers for the members in the same pass
        looked_up.add(MEMBERS_EMPLOYMENT)
    base: dict[str, SourcedValue] = dict(
        registry().lookup(subjects=[id_number], elements=looked_up).get(id_number, {})
    )
    members_employment = base.pop(MEMBERS_EMPLOYMENT, None)

    values: dict[str, Any] = {}
    meta: dict[str, tuple[str, str, str | None]] = {}
    for key, item in base.items():
        values[key] = _display(key, item.value)
        kind = "licence" if item.source in LICENCE_SOURCES else "registry"
        meta[key] = (kind, item.source, _iso(item.as_of))

    captured: dict[str, CapturedFact] = {}
    for fact in CapturedFact.objects.filter(
        person__id_number=id_number, element__in=needed
    ).order_by("captured_at", "id"):
        captured[fact.element] = fact
    conflicts: dict[str, dict[str, Any]] = {}
    for key, fact in captured.items():
        if key in values:
            if fact.value != values[key]:
                conflicts[key] = {
                    "registry": values[key],
                    "typed": fact.value,
                    "typed_by": fact.actor,
                    "at": _iso(fact.captured_at),
                }
            continue
        values[key] = fact.value
        kind = (
            "typed" if application_ref and fact.application_ref == application_ref else ("captured")
        )
        meta[key] = (kind, fact.actor, _iso(fact.captured_at))

    if zero_employment and "household.members" in values:
        members = values["household.members"] or []
        if members_employment is not None:
            status_of: dict[str, Any] = dict(members_employment.value)
        else:  # a source that does not serve it: one more bulk look-up, for all members
            others = registry().lookup(
                subjects=[m["id_number"] for m in members], elements=["employment.status"]
            )
            status_of = {
                subject: found["employment.status"].value
                for subject, found in others.items()
                if "employment.status" in found
            }
        values["household.member_employment"] = [
            {"age": age_on(m.get("birth_date"), today), "status": status_of.get(m["id_number"])}
            for m in members
        ]

    # Defaults are inputs too (a subsidy starts with the enrolment month a form proposes).
    defaults = {spec.key: spec.default for spec in specs if spec.default is not None}
    inputs_without_value = {
        k for k in needed if k not in values and k not in RULES and k not in defaults
    }
    if inputs_without_value:
        elements = data_elements()
        defaults.update(
            {
                key: elements[key].default
                for key in inputs_without_value
                if key in elements and elements[key].default is not None
            }
        )
    for key, spec_default in defaults.items():
        if key not in values and key not in RULES:
            values[key] = default_value(spec_default, today)
            meta[key] = ("default", "", None)

    for key in derivation_order(needed):
        if key in values:  # typed or captured beats derived (e.g. a different current address)
            continue
        computed = RULES[key].compute(values, today)
        if computed not in (None, "", []):
            values[key] = computed
            meta[key] = ("derived", "", None)

    result: dict[str, Resolved] = {}
    for spec in specs:
        resolved = Resolved.of(spec, values)
        if spec.key in values:
            resolved.value = values[spec.key]
            resolved.source, resolved.origin, resolved.as_of = meta[spec.key]
            if spec.key in base and spec.key.startswith("licence."):
                resolved.raw = base[spec.key].value
        resolved.conflict = conflicts.get(spec.key)
        result[spec.key] = resolved
    return result
