"""Text normalisation for catalogue search.

NFKC (full-width letters and digits → half-width), lower case and punctuation dropped
(:func:`normalize`); Traditional → Simplified (opencc ``t2s``), toneless pinyin (pypinyin) and
word segmentation (jieba), loaded once per process (:class:`Shared`); the question and function
words that say nothing about what is wanted (:data:`STOPWORDS`) and the words about procedure
rather than service (:data:`META_WORDS`); small helpers for Chinese characters, spoken numbers
and spaced pinyin.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_KEEP_RE = re.compile(f"[0-9a-z{_CJK}]+")
TOKEN_RE = re.compile(f"[a-z]+|[0-9{_CJK}]+")
_CJK_RE = re.compile(f"[{_CJK}]")


def _words(text: str) -> list[str]:
    return text.split()


# Question and function words that say nothing about *what* is wanted. Only whole jieba tokens
# are dropped, so 就业 or 开店 are untouched.
STOPWORDS = frozenset(
    _words(
        """
    我 我的 我们 我家 俺 咱 咱们 你 您 你们 他 她 它 他们 自己的 本人的
    想 想要 要 需要 打算 准备 请问 请 问 问下 问一下 一下 咨询
    怎么 怎么办 怎样 怎么样 如何 咋 咋办 咋弄 怎么弄 怎么搞 怎么申请 怎么办理 如何办理 如何申请
    在哪 在哪里 在哪儿 哪里 哪儿 去哪 去哪里 去哪儿 哪 哪个 在哪办 去哪办 哪里办 到哪
    什么 啥 什么样 是否 有没有 能否 可否 吗 呢 吧 啊 呀 嘛 哦 哈 啦 么
    了 的 地 得 着 过 是 有 可以 能 能不能 可不可以 会 该 应该 应当 必须
    办 办理 办一下 弄 搞 给 帮 帮忙 把 和 与 及 跟 同 还 都 也 就 又 再 才 呢
    这个 那个 这 那 个 些 一个 这些 那些 里 去 到 在 从 找 开 打 做 下 上 用 为 对
    现在 已经 刚 刚刚 马上 今年 明年 时候 时间 之后 以后 后 前
    """
    )
)

# Words about the procedure rather than the service (手续, 材料, 条件 …): kept, at low weight,
# because a catalogue entry that happens to mention them is no evidence of what is wanted.
META_WORDS = frozenset(
    _words(
        """
    手续 材料 资料 流程 步骤 条件 要求 政策 规定 标准 多少 多少钱 时间 多久 期限 地方 地点
    电话 网上 线上 手机 窗口 办法 方法 途径 情况 问题 事情 东西 哪些 什么样 有效 一次
    """
    )
)
_CN_DIGITS = "零一二三四五六七八九"


def normalize(text: str) -> str:
    """NFKC, lower case, keep only letters, digits and Chinese characters (no t2s)."""
    return "".join(_KEEP_RE.findall(unicodedata.normalize("NFKC", text).lower()))


def has_cjk(text: str) -> bool:
    return _CJK_RE.search(text) is not None


def chinese_number(digits: str) -> str:
    """80 → 八十, 15 → 十五 (1-99, as in ages); '' otherwise."""
    if not digits.isdigit() or digits.startswith("0") or not 0 < int(digits) < 100:
        return ""
    tens, units = divmod(int(digits), 10)
    out = (_CN_DIGITS[tens] if tens > 1 else "") + ("十" if tens else "")
    return out + (_CN_DIGITS[units] if units else "")


def spaced(syllables: Sequence[str]) -> str:
    """Pinyin syllables with a space around every one (matches keep to syllable boundaries)."""
    return " " + " ".join(syllables) + " "


class Shared:
    """Process-wide heavy resources: jieba (slow to load), opencc, pypinyin. Loaded once."""

    _lock = threading.Lock()
    _instance: Shared | None = None

    def __init__(self) -> None:
        with warnings.catch_warnings():  # jieba's old regexes warn on import
            warnings.simplefilter("ignore")
            import jieba
        import pypinyin
        import rapidfuzz  # noqa: F401  (imported here so the first query does not pay for it)
        from opencc import OpenCC

        jieba.setLogLevel(logging.WARNING)
        logging.getLogger("jieba").setLevel(logging.WARNING)
        self.tokenizer: Any = jieba.Tokenizer()
        self.tokenizer.initialize()
        self.t2s: Any = OpenCC("t2s")
        self._pypinyin: Any = pypinyin
        self.user_words: set[str] = set()
        self.word_lock = threading.Lock()

    @classmethod
    def get(cls) -> Shared:
        if cls._instance is None:
            with cls._lock:
                if cls._instance is None:
                    cls._instance = Shared()
        return cls._instance

    def add_user_words(self, words: Iterable[str]) -> None:
        with self.word_lock:
            for word in words:
                if len(word) >= 2 and word not in self.user_words:
                    self.tokenizer.add_word(word, 50_000)
                    self.user_words.add(word)

    def syllables(self, text: str) -> list[str]:
        """Toneless pinyin, one syllable per character (非汉字 kept character by character)."""
        syllables: list[str] = self._pypinyin.lazy_pinyin(text, errors=list)
        return syllables

    def pinyin(self, text: str) -> tuple[str, str]:
        """Full toneless pinyin and initials."""
        syllables = self.syllables(text)
        return "".join(syllables), "".join(s[:1] for s in syllables)

    def cut(self, text: str) -> list[str]:
        return [t for t in self.tokenizer.cut(text, HMM=False) if t.strip()]

    def cut_for_search(self, text: str) -> list[str]:
        return [t for t in self.tokenizer.cut_for_search(text, HMM=False) if t.strip()]
