"""Loading the data element dictionary and the form definitions; capturing typed facts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from govdesk.audit.actions import AuditAction
from govdesk.audit.services import audit_record, person_subject
from govdesk.catalog.models import MaterialRequirement, Matter
from govdesk.common.actor import Actor
from govdesk.forms.models import CapturedFact, DataElement, FormDefinition
from govdesk.people.licences import ISSUERS
from govdesk.people.models import Person

DATA_DIR = Path(__file__).resolve().parent / "data"


class FormsError(ValueError):
    pass


@transaction.atomic
def forms_load(*, folder: Path = DATA_DIR, version: str = "") -> tuple[int, int]:
    """Load elements.yaml and forms.yaml. Returns (elements, forms)."""
    with (folder / "elements.yaml").open(encoding="utf-8") as handle:
        elements = yaml.safe_load(handle) or []
    keys = set()
    for row in elements:
        label = row.get("label") or {}
        DataElement.objects.update_or_create(
            key=row["key"],
            defaults={
                "type": row["type"],
                "label": label.get("zh", row["key"]),
                "label_en": label.get("en", ""),
                "choices": row.get("choices") or [],
                "sensitivity": row.get("sensitivity", "personal"),
                "derived": bool(row.get("derived", False)),
                "default": row.get("default"),
            },
        )
        keys.add(row["key"])
    with (folder / "forms.yaml").open(encoding="utf-8") as handle:
        forms = yaml.safe_load(handle) or []
    problems = []
    for row in forms:
        matter = None
        if not row.get("material"):
            matter = Matter.objects.filter(name=row.get("matter")).first()
            if matter is None:
                problems.append(f"form {row['code']}: no matter named {row.get('matter')!r}")
                continue
        unknown = [f["key"] for s in row["sections"] for f in s["fields"] if f["key"] not in keys]
        if unknown:
            problems.append(f"form {row['code']}: unknown data elements {unknown}")
            continue
        produces = row.get("produces", "")
        if produces and produces not in ISSUERS:
            problems.append(
                f"form {row['code']}: produces {produces!r}, not an e-licence issued on approval "
                f"(one of {sorted(ISSUERS)}; people/licences.py)"
            )
            continue
        FormDefinition.objects.update_or_create(
            code=row["code"],
            defaults={
                "matter": matter,
                "title": row["title"],
                "template": row.get("template", "application_form"),
                "produces": produces,
                "sections": row["sections"],
                "signature_lines": row.get("signature_lines") or [],
                "declaration": str(row.get("declaration") or ""),
                "version": version,
            },
        )
    templates = {row["code"] for row in forms if row.get("material")}
    problems += [
        f"material {name!r} of {matter}: template {code!r} is not a form with material: true"
        for name, matter, code in MaterialRequirement.objects.exclude(template="")
        .exclude(template__in=templates)
        .values_list("name", "matter__code", "template")
    ]
    if problems:
        raise FormsError("\n".join(problems))
    return len(elements), len(forms)


def fact_capture(
    *,
    person: Person,
    element: str,
    value: Any,
    source: str,
    actor: Actor,
    application_ref: str = "",
    registry_value: Any = None,
) -> CapturedFact:
    """Record a typed value as a fact about the person, reused by every later form. A value
    that contradicts the registry is kept as a flagged declaration, never written over it."""
    conflict = None
    if registry_value is not None and registry_value != value:
        conflict = {"registry": registry_value}
    fact = CapturedFact.objects.create(
        person=person,
        element=element,
        value=value,
        source=source,
        actor=actor.name,
        application_ref=application_ref,
        conflict=conflict,
    )
    audit_record(
        actor=actor,
        action=AuditAction.FACT_CAPTURED,
        subject=person_subject(person.id_number),
        detail={
            "element": element,
            "application": application_ref,
            "conflict": conflict is not None,
        },
    )
    return fact
