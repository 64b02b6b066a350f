"""The embedded registry: the people tables of this database, read in plain SQL.

This is the hottest read path of the platform (every person card, every prefill); see
docs/adr/0007 before changing a query.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from govdesk.common import rawsql
from govdesk.organisations.models import Region
from govdesk.people.models import (
    Address,
    DibaoRecord,
    DibaoStatus,
    DisabilityCategory,
    DisabilityGrade,
    DisabilityRecord,
    EmploymentRecord,
    Household,
    Licence,
    LicenceType,
    Membership,
    Person,
    RegistryFact,
    Source,
)
from govdesk.people.sources.base import (
    BANK_ELEMENTS,
    DIBAO_ELEMENTS,
    DISABILITY_ELEMENTS,
    EMPLOYMENT_ELEMENTS,
    HOUSEHOLD_ELEMENTS,
    KNOWN_LICENCES,
    LICENCE_PREFIX,
    MEMBERS_EMPLOYMENT,
    PERSON_FIELDS,
    Lookup,
    SourcedValue,
)


def _json_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive UTC datetimes; PostgreSQL aware ones."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _date(value: Any) -> Any:
    """A date column read through a compound SELECT: SQLite may hand back its text."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def _timestamp(value: Any) -> datetime:
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is None:
            raise ValueError(f"not a timestamp: {value!r}")
        return parsed
    return value  # type: ignore[no-any-return]


def _json(value: Any) -> Any:
    """JSON columns come back as text from a plain cursor (both backends, as Django sets up)."""
    return json.loads(value) if isinstance(value, str | bytes) else value


_table = rawsql.table
_in = rawsql.placeholders


@lru_cache(maxsize=4)
def _person_columns(vendor: str) -> str:
    return ", ".join(f"p.{connection.ops.quote_name(c)}" for c in PERSON_FIELDS.values())


@dataclass
class _Member:
    pk: int
    id_number: str
    name: str
    sex: str
    birth_date: date
    relation: str


@dataclass
class _Row:
    """A subject as the first query finds them: the person and their household."""

    pk: int
    id_number: str
    fields: dict[str, Any]
    updated_at: datetime
    household_id: int | None = None
    household_updated_at: datetime | None = None
    relation: str = ""
    household: dict[str, Any] = field(default_factory=dict)


