"""Chinese resident identity numbers and unified social credit codes.

Resident identity numbers (居民身份证号码) follow GB 11643-1999::

    AAAAAA YYYYMMDD SSS C
    |      |        |   +-- check character (0-9 or X), ISO 7064 MOD 11-2
    |      |        +------ sequence; odd = male, even = female
    |      +--------------- date of birth
    +---------------------- address code of the place of registration when
                            the number was issued (not necessarily of birth)

Legacy 15-digit numbers (``AAAAAA YYMMDD SSS``, no check character) are
upgraded by inserting ``19`` before the year and computing the check character.

The address code is checked against python-stdnum's ``cn/loc`` database. A code
is accepted if it was *ever* in use: numbers keep the code they were issued
with, so a person born in 1974 can legitimately hold a 320205 number although
stdnum records 320205 only from 2000 on. This is why ``stdnum.cn.ric.validate``
(which requires the code to be in use in the birth year) is deliberately not
used.

Unified social credit codes (统一社会信用代码) follow GB 32100-2015: 18
characters from ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I, O, S, V, Z), the
third to eighth being the digits of the registering region code, with a
MOD 31 check character.

The module does not need Django settings to be imported or to validate: error
messages are lazy translation strings, only rendered when displayed.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Final, Literal

from django.conf import settings
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from stdnum import numdb

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

__all__ = [
    "ID_NUMBER_PATTERN",
    "ErrorCode",
    "IdNumber",
    "InvalidIdNumber",
    "check_character",
    "is_valid",
    "is_valid_uscc",
    "known_region",
    "make",
    "mask",
    "mask_phone",
    "normalise",
    "parse",
    "redact_numbers",
    "region_name",
    "region_parts",
    "uscc_check_character",
    "validate_uscc",
]

ErrorCode = Literal["empty", "length", "format", "checksum", "birth_date", "future", "region"]
Sex = Literal["M", "F"]

DIGITS: Final = "0123456789"
#: What an ID number looks like: 18 characters, digits with an X allowed last, or a legacy 15
#: digits. For documents such as the API's OpenAPI schema; :func:`parse` checks far more (the
#: date, the region, the check character) and also takes full-width characters and spaces.
ID_NUMBER_PATTERN: Final = r"^(?:[0-9]{17}[0-9Xx]|[0-9]{15})$"
EARLIEST_BIRTH_YEAR: Final = 1880

# Weight of position i (0-based) is 2**(17 - i) mod 11.
_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# Check character indexed by (weighted sum mod 11).
_ID_CHECK: Final = "10X98765432"

USCC_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Weight of position i (0-based) is 3**i mod 31.
_USCC_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def _build_normalise_table() -> dict[int, str]:
    table: dict[int, str] = {0x3000: " "}  # ideographic space
    for codepoint in range(0xFF01, 0xFF5F):  # full-width ASCII variants
        table[codepoint] = chr(codepoint - 0xFEE0).upper()
    for codepoint in range(ord("a"), ord("z") + 1):
        table[codepoint] = chr(codepoint).upper()
    return table


_NORMALISE_TABLE: Final = _build_normalise_table()


class InvalidIdNumber(ValueError):
    """An identity number or credit code failed validation.

    ``code`` says what is wrong (one of :data:`ErrorCode`); ``message`` is a
    lazy translatable text meant for the clerk. ``str(exc)`` renders the
    message in the language active at that moment.
    """

    code: ErrorCode
    message: StrOrPromise

    def __init__(self, code: ErrorCode, message: StrOrPromise) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return str(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.code, self.message))


@dataclass(frozen=True)
class IdNumber:
    """A validated 18-character resident identity number."""

    value: str
    region_code: str
    birth_date: date
    sex: Sex
    upgraded_from_15: bool

    @property
    def region_name(self) -> str | None:
        """Name of the issuing region, e.g. "江苏省无锡市锡山区" (latest name)."""
        return region_name(self.region_code)

    @property
    def masked(self) -> str:
        return mask(self.value)

    def age_on(self, day: date) -> int:
        """Age in completed years on ``day``.

        Someone born on 29 February becomes a year older on 1 March in common
        years. Raises ValueError if ``day`` is before the birth date.
        """
        if day < self.birth_date:
            raise ValueError(f"{day.isoformat()} is before the birth date")
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


# --------------------------------------------------------------------------
# Normalisation and masking
# --------------------------------------------------------------------------


def normalise(raw: str) -> str:
    """Strip surrounding whitespace, map full-width characters to half-width
    and upper-case ASCII letters (so a final "x" becomes "X").

    Does not validate anything.
    """
    return raw.translate(_NORMALISE_TABLE).strip()


def mask(value: str) -> str:
    """Hide the middle of an identity number for display.

    18 characters keep the first 6 and last 4 ("320205********0027"); other
    values of 8 or more characters keep the first 3 and last 2; shorter
    values are masked completely.
    """
    length = len(value)
    if length == 18:
        return value[:6] + "*" * 8 + value[-4:]
    if length >= 8:
        return value[:3] + "*" * (length - 5) + value[-2:]
    return "*" * length


def mask_phone(value: str) -> str:
    """Hide the middle of a phone number: "13812345678" → "138****5678".

    Other values of 8 or more characters keep the first 3 and last 2;
    shorter values are masked completely.
    """
    length = len(value)
    if length == 11:
        return value[:3] + "****" + value[-4:]
    if length >= 8:
        return value[:3] + "*" * (length - 5) + value[-2:]
    return "*" * length


def person_ref(id_number: str) -> str:
    """A stable keyed reference to a person (HMAC-SHA256 under the audit key, 32 hex digits):
    who holds the key computes it from a number to find every trace of that person; nobody
    else can tell whose it is."""
    key = str(settings.AUDIT_KEY).encode()
    return hmac.new(key, b"subject:" + id_number.encode(), hashlib.sha256).hexdigest()[:32]


def mask_account(value: str) -> str:
    """Keep the last four digits of a bank account: "6222…1234" → "************1234"."""
    return "*" * max(0, len(value) - 4) + value[-4:]


def mask_value(kind: str, value: Any) -> Any:
    """A typed value as one who may not see it in full sees it: ID, phone and account numbers
    masked, and the ID numbers of a list of people (household members)."""
    if value in (None, ""):
        return value
    if kind == "id_number":
        return mask(str(value))
    if kind == "phone":
        return mask_phone(str(value))
    if kind == "bank_account":
        return mask_account(str(value))
    if kind == "list" and isinstance(value, list):
        return [
            {**item, "id_number": mask(str(item["id_number"]))}
            if isinstance(item, dict) and "id_number" in item
            else item
            for item in value
        ]
    return value


# A number as people type it: digits (``\d`` also matches full-width ones) in groups that one
# or two spaces, hyphens or brackets may separate ("138 1234 5678", "(0510) 8123-4567",
# "320205 19740512 0027"), perhaps ending in the X of an ID number; never part of a longer run.
_SEPARATOR: Final = r"[ \u3000\-\uff0d\u2010-\u2014()\uff08\uff09]{1,2}"
_NUMBER_RUN: Final = re.compile(rf"(?<!\d)\d(?:(?:{_SEPARATOR})?\d)*[XxＸｘ]?(?!\d)")
_CHECK_X: Final = frozenset("XxＸｘ")
_PHONE: Final = re.compile(
    r"(?:86)?1[3-9]\d{9}"  # a mobile number, perhaps with the country code
    r"|0[1-9]\d{8,10}"  # a landline: area code 0xx or 0xxx, then 7 or 8 digits
)
_MOBILE_INSIDE: Final = re.compile(r"1[3-9]\d{9}")


def _dated(digits: str) -> bool:
    """Whether an 18- or 15-character number has a plausible birth date where an ID has it."""
    date_part = digits[6:14] if len(digits) >= 17 else "19" + digits[6:12]
    year, month, day = date_part[:4], date_part[4:6], date_part[6:8]
    return year[:2] in ("18", "19", "20") and "01" <= month <= "12" and "01" <= day <= "31"


def _redact_run(match: re.Match[str]) -> str:
    run = match.group()
    x = "X" if run[-1] in _CHECK_X else ""
    digits = "".join(str(unicodedata.decimal(c)) for c in run if c.isdecimal())
    id_shaped = len(digits) in (15, 18) or (x and len(digits) == 17)
    if id_shaped and _dated(digits):
        return mask(digits + x)  # an ID number, wherever it is
    before = match.string[match.start() - 1 : match.start()]
    tail = run[-1] if x else ""  # an X after a number that is no ID number stays as it is
    if len(digits) >= 15 and not (before.isascii() and before.isalpha()):
        # An ID number with a typo, a bank card, or numbers typed together; but not the
        # digits of a code that starts with letters (an application number GD2026…).
        return mask(digits) + tail if not id_shaped else mask(digits + x)
    if len(digits) == 13 and digits.startswith("86") and _PHONE.fullmatch(digits):
        return "86" + mask_phone(digits[2:]) + tail
    if _PHONE.fullmatch(digits) or (12 <= len(digits) <= 14 and _MOBILE_INSIDE.search(digits)):
        return mask_phone(digits) + tail
    return run


def redact_numbers(text: str) -> str:
    """``text`` with every ID-like and phone-like number in it masked, for what is stored or
    logged outside the records that need them (a search typed by anyone, a log line).

    ID-like: 18 characters (17 digits and a digit or X) or 15 digits with a birth date where
    an ID number has it; and any other run of 15 or more digits (an ID number mistyped, a bank
    card, numbers typed together) unless it follows letters, as the digits of a code such as
    an application number do. Phone-like: an 11-digit mobile number (1[3-9]…, perhaps after
    86), a landline with its area code (0 and 9 to 11 more digits), or a run of 12 to 14
    digits with a mobile number in it. Digits may be full-width and grouped by spaces, hyphens
    or brackets. Idempotent: a masked number is left as it is.
    """
    return _NUMBER_RUN.sub(_redact_run, text)


# --------------------------------------------------------------------------
# Region codes (python-stdnum cn/loc)
# --------------------------------------------------------------------------

_ERA_RE: Final = re.compile(r"^\[(?P<start>\d*)-(?P<end>\d*)\](?P<name>.*)$")
# Placeholder names at the prefecture level (municipality districts/counties,
# 神农架's "林区"); together with "...直辖..." (county-level units directly under
# a province) they are left out of region names.
_GENERIC_PREFECTURE_NAMES: Final = frozenset({"市辖区", "县", "林区"})


def _is_six_digits(code: str) -> bool:
    return len(code) == 6 and all(c in DIGITS for c in code)


def _lookup(code: str) -> tuple[str, str] | None:
    """(province name, raw ``county`` property) for a 6-digit code, or None."""
    if not _is_six_digits(code):
        return None
    props: dict[str, str] = {}
    for _part, part_props in numdb.get("cn/loc").info(code):
        props.update(part_props)
    county = props.get("county")
    if not county:
        return None
    return props.get("province", ""), county


def _latest_name(county: str) -> str:
    """Pick the latest-era name from a stdnum ``county`` property.

    The property is either a plain name or comma-separated entries of the form
    ``[start-end]name`` where either year may be empty (open-ended).
    """
    best_key: tuple[int, int, int] | None = None
    best_name = county
    for index, entry in enumerate(county.split(",")):
        match = _ERA_RE.match(entry)
        if match is None:
            start, end, name = None, None, entry
        else:
            start = int(match["start"]) if match["start"] else None
            end = int(match["end"]) if match["end"] else None
            name = match["name"]
        key = (
            end if end is not None else 10_000,
            start if start is not None else 0,
            index,
        )
        if best_key is None or key > best_key:
            best_key, best_name = key, name
    return best_name.strip()


@functools.lru_cache(maxsize=4096)
def known_region(code: str) -> bool:
    """Whether ``code`` is a 6-digit address code known in any era."""
    return _lookup(code) is not None


@functools.lru_cache(maxsize=4096)
def region_parts(code: str) -> tuple[str, ...] | None:
    """Province, prefecture (when meaningful) and county names of ``code``.

    Each level uses its latest-era name, e.g. 320205 → ("江苏省", "无锡市",
    "锡山区"). Returns None for codes never known.
    """
    found = _lookup(code)
    if found is None:
        return None
    province, county = found
    own_name = _latest_name(county)
    if code[2:] == "0000":
        return (own_name or province,)
    parts = [province] if province else []
    if code[4:] != "00":
        prefecture = _lookup(code[:4] + "00")
        if prefecture is not None:
            prefecture_name = _latest_name(prefecture[1])
            if prefecture_name not in _GENERIC_PREFECTURE_NAMES and "直辖" not in prefecture_name:
                parts.append(prefecture_name)
    parts.append(own_name)
    return tuple(parts)


@functools.lru_cache(maxsize=4096)
def region_name(code: str) -> str | None:
    """Full latest-era name of ``code`` ("江苏省无锡市锡山区"), or None."""
    parts = region_parts(code)
    return "".join(parts) if parts is not None else None


# --------------------------------------------------------------------------
# Resident identity numbers
# --------------------------------------------------------------------------


def _all_digits(text: str) -> bool:
    return all(c in DIGITS for c in text)


def check_character(first17: str) -> str:
    """Check character (0-9 or X) for the first 17 digits of an ID number."""
    if len(first17) != 17 or not _all_digits(first17):
        raise ValueError("check_character() needs exactly 17 ASCII digits")
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def make(region_code: str, birth_date: date, sequence: int) -> str:
    """Build an 18-character ID number with a correct check character.

    ``parse`` accepts the result when the region code is known and the birth
    date lies between 1880 and today. An odd sequence makes a man, an even
    one a woman.
    """
    if not _is_six_digits(region_code):
        raise ValueError("region_code must be 6 ASCII digits")
    if not 0 <= sequence <= 999:
        raise ValueError("sequence must be between 0 and 999")
    first17 = f"{region_code}{birth_date.year:04d}{birth_date.month:02d}{birth_date.day:02d}"
    first17 += f"{sequence:03d}"
    return first17 + check_character(first17)


def _first_bad_character(value: str, allowed_last: str) -> tuple[int, str] | None:
    last = len(value) - 1
    for index, char in enumerate(value):
        if char in DIGITS or (index == last and char in allowed_last):
            continue
        return index + 1, char
    return None


def _today() -> date:
    """Today where the deployment is (``TIME_ZONE``); used without Django settings (a script),
    the date of the machine's clock."""
    if settings.configured:
        return timezone.localdate()
    return date.today()  # server clock: no Django settings, no deployment time zone


