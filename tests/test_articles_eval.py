"""Article-level evaluation against answer keys: reading keys, matching actors by their
mentions, and the four figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from stanceml.analysis.aggregate import ActorStance, Evidence
from stanceml.analysis.articles_eval import (
    AnswerKeyError,
    KeyActor,
    evaluate_articles,
    format_report,
    match_actors,
    read_answer_key,
    read_answer_keys,
    score_target,
    summarize,
)
from stanceml.analysis.evaluate_command import read_texts

KEY = {
    "article_id": "rent-01",
    "annotator": "t",
    "targets": [
        {
            "target": "the rent freeze",
            "actors": [
                {
                    "actor": "Lisbon city council",
                    "mentions": ["Lisbon city council", "the council"],
                    "stance": "support",
                },
                {"actor": "Ana Costa", "mentions": ["Dr Ana Costa", "Costa"], "stance": "support"},
                {"actor": "Landlords' Association", "mentions": ["the Landlords' Association"], "stance": "oppose"},
            ],
        }
    ],
}


def reported(actor: str, stance: str, mentions=(), evidence_mention: str = "") -> ActorStance:
    ev = Evidence("s", 0, 1, stance, {}, 0.9, mention=evidence_mention or actor)
    return ActorStance(actor, "the rent freeze", stance, 0.9, [ev], mentions=tuple(mentions))


def test_read_answer_keys(tmp_path):
    (tmp_path / "rent-01.json").write_text(json.dumps(KEY), encoding="utf-8")
    [key] = read_answer_keys(tmp_path)
    assert key.article_id == "rent-01"
    assert [a.stance for a in key.targets["the rent freeze"]] == ["support", "support", "oppose"]


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda k: k["targets"][0]["actors"][0].pop("mentions"), r"targets\[0\]\.actors\[0\]: missing field.*mentions"),
        (lambda k: k["targets"][0]["actors"][1].update(stance="for"), r"actors\[1\]: field 'stance'"),
        (lambda k: k.update(targets=[]), "field 'targets'"),
        (lambda k: k["targets"][0].update(target=""), r"targets\[0\]: field 'target'"),
    ],
)
def test_bad_keys_name_file_and_field(tmp_path, mutate, message):
    key = json.loads(json.dumps(KEY))
    mutate(key)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(key), encoding="utf-8")
    with pytest.raises(AnswerKeyError, match=message) as info:
        read_answer_key(path)
    assert "bad.json" in str(info.value)


def test_invalid_json_names_the_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "article_id": "x",\n  oops\n}', encoding="utf-8")
    with pytest.raises(AnswerKeyError, match="broken.json: line 3"):
        read_answer_key(path)
    with pytest.raises(AnswerKeyError, match="does not exist"):
        read_answer_keys(tmp_path / "missing")


def test_matching_by_mentions_is_one_to_one_and_exact_first():
    key = [KeyActor(a["actor"], tuple(a["mentions"]), a["stance"]) for a in KEY["targets"][0]["actors"]]
    got = [
        reported("the council", "support"),  # a key mention: exact
        reported("Costa", "oppose", mentions=["Costa"]),  # exact via its mentions
        reported("Lisbon Landlords' Association", "oppose"),  # whole-word containment
        reported("the council", "support"),  # a duplicate cannot take the same key actor
    ]
    assert match_actors(key, got) == {0: 0, 1: 1, 2: 2}
    s = score_target("rent-01", "the rent freeze", key, got)
    assert (s.key_actors, s.reported, s.matched, s.correct) == (3, 4, 3, 2)
    assert {"actor": None, "gold": None, "found": "the council", "predicted": "support"} in s.rows


def test_summary_figures():
    key = [KeyActor("A", ("A",), "support"), KeyActor("B", ("B",), "oppose")]
    got = [reported("A", "support"), reported("C", "neutral")]
    summary = summarize([score_target("x", "t", key, got)])
    assert summary["actor_recall"] == 0.5
    assert summary["actor_precision"] == 0.5
    assert summary["stance_accuracy_found"] == 1.0
    assert summary["end_to_end_accuracy"] == 0.5


def test_evaluate_articles_runs_the_analysis_per_key(tmp_path):
    (tmp_path / "rent-01.json").write_text(json.dumps(KEY), encoding="utf-8")
    keys = read_answer_keys(tmp_path)
    calls = []

    def analyze(text, targets):
        calls.append((text, targets))
        return [reported("Lisbon city council", "support"), reported("Costa", "support")]

    summary, scores = evaluate_articles(analyze, keys, {"rent-01": "the article"})
    assert calls == [("the article", ["the rent freeze"])]
    assert summary["actor_recall"] == pytest.approx(2 / 3) and summary["actor_precision"] == 1.0
    assert "| rent-01 | the rent freeze | 3 | 2 | 2 | 2 |" in format_report(summary, scores)
    with pytest.raises(AnswerKeyError, match="no article 'rent-01'"):
        evaluate_articles(analyze, keys, {})


@pytest.mark.parametrize("folder", ["data/v2/answer_keys", "data/v2/answer_keys_dev"])
def test_the_committed_keys_load_and_their_mentions_are_in_the_articles(folder):
    """Every committed key reads, and each mention occurs verbatim in its article (the text
    `stanceml analyze` sees); test keys name test-split articles and dev keys validation ones."""
    root = Path(__file__).resolve().parents[1]
    keys = read_answer_keys(root / folder)
    texts = read_texts([str(root / "data" / "v2" / "articles"), str(root / "data" / "articles")])
    split = OmegaConf.load(root / "configs" / "data" / "v2.yaml").split
    topics = set(split.test_topics if folder.endswith("answer_keys") else split.validation_topics)
    for key in keys:
        assert key.article_id.rsplit("-", 1)[0] in topics, key.path
        for target, actors in key.targets.items():
            for actor in actors:
                missing = [m for m in actor.mentions if m not in texts[key.article_id]]
                assert not missing, f"{key.path}: {target}: {actor.actor}: {missing}"
