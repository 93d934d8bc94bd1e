"""A transparent rule baseline: cue words near the actor's mention decide the stance.

It follows scikit-learn's estimator contract (``fit`` returns self, ``classes_``,
``predict``, ``predict_proba``) and takes the same inputs as the predictor, so the evaluation
code scores it exactly like the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from stanceml.inputs import StanceInput, as_input
from stanceml.labels import LABEL2ID, LABELS

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
        self._cues = [
            (_tokens(c), label) for label in ("support", "oppose") for c in getattr(self.lexicon, label)
        ] + [(_tokens(c), "hedge") for c in self.lexicon.hedge]
        self._negations = [_tokens(c) for c in self.lexicon.negation]

    @classmethod
    def from_config(cls, cfg: Any) -> "RuleBaseline":
        """Build and fit the baseline from a ``BaselineConfig`` (``configs/baseline/``)."""
        lexicon = {k: list(getattr(cfg, k)) for k in ("support", "oppose", "negation", "hedge")}
        return cls(lexicon, window=cfg.window, negation_window=cfg.negation_window).fit()

    def fit(self, X: Iterable[Any] | None = None, y: Iterable[str] | None = None) -> "RuleBaseline":
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
