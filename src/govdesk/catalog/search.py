"""Catalogue search that understands what residents mean.

One search over matters, bundles (一件事), community certificates and the forbidden-certificate
list. Pure Python over plain data: build a :class:`SearchIndex` from :class:`SearchDoc` values and
synonym groups (``aliases.yaml``), then call :meth:`SearchIndex.search`.

How a query is understood
-------------------------
1. Normalise: NFKC, lower case, Traditional → Simplified (opencc ``t2s``), punctuation dropped.
2. Split into *slots* (the things the resident asked about): Chinese runs are cut with jieba (the
   catalogue's names, aliases and synonym words are user words), question and function words are
   dropped, and runs of loose single characters (often a typo: 低宝) are rejoined. Runs of Latin
   letters are read as pinyin — full (``shiyedengji``) or initials (``sydj``) — segmented against
   the catalogue vocabulary; they may also be English words.
3. Each slot has *alternatives*, each with a confidence factor: the word itself (1.0); words of
   its synonym groups (0.7); known sub-words of a long word (刚出生→出生, 0.6); words read from
   pinyin (0.6); near matches — same pinyin (低宝→低保), a close spelling (rapidfuzz), or the
   same syllables inside a name (0.5). A slot whose word is unknown to the catalogue is first
   split into known words, then given the near matches.
4. Each alternative is matched against each document's fields; the field strength is: equals the
   name 1.0, equals an alias 0.9, inside the name 0.75-0.85, inside an alias 0.65-0.75 (more for
   covering more of the field), inside the summary text 0.25.
5. A slot scores a document with its best alternative (factor × field strength). The document
   score is the weighted mean over slots, a slot's weight growing mildly with its specificity
   (inverse document frequency, 1.0-1.5; single characters count half), plus a bonus when the
   whole query equals the document's name (+0.3) or an alias (+0.2); an item of the forbidden
   list named outright gets +0.05 so the "go elsewhere" answer comes first. Ties go to
   popularity, then name.

So an exact name beats an alias, which beats a name containing every word, which beats
synonym-expanded matches, then pinyin, then near matches, then summary text. Every hit carries
short human-readable reasons, in the active language when Django is set up (as is otherwise).
"""

from __future__ import annotations

import bisect
import logging
import math
import re
import threading
import unicodedata
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from django.conf import settings
from django.utils import translation

__all__ = ["Hit", "SearchDoc", "SearchIndex", "docs_from_yaml", "normalize"]

Kind = Literal["matter", "bundle", "certificate", "forbidden"]
_AltKind = Literal["direct", "syn", "pinyin", "near", "py", "part"]


@dataclass(frozen=True)
class SearchDoc:
    """One searchable catalogue entry (plain data, no models)."""

    key: str
    kind: Kind
    code: str
    name: str
    aliases: tuple[str, ...]
    department: str
    text: str  # summary / conditions / purpose: matched with low weight
    popularity: float = 0.0


@dataclass(frozen=True)
class Hit:
    doc: SearchDoc
    score: float
    reasons: tuple[str, ...]


# ---------------------------------------------------------------------------------------------
# Text helpers

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_KEEP_RE = re.compile(f"[0-9a-z{_CJK}]+")
_TOKEN_RE = re.compile(f"[a-z]+|[0-9{_CJK}]+")
_CJK_RE = re.compile(f"[{_CJK}]")
_SEP = "\x1f"  # between fields of one document in a blob
_DOC_SEP = "\x1e"  # between documents in a blob


def _words(text: str) -> list[str]:
    return text.split()


