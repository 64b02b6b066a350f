from __future__ import annotations

from collections import Counter
from io import StringIO
from typing import Any

from django.core.management import call_command

from govdesk.common.idnumbers import parse
from govdesk.demo.loader import PERSONA_NUMBERS
from govdesk.people.models import Household, Licence, Membership, Person


def test_demo_is_idempotent_and_prints_accounts(db: None) -> None:
    out = StringIO()
    call_command("demo", "--people", "300", stdout=out)
    text = out.getvalue()
    for name in (
        "clerk.chunlei",
        "reviewer.yunlin",
        "approver.hrss",
        "operator.data",
        "auditor",
        "security.officer",
    ):
        assert name in text
    assert "/api/v1/openapi.json" in text
    counts = (Person.objects.count(), Household.objects.count(), Licence.objects.count())
    call_command("demo", "--people", "300", stdout=StringIO())
    assert (Person.objects.count(), Household.objects.count(), Licence.objects.count()) == counts
    assert Person.objects.count() >= 300 + len(PERSONA_NUMBERS)


def test_personas_exist_with_their_numbers(db: None) -> None:
    call_command("demo", "--people", "0", stdout=StringIO())
    for number in PERSONA_NUMBERS:
        assert Person.objects.filter(id_number=number).exists()
    li = Person.objects.get(id_number="320205197405120027")
    assert li.name == "李红梅" and li.sex == "F"
    assert li.membership.household.region.name == "春雷社区"


def test_synthetic_population_is_realistic_and_deterministic(db: None) -> None:
    call_command("demo", "--people", "600", stdout=StringIO())
    synthetic = Person.objects.exclude(id_number__in=PERSONA_NUMBERS)
    numbers = list(synthetic.values_list("id_number", "sex", "birth_date"))
    assert len(numbers) >= 600
    for number, sex, birth in numbers:
        parsed = parse(number)
        assert parsed.sex == sex and parsed.birth_date == birth
    heads = Counter(
        Membership.objects.filter(relation="head").values_list("household_id", flat=True)
    )
    assert all(count == 1 for count in heads.values())
    assert len(heads) == Household.objects.count()
    sizes = Counter(Membership.objects.values_list("household_id", flat=True)).values()
    assert min(sizes) == 1 and max(sizes) >= 5


def test_generate_people_resumes_the_same_stream(db: Any, django_db_blocker: Any) -> None:
    call_command("generate-people", "--count", "200", stdout=StringIO())
    first = list(Person.objects.order_by("id").values_list("id_number", flat=True))
    call_command("generate-people", "--count", "400", stdout=StringIO())
    after = list(Person.objects.order_by("id").values_list("id_number", flat=True))
    assert after[: len(first)] == first and len(after) >= 400
