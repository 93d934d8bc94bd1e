"""Article analysis: batching, evidence spans, relevance, aggregation, user actors, and the CLI."""

from __future__ import annotations

import json
import re
import sys

import pytest

from stanceml.analysis.aggregate import Evidence, aggregate
from stanceml.analysis.analyze import FALLBACK_NOTE, analyze_text
from stanceml.cli import main
from stanceml.inference.predictor import StancePrediction
from stanceml.text.targets import content_stems, is_about

LABELS = ("support", "oppose", "neutral")
CUES = {"oppose": r"blocked|rejects?|resists?|against", "support": r"backed|pushed for|supports?|favours?"}


class FakePredictor:
    """Reads the clause after the marked mention: a stance cue word decides, else neutral.

    Records every call, so tests can check that an article costs one batched call.
    """

    labels = LABELS

    def __init__(self):
        self.calls: list[list] = []

    def predict(self, inputs):
        inputs = list(inputs)
        self.calls.append(inputs)
        out = []
        for item in inputs:
            start, end = item.span
            clause = re.split(r"[,;]", item.sentence[end:])[0]
            stance, score = "neutral", 0.7
            for label, cue in CUES.items():
                if re.search(rf"\b(?:{cue})\b", clause):
                    stance, score = label, 0.9
            rest = (1 - score) / 2
            probs = {label: (score if label == stance else rest) for label in LABELS}
            out.append(StancePrediction(stance=stance, probs=probs, score=score))
        return out


ARTICLE = (
    "While Hungary blocked the sanctions package, Poland pushed for the sanctions package.\n\n"
    "Berlin backed the sanctions after long talks. Hungary held elections in April. "
    "Germany's chancellor said Germany supports the new sanctions."
)


def ev(stance: str, score: float) -> Evidence:
    return Evidence(sentence="s", start=0, end=1, stance=stance, probs={}, score=score)


# -- aggregation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "evidence, stance, score, reason",
    [
        ([], "neutral", 0.0, "no evidence"),
        ([ev("support", 0.9), ev("support", 0.7)], "support", 0.8, "agreeing evidence"),
        # neutral mentions do not dilute a clear position
        (
            [ev("oppose", 0.9), ev("neutral", 0.9), ev("neutral", 0.9), ev("neutral", 0.9)],
            "oppose",
            0.9,
            "agreeing evidence",
        ),
        # support and oppose within the margin: neutral
        ([ev("support", 0.9), ev("oppose", 0.8)], "neutral", 0.95, "conflicting evidence"),
        # the winning side holds at least two thirds of the polar weight: a (low-scored) win
        ([ev("support", 0.8), ev("support", 0.8), ev("oppose", 0.6)], "support", 1.0 / 3, "agreeing evidence"),
        # too little polar weight: neutral
        ([ev("support", 0.45)], "neutral", 0.55, "weak evidence"),
        ([ev("neutral", 0.8), ev("neutral", 0.6)], "neutral", 0.7, "only neutral evidence"),
    ],
)
def test_aggregate(evidence, stance, score, reason):
    got_stance, got_score, got_reason, weights = aggregate(evidence)
    assert (got_stance, got_reason) == (stance, reason)
    assert got_score == pytest.approx(score)
    assert sum(weights.values()) == pytest.approx(sum(e.score for e in evidence))


def test_aggregate_thresholds_are_parameters():
    assert aggregate([ev("support", 0.45)], min_weight=0.4)[0] == "support"
    assert aggregate([ev("support", 0.9), ev("oppose", 0.8)], conflict_margin=0.0)[0] == "support"
    with pytest.raises(ValueError, match="conflict_margin"):
        aggregate([ev("support", 0.9)], conflict_margin=2)


# -- relevance ----------------------------------------------------------------------------


def test_relevance_rule():
    stems = content_stems("Ukraine's invitation to NATO")
    assert is_about("Budapest and Bratislava resist the invitation.", stems)
    assert is_about("They opposed inviting Ukraine.", stems)  # "invit" stem, "Ukraine"
    assert not is_about("Kyiv rejected the account.", stems)
    # The actor's own mention does not make a sentence about the target.
    sentence = "NATO admits members by consensus."
    assert not is_about(sentence, stems, (0, 4)) and is_about(sentence, stems)
    assert content_stems("the EU and the AI act") == {"eu", "ai", "act"}