# Question and function words that say nothing about *what* is wanted. Only whole jieba tokens
# are dropped, so 就业 or 开店 are untouched.
_STOPWORDS = frozenset(
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
_META_WORDS = frozenset(
    _words(
        """
    手续 材料 资料 流程 步骤 条件 要求 政策 规定 标准 多少 多少钱 时间 多久 期限 地方 地点
    电话 网上 线上 手机 窗口 办法 方法 途径 情况 问题 事情 东西 哪些 什么样 有效 一次
    """
    )
)
_META_WEIGHT = 0.3
_CN_DIGITS = "零一二三四五六七八九"

# Slot alternative kinds and their confidence factors.
_F_DIRECT = 1.0
_F_SYN = 0.7
_F_PINYIN = 0.6
_F_NEAR = 0.5
_F_CONTAINED_SYN = 0.6  # a word inside a synonym-group word (外卖 → 跑外卖 → 灵活就业…)
_F_PART = 0.6  # a known sub-word of a longer word (刚出生 → 出生)

_MIN_SCORE = 0.1
_MAX_QUERY = 80  # characters read from a query (residents type a few words)
_MAX_SLOTS = 12
_RELEVANT = 0.3  # a slot "really" matches a document above this (for document frequency)


def normalize(text: str) -> str:
    """NFKC, lower case, keep only letters, digits and Chinese characters (no t2s)."""
    return "".join(_KEEP_RE.findall(unicodedata.normalize("NFKC", text).lower()))


def _has_cjk(text: str) -> bool:
    return _CJK_RE.search(text) is not None


def gettext(message: str) -> str:
    """``message`` in the active language; as is when Django is not set up (benchmarks)."""
    if not settings.configured:
        return message
    return translation.gettext(message)


class _Shared:
    """Process-wide heavy resources: jieba (slow to load), opencc, pypinyin. Loaded once."""

    _lock = threading.Lock()
    _instance: _Shared | None = None

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
    def get(cls) -> _Shared:
        if cls._instance is None:
            with cls._lock:
                if cls._instance is None:
                    cls._instance = _Shared()
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


# ---------------------------------------------------------------------------------------------
# Field views: the same matching over names/aliases/text, their full pinyin, their initials.


class _View:
    """Per-document fields of one representation, with a blob for fast substring search."""

    def __init__(self, fields: Sequence[tuple[str, Sequence[str], str]]) -> None:
        self.names = [f[0] for f in fields]
        self.aliases = [tuple(a for a in f[1] if a) for f in fields]
        self.alias_sets = [frozenset(a) for a in self.aliases]
        self.texts = [f[2] for f in fields]
        parts: list[str] = []
        self.starts: list[int] = []
        pos = 0
        for name, aliases, text in zip(self.names, self.aliases, self.texts, strict=True):
            chunk = _DOC_SEP + _SEP.join((name, *aliases)) + _SEP + text
            self.starts.append(pos)
            parts.append(chunk)
            pos += len(chunk)
        self.starts.append(pos)
        self.blob = "".join(parts) + _DOC_SEP

    def quality(self, i: int, a: str, contains_ok: bool = True) -> tuple[float, str]:
        """How strongly ``a`` matches document ``i``: (strength, field label)."""
        name = self.names[i]
        if a == name:
            return 1.0, "name_eq"
        if a in self.alias_sets[i]:
            return 0.9, "alias_eq"
        if not contains_ok:
            return 0.0, ""
        if name and a in name:
            return 0.75 + 0.1 * len(a) / len(name), "name_in"
        best = 0.0
        for alias in self.aliases[i]:
            if a in alias:
                best = max(best, len(a) / len(alias))
        if best:
            return 0.65 + 0.1 * best, "alias_in"
        if a in self.texts[i]:
            return 0.25, "text"
        return 0.0, ""

    def matches(self, a: str, contains_ok: bool = True) -> dict[int, tuple[float, str]]:
        found: dict[int, tuple[float, str]] = {}
        if not a:
            return found
        blob, starts = self.blob, self.starts
        pos = blob.find(a)
        while pos != -1:
            i = bisect.bisect_right(starts, pos) - 1
            q, label = self.quality(i, a, contains_ok)
            if q > 0:
                found[i] = (q, label)
            pos = blob.find(a, starts[i + 1])
        return found


@dataclass(frozen=True)
class _Alt:
    text: str  # what to look for (normalised; letters for pinyin)
    factor: float
    kind: _AltKind
    source: str  # the resident's word it came from (for the reason)
    mode: Literal["text", "typed_pinyin", "word_pinyin"] = "text"


@dataclass
class _Slot:
    term: str
    alts: list[_Alt]
    weight: float = 1.0


class SearchIndex:
    """An in-memory index over catalogue documents. Build once; search is read-only."""

    def __init__(self, docs: Sequence[SearchDoc], synonyms: Sequence[Sequence[str]]) -> None:
        self._shared = _Shared.get()
        self.docs: tuple[SearchDoc, ...] = tuple(docs)
        n = len(self.docs)
        self._n = n

        # Synonym groups (normalised, de-duplicated); word → groups.
        groups: list[tuple[str, ...]] = []
        for group in synonyms:
            words = tuple(dict.fromkeys(w for w in (normalize(str(x)) for x in group) if w))
            if len(words) >= 2:
                groups.append(words)
        self._groups = groups
        self._groups_of: dict[str, list[int]] = {}
        for gi, words in enumerate(groups):
            for w in words:
                self._groups_of.setdefault(w, []).append(gi)

        # Text view of every document.
        fields: list[tuple[str, list[str], str]] = []
        for doc in self.docs:
            name = normalize(doc.name)
            aliases = [a for a in dict.fromkeys(normalize(a) for a in doc.aliases) if a != name]
            fields.append((name, aliases, normalize(doc.text)))
        self._text = _View(fields)
        self._name_index: dict[str, list[int]] = {}
        self._alias_index: dict[str, list[int]] = {}
        for i, (name, aliases, _) in enumerate(fields):
            self._name_index.setdefault(name, []).append(i)
            for a in aliases:
                self._alias_index.setdefault(a, []).append(i)

        # jieba user words: every name, alias and synonym word, so they are kept whole.
        phrases = {f[0] for f in fields} | {a for f in fields for a in f[1]}
        phrases |= {w for g in groups for w in g}
        phrases = {p for p in phrases if _has_cjk(p)}
        self._shared.add_user_words(sorted(phrases))

        # Vocabulary: the phrases and their sub-words; pinyin maps for reading pinyin and
        # finding homophones.
        vocab: set[str] = set(phrases)
        for p in phrases:
            vocab.update(w for w in self._shared.cut_for_search(p) if len(w) >= 2 and _has_cjk(w))
        self._vocab = vocab
        self._vocab_list = sorted(vocab)
        names_aliases_blob = _DOC_SEP.join(_SEP.join((f[0], *f[1])) for f in fields)
        self._vocab_df = {w: names_aliases_blob.count(w) for w in self._vocab_list}
        self._py_full: dict[str, list[str]] = {}
        self._py_ini: dict[str, list[str]] = {}
        for w in self._vocab_list:
            full, ini = self._shared.pinyin(w)
            self._py_full.setdefault(full, []).append(w)
            self._py_ini.setdefault(ini, []).append(w)
        for table in (self._py_full, self._py_ini):
            for key, candidates in table.items():
                candidates.sort(key=lambda w: (-self._vocab_df.get(w, 0), len(w), w))
                table[key] = candidates[:8]
        self._max_py = max((len(k) for k in self._py_full), default=1)
        self._py_full_list = sorted(self._py_full)

        # Pinyin views of names and (Chinese) aliases: full pinyin with a space around every
        # syllable (so matches start and end on syllable boundaries), and initials.
        full_fields: list[tuple[str, list[str], str]] = []
        ini_fields: list[tuple[str, list[str], str]] = []
        syllable_set: set[str] = set()
        for name, aliases, _ in fields:
            cjk = [x for x in (name, *aliases) if _has_cjk(x)]
            sylls = [self._shared.syllables(x) for x in cjk]
            syllable_set.update(y for ys in sylls for y in ys if y.isalpha())
            spaced = [_spaced(ys) for ys in sylls]
            initials = ["".join(y[:1] for y in ys) for ys in sylls]
            if cjk and cjk[0] == name:
                full_fields.append((spaced[0], spaced[1:], ""))
                ini_fields.append((initials[0], initials[1:], ""))
            else:
                full_fields.append(("", spaced, ""))
                ini_fields.append(("", initials, ""))
        self._full = _View(full_fields)
        self._ini = _View(ini_fields)
        self._syllables = frozenset(syllable_set)
        self._syllable_prefixes = frozenset(y[:k] for y in syllable_set for k in range(1, len(y)))
        self._max_syllable = max((len(y) for y in syllable_set), default=1)

        self._cache: dict[tuple[str, str], dict[int, tuple[float, str]]] = {}
        self._cache_lock = threading.Lock()

    def clear_cache(self) -> None:
        """Forget cached word matches (for cold-start benchmarks; never needed otherwise)."""
        with self._cache_lock:
            self._cache.clear()

    # -----------------------------------------------------------------------------------------
    # Matching primitives (cached per string: residents repeat words far more than queries).

    def _match(self, mode: str, text: str) -> dict[int, tuple[float, str]]:
        key = (mode, text)
        found = self._cache.get(key)
        if found is not None:
            return found
        if mode == "text":
            # Latin letters and digits: inside a longer field only from three characters.
            found = self._text.matches(text, contains_ok=not text.isascii() or len(text) >= 3)
        elif mode == "word_pinyin":  # the spaced pinyin of a Chinese word (homophones)
            found = self._full.matches(text, contains_ok=len(text.replace(" ", "")) >= 4)
        else:  # typed letters: full pinyin on syllable boundaries, or initials
            found = {}
            syllables = self._syllabify(text)
            if syllables:
                complete = _spaced(syllables)
                found.update(self._full.matches(complete, contains_ok=len(text) >= 4))
                if len(text) >= 4:  # the last syllable may still be being typed
                    for i, (q, label) in self._full.matches(complete.rstrip()).items():
                        if q > found.get(i, (0.0, ""))[0]:
                            found[i] = (q, label)
            if len(text) >= 2:
                for i, (q, label) in self._ini.matches(text, contains_ok=len(text) >= 3).items():
                    if q > found.get(i, (0.0, ""))[0]:
                        found[i] = (q, label)
        with self._cache_lock:
            if len(self._cache) > 50_000:
                self._cache.clear()
            self._cache[key] = found
        return found

    def _syllabify(self, letters: str) -> list[str]:
        """Split typed letters into pinyin syllables (fewest); the last may be unfinished."""
        n = len(letters)
        if n == 0 or n > 60:
            return []
        inf = 10**9
        cost = [inf] * (n + 1)
        back = [0] * (n + 1)
        cost[0] = 0
        for i in range(n):
            if cost[i] == inf:
                continue
            for j in range(i + 1, min(n, i + self._max_syllable) + 1):
                piece = letters[i:j]
                ok = piece in self._syllables or (j == n and piece in self._syllable_prefixes)
                if ok and cost[i] + 1 < cost[j]:
                    cost[j], back[j] = cost[i] + 1, i
        if cost[n] == inf:
            return []
        out: list[str] = []
        j = n
        while j > 0:
            out.append(letters[back[j] : j])
            j = back[j]
        out.reverse()
        return out

    def _known(self, word: str) -> bool:
        """Does the word (or a synonym) occur in some name or alias?"""
        if any(q >= 0.65 for q, _ in self._match("text", word).values()):
            return True
        for gi in self._groups_of.get(word, ()):
            for w in self._groups[gi]:
                if any(q >= 0.65 for q, _ in self._match("text", w).values()):
                    return True
        return False

    def _with_synonyms(self, word: str, factor: float, kind: _AltKind, source: str) -> list[_Alt]:
        """The word itself plus its synonym-group words (synonyms at a lower factor)."""
        alts = [_Alt(word, factor, kind, source)]
        seen = {word}
        for gi in self._groups_of.get(word, ()):
            for w in self._groups[gi]:
                if w not in seen:
                    seen.add(w)
                    syn_kind: _AltKind = "syn" if kind == "direct" else kind
                    syn_source = source if kind == "direct" else f"{source}→{word}"
                    alts.append(_Alt(w, factor * _F_SYN, syn_kind, syn_source))
        return alts

    # -----------------------------------------------------------------------------------------
    # Reading pinyin

    def _pinyin_pieces(self, s: str) -> list[tuple[str, list[str]]]:
        """Segment a letter string into vocabulary words by full pinyin or initials.

        Returns (pinyin piece, candidate words) for each recognised piece, in order; letters
        that fit nothing are skipped (at a high cost, so a full reading is always preferred).
        """
        n = len(s)
        if n < 2 or n > 60:
            return []
        inf = math.inf
        cost = [inf] * (n + 1)
        back: list[tuple[int, str]] = [(0, "")] * (n + 1)
        cost[0] = 0.0
        for i in range(n):
            if cost[i] == inf:
                continue
            for j in range(i + 1, min(n, i + self._max_py) + 1):
                piece = s[i:j]
                if piece in self._py_full:
                    c = cost[i] + 1.0
                    kind = "full"
                elif j - i >= 2 and piece in self._py_ini:
                    c = cost[i] + 1.6
                    kind = "ini"
                else:
                    continue
                if c < cost[j]:
                    cost[j], back[j] = c, (i, kind)
            if cost[i] + 4.0 < cost[i + 1]:
                cost[i + 1], back[i + 1] = cost[i] + 4.0, (i, "skip")
        pieces: list[tuple[str, list[str]]] = []
        j = n
        while j > 0:
            i, kind = back[j]
            piece = s[i:j]
            if kind == "full":
                pieces.append((piece, self._py_full[piece]))
            elif kind == "ini":
                pieces.append((piece, self._py_ini[piece]))
            j = i
        pieces.reverse()
        return pieces

    def _near_pinyin(self, s: str) -> list[str]:
        """Vocabulary words whose full pinyin is a near spelling of ``s`` (shiyedenji)."""
        if len(s) < 5:
            return []
        from rapidfuzz import fuzz, process

        found = process.extract(s, self._py_full_list, scorer=fuzz.ratio, score_cutoff=88, limit=3)
        return [w for key, _, _ in found for w in self._py_full[key][:2]]

    # -----------------------------------------------------------------------------------------
    # Building slots from a query

    def _slots_for_letters(self, words: list[str]) -> list[_Slot]:
        joined = "".join(words)
        if len(joined) < 2:
            return []
        whole = [
            _Alt(joined, _F_DIRECT, "direct", joined),
            _Alt(joined, _F_PINYIN, "py", joined, "typed_pinyin"),
        ]
        pieces = self._pinyin_pieces(joined)
        covered = sum(len(p) for p, _ in pieces)
        slots: list[_Slot] = []
        if pieces and covered >= 0.6 * len(joined):
            for piece, candidates in pieces:
                alts: list[_Alt] = []
                for w in candidates:
                    alts.extend(self._with_synonyms(w, _F_PINYIN, "pinyin", piece))
                slots.append(_Slot(piece, [*alts, *whole]))
            return slots
        near = self._near_pinyin(joined)
        alts = [
            a for w in near for a in self._with_synonyms(w, _F_NEAR * _F_PINYIN, "near", joined)
        ]
        if len(words) >= 2 and not near:
            # Perhaps English words: each word is its own slot.
            return [
                _Slot(
                    w,
                    [
                        _Alt(w, _F_DIRECT, "direct", w),
                        _Alt(w, _F_PINYIN, "py", w, "typed_pinyin"),
                    ],
                )
                for w in words
                if len(w) >= 3
            ]
        return [_Slot(joined, [*whole, *alts])]

    def _split_known(self, term: str) -> list[str]:
        """Split an unknown word into vocabulary words (fewest pieces); [] if it does not split."""
        n = len(term)
        inf = math.inf
        cost = [inf] * (n + 1)
        back = [0] * (n + 1)
        cost[0] = 0.0
        for i in range(n):
            if cost[i] == inf:
                continue
            for j in range(i + 2, min(n, i + 12) + 1):
                if term[i:j] in self._vocab and cost[i] + 1.0 < cost[j]:
                    cost[j], back[j] = cost[i] + 1.0, i
            if cost[i] + 2.5 < cost[i + 1]:
                cost[i + 1], back[i + 1] = cost[i] + 2.5, i
        pieces: list[str] = []
        j = n
        while j > 0:
            pieces.append(term[back[j] : j])
            j = back[j]
        pieces.reverse()
        words = [p for p in pieces if len(p) >= 2]
        if len(pieces) < 2 or sum(len(w) for w in words) < 0.6 * n:
            return []
        return [p for p in pieces if p not in _STOPWORDS]

    def _homophone_pieces(self, syllables: list[str]) -> list[list[str]]:
        """Vocabulary words sounding like runs of two or more of the syllables (best cover)."""
        n = len(syllables)
        inf = math.inf
        cost = [inf] * (n + 1)
        back: list[tuple[int, str]] = [(0, "")] * (n + 1)
        cost[0] = 0.0
        for i in range(n):
            if cost[i] == inf:
                continue
            for j in range(i + 2, min(n, i + 10) + 1):
                key = "".join(syllables[i:j])
                if key in self._py_full and cost[i] + 1.0 < cost[j]:
                    cost[j], back[j] = cost[i] + 1.0, (i, key)
            if cost[i] + 2.5 < cost[i + 1]:
                cost[i + 1], back[i + 1] = cost[i] + 2.5, (i, "")
        found: list[list[str]] = []
        j = n
        while j > 0:
            i, key = back[j]
            if key:
                found.append(self._py_full[key])
            j = i
        found.reverse()
        return found

    def _near_alts(self, term: str) -> list[_Alt]:
        """Alternatives for a word the catalogue does not know: near spellings and homophones."""
        alts: list[_Alt] = []
        seen: set[str] = {term}

        def add(word: str, factor: float, kind: _AltKind) -> None:
            if word not in seen:
                seen.add(word)
                alts.extend(self._with_synonyms(word, factor, kind, term)[:12])

        # A word inside a synonym-group word: 外卖 → 跑外卖 → the 灵活就业 group.
        if len(term) >= 2:
            holders = [w for w in self._groups_of if term in w and w != term]
            group_ids = {gi for w in holders for gi in self._groups_of[w]}
            if 0 < len(group_ids) <= 3:
                for gi in sorted(group_ids):
                    for w in self._groups[gi]:
                        if w not in seen:
                            seen.add(w)
                            alts.append(_Alt(w, _F_CONTAINED_SYN * _F_SYN, "syn", term))
        # Same pinyin (低宝 → 低保), or same-pinyin words inside it (低宝简请 → 低保).
        syllables = self._shared.syllables(term)
        full = "".join(syllables)
        if full in self._py_full:
            for w in self._py_full[full]:
                add(w, _F_NEAR, "near")
        elif len(syllables) == len(term):
            for words in self._homophone_pieces(syllables):
                for w in words[:3]:
                    add(w, _F_NEAR * 0.8, "near")
        # Close spelling (one character wrong in a longer word).
        if len(term) >= 3:
            from rapidfuzz import fuzz, process

            cutoff = 66.0 if len(term) == 3 else 74.0
            for w, _, _ in process.extract(
                term, self._vocab_list, scorer=fuzz.ratio, score_cutoff=cutoff, limit=4
            ):
                add(w, _F_NEAR, "near")
        # A pinyin substring of a name or alias.
        if len(full) >= 4 and len(syllables) == len(term):
            alts.append(_Alt(_spaced(syllables), _F_NEAR, "py", term, "word_pinyin"))
        return alts

    def _slot_for_word(self, term: str, allow_split: bool = True) -> list[_Slot]:
        weight = _META_WEIGHT if term in _META_WORDS else 0.5 if len(term) == 1 else 1.0
        alts = self._with_synonyms(term, _F_DIRECT, "direct", term)
        if term.isdigit() and (spoken := _chinese_number(term)):
            alts.extend(self._with_synonyms(spoken, _F_DIRECT, "direct", spoken))
        if not _has_cjk(term) or self._known(term):
            if len(term) >= 3 and _has_cjk(term):
                alts.extend(
                    _Alt(sub, _F_PART, "part", term)
                    for sub in dict.fromkeys(self._shared.cut_for_search(term))
                    if 2 <= len(sub) < len(term) and sub not in _STOPWORDS
                )
            return [_Slot(term, alts, weight)]
        if allow_split and len(term) >= 3:
            parts = self._split_known(term)
            if parts:
                out: list[_Slot] = []
                for p in parts:
                    out.extend(self._slot_for_word(p, allow_split=False))
                return out
        if len(term) == 1:
            return [_Slot(term, alts, weight)]
        return [_Slot(term, [*alts, *self._near_alts(term)], weight)]

    def _tokens(self, run: str) -> list[str]:
        """jieba tokens of a Chinese run, function words dropped, loose characters rejoined."""
        out: list[str] = []
        loose = ""
        for tok in self._shared.cut(run):
            if tok in _STOPWORDS:
                if loose:
                    out.append(loose)
                    loose = ""
                continue
            if len(tok) == 1 and _has_cjk(tok):
                loose += tok
                continue
            if loose:
                out.append(loose)
                loose = ""
            out.append(tok)
        if loose:
            out.append(loose)
        return out

    def _parse(self, query: str) -> tuple[list[_Slot], bool, str]:
        text = unicodedata.normalize("NFKC", query).lower()[:_MAX_QUERY]
        traditional = False
        if _has_cjk(text):
            simplified = self._shared.t2s.convert(text)
            traditional = simplified != text
            text = simplified
        slots: list[_Slot] = []
        letters: list[str] = []
        for tok in _TOKEN_RE.findall(text):
            if tok.isascii() and tok.isalpha():
                letters.append(tok)
                continue
            if letters:
                slots.extend(self._slots_for_letters(letters))
                letters = []
            for word in self._tokens(tok):
                slots.extend(self._slot_for_word(word))
        if letters:
            slots.extend(self._slots_for_letters(letters))
        return slots[:_MAX_SLOTS], traditional, normalize(text)

    # -----------------------------------------------------------------------------------------
    # Scoring

    def _score_slot(self, slot: _Slot) -> dict[int, tuple[float, str]]:
        best: dict[int, tuple[float, _Alt, str]] = {}
        for alt in slot.alts:
            for i, (strength, label) in self._match(alt.mode, alt.text).items():
                q = alt.factor * strength
                if q > (best[i][0] if i in best else 0.0):
                    best[i] = (q, alt, label)
        return {i: (q, _reason(alt, label)) for i, (q, alt, label) in best.items()}

    def search(self, query: str, limit: int = 10) -> list[Hit]:
        """Best hits first. A blank query returns every document by popularity, then name."""
        if not query or not query.strip():
            ordered = sorted(self.docs, key=lambda d: (-d.popularity, d.name))
            return [Hit(d, 0.0, (gettext("按使用热度排列"),)) for d in ordered]
        slots, traditional, whole = self._parse(query)
        scored: list[tuple[_Slot, dict[int, tuple[float, str]], float]] = []
        log_n = math.log(max(self._n, 2))
        for slot in slots:
            per_doc = self._score_slot(slot)
            if not per_doc:
                continue  # a word the catalogue knows nothing about
            df = sum(1 for q, _ in per_doc.values() if q >= _RELEVANT) or len(per_doc)
            idf = math.log(max(self._n / df, 1.0)) / log_n
            scored.append((slot, per_doc, slot.weight * (1.0 + 0.5 * idf)))
        if not scored:
            return []
        total_weight = sum(w for _, _, w in scored)
        candidates: set[int] = set()
        for _, per_doc, _ in scored:
            candidates.update(per_doc)
        name_eq = set(self._name_index.get(whole, ()))
        alias_eq = set(self._alias_index.get(whole, ()))
        hits: list[Hit] = []
        for i in candidates:
            doc = self.docs[i]
            score = 0.0
            reasons: list[str] = [gettext("繁体转换")] if traditional else []
            strong = 0.0  # the best exact naming of this document by one slot
            for _, per_doc, w in scored:
                q, reason = per_doc.get(i, (0.0, ""))
                score += w * q
                if q >= 0.9:
                    strong = max(strong, q)
                if reason and reason not in reasons:
                    reasons.append(reason)
            score /= total_weight
            if i in name_eq:
                score += 0.3
            elif i in alias_eq:
                score += 0.2
            elif strong:  # one of the words names it exactly (低保 in 家里困难能申请低保吗)
                score += 0.15 if strong >= 1.0 else 0.1
            reasons = reasons[:4]
            if doc.kind == "forbidden" and (strong or i in name_eq or i in alias_eq):
                score += 0.05
                reasons.append(gettext("社区不出具此证明，见替代办法"))
            if score >= _MIN_SCORE:
                hits.append(Hit(doc, round(score, 4), tuple(reasons)))
        hits.sort(key=lambda h: (-h.score, -h.doc.popularity, h.doc.name))
        return hits[: max(limit, 0)]


def _chinese_number(digits: str) -> str:
    """80 → 八十, 15 → 十五 (1-99, as in ages); '' otherwise."""
    if not digits.isdigit() or digits.startswith("0") or not 0 < int(digits) < 100:
        return ""
    tens, units = divmod(int(digits), 10)
    out = (_CN_DIGITS[tens] if tens > 1 else "") + ("十" if tens else "")
    return out + (_CN_DIGITS[units] if units else "")


def _spaced(syllables: Sequence[str]) -> str:
    return " " + " ".join(syllables) + " "


def _reason(alt: _Alt, label: str) -> str:
    words = {"text": alt.text, "source": alt.source}
    if alt.kind == "direct":
        if label == "name_eq":
            return gettext("名称“%(text)s”") % words
        if label == "alias_eq":
            return gettext("别名“%(text)s”") % words
        if label == "name_in":
            return gettext("名称包含“%(text)s”") % words
        if label == "alias_in":
            return gettext("别名包含“%(text)s”") % words
        return gettext("说明提及“%(text)s”") % words
    if alt.kind == "syn":
        return gettext("同义词 %(source)s→%(text)s") % words
    if alt.kind == "pinyin":
        return gettext("拼音 %(source)s→%(text)s") % words
    if alt.kind == "part":
        return gettext("部分词“%(text)s”") % words
    if alt.kind == "near":
        return gettext("近似“%(source)s”→“%(text)s”") % words
    if _has_cjk(alt.source):  # pinyin substring of a name, from a Chinese word (homophone)
        return gettext("近似“%(source)s”（同音）") % words
    return gettext("拼音 %(source)s") % words


# ---------------------------------------------------------------------------------------------
# Documents straight from the catalogue YAML folder (tests, benchmarks, the loader)


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v is not None and not isinstance(v, dict | list)]
    return [str(value)]


