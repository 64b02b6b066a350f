"""Derived values: computed from other elements, never typed.

Each rule names its inputs so the prefill engine fetches every input in the same bulk look-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from govdesk.people.models import DibaoStatus, DisabilityGrade

Values = dict[str, Any]


@dataclass(frozen=True)
class Rule:
    inputs: tuple[str, ...]
    compute: Callable[[Values, date], Any]


def age_on(birth: str | None, today: date) -> int | None:
    if not birth:
        return None
    born = date.fromisoformat(birth)
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def anniversary(born: date, years: int) -> date:
    """The day ``years`` after ``born``; someone born on 29 February reaches it on 28 February
    of a common year (``date.replace`` would raise)."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return born.replace(year=born.year + years, day=28)


def months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def _unemployed_months(v: Values, today: date) -> int | None:
    if v.get("employment.status") == "employed":
        return 0
    ended = v.get("employment.end_date")
    if not ended:
        return None
    return max(0, months_between(date.fromisoformat(ended), today))


def _zero_employment(v: Values, today: date) -> bool | None:
    statuses = v.get("household.member_employment")
    if statuses is None:
        return None
    working_age = [s for s in statuses if s["age"] is not None and 16 <= s["age"] < 60]
    return bool(working_age) and not any(s["status"] == "employed" for s in working_age)


def difficulty_categories(v: Values, today: date) -> list[str]:
    """The employment-difficulty categories the facts support (苏人社规〔2020〕2号).
    Proposed to the clerk; the district decides."""
    found = []
    if v.get("dibao.status") == DibaoStatus.ACTIVE:
        found.append("低保家庭成员")
    age, sex = v.get("person.age"), v.get("person.sex")
    if age is not None and ((sex == "F" and age >= 40) or (sex == "M" and age >= 50)):
        found.append("4050人员")
    if v.get("disability.grade") not in (None, "", DisabilityGrade.NONE):
        found.append("残疾人")
    if v.get("household.zero_employment"):
        found.append("零就业家庭成员")
    months = v.get("employment.unemployed_months")
    if months is not None and months >= 12:
        found.append("连续失业一年以上")
    if v.get("veteran.status"):
        found.append("退役军人")
    return found


# Retirement ages used for the subsidy period of flexible workers (women 55, men 60).
RETIREMENT_AGE = {"F": 55, "M": 60}


def _subsidy_months(v: Values, today: date) -> int | None:
    """Up to 36 months; until retirement (at most 60 months) for women 45+ / men 55+."""
    age, sex, birth = v.get("person.age"), v.get("person.sex"), v.get("person.birth_date")
    start = v.get("subsidy.start_month")
    if age is None or sex not in RETIREMENT_AGE or not birth or not start:
        return None
    if (sex == "F" and age >= 45) or (sex == "M" and age >= 55):
        retire = anniversary(date.fromisoformat(birth), RETIREMENT_AGE[sex])
        begin = date.fromisoformat(f"{start}-01")
        return max(0, min(60, months_between(begin, retire)))
    return 36


def _next_month(today: date) -> str:
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return f"{year:04d}-{month:02d}"


RULES: dict[str, Rule] = {
    "person.age": Rule(("person.birth_date",), lambda v, t: age_on(v.get("person.birth_date"), t)),
    "residence.address": Rule(("household.address",), lambda v, t: v.get("household.address")),
    "employment.unemployed_months": Rule(
        ("employment.status", "employment.end_date"), _unemployed_months
    ),
    "household.zero_employment": Rule(("household.members",), _zero_employment),
    "employment.difficulty_category": Rule(
        (
            "dibao.status",
            "person.age",
            "person.sex",
            "disability.grade",
            "household.zero_employment",
            "employment.unemployed_months",
            "veteran.status",
        ),
        difficulty_categories,
    ),
    "subsidy.start_month": Rule(
        ("insurance.start_month",), lambda v, t: v.get("insurance.start_month")
    ),
    "subsidy.period_months": Rule(
        ("person.age", "person.sex", "person.birth_date", "subsidy.start_month"), _subsidy_months
    ),
}

DEFAULTS: dict[str, Callable[[date], Any]] = {
    "today": lambda t: t.isoformat(),
    "next_month": _next_month,
}


def default_value(spec: Any, today: date) -> Any:
    if isinstance(spec, str) and spec in DEFAULTS:
        return DEFAULTS[spec](today)
    return spec


def inputs_closure(keys: set[str]) -> set[str]:
    """Every element needed to compute ``keys``, derived ones included."""
    needed = set(keys)
    stack = list(keys)
    while stack:
        rule = RULES.get(stack.pop())
        if rule is None:
            continue
        for name in rule.inputs:
            if name not in needed:
                needed.add(name)
                stack.append(name)
    return needed


def derivation_order(keys: set[str]) -> list[str]:
    """Derived keys in an order where each comes after its derived inputs."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(key: str) -> None:
        if key in seen or key not in RULES:
            return
        seen.add(key)
        for name in RULES[key].inputs:
            visit(name)
        order.append(key)

    for key in sorted(keys):
        visit(key)
    return order