# -- analyze_text with a predictable predictor ---------------------------------------------


def test_one_batched_call_with_each_mention_marked():
    fake = FakePredictor()
    analyze_text(fake, ARTICLE, ["the sanctions package", "the election"])
    assert len(fake.calls) == 1
    for item in fake.calls[0]:
        start, end = item.span
        assert item.sentence[start:end] == item.actor  # the mention's own text, as in training


def test_results_are_canonical_with_spans_into_the_article():
    results = analyze_text(FakePredictor(), ARTICLE, ["the sanctions package"])
    by_actor = {r.actor: r for r in results}
    assert list(by_actor) == ["Hungary", "Poland", "Germany"]  # order of first mention
    assert by_actor["Hungary"].stance == "oppose" and by_actor["Poland"].stance == "support"
    germany = by_actor["Germany"]
    assert germany.stance == "support" and germany.reason == "agreeing evidence"
    assert [e.mention for e in germany.evidence] == ["Berlin", "Germany's chancellor"]
    for r in results:
        assert r.target == "the sanctions package"
        for e in r.evidence:
            assert ARTICLE[e.start : e.end] == e.sentence
            assert ARTICLE[e.mention_start : e.mention_end] == e.mention
            assert set(e.probs) == set(LABELS) and e.score == max(e.probs.values())
    assert by_actor["Hungary"].best_evidence.sentence.startswith("While Hungary blocked")
    d = by_actor["Hungary"].to_dict()
    assert {"actor", "target", "stance", "score", "evidence", "reason", "weights"} <= set(d)
    json.dumps(d)


def test_a_sentence_counts_once_per_actor():
    text = "Hungary's prime minister said Hungary rejects the sanctions."
    [r] = analyze_text(FakePredictor(), text, ["the sanctions"])
    assert r.actor == "Hungary" and len(r.evidence) == 1 and r.stance == "oppose"


def test_overlap_relevance_drops_unrelated_sentences_and_all_keeps_them():
    hungary = {r.actor: r for r in analyze_text(FakePredictor(), ARTICLE, ["the sanctions package"])}["Hungary"]
    assert len(hungary.evidence) == 1  # "Hungary held elections in April." is not about sanctions
    hungary = {r.actor: r for r in analyze_text(FakePredictor(), ARTICLE, ["the sanctions package"], relevance="all")}[
        "Hungary"
    ]
    assert len(hungary.evidence) == 2


def test_a_target_no_sentence_names_falls_back_to_every_sentence():
    results = analyze_text(FakePredictor(), ARTICLE, ["the veto"], relevance="semantic")
    assert {r.actor for r in results} == {"Hungary", "Poland", "Germany"}
    assert all("every sentence with an actor was used" in r.notes[0] for r in results)


def test_results_are_ordered_by_target_then_first_mention():
    results = analyze_text(FakePredictor(), ARTICLE, ["the sanctions package", "elections"], relevance="semantic")
    assert [(r.target, r.actor) for r in results] == [
        ("the sanctions package", "Hungary"),
        ("the sanctions package", "Poland"),
        ("the sanctions package", "Germany"),
        ("elections", "Hungary"),
    ]


def test_user_actors_add_or_replace():
    text = "Acme Steel rejects the tariff. Hungary backed the tariff."
    added = analyze_text(FakePredictor(), text, "the tariff", actors=["Acme Steel"])
    assert [(r.actor, r.stance) for r in added] == [("Acme Steel", "oppose"), ("Hungary", "support")]
    only = analyze_text(FakePredictor(), text, ["the tariff"], actors={"Acme": ["Acme Steel"]}, replace_actors=True)
    assert [(r.actor, r.stance) for r in only] == [("Acme", "oppose")]


