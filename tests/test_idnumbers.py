"""Tests for govdesk.common.idnumbers (no database needed)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from datetime import date
from pathlib import Path

import django
import pytest
from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from hypothesis import given
from hypothesis import strategies as st
from stdnum import numdb
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

from govdesk.common import idnumbers
from govdesk.common.idnumbers import (
    IdNumber,
    InvalidIdNumber,
    check_character,
    is_valid,
    is_valid_uscc,
    known_region,
    make,
    mask,
    mask_phone,
    normalise,
    parse,
    region_name,
    region_parts,
    uscc_check_character,
    validate_uscc,
)

# Rendering the lazy messages needs translation machinery; when the project's
# settings are not loaded (e.g. ``pytest -p no:django``) use bare defaults.
if not settings.configured:
    settings.configure()
    django.setup()

SRC = Path(__file__).resolve().parents[1] / "src"

PERSONAS: list[tuple[str, str, date]] = [
    ("320205197405120027", "F", date(1974, 5, 12)),
    ("320205197804160018", "M", date(1978, 4, 16)),
    ("320205196803090017", "M", date(1968, 3, 9)),
    ("32020519700815002X", "F", date(1970, 8, 15)),
    ("320205199502070032", "M", date(1995, 2, 7)),
    ("320213198501030026", "F", date(1985, 1, 3)),
    ("320205201206010019", "M", date(2012, 6, 1)),
    ("320205193909210044", "F", date(1939, 9, 21)),
]

CURRENT_CODES = ["110101", "320205", "320213", "320102", "440305", "510104"]
# Codes stdnum records as in use only in earlier eras:
# 110103 "[-2010]崇文区" and 110201 "[-1982]昌平县" (Beijing).
RETIRED_CODES = ["110103", "110201"]
ALL_CODES = CURRENT_CODES + RETIRED_CODES

ID_CHARS = "0123456789X"

valid_numbers = st.builds(
    make,
    st.sampled_from(ALL_CODES),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)),
    st.integers(min_value=0, max_value=999),
)


def _rejection(raw: str, **kwargs: date) -> InvalidIdNumber:
    with pytest.raises(InvalidIdNumber) as info:
        parse(raw, **kwargs)
    return info.value


# ---------------------------------------------------------------- personas


@pytest.mark.parametrize(("value", "sex", "birth"), PERSONAS)
def test_personas_validate(value: str, sex: str, birth: date) -> None:
    parsed = parse(value)
    assert parsed == IdNumber(
        value=value,
        region_code=value[:6],
        birth_date=birth,
        sex=sex,  # type: ignore[arg-type]
        upgraded_from_15=False,
    )
    assert is_valid(value)


def test_personas_are_ones_stdnum_ric_would_wrongly_reject() -> None:
    # stdnum.cn.ric insists 320205 existed in the birth year (it records
    # [2000-]锡山区); we deliberately accept any code known in any era.
    assert not stdnum_ric.is_valid("320205197405120027")
    assert is_valid("320205197405120027")


def test_lower_case_x_is_accepted_and_normalised() -> None:
    parsed = parse("32020519700815002x")
    assert parsed.value == "32020519700815002X"
    assert parsed.sex == "F"


def test_full_width_and_whitespace_are_normalised() -> None:
    raw = "\u3000 ３２０２０５１９７００８１５００２ｘ \n"
    assert normalise(raw) == "32020519700815002X"
    assert parse(raw).value == "32020519700815002X"
    assert normalise("  Ｘｘx ") == "XXX"


def test_normalise_does_not_validate() -> None:
    assert normalise(" abc ") == "ABC"
    assert normalise("") == ""


# ---------------------------------------------------------------- properties


def test_retired_codes_really_are_retired_in_stdnum() -> None:
    db = numdb.get("cn/loc")
    for code in RETIRED_CODES:
        props = {k: v for _part, p in db.info(code) for k, v in p.items()}
        entries = props["county"].split(",")
        # Every era entry has an end year: the code is no longer in use.
        assert all(e.startswith("[") and not e.split("]")[0].endswith("-") for e in entries)
    # ... so stdnum rejects numbers issued after the code was retired.
    late = make("110103", date(2015, 3, 1), 11)
    assert not stdnum_ric.is_valid(late)
    assert is_valid(late)


@given(
    st.sampled_from(ALL_CODES),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)),
    st.integers(min_value=0, max_value=999),
)
def test_make_builds_accepted_numbers(code: str, birth: date, sequence: int) -> None:
    value = make(code, birth, sequence)
    assert len(value) == 18
    assert value[-1] == stdnum_ric.calc_check_digit(value)
    parsed = parse(value)
    assert parsed.value == value
    assert parsed.region_code == code
    assert parsed.birth_date == birth
    assert parsed.sex == ("M" if sequence % 2 else "F")
    assert not parsed.upgraded_from_15
    assert parsed.region_name is not None


@given(valid_numbers, st.integers(min_value=0, max_value=17), st.sampled_from(ID_CHARS))
def test_any_single_substitution_is_rejected(value: str, position: int, char: str) -> None:
    if value[position] == char:
        return
    mutated = value[:position] + char + value[position + 1 :]
    assert not is_valid(mutated)


@given(valid_numbers, st.integers(min_value=0, max_value=16))
def test_any_adjacent_transposition_is_rejected(value: str, position: int) -> None:
    a, b = value[position], value[position + 1]
    if a == b:
        return
    mutated = value[:position] + b + a + value[position + 2 :]
    assert not is_valid(mutated)


def test_every_substitution_and_transposition_of_a_persona_is_rejected() -> None:
    for value, _sex, _birth in PERSONAS:
        for position in range(18):
            for char in ID_CHARS:
                if char != value[position]:
                    mutated = value[:position] + char + value[position + 1 :]
                    assert not is_valid(mutated), mutated
        for position in range(17):
            a, b = value[position], value[position + 1]
            if a != b:
                mutated = value[:position] + b + a + value[position + 2 :]
                assert not is_valid(mutated), mutated


# ---------------------------------------------------------------- 15 digits


def test_fifteen_digit_number_is_upgraded() -> None:
    parsed = parse("320205740512002")
    assert parsed.value == "320205197405120027"
    assert parsed.upgraded_from_15 is True
    assert parsed.birth_date == date(1974, 5, 12)
    assert parsed.sex == "F"
    assert parsed.region_code == "320205"


def test_fifteen_digit_number_gets_computed_check_character() -> None:
    parsed = parse(" 110101680309001 ")
    first17 = "11010119680309001"
    assert parsed.value == first17 + check_character(first17)
    assert parsed.sex == "M"
    assert parsed.upgraded_from_15


def test_fifteen_digit_number_is_validated_too() -> None:
    assert _rejection("320205740230002").code == "birth_date"
    assert _rejection("999999740512002").code == "region"
    assert _rejection("32020574051200X").code == "format"


# ---------------------------------------------------------------- rejections


def _with_check(first17: str) -> str:
    return first17 + check_character(first17)


REJECTIONS: list[tuple[str, str, str]] = [
    ("", "empty", "No ID number was entered."),
    ("   ", "empty", "No ID number was entered."),
    ("3202051974051200", "length", "but this one has 16."),
    ("3202051974051200271", "length", "but this one has 19."),
    ("32020519740512002A", "format", 'Character 18 ("A") is not allowed'),
    ("3202051974O5120027", "format", 'Character 11 ("O") is not allowed'),
    ("3202051974051200X7", "format", 'Character 17 ("X") is not allowed'),
    ("ABCDEFGHIJKLMNOPQR", "format", 'Character 1 ("A") is not allowed'),
    ("32020574O512002", "format", "old 15-digit ID number has only digits"),
    (
        "320205197405120028",
        "checksum",
        "The check digit is wrong: the last character should be 7.",
    ),
    (
        "320205197008150021",
        "checksum",
        "The check digit is wrong: the last character should be X.",
    ),
    (
        _with_check("32020519990230001"),
        "birth_date",
        "The birth date in the number (19990230) is not a real date.",
    ),
    (
        _with_check("32020519991301001"),
        "birth_date",
        "The birth date in the number (19991301) is not a real date.",
    ),
    (
        make("320205", date(1879, 12, 31), 1),
        "birth_date",
        "The birth year in the number (1879) is before 1880.",
    ),
    (
        make("999999", date(1980, 1, 1), 1),
        "region",
        "The first six digits (999999) are not a known region code.",
    ),
    (make("000000", date(1980, 1, 1), 2), "region", "(000000)"),
]


@pytest.mark.parametrize(("raw", "code", "message"), REJECTIONS)
def test_rejections(raw: str, code: str, message: str) -> None:
    error = _rejection(raw)
    assert error.code == code
    assert isinstance(error.message, Promise)
    with translation.override("en"):
        assert message in str(error)
        assert message in str(error.message)
    assert not is_valid(raw)


def test_future_birth_date_relative_to_injected_today() -> None:
    value = make("320205", date(2025, 6, 2), 1)
    error = _rejection(value, today=date(2025, 6, 1))
    assert error.code == "future"
    with translation.override("en"):
        assert str(error) == "The birth date in the number (2025-06-02) is in the future."
    # Born today is fine; so is anything once "today" has moved on.
    assert parse(value, today=date(2025, 6, 2)).birth_date == date(2025, 6, 2)
    assert parse(value, today=date(2030, 1, 1)).sex == "M"


def test_far_future_birth_date_with_real_today() -> None:
    assert _rejection(make("320205", date(2999, 1, 1), 1)).code == "future"


def test_earliest_birth_year_is_accepted() -> None:
    assert parse(make("320205", date(1880, 1, 1), 2)).birth_date == date(1880, 1, 1)


def test_invalid_id_number_is_a_value_error_and_pickles() -> None:
    error = _rejection("320205197405120028")
    assert isinstance(error, ValueError)
    assert repr(error) == "InvalidIdNumber(code='checksum')"
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own bytes)
    assert copy.code == "checksum"
    with translation.override("en"):
        assert str(copy) == str(error)


def test_module_works_without_django_settings() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(SRC)
    script = (
        "from govdesk.common.idnumbers import is_valid, is_valid_uscc, parse\n"
        "assert is_valid('320205197405120027')\n"
        "assert not is_valid('320205197405120028')\n"
        "assert not is_valid('')\n"
        "assert not is_valid_uscc('91110000100006485J')\n"
        "print(parse('320205740512002').value)\n"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "320205197405120027"


# ---------------------------------------------------------------- helpers


def test_check_character_examples() -> None:
    assert check_character("32020519740512002") == "7"
    assert check_character("32020519700815002") == "X"
    with pytest.raises(ValueError):
        check_character("3202051974051200")
    with pytest.raises(ValueError):
        check_character("3202051974051200X")


def test_make_examples_and_errors() -> None:
    assert make("320205", date(1974, 5, 12), 2) == "320205197405120027"
    assert make("320205", date(1970, 8, 15), 2) == "32020519700815002X"
    with pytest.raises(ValueError):
        make("32020", date(1970, 1, 1), 1)
    with pytest.raises(ValueError):
        make("320205", date(1970, 1, 1), 1000)
    with pytest.raises(ValueError):
        make("320205", date(1970, 1, 1), -1)


def test_age_on() -> None:
    person = parse("320205197405120027")
    assert person.age_on(date(2024, 5, 11)) == 49
    assert person.age_on(date(2024, 5, 12)) == 50
    assert person.age_on(date(1974, 5, 12)) == 0
    with pytest.raises(ValueError):
        person.age_on(date(1974, 5, 11))
    leapling = parse(make("320205", date(2000, 2, 29), 1))
    assert leapling.age_on(date(2001, 2, 28)) == 0
    assert leapling.age_on(date(2001, 3, 1)) == 1
    assert leapling.age_on(date(2004, 2, 29)) == 4


def test_mask_examples() -> None:
    assert mask("320205197405120027") == "320205********0027"
    assert mask("32020519700815002X") == "320205********002X"
    assert mask("320205740512002") == "320**********02"
    assert mask("12345678") == "123***78"
    assert mask("1234567") == "*******"
    assert mask("") == ""


def test_mask_phone_examples() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("051082345678") == "051*******78"
    assert mask_phone("12345678") == "123***78"
    assert mask_phone("12345") == "*****"


def test_region_helpers() -> None:
    assert known_region("320205")
    assert known_region("110103")  # retired in 2010, still a real code
    assert not known_region("999999")
    assert not known_region("3202")
    assert not known_region("32020５")
    assert not known_region("abcdef")
    assert region_name("320205") == "江苏省无锡市锡山区"
    assert region_name("320213") == "江苏省无锡市梁溪区"
    assert region_name("110101") == "北京市东城区"
    assert region_name("110103") == "北京市崇文区"
    assert region_name("320200") == "江苏省无锡市"
    assert region_name("320000") == "江苏省"
    assert region_name("999999") is None
    # Latest-era names out of "[-1991]东郊区,[1992-]东丽区" and
    # "[1983-1989]南头区办事处,[1990-]南山区".
    assert region_name("120110") == "天津市东丽区"
    assert region_name("440305") == "广东省深圳市南山区"
    # Province-administered county-level city: the placeholder prefecture is skipped.
    assert region_name("429004") == "湖北省仙桃市"
    assert region_parts("510104") == ("四川省", "成都市", "锦江区")
    assert parse("320213198501030026").region_name == "江苏省无锡市梁溪区"


def test_region_helpers_are_cached() -> None:
    for helper in (known_region, region_name, region_parts):
        assert hasattr(helper, "cache_info")


# ---------------------------------------------------------------- USCC


def test_known_public_credit_codes() -> None:
    for code in ("91110000100006485K", "91110000600037341L"):
        assert stdnum_uscc.is_valid(code)
        assert validate_uscc(code) == code
        assert is_valid_uscc(code)


def test_computed_credit_code_validates() -> None:
    first17 = "91320200MA1MXXXXX"
    code = first17 + uscc_check_character(first17)
    assert code[-1] == stdnum_uscc.calc_check_digit(code)
    assert stdnum_uscc.is_valid(code)
    assert validate_uscc(code) == code
    assert validate_uscc(" " + code.lower() + "\u3000") == code


def test_credit_code_weights_are_powers_of_three() -> None:
    assert tuple(pow(3, i, 31) for i in range(17)) == idnumbers._USCC_WEIGHTS


USCC_REJECTIONS: list[tuple[str, str, str]] = [
    ("", "empty", "No unified social credit code was entered."),
    ("9111000010000648", "length", "but this one has 16."),
    ("91110000I00006485K", "format", 'Character 9 ("I") is not allowed'),
    ("91110000100006485-", "format", 'Character 18 ("-") is not allowed'),
    ("9111A000100006485K", "format", "Characters 3 to 8"),
    (
        "91110000100006485J",
        "checksum",
        "The check character is wrong: the last character should be K.",
    ),
]


@pytest.mark.parametrize(("raw", "code", "message"), USCC_REJECTIONS)
def test_credit_code_rejections(raw: str, code: str, message: str) -> None:
    with pytest.raises(InvalidIdNumber) as info:
        validate_uscc(raw)
    assert info.value.code == code
    with translation.override("en"):
        assert message in str(info.value)
    assert not is_valid_uscc(raw)


uscc_bodies = st.tuples(
    st.text(alphabet="0123456789", min_size=8, max_size=8),
    st.text(alphabet=idnumbers.USCC_ALPHABET, min_size=9, max_size=9),
).map("".join)


@given(uscc_bodies)
def test_credit_code_check_matches_stdnum(first17: str) -> None:
    code = first17 + uscc_check_character(first17)
    assert code[-1] == stdnum_uscc.calc_check_digit(code)
    assert validate_uscc(code) == code
    assert stdnum_uscc.is_valid(code)


@given(
    uscc_bodies,
    st.integers(min_value=0, max_value=17),
    st.sampled_from(idnumbers.USCC_ALPHABET),
)
def test_credit_code_substitution_is_rejected(first17: str, position: int, char: str) -> None:
    code = first17 + uscc_check_character(first17)
    if code[position] == char:
        return
    assert not is_valid_uscc(code[:position] + char + code[position + 1 :])


@given(uscc_bodies, st.integers(min_value=0, max_value=16))
def test_credit_code_transposition_is_rejected(first17: str, position: int) -> None:
    code = first17 + uscc_check_character(first17)
    a, b = code[position], code[position + 1]
    if a == b:
        return
    assert not is_valid_uscc(code[:position] + b + a + code[position + 2 :])
