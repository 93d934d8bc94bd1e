"""Coreference for stance: pronouns and role phrases mapped back to the actor they stand for.

Rules over the dependency parse of :mod:`stanceml.text.ner` (no coreference model: the one
spaCy component on PyPI, ``coreferee``, needs an English model that is not on PyPI):

- **Possessive role phrases**: "its prime minister", "his group", "whose administration"
  take the actor of the possessive pronoun's antecedent ("Hungary went further, and its prime
  minister said ..." -> Hungary).
- **Personal pronouns** in subject or possessive position: "he"/"she" -> the nearest earlier
  person (a named person or a person's role: "its prime minister"); "it"/"its" -> the nearest
  earlier organisation, country or body; "they"/"their" -> the nearest earlier plural actor
  ("critics", "the Baltic states") or coordination ("Spain and Belgium" -> both).
  "Nearest" prefers the same sentence, then earlier sentences (at most :data:`WINDOW` back),
  and within a sentence a subject over other mentions.
- **Relative pronouns**: "who"/"which"/"whose" -> the actor the relative clause is attached
  to ("Governor Ray Costigan, whose administration ...").
- **Bare role nouns** that no earlier actor explains ("the government", "the ministry",
  "officials") -> the nearest earlier country.

Each resolved mention keeps the chain from the mention to the actor in ``via``, so the
evidence can show it: ("he", "its prime minister", "Hungary").
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from stanceml.text.actors import Gazetteer, Mention
from stanceml.text.ner import ActorMention, display_name, find_actor_mentions, is_pronoun, parse
from stanceml.text.sentences import Sentence

PERSON_PRONOUNS = frozenset("he him his she her hers".split())
PLURAL_PRONOUNS = frozenset("they them their theirs".split())
THING_PRONOUNS = frozenset("it its".split())
RELATIVE_PRONOUNS = frozenset("who whom whose which that".split())
#: Syntactic positions in which a pronoun can hold a stance (the subject, the possessor of a subject).
STANCE_DEPS = frozenset({"nsubj", "nsubjpass", "poss", "agent"})
#: How many sentences back an antecedent is looked for.
WINDOW = 3


def chain(m: ActorMention) -> tuple[str, ...]:
    """From the mention to its actor: ("its prime minister", "Hungary")."""
    out = m.via if m.via else (m.text,)
    return out if out[-1] == m.actor else (*out, m.actor)


def _fits(m: ActorMention, kind: str) -> bool:
    if kind == "person":
        return m.person or m.source == "PERSON"
    if kind == "plural":
        return m.plural and not m.person or m.source == "NORP"
    return not m.person and not m.plural and m.source != "NORP"


def _kind(word: str) -> str:
    if word in PERSON_PRONOUNS:
        return "person"
    if word in PLURAL_PRONOUNS:
        return "plural"
    return "thing" if word in THING_PRONOUNS else ""


def _relative_antecedent(token: Any, seen: Sequence[ActorMention]) -> list[ActorMention]:
    """The mention a relative clause hangs on: "X, who ..." / "X, whose members ..."."""
    verb = token.head if token.dep_ != "poss" else token.head.head
    while verb.dep_ not in ("relcl", "ROOT") and verb.head is not verb:
        verb = verb.head
    if verb.dep_ != "relcl":
        return []
    noun = verb.head
    return [m for m in seen if m.start <= noun.idx < m.end][-1:]


def _coordinated(best: ActorMention, seen: Sequence[ActorMention], doc: Any) -> list[ActorMention]:
    """``best`` and the mentions coordinated with it ("Spain and Belgium")."""
    span = doc.char_span(best.start, best.end, alignment_mode="expand")
    if span is None:
        return [best]
    root = span.root
    first = root.head if root.dep_ == "conj" else root
    heads = {first.i, *(t.i for t in first.conjuncts)}
    group = [m for m in seen if any(m.start <= doc[i].idx < m.end for i in heads)]
    return group if len(group) > 1 else [best]


def antecedents(token: Any, seen: Sequence[ActorMention], doc: Any) -> list[ActorMention]:
    """The actor mentions a pronoun ``token`` stands for (empty: unresolved)."""
    word = token.lower_
    if word in RELATIVE_PRONOUNS:
        return _relative_antecedent(token, seen)
    kind = _kind(word)
    if not kind:
        return []
    sent_start = token.sent.start
    sents = list(doc.sents)
    index = next(i for i, s in enumerate(sents) if s.start == sent_start)
    lo = sents[max(0, index - WINDOW)].start_char
    pool = [m for m in seen if lo <= m.start < token.idx and m.end <= token.idx and _fits(m, kind)]
    if not pool and kind == "plural":
        pool = [m for m in seen if lo <= m.start and m.end <= token.idx]  # a coordination of singular actors

    def distance(m: ActorMention) -> tuple[int, int, int]:
        back = index - next(i for i, s in enumerate(sents) if s.start_char <= m.start < s.end_char)
        return back, 0 if m.subject else 1, -m.start

    if not pool:
        return []
    best = min(pool, key=distance)
    if kind == "plural":
        group = _coordinated(best, seen, doc)
        if len(group) > 1 or _fits(best, "plural"):
            return group
        return []
    return [best]


#: Role nouns that, with no owner and no earlier actor of that name, speak for the country.
GOVERNMENT_ROLES = frozenset(
    "government ministry minister administration cabinet official authority spokesperson spokesman spokeswoman "
    "president premier chancellor delegation diplomat negotiator envoy ambassador".split()
)


def _pronoun_tokens(doc: Any, mentions: Sequence[ActorMention]) -> list[Any]:
    """Pronouns in a position that can carry a stance, outside every actor mention."""
    words = PERSON_PRONOUNS | PLURAL_PRONOUNS | THING_PRONOUNS | RELATIVE_PRONOUNS
    out = []
    for token in doc:
        if token.lower_ not in words or not is_pronoun(token) or token.dep_ not in STANCE_DEPS:
            continue
        if any(m.start <= token.idx < m.end for m in mentions):
            continue
        out.append(token)
    return out


def _pronoun_mentions(token: Any, seen: Sequence[ActorMention], doc: Any) -> list[ActorMention]:
    return [
        ActorMention(
            start=token.idx,
            end=token.idx + len(token.text),
            text=token.text,
            source="pronoun",
            head=a.head,
            plural=a.plural,
            person=a.person,
            subject=token.dep_ in ("nsubj", "nsubjpass", "agent"),
            actor=a.actor,
            via=(token.text, *chain(a)),
        )
        for a in antecedents(token, seen, doc)
    ]


def _owned_role(m: ActorMention, seen: Sequence[ActorMention], doc: Any) -> ActorMention | None:
    """A phrase owned by a pronoun ("its prime minister") with the pronoun's actor, or None."""
    token = next((t for t in doc if t.idx == m.link), None)
    found = antecedents(token, seen, doc) if token is not None else []
    if not found:
        return None
    return replace(m, actor=found[0].actor, via=(m.text, *chain(found[0])))


