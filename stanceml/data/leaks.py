"""What can make a test score dishonest: near-duplicate text across articles, and a test split
that moved.

- :func:`near_duplicates` finds sentences shared by two articles and 8-word runs repeated
  across articles; the builder warns on them, and fails when one crosses the train/test line.
  A run found in :data:`STOCK_PHRASE` or more articles ("according to two people familiar
  with the talks") is a stock phrase of news prose, not copied content: it is counted apart
  and never fails the build; a whole shared sentence always counts.
- :func:`split_hash` is the SHA-256 of a split's triples; the config freezes the test split's
  hash, and the builder fails when the split no longer matches it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from stanceml.data.corpus import Corpus
from stanceml.records import Triple
from stanceml.text.sentences import split_sentences

#: Length of the word runs compared across articles.
SHINGLE = 8
#: A word run in this many articles or more is a stock phrase, not a near-duplicate.
STOCK_PHRASE = 3
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


@dataclass
class DuplicateReport:
    """Near-duplicates between articles, and those that cross from train to test."""

    #: (article, article, text) for each sentence or 8-word run found in two articles.
    pairs: list[tuple[str, str, str]] = field(default_factory=list)
    #: The pairs with one article in train and the other in test.
    leaks: list[tuple[str, str, str]] = field(default_factory=list)
    #: Word runs found in STOCK_PHRASE or more articles.
    stock_phrases: list[str] = field(default_factory=list)


def _shingles(text: str) -> set[str]:
    words = [w.lower() for w in _WORD.findall(text)]
    return {" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


def near_duplicates(corpus: Corpus, splits: dict[str, list[str]], limit: int = 200) -> DuplicateReport:
    """Sentences and 8-word runs that occur in more than one article (up to ``limit`` pairs)."""
    where: dict[str, set[str]] = defaultdict(set)
    for aid, article in corpus.articles.items():
        for s in split_sentences(article.text):
            key = " ".join(w.lower() for w in _WORD.findall(s.text))
            if len(key.split()) >= 4:
                where["sentence: " + key].add(aid)
            for sh in _shingles(s.text):
                where["run: " + sh].add(aid)
    split_of = {aid: name for name, ids in splits.items() for aid in ids}
    report = DuplicateReport()
    for text, aids in sorted(where.items()):
        if len(aids) < 2:
            continue
        if text.startswith("run: ") and len(aids) >= STOCK_PHRASE:
            report.stock_phrases.append(text[5:])
            continue
        ordered = sorted(aids)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                pair = (a, b, text)
                if len(report.pairs) < limit:
                    report.pairs.append(pair)
                if {split_of.get(a), split_of.get(b)} == {"train", "test"}:
                    report.leaks.append(pair)
    return report


def split_hash(triples: Iterable[Triple]) -> str:
    """SHA-256 over a split's triples (article, sentence, actor, target, stance), order-free."""
    h = hashlib.sha256()
    for t in sorted(triples, key=lambda t: (t.article_id, t.sentence, t.actor, t.target)):
        h.update(json.dumps([t.article_id, t.sentence, t.actor, t.target, t.stance]).encode())
    return h.hexdigest()
