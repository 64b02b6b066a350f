"""Matching a resident's question to the knowledge base (智能问答).

Questions are compared by their content words (jieba segmentation, question and function words
dropped, Traditional folded to Simplified), each weighted by how rare it is in the knowledge
base. A question is answered only when the words that matter match: sharing "怎么办" with a
stored question is not enough.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import jieba

from govdesk.catalog.i18n import to_simplified

STOP = set(
    "怎么 怎样 如何 什么 哪些 哪里 哪儿 哪个 多少 多久 几天 是否 是不是 能不能 "
    "可不可以 可以 能 能否 需要 要 吗 呢 吧 啊 呀 的 了 我 我们 你 你们 "
    "他 她 在 和 与 及 或 或者 还 也 都 就 去 到 给 "
    "办 办理 申请 一下 请问 想 想要 怎么办 怎么样 有没有 有 没有 会 该 应该 这个 那个 自己 家里 "
    "一个 个 是 不 吗？ ？ 。 ， ！".split()
)
WORD = re.compile(r"[\u3400-\u9fff\U00020000-\U0003134fA-Za-z0-9]+")


def content_words(text: str) -> list[str]:
    simplified = to_simplified(text.lower())
    words = []
    for run in WORD.findall(simplified):
        for word in jieba.lcut_for_search(run):
            if word in STOP or not WORD.fullmatch(word):
                continue
            if len(word) == 1 and not word.isascii():
                continue
            words.append(word)
    return words


@dataclass(frozen=True)
class QAMatch:
    entry_id: int
    score: float
    matched: tuple[str, ...]


class QAIndex:
    def __init__(self, entries: Sequence[tuple[int, Sequence[str]]]) -> None:
        self.phrasings: list[tuple[int, set[str]]] = []
        frequency: Counter[str] = Counter()
        for entry_id, texts in entries:
            vocabulary: set[str] = set()
            for text in texts:
                words = set(content_words(text))
                if words:
                    self.phrasings.append((entry_id, words))
                    vocabulary |= words
            frequency.update(vocabulary)
        total = max(1, len(entries))
        self.idf = {w: math.log(1 + total / n) for w, n in frequency.items()}
        self.unknown_idf = math.log(1 + total)

    def weight(self, word: str) -> float:
        return self.idf.get(word, self.unknown_idf)

    def best(self, question: str) -> QAMatch | None:
        asked = set(content_words(question))
        if not asked:
            return None
        asked_weight = sum(self.weight(w) for w in asked)
        best: QAMatch | None = None
        for entry_id, words in self.phrasings:
            shared = asked & words
            if not shared:
                continue
            shared_weight = sum(self.weight(w) for w in shared)
            recall = shared_weight / asked_weight
            precision = shared_weight / sum(self.weight(w) for w in words)
            score = 2 * recall * precision / (recall + precision)
            if best is None or score > best.score:
                best = QAMatch(entry_id, score, tuple(sorted(shared)))
        return best
