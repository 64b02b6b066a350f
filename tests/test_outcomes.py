"""Outcome handlers: one name each, registered when Django starts; the e-licence a matter
produces is issued because its form says so, not because of its code."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from govdesk.applications import outcomes
from govdesk.applications.licences import OUTCOMES, register_all
from govdesk.applications.models import Application, Channel, Status
from govdesk.catalog.models import Matter
from govdesk.demo.loader import CHUNLEI
from govdesk.forms.models import FormDefinition
from govdesk.forms.services import DATA_DIR, FormsError, forms_load
from govdesk.organisations.models import Region
from govdesk.people.models import Person

SRC = Path(__file__).resolve().parent.parent / "src" / "govdesk"
LI = "320205197405120027"


def _names(application: Application) -> list[str]:
    return [r.name for r in outcomes.handlers_for(application)]


def _approved(matter: Matter, regions: dict[str, Region]) -> Application:
    return Application.objects.create(
        number=f"GD-TEST-{matter.code}",
        matter=matter,
        applicant=Person.objects.get(id_number=LI),
        region=regions[CHUNLEI],
        channel=Channel.WINDOW,
        status=Status.APPROVED,
        created_by="test",
    )


def test_every_outcome_is_registered_once_at_start() -> None:
    names = [r.name for r in outcomes._REGISTRY]
    assert sorted(names) == ["certificate", "employment_card"]


def test_a_name_cannot_be_taken_twice(monkeypatch: Any) -> None:
    monkeypatch.setattr(outcomes, "_REGISTRY", list(outcomes._REGISTRY))

    def other(application: Application) -> dict[str, Any]:
        return {}

    with pytest.raises(outcomes.DuplicateOutcome, match="certificate"):
        outcomes.register("certificate", lambda application: True, other)
    register_all()  # the same handlers again (a ready() run twice): nothing changes
    assert [r.name for r in outcomes._REGISTRY].count("employment_card") == 1
    outcomes.register("other", lambda application: False, other)
    assert [r.name for r in outcomes._REGISTRY][-1] == "other"


def test_the_licence_follows_the_form_not_the_matter_code(
    world: dict[str, Region],
) -> None:
    hrss = Matter.objects.get(code="HRSS-001")  # 失业登记: its form produces the card
    assert FormDefinition.objects.get(matter=hrss).produces == "employment_card"
    registration = _approved(hrss, world)
    assert "employment_card" in _names(registration)
    other = (
        FormDefinition.objects.exclude(matter=hrss)
        .filter(matter__isnull=False)  # a matter's form, not a material's template
        .select_related("matter")
        .first()
    )
    assert other is not None and other.matter is not None and other.produces == ""
    application = _approved(other.matter, world)
    assert "employment_card" not in _names(application)

    # Move the declaration to the other matter's form: the licence follows it.
    FormDefinition.objects.filter(pk=other.pk).update(produces="employment_card")
    FormDefinition.objects.filter(matter=hrss).update(produces="")
    assert "employment_card" in _names(application)
    assert "employment_card" not in _names(registration)
    (outcome,) = OUTCOMES
    assert outcome(application)["licence"] == "employment_card"


def test_a_form_may_produce_only_a_licence_that_is_issued(
    world: dict[str, Region], tmp_path: Path
) -> None:
    shutil.copy(DATA_DIR / "elements.yaml", tmp_path / "elements.yaml")
    forms = yaml.safe_load((DATA_DIR / "forms.yaml").read_text(encoding="utf-8"))
    forms[0]["produces"] = "disability_card"  # a licence type, but nothing here issues it
    (tmp_path / "forms.yaml").write_text(yaml.safe_dump(forms, allow_unicode=True), "utf-8")
    with pytest.raises(FormsError, match="disability_card"):
        forms_load(folder=tmp_path)


def test_people_imports_nothing_above_it() -> None:
    """people sits below accounts, forms, applications and the rest (docs/architecture.md)."""
    above = ("accounts", "catalog", "forms", "applications", "certificates", "api", "portal")
    for path in (SRC / "people").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                assert not name.startswith(tuple(f"govdesk.{a}" for a in above)), (path, name)
