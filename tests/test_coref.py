"""Coreference for stance: possessives, pronouns, relative pronouns and role nouns mapped back
to their actor, with the chain kept. Skipped when the analysis extra is not installed."""

from __future__ import annotations

import pytest

pytest.importorskip("spacy")
ner = pytest.importorskip("stanceml.text.ner")
try:
    ner.load_pipeline()
except ImportError as err:
    pytest.skip(str(err), allow_module_level=True)

from stanceml.analysis.coref import article_mentions, resolve_coreference  # noqa: E402
from stanceml.text.actors import Gazetteer  # noqa: E402
from stanceml.text.sentences import split_sentences  # noqa: E402

SAMPLE = "Hungary went further, and its prime minister said he would block any invitation as long as the war continues."


def resolved(text: str):
    doc = ner.parse(text)
    gaz = Gazetteer.default()
    return resolve_coreference(doc, ner.find_actor_mentions(doc, gaz), gaz)


def by_text(mentions, text):
    return next(m for m in mentions if m.text == text)


def test_possessive_pronoun_and_personal_pronoun_chain_to_the_country():
    ms = resolved(SAMPLE)
    pm = by_text(ms, "its prime minister")
    assert pm.actor == "Hungary" and pm.via == ("its prime minister", "Hungary")
    he = by_text(ms, "he")
    assert he.actor == "Hungary"
    assert he.via == ("he", "its prime minister", "Hungary")


def test_she_goes_to_the_nearest_person_not_the_nearest_organisation():
    text = (
        "Councillor Ines Carvalho drafted the measure. "
        "The Lisbon Landlords' Association attacked it, but she said the freeze would stay."
    )
    she = by_text(resolved(text), "she")
    assert "Carvalho" in she.actor


def test_it_goes_to_an_organisation_and_they_to_a_plural_group():
    text = (
        "The Harbour Council met on Monday. It said the plan was sound. Critics disagreed, and they vowed to fight it."
    )
    ms = resolved(text)
    assert by_text(ms, "It").actor == "Harbour Council"
    assert by_text(ms, "they").actor.lower() == "critics"


def test_relative_pronoun_takes_the_noun_it_hangs_on():
    text = "Governor Ray Costigan, whose administration must sign off, has not said whether he will do so."
    ms = resolved(text)
    assert by_text(ms, "whose administration").actor == "Ray Costigan"
    assert by_text(ms, "he").actor == "Ray Costigan"


def test_a_bare_role_noun_speaks_for_the_nearest_country():
    text = "Portugal announced a new rent law. The government said it would pass by spring."
    assert by_text(resolved(text), "The government").actor == "Portugal"


def test_article_mentions_give_sentence_offsets_and_chains():
    sents = split_sentences(SAMPLE)
    pairs, doc = article_mentions(SAMPLE, sents, Gazetteer.default())
    assert doc is ner.parse(SAMPLE)
    for s, m in pairs:
        assert s.text[m.start : m.end] == m.text
    he = next(m for _, m in pairs if m.text == "he")
    assert he.canonical == "Hungary" and he.via[-1] == "Hungary" and he.source == "pronoun"
