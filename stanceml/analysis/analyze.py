"""From an article and a few targets to who stands where, with the sentences that say so.

:func:`analyze_text` runs in four steps:

1. **Sentences.** The text is split by :func:`stanceml.text.sentences.split_sentences`; every
   sentence keeps its character span in the article.
2. **Actors.** With spaCy installed (the ``analysis`` extra; ``actor_finder="auto"``, the
   default, or ``"ner"``), :mod:`stanceml.text.ner` finds people, organisations, countries,
   groups and actor noun phrases ("the city council", "critics") together with the gazetteer,
   merges them into one actor per entity ("Dr Ana Costa" / "Costa"), and
   :mod:`stanceml.analysis.coref` maps pronouns and role nouns back to their actor ("its
   prime minister said he ..." -> Hungary); the article is parsed once. Without spaCy (or
   with ``actor_finder="gazetteer"``) :meth:`stanceml.text.actors.Gazetteer.find_mentions`
   alone finds them, with a log line saying so. Either way the gazetteer maps names to
   canonical actors ("Berlin" -> Germany); ``actors`` adds the caller's own actors to it, or
   replaces it with ``replace_actors=True``.
3. **Questions.** Each (sentence, mention, target) where the sentence is *about* the target
   becomes one model input, the mention marked by its span; the whole article goes to the
   model in one batched ``predictor.predict`` call. The rule for "about" (``relevance``):

   - ``"semantic"`` (default): the overlap rule below, or an embedding similarity to the
     target of at least ``similarity_threshold`` (:mod:`stanceml.analysis.relevance`), so
     paraphrases of the target count.
   - ``"overlap"``: the sentence shares at least one content word with the target,
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
   polar evidence at all. An actor found by the parser that is neutral and never the subject
   of an evidence sentence (only acted on or talked about: "talks with Moscow") is a
   bystander and is not reported. :func:`stanceml.analysis.aggregate.assess` adds a confidence and
   flags a changed position (a sentence that reports the change, "no longer backs", after
   which the later evidence decides) and a conditional one ("only if", "as long as").
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from stanceml.analysis.aggregate import DEFAULT_CONFLICT_MARGIN, DEFAULT_MIN_WEIGHT, ActorStance, Evidence, assess
from stanceml.analysis.relevance import DEFAULT_THRESHOLD, is_relevant, load_encoder, propose_targets, similarities
from stanceml.records import StanceInput
from stanceml.text.actors import ActorsLike, Gazetteer, Mention
from stanceml.text.sentences import Sentence, split_sentences
from stanceml.text.targets import clean_targets, normalize_target

if TYPE_CHECKING:
    from stanceml.inference.predictor import StancePredictor

log = logging.getLogger(__name__)

RELEVANCE_RULES = ("fallback", "semantic", "overlap", "all")
#: The note on an actor that ``"fallback"`` judged on every sentence naming it.
FALLBACK_NOTE = "no sentence naming this actor is about the target; every sentence naming it was used"
ACTOR_FINDERS = ("auto", "ner", "gazetteer")
#: One model question: (target index, target, sentence, mention).
Question = tuple[int, str, Sentence, Mention]
Pair = tuple[Sentence, Mention]


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


@lru_cache(maxsize=1)
def _say_no_spacy(reason: str) -> None:
    log.warning(
        "actors come from the gazetteer alone: spaCy is not available (%s); "
        "install it with pip install 'stanceml[analysis]' to find people, organisations and pronouns",
        reason,
    )


def find_pairs(
    text: str, sentences: Sequence[Sentence], gaz: Gazetteer, actor_finder: str = "auto", coreference: bool = True
) -> tuple[list[Pair], Any]:
    """Every (sentence, actor mention) of the article (step 2), and the spaCy parse when one
    was made (else None)."""
    if actor_finder not in ACTOR_FINDERS:
        raise ValueError(f"actor_finder must be one of {ACTOR_FINDERS}, got {actor_finder!r}")
    if actor_finder != "gazetteer":
        try:
            # Lazy on purpose: spaCy is an optional extra (stanceml[analysis]).
            from stanceml.analysis.coref import article_mentions
        except ImportError as err:
            if actor_finder == "ner":
                raise
            _say_no_spacy(str(err))
        else:
            return article_mentions(text, sentences, gaz, coreference)
    return [(s, m) for s in sentences for m in gaz.find_mentions(s.text)], None


def _inside_target(target: str, pairs: Sequence[Pair], gaz: Gazetteer) -> set[str]:
    """Actors named inside the target ("Ukraine" and "NATO" in "Ukraine's invitation to NATO")."""
    inside = {m.canonical for m in gaz.find_mentions(target)}
    norm = f" {normalize_target(target)} "
    inside |= {m.canonical for _, m in pairs if f" {normalize_target(m.canonical)} " in norm}
    return inside


def _questions(
    targets: list[str],
    pairs: list[Pair],
    gaz: Gazetteer,
    relevance: str,
    skip_target_actors: bool,
    sims: dict[tuple[int, int], float],
    threshold: float,
) -> tuple[list[Question], dict[str, tuple[str, ...]], set[tuple[int, str]]]:
    """The (target, sentence, mention) questions to ask (step 3), a note per target that
    fell back to every sentence, and the (target index, actor) pairs that ``"fallback"``
    judged on every sentence naming the actor."""
    questions: list[Question] = []
    notes: dict[str, tuple[str, ...]] = {}
    fallback: set[tuple[int, str]] = set()
    for ti, target in enumerate(targets):
        inside = _inside_target(target, pairs, gaz) if skip_target_actors else set()
        candidates = [(s, m) for s, m in pairs if m.canonical not in inside]
        chosen = candidates
        if relevance != "all":
            flags = [
                is_relevant(s.text, target, sims.get((ti, s.start)), threshold, (m.start, m.end)) for s, m in candidates
            ]
            chosen = [pair for pair, ok in zip(candidates, flags) if ok]
            if relevance == "fallback":
                # Actors often take their side in sentences that do not name the target ("the
                # bill", "the plan"): an actor with no sentence about the target is judged on
                # every sentence naming it rather than dropped (on the validation answer keys
                # this raised actor recall from 0.52 to 0.92 and end-to-end accuracy from 0.33
                # to 0.55: stanceml evaluate-articles --keys data/v2/answer_keys_dev --relevance R).
                with_relevant = {m.canonical for s, m in chosen}
                fallback |= {(ti, m.canonical) for _, m in candidates if m.canonical not in with_relevant}
                chosen = [pair for pair, ok in zip(candidates, flags) if ok or pair[1].canonical not in with_relevant]
            if not chosen and candidates:
                chosen = candidates
                notes[target] = ("no sentence is about the target; every sentence with an actor was used",)
        questions += [(ti, target, s, m) for s, m in chosen]
    return questions, notes, fallback


def _similarities(
    sentences: Sequence[Sentence], targets: list[str], pairs: Sequence[Pair], encoder: Any
) -> dict[tuple[int, int], float]:
    """Embedding similarity per (target index, sentence start), for sentences with an actor."""
    with_actor = sorted({s for s, _ in pairs}, key=lambda s: s.start)
    if not with_actor:
        return {}
    sim = similarities(encoder if encoder is not None else load_encoder(), [s.text for s in with_actor], targets)
    return {(ti, s.start): float(sim[ti, si]) for ti in range(len(targets)) for si, s in enumerate(with_actor)}


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
            chain=m.via,
            subject=m.subject,
        )
        key = (ti, m.canonical, s.start)
        if key not in best or ev.score > best[key].score:
            best[key] = ev
    grouped: dict[tuple[int, str], list[Evidence]] = {}
    for (ti, actor, _), ev in sorted(best.items(), key=lambda kv: (kv[0][0], kv[1].start)):
        grouped.setdefault((ti, actor), []).append(ev)
    return grouped


def _mention_texts(pairs: Sequence[Pair]) -> dict[str, tuple[str, ...]]:
    """Each actor's distinct mention texts in the article (pronouns left out), in order."""
    out: dict[str, dict[str, None]] = {}
    for _, m in pairs:
        if m.source != "pronoun":
            out.setdefault(m.canonical, {})[m.text] = None
    return {actor: tuple(texts) for actor, texts in out.items()}


