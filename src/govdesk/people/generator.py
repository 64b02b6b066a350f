"""A deterministic synthetic population: realistic households for the demo and benchmarks.

The stream of households depends only on the seed and the communities, so ``count`` people
are always the same people; a second run with a larger count adds only the households
beyond those already stored (the count of stored synthetic households says where to resume).

Names come from Faker's zh_CN name tables with their frequency weights; households are built
by our own rules (single elders, couples, parents with children, three generations), with
consistent ages, sexes, relations, ID numbers, e-licences, employment spells, 低保 households
(a civil affairs record for each member) and disabilities (a federation record with its
certificate number, and the certificate as an e-licence).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from faker.providers.person.zh_CN import Provider as NameProvider

from govdesk.common.idnumbers import make, uscc_check_character
from govdesk.organisations.models import Region
from govdesk.people.models import (
    Address,
    DibaoRecord,
    DisabilityCategory,
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
from govdesk.people.services import DISABLED_FEDERATION, plus_years

SYNTHETIC_PREFIX = "S"  # household numbers of synthetic households start with this
REFERENCE_DAY = date(2026, 11, 1)
STAMP = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
LOCAL_CODES = ("320205", "320205", "320205", "320213", "320206", "320211", "320214", "320281")
MIGRANT_CODES = ("340104", "341221", "410102", "320321", "321302", "510104", "430102")
ESTATE_SUFFIXES = ("苑", "新村", "花园", "家园", "小区", "雅居")
EMPLOYER_BODIES = (
    ("无锡市锡山区云林纺织有限公司", "91320205MA1MC3TQ8"),
    ("无锡锡东精密机械有限公司", "91320205MA1NE7UX2"),
    ("江苏东港物流有限公司", "91320205MA1PH4RW6"),
    ("无锡市春雷超市有限公司", "91320205MA1QK9LY3"),
    ("无锡安镇电子科技有限公司", "91320205MA1RM2GD5"),
    ("无锡锡山经济技术开发区建设有限公司", "91320205MA1TN6BF0"),
)
EMPLOYERS = tuple((name, body + uscc_check_character(body)) for name, body in EMPLOYER_BODIES)
EDUCATION = ("小学", "初中", "高中", "中专", "大专", "大学本科", "研究生")
BANKS = ("中国工商银行", "中国农业银行", "中国银行", "中国建设银行", "江苏银行", "无锡农村商业银行")
# Shares of each category among people with disabilities (second national sample survey on
# disability, 2006), and of each grade (1 the most severe).
DISABILITY_CATEGORIES: dict[str, float] = {
    DisabilityCategory.PHYSICAL: 29.1,
    DisabilityCategory.HEARING: 24.2,
    DisabilityCategory.MULTIPLE: 16.3,
    DisabilityCategory.VISUAL: 14.9,
    DisabilityCategory.MENTAL: 7.4,
    DisabilityCategory.INTELLECTUAL: 6.7,
    DisabilityCategory.SPEECH: 1.5,
}
DISABILITY_GRADES: dict[str, float] = {"1": 15.0, "2": 20.0, "3": 30.0, "4": 35.0}


def _weighted_names() -> tuple[list[str], list[float]]:
    names = list(NameProvider.last_names.keys())
    weights = [float(w) for w in NameProvider.last_names.values()]
    return names, weights


SURNAMES, SURNAME_WEIGHTS = _weighted_names()
MALE_GIVEN = list(NameProvider.first_names_male)
FEMALE_GIVEN = list(NameProvider.first_names_female)


@dataclass
class GenPerson:
    id: int
    id_number: str
    name: str
    sex: str
    birth_date: date
    relation: str
    phone: str
    education: str
    marital_status: str
    hukou_type: str


@dataclass
class GenHousehold:
    index: int
    number: str
    address: str
    estate: str
    region_id: int
    members: list[GenPerson] = field(default_factory=list)


class PopulationGenerator:
    def __init__(self, *, seed: int, communities: Sequence[Region]) -> None:
        if not communities:
            raise ValueError("at least one community is needed")
        self.seed = seed
        self.communities = list(communities)
        self.rng = random.Random(seed)
        self.used_ids: set[str] = set()
        self.next_seq: dict[tuple[str, date], int] = {}

    def reserve(self, id_numbers: Sequence[str]) -> None:
        """Keep these numbers (the personas) out of the synthetic stream."""
        self.used_ids.update(id_numbers)

    def _name(self, sex: str, surname: str | None = None) -> str:
        rng = self.rng
        family = surname or rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
        pool = MALE_GIVEN if sex == "M" else FEMALE_GIVEN
        given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.7 else "")
        return family + given

    def _id_number(self, birth: date, sex: str, region: str) -> str:
        key = (region, birth)
        seq = self.next_seq.get(key, self.rng.randrange(0, 60))
        while True:
            if (seq % 2 == 1) != (sex == "M"):
                seq += 1
            number = make(region, birth, seq % 1000)
            seq += 1
            if number not in self.used_ids:
                break
        self.next_seq[key] = seq
        self.used_ids.add(number)
        return number

    def _birth(self, age_low: int, age_high: int) -> date:
        age_days = self.rng.randint(age_low * 365 + 1, age_high * 365 + 364)
        return REFERENCE_DAY - timedelta(days=age_days)

    def _person(
        self,
        next_id: int,
        sex: str,
        birth: date,
        relation: str,
        surname: str | None,
        migrant: bool,
    ) -> GenPerson:
        rng = self.rng
        region = rng.choice(MIGRANT_CODES) if migrant else rng.choice(LOCAL_CODES)
        age = (REFERENCE_DAY - birth).days // 365
        adult = age >= 18
        return GenPerson(
            id=next_id,
            id_number=self._id_number(birth, sex, region),
            name=self._name(sex, surname),
            sex=sex,
            birth_date=birth,
            relation=relation,
            phone=f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}" if age >= 14 else "",
            education=(rng.choice(EDUCATION) if adult else ("小学" if age >= 7 else "")),
            marital_status="",
            hukou_type="rural" if rng.random() < 0.25 else "urban",
        )

    def households(self, *, first_person_id: int) -> Iterator[GenHousehold]:
        """An endless deterministic stream of households."""
        rng = self.rng
        next_id = first_person_id
        index = 0
        estates: dict[int, list[str]] = {}
        while True:
            community = self.communities[index % len(self.communities)]
            names = estates.setdefault(
                community.pk,
                [f"{community.name.removesuffix('社区')}{s}" for s in ESTATE_SUFFIXES],
            )
            slot = index // len(self.communities)
            estate = names[slot % len(names)]
            building, rest = divmod(slot // len(names), 36)
            unit, room = divmod(rest, 12)
            floor, door = divmod(room, 2)
            address = (
                f"无锡市锡山区{community.parent.name if community.parent else ''}{estate}"
                f"{building + 1}幢{unit + 1}单元{floor + 1}0{door + 1}室"
            )
            household = GenHousehold(
                index=index,
                number=f"{SYNTHETIC_PREFIX}{community.code[-6:]}{index:09d}",
                address=address,
                estate=estate,
                region_id=community.pk,
            )
            migrant = rng.random() < 0.12
            surname = rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
            shape = rng.random()
            members: list[tuple[str, date, str, str | None]] = []
            if shape < 0.14:  # one person, often an elder
                sex = rng.choice("MF")
                members.append((sex, self._birth(22, 92), "head", surname))
            elif shape < 0.36:  # a couple
                head_birth = self._birth(25, 85)
                members.append(("M", head_birth, "head", surname))
                members.append(
                    ("F", head_birth + timedelta(days=rng.randint(-900, 1800)), "spouse", None)
                )
            elif shape < 0.78:  # parents and children
                head_birth = self._birth(28, 60)
                members.append(("M", head_birth, "head", surname))
                members.append(
                    ("F", head_birth + timedelta(days=rng.randint(-700, 1500)), "spouse", None)
                )
                for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
                    child_sex = rng.choice("MF")
                    child_birth = head_birth + timedelta(days=rng.randint(22 * 365, 38 * 365))
                    if child_birth >= REFERENCE_DAY:
                        continue
                    members.append(
                        (child_sex, child_birth, "son" if child_sex == "M" else "daughter", surname)
                    )
            else:  # three generations
                head_birth = self._birth(45, 70)
                members.append(("M", head_birth, "head", surname))
                members.append(
                    ("F", head_birth + timedelta(days=rng.randint(-700, 1500)), "spouse", None)
                )
                son_birth = head_birth + timedelta(days=rng.randint(22 * 365, 32 * 365))
                members.append(("M", son_birth, "son", surname))
                members.append(
                    (
                        "F",
                        son_birth + timedelta(days=rng.randint(-900, 1500)),
                        "daughter_in_law",
                        None,
                    )
                )
                for _ in range(rng.choice((1, 1, 2))):
                    grand_birth = son_birth + timedelta(days=rng.randint(23 * 365, 35 * 365))
                    if grand_birth >= REFERENCE_DAY:
                        continue
                    sex = rng.choice("MF")
                    members.append(
                        (sex, grand_birth, "grandson" if sex == "M" else "granddaughter", surname)
                    )
                if rng.random() < 0.3:
                    members.append(
                        (
                            "F",
                            head_birth - timedelta(days=rng.randint(20, 30) * 365),
                            "mother",
                            None,
                        )
                    )
            couple_below = any(m[2] == "daughter_in_law" for m in members)
            for sex, birth, relation, family in members:
                person = self._person(next_id, sex, birth, relation, family, migrant)
                married = (relation in {"head", "spouse"} and len(members) > 1) or (
                    relation in {"son", "daughter_in_law"} and couple_below
                )
                if married:
                    person.marital_status = "已婚"
                elif (REFERENCE_DAY - birth).days > 18 * 365:
                    person.marital_status = rng.choice(("未婚", "已婚", "离婚", "丧偶"))
                else:
                    person.marital_status = "未婚"
                household.members.append(person)
                next_id += 1
            yield household
            index += 1


def _licences_for(
    p: GenPerson, h: GenHousehold, rng: random.Random
) -> list[tuple[str, str, str, date, date | None, dict[str, Any]]]:
    age = (REFERENCE_DAY - p.birth_date).days // 365
    result: list[tuple[str, str, str, date, date | None, dict[str, Any]]] = []
    if age >= 16:
        issued = REFERENCE_DAY - timedelta(days=rng.randint(30, 3600))
        years = 5 if age < 16 else 10 if age < 26 else 20 if age < 46 else None
        until = plus_years(issued, years) if years else None
        if until is not None and until < REFERENCE_DAY:
            until = plus_years(until, years or 0)
        result.append((LicenceType.ID_CARD, p.id_number, "无锡市公安局锡山分局", issued, until, {}))
    if p.relation == "head":
        result.append(
            (
                LicenceType.HOUSEHOLD_REGISTER,
                h.number,
                "无锡市公安局锡山分局",
                date(2010 + h.index % 15, 1 + h.index % 12, 1),
                None,
                {"household": h.number},
            )
        )
    if age >= 16:
        card = f"D{p.id + 10_000_000:09d}"
        result.append(
            (
                LicenceType.SOCIAL_SECURITY_CARD,
                card,
                "无锡市人力资源和社会保障局",
                date(2015 + p.id % 10, 1 + p.id % 12, 1),
                None,
                {
                    "bank": BANKS[p.id % len(BANKS)],
                    "bank_account": f"6217{rng.randrange(10**15):015d}",
                },
            )
        )
    return result


def _employment_for(
    p: GenPerson, rng: random.Random
) -> list[tuple[str, str, date, date | None, str]]:
    age = (REFERENCE_DAY - p.birth_date).days // 365
    retire_age = 60 if p.sex == "M" else 55
    if age < 19 or rng.random() < 0.15:
        return []
    spells = []
    start = p.birth_date.replace(year=p.birth_date.year + rng.randint(18, 24), day=1)
    for _ in range(rng.randint(1, 3)):
        employer = EMPLOYERS[rng.randrange(len(EMPLOYERS))]
        length = timedelta(days=rng.randint(300, 4000))
        end: date | None = start + length
        assert end is not None
        if end >= REFERENCE_DAY:
            end = None
        spells.append((employer[0], employer[1], start, end, "合同到期" if end else ""))
        if end is None:
            break
        start = end + timedelta(days=rng.randint(10, 400))
        if start >= REFERENCE_DAY:
            break
    if age >= retire_age and spells and spells[-1][3] is None:
        last = spells[-1]
        retired = plus_years(p.birth_date, retire_age)
        spells[-1] = (last[0], last[1], last[2], max(retired, last[2]), "退休")
    return spells


def _dibao_spell(rng: random.Random) -> tuple[date, date | None]:
    """When a household's 低保 began and, for about one in four, when it stopped."""
    first = date(2018, 1, 1)
    since = (first + timedelta(days=rng.randrange((REFERENCE_DAY - first).days))).replace(day=1)
    if rng.random() < 0.25 and (REFERENCE_DAY - since).days > 120:
        until = since + timedelta(days=rng.randint(90, (REFERENCE_DAY - since).days - 1))
        return since, until
    return since, None


