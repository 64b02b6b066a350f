"""Proactive offers (★): the rule language of ``data/offers.yaml``.

A rule offers one matter or one bundle to a person whose registry facts pass every one of its
tests, with the reason in words. It reads only data elements a registry serves
(``people.sources.REGISTRY_ELEMENTS``), so the catalogue can check every rule when it loads and
the evaluation needs one bulk registry look-up for all rules. This module parses and checks
rules and evaluates them on values already looked up; who is offered what, and what they
already hold or have under way, is read by ``applications.selectors.offers_for``.

Tests, ``{element: {operator: operand, …}}`` (all must hold; a value the registry does not
give fails every test):

- ``equals: v``, ``in: [v, …]``, ``not_in: [v, …]``: compared as text;
- ``at_least: n``, ``at_most: n``: numbers (``household.size``);
- ``age_at_least: n``, ``age_below: n``: whole years from a date to today (``person.birth_date``);
- ``within_days: n``: a date at most ``n`` days ago (and not in the future);
- ``at_least_days_ago: n``: a date ``n`` days ago or earlier.

The reason may name ``{age}`` (with an age test) and ``{<element>}`` of an element it tests:
the value is filled in as the registry gives it (a date as 2026-09-30, a number).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from govdesk.people.models import LicenceType
from govdesk.people.sources import REGISTRY_ELEMENTS

#: The form of a rule's id: lower-case words of letters and digits joined by hyphens.
RULE_ID = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
PLACEHOLDER = re.compile(r"\{([a-z_.]+)\}")
AGE = "age"

TEXT_OPERATORS = frozenset({"equals", "in", "not_in"})
NUMBER_OPERATORS = frozenset({"at_least", "at_most"})
AGE_OPERATORS = frozenset({"age_at_least", "age_below"})
DAY_OPERATORS = frozenset({"within_days", "at_least_days_ago"})
OPERATORS = TEXT_OPERATORS | NUMBER_OPERATORS | AGE_OPERATORS | DAY_OPERATORS
KEYS = frozenset({"id", "matter", "bundle", "when", "reason", "en", "held_licence", "household"})


class OfferRuleError(ValueError):
    """A rule that cannot be used; the message says what is wrong."""


def _whole_years(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _as_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


@dataclass(frozen=True)
class Test:
    element: str
    operator: str
    operand: Any

    def holds(self, value: Any, today: date) -> bool:
        if value is None or value == "":
            return False
        op, operand = self.operator, self.operand
        if op == "equals":
            return str(value) == str(operand)
        if op == "in":
            return str(value) in {str(v) for v in operand}
        if op == "not_in":
            return str(value) not in {str(v) for v in operand}
        limit: int = operand  # the other operators take a whole number (checked when loaded)
        if op in NUMBER_OPERATORS:
            number = _as_number(value)
            if number is None:
                return False
            return number >= limit if op == "at_least" else number <= limit
        day = _as_date(value)
        if day is None:
            return False
        if op == "age_at_least":
            return _whole_years(day, today) >= limit
        if op == "age_below":
            return _whole_years(day, today) < limit
        ago = (today - day).days
        if op == "within_days":
            return 0 <= ago <= limit
        return ago >= limit  # at_least_days_ago


@dataclass(frozen=True)
class Rule:
    """One row of the table, checked: what it tests, why it offers, what means it is held."""

    code: str
    tests: tuple[Test, ...]
    reason: str
    en: dict[str, Any]  # {"reason": the English reason}
    held_licence: str = ""
    household: bool = False

    @property
    def elements(self) -> frozenset[str]:
        """Every element the evaluation needs for this rule, from one registry look-up."""
        found = {t.element for t in self.tests}
        if self.held_licence:
            found.add(f"licence.{self.held_licence}")
        if self.household:
            found.add("household.members")
        return frozenset(found)

    def matches(self, values: Mapping[str, Any], today: date) -> bool:
        return all(t.holds(values.get(t.element), today) for t in self.tests)

    def held(self, values: Mapping[str, Any]) -> bool:
        """The registry says the person holds it already (the e-licence it grants)."""
        return bool(self.held_licence) and values.get(f"licence.{self.held_licence}") is not None

    def fill(self, template: str, values: Mapping[str, Any], today: date) -> str:
        """The reason ``template`` (in some language) with the person's facts filled in."""
        age = next((t.element for t in self.tests if t.operator in AGE_OPERATORS), None)

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name == AGE and age is not None:
                born = _as_date(values.get(age))
                return str(_whole_years(born, today)) if born is not None else ""
            found = values.get(name)
            return "" if found is None else str(found)

        return PLACEHOLDER.sub(value, template)


