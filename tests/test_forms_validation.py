"""Typed values: normalised before they become facts; derived values never crash on a date."""

from __future__ import annotations

import math
from datetime import date

import pytest

from govdesk.forms.derivations import RULES, anniversary
from govdesk.forms.validation import FieldInvalid, clean_value


@pytest.mark.parametrize(
    ("type_", "raw", "expected"),
    [
        ("month", "２０２６－１２", "2026-12"),  # full-width, as a Chinese input method types it
        ("date", "２０２６-０９-３０", "2026-09-30"),
        ("phone", "１３８ ６１７０ １２３４", "13861701234"),
        ("bank_account", "６２１４ ９６００ １２３４ ５６７８", "6214960012345678"),
        ("integer", "１２", 12),
        ("money", "１２.５", 12.5),
        ("id_number", "32020519700815002x", "32020519700815002X"),
    ],
)
def test_full_width_digits_are_folded_to_ascii(type_: str, raw: str, expected: object) -> None:
    assert clean_value(type=type_, choices=[], raw=raw) == expected


@pytest.mark.parametrize(
    ("type_", "raw"),
    [
        ("money", "nan"),
        ("money", "inf"),
        ("money", math.nan),
        ("money", [1]),
        ("integer", {"a": 1}),
        ("month", [2026, 12]),
        ("month", "2026-13"),
        ("phone", "１２３"),
        ("bank_account", "٦٢١٤٩٦٠٠١٢٣٤٥"),  # Arabic-Indic: digits to str.isdigit, not ASCII
    ],
)
def test_bad_values_are_refused_with_a_message(type_: str, raw: object) -> None:
    with pytest.raises(FieldInvalid) as caught:
        clean_value(type=type_, choices=[], raw=raw)
    assert caught.value.message


def test_born_on_29_february_reaches_an_age_on_28_february() -> None:
    assert anniversary(date(1972, 2, 29), 55) == date(2027, 2, 28)
    assert anniversary(date(1972, 2, 29), 56) == date(2028, 2, 29)
    assert anniversary(date(1974, 5, 12), 55) == date(2029, 5, 12)


def test_subsidy_period_for_someone_born_on_29_february() -> None:
    values = {
        "person.age": 54,
        "person.sex": "F",
        "person.birth_date": "1972-02-29",
        "subsidy.start_month": "2026-12",
    }
    # Retirement at 55 on 2027-02-28: two months of subsidy, not a crash.
    assert RULES["subsidy.period_months"].compute(values, date(2026, 11, 27)) == 2