def _disability_for(
    p: GenPerson, rng: random.Random
) -> tuple[tuple[str, str, str, date], tuple[str, str, str, date, date | None, dict[str, Any]]]:
    """A federation record (category, grade, certificate number, assessed on) and the
    certificate as an e-licence (type, number, issuer, issued, valid until, data)."""
    category = str(
        rng.choices(list(DISABILITY_CATEGORIES), list(DISABILITY_CATEGORIES.values()))[0]
    )
    grade = rng.choices(list(DISABILITY_GRADES), list(DISABILITY_GRADES.values()))[0]
    number = disability_certificate_number(p.id_number, category, grade)
    assessed = max(p.birth_date, REFERENCE_DAY - timedelta(days=rng.randint(30, 3600)))
    licence = (
        LicenceType.DISABILITY_CERTIFICATE.value,
        number,
        DISABLED_FEDERATION,
        assessed,
        plus_years(assessed, 10),
        {"category": category, "grade": grade},
    )
    return (category, grade, number, assessed), licence


@dataclass
class Batch:
    addresses: list[tuple[Any, ...]] = field(default_factory=list)
    households: list[tuple[Any, ...]] = field(default_factory=list)
    people: list[tuple[Any, ...]] = field(default_factory=list)
    memberships: list[tuple[Any, ...]] = field(default_factory=list)
    licences: list[tuple[Any, ...]] = field(default_factory=list)
    employment: list[tuple[Any, ...]] = field(default_factory=list)
    facts: list[tuple[Any, ...]] = field(default_factory=list)
    dibao: list[tuple[Any, ...]] = field(default_factory=list)
    disability: list[tuple[Any, ...]] = field(default_factory=list)


