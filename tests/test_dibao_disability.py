"""低保 (civil affairs) and disability (the disabled persons' federation) come from the registry
like every other fact: typed choices, answered for everyone (``none`` without a record), fetched
in the same bulk look-up, never a box to type into."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from govdesk.demo.loader import PERSONA_NUMBERS
from govdesk.forms.derivations import difficulty_categories
from govdesk.forms.models import DataElement
from govdesk.forms.prefill import prefill
from govdesk.forms.schema import FieldSpec
from govdesk.forms.services import DATA_DIR as FORMS_DATA
from govdesk.people.models import (
    DibaoRecord,
    DibaoStatus,
    DisabilityCategory,
    DisabilityGrade,
    DisabilityRecord,
    Licence,
    LicenceType,
    Person,
)
from govdesk.people.sources import DIBAO_ELEMENTS, DISABILITY_ELEMENTS, LocalRegistry
from tests.conftest import DIBAO_SINCE, QIAN_GUOQIANG, ZHAO_XIUYING, staff_client
from tests.test_workbench import fact_forms, start_bundle, text

LI = "320205197405120027"
SUN = "320205193909210044"
ELEMENTS = sorted(DIBAO_ELEMENTS | DISABILITY_ELEMENTS)

pytestmark = pytest.mark.django_db


def test_the_dictionary_types_them_with_the_registrys_values() -> None:
    rows = {
        row["key"]: row
        for row in yaml.safe_load((FORMS_DATA / "elements.yaml").read_text(encoding="utf-8"))
    }
    for key, values in (
        ("dibao.status", DibaoStatus.values),
        ("disability.category", DisabilityCategory.values),
        ("disability.grade", DisabilityGrade.values),
    ):
        assert rows[key]["type"] == "choice"
        assert [str(c[0]) for c in rows[key]["choices"]] == values, key
        assert all(len(c) == 3 and c[1] and c[2] for c in rows[key]["choices"]), key
        assert rows[key]["sensitivity"] == "sensitive"
    assert rows["dibao.since"]["type"] == rows["dibao.until"]["type"] == "date"


def test_everyone_gets_an_answer_from_the_department_that_holds_it(
    dibao_household: dict[str, str], django_assert_max_num_queries: Any
) -> None:
    subjects = [*PERSONA_NUMBERS, ZHAO_XIUYING, QIAN_GUOQIANG]
    with django_assert_max_num_queries(5):  # the same bound as any other look-up
        found = LocalRegistry().lookup(subjects=subjects, elements=[*ELEMENTS, "person.name"])
    for number in PERSONA_NUMBERS:  # 李红梅 and the others: not on 低保, no disability
        values = found[number]
        assert values["dibao.status"].value == "none"
        assert values["dibao.status"].source == "civil_affairs"
        assert values["disability.grade"].value == "none"
        assert values["disability.category"].value == "none"
        assert values["disability.grade"].source == "disabled_federation"
        assert not {"dibao.since", "dibao.until", "disability.certificate_number"} & set(values)
    zhao = found[ZHAO_XIUYING]
    assert zhao["dibao.status"].value == "active"
    assert zhao["dibao.since"].value == DIBAO_SINCE.isoformat()
    assert "dibao.until" not in zhao
    assert zhao["disability.category"].value == "physical"
    assert zhao["disability.grade"].value == "2"
    assert zhao["disability.certificate_number"].value == f"{ZHAO_XIUYING}42"
    assert {zhao[e].source for e in DISABILITY_ELEMENTS} == {"disabled_federation"}
    assert found[QIAN_GUOQIANG]["dibao.status"].value == "active"
    assert found[QIAN_GUOQIANG]["disability.grade"].value == "none"


def test_the_certificate_is_an_e_licence_with_the_same_number(
    dibao_household: dict[str, str],
) -> None:
    found = LocalRegistry().lookup(
        subjects=[ZHAO_XIUYING], elements=["licence.disability_certificate"]
    )[ZHAO_XIUYING]["licence.disability_certificate"]
    assert found.source == "licence_library"
    assert found.value["number"] == f"{ZHAO_XIUYING}42"
    assert found.value["data"] == {"category": "physical", "grade": "2"}


def test_a_dibao_that_stopped_is_ended(dibao_household: dict[str, str]) -> None:
    stopped = date.today() - timedelta(days=30)
    DibaoRecord.objects.filter(person__id_number=QIAN_GUOQIANG).update(until=stopped)
    found = LocalRegistry().lookup(subjects=[QIAN_GUOQIANG], elements=ELEMENTS)[QIAN_GUOQIANG]
    assert found["dibao.status"].value == "ended"
    assert found["dibao.until"].value == stopped.isoformat()


def _specs(*keys: str) -> list[FieldSpec]:
    elements = {e.key: e for e in DataElement.objects.filter(key__in=keys)}
    return [
        FieldSpec(
            key=k, label=elements[k].label, type=elements[k].type, choices=elements[k].choices
        )
        for k in keys
    ]


def test_prefill_fetches_them_in_the_same_bulk_look_up(dibao_household: dict[str, str]) -> None:
    """Asking for 低保 and disability too costs no query more than the form without them."""
    base = _specs("person.name", "person.sex", "household.size", "bank.account")
    more = base + _specs("dibao.status", "disability.grade", "disability.category")
    prefill(id_number=ZHAO_XIUYING, specs=more)  # the process keeps the catalogue from now on
    with CaptureQueriesContext(connection) as without:
        prefill(id_number=ZHAO_XIUYING, specs=base)
    with CaptureQueriesContext(connection) as with_them:
        resolved = prefill(id_number=ZHAO_XIUYING, specs=more)
    assert len(with_them) == len(without) <= 5
    assert (resolved["dibao.status"].source, resolved["dibao.status"].origin) == (
        "registry",
        "civil_affairs",
    )
    assert resolved["disability.grade"].value == "2"
    assert resolved["disability.grade"].origin == "disabled_federation"
    assert resolved["disability.grade"].type == "choice"


def test_the_categories_follow_the_registry(dibao_household: dict[str, str]) -> None:
    keys = ("employment.difficulty_category", "dibao.status", "disability.grade")
    zhao = prefill(id_number=ZHAO_XIUYING, specs=_specs(*keys))
    assert {"低保家庭成员", "残疾人"} <= set(zhao["employment.difficulty_category"].value)
    li = prefill(id_number=LI, specs=_specs(*keys))
    assert not {"低保家庭成员", "残疾人"} & set(li["employment.difficulty_category"].value)
    assert (
        difficulty_categories({"dibao.status": "ended", "disability.grade": "none"}, date.today())
        == []
    )


def test_at_the_window_they_arrive_with_their_source_and_are_not_typed(world: Any) -> None:
    clerk = staff_client("clerk.chunlei")
    url = start_bundle(clerk, idem="dibao-disability")
    page = text(clerk.get(url))
    editable = fact_forms(page)
    for key, slug, source, shown in (
        ("dibao.status", "dibao-status", "Civil affairs registry", "Not receiving"),
        ("disability.grade", "disability-grade", "Disabled persons&#x27; federation", "None"),
    ):
        assert key not in editable  # no input, no select: the department's answer stands
        start = page.index(f'id="fact-{slug}"')
        row = page[start : page.index('id="fact-', start + 1)]
        assert "fact-readonly" in row and source in row and shown in row
        assert "<input" not in row and "<select" not in row


def test_the_api_gives_their_source(api: Any, staff_token: Any) -> None:
    token = staff_token("clerk.chunlei")
    started = api.post(
        "/api/v1/bundles/BUNDLE-EMPLOYMENT-DIFFICULTY/start", token, {"applicant": LI}
    ).json()
    recognition = started["steps"][1]["application"]
    fields = {
        f["key"]: f for f in api.get(f"/api/v1/applications/{recognition}", token).json()["fields"]
    }
    for key, origin in (
        ("dibao.status", "civil_affairs"),
        ("disability.grade", "disabled_federation"),
    ):
        assert fields[key]["value"] == "none"
        assert fields[key]["source"] == "registry" and fields[key]["origin"] == origin
        assert not fields[key]["missing"]


def test_the_synthetic_population_is_consistent(world: Any) -> None:
    call_command("generate-people", "--count", "3000", stdout=StringIO())
    records = list(DisabilityRecord.objects.select_related("person"))
    assert records, "some synthetic people have a disability"
    licences = dict(
        Licence.objects.filter(type=LicenceType.DISABILITY_CERTIFICATE).values_list(
            "person_id", "number"
        )
    )
    for record in records:
        assert record.certificate_number.startswith(record.person.id_number)
        assert record.certificate_number[-1] == record.grade
        assert licences[record.person_id] == record.certificate_number
    covered = set(DibaoRecord.objects.values_list("person_id", flat=True))
    assert covered, "some synthetic households are on 低保"
    households = {
        p.membership.household_id
        for p in Person.objects.filter(pk__in=covered).select_related("membership")
    }
    members = set(
        Person.objects.filter(membership__household_id__in=households).values_list("pk", flat=True)
    )
    assert members == covered  # 低保 covers the whole household
