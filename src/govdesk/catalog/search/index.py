"""The index built once from the documents and synonym groups.

:class:`CatalogueIndex` holds the synonym groups (word → groups), one field view per
representation — names, aliases and summary text; the full pinyin of names and aliases;
their initials — each with a blob for fast substring search, the names and aliases for exact
look-up, the vocabulary (names, aliases, synonym words and their sub-words, all jieba user
words) with its pinyin tables, the pinyin syllables of the catalogue, and the in-process cache
of word matches (:meth:`CatalogueIndex.match`).
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Sequence

from govdesk.catalog.search.documents import SearchDoc
from govdesk.catalog.search.normalise import Shared, has_cjk, normalize, spaced

_SEP = "\x1f"  # between fields of one document in a blob
_DOC_SEP = "\x1e"  # between documents in a blob


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


class CatalogueIndex:
    """Documents, synonyms and vocabulary prepared for matching. Build once; then read-only
    but for the cache of word matches."""

    def __init__(self, docs: Sequence[SearchDoc], synonyms: Sequence[Sequence[str]]) -> None:
        self.shared = Shared.get()
        self.docs: tuple[SearchDoc, ...] = tuple(docs)
        self.n = len(self.docs)

        # Synonym groups (normalised, de-duplicated); word → groups.
        groups: list[tuple[str, ...]] = []
        for group in synonyms:
            words = tuple(dict.fromkeys(w for w in (normalize(str(x)) for x in group) if w))
            if len(words) >= 2:
                groups.append(words)
        self.groups = groups
        self.groups_of: dict[str, list[int]] = {}
        for gi, words in enumerate(groups):
            for w in words:
                self.groups_of.setdefault(w, []).append(gi)

        # Text view of every document.
        fields: list[tuple[str, list[str], str]] = []
        for doc in self.docs:
            name = normalize(doc.name)
            aliases = [a for a in dict.fromkeys(normalize(a) for a in doc.aliases) if a != name]
            fields.append((name, aliases, normalize(doc.text)))
        self._text = _View(fields)
        self.name_index: dict[str, list[int]] = {}
        self.alias_index: dict[str, list[int]] = {}
        for i, (name, aliases, _) in enumerate(fields):
            self.name_index.setdefault(name, []).append(i)
            for a in aliases:
                self.alias_index.setdefault(a, []).append(i)

        # jieba user words: every name, alias and synonym word, so they are kept whole.
        phrases = {f[0] for f in fields} | {a for f in fields for a in f[1]}
        phrases |= {w for g in groups for w in g}
        phrases = {p for p in phrases if has_cjk(p)}
        self.shared.add_user_words(sorted(phrases))

        # Vocabulary: the phrases and their sub-words; pinyin maps for reading pinyin and
        # finding homophones.
        vocab: set[str] = set(phrases)
        for p in phrases:
            vocab.update(w for w in self.shared.cut_for_search(p) if len(w) >= 2 and has_cjk(w))
        self.vocab = vocab
        self.vocab_list = sorted(vocab)
        names_aliases_blob = _DOC_SEP.join(_SEP.join((f[0], *f[1])) for f in fields)
        vocab_df = {w: names_aliases_blob.count(w) for w in self.vocab_list}
        self.py_full: dict[str, list[str]] = {}
        self.py_ini: dict[str, list[str]] = {}
        for w in self.vocab_list:
            full, ini = self.shared.pinyin(w)
            self.py_full.setdefault(full, []).append(w)
            self.py_ini.setdefault(ini, []).append(w)
        for table in (self.py_full, self.py_ini):
            for key, candidates in table.items():
                candidates.sort(key=lambda w: (-vocab_df.get(w, 0), len(w), w))
                table[key] = candidates[:8]
        self.max_py = max((len(k) for k in self.py_full), default=1)
        self.py_full_list = sorted(self.py_full)

        # Pinyin views of names and (Chinese) aliases: full pinyin with a space around every
        # syllable (so matches start and end on syllable boundaries), and initials.
        full_fields: list[tuple[str, list[str], str]] = []
        ini_fields: list[tuple[str, list[str], str]] = []
        syllable_set: set[str] = set()
        for name, aliases, _ in fields:
            cjk = [x for x in (name, *aliases) if has_cjk(x)]
            sylls = [self.shared.syllables(x) for x in cjk]
            syllable_set.update(y for ys in sylls for y in ys if y.isalpha())
            spaced_pinyin = [spaced(ys) for ys in sylls]
            initials = ["".join(y[:1] for y in ys) for ys in sylls]
            if cjk and cjk[0] == name:
                full_fields.append((spaced_pinyin[0], spaced_pinyin[1:], ""))
                ini_fields.append((initials[0], initials[1:], ""))
            else:
                full_fields.append(("", spaced_pinyin, ""))
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

    def match(self, mode: str, text: str) -> dict[int, tuple[float, str]]:
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
                complete = spaced(syllables)
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
