"""Sentence-level evidence and its combination into one stance per actor and target.

The rule of :func:`aggregate` is described in :mod:`stanceml.analysis.analyze` (step 4);
:func:`assess` adds the article-level view: a confidence, and flags for a position that
changed or is conditional.
"""

from __future__ import annotations

import re
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
    #: For a mention resolved by coreference, the chain from the mention to the actor
    #: ("he", "its prime minister", "Hungary"); empty for a direct mention.
    chain: tuple[str, ...] = ()
    #: Whether the mention is the subject of its clause (who acts, not who is acted on).
    subject: bool = True

    def to_dict(self, digits: int = 4) -> dict[str, Any]:
        """A JSON-ready dict with rounded probabilities."""
        d = asdict(self)
        d["score"] = round(self.score, digits)
        d["probs"] = {k: round(v, digits) for k, v in self.probs.items()}
        d["chain"] = list(self.chain)
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
    #: Mean probability of ``stance`` over the sentences that decided it (see :func:`assess`).
    confidence: float = 0.0
    #: The article reports the actor changing position; ``stance`` is the later one.
    changed: bool = False
    #: The position is stated with a condition ("only if", "as long as").
    conditional: bool = False
    #: The actor's distinct mentions in the article ("Dr Ana Costa", "Costa", "the minister").
    mentions: tuple[str, ...] = ()

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
            "confidence": round(self.confidence, digits),
            "changed": self.changed,
            "conditional": self.conditional,
            "mentions": list(self.mentions),
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


#: A sentence that reports a change of position.
CHANGE_CUES = re.compile(
    r"\b(?:no longer|changed? (?:its|his|her|their) (?:mind|position|stance|view)|reversed?|reversal|u-turn|"
    r"backtrack\w*|(?:dropped|abandoned|withdrew|withdrawn) (?:its|his|her|their) (?:opposition|support|objections?)|"
    r"came (?:round|around)|switched|now (?:backs?|supports?|opposes?|favou?rs?)|changed course)\b",
    re.IGNORECASE,
)
#: A sentence that states a position with a condition.
CONDITION_CUES = re.compile(
    r"\b(?:only if|provided(?: that)?|on (?:the )?condition|as long as|so long as|unless|subject to|"
    r"conditional on|if and only if|in exchange for)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Assessment:
    """What :func:`assess` concludes for one actor and target."""

    stance: str
    score: float
    reason: str
    weights: dict[str, float]
    confidence: float
    changed: bool
    conditional: bool


def _confidence(evidence: Sequence[Evidence], stance: str, score: float) -> float:
    """Mean probability of ``stance`` over the polar sentences (a polar stance), else ``score``."""
    polar = [e for e in evidence if e.stance in ("support", "oppose")]
    if stance == "neutral" or not polar:
        return score
    return sum(e.probs.get(stance, e.score if e.stance == stance else 0.0) for e in polar) / len(polar)


def assess(
    evidence: Sequence[Evidence],
    min_weight: float = DEFAULT_MIN_WEIGHT,
    conflict_margin: float = DEFAULT_CONFLICT_MARGIN,
) -> Assessment:
    """The stance at the end of the article, with a confidence and change/condition flags.

    A polar sentence that reports a change ("no longer backs", "dropped its opposition")
    splits the evidence: when the evidence from that sentence on reaches a polar stance
    that differs from the one before it (or the one before was opposite polar evidence), the
    later stance is the answer and ``changed`` is set. ``conditional`` is set when a sentence
    that agrees with the answer states a condition.
    """
    stance, score, reason, weights = aggregate(evidence, min_weight, conflict_margin)
    changed = False
    for i, e in enumerate(evidence):
        if i == 0 or e.stance == "neutral" or not CHANGE_CUES.search(e.sentence):
            continue
        later = aggregate(evidence[i:], min_weight, conflict_margin)
        before = aggregate(evidence[:i], min_weight, conflict_margin)
        earlier_sides = {x.stance for x in evidence[:i]} - {"neutral"}
        if later[0] != "neutral" and (before[0] != later[0] or earlier_sides - {later[0]}):
            stance, score, reason, weights = later
            changed = before[0] != later[0] or bool(earlier_sides - {later[0]})
            reason = f"{reason}, after a change of position"
            break
    conditional = stance != "neutral" and any(
        e.stance == stance and CONDITION_CUES.search(e.sentence) for e in evidence
    )
    return Assessment(stance, score, reason, weights, _confidence(evidence, stance, score), changed, conditional)
