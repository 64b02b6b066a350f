"""The registry source adapter: one interface, bulk look-up of many data elements for many
subjects at once. Everything outside this app reads the registry through ``registry()``.

A subject is a resident ID number. A value comes back with the source that holds it and the
time that source last changed it, so every screen can say where a value came from.
"""

from __future__ import annotations

import json
import urllib.request
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from govdesk.people.models import (
    EmploymentRecord,
    Licence,
    LicenceType,
    Membership,
    Person,
    RegistryFact,
    Source,
)


@dataclass(frozen=True)
class SourcedValue:
    value: Any
    source: str
    as_of: datetime

    def as_json(self) -> dict[str, Any]:
        return {"value": self.value, "source": self.source, "as_of": self.as_of.isoformat()}


Lookup = dict[str, dict[str, SourcedValue]]


class RegistrySource(Protocol):
    """A source of facts about people. ``lookup`` answers for all subjects and all elements in
    one call; a subject or element the source does not know is simply absent."""

    def lookup(self, *, subjects: Sequence[str], elements: Iterable[str]) -> Lookup: ...


PERSON_FIELDS = {
    "person.name": "name",
    "person.former_name": "former_name",
    "person.sex": "sex",
    "person.birth_date": "birth_date",
    "person.id_number": "id_number",
    "person.ethnicity": "ethnicity",
    "person.phone": "phone",
    "person.hukou_type": "hukou_type",
    "person.education": "education",
    "person.marital_status": "marital_status",
    "person.occupation": "occupation",
}
# The employment status of every living member of the subject's household, {id_number: status}:
# what "zero-employment household" is derived from, served in the same pass as the members.
MEMBERS_EMPLOYMENT = "household.members_employment"
HOUSEHOLD_ELEMENTS = {
    "household.number",
    "household.address",
    "household.region",
    "household.region_code",
    "household.relation",
    "household.size",
    "household.head",
    "household.members",
    MEMBERS_EMPLOYMENT,
}
EMPLOYMENT_ELEMENTS = {
    "employment.records",
    "employment.status",
    "employment.last_employer",
    "employment.start_date",
    "employment.end_date",
    "employment.end_reason",
    "employment.unemployed_since",
}
BANK_ELEMENTS = {"bank.account", "bank.name"}
LICENCE_PREFIX = "licence."
KNOWN_LICENCES = {f"{LICENCE_PREFIX}{value}" for value in LicenceType.values}


def _json_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value