def parse(raw: str, *, today: date | None = None) -> IdNumber:
    """Validate a resident identity number and return its parts.

    Accepts 18-character numbers and legacy 15-digit numbers (which are
    upgraded). ``today`` (default: the current date) bounds the birth date.
    Raises :class:`InvalidIdNumber`.
    """
    value = normalise(raw)
    if not value:
        raise InvalidIdNumber("empty", _("No ID number was entered."))

    upgraded = False
    if len(value) == 18:
        bad = _first_bad_character(value, allowed_last="X")
        if bad is not None:
            raise InvalidIdNumber(
                "format",
                format_lazy(
                    _(
                        'Character {position} ("{char}") is not allowed: an ID number has only '
                        "digits, with an X allowed only as the last character."
                    ),
                    position=bad[0],
                    char=bad[1],
                ),
            )
        expected = check_character(value[:17])
        if value[17] != expected:
            raise InvalidIdNumber(
                "checksum",
                format_lazy(
                    _("The check digit is wrong: the last character should be {expected}."),
                    expected=expected,
                ),
            )
    elif len(value) == 15:
        bad = _first_bad_character(value, allowed_last="")
        if bad is not None:
            raise InvalidIdNumber(
                "format",
                format_lazy(
                    _(
                        'Character {position} ("{char}") is not allowed: an old 15-digit ID '
                        "number has only digits."
                    ),
                    position=bad[0],
                    char=bad[1],
                ),
            )
        first17 = value[:6] + "19" + value[6:]
        value = first17 + check_character(first17)
        upgraded = True
    else:
        raise InvalidIdNumber(
            "length",
            format_lazy(
                _(
                    "An ID number has 18 characters (old numbers have 15), "
                    "but this one has {count}."
                ),
                count=len(value),
            ),
        )

    digits = value[6:14]
    try:
        birth = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise InvalidIdNumber(
            "birth_date",
            format_lazy(
                _("The birth date in the number ({digits}) is not a real date."),
                digits=digits,
            ),
        ) from None
    if birth.year < EARLIEST_BIRTH_YEAR:
        raise InvalidIdNumber(
            "birth_date",
            format_lazy(
                _("The birth year in the number ({year}) is before {earliest}."),
                year=birth.year,
                earliest=EARLIEST_BIRTH_YEAR,
            ),
        )
    if birth > (today if today is not None else _today()):
        raise InvalidIdNumber(
            "future",
            format_lazy(
                _("The birth date in the number ({date}) is in the future."),
                date=birth.isoformat(),
            ),
        )

    region_code = value[:6]
    if not known_region(region_code):
        raise InvalidIdNumber(
            "region",
            format_lazy(
                _("The first six digits ({code}) are not a known region code."),
                code=region_code,
            ),
        )

    sex: Sex = "M" if int(value[16]) % 2 else "F"
    return IdNumber(
        value=value,
        region_code=region_code,
        birth_date=birth,
        sex=sex,
        upgraded_from_15=upgraded,
    )


