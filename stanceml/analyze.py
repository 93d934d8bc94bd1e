"""From an article and a few targets to who stands where, with the sentences that say so.

:func:`analyze_text` runs in four steps:

1. **Sentences.** The text is split by :func:`stanceml.sentences.split_sentences`; every
   sentence keeps its character span in the article.
2. **Actors.** :meth:`stanceml.actors.Gazetteer.find_mentions` finds the actor mentions in
   each sentence and maps them to canonical actors ("Berlin" -> Germany). The packaged
   gazetteer is used unless told otherwise; ``actors`` adds the caller's own actors to it, or
   replaces it with ``replace_actors=True``.
3. **Questions.** Each (sentence, mention, target) where the sentence is *about* the target
   becomes one model input, the mention marked by its span; the whole article goes to the
   model in one batched ``predictor.predict`` call. The rule for "about" (``relevance``):

   - ``"overlap"`` (default): the sentence shares at least one content word with the target,
     outside the actor's own mention. Words are compared lower-case on a crude stem (the
     first five letters, a plural "s" dropped), and stop words are ignored: "Budapest resists
     the invitation" is about "Ukraine's invitation to NATO", "Kyiv rejected the account" is
     not. When no sentence of the article shares a word with a target, the article as a
     whole is taken to be about it and every sentence with an actor is used (the result
     carries a note saying so).
   - ``"all"``: every sentence with an actor mention is paired with every target, and the
     aggregation alone weighs the evidence.

   When a sentence names the same actor twice, the more confident of the two predictions
   speaks for that sentence, so each sentence counts once per actor and target. Actors named
   inside a target ("Ukraine" and "NATO" in "Ukraine's invitation to NATO") are not asked
   about it unless ``skip_target_actors=False``: their mentions are mostly part of the
   target's own phrase ("an invitation for Ukraine"), not positions.
4. **Aggregation** (:func:`aggregate`): a confidence-weighted vote. Each sentence adds its
   confidence (the probability of its predicted label) to that label's weight. The actor
   *supports* or *opposes* the target when the polar weight (support + oppose) reaches
   ``min_weight`` and one side leads the other by at least ``conflict_margin`` of the polar
   weight (with the default 1/3, the winning side holds at least two thirds of it);
   otherwise the result is *neutral*: the evidence is weak, conflicting, or only neutral.
   Neutral sentences (mere mentions, hedges) do not dilute a clear position: an actor that
   is mentioned five times and opposes the target once is reported as opposing it.
   The score is the lean, ``|support - oppose|`` divided by the number of polar sentences
   (1.0: every polar sentence agrees and is certain), for support and oppose; for neutral
   it is ``1 - lean``, or the mean confidence of the neutral sentences when there is no
   polar evidence at all.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from stanceml.actors import ActorsLike, Gazetteer
from stanceml.inputs import StanceInput
from stanceml.sentences import Sentence, split_sentences

if TYPE_CHECKING:
    from stanceml.predict import StancePredictor

RELEVANCE_RULES = ("overlap", "all")
DEFAULT_MIN_WEIGHT = 0.5
DEFAULT_CONFLICT_MARGIN = 1 / 3

#: Words that say nothing about what a target is.
STOPWORDS = frozenset(
    """a an the of to in on at for from by with into onto over under about against between
    and or but nor not no as than then so such also too very just only
    is are was were be been being am has have had do does did will would shall should can
    could may might must its it this that these those their there his her our your my they
    them he she we you who whom which what whose when where why how all any some each both
    either neither more most other same own new""".split()
)


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


def _stem(word: str) -> str:
    word = word.lower()
    if len(word) > 3 and word.endswith("s"):
        word = word[:-1]
    return word[:5]


def content_stems(text: str) -> set[str]:
    """The stems of ``text``'s content words (see the module docstring)."""
    out = set()
    for word in re.findall(r"[^\W_]+", text):
        low = word.lower()
        if low in STOPWORDS:
            continue
        # Short words are mostly noise, but acronyms such as EU, AI or UN carry the topic.
        if len(word) < 3 and not (word.isupper() and len(word) >= 2):
            continue
        out.add(_stem(word))
    return out


def is_about(sentence: str, target_stems: set[str], skip: tuple[int, int] | None = None) -> bool:
    """Whether ``sentence`` shares a content word with a target, outside the span ``skip``."""
    if skip is not None:
        sentence = sentence[: skip[0]] + " " + sentence[skip[1] :]
    return bool(content_stems(sentence) & target_stems)


def resolve_gazetteer(
    actors: ActorsLike | None = None, gazetteer: Gazetteer | None = None, replace_actors: bool = False
) -> Gazetteer:
    """The gazetteer to search: ``gazetteer`` (default: the packaged one) plus ``actors``,
    or ``actors`` alone when ``replace_actors`` is true."""
    if replace_actors:
        if actors is None:
            raise ValueError("replace_actors=True needs actors to replace the gazetteer with")
        return Gazetteer.from_actors(actors)
    base = gazetteer if gazetteer is not None else Gazetteer.default()
    return base.extend(actors) if actors is not None else base


