"""The baselines the model is scored against, as functions from rows to (n, 3) probabilities.

- :class:`RuleBaseline`: cue words near the actor's mention decide the stance.
- :func:`majority_system`: the most frequent training stance.
- :func:`tfidf_system`: TF-IDF and logistic regression trained on the training split.

The rule baseline is transparent:

It follows scikit-learn's estimator contract (``fit`` returns self, ``classes_``,
``predict``, ``predict_proba``) and takes the same inputs as the predictor, so the evaluation
code scores it exactly like the model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stanceml.config import BaselineConfig
from stanceml.labels import LABEL2ID, LABELS
from stanceml.modeling.inputs import format_pair
from stanceml.records import StanceInput, as_input, rows_to_inputs

Rows = list[dict[str, Any]]
System = Callable[[Rows], np.ndarray]

_WORD = re.compile(r"[\w'’-]+|[,;:.!?()\"“”]")
# Punctuation and words that end the clause an actor's cue can be in.
_CLAUSE_BREAKS = frozenset({";", "while", "whereas", "but", "although", "though", "however", "yet"})


@dataclass
class RuleLexicon:
    """Cue lists; multi-word cues are allowed and matched as token sequences."""

    support: list[str] = field(default_factory=list)
    oppose: list[str] = field(default_factory=list)
    negation: list[str] = field(default_factory=list)
    hedge: list[str] = field(default_factory=list)


def _tokens(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


def _find_all(tokens: Sequence[str], phrase: Sequence[str]) -> list[int]:
    n = len(phrase)
    return [i for i in range(len(tokens) - n + 1) if list(tokens[i : i + n]) == list(phrase)]


class RuleBaseline:
    """Look for support/oppose cues in the actor's clause, nearest first.

    Args:
        lexicon: the cue lists (from ``configs/baseline/``).
        window: how many tokens after (and before) the mention to search.
        negation_window: how many tokens before a cue a negation word flips it.
        confidence: probability given to the predicted class (the rest is spread evenly).
    """

    def __init__(
        self,
        lexicon: RuleLexicon | Mapping[str, list[str]],
        window: int = 12,
        negation_window: int = 3,
        confidence: float = 0.8,
    ):
        self.lexicon = lexicon if isinstance(lexicon, RuleLexicon) else RuleLexicon(**lexicon)
        self.window = window
        self.negation_window = negation_window
        self.confidence = confidence
        self._cues = [(_tokens(c), label) for label in ("support", "oppose") for c in getattr(self.lexicon, label)] + [
            (_tokens(c), "hedge") for c in self.lexicon.hedge
        ]
        self._negations = [_tokens(c) for c in self.lexicon.negation]

    @classmethod
    def from_config(cls, cfg: Any) -> RuleBaseline:
        """Build and fit the baseline from a ``BaselineConfig`` (``configs/baseline/``)."""
        lexicon = {k: list(getattr(cfg, k)) for k in ("support", "oppose", "negation", "hedge")}
        return cls(lexicon, window=cfg.window, negation_window=cfg.negation_window).fit()

    def fit(self, X: Iterable[Any] | None = None, y: Iterable[str] | None = None) -> RuleBaseline:
        """Nothing to learn: the rules are fixed. Sets ``classes_`` and returns self."""
        self.classes_ = np.array(LABELS)
        return self

    def _clause_span(self, tokens: list[str], start: int, end: int) -> tuple[int, int]:
        lo = start
        while lo > 0 and tokens[lo - 1] not in _CLAUSE_BREAKS and start - lo < self.window:
            lo -= 1
        hi = end
        while hi < len(tokens) and tokens[hi] not in _CLAUSE_BREAKS and hi - end < self.window:
            hi += 1
        return lo, hi

    def _negated(self, tokens: list[str], at: int) -> bool:
        before = tokens[max(0, at - self.negation_window) : at]
        return any(_find_all(before, neg) for neg in self._negations)

    def predict_one(self, item: StanceInput | Mapping[str, str]) -> str:
        """The stance for one input."""
        item = as_input(item)
        tokens, actor = _tokens(item.sentence), _tokens(item.actor)
        hits = _find_all(tokens, actor) if actor else []
        if not hits:
            return "neutral"
        start, end = hits[0], hits[0] + len(actor)
        lo, hi = self._clause_span(tokens, start, end)
        found: list[tuple[int, int, str]] = []  # (distance, position, label)
        for cue, label in self._cues:
            for pos in _find_all(tokens[lo:hi], cue):
                pos += lo
                if start <= pos < end:
                    continue
                # Cues after the mention (actor verb ...) count more than cues before it.
                distance = pos - end if pos >= end else 2 * (start - pos)
                found.append((distance, pos, label))
        if not found:
            return "neutral"
        _, pos, label = min(found)
        if label == "hedge":
            return "neutral"
        if self._negated(tokens, pos):
            # "does not support" states opposition; "did not object" states none (guidelines 5-6).
            return "oppose" if label == "support" else "neutral"
        return label

    def predict(self, X: Iterable[StanceInput | Mapping[str, str]]) -> np.ndarray:
        """Stances for a list of inputs, as an array of label strings."""
        return np.array([self.predict_one(x) for x in X], dtype=object)

    def predict_proba(self, X: Iterable[StanceInput | Mapping[str, str]]) -> np.ndarray:
        """A (n, 3) array: ``confidence`` on the rule's label, the rest spread evenly."""
        labels = self.predict(X)
        rest = (1.0 - self.confidence) / (len(LABELS) - 1)
        proba = np.full((len(labels), len(LABELS)), rest)
        proba[np.arange(len(labels)), [LABEL2ID[label] for label in labels]] = self.confidence
        return proba


# ----------------------------------------------------------------------------- systems


def _columns(p: np.ndarray, classes: Sequence[str]) -> np.ndarray:
    """Reorder a classifier's probability columns into ``LABELS`` order."""
    out = np.zeros((p.shape[0], len(LABELS)))
    for j, c in enumerate(classes):
        out[:, LABEL2ID[c]] = p[:, j]
    return out


def majority_system(train_rows: Rows) -> System:
    """scikit-learn's ``DummyClassifier``: always the most frequent training stance."""
    from sklearn.dummy import DummyClassifier

    y = [r["stance"] for r in train_rows] or ["neutral"]
    clf = DummyClassifier(strategy="most_frequent").fit(np.zeros((len(y), 1)), y)
    return lambda rows: _columns(clf.predict_proba(np.zeros((len(rows), 1))), list(clf.classes_))


def tfidf_system(train_rows: Rows, seed: int = 0) -> System:
    """TF-IDF (word 1-2 grams) over the marked sentence and the actor/target pair, then
    logistic regression, as one scikit-learn pipeline trained on the training split."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    def text(rows: Rows) -> list[str]:
        return [f"{p.text} || {p.text_pair}" for p in (format_pair(x) for x in rows_to_inputs(rows))]

    pipe = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        LogisticRegression(max_iter=2000, C=4.0, random_state=seed),
    ).fit(text(train_rows), [r["stance"] for r in train_rows])
    return lambda rows: _columns(pipe.predict_proba(text(rows)), list(pipe.classes_))


def rule_system(cfg: BaselineConfig) -> System:
    """The rule baseline with the configured lexicon."""
    rb = RuleBaseline.from_config(cfg)
    return lambda rows: rb.predict_proba(rows_to_inputs(rows))