def is_valid(raw: str) -> bool:
    """Whether ``raw`` is a valid resident identity number (18 or 15 digits)."""
    try:
        parse(raw)
    except InvalidIdNumber:
        return False
    return True


# --------------------------------------------------------------------------
# Unified social credit codes
# --------------------------------------------------------------------------


def uscc_check_character(first17: str) -> str:
    """Check character for the first 17 characters of a credit code."""
    if len(first17) != 17 or any(c not in USCC_ALPHABET for c in first17):
        raise ValueError(f"uscc_check_character() needs 17 characters from {USCC_ALPHABET}")
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(raw: str) -> str:
    """Validate a unified social credit code and return it normalised.

    Raises :class:`InvalidIdNumber` with code "empty", "length", "format" or
    "checksum".
    """
    value = normalise(raw)
    if not value:
        raise InvalidIdNumber("empty", _("No unified social credit code was entered."))
    if len(value) != 18:
        raise InvalidIdNumber(
            "length",
            format_lazy(
                _("A unified social credit code has 18 characters, but this one has {count}."),
                count=len(value),
            ),
        )
    for index, char in enumerate(value):
        if char not in USCC_ALPHABET:
            raise InvalidIdNumber(
                "format",
                format_lazy(
                    _(
                        'Character {position} ("{char}") is not allowed: a unified social '
                        "credit code has only digits and capital letters other than "
                        "I, O, S, V and Z."
                    ),
                    position=index + 1,
                    char=char,
                ),
            )
    if not _all_digits(value[2:8]):
        raise InvalidIdNumber(
            "format",
            _(
                "Characters 3 to 8 of a unified social credit code are the region code "
                "and must be digits."
            ),
        )
    expected = uscc_check_character(value[:17])
    if value[17] != expected:
        raise InvalidIdNumber(
            "checksum",
            format_lazy(
                _("The check character is wrong: the last character should be {expected}."),
                expected=expected,
            ),
        )
    return value


def is_valid_uscc(raw: str) -> bool:
    """Whether ``raw`` is a valid unified social credit code."""
    try:
        validate_uscc(raw)
    except InvalidIdNumber:
        return False
    return True
