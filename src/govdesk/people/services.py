"""Writes to the embedded registry. In production the registry belongs to other departments;
these are used by the demo loader and by tests to stand in for those departments' records."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from govdesk.common.idnumbers import parse
from govdesk.organisations.models import Region
from govdesk.people.models import (
    Address,
    DibaoRecord,
    DisabilityRecord,
    EmploymentRecord,
    Household,
    Licence,
    LicenceType,
    Membership,
    Person,
    RegistryFact,
    disability_certificate_number,
)

#: Who issues disability certificates to the demo city's residents.
DISABLED_FEDERATION = "无锡市锡山区残疾人联合会"


def plus_years(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@transaction.atomic
def person_upsert(
    *,
    id_number: str,
    name: str,
    ethnicity: str = "汉族",
    phone: str = "",
    hukou_type: str = "urban",
    education: str = "",
    marital_status: str = "",
    occupation: str = "",
    former_name: str = "",
) -> Person:
    """Create or update a person; sex and birth date are read from the ID number."""
    parsed = parse(id_number)
    person, _ = Person.objects.update_or_create(
        id_number=parsed.value,
        defaults={
            "name": name,
            "former_name": former_name,
            "sex": parsed.sex,
            "birth_date": parsed.birth_date,
            "ethnicity": ethnicity,
            "phone": phone,
            "hukou_type": hukou_type,
            "education": education,
            "marital_status": marital_status,
            "occupation": occupation,
            "id_upgraded_from_15": parsed.upgraded_from_15,
            "updated_at": timezone.now(),
        },
    )
    return person


@transaction.atomic
def household_upsert(
    *,
    number: str,
    address: str,
    region: Region,
    estate: str = "",
    members: list[tuple[Person, str, date]],
) -> Household:
    """Create or update a household and set exactly these members (person, relation, since)."""
    addr, _ = Address.objects.update_or_create(
        text=address, defaults={"region": region, "estate": estate}
    )
    household, _ = Household.objects.update_or_create(
        number=number,
        defaults={"address": addr, "region": region, "updated_at": timezone.now()},
    )
    keep = [person.pk for person, _, _ in members]
    Membership.objects.filter(household=household).exclude(person_id__in=keep).delete()
    Membership.objects.filter(person_id__in=keep).exclude(household=household).delete()
    # Clear the head first so that the one-head constraint holds while relations move.
    Membership.objects.filter(household=household, relation="head").update(relation="other")
    for person, relation, since in sorted(members, key=lambda m: m[1] == "head"):
        Membership.objects.update_or_create(
            person=person,
            defaults={"household": household, "relation": relation, "since": since},
        )
    return household


@transaction.atomic
def licence_upsert(
    *,
    person: Person,
    type: str,
    number: str,
    issuer: str,
    issued_on: date,
    valid_until: date | None = None,
    data: dict[str, Any] | None = None,
) -> Licence:
    licence, _ = Licence.objects.update_or_create(
        type=type,
        number=number,
        defaults={
            "person": person,
            "issuer": issuer,
            "issued_on": issued_on,
            "valid_until": valid_until,
            "revoked": False,
            "data": data or {},
            "updated_at": timezone.now(),
        },
    )
    return licence


@transaction.atomic
def employment_records_set(
    *, person: Person, spells: list[tuple[str, str, date, date | None, str]]
) -> None:
    """Replace a person's employment spells: (employer, credit code, start, end, reason)."""
    EmploymentRecord.objects.filter(person=person).delete()
    now = timezone.now()
    EmploymentRecord.objects.bulk_create(
        EmploymentRecord(
            person=person,
            employer=employer,
            employer_credit_code=code,
            start_date=start,
            end_date=end,
            end_reason=reason,
            updated_at=now,
        )
        for employer, code, start, end, reason in spells
    )


@transaction.atomic
def registry_fact_set(
    *,
    person: Person,
    element: str,
    value: Any,
    source: str,
    valid_from: date | None = None,
    valid_until: date | None = None,
) -> RegistryFact:
    fact, _ = RegistryFact.objects.update_or_create(
        person=person,
        element=element,
        defaults={
            "value": value,
            "source": source,
            "valid_from": valid_from,
            "valid_until": valid_until,
            "updated_at": timezone.now(),
        },
    )
    return fact


@transaction.atomic
def dibao_record_set(*, person: Person, since: date, until: date | None = None) -> DibaoRecord:
    """The person is covered by 低保 from ``since`` (until ``until``, if it stopped)."""
    record, _ = DibaoRecord.objects.update_or_create(
        person=person, defaults={"since": since, "until": until, "updated_at": timezone.now()}
    )
    return record


@transaction.atomic
def disability_record_set(
    *,
    person: Person,
    category: str,
    grade: str,
    assessed_on: date,
    issuer: str = DISABLED_FEDERATION,
    valid_years: int = 10,
) -> DisabilityRecord:
    """The federation's record of the person's disability and the certificate it issues, held
    as an e-licence under the same number (a certificate of an earlier assessment is revoked)."""
    number = disability_certificate_number(person.id_number, category, grade)
    record, _ = DisabilityRecord.objects.update_or_create(
        person=person,
        defaults={
            "category": category,
            "grade": grade,
            "certificate_number": number,
            "assessed_on": assessed_on,
            "updated_at": timezone.now(),
        },
    )
    Licence.objects.filter(person=person, type=LicenceType.DISABILITY_CERTIFICATE).exclude(
        number=number
    ).update(revoked=True, updated_at=timezone.now())
    licence_upsert(
        person=person,
        type=LicenceType.DISABILITY_CERTIFICATE,
        number=number,
        issuer=issuer,
        issued_on=assessed_on,
        valid_until=plus_years(assessed_on, valid_years),
        data={"category": category, "grade": grade},
    )
    return record
