"""The actor gazetteer: packaged entries, aliases, metonyms, possessives, case rules, user actors."""

from __future__ import annotations

from pathlib import Path

import pytest

from stanceml.text.actors import Gazetteer, GazetteerError, alias_key


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.default()


def found(gaz: Gazetteer, sentence: str) -> list[tuple[str, str]]:
    """(canonical, text) of each mention, checking that the spans index the sentence."""
    out = []
    for m in gaz.find_mentions(sentence):
        assert sentence[m.start : m.end] == m.text
        out.append((m.canonical, m.text))
    return out


def test_packaged_gazetteer_is_real_and_consistent(gaz):
    assert 60 <= len(gaz) <= 150
    assert gaz.conflicts == []  # no alias claimed by two packaged actors
    for name in (
        "United States",
        "Germany",
        "Hungary",
        "European Commission",
        "NATO",
        "United Nations",
        "World Health Organization",
        "European People's Party",
    ):
        assert name in gaz
    assert "Berlin" in gaz.aliases("Germany") and "the German chancellor" in gaz.aliases("Germany")
    assert gaz.kind("Germany") == "country" and gaz.kind("NATO") == "alliance" and gaz.kind("Fidesz") == "party"
    for name in gaz.canonical_names:  # every canonical name is found as itself
        assert gaz.resolve(name) == name, name


@pytest.mark.parametrize(
    "alias, canonical",
    [
        ("the U.S.", "United States"),
        ("USA", "United States"),
        ("the White House", "United States"),
        ("the UK", "United Kingdom"),
        ("Downing Street", "United Kingdom"),
        ("the Kremlin", "Russia"),
        ("Türkiye", "Turkey"),
        ("the Commission", "European Commission"),
        ("the ECB", "European Central Bank"),
        ("Nato", "NATO"),
        ("the Alliance", "NATO"),
        ("the UN secretary-general", "United Nations"),
        ("the Tories", "Conservative Party"),
        ("the Czech Republic", "Czech Republic"),
        ("Czechia", "Czech Republic"),
    ],
)
def test_aliases(gaz, alias, canonical):
    assert gaz.resolve(alias) == canonical


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("Washington and Berlin are holding back.", [("United States", "Washington"), ("Germany", "Berlin")]),
        ("Kyiv rejected the account.", [("Ukraine", "Kyiv")]),
        ("Brussels warned Budapest over the veto.", [("European Union", "Brussels"), ("Hungary", "Budapest")]),
        ("Moscow has long demanded guarantees.", [("Russia", "Moscow")]),
    ],
)
def test_capitals_are_metonyms(gaz, sentence, expected):
    assert found(gaz, sentence) == expected


@pytest.mark.parametrize(
    "sentence, mention",
    [
        ("The Hungarian prime minister blocked the deal.", "The Hungarian prime minister"),
        ("the Hungarian Prime Minister blocked the deal.", "the Hungarian Prime Minister"),
        ("Hungary's prime minister blocked the deal.", "Hungary's prime minister"),
        ("Hungarian officials blocked the deal.", "Hungarian officials"),
        ("Hungarian diplomats said no.", "Hungarian diplomats"),
    ],
)
def test_demonym_and_office_phrases(gaz, sentence, mention):
    assert found(gaz, sentence) == [("Hungary", mention)]


def test_longest_match_wins(gaz):
    assert found(gaz, "the European Commission proposed it") == [("European Commission", "the European Commission")]
    assert found(gaz, "the European Central Bank held rates") == [
        ("European Central Bank", "the European Central Bank")
    ]
    assert found(gaz, "NATO members disagreed") == [("NATO", "NATO members")]
    assert found(gaz, "the UN Security Council met") == [("UN Security Council", "the UN Security Council")]


def test_possessives(gaz):
    for apostrophe in ("'", "’"):
        sentence = f"Germany{apostrophe}s chancellor and Poland{apostrophe}s leaders met."
        mentions = gaz.find_mentions(sentence)
        assert [(m.canonical, m.text) for m in mentions][1] == ("Poland", "Poland")
        assert mentions[1].possessive and sentence[mentions[1].end :].startswith(f"{apostrophe}s")
        assert mentions[0].canonical == "Germany"  # "Germany's chancellor", a generated office phrase
    m = gaz.find_mentions("The Netherlands' position hardened.")[0]
    assert (m.canonical, m.text, m.possessive) == ("Netherlands", "The Netherlands", True)
    assert not gaz.find_mentions("Poland objected.")[0].possessive