def test_bad_arguments():
    with pytest.raises(ValueError, match="at least one target"):
        analyze_text(FakePredictor(), ARTICLE, [])
    with pytest.raises(ValueError, match="non-empty"):
        analyze_text(FakePredictor(), ARTICLE, ["  "])
    with pytest.raises(ValueError, match="relevance"):
        analyze_text(FakePredictor(), ARTICLE, ["x"], relevance="some")
    with pytest.raises(ValueError, match="needs actors"):
        analyze_text(FakePredictor(), ARTICLE, ["x"], replace_actors=True)
    fake = FakePredictor()
    assert analyze_text(fake, "No actor here at all.", ["x"]) == [] and fake.calls == []


# -- the real tiny model and the CLI ----------------------------------------------------------

MD = """---
id: nato-demo
title: Allies split
date: 2024-11-22
topic: nato-accession
---
At least seven NATO members, among them the U.S. and Germany, are against an invitation to Ukraine.
Kyiv rejected the account.

Budapest and Bratislava resist the invitation. Poland's president backed the invitation.
"""


def test_predictor_analyze_delegates(tiny_run):
    from stanceml import StancePredictor

    p = StancePredictor.from_pretrained(tiny_run["export_dir"])
    results = p.analyze(MD, targets=["Ukraine's invitation to NATO"])
    assert {r.actor for r in results} >= {"United States", "Germany", "Hungary", "Slovakia", "Poland"}
    assert all(r.stance in LABELS and 0 <= r.score <= 1 for r in results)


def test_cli_json(tiny_run, tmp_path, capsys):
    article = tmp_path / "article.md"
    article.write_text(MD, encoding="utf-8")
    assert (
        main(
            [
                "analyze",
                str(article),
                "--model",
                str(tiny_run["export_dir"]),
                "--format",
                "json",
                "--target",
                "Ukraine's invitation to NATO",
                "--target",
                "the report",
            ]
        )
        == 0
    )
    rows = json.loads(capsys.readouterr().out)
    assert isinstance(rows, list) and rows
    raw = article.read_text(encoding="utf-8")
    for row in rows:
        assert {"article", "actor", "target", "stance", "score", "evidence"} <= set(row)
        assert row["article"] == "nato-demo" and row["stance"] in LABELS
        for e in row["evidence"]:  # spans index the file as it is, front matter included
            assert raw[e["start"] : e["end"]] == e["sentence"]
            assert raw[e["mention_start"] : e["mention_end"]] == e["mention"]
            assert e["stance"] in LABELS and set(e["probs"]) == set(LABELS)
    actors = {r["actor"] for r in rows if r["target"] == "Ukraine's invitation to NATO"}
    assert {"United States", "Germany", "Hungary", "Slovakia", "Poland"} <= actors
    assert not any("id: nato-demo" in e["sentence"] for r in rows for e in r["evidence"])


def test_cli_table_jsonl_txt_and_user_actors(tiny_run, tmp_path, capsys):
    jsonl = tmp_path / "articles.jsonl"
    jsonl.write_text(
        json.dumps({"id": "a1", "text": "Acme Steel rejects the tariff. Poland backed the tariff."})
        + "\n\n"
        + json.dumps({"text": "Hungary backed the merger.", "targets": ["the merger"]})
        + "\n",
        encoding="utf-8",
    )
    txt = tmp_path / "note.txt"
    txt.write_text("The steelmaker backed the tariff.", encoding="utf-8")
    model = str(tiny_run["export_dir"])
    assert (
        main(
            [
                "analyze",
                str(jsonl),
                str(txt),
                "--model",
                model,
                "--target",
                "the tariff",
                "--actor",
                "Acme Steel=the steelmaker",
                "--format",
                "json",
            ]
        )
        == 0
    )
    rows = json.loads(capsys.readouterr().out)
    assert {(r["article"], r["actor"], r["target"]) for r in rows} == {
        ("a1", "Acme Steel", "the tariff"),
        ("a1", "Poland", "the tariff"),
        ("articles:3", "Hungary", "the merger"),
        ("note", "Acme Steel", "the tariff"),
    }
    assert (
        main(
            [
                "analyze",
                str(txt),
                "--model",
                model,
                "--target",
                "the tariff",
                "--actor",
                "Acme Steel=the steelmaker",
                "--replace-actors",
            ]
        )
        == 0
    )
    table = capsys.readouterr().out
    assert "== note" in table and "-- target: the tariff" in table
    assert re.search(r"^Acme Steel\s+(support|oppose|neutral)\s+\d\.\d\d\s+1\s+\[The steelmaker\] backed", table, re.M)


