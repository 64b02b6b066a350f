"""Form definitions as the engine uses them: a list of field specs per matter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from govdesk.catalog.models import MaterialRequirement, Matter
from govdesk.catalog.versioned import cached
from govdesk.forms.models import DataElement, FormDefinition

GENERIC_FIELDS = (
    ("person.name", True),
    ("person.sex", True),
    ("person.id_number", True),
    ("person.phone", True),
    ("household.address", True),
    ("residence.address", False),
)


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    type: str
    choices: list[list[str]] = field(default_factory=list)
    sensitivity: str = "personal"
    required: bool = False
    required_if: dict[str, Any] | None = None
    default: Any = None
    section: str = ""

    def required_for(self, values: dict[str, Any]) -> bool:
        if self.required:
            return True
        if self.required_if:
            return bool(values.get(self.required_if["element"]) == self.required_if["equals"])
        return False


@dataclass(frozen=True)
class FormSpec:
    code: str
    title: str
    template: str
    produces: str
    sections: list[tuple[str, list[FieldSpec]]]
    signature_lines: list[str]
    declaration: str = ""

    @property
    def fields(self) -> list[FieldSpec]:
        return [f for _, fields in self.sections for f in fields]


def _spec(element: DataElement | None, key: str, row: dict[str, Any], section: str) -> FieldSpec:
    if element is None:
        raise KeyError(f"form field {key!r} is not a data element")
    return FieldSpec(
        key=key,
        label=str(row.get("label") or element.label),
        type=element.type,
        choices=list(row.get("choices") or element.choices or []),
        sensitivity=element.sensitivity,
        required=bool(row.get("required", False)),
        required_if=row.get("required_if"),
        default=row.get("default", element.default),
        section=section,
    )


def data_elements() -> dict[str, DataElement]:
    """Every data element by key, as this process keeps it (``catalog.versioned``)."""
    return cached("data-elements", lambda: {e.key: e for e in DataElement.objects.all()})


def matters_by_id() -> dict[int, Matter]:
    """Every matter (with its department) by id, as this process keeps them: a list of
    applications names their matters without reading them again."""
    return cached(
        "matters-by-id", lambda: {m.pk: m for m in Matter.objects.select_related("department")}
    )


def matter_materials(matter: Matter) -> tuple[MaterialRequirement, ...]:
    """The matter's materials in order, as this process keeps them."""
    return cached(f"materials:{matter.pk}", lambda: tuple(matter.materials.all()))


def form_for(matter: Matter, elements: dict[str, DataElement] | None = None) -> FormSpec:
    """The matter's form, or the generic form built from its materials' data elements (kept
    per process until the catalogue changes)."""
    if elements is None:
        return cached(f"form:{matter.pk}", lambda: _form_for(matter, data_elements()))
    return _form_for(matter, elements)


def _form_for(matter: Matter, elements: dict[str, DataElement]) -> FormSpec:
    definition = FormDefinition.objects.filter(matter=matter).first()
    if definition is not None:
        return _definition_spec(definition, elements)
    applicant = [
        _spec(elements.get(k), k, {"required": req}, "申请人信息") for k, req in GENERIC_FIELDS
    ]
    seen = {s.key for s in applicant}
    extra: list[FieldSpec] = []
    for material in matter_materials(matter):
        for key in material.elements:
            if key not in seen and key in elements and key != "household.members":
                seen.add(key)
                extra.append(_spec(elements[key], key, {"required": False}, "办理信息"))
    extra.append(_spec(elements.get("application.note"), "application.note", {}, "办理信息"))
    return FormSpec(
        f"generic:{matter.code}",
        f"{matter.name}申请表",
        "application_form",
        "",
        [("申请人信息", applicant), ("办理信息", extra)],
        ["申请人（签字）", "受理人（签字）"],
    )


def template_for(code: str) -> FormSpec | None:
    """The template of a material (``MaterialRequirement.template``), or None if there is no
    such template."""
    definition = FormDefinition.objects.filter(code=code, matter__isnull=True).first()
    if definition is None:
        return None
    return _definition_spec(definition, data_elements())


def _definition_spec(definition: FormDefinition, elements: dict[str, DataElement]) -> FormSpec:
    sections = [
        (
            str(s["title"]),
            [_spec(elements.get(r["key"]), r["key"], r, str(s["title"])) for r in s["fields"]],
        )
        for s in definition.sections
    ]
    return FormSpec(
        definition.code,
        definition.title,
        definition.template,
        definition.produces,
        sections,
        list(definition.signature_lines),
        definition.declaration,
    )
