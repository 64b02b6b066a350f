"""The rule table of proactive offers (catalog/data/offers.yaml): loaded with the catalogue
into one model, every rule checked at load (an unknown data element, matter, bundle, test or
placeholder is a load error, and nothing changes)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from govdesk.applications.selectors import offers_for
from govdesk.catalog.models import OfferRule
from govdesk.catalog.services import DATA_DIR, CatalogError, catalog_load
from govdesk.demo.loader import SUN_JIZHEN
from tests.test_home import _edit

pytestmark = pytest.mark.django_db


def test_the_catalogue_loads_the_rules_in_order(world: Any) -> None:
    rules = list(OfferRule.objects.filter(published=True).select_related("matter", "bundle"))
    assert rules[0].code == "employment-difficulty-dibao" and rules[0].bundle is not None
    assert [r.order for r in rules] == sorted(r.order for r in rules)
    assert all((r.matter is None) != (r.bundle is None) for r in rules)
    for rule in rules:
        rule.rule()  # every stored rule is usable


@pytest.fixture
def data_copy(tmp_path: Path, world: Any) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(DATA_DIR, folder)
    return folder


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "person.birth_date: {age_at_least: 80}",
            "person.age_in_years: {at_least: 80}",
            "rule elderly-allowance: unknown data element 'person.age_in_years'",
        ),
        (
            "  matter: MCA-007\n",
            "  matter: MCA-999\n",
            "rule elderly-allowance: no matter with the code 'MCA-999'",
        ),
        (
            "  bundle: BUNDLE-UTILITIES-LARGE-HOUSEHOLD\n",
            "  bundle: BUNDLE-NO-SUCH-THING\n",
            "rule utilities-large-household: no bundle with the code 'BUNDLE-NO-SUCH-THING'",
        ),
        (
            "household.size: {at_least: 5}",
            "household.size: {more_than: 5}",
            "unknown test 'more_than'",
        ),
        ("household.size: {at_least: 5}", "household.size: {at_least: five}", "whole number"),
        (
            'reason: "{age}岁，年满80周岁：可申领高龄津贴"',
            'reason: "{household.size}人"',
            "the reason names {household.size}, which the rule does not test",
        ),
        ("  held_licence: elderly_card\n", "  held_licence: senior_pass\n", "not an e-licence"),
        ("- id: elderly-allowance\n", "- id: Elderly_Allowance\n", "is not lower-case words"),
        ("  matter: MCA-007\n", "  matter: MCA-007\n  bundle: BUNDLE-RETIREMENT\n", "exactly one"),
        ("- id: senior-card\n", "- id: elderly-allowance\n", "the id is used twice"),
    ],
)
def test_a_bad_rule_is_a_load_error(data_copy: Path, old: str, new: str, message: str) -> None:
    _edit(data_copy / "offers.yaml", old, new)
    before = list(OfferRule.objects.values_list("code", "conditions", "published"))
    with pytest.raises(CatalogError, match=re.escape(message)):
        catalog_load(folder=data_copy)
    assert list(OfferRule.objects.values_list("code", "conditions", "published")) == before


def test_a_rule_taken_out_of_the_file_is_no_longer_offered(data_copy: Path) -> None:
    path = data_copy / "offers.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("- id: elderly-allowance\n")
    path.write_text(text[:start] + text[text.index("- id: senior-card\n") :], encoding="utf-8")
    report = catalog_load(folder=data_copy)
    assert report.offers == OfferRule.objects.filter(published=True).count()
    assert not OfferRule.objects.get(code="elderly-allowance").published
    assert "MCA-007" not in [o.code for o in offers_for(id_number=SUN_JIZHEN)]
