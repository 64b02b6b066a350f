"""Reading a query: what the resident asked about, and every way of understanding it.

:meth:`QueryReader.parse` normalises a query (NFKC, lower case, Traditional → Simplified) and
splits it into *slots*: jieba tokens of the Chinese runs with question and function words
dropped and loose single characters rejoined, and runs of Latin letters read as pinyin (full or
initials) or as English words. Each slot gets *alternatives* with a confidence factor: the word
itself, its synonym-group words, known sub-words, words read from pinyin, and — the typo
tolerance — near matches for a word the catalogue does not know: homophones (低宝 → 低保),
close spellings (rapidfuzz) and the same syllables inside a name.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from typing import Literal

from govdesk.catalog.search.index import CatalogueIndex
from govdesk.catalog.search.normalise import (
    META_WORDS,
    STOPWORDS,
    TOKEN_RE,
    chinese_number,
    has_cjk,
    normalize,
    spaced,
)

AltKind = Literal["direct", "syn", "pinyin", "near", "py", "part"]

# Slot alternative kinds and their confidence factors.
_F_DIRECT = 1.0
_F_SYN = 0.7
_F_PINYIN = 0.6
_F_NEAR = 0.5
_F_CONTAINED_SYN = 0.6  # a word inside a synonym-group word (外卖 → 跑外卖 → 灵活就业…)
_F_PART = 0.6  # a known sub-word of a longer word (刚出生 → 出生)

_META_WEIGHT = 0.3  # the weight of a slot for a word in META_WORDS
_MAX_QUERY = 80  # characters read from a query (residents type a few words)
_MAX_SLOTS = 12


@dataclass(frozen=True)
class Alt:
    """One way of understanding a slot: what to look for, how, and with what confidence."""

    text: str  # what to look for (normalised; letters for pinyin)
    factor: float
    kind: AltKind
    source: str  # the resident's word it came from (for the reason)
    mode: Literal["text", "typed_pinyin", "word_pinyin"] = "text"


@dataclass
class Slot:
    """One thing the resident asked about: the word, its alternatives, its weight."""

    term: str
    alts: list[Alt]
    weight: float = 1.0


class QueryReader:
    """Turns a query into slots and alternatives, looking words up in a catalogue index."""

    def __init__(self, index: CatalogueIndex) -> None:
        self._index = index

    # -----------------------------------------------------------------------------------------
    # Words the catalogue knows, and their synonyms

    def _known(self, word: str) -> bool:
        """Does the word (or a synonym) occur in some name or alias?"""
        if any(q >= 0.65 for q, _ in self._index.match("text", word).values()):
            return True
        for gi in self._index.groups_of.get(word, ()):
            for w in self._index.groups[gi]:
                if any(q >= 0.65 for q, _ in self._index.match("text", w).values()):
                    return True
        return False

    def _with_synonyms(self, word: str, factor: float, kind: AltKind, source: str) -> list[Alt]:
        """The word itself plus its synonym-group words (synonyms at a lower factor)."""
        alts = [Alt(word, factor, kind, source)]
        seen = {word}
        for gi in self._index.groups_of.get(word, ()):
            for w in self._index.groups[gi]:
                if w not in seen:
                    seen.add(w)
                    syn_kind: AltKind = "syn" if kind == "direct" else kind
                    syn_source = source if kind == "direct" else f"{source}→{word}"
                    alts.append(Alt(w, factor * _F_SYN, syn_kind, syn_source))
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
            for j in range(i + 1, min(n, i + self._index.max_py) + 1):
                piece = s[i:j]
                if piece in self._index.py_full:
                    c = cost[i] + 1.0
                    kind = "full"
                elif j - i >= 2 and piece in self._index.py_ini:
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
                pieces.append((piece, self._index.py_full[piece]))
            elif kind == "ini":
                pieces.append((piece, self._index.py_ini[piece]))
            j = i
        pieces.reverse()
        return pieces

    def _near_pinyin(self, s: str) -> list[str]:
        """Vocabulary words whose full pinyin is a near spelling of ``s`` (shiyedenji)."""
        if len(s) < 5:
            return []
        from rapidfuzz import fuzz, process

        found = process.extract(
            s, self._index.py_full_list, scorer=fuzz.ratio, score_cutoff=88, limit=3
        )
        return [w for key, _, _ in found for w in self._index.py_full[key][:2]]

    # -----------------------------------------------------------------------------------------
    # Building slots from a query

    def _slots_for_letters(self, words: list[str]) -> list[Slot]:
        joined = "".join(words)
        if len(joined) < 2:
            return []
        whole = [
            Alt(joined, _F_DIRECT, "direct", joined),
            Alt(joined, _F_PINYIN, "py", joined, "typed_pinyin"),
        ]
        pieces = self._pinyin_pieces(joined)
        covered = sum(len(p) for p, _ in pieces)
        slots: list[Slot] = []
        if pieces and covered >= 0.6 * len(joined):
            for piece, candidates in pieces:
                alts: list[Alt] = []
                for w in candidates:
                    alts.extend(self._with_synonyms(w, _F_PINYIN, "pinyin", piece))
                slots.append(Slot(piece, [*alts, *whole]))
            return slots
        near = self._near_pinyin(joined)
        alts = [
            a for w in near for a in self._with_synonyms(w, _F_NEAR * _F_PINYIN, "near", joined)
        ]
        if len(words) >= 2 and not near:
            # Perhaps English words: each word is its own slot.
            return [
                Slot(
                    w,
                    [
                        Alt(w, _F_DIRECT, "direct", w),
                        Alt(w, _F_PINYIN, "py", w, "typed_pinyin"),
                    ],
                )
                for w in words
                if len(w) >= 3
            ]
        return [Slot(joined, [*whole, *alts])]

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
                if term[i:j] in self._index.vocab and cost[i] + 1.0 < cost[j]:
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
        return [p for p in pieces if p not in STOPWORDS]

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
                if key in self._index.py_full and cost[i] + 1.0 < cost[j]:
                    cost[j], back[j] = cost[i] + 1.0, (i, key)
            if cost[i] + 2.5 < cost[i + 1]:
                cost[i + 1], back[i + 1] = cost[i] + 2.5, (i, "")
        found: list[list[str]] = []
        j = n
        while j > 0:
            i, key = back[j]
            if key:
                found.append(self._index.py_full[key])
            j = i
        found.reverse()
        return found

    def _near_alts(self, term: str) -> list[Alt]:
        """Alternatives for a word the catalogue does not know: near spellings and homophones."""
        alts: list[Alt] = []
        seen: set[str] = {term}

        def add(word: str, factor: float, kind: AltKind) -> None:
            if word not in seen:
                seen.add(word)
                alts.extend(self._with_synonyms(word, factor, kind, term)[:12])

        # A word inside a synonym-group word: 外卖 → 跑外卖 → the 灵活就业 group.
        if len(term) >= 2:
            holders = [w for w in self._index.groups_of if term in w and w != term]
            group_ids = {gi for w in holders for gi in self._index.groups_of[w]}
            if 0 < len(group_ids) <= 3:
                for gi in sorted(group_ids):
                    for w in self._index.groups[gi]:
                        if w not in seen:
                            seen.add(w)
                            alts.append(Alt(w, _F_CONTAINED_SYN * _F_SYN, "syn", term))
        # Same pinyin (低宝 → 低保), or same-pinyin words inside it (低宝简请 → 低保).
        syllables = self._index.shared.syllables(term)
        full = "".join(syllables)
        if full in self._index.py_full:
            for w in self._index.py_full[full]:
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
                term, self._index.vocab_list, scorer=fuzz.ratio, score_cutoff=cutoff, limit=4
            ):
                add(w, _F_NEAR, "near")
        # A pinyin substring of a name or alias.
        if len(full) >= 4 and len(syllables) == len(term):
            alts.append(Alt(spaced(syllables), _F_NEAR, "py", term, "word_pinyin"))
        return alts

    def _slot_for_word(self, term: str, allow_split: bool = True) -> list[Slot]:
        weight = _META_WEIGHT if term in META_WORDS else 0.5 if len(term) == 1 else 1.0
        alts = self._with_synonyms(term, _F_DIRECT, "direct", term)
        if term.isdigit() and (spoken := chinese_number(term)):
            alts.extend(self._with_synonyms(spoken, _F_DIRECT, "direct", spoken))
        if not has_cjk(term) or self._known(term):
            if len(term) >= 3 and has_cjk(term):
                alts.extend(
                    Alt(sub, _F_PART, "part", term)
                    for sub in dict.fromkeys(self._index.shared.cut_for_search(term))
                    if 2 <= len(sub) < len(term) and sub not in STOPWORDS
                )
            return [Slot(term, alts, weight)]
        if allow_split and len(term) >= 3:
            parts = self._split_known(term)
            if parts:
                out: list[Slot] = []
                for p in parts:
                    out.extend(self._slot_for_word(p, allow_split=False))
                return out
        if len(term) == 1:
            return [Slot(term, alts, weight)]
        return [Slot(term, [*alts, *self._near_alts(term)], weight)]

    def _tokens(self, run: str) -> list[str]:
        """jieba tokens of a Chinese run, function words dropped, loose characters rejoined."""
        out: list[str] = []
        loose = ""
        for tok in self._index.shared.cut(run):
            if tok in STOPWORDS:
                if loose:
                    out.append(loose)
                    loose = ""
                continue
            if len(tok) == 1 and has_cjk(tok):
                loose += tok
                continue
            if loose:
                out.append(loose)
                loose = ""
            out.append(tok)
        if loose:
            out.append(loose)
        return out

    def parse(self, query: str) -> tuple[list[Slot], bool, str]:
        """The query's slots, whether Traditional characters were folded, the whole query
        normalised (to compare with names and aliases)."""
        text = unicodedata.normalize("NFKC", query).lower()[:_MAX_QUERY]
        traditional = False
        if has_cjk(text):
            simplified = self._index.shared.t2s.convert(text)
            traditional = simplified != text
            text = simplified
        slots: list[Slot] = []
        letters: list[str] = []
        for tok in TOKEN_RE.findall(text):
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
