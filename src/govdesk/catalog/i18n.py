"""Catalogue content in the reader's language: Simplified Chinese as written, Traditional
Chinese converted with OpenCC, English from the hand-written ``en`` blocks (falling back to
the Chinese text where a block is missing).

OpenCC's ``s2twp`` also swaps mainland IT words for Taiwanese ones (窗口 → 視窗, 社区 → 社群 …),
wrong for the terms of government services: those in ``KEEP_TERMS`` are converted character by
character only (``s2tw``). ``scripts/po_hant.py`` converts the message catalogue with this."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from django.utils.translation import get_language
from opencc import OpenCC

_T2S = OpenCC("t2s")
_S2T = OpenCC("s2twp")
_S2T_CHARACTERS = OpenCC("s2tw")

#: Government-service terms that s2twp's phrase tables would turn into software words (the
#: message catalogue is converted with this too, by ``scripts/po_hant.py``).
KEEP_TERMS = (
    "窗口",  # window (of a service hall), not a GUI 視窗
    "社区",  # community, not 社群 (social group)
    "代码",  # region / credit code, not 程式碼 (program code)
    "审核",  # review, not 稽核 (audit)
    "注销",  # cancel / revoke, not 登出 (log out)
    "对象",  # target person (救助对象), not 物件 (object)
    "类型",  # kind, not 型別 (data type)
    "程序",  # procedure, not 程式 (program)
    "项目",  # item, not 專案 (project)
    "文件",  # official document, not 檔案 (file)
    "数据局",  # the data bureau is a name
    "通过",  # passed / approved (审批通过), not 透過 (by means of)
    "发布",  # published, not 釋出 (a software release)
    "词组",  # a group of words (同义词组), not 片語 (a phrase)
)
_KEEP = re.compile("(" + "|".join(map(re.escape, sorted(KEEP_TERMS, key=len, reverse=True))) + ")")


@lru_cache(maxsize=20000)
def to_traditional(text: str) -> str:
    # re.split with one group: odd indexes are the kept terms.
    return "".join(
        str(_S2T_CHARACTERS.convert(piece) if i % 2 else _S2T.convert(piece))
        for i, piece in enumerate(_KEEP.split(text))
        if piece
    )


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