@pytest.mark.parametrize(
    "files, extra, message",
    [
        ({"a.md": "Poland backed it."}, [], "no target"),
        ({"a.pdf": "x"}, ["--target", "t"], "unsupported file type '.pdf'"),
        ({"a.jsonl": '{"text": "ok"}\n{"title": "no text"}\n'}, ["--target", "t"], r"a.jsonl:2 \[text\]"),
        ({"a.txt": "x"}, ["--target", "t", "--replace-actors"], "--replace-actors needs"),
        ({"a.txt": "x"}, ["--target", "t", "--actors", "missing.yaml"], "missing.yaml does not exist"),
    ],
)
def test_cli_errors(tmp_path, files, extra, message):
    paths = []
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        paths.append(str(tmp_path / name))
    with pytest.raises(SystemExit, match=message):
        main(["analyze", *paths, "--model", str(tmp_path / "no-model"), *extra])


def test_actors_named_in_the_target_are_not_asked_about_it():
    text = (
        "Poland pushed for an invitation for Ukraine to join NATO. "
        "Germany said NATO should wait before inviting Ukraine."
    )
    target = "Ukraine's invitation to NATO"
    actors = {r.actor for r in analyze_text(FakePredictor(), text, [target])}
    assert actors == {"Poland", "Germany"}
    kept = {r.actor for r in analyze_text(FakePredictor(), text, [target], skip_target_actors=False)}
    assert {"Ukraine", "NATO"} <= kept


def test_article_jsonl_errors_name_the_first_bad_line(tmp_path):
    from stanceml.data.articles import ArticleError, read_articles

    src = tmp_path / "a.jsonl"
    src.write_text('{"text": "Spain backed it."}\n{"title": "no text"}\n{oops\n')
    with pytest.raises(ArticleError, match=r"a.jsonl:2 \[text\]"):
        read_articles(src)
    src.write_text('{"text": "Spain backed it."}\n{oops\n{"title": "no text"}\n')
    with pytest.raises(ArticleError, match="a.jsonl:2: malformed JSON"):
        read_articles(src)
    src.write_text('{"text": "Spain backed it."}\n\n{"text": "Poland did not."}\n')
    assert [a.text for a in read_articles(src)] == ["Spain backed it.", "Poland did not."]


# -- analysis v2: assessment flags, NER actors, coreference, fallbacks --------------------

from stanceml.analysis import analyze as analyze_module  # noqa: E402
from stanceml.analysis.aggregate import assess  # noqa: E402


def evs(*items):
    return [
        Evidence(sentence=text, start=i, end=i + 1, stance=st, probs={st: sc}, score=sc)
        for i, (text, st, sc) in enumerate(items)
    ]


def test_assess_takes_the_later_position_after_a_reported_change():
    a = assess(
        evs(
            ("The union backed the plan in March.", "support", 0.9),
            ("It said it supports the plan.", "support", 0.8),
            ("The union no longer supports the plan and now opposes it.", "oppose", 0.9),
        )
    )
    assert (a.stance, a.changed) == ("oppose", True)
    assert "change" in a.reason
    # without a sentence reporting a change, conflicting evidence stays neutral
    b = assess(evs(("The union backed the plan.", "support", 0.9), ("The union opposes the plan.", "oppose", 0.9)))
    assert (b.stance, b.changed) == ("neutral", False)


def test_assess_flags_a_conditional_position_and_gives_a_confidence():
    a = assess(evs(("Hungary said it would block any invitation as long as the war continues.", "oppose", 0.8)))
    assert (a.stance, a.conditional, a.changed) == ("oppose", True, False)
    assert a.confidence == pytest.approx(0.8)
    assert not assess(evs(("Hungary blocked the invitation.", "oppose", 0.8))).conditional


def test_without_spacy_the_gazetteer_alone_is_used_with_a_log_line(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "stanceml.analysis.coref", None)  # import fails like a missing extra
    analyze_module._say_no_spacy.cache_clear()
    with caplog.at_level("WARNING"):
        results = analyze_text(FakePredictor(), ARTICLE, ["the sanctions package"], relevance="overlap")
    assert {r.actor for r in results} == {"Hungary", "Poland", "Germany"}
    assert "stanceml[analysis]" in caplog.text
    with pytest.raises(ImportError):
        analyze_text(FakePredictor(), ARTICLE, ["the sanctions package"], actor_finder="ner")