def test_whole_words_only(gaz):
    assert found(gaz, "Austrian wine and Iranian carpets") == []
    assert found(gaz, "Parisian cafés stayed open") == []
    assert found(gaz, "the USAID budget") == []


def test_case_rules(gaz):
    # Capitals in an alias are required: the pronoun "us" and "who" are not actors.
    assert found(gaz, "They told us who would pay.") == []
    assert found(gaz, "The US and the WHO disagreed.") == [
        ("United States", "The US"),
        ("World Health Organization", "the WHO"),
    ]
    assert found(gaz, "roast turkey and french fries") == []
    assert found(gaz, "germany objected") == []


def test_spacing_hyphens_and_line_breaks(gaz):
    assert found(gaz, "the European\nCommission objected")[0][0] == "European Commission"
    assert found(gaz, "the UN Secretary General spoke")[0][0] == "United Nations"


def test_ignored_phrases_hide_the_names_inside(gaz):
    assert found(gaz, "The Paris Agreement binds France.") == [("France", "France")]
    assert found(gaz, "the Washington Post reported") == []


def test_user_actors_extend_and_win(gaz):
    ext = gaz.extend({"Acme Steel": ["Acme", "the steelmaker"], "Belgium": ["Brussels"]})
    assert "Acme Steel" in ext and "Acme Steel" not in gaz  # the packaged one is unchanged
    assert found(ext, "The steelmaker and Acme said Brussels agreed.") == [
        ("Acme Steel", "The steelmaker"),
        ("Acme Steel", "Acme"),
        ("Belgium", "Brussels"),
    ]
    assert ("Brussels", "European Union", "Belgium") in ext.conflicts
    assert found(ext, "Germany agreed") == [("Germany", "Germany")]
    plain = gaz.extend(["the dockworkers' union"])
    assert found(plain, "The dockworkers’ union struck.") == [("the dockworkers' union", "The dockworkers’ union")]


def test_user_actors_replace():
    only = Gazetteer.from_actors(["Acme Steel", "critics"])
    assert only.canonical_names == ["Acme Steel", "critics"]
    assert found(only, "Critics said Germany and Acme Steel agreed.") == [
        ("critics", "Critics"),
        ("Acme Steel", "Acme Steel"),
    ]


def test_user_yaml_file_with_speaks_for(tmp_path: Path):
    path = tmp_path / "mine.yaml"
    path.write_text(
        "actors:\n"
        "  - name: Viktor Orbán\n    aliases: [Orbán]\n    speaks_for: Hungary\n"
        "  - name: Ruritania\n    kind: country\n    capital: Strelsau\n    demonym: Ruritanian\n"
        "    offices: [king]\n"
        "ignore: [Strelsau Gazette]\n",
        encoding="utf-8",
    )
    g = Gazetteer.default().extend(path)
    assert found(g, "Orbán attacked the plan.") == [("Hungary", "Orbán")]
    assert g.kind("Hungary") == "country"  # a person's entry does not change the actor's kind
    assert found(g, "Strelsau and the Ruritanian king agreed; the Strelsau Gazette did not.") == [
        ("Ruritania", "Strelsau"),
        ("Ruritania", "the Ruritanian king"),
    ]
    assert found(g, "Ruritania's king agreed.") == [("Ruritania", "Ruritania's king")]
    alone = Gazetteer.load(None, [path])
    assert set(alone.canonical_names) == {"Hungary", "Ruritania"}


@pytest.mark.parametrize(
    "text, message",
    [
        ("actors:\n  - name: X\n    alias: [Y]\n", r"actors\[0\] \(X\): unknown key\(s\) \['alias'\]"),
        ("actors:\n  - aliases: [Y]\n", r"actors\[0\]: 'name' is missing"),
        ("actors:\n  - name: X\n    aliases: 3\n", "'aliases' must be a string or a list"),
        ("actors: [\n", "not valid YAML"),
        ("people: []\n", r"unknown top-level key\(s\) \['people'\]"),
    ],
)
def test_bad_files_are_named(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GazetteerError, match=message) as info:
        Gazetteer.load(None, [path])
    assert "bad.yaml" in str(info.value)


def test_bad_inputs():
    with pytest.raises(GazetteerError, match="does not exist"):
        Gazetteer.load(None, ["/nonexistent/actors.yaml"])
    with pytest.raises(GazetteerError, match="not one string"):
        Gazetteer.from_actors("Hungary")
    with pytest.raises(GazetteerError, match="empty"):
        Gazetteer.from_actors(["  "])


def test_alias_key_normalises_spelling():
    assert alias_key("the UN Secretary-General") == alias_key("the un  secretary general")
    assert alias_key("Germany’s") == alias_key("germany's")