class LocalRegistry:
    """The embedded registry in this database. A look-up costs a fixed number of queries
    (at most five) whatever the number of subjects and elements.

    This is the hottest read path of the platform (every person card, every prefill), so it
    is written in plain SQL over the people tables rather than through the ORM, whose query
    compilation cost more than the database's own work (see docs/adr/0007)."""

    EMPLOYMENT_NEEDED = EMPLOYMENT_ELEMENTS | {MEMBERS_EMPLOYMENT}
    _PERSON_COLUMNS = tuple(PERSON_FIELDS.values())

    def check_config(self) -> list[str]:
        """Nothing to configure: the tables are this database's."""
        return []

    def lookup(self, *, subjects: Sequence[str], elements: Iterable[str]) -> Lookup:
        wanted = set(elements)
        result: Lookup = {}
        subjects = sorted(set(subjects))
        if not subjects or not wanted:
            return result
        with connection.cursor() as cursor:
            rows = self._people(cursor, subjects)
            for row in rows:
                stamp = row.updated_at
                result[row.id_number] = {
                    element: SourcedValue(_json_value(row.fields[column]), Source.POPULATION, stamp)
                    for element, column in PERSON_FIELDS.items()
                    if element in wanted and row.fields[column] not in ("", None)
                }
            by_pk = {row.pk: row for row in rows}
            members: dict[int, list[_Member]] = {}
            if wanted & HOUSEHOLD_ELEMENTS:
                members = self._households(cursor, rows, wanted, result)
            licence_types = {e[len(LICENCE_PREFIX) :] for e in wanted if e in KNOWN_LICENCES}
            other = wanted - set(PERSON_FIELDS) - HOUSEHOLD_ELEMENTS - EMPLOYMENT_ELEMENTS
            other -= BANK_ELEMENTS | KNOWN_LICENCES | DIBAO_ELEMENTS | DISABILITY_ELEMENTS
            if by_pk:
                self._records(cursor, by_pk, licence_types, sorted(other), wanted, result, members)
        return result

    def _people(self, cursor: CursorWrapper, subjects: list[str]) -> list[_Row]:
        columns = _person_columns(connection.vendor)
        cursor.execute(
            # Only table names and placeholder lists are interpolated; values are parameters.
            f"SELECT p.id, p.updated_at, m.household_id, m.relation, h.number, h.updated_at, "  # noqa: S608
            f"a.text, r.name, r.code, {columns} "
            f"FROM {_table(Person)} p "
            f"LEFT JOIN {_table(Membership)} m ON m.person_id = p.id "
            f"LEFT JOIN {_table(Household)} h ON h.id = m.household_id "
            f"LEFT JOIN {_table(Address)} a ON a.id = h.address_id "
            f"LEFT JOIN {_table(Region)} r ON r.id = h.region_id "
            f"WHERE p.id_number IN {_in(subjects)}",
            subjects,
        )
        rows = []
        for found in cursor.fetchall():
            pk, updated, household_id, relation, number, h_updated, address, region, code = found[
                :9
            ]
            fields = dict(zip(self._PERSON_COLUMNS, found[9:], strict=True))
            row = _Row(pk, fields["id_number"], fields, _aware(updated))
            if household_id is not None:
                row.household_id = household_id
                row.household_updated_at = _aware(h_updated)
                row.relation = relation
                row.household = {
                    "household.number": number,
                    "household.address": address,
                    "household.region": region,
                    "household.region_code": code,
                    "household.relation": relation,
                }
            rows.append(row)
        return rows

    def _households(
        self, cursor: CursorWrapper, rows: list[_Row], wanted: set[str], result: Lookup
    ) -> dict[int, list[_Member]]:
        """Household elements; returns the living members of each household (when loaded)."""
        households = sorted({row.household_id for row in rows if row.household_id is not None})
        members: dict[int, list[_Member]] = defaultdict(list)
        if households and wanted & {
            "household.size",
            "household.head",
            "household.members",
            MEMBERS_EMPLOYMENT,
        }:
            cursor.execute(
                # Only table names and placeholder lists are interpolated; values are parameters.
                f"SELECT m.household_id, p.id, p.id_number, p.name, p.sex, p.birth_date, "  # noqa: S608
                f"m.relation FROM {_table(Membership)} m "
                f"JOIN {_table(Person)} p ON p.id = m.person_id "
                f"WHERE m.household_id IN {_in(households)} AND p.deceased_on IS NULL "
                f"ORDER BY m.household_id, m.id",
                households,
            )
            for household_id, *member in cursor.fetchall():
                members[household_id].append(_Member(*member))
            # As the household register lists them: the head first, then in registration order.
            for found in members.values():
                found.sort(key=lambda m: m.relation != "head")
        for row in rows:
            if row.household_id is None or row.household_updated_at is None:
                continue
            stamp = row.household_updated_at
            values = result[row.id_number]
            for element, value in row.household.items():
                if element in wanted:
                    values[element] = SourcedValue(value, Source.POPULATION, stamp)
            living = members.get(row.household_id)
            if not living:
                continue
            extra: dict[str, Any] = {"household.size": len(living)}
            head = next((m for m in living if m.relation == "head"), None)
            if head is not None:
                extra["household.head"] = head.name
            extra["household.members"] = [
                {
                    "name": m.name,
                    "id_number": m.id_number,
                    "relation": m.relation,
                    "sex": m.sex,
                    "birth_date": m.birth_date.isoformat(),
                }
                for m in living
            ]
            for element, value in extra.items():
                if element in wanted:
                    values[element] = SourcedValue(value, Source.POPULATION, stamp)
        return members

    def _records(
        self,
        cursor: CursorWrapper,
        by_pk: dict[int, _Row],
        licence_types: set[str],
        fact_elements: list[str],
        wanted: set[str],
        result: Lookup,
        members: dict[int, list[_Member]],
    ) -> None:
        """E-licences, employment spells (of the subjects and, when asked, their household
        members), 低保 and disability records and other registry facts, in one round trip: a
        UNION ALL of up to five SELECTs with one row shape (kind, person, three texts, two
        dates, JSON, time, id)."""
        want_bank = bool(wanted & BANK_ELEMENTS)
        query_types = sorted(
            licence_types | ({LicenceType.SOCIAL_SECURITY_CARD.value} if want_bank else set())
        )
        people = sorted(by_pk)
        today = timezone.localdate()
        branches: list[str] = []
        params: list[Any] = []
        # Only table names and placeholder lists are interpolated; values are parameters.
        # The licence branch comes first when present: SQLite takes the column types (dates)
        # from the first SELECT of a compound one.
        if query_types:
            branches.append(
                "SELECT 'L', person_id, type, number, issuer, issued_on, valid_until, data, "  # noqa: S608
                f"updated_at, id FROM {_table(Licence)} WHERE person_id IN {_in(people)} "
                f"AND type IN {_in(query_types)} AND revoked = %s "
                "AND (valid_until IS NULL OR valid_until >= %s)"
            )
            params += [*people, *query_types, False, today]
        employment_people: list[int] = []
        if wanted & self.EMPLOYMENT_NEEDED:
            member_ids = (
                {m.pk for found in members.values() for m in found}
                if MEMBERS_EMPLOYMENT in wanted
                else set()
            )
            employment_people = sorted(set(by_pk) | member_ids)
            branches.append(
                "SELECT 'E', person_id, employer, employer_credit_code, end_reason, start_date, "  # noqa: S608
                f"end_date, NULL, updated_at, id FROM {_table(EmploymentRecord)} "
                f"WHERE person_id IN {_in(employment_people)}"
            )
            params += employment_people
        if fact_elements:
            branches.append(
                "SELECT 'F', person_id, element, source, NULL, NULL, NULL, value, updated_at, id "  # noqa: S608
                f"FROM {_table(RegistryFact)} WHERE person_id IN {_in(people)} "
                f"AND element IN {_in(fact_elements)} "
                "AND (valid_until IS NULL OR valid_until >= %s)"
            )
            params += [*people, *fact_elements, today]
        if wanted & DIBAO_ELEMENTS:
            branches.append(
                "SELECT 'B', person_id, NULL, NULL, NULL, since, until, NULL, updated_at, id "  # noqa: S608
                f"FROM {_table(DibaoRecord)} WHERE person_id IN {_in(people)}"
            )
            params += people
        if wanted & DISABILITY_ELEMENTS:
            branches.append(
                "SELECT 'C', person_id, category, grade, certificate_number, assessed_on, NULL, "  # noqa: S608
                f"NULL, updated_at, id FROM {_table(DisabilityRecord)} "
                f"WHERE person_id IN {_in(people)}"
            )
            params += people
        rows: list[tuple[Any, ...]] = []
        if branches:
            cursor.execute(" UNION ALL ".join(branches) + " ORDER BY 1, 2, 6, 10", params)
            rows = cursor.fetchall()
        spells: dict[int, list[_Spell]] = defaultdict(list)
        dibao: dict[int, tuple[date, date | None, datetime]] = {}
        disability: dict[int, tuple[str, str, str, datetime]] = {}
        for kind, person_id, t1, t2, t3, d1, d2, data, updated, _id in rows:
            stamp = _aware(_timestamp(updated))
            if kind == "L":
                self._licence(
                    result[by_pk[person_id].id_number],
                    t1,
                    {
                        "number": t2,
                        "issuer": t3,
                        "issued_on": _date(d1).isoformat(),
                        "valid_until": _json_value(_date(d2)),
                        "data": _json(data),
                    },
                    stamp,
                    licence_types,
                    wanted,
                )
            elif kind == "E":
                spells[person_id].append(_Spell(t1, t2, _date(d1), _date(d2), t3, stamp))
            elif kind == "B":
                dibao[person_id] = (_date(d1), _date(d2), stamp)
            elif kind == "C":
                disability[person_id] = (t1, t2, t3, stamp)
            else:
                result[by_pk[person_id].id_number][t1] = SourcedValue(_json(data), t2, stamp)
        if employment_people:
            self._employment(by_pk, wanted, result, members, spells)
        if wanted & DIBAO_ELEMENTS:
            _dibao(by_pk, wanted, result, dibao, today)
        if wanted & DISABILITY_ELEMENTS:
            _disability(by_pk, wanted, result, disability)

    @staticmethod
    def _licence(
        values: dict[str, SourcedValue],
        kind: str,
        licence: dict[str, Any],
        stamp: datetime,
        types: set[str],
        wanted: set[str],
    ) -> None:
        if kind in types:
            values[LICENCE_PREFIX + kind] = SourcedValue(licence, Source.LICENCE_LIBRARY, stamp)
        if kind == LicenceType.SOCIAL_SECURITY_CARD:
            data = licence["data"]
            for element, key in (("bank.account", "bank_account"), ("bank.name", "bank")):
                if element in wanted and data.get(key):
                    values[element] = SourcedValue(data[key], Source.SOCIAL_SECURITY, stamp)

    def _employment(
        self,
        by_pk: dict[int, _Row],
        wanted: set[str],
        result: Lookup,
        members: dict[int, list[_Member]],
        records: dict[int, list[_Spell]],
    ) -> None:
        """Employment elements of the subjects, and the employment status of their household
        members, from their spells in start order."""
        if MEMBERS_EMPLOYMENT in wanted:
            for row in by_pk.values():
                if row.household_id is None or row.household_id not in members:
                    continue
                living = members[row.household_id]
                assert row.household_updated_at is not None
                result[row.id_number][MEMBERS_EMPLOYMENT] = SourcedValue(
                    {m.id_number: _status(records.get(m.pk, [])) for m in living},
                    Source.SOCIAL_SECURITY,
                    max(
                        [row.household_updated_at]
                        + [r.updated_at for m in living for r in records.get(m.pk, [])]
                    ),
                )
        for pk, row in by_pk.items():
            spells = records.get(pk, [])
            values = result[row.id_number]
            if not spells:
                if "employment.status" in wanted:
                    values["employment.status"] = SourcedValue(
                        "never_employed", Source.SOCIAL_SECURITY, row.updated_at
                    )
                continue
            last = spells[-1]
            stamp = max(s.updated_at for s in spells)
            found: dict[str, Any] = {
                "employment.records": [
                    {
                        "employer": s.employer,
                        "employer_credit_code": s.employer_credit_code,
                        "start_date": s.start_date.isoformat(),
                        "end_date": _json_value(s.end_date),
                        "end_reason": s.end_reason,
                    }
                    for s in spells
                ],
                "employment.status": _status(spells),
                "employment.last_employer": last.employer,
                "employment.start_date": last.start_date.isoformat(),
                "employment.end_date": _json_value(last.end_date),
                "employment.end_reason": last.end_reason,
            }
            if last.end_date is not None:
                found["employment.unemployed_since"] = last.end_date.isoformat()
            for element, value in found.items():
                if element in wanted and value not in (None, ""):
                    values[element] = SourcedValue(value, Source.SOCIAL_SECURITY, stamp)


