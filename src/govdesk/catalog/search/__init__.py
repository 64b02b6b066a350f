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

Modules (each imports only those above it)
------------------------------------------
- ``normalise``: NFKC, Traditional → Simplified, pinyin, jieba segmentation, stop words (1).
- ``documents``: :class:`SearchDoc`, :class:`Hit` and :func:`docs_from_yaml`.
- ``index``: the index built from documents and synonyms, and its cache of word matches (4).
- ``query``: a query read into slots and their alternatives, typo tolerance included (2, 3).
- ``ranking``: :class:`SearchIndex` and the scoring of hits with their reasons (4, 5).
"""

from govdesk.catalog.search.documents import Hit, SearchDoc, docs_from_yaml
from govdesk.catalog.search.normalise import normalize
from govdesk.catalog.search.ranking import SearchIndex

__all__ = ["Hit", "SearchDoc", "SearchIndex", "docs_from_yaml", "normalize"]
