"""From an article and a few targets to who stands where, with the sentences that say so.

:func:`analyze_text` runs in four steps:

1. **Sentences.** The text is split by :func:`stanceml.text.sentences.split_sentences`; every
   sentence keeps its character span in the article.
2. **Actors.** :meth:`stanceml.text.actors.Gazetteer.find_mentions` finds the actor mentions in
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
4. **Aggregation** (:func:`stanceml.analysis.aggregate.aggregate`): a confidence-weighted vote. Each sentence adds its
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

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from stanceml.analysis.aggregate import DEFAULT_CONFLICT_MARGIN, DEFAULT_MIN_WEIGHT, ActorStance, Evidence, aggregate
from stanceml.records import StanceInput
from stanceml.text.actors import ActorsLike, Gazetteer, Mention
from stanceml.text.sentences import Sentence, split_sentences
from stanceml.text.targets import clean_targets, content_stems, is_about

if TYPE_CHECKING:
    from stanceml.inference.predictor import StancePredictor

RELEVANCE_RULES = ("overlap", "all")
#: One model question: (target index, target, sentence, mention).
Question = tuple[int, str, Sentence, Mention]


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


def _questions(
    targets: list[str], pairs: list[tuple[Sentence, Mention]], gaz: Gazetteer, relevance: str, skip_target_actors: bool
) -> tuple[list[Question], dict[str, tuple[str, ...]]]:
    """The (target, sentence, mention) questions to ask (step 3), and a note per target that
    fell back to every sentence."""
    questions: list[Question] = []
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
                notes[target] = (
                    "no sentence shares a content word with the target; every sentence with an actor was used",
                )
        questions += [(ti, target, s, m) for s, m in chosen]
    return questions, notes


def _evidence(questions: list[Question], predictions: Sequence[Any]) -> dict[tuple[int, str], list[Evidence]]:
    """Evidence per (target index, canonical actor), one per sentence (its most confident
    mention), in article order."""
    best: dict[tuple[int, str, int], Evidence] = {}
    for (ti, _, s, m), pred in zip(questions, predictions):
        ev = Evidence(
            sentence=s.text,
            start=s.start,
            end=s.end,
            stance=pred.stance,
            probs=dict(pred.probs),
            score=float(pred.score),
            mention=m.text,
            mention_start=s.start + m.start,
            mention_end=s.start + m.end,
        )
        key = (ti, m.canonical, s.start)
        if key not in best or ev.score > best[key].score:
            best[key] = ev
    grouped: dict[tuple[int, str], list[Evidence]] = {}
    for (ti, actor, _), ev in sorted(best.items(), key=lambda kv: (kv[0][0], kv[1].start)):
        grouped.setdefault((ti, actor), []).append(ev)
    return grouped


def analyze_text(
    predictor: StancePredictor,
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
        gazetteer: the base gazetteer (default: the packaged ``stanceml/text/gazetteer/``).
        replace_actors: use ``actors`` alone instead of adding them to the gazetteer.
        relevance: ``"overlap"`` or ``"all"``: which sentences count for a target.
        min_weight, conflict_margin: see :func:`stanceml.analysis.aggregate.aggregate`.
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
    pairs = [(s, m) for s in sents for m in gaz.find_mentions(s.text)]
    questions, notes = _questions(targets, pairs, gaz, relevance, skip_target_actors)
    if not questions:
        return []
    inputs = [StanceInput(sentence=s.text, actor=m.text, target=t, span=(m.start, m.end)) for _, t, s, m in questions]
    grouped = _evidence(questions, predictor.predict(inputs))
    results = []
    for (ti, actor), evidence in grouped.items():
        stance, score, reason, weights = aggregate(evidence, min_weight, conflict_margin)
        results.append(
            ActorStance(actor, targets[ti], stance, score, evidence, reason, weights, notes.get(targets[ti], ()))
        )
    results.sort(key=lambda r: (targets.index(r.target), min(e.mention_start for e in r.evidence)))
    return results
