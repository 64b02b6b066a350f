"""Catalogue search benchmark: hit rate and latency against a plain substring match.

Run from the repository root: ``.venv/bin/python bench/search.py``

Builds 1,000 resident queries deterministically from the development set, the held-out set and
variations of them and of the catalogue's own names and aliases (full pinyin, pinyin initials,
Traditional characters, one-character typos, colloquial synonyms, shuffled words), each with the
standard names of which one must be among the top three results.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from machine import machine_line

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from govdesk.catalog.search import (  # noqa: E402
    SearchDoc,
    SearchIndex,
    docs_from_yaml,
    normalize,
)

DATA = ROOT / "src" / "govdesk" / "catalog" / "data"
_SHARED_DEV_SET = ROOT.parent / "shared" / "data" / "search-dev.tsv"
DEV_SET = (
    _SHARED_DEV_SET if _SHARED_DEV_SET.exists() else ROOT / "tests" / "data" / "search-dev.tsv"
)
HELDOUT_SET = ROOT / "tests" / "data" / "search-heldout.tsv"
TOTAL = 1000
SEED = 20260301

Case = tuple[str, tuple[str, ...], str]  # query, expected names, variation kind


def machine() -> str:
    return machine_line()


def read_cases(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    if not path.exists():
        print(f"(missing: {path})")
        return []
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#") and "\t" in line:
            query, expected = line.split("\t", 1)
            cases.append((query, tuple(e for e in expected.split("|") if e)))
    return cases


class Variations:
    """Deterministic query variations."""

    def __init__(self, docs: Sequence[SearchDoc], synonyms: Sequence[Sequence[str]]) -> None:
        from opencc import OpenCC
        from pypinyin import lazy_pinyin

        self.rng = random.Random(SEED)
        self.s2t = OpenCC("s2t")
        self.lazy_pinyin = lazy_pinyin
        # Homophone pool: characters of the catalogue grouped by toneless pinyin.
        chars = sorted({c for d in docs for c in d.name + "".join(d.aliases) + d.text})
        self.homophones: dict[str, list[str]] = {}
        self.pinyin_of: dict[str, str] = {}
        for c in chars:
            if "\u4e00" <= c <= "\u9fff":
                py = lazy_pinyin(c)[0]
                self.pinyin_of[c] = py
                self.homophones.setdefault(py, []).append(c)
        self.all_chars = [c for c in chars if c in self.pinyin_of]
        self.synonyms = [list(g) for g in synonyms]

    def pinyin(self, text: str, spaced: bool = False) -> str:
        syllables = self.lazy_pinyin(normalize(text))
        return (" " if spaced else "").join(syllables)

    def initials(self, text: str) -> str:
        return "".join(s[0] for s in self.lazy_pinyin(normalize(text)) if s)

    def traditional(self, text: str) -> str:
        return str(self.s2t.convert(text))

    def typo(self, text: str) -> str:
        positions = [i for i, c in enumerate(text) if c in self.pinyin_of]
        if not positions:
            return text
        i = self.rng.choice(positions)
        same = [c for c in self.homophones[self.pinyin_of[text[i]]] if c != text[i]]
        if same and self.rng.random() < 0.75:
            new = self.rng.choice(same)  # homophone, the usual pinyin-IME slip
        else:
            new = self.rng.choice(self.all_chars)  # any other character
        return text[:i] + new + text[i + 1 :]

    def shuffled(self, words: list[str]) -> str:
        words = words[:]
        self.rng.shuffle(words)
        return " ".join(words)


def build_queries(docs: Sequence[SearchDoc], synonyms: Sequence[Sequence[str]]) -> list[Case]:
    var = Variations(docs, synonyms)
    rng = var.rng
    base = read_cases(DEV_SET) + read_cases(HELDOUT_SET)

    # Catalogue-derived targets: each name and each alias, with every doc sharing that string.
    by_string: dict[str, set[str]] = {}
    for d in docs:
        for s in (d.name, *d.aliases):
            if any("\u4e00" <= c <= "\u9fff" for c in s):
                by_string.setdefault(normalize(s), set()).add(d.name)
    strings = sorted(by_string)

    # Colloquial words: a synonym-group word whose group holds a name/alias of 1-3 documents.
    colloquial: list[tuple[str, tuple[str, ...]]] = []
    for group in synonyms:
        words = [normalize(w) for w in group]
        targets = set().union(*(by_string.get(w, set()) for w in words))
        if 1 <= len(targets) <= 3:
            colloquial.extend(
                (w, tuple(sorted(targets)))
                for w in words
                if w not in by_string and len(w) >= 2 and not w.isascii()
            )

    def from_base(make: Callable[[str], str], kind: str) -> Case:
        query, expected = rng.choice(base)
        return make(query), expected, kind

    def from_catalogue(make: Callable[[str], str], kind: str, max_len: int = 99) -> Case:
        while True:
            s = rng.choice(strings)
            if len(s) <= max_len:
                return make(s), tuple(sorted(by_string[s])), kind

    def shuffled_name() -> Case:
        while True:
            d = rng.choice(list(docs))
            import jieba

            words = [w for w in jieba.lcut(normalize(d.name)) if len(w) >= 2]
            if len(words) >= 2:
                return var.shuffled(words), (d.name,), "word order"

    generators: list[Callable[[], Case]] = [
        lambda: from_base(lambda q: q, "as written"),
        lambda: from_catalogue(lambda s: s, "name or alias"),
        lambda: from_base(var.pinyin, "pinyin"),
        lambda: from_catalogue(lambda s: var.pinyin(s, spaced=rng.random() < 0.3), "pinyin", 8),
        lambda: from_catalogue(var.initials, "initials", 6),
        lambda: from_base(var.traditional, "traditional"),
        lambda: from_catalogue(var.traditional, "traditional"),
        lambda: from_base(var.typo, "typo"),
        lambda: from_catalogue(var.typo, "typo"),
        lambda: (*rng.choice(colloquial), "colloquial"),
        shuffled_name,
    ]
    cases: list[Case] = [(q, e, "as written") for q, e in base]
    i = 0
    while len(cases) < TOTAL:
        cases.append(generators[i % len(generators)]())
        i += 1
    return cases[:TOTAL]


def substring_search(docs: Sequence[SearchDoc], query: str, limit: int = 10) -> list[SearchDoc]:
    q = query.strip()
    if not q:
        return []
    found = [d for d in docs if q in d.name or d.name in q]
    return sorted(found, key=lambda d: d.name)[:limit]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
    return ordered[k]


Result = tuple[str, float, float, float, float, dict[str, float]]


def run(name: str, search: Callable[[str], list[str]], cases: list[Case]) -> Result:
    """Hit rate, wall-clock p50/p95 and CPU-time p95 (ms) of one search function."""
    hits = 0
    timings: list[float] = []
    cpu: list[float] = []
    by_kind: dict[str, list[int]] = {}
    for query, expected, kind in cases:
        start, start_cpu = time.perf_counter(), time.thread_time()
        names = search(query)
        timings.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        ok = bool(set(expected) & set(names[:3]))
        hits += ok
        by_kind.setdefault(kind, []).append(ok)
    rates = {k: sum(v) / len(v) for k, v in by_kind.items()}
    return (
        name,
        hits / len(cases),
        statistics.median(timings),
        percentile(timings, 95),
        percentile(cpu, 95),
        rates,
    )


def main() -> None:
    print(machine())
    start = time.perf_counter()
    docs, synonyms = docs_from_yaml(DATA)
    index = SearchIndex(docs, synonyms)
    print(
        f"catalogue: {len(docs)} documents, {len(synonyms)} synonym groups; "
        f"index built in {time.perf_counter() - start:.2f} s (includes loading jieba once)"
    )
    cases = build_queries(docs, synonyms)
    kinds = sorted({k for _, _, k in cases})
    counts = ", ".join(f"{k} {sum(c[2] == k for c in cases)}" for k in kinds)
    print(f"queries: {len(cases)} ({counts})")

    index.search("预热")  # first query after start-up

    def ours(q: str) -> list[str]:
        return [h.doc.name for h in index.search(q)]

    def ours_cold(q: str) -> list[str]:
        index.clear_cache()
        return [h.doc.name for h in index.search(q)]

    def plain(q: str) -> list[str]:
        return [d.name for d in substring_search(docs, q)]

    results = [
        run("govdesk search", ours, cases),
        run("  (cold word cache)", ours_cold, cases),
        run("substring on names", plain, cases),
    ]
    print()
    print(f"{'':22} {'top-3 hit rate':>15} {'p50 ms':>8} {'p95 ms':>8} {'p95 cpu ms':>11}")
    for name, rate, p50, p95, p95_cpu, _ in results:
        print(f"{name:22} {rate:>14.1%} {p50:>8.3f} {p95:>8.3f} {p95_cpu:>11.3f}")
    print("(wall-clock p50/p95 per query; p95 cpu = this thread's CPU time, unaffected by load)")
    print()
    print(f"{'by variation':22} {'govdesk':>10} {'substring':>10}")
    for kind in kinds:
        print(f"{kind:22} {results[0][5][kind]:>10.1%} {results[2][5][kind]:>10.1%}")
    p95 = results[0][3]
    print()
    print(f"goal p95 <= 20 ms: {'met' if p95 <= 20 else 'NOT met'} ({p95:.2f} ms)")


if __name__ == "__main__":
    main()
