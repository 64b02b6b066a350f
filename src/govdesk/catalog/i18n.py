"""Catalogue content in the reader's language: Simplified Chinese as written, Traditional
Chinese converted with OpenCC, English from the hand-written ``en`` blocks (falling back to
the Chinese text where a block is missing)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.utils.translation import get_language
from opencc import OpenCC

_T2S = OpenCC("t2s")
_S2T = OpenCC("s2twp")


@lru_cache(maxsize=20000)
def to_traditional(text: str) -> str:
    return str(_S2T.convert(text))


@lru_cache(maxsize=20000)
def to_simplified(text: str) -> str:
    return str(_T2S.convert(text))


def language() -> str:
    lang = (get_language() or "zh-hans").lower()
    if lang.startswith("en"):
        return "en"
    if lang in {"zh-hant", "zh-tw", "zh-hk", "zh-mo"}:
        return "zh-hant"
    return "zh-hans"


def text(value: Any, en: dict[str, Any] | None = None, field: str = "", lang: str = "") -> Any:
    """``value`` (a string or a list of strings) in the reader's language."""
    lang = lang or language()
    if lang == "en":
        if en and field and en.get(field):
            return en[field]
        return value
    if lang == "zh-hant":
        if isinstance(value, str):
            return to_traditional(value)
        if isinstance(value, list):
            return [to_traditional(v) if isinstance(v, str) else v for v in value]
    return value
