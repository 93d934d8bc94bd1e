"""Sentence-level evidence and its combination into one stance per actor and target.

The rule of :func:`aggregate` is described in :mod:`stanceml.analysis.analyze` (step 4).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

DEFAULT_MIN_WEIGHT = 0.5
DEFAULT_CONFLICT_MARGIN = 1 / 3


@dataclass(frozen=True)
class Evidence:
    """One sentence's say on one actor and target."""

    sentence: str
    #: The sentence's character span in the article: ``text[start:end] == sentence``.
    start: int
    end: int
    stance: str
    probs: dict[str, float]
    #: The probability of ``stance`` (the sentence's confidence).
    score: float
    #: The actor's mention, and its span in the article.
    mention: str = ""
    mention_start: int = -1
    mention_end: int = -1

    def to_dict(self, digits: int = 4) -> dict[str, Any]:
        """A JSON-ready dict with rounded probabilities."""
        d = asdict(self)
        d["score"] = round(self.score, digits)
        d["probs"] = {k: round(v, digits) for k, v in self.probs.items()}
        return d


@dataclass(frozen=True)
class ActorStance:
    """Where one canonical actor stands on one target across an article."""

    actor: str
    target: str
    stance: str
    score: float
    evidence: list[Evidence] = field(default_factory=list)
    #: Why this stance: "agreeing evidence", "conflicting evidence", "weak evidence",
    #: "only neutral evidence".
    reason: str = ""
    #: Summed confidence per label.
    weights: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def best_evidence(self) -> Evidence | None:
        """The most confident sentence that agrees with the stance (else the most confident)."""
        agreeing = [e for e in self.evidence if e.stance == self.stance] or list(self.evidence)
        return max(agreeing, key=lambda e: e.score, default=None)

    def to_dict(self, digits: int = 4) -> dict[str, Any]:
        """A JSON-ready dict: actor, target, stance, score, reason, weights, notes, evidence."""
        return {
            "actor": self.actor,
            "target": self.target,
            "stance": self.stance,
            "score": round(self.score, digits),
            "reason": self.reason,
            "weights": {k: round(v, digits) for k, v in self.weights.items()},
            "notes": list(self.notes),
            "evidence": [e.to_dict(digits) for e in self.evidence],
        }


def aggregate(
    evidence: Sequence[Evidence],
    min_weight: float = DEFAULT_MIN_WEIGHT,
    conflict_margin: float = DEFAULT_CONFLICT_MARGIN,
) -> tuple[str, float, str, dict[str, float]]:
    """Combine sentence-level evidence into ``(stance, score, reason, weights)``.

    See the module docstring for the rule. ``min_weight`` is the polar weight (summed
    confidence of support and oppose sentences) needed for a non-neutral answer;
    ``conflict_margin`` is the share of the polar weight by which one side must lead.
    """
    if not 0 <= conflict_margin <= 1:
        raise ValueError(f"conflict_margin must be in [0, 1], got {conflict_margin}")
    weights = {"support": 0.0, "oppose": 0.0, "neutral": 0.0}
    counts = {"support": 0, "oppose": 0, "neutral": 0}
    for e in evidence:
        if e.stance not in weights:
            raise ValueError(f"unknown stance {e.stance!r} in evidence")
        weights[e.stance] += e.score
        counts[e.stance] += 1
    if not evidence:
        return "neutral", 0.0, "no evidence", weights
    support, oppose = weights["support"], weights["oppose"]
    polar, n_polar = support + oppose, counts["support"] + counts["oppose"]
    if n_polar == 0:
        return "neutral", weights["neutral"] / counts["neutral"], "only neutral evidence", weights
    lean = abs(support - oppose) / n_polar
    if polar < min_weight:
        return "neutral", 1.0 - lean, "weak evidence", weights
    if abs(support - oppose) < conflict_margin * polar:
        return "neutral", 1.0 - lean, "conflicting evidence", weights
    return ("support" if support > oppose else "oppose"), lean, "agreeing evidence", weights