def _read_yaml(path: Path) -> Any:
    if not path.exists():
        return None
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def docs_from_yaml(folder: Path) -> tuple[list[SearchDoc], list[list[str]]]:
    """SearchDocs and synonym groups from a catalogue data folder (see SCHEMA.md).

    Matters (with their department code), bundles, certificates a community may issue
    (kind "certificate") and those it must not (kind "forbidden"); synonyms from aliases.yaml.
    Short names and English names count as aliases. Popularity is 0.
    """
    docs: list[SearchDoc] = []
    departments: dict[str, list[str]] = {}
    for dep in _read_yaml(folder / "departments.yaml") or []:
        if isinstance(dep, dict) and dep.get("code"):
            departments[str(dep["code"])] = _strings([dep.get("name"), dep.get("short_name")])

    def en_name(entry: dict[str, Any]) -> list[str]:
        en = entry.get("en")
        names = _strings(entry.get("name_en"))
        if isinstance(en, dict):
            names += _strings(en.get("name"))
        return names

    def aliases_of(entry: dict[str, Any]) -> tuple[str, ...]:
        raw = [*_strings(entry.get("short_name")), *_strings(entry.get("aliases")), *en_name(entry)]
        name = str(entry.get("name", ""))
        return tuple(a for a in dict.fromkeys(raw) if a and a != name)

    for path in sorted((folder / "matters").glob("*.yaml")):
        data = _read_yaml(path) or {}
        dept = str(data.get("department", path.stem))
        for m in data.get("matters") or []:
            if not isinstance(m, dict) or not m.get("name"):
                continue
            text = " ".join(
                [
                    *_strings(m.get("summary")),
                    *_strings(m.get("category")),
                    *_strings(m.get("life_events")),
                    *_strings(m.get("audience")),
                    *_strings(m.get("conditions")),
                    *departments.get(dept, []),
                ]
            )
            docs.append(
                SearchDoc(
                    key=f"matter:{m.get('code', m['name'])}",
                    kind="matter",
                    code=str(m.get("code", "")),
                    name=str(m["name"]),
                    aliases=aliases_of(m),
                    department=dept,
                    text=text,
                )
            )

    for b in _read_yaml(folder / "bundles.yaml") or []:
        if not isinstance(b, dict) or not b.get("name"):
            continue
        steps = [str(s.get("matter", "")) for s in b.get("steps") or [] if isinstance(s, dict)]
        text = " ".join(
            [
                *_strings(b.get("summary")),
                *_strings(b.get("life_events")),
                *steps,
                *_strings(b.get("outside_parties")),
            ]
        )
        docs.append(
            SearchDoc(
                key=f"bundle:{b.get('code', b['name'])}",
                kind="bundle",
                code=str(b.get("code", "")),
                name=str(b["name"]),
                aliases=aliases_of(b),
                department="",
                text=text,
            )
        )

    certificates = _read_yaml(folder / "certificates.yaml") or {}
    for c in certificates.get("allowed") or []:
        if not isinstance(c, dict) or not c.get("name"):
            continue
        docs.append(
            SearchDoc(
                key=f"certificate:{c.get('code', c['name'])}",
                kind="certificate",
                code=str(c.get("code", "")),
                name=str(c["name"]),
                aliases=aliases_of(c),
                department=str(c.get("department", "")),
                text=" ".join(_strings(c.get("purpose"))),
            )
        )
    for f in certificates.get("forbidden") or []:
        if not isinstance(f, dict) or not f.get("name"):
            continue
        docs.append(
            SearchDoc(
                key=f"forbidden:{f.get('code') or f['name']}",
                kind="forbidden",
                code=str(f.get("code", "")),
                name=str(f["name"]),
                aliases=aliases_of(f),
                department=str(f.get("instead_department", "")),
                text=" ".join(_strings(f.get("instead"))),
            )
        )

    aliases = _read_yaml(folder / "aliases.yaml") or {}
    synonyms = [
        [str(w) for w in group]
        for group in aliases.get("synonyms") or []
        if isinstance(group, list) and len(group) >= 2
    ]
    return docs, synonyms