TABLES: dict[str, tuple[type[Any], tuple[str, ...]]] = {
    "addresses": (Address, ("id", "region_id", "text", "estate")),
    "households": (Household, ("id", "number", "kind", "address_id", "region_id", "updated_at")),
    "people": (
        Person,
        (
            "id",
            "id_number",
            "name",
            "former_name",
            "sex",
            "birth_date",
            "ethnicity",
            "phone",
            "hukou_type",
            "education",
            "marital_status",
            "occupation",
            "id_upgraded_from_15",
            "deceased_on",
            "updated_at",
        ),
    ),
    "memberships": (Membership, ("id", "household_id", "person_id", "relation", "since")),
    "licences": (
        Licence,
        (
            "id",
            "person_id",
            "type",
            "number",
            "issuer",
            "issued_on",
            "valid_until",
            "revoked",
            "data",
            "updated_at",
        ),
    ),
    "employment": (
        EmploymentRecord,
        (
            "id",
            "person_id",
            "employer",
            "employer_credit_code",
            "start_date",
            "end_date",
            "end_reason",
            "updated_at",
        ),
    ),
    "facts": (
        RegistryFact,
        (
            "id",
            "person_id",
            "element",
            "value",
            "source",
            "valid_from",
            "valid_until",
            "updated_at",
        ),
    ),
    "dibao": (DibaoRecord, ("id", "person_id", "since", "until", "updated_at")),
    "disability": (
        DisabilityRecord,
        ("id", "person_id", "category", "grade", "certificate_number", "assessed_on", "updated_at"),
    ),
}