@dataclass(frozen=True)
class _Spell:
    employer: str
    employer_credit_code: str
    start_date: date
    end_date: date | None
    end_reason: str
    updated_at: datetime


def _status(spells: Sequence[_Spell]) -> str:
    """employed | unemployed | never_employed, from a person's spells in start order."""
    if not spells:
        return "never_employed"
    return "employed" if spells[-1].end_date is None else "unemployed"


def _answer(
    values: dict[str, SourcedValue],
    wanted: set[str],
    found: dict[str, Any],
    source: str,
    stamp: datetime,
) -> None:
    for element, value in found.items():
        if element in wanted and value is not None:
            values[element] = SourcedValue(value, source, stamp)


def _dibao(
    by_pk: dict[int, _Row],
    wanted: set[str],
    result: Lookup,
    records: dict[int, tuple[date, date | None, datetime]],
    today: date,
) -> None:
    """低保 of each subject. Civil affairs holds a record for everyone covered: a subject
    without one is not covered, which is an answer too (as of the person's record)."""
    for pk, row in by_pk.items():
        record = records.get(pk)
        if record is None:
            found: dict[str, Any] = {"dibao.status": DibaoStatus.NONE.value}
            stamp = row.updated_at
        else:
            since, until, stamp = record
            if since > today:
                status = DibaoStatus.NONE
            elif until is None or until >= today:
                status = DibaoStatus.ACTIVE
            else:
                status = DibaoStatus.ENDED
            found = {
                "dibao.status": status.value,
                "dibao.since": since.isoformat(),
                "dibao.until": _json_value(until),
            }
        _answer(result[row.id_number], wanted, found, Source.CIVIL_AFFAIRS, stamp)


def _disability(
    by_pk: dict[int, _Row],
    wanted: set[str],
    result: Lookup,
    records: dict[int, tuple[str, str, str, datetime]],
) -> None:
    """Disability of each subject, from the federation's record; ``none`` without one."""
    for pk, row in by_pk.items():
        record = records.get(pk)
        if record is None:
            found: dict[str, Any] = {
                "disability.category": DisabilityCategory.NONE.value,
                "disability.grade": DisabilityGrade.NONE.value,
            }
            stamp = row.updated_at
        else:
            category, grade, number, stamp = record
            found = {
                "disability.category": category,
                "disability.grade": grade,
                "disability.certificate_number": number,
            }
        _answer(result[row.id_number], wanted, found, Source.DISABLED_FEDERATION, stamp)
