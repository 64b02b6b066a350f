"""Validating a typed value against its data element. Errors are translated messages."""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from govdesk.common.idnumbers import InvalidIdNumber, parse

PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$", re.ASCII)
MONTH = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)


class FieldInvalid(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _choice_keys(choices: list[list[str]]) -> list[str]:
    return [str(c[0]) for c in choices]


#: Types whose text is digits and separators: full-width forms (typed with a Chinese input
#: method, ２０２６-１２) are folded to ASCII (NFKC) before they are checked and stored.
NUMERIC_TYPES = frozenset(
    {"date", "month", "integer", "money", "id_number", "phone", "bank_account"}
)


def clean_value(*, type: str, choices: list[list[str]], raw: Any) -> Any:
    """The normalised value, or ``FieldInvalid`` with a message for the person typing."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise FieldInvalid(_("This field cannot be empty."))
    if type in NUMERIC_TYPES:  # a list or a dict fails each check below as its text would
        raw = unicodedata.normalize("NFKC", str(raw))
    if type in {"string", "text"}:
        value = str(raw).strip()
        limit = 200 if type == "string" else 2000
        if len(value) > limit:
            raise FieldInvalid(_("Too long: at most %(n)d characters.") % {"n": limit})
        return value
    if type == "choice":
        value = str(raw).strip()
        if value not in _choice_keys(choices):
            allowed = "、".join(str(c[1]) for c in choices)
            raise FieldInvalid(_("Choose one of: %(allowed)s.") % {"allowed": allowed})
        return value
    if type == "multichoice":
        items = raw if isinstance(raw, list) else [raw]
        keys = _choice_keys(choices)
        bad = [str(i) for i in items if str(i) not in keys]
        if bad or not items:
            allowed = "、".join(str(c[1]) for c in choices)
            raise FieldInvalid(_("Choose from: %(allowed)s.") % {"allowed": allowed})
        return [str(i) for i in items]
    if type == "date":
        try:
            return date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError as exc:
            raise FieldInvalid(_("Enter a date as YYYY-MM-DD.")) from exc
    if type == "month":
        match = MONTH.match(str(raw).strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise FieldInvalid(_("Enter a month as YYYY-MM."))
        return match.group(0)
    if type in {"integer", "money"}:
        try:
            number = int(raw.strip()) if type == "integer" else round(float(raw), 2)
        except ValueError as exc:
            raise FieldInvalid(_("Enter a number.")) from exc
        if not math.isfinite(number):
            raise FieldInvalid(_("Enter a number."))
        if number < 0:
            raise FieldInvalid(_("The number cannot be negative."))
        return number
    if type == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"true", "1", "yes", "是"}:
            return True
        if text in {"false", "0", "no", "否"}:
            return False
        raise FieldInvalid(_("Answer yes or no."))
    if type == "id_number":
        try:
            return parse(str(raw)).value
        except InvalidIdNumber as exc:
            raise FieldInvalid(str(exc.message)) from exc
    if type == "phone":
        value = re.sub(r"[\s()]", "", str(raw))
        if not PHONE.match(value):
            raise FieldInvalid(_("Enter an 11-digit mobile number or a landline number."))
        return value
    if type == "bank_account":
        value = re.sub(r"\s", "", str(raw))
        if not (value.isascii() and value.isdigit()) or not 12 <= len(value) <= 30:
            raise FieldInvalid(_("Enter the account number: 12 to 30 digits."))
        return value
    raise FieldInvalid(_("This field cannot be typed."))