def clean_targets(targets: Iterable[str] | str) -> list[str]:
    """Targets as a list of stripped strings, without duplicates (by normalised form).

    Raises:
        ValueError: an empty or non-string target, or no target at all.
    """
    from stanceml.corpus import normalize_target

    if isinstance(targets, str):
        targets = [targets]
    out: list[str] = []
    for t in targets:
        if not isinstance(t, str) or not t.strip():
            raise ValueError(f"each target must be a non-empty string, got {t!r}")
        if normalize_target(t) not in {normalize_target(o) for o in out}:
            out.append(t.strip())
    if not out:
        raise ValueError("give at least one target")
    return out


def analyze_text(
    predictor: "StancePredictor",
    text: str,
    targets: Sequence[str] | str,
    actors: ActorsLike | None = None,
    *,
    gazetteer: Gazetteer | None = None,
    replace_actors: bool = False,
    relevance: str = "overlap",
    min_weight: float = DEFAULT_MIN_WEIGHT,
    conflict_margin: float = DEFAULT_CONFLICT_MARGIN,
    sentences: Sequence[Sentence] | None = None,
    skip_target_actors: bool = True,
) -> list[ActorStance]:
    """Where each actor named in ``text`` stands on each of ``targets``, with evidence.

    Args:
        predictor: anything with ``predict(list[StanceInput]) -> list[StancePrediction]``.
        text: the article (plain text; offsets in the results index this string).
        targets: one target or a list (duplicates are dropped).
        actors: extra actors (names, ``{name: [aliases]}``, entries or a Gazetteer).
        gazetteer: the base gazetteer (default: the packaged ``stanceml/gazetteer/``).
        replace_actors: use ``actors`` alone instead of adding them to the gazetteer.
        relevance: ``"overlap"`` or ``"all"``: which sentences count for a target.
        min_weight, conflict_margin: see :func:`aggregate`.
        sentences: pre-split sentences (spans into ``text``); default: split ``text``.
        skip_target_actors: do not ask about a target the actors whose names occur in it.

    Returns:
        One :class:`ActorStance` per (actor, target) with at least one evidence sentence,
        ordered by target (as given), then by the actor's first mention in the article.

    Raises:
        ValueError: no target, an empty target, an unknown ``relevance`` rule.
    """
    targets = clean_targets(targets)
    if relevance not in RELEVANCE_RULES:
        raise ValueError(f"relevance must be one of {RELEVANCE_RULES}, got {relevance!r}")
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    gaz = resolve_gazetteer(actors, gazetteer, replace_actors)
    sents = list(sentences) if sentences is not None else split_sentences(text)

    # (sentence, mention) pairs in article order; each target picks the pairs about it.
    pairs = [(s, m) for s in sents for m in gaz.find_mentions(s.text)]
    questions: list[tuple[int, str, Sentence, Any]] = []  # (target index, target, sentence, mention)
    notes: dict[str, tuple[str, ...]] = {}
    for ti, target in enumerate(targets):
        inside = {m.canonical for m in gaz.find_mentions(target)} if skip_target_actors else set()
        candidates = [(s, m) for s, m in pairs if m.canonical not in inside]
        chosen = candidates
        if relevance == "overlap":
            stems = content_stems(target)
            chosen = [(s, m) for s, m in candidates if is_about(s.text, stems, (m.start, m.end))]
            if not chosen and candidates:
                chosen = candidates
                notes[target] = ("no sentence shares a content word with the target; every sentence with an actor was used",)
        questions += [(ti, target, s, m) for s, m in chosen]
    if not questions:
        return []

    inputs = [StanceInput(sentence=s.text, actor=m.text, target=t, span=(m.start, m.end)) for _, t, s, m in questions]
    predictions = predictor.predict(inputs)

    # Keep one piece of evidence per (target, actor, sentence): the most confident mention.
    best: dict[tuple[int, str, int], Evidence] = {}
    for (ti, _, s, m), pred in zip(questions, predictions):
        ev = Evidence(
            sentence=s.text, start=s.start, end=s.end, stance=pred.stance, probs=dict(pred.probs),
            score=float(pred.score), mention=m.text, mention_start=s.start + m.start, mention_end=s.start + m.end,
        )
        key = (ti, m.canonical, s.start)
        if key not in best or ev.score > best[key].score:
            best[key] = ev
    grouped: dict[tuple[int, str], list[Evidence]] = {}
    for (ti, actor, _), ev in sorted(best.items(), key=lambda kv: (kv[0][0], kv[1].start)):
        grouped.setdefault((ti, actor), []).append(ev)

    results = []
    for (ti, actor), evidence in grouped.items():
        stance, score, reason, weights = aggregate(evidence, min_weight, conflict_margin)
        results.append(ActorStance(actor, targets[ti], stance, score, evidence, reason, weights, notes.get(targets[ti], ())))
    results.sort(key=lambda r: (targets.index(r.target), min(e.mention_start for e in r.evidence)))
    return results
