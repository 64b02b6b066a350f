"""Reads of the registry by staff. Each one is written to the audit trail, allowed or not."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.audit.actions import AuditAction
from govdesk.audit.models import Result
from govdesk.audit.services import audit_record, person_subject
from govdesk.common.errors import NotAllowed, NotFound
from govdesk.common.idnumbers import InvalidIdNumber, mask, mask_phone, parse
from govdesk.common.principal import Principal
from govdesk.organisations.selectors import region_by_code
from govdesk.people.models import RELATION_ZH, LicenceType, Relation
from govdesk.people.policies import may_read_people, may_unmask
from govdesk.people.sources import (
    KNOWN_LICENCES,
    PERSON_FIELDS,
    RegistryUnavailable,
    SourcedValue,
    registry,
)

CARD_FACTS = (
    "dibao.status",
    "low_income.status",
    "disability.grade",
    "disability.category",
    "insurance.pension_status",
    "insurance.medical_status",
    "veteran.status",
)
CARD_ELEMENTS = (
    *PERSON_FIELDS,
    "household.number",
    "household.address",
    "household.region",
    "household.region_code",
    "household.relation",
    "household.size",
    "household.members",
    "employment.records",
    "employment.status",
    *sorted(KNOWN_LICENCES),
    *CARD_FACTS,
)


class PersonNotFound(NotFound):
    """No person with this ID number is in the registry."""


class AccessDenied(NotAllowed):
    """This principal may not read this person's record."""


def _mask_number(value: str) -> str:
    if len(value) <= 4:
        return "*" * len(value)
    return value[:2] + "*" * (len(value) - 6) + value[-4:] if len(value) > 6 else value[:1] + "***"


def _age(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def person_card(
    *, principal: Principal, id_number: str, unmask: bool = False, purpose: str = ""
) -> dict[str, Any]:
    """The person, their household and members, e-licences and registry facts.

    ID, phone, licence and bank numbers are masked unless ``unmask`` is asked for by a role
    that may. Raises ``InvalidIdNumber``, ``AccessDenied``, ``PersonNotFound`` or
    ``RegistryUnavailable``; every outcome is audited.
    """
    actor = principal.actor()
    try:
        parsed = parse(id_number)
    except InvalidIdNumber as exc:
        audit_record(
            actor=actor,
            action=AuditAction.PERSON_READ,
            result=Result.INVALID,
            purpose=purpose,
            subject_type="person",
            subject_label=mask(id_number.strip()[:18]),
            detail={"error": exc.code},
        )
        raise
    subject = person_subject(parsed.value)

    def audited(result: str, **detail: Any) -> None:
        audit_record(
            actor=actor,
            action=AuditAction.PERSON_READ,
            result=result,
            purpose=purpose,
            subject=subject,
            detail=detail,
        )

    if not may_read_people(principal):
        audited(Result.DENIED, why="role")
        raise AccessDenied(_("Your role may not read people's records."))
    try:
        found_all = registry().lookup(subjects=[parsed.value], elements=CARD_ELEMENTS)
    except RegistryUnavailable as exc:
        audited(Result.FAILED, error=str(exc.code))
        raise
    found = found_all.get(parsed.value)
    if not found or "person.name" not in found:
        audited(Result.NOT_FOUND)
        raise PersonNotFound(_("No person with this ID number is in the registry."))
    region_code = found.get("household.region_code")
    region = region_by_code(region_code.value) if region_code is not None else None
    if not principal.covers(region):
        audited(Result.DENIED, why="jurisdiction")
        raise AccessDenied(_("This person lives outside your jurisdiction."))
    show_full = unmask and may_unmask(principal)
    card = _card(found, parsed.value, show_full, timezone.localdate())
    audited(Result.OK, unmasked=show_full, asked_unmask=unmask)
    return card


def _card(
    found: dict[str, SourcedValue], id_number: str, show_full: bool, today: date
) -> dict[str, Any]:
    def idn(value: str) -> str:
        return value if show_full else mask(value)

    def val(element: str) -> Any:
        item = found.get(element)
        return item.value if item is not None else None

    def prov(element: str) -> dict[str, Any] | None:
        item = found.get(element)
        if item is None:
            return None
        return {"value": item.value, "source": item.source, "as_of": item.as_of.isoformat()}

    birth = date.fromisoformat(val("person.birth_date"))
    phone = val("person.phone")
    members = [
        {
            "name": m["name"],
            "id_number": idn(m["id_number"]),
            "relation": m["relation"],
            "relation_label": RELATION_ZH.get(Relation(m["relation"]), m["relation"]),
            "sex": m["sex"],
            "age": _age(date.fromisoformat(m["birth_date"]), today),
            "is_subject": m["id_number"] == id_number,
        }
        for m in (val("household.members") or [])
    ]
    licences = []
    for element in sorted(KNOWN_LICENCES):
        item = found.get(element)
        if item is None:
            continue
        kind = element.split(".", 1)[1]
        data = dict(item.value.get("data") or {})
        if "bank_account" in data and not show_full:
            data["bank_account"] = _mask_number(str(data["bank_account"]))
        number = str(item.value["number"])
        licences.append(
            {
                "type": kind,
                "type_label": str(LicenceType(kind).label),
                "number": number if show_full else _mask_number(number),
                "issuer": item.value["issuer"],
                "issued_on": item.value["issued_on"],
                "valid_until": item.value["valid_until"],
                "data": data,
                "source": item.source,
                "as_of": item.as_of.isoformat(),
            }
        )
    employment = val("employment.records") or []
    household = None
    if found.get("household.number") is not None:
        household = {
            "number": val("household.number"),
            "address": prov("household.address"),
            "region": val("household.region"),
            "region_code": val("household.region_code"),
            "relation": val("household.relation"),
            "size": val("household.size"),
            "members": members,
        }
    return {
        "id_number": idn(id_number),
        "masked": not show_full,
        "name": prov("person.name"),
        "sex": val("person.sex"),
        "birth_date": birth.isoformat(),
        "age": _age(birth, today),
        "ethnicity": val("person.ethnicity"),
        "phone": (phone if show_full else mask_phone(phone)) if phone else None,
        "hukou_type": val("person.hukou_type"),
        "education": val("person.education"),
        "marital_status": val("person.marital_status"),
        "household": household,
        "licences": licences,
        "employment": employment,
        "employment_status": val("employment.status"),
        "facts": {k: prov(k) for k in CARD_FACTS if k in found},
    }