def _model_input(target: str, s: Sentence, m: Mention) -> StanceInput:
    # A resolved mention ("he") is marked in place and the actor's name goes in the text pair.
    actor = m.canonical if m.via else m.text
    return StanceInput(sentence=s.text, actor=actor, target=target, span=(m.start, m.end))


def article_targets(text: str, targets: Sequence[str] | str, doc: Any = None) -> list[str]:
    """``targets`` cleaned, or for ``"auto"`` the article's main target(s) proposed by
    :func:`stanceml.analysis.relevance.propose_targets`."""
    if isinstance(targets, str) and targets == "auto":
        proposed = propose_targets(text, doc, k=1)
        if not proposed:
            raise ValueError("targets='auto' found no candidate target in the article; name one")
        return proposed
    return clean_targets(targets)


def _check_arguments(text: Any, targets: Sequence[str] | str, relevance: str) -> Sequence[str] | str:
    if relevance not in RELEVANCE_RULES:
        raise ValueError(f"relevance must be one of {RELEVANCE_RULES}, got {relevance!r}")
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return targets if isinstance(targets, str) and targets == "auto" else clean_targets(targets)


def analyze_text(
    predictor: StancePredictor,
    text: str,
    targets: Sequence[str] | str,
    actors: ActorsLike | None = None,
    *,
    gazetteer: Gazetteer | None = None,
    replace_actors: bool = False,
    relevance: str = "fallback",
    min_weight: float = DEFAULT_MIN_WEIGHT,
    conflict_margin: float = DEFAULT_CONFLICT_MARGIN,
    sentences: Sequence[Sentence] | None = None,
    skip_target_actors: bool = True,
    actor_finder: str = "auto",
    coreference: bool = True,
    similarity_threshold: float = DEFAULT_THRESHOLD,
    encoder: Any = None,
) -> list[ActorStance]:
    """Where each actor named in ``text`` stands on each of ``targets``, with evidence.

    Args:
        predictor: anything with ``predict(list[StanceInput]) -> list[StancePrediction]``.
        text: the article (plain text; offsets in the results index this string).
        targets: one target or a list (duplicates dropped); ``"auto"``: propose the main one.
        actors: extra actors (names, ``{name: [aliases]}``, entries or a Gazetteer).
        gazetteer: the base gazetteer (default: the packaged ``stanceml/text/gazetteer/``).
        replace_actors: use ``actors`` alone instead of adding them to the gazetteer.
        relevance: ``"fallback"`` (``"semantic"``, but an actor with none is judged on all its sentences), ``"semantic"`` (word or embedding), ``"overlap"`` or ``"all"``.
        min_weight, conflict_margin: see :func:`stanceml.analysis.aggregate.aggregate`.
        sentences: pre-split sentences (spans into ``text``); default: split ``text``.
        skip_target_actors: do not ask about a target the actors whose names occur in it.
        actor_finder: ``"auto"`` (spaCy when installed, else or with ``replace_actors`` the
            gazetteer), ``"ner"`` (spaCy, an ImportError without it) or ``"gazetteer"``.
        coreference: follow pronouns and role nouns to their actor (with spaCy only).
        similarity_threshold: the embedding similarity from which a sentence is about a target.
        encoder: a sentence encoder for ``"semantic"`` (default: the base MiniLM, loaded once).

    Returns:
        One :class:`ActorStance` per (actor, target) with at least one evidence sentence,
        ordered by target (as given), then by the actor's first mention in the article.

    Raises:
        ValueError: no target, an empty target, an unknown ``relevance`` rule or actor finder.
    """
    targets = _check_arguments(text, targets, relevance)
    gaz = resolve_gazetteer(actors, gazetteer, replace_actors)
    sents = list(sentences) if sentences is not None else split_sentences(text)
    if replace_actors and actor_finder == "auto":
        actor_finder = "gazetteer"  # "only my actors": no named-entity actors on top
    pairs, doc = find_pairs(text, sents, gaz, actor_finder, coreference)
    target_list = article_targets(text, targets, doc)
    sims = _similarities(sents, target_list, pairs, encoder) if relevance in ("semantic", "fallback") else {}
    questions, notes, fallback = _questions(
        target_list, pairs, gaz, relevance, skip_target_actors, sims, similarity_threshold
    )
    if not questions:
        return []
    inputs = [_model_input(t, s, m) for _, t, s, m in questions]
    grouped = _evidence(questions, predictor.predict(inputs))
    return _results(grouped, target_list, notes, fallback, _mention_texts(pairs), min_weight, conflict_margin)


def _results(
    grouped: dict[tuple[int, str], list[Evidence]],
    targets: list[str],
    notes: dict[str, tuple[str, ...]],
    fallback: set[tuple[int, str]],
    mentions: dict[str, tuple[str, ...]],
    min_weight: float,
    conflict_margin: float,
) -> list[ActorStance]:
    results = []
    for (ti, actor), evidence in grouped.items():
        a = assess(evidence, min_weight, conflict_margin)
        if a.stance == "neutral" and not any(e.subject or e.stance != "neutral" for e in evidence):
            continue  # a bystander: only ever acted on or talked about ("talks with Moscow"), never taking a side
        results.append(
            ActorStance(
                actor,
                targets[ti],
                a.stance,
                a.score,
                evidence,
                a.reason,
                a.weights,
                notes.get(targets[ti], ()) + ((FALLBACK_NOTE,) if (ti, actor) in fallback else ()),
                confidence=a.confidence,
                changed=a.changed,
                conditional=a.conditional,
                mentions=mentions.get(actor, ()),
            )
        )
    results.sort(key=lambda r: (targets.index(r.target), min(e.mention_start for e in r.evidence)))
    return results