def _bare_role(m: ActorMention, seen: Sequence[ActorMention], gaz: Gazetteer) -> ActorMention:
    """ "the government" with no earlier actor of its own -> the nearest earlier country."""
    if m.source != "role" or m.link >= 0 or m.head not in GOVERNMENT_ROLES or m.actor != display_name(m.text):
        return m
    country = next((o for o in reversed(seen) if o.actor in gaz and gaz.kind(o.actor) == "country"), None)
    if country is None:
        return m
    return replace(m, actor=country.actor, via=(m.text, *chain(country)))


def resolve_coreference(
    doc: Any, mentions: Sequence[ActorMention], gazetteer: Gazetteer | None = None
) -> list[ActorMention]:
    """``mentions`` (from :func:`stanceml.text.ner.find_actor_mentions`) with pronoun-owned
    phrases filled in, bare role nouns mapped to their country, and one new mention per
    resolved pronoun; mentions left without an actor are dropped. In article order."""
    gaz = gazetteer if gazetteer is not None else Gazetteer.default()
    events: list[tuple[int, Any]] = [(m.start, m) for m in mentions]
    events += [(t.idx, t) for t in _pronoun_tokens(doc, mentions)]
    seen: list[ActorMention] = []
    renamed: dict[str, ActorMention] = {}  # a bare role's own actor -> the country it was mapped to
    for _, item in sorted(events, key=lambda e: e[0]):
        if not isinstance(item, ActorMention):
            seen += _pronoun_mentions(item, seen, doc)
            continue
        m: ActorMention | None = item
        if m is not None and not m.actor:
            m = _owned_role(m, seen, doc)
        if m is None:
            continue
        if m.actor in renamed:
            m = replace(m, actor=renamed[m.actor].actor, via=(m.text, *chain(renamed[m.actor])))
        else:
            mapped = _bare_role(m, seen, gaz)
            if mapped.actor != m.actor:
                renamed[m.actor] = mapped
            m = mapped
        seen.append(m)
    return seen


def article_mentions(
    text: str, sentences: Sequence[Sentence], gazetteer: Gazetteer, coreference: bool = True
) -> tuple[list[tuple[Sentence, Mention]], Any]:
    """Every actor mention of an article as (sentence, mention) pairs, mention offsets into
    its sentence, from one spaCy parse; and the parse (``Doc``) for reuse.

    A mention that runs across a sentence boundary (a parse/splitter disagreement) is left out.
    """
    doc = parse(text)
    mentions = find_actor_mentions(doc, gazetteer)
    mentions = resolve_coreference(doc, mentions, gazetteer) if coreference else [m for m in mentions if m.actor]
    starts = [s.start for s in sentences]
    pairs = []
    for m in mentions:
        i = bisect.bisect_right(starts, m.start) - 1
        if i < 0 or m.end > sentences[i].end:
            continue
        s = sentences[i]
        via = chain(m) if m.via else ()
        pairs.append(
            (
                s,
                Mention(
                    m.actor, m.text, m.start - s.start, m.end - s.start, source=m.source, via=via, subject=m.subject
                ),
            )
        )
    return pairs, doc