def test_unknown_actor_finder():
    with pytest.raises(ValueError, match="actor_finder"):
        analyze_text(FakePredictor(), ARTICLE, ["the sanctions package"], actor_finder="magic")


@pytest.fixture
def spacy_ready():
    pytest.importorskip("spacy")
    ner = pytest.importorskip("stanceml.text.ner")
    try:
        ner.load_pipeline()
    except ImportError as err:
        pytest.skip(str(err))


def test_ner_actors_and_pronouns_reach_the_model_with_the_actor_name(spacy_ready):
    text = (
        "The Harbour Workers' Union blocked the port reform on Monday. "
        "Hungary went further, and its prime minister said he rejects the port reform."
    )
    fake = FakePredictor()
    results = analyze_text(fake, text, ["the port reform"], relevance="overlap")
    by_actor = {r.actor: r for r in results}
    assert by_actor["Harbour Workers' Union"].stance == "oppose"  # not in any gazetteer
    hungary = by_actor["Hungary"]
    assert hungary.stance == "oppose"
    # one evidence per sentence (the most confident mention); its chain leads to Hungary
    assert hungary.evidence[-1].chain[-2:] == ("its prime minister", "Hungary")
    asked = {i.sentence[i.span[0] : i.span[1]]: i.actor for i in fake.calls[0]}
    assert asked["he"] == "Hungary" and asked["its prime minister"] == "Hungary"
    assert asked["The Harbour Workers' Union"] == "The Harbour Workers' Union"  # a direct mention as written
    assert "its prime minister" in hungary.mentions and "he" not in hungary.mentions
    assert hungary.to_dict()["evidence"][0]["chain"] is not None


def test_semantic_relevance_finds_a_paraphrase(spacy_ready):
    text = "Critics attacked the new limits on what a flat may cost. The Harbour Council backed the new stadium."
    lexical = analyze_text(FakePredictor(), text, ["the rent cap"], relevance="overlap")
    # similarities here: 0.28 and 0.19 (the base MiniLM); the threshold is explicit so the
    # test does not move with the tuned default
    semantic = analyze_text(FakePredictor(), text, ["the rent cap"], relevance="semantic", similarity_threshold=0.25)
    assert lexical[0].notes  # nothing shares a word: the fallback asked about every actor
    assert [r.actor for r in semantic] == ["Critics"] and not semantic[0].notes


def test_fallback_relevance_judges_an_actor_without_target_sentences_on_all_of_them(spacy_ready):
    text = (
        "Critics are against the rent cap on Monday. Critics backed the new stadium. "
        "The Harbour Council backed the new stadium."
    )
    fake = FakePredictor()
    semantic = analyze_text(FakePredictor(), text, ["the rent cap"], relevance="semantic")
    fallback = analyze_text(fake, text, ["the rent cap"], relevance="fallback")
    assert [r.actor for r in semantic] == ["Critics"]
    by_actor = {r.actor: r for r in fallback}
    assert set(by_actor) == {"Critics", "Harbour Council"}
    # Critics has a sentence about the target: only that one counts, as with "semantic"
    assert [e.sentence for e in by_actor["Critics"].evidence] == ["Critics are against the rent cap on Monday."]
    assert by_actor["Critics"].stance == "oppose" and not by_actor["Critics"].notes
    # the council has none: it is judged on every sentence naming it, and says so
    council = by_actor["Harbour Council"]
    assert [e.sentence for e in council.evidence] == ["The Harbour Council backed the new stadium."]
    assert council.notes == (FALLBACK_NOTE,)
    assert len(fake.calls) == 1 and len(fake.calls[0]) == 2


def test_targets_auto(spacy_ready):
    text = "Critics attacked the rent freeze. The council backed the freeze. Landlords rejected the freeze."
    results = analyze_text(FakePredictor(), text, "auto")
    assert {r.target for r in results} == {"the rent freeze"}
