"""Actor finding with spaCy: named entities, actor noun phrases, the gazetteer, and merging
mentions into one actor per entity. Skipped when the analysis extra is not installed."""

from __future__ import annotations

import pytest

pytest.importorskip("spacy")
ner = pytest.importorskip("stanceml.text.ner")
try:
    ner.load_pipeline()
except ImportError as err:  # spaCy without the English pipeline
    pytest.skip(str(err), allow_module_level=True)

from stanceml.text.actors import Gazetteer  # noqa: E402

ARTICLE = (
    "Lisbon city council voted on Wednesday to freeze rents for two years. "
    "Dr Ana Costa, who chairs the Lisbon Tenants' Union, welcomed the vote. "
    "The Lisbon Landlords' Association said it would go to court. "
    "Costa said the council had listened to families. "
    "Critics said the freeze would empty the market. "
    "Berlin stayed silent, and Lithuania's foreign minister praised the measure."
)


def actors_of(text: str) -> dict[str, set[str]]:
    doc = ner.parse(text)
    out: dict[str, set[str]] = {}
    for m in ner.find_actor_mentions(doc, Gazetteer.default()):
        if m.actor:
            out.setdefault(m.actor, set()).add(m.text)
    return out


def test_people_organisations_and_actor_noun_phrases_are_found():
    found = actors_of(ARTICLE)
    names = {n.lower() for n in found}
    assert "lisbon city council" in names  # an actor noun phrase, not Portugal via "Lisbon"
    assert "Portugal" not in found
    assert any("Ana Costa" in n for n in found)
    assert any("Landlords' Association" in n for n in found)
    assert "Critics" in found or "critics" in names


def test_one_actor_per_entity_with_its_mentions():
    found = actors_of(ARTICLE)
    costa = next(n for n in found if "Ana Costa" in n)
    assert "Costa" in found[costa]  # the later short name joins the full name
    council = next(n for n in found if n.lower() == "lisbon city council")
    assert "the council" in found[council]  # a bare definite phrase joins the earlier actor


def test_gazetteer_metonyms_and_possessive_roles_map_to_the_country():
    found = actors_of(ARTICLE)
    assert "Berlin" in found["Germany"]
    assert "Lithuania's foreign minister" in found["Lithuania"]


def test_place_names_after_a_locative_preposition_are_not_actors():
    found = actors_of("Tenant groups in Porto said they would ask for the same measure.")
    assert "Porto" not in found
    assert any("Tenant groups" in texts for texts in found.values())


def test_a_demonym_role_phrase_speaks_for_its_country():
    found = actors_of("A Belgian official said the question was not on the table.")
    assert "a Belgian official" in {t.lower() for t in found.get("Belgium", set())} or any(
        "Belgian official" in t for t in found.get("Belgium", set())
    )


def test_normalize_and_display_names():
    assert ner.normalize_name("The Lisbon Landlords’ Association's") == "lisbon landlords' association"
    assert ner.display_name("the Left Bloc") == "Left Bloc"
    assert ner.display_name("the city council") == "the city council"


def test_the_parse_is_cached_per_text():
    text = "Hungary blocked the package."
    assert ner.parse(text) is ner.parse(text)