class LocalRegistry:
    """The embedded registry in this database. A look-up costs a fixed number of queries
    (at most five) whatever the number of subjects and elements."""

    EMPLOYMENT_NEEDED = EMPLOYMENT_ELEMENTS | {MEMBERS_EMPLOYMENT}

    def lookup(self, *, subjects: Sequence[str], elements: Iterable[str]) -> Lookup:
        wanted = set(elements)
        result: Lookup = {}
        if not subjects or not wanted:
            return result
        people = list(
            Person.objects.filter(id_number__in=list(subjects)).select_related(
                "membership__household__address", "membership__household__region"
            )
        )
        by_pk = {p.pk: p for p in people}
        for person in people:
            values: dict[str, SourcedValue] = {}
            stamp = person.updated_at
            for element, field in PERSON_FIELDS.items():
                raw = getattr(person, field)
                if element in wanted and raw not in ("", None):
                    values[element] = SourcedValue(_json_value(raw), Source.POPULATION, stamp)
            result[person.id_number] = values

        members: dict[int, list[Membership]] = {}
        if wanted & HOUSEHOLD_ELEMENTS:
            members = self._households(people, wanted, result)
        licence_types = {e[len(LICENCE_PREFIX) :] for e in wanted if e in KNOWN_LICENCES}
        if licence_types or wanted & BANK_ELEMENTS:
            self._licences(by_pk, licence_types, wanted, result)
        if wanted & self.EMPLOYMENT_NEEDED:
            self._employment(by_pk, wanted, result, members)
        other = wanted - set(PERSON_FIELDS) - HOUSEHOLD_ELEMENTS - EMPLOYMENT_ELEMENTS
        other -= BANK_ELEMENTS | KNOWN_LICENCES
        if other:
            today = date.today()
            facts = RegistryFact.objects.filter(person__in=people, element__in=other)
            for fact in facts:
                if fact.valid_until is not None and fact.valid_until < today:
                    continue
                result[by_pk[fact.person_id].id_number][fact.element] = SourcedValue(
                    fact.value, fact.source, fact.updated_at
                )
        return result

    def _households(
        self, people: list[Person], wanted: set[str], result: Lookup
    ) -> dict[int, list[Membership]]:
        """Household elements; returns the living members of each household (when loaded)."""
        households = {}
        for person in people:
            membership = getattr(person, "membership", None)
            if membership is not None:
                households[membership.household_id] = membership.household
        members: dict[int, list[Membership]] = defaultdict(list)
        if wanted & {"household.size", "household.head", "household.members", MEMBERS_EMPLOYMENT}:
            for m in (
                Membership.objects.filter(household_id__in=list(households))
                .select_related("person")
                .order_by("household_id", "id")
            ):
                members[m.household_id].append(m)
        for person in people:
            membership = getattr(person, "membership", None)
            if membership is None:
                continue
            household = membership.household
            stamp = household.updated_at
            values = result[person.id_number]

            def put(
                element: str,
                value: Any,
                stamp: datetime = stamp,
                values: dict[str, SourcedValue] = values,
            ) -> None:
                if element in wanted:
                    values[element] = SourcedValue(value, Source.POPULATION, stamp)

            put("household.number", household.number)
            put("household.address", household.address.text)
            put("household.region", household.region.name)
            put("household.region_code", household.region.code)
            put("household.relation", membership.relation)
            living = [m for m in members.get(household.pk, []) if m.person.deceased_on is None]
            if living or members.get(household.pk):
                put("household.size", len(living))
                head = next((m for m in living if m.relation == "head"), None)
                if head is not None:
                    put("household.head", head.person.name)
                put(
                    "household.members",
                    [
                        {
                            "name": m.person.name,
                            "id_number": m.person.id_number,
                            "relation": m.relation,
                            "sex": m.person.sex,
                            "birth_date": m.person.birth_date.isoformat(),
                        }
                        for m in living
                    ],
                )
        return {
            pk: [m for m in found if m.person.deceased_on is None] for pk, found in members.items()
        }

    def _licences(
        self, by_pk: dict[int, Person], types: set[str], wanted: set[str], result: Lookup
    ) -> None:
        want_bank = bool(wanted & BANK_ELEMENTS)
        query_types = types | ({LicenceType.SOCIAL_SECURITY_CARD.value} if want_bank else set())
        today = date.today()
        for licence in Licence.objects.filter(
            person_id__in=list(by_pk), type__in=query_types, revoked=False
        ).order_by("issued_on"):
            if licence.valid_until is not None and licence.valid_until < today:
                continue
            values = result[by_pk[licence.person_id].id_number]
            if licence.type in types:
                values[LICENCE_PREFIX + licence.type] = SourcedValue(
                    {
                        "number": licence.number,
                        "issuer": licence.issuer,
                        "issued_on": licence.issued_on.isoformat(),
                        "valid_until": _json_value(licence.valid_until),
                        "data": licence.data,
                    },
                    Source.LICENCE_LIBRARY,
                    licence.updated_at,
                )
            if want_bank and licence.type == LicenceType.SOCIAL_SECURITY_CARD:
                for element, key in (("bank.account", "bank_account"), ("bank.name", "bank")):
                    if element in wanted and licence.data.get(key):
                        values[element] = SourcedValue(
                            licence.data[key], Source.SOCIAL_SECURITY, licence.updated_at
                        )

    def _employment(
        self,
        by_pk: dict[int, Person],
        wanted: set[str],
        result: Lookup,
        members: dict[int, list[Membership]],
    ) -> None:
        """Employment elements of the subjects, and (one query for both) the employment status
        of their household members."""
        member_ids = (
            {m.person_id for found in members.values() for m in found}
            if MEMBERS_EMPLOYMENT in wanted
            else set()
        )
        records: dict[int, list[EmploymentRecord]] = defaultdict(list)
        for record in EmploymentRecord.objects.filter(
            person_id__in=sorted(set(by_pk) | member_ids)
        ).order_by("person_id", "start_date"):
            records[record.person_id].append(record)
        if MEMBERS_EMPLOYMENT in wanted:
            for person in by_pk.values():
                membership = getattr(person, "membership", None)
                if membership is None or membership.household_id not in members:
                    continue
                living = members[membership.household_id]
                result[person.id_number][MEMBERS_EMPLOYMENT] = SourcedValue(
                    {m.person.id_number: _status(records.get(m.person_id, [])) for m in living},
                    Source.SOCIAL_SECURITY,
                    max(
                        [membership.household.updated_at]
                        + [r.updated_at for m in living for r in records.get(m.person_id, [])]
                    ),
                )
        for pk, person in by_pk.items():
            spells = records.get(pk, [])
            values = result[person.id_number]
            if not spells:
                if "employment.status" in wanted:
                    values["employment.status"] = SourcedValue(
                        "never_employed", Source.SOCIAL_SECURITY, person.updated_at
                    )
                continue
            last = spells[-1]
            stamp = max(s.updated_at for s in spells)

            def put(
                element: str,
                value: Any,
                stamp: datetime = stamp,
                values: dict[str, SourcedValue] = values,
            ) -> None:
                if element in wanted and value not in (None, ""):
                    values[element] = SourcedValue(value, Source.SOCIAL_SECURITY, stamp)

            put(
                "employment.records",
                [
                    {
                        "employer": s.employer,
                        "employer_credit_code": s.employer_credit_code,
                        "start_date": s.start_date.isoformat(),
                        "end_date": _json_value(s.end_date),
                        "end_reason": s.end_reason,
                    }
                    for s in spells
                ],
            )
            put("employment.status", _status(spells))
            put("employment.last_employer", last.employer)
            put("employment.start_date", last.start_date.isoformat())
            put("employment.end_date", _json_value(last.end_date))
            put("employment.end_reason", last.end_reason)
            if last.end_date is not None:
                put("employment.unemployed_since", last.end_date.isoformat())