def _next_ids() -> dict[str, int]:
    from django.db.models import Max

    return {
        key: (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        for key, (model, _) in TABLES.items()
    }


def _write(batch: Batch) -> None:
    import json

    if connection.vendor == "postgresql":
        raw = connection.connection
        assert raw is not None
        with raw.cursor() as cursor:
            for key, (model, columns) in TABLES.items():
                rows = getattr(batch, key)
                if not rows:
                    continue
                json_col = (
                    columns.index("data")
                    if "data" in columns
                    else (columns.index("value") if key == "facts" else -1)
                )
                sql = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"
                with cursor.copy(sql) as copy:
                    for row in rows:
                        if json_col >= 0:
                            row = (
                                *row[:json_col],
                                json.dumps(row[json_col], ensure_ascii=False),
                                *row[json_col + 1 :],
                            )
                        copy.write_row(row)
        return
    for key, (model, columns) in TABLES.items():
        rows = getattr(batch, key)
        model.objects.bulk_create(
            [model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=2000
        )


def _reset_sequences() -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model, _ in TABLES.values():
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
            )


def _analyze() -> None:
    """Refresh the planner's statistics of the tables just bulk-loaded. Without them (and
    autovacuum may be off, or not yet have run) PostgreSQL guesses thousands of members per
    household and plans every person look-up as a parallel scan."""
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(model._meta.db_table for model, _ in TABLES.values())
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def synthetic_households_stored() -> int:
    return Household.objects.filter(number__startswith=SYNTHETIC_PREFIX).count()


def synthetic_people_stored() -> int:
    return Membership.objects.filter(household__number__startswith=SYNTHETIC_PREFIX).count()


def population_generate(
    *,
    count: int,
    seed: int = 2026,
    communities: Sequence[Region],
    reserved: Sequence[str] = (),
    batch_households: int = 5000,
) -> int:
    """Make sure at least ``count`` synthetic people exist. Returns how many were added."""
    have_households = synthetic_households_stored()
    have_people = synthetic_people_stored()
    if have_people >= count:
        return 0
    gen = PopulationGenerator(seed=seed, communities=communities)
    gen.reserve(list(reserved))
    ids = _next_ids()
    # A generated address may already be stored (a persona's flat, say): the household then
    # shares that row, as personas loaded after the population share a synthetic one. The
    # stream itself stays the same whatever else the database holds.
    stored_addresses = dict(
        Address.objects.exclude(households__number__startswith=SYNTHETIC_PREFIX).values_list(
            "text", "id"
        )
    )
    rng = random.Random(seed + 1)
    added = 0
    people_seen = 0
    batch = Batch()
    in_batch = 0
    with transaction.atomic():
        for household in gen.households(first_person_id=ids["people"]):
            if household.index < have_households:
                # Replay the stream up to where the stored population ends.
                people_seen += len(household.members)
                continue
            if people_seen + added >= count:
                break
            address_id = stored_addresses.get(household.address)
            if address_id is None:
                address_id = ids["addresses"]
                ids["addresses"] += 1
                batch.addresses.append(
                    (address_id, household.region_id, household.address, household.estate)
                )
            household_id = ids["households"]
            ids["households"] += 1
            batch.households.append(
                (household_id, household.number, "family", address_id, household.region_id, STAMP)
            )
            dibao = _dibao_spell(rng) if rng.random() < 0.015 else None
            for p in household.members:
                pid = ids["people"]
                ids["people"] += 1
                p.id = pid
                batch.people.append(
                    (
                        pid,
                        p.id_number,
                        p.name,
                        "",
                        p.sex,
                        p.birth_date,
                        "汉族",
                        p.phone,
                        p.hukou_type,
                        p.education,
                        p.marital_status,
                        "",
                        False,
                        None,
                        STAMP,
                    )
                )
                batch.memberships.append(
                    (
                        ids["memberships"],
                        household_id,
                        pid,
                        p.relation,
                        p.birth_date
                        if p.relation in {"son", "daughter", "grandson", "granddaughter"}
                        else date(2010, 1, 1),
                    )
                )
                ids["memberships"] += 1
                licences = _licences_for(p, household, rng)
                spells = _employment_for(p, rng)
                if dibao is not None:
                    batch.dibao.append((ids["dibao"], pid, *dibao, STAMP))
                    ids["dibao"] += 1
                if rng.random() < 0.02:
                    record, certificate = _disability_for(p, rng)
                    batch.disability.append((ids["disability"], pid, *record, STAMP))
                    ids["disability"] += 1
                    licences.append(certificate)
                for kind, number, issuer, issued, until, data in licences:
                    batch.licences.append(
                        (
                            ids["licences"],
                            pid,
                            kind,
                            number,
                            issuer,
                            issued,
                            until,
                            False,
                            data,
                            STAMP,
                        )
                    )
                    ids["licences"] += 1
                for employer, code, start, end, reason in spells:
                    batch.employment.append(
                        (ids["employment"], pid, employer, code, start, end, reason, STAMP)
                    )
                    ids["employment"] += 1
                added += 1
            in_batch += 1
            if in_batch >= batch_households:
                _write(batch)
                batch = Batch()
                in_batch = 0
        _write(batch)
        _reset_sequences()
    if added:
        _analyze()
    return added