def parse_tests(when: Any) -> tuple[Test, ...]:
    """``{element: {operator: operand}}`` as tests; raises ``OfferRuleError``."""
    if not isinstance(when, dict) or not when:
        raise OfferRuleError("'when' must map data elements to tests")
    tests: list[Test] = []
    for element, ops in when.items():
        if element not in REGISTRY_ELEMENTS:
            raise OfferRuleError(f"unknown data element {element!r} (not one a registry serves)")
        if not isinstance(ops, dict) or not ops:
            raise OfferRuleError(f"{element}: give its test as {{operator: value}}")
        for op, operand in ops.items():
            tests.append(Test(element, op, _operand(element, op, operand)))
    return tuple(tests)


def _operand(element: str, op: Any, operand: Any) -> Any:
    if op not in OPERATORS:
        raise OfferRuleError(
            f"{element}: unknown test {op!r} (one of {', '.join(sorted(OPERATORS))})"
        )
    if op == "equals":
        if not isinstance(operand, str | int) or isinstance(operand, bool):
            raise OfferRuleError(f"{element}: {op} takes a value, not {operand!r}")
        return operand
    if op in TEXT_OPERATORS:
        if not isinstance(operand, list) or not operand:
            raise OfferRuleError(f"{element}: {op} takes a list of values, not {operand!r}")
        return tuple(operand)
    if isinstance(operand, bool) or not isinstance(operand, int) or operand < 0:
        raise OfferRuleError(f"{element}: {op} takes a whole number, not {operand!r}")
    return operand


def parse_rule(row: Any) -> Rule:
    """A row of offers.yaml as a ``Rule``; raises ``OfferRuleError``. The matter or bundle it
    offers is checked by the loader, which knows the catalogue."""
    if not isinstance(row, dict):
        raise OfferRuleError("a rule is a mapping")
    unknown = sorted(set(row) - KEYS)
    if unknown:
        raise OfferRuleError(f"unknown keys {unknown}")
    code = row.get("id")
    if not isinstance(code, str) or not RULE_ID.match(code) or len(code) > 64:
        raise OfferRuleError(f"id {code!r} is not lower-case words joined by hyphens")
    if ("matter" in row) == ("bundle" in row):
        raise OfferRuleError("offer exactly one of 'matter' or 'bundle'")
    return build_rule(
        code=code,
        when=row.get("when"),
        reason=row.get("reason"),
        en=row.get("en") or {},
        held_licence=row.get("held_licence") or "",
        household=row.get("household", False),
    )


def build_rule(
    *, code: str, when: Any, reason: Any, en: Any, held_licence: Any, household: Any
) -> Rule:
    """A checked ``Rule`` from its parts (a row of the file, or the row the loader stored)."""
    tests = parse_tests(when)
    if not isinstance(reason, str) or not reason.strip():
        raise OfferRuleError("no reason: say why, in words the person understands")
    if not isinstance(en, dict) or not isinstance(en.get("reason"), str) or not en["reason"]:
        raise OfferRuleError("no English reason (en: {reason: …})")
    tested = {t.element for t in tests}
    has_age = any(t.operator in AGE_OPERATORS for t in tests)
    for text in (reason, en["reason"]):
        for name in PLACEHOLDER.findall(text):
            if not (name in tested or (name == AGE and has_age)):
                raise OfferRuleError(
                    f"the reason names {{{name}}}, which the rule does not test"
                    + (" ({age} needs an age test)" if name == AGE else "")
                )
    if held_licence and held_licence not in LicenceType.values:
        raise OfferRuleError(f"held_licence {held_licence!r} is not an e-licence type")
    if not isinstance(household, bool):
        raise OfferRuleError(f"household must be true or false, not {household!r}")
    return Rule(
        code=code,
        tests=tests,
        reason=reason.strip(),
        en={"reason": en["reason"].strip()},
        held_licence=str(held_licence),
        household=household,
    )