def _status(spells: list[EmploymentRecord]) -> str:
    """employed | unemployed | never_employed, from a person's spells in start order."""
    if not spells:
        return "never_employed"
    return "employed" if spells[-1].end_date is None else "unemployed"


class HttpRegistry:
    """A registry served by another department: ``POST {base_url}/lookup`` with
    ``{"subjects": [...], "elements": [...]}`` answering ``{subject: {element: {value, source,
    as_of}}}`` — the same shape ``SourcedValue.as_json`` writes."""

    def __init__(self, base_url: str, token: str = "", timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def lookup(self, *, subjects: Sequence[str], elements: Iterable[str]) -> Lookup:
        body = json.dumps({"subjects": list(subjects), "elements": sorted(set(elements))})
        request = urllib.request.Request(  # noqa: S310 - the URL is configuration
            self.base_url + "/lookup",
            data=body.encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            payload = json.loads(response.read())
        return {
            subject: {
                element: SourcedValue(
                    item["value"], item["source"], datetime.fromisoformat(item["as_of"])
                )
                for element, item in values.items()
            }
            for subject, values in payload.items()
        }


@lru_cache(maxsize=1)
def registry() -> RegistrySource:
    """The configured registry source (``GOVDESK_REGISTRY`` in settings)."""
    path: str = settings.REGISTRY_SOURCE
    if path == "local":
        return LocalRegistry()
    if path.startswith(("http://", "https://")):
        return HttpRegistry(path, settings.REGISTRY_TOKEN)
    source: RegistrySource = import_string(path)()
    return source
