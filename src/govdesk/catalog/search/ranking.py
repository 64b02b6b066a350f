"""Ranking: how well each document answers the query, and why.

A slot scores a document with its best alternative (confidence factor × field strength). The
document score is the weighted mean over slots — a slot's weight grows mildly with its
specificity (inverse document frequency) — plus a bonus when the whole query, or one of its
words, names the document exactly; an item of the forbidden list named outright comes first.
Ties go to popularity, then name. Every hit carries short reasons in the active language.

:class:`SearchIndex`, the entry point, lives here: it builds the :class:`CatalogueIndex` and a
:class:`QueryReader` over it, and ranks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.conf import settings
from django.utils import translation

from govdesk.catalog.search.documents import Hit, SearchDoc
from govdesk.catalog.search.index import CatalogueIndex
from govdesk.catalog.search.normalise import has_cjk
from govdesk.catalog.search.query import Alt, QueryReader, Slot

_MIN_SCORE = 0.1
_RELEVANT = 0.3  # a slot "really" matches a document above this (for document frequency)


def gettext(message: str) -> str:
    """``message`` in the active language; as is when Django is not set up (benchmarks)."""
    if not settings.configured:
        return message
    return translation.gettext(message)


class SearchIndex:
    """An in-memory index over catalogue documents. Build once; search is read-only."""

    def __init__(self, docs: Sequence[SearchDoc], synonyms: Sequence[Sequence[str]]) -> None:
        self._index = CatalogueIndex(docs, synonyms)
        self._reader = QueryReader(self._index)
        self.docs: tuple[SearchDoc, ...] = self._index.docs

    def clear_cache(self) -> None:
        """Forget cached word matches (for cold-start benchmarks; never needed otherwise)."""
        self._index.clear_cache()

    def _score_slot(self, slot: Slot) -> dict[int, tuple[float, str]]:
        best: dict[int, tuple[float, Alt, str]] = {}
        for alt in slot.alts:
            for i, (strength, label) in self._index.match(alt.mode, alt.text).items():
                q = alt.factor * strength
                if q > (best[i][0] if i in best else 0.0):
                    best[i] = (q, alt, label)
        return {i: (q, _reason(alt, label)) for i, (q, alt, label) in best.items()}

    def search(self, query: str, limit: int = 10) -> list[Hit]:
        """Best hits first. A blank query returns every document by popularity, then name."""
        if not query or not query.strip():
            ordered = sorted(self.docs, key=lambda d: (-d.popularity, d.name))
            return [Hit(d, 0.0, (gettext("按使用热度排列"),)) for d in ordered]
        slots, traditional, whole = self._reader.parse(query)
        scored: list[tuple[Slot, dict[int, tuple[float, str]], float]] = []
        log_n = math.log(max(self._index.n, 2))
        for slot in slots:
            per_doc = self._score_slot(slot)
            if not per_doc:
                continue  # a word the catalogue knows nothing about
            df = sum(1 for q, _ in per_doc.values() if q >= _RELEVANT) or len(per_doc)
            idf = math.log(max(self._index.n / df, 1.0)) / log_n
            scored.append((slot, per_doc, slot.weight * (1.0 + 0.5 * idf)))
        if not scored:
            return []
        total_weight = sum(w for _, _, w in scored)
        candidates: set[int] = set()
        for _, per_doc, _ in scored:
            candidates.update(per_doc)
        name_eq = set(self._index.name_index.get(whole, ()))
        alias_eq = set(self._index.alias_index.get(whole, ()))
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


def _reason(alt: Alt, label: str) -> str:
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
    if has_cjk(alt.source):  # pinyin substring of a name, from a Chinese word (homophone)
        return gettext("近似“%(source)s”（同音）") % words
    return gettext("拼音 %(source)s") % words
