"""The corpus reader and builder: every kind of broken input names its file, line and field."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from stanceml.config import DataConfig, SplitConfig
from stanceml.data.corpus import read_corpus
from stanceml.data.dataset import build_dataset
from stanceml.io import DataError


def first_line(corpus: Path, article: str = "topic0-00") -> dict:
    return json.loads((corpus / "annotations" / f"{article}.jsonl").read_text().splitlines()[0])


def append_line(corpus: Path, text: str, article: str = "topic0-00") -> int:
    path = corpus / "annotations" / f"{article}.jsonl"
    lines = path.read_text().splitlines() + [text]
    path.write_text("\n".join(lines) + "\n")
    return len(lines)


def problems_of(corpus: Path) -> list:
    with pytest.raises(DataError) as info:
        read_corpus(corpus / "articles", corpus / "annotations")
    return info.value.problems


def test_valid_corpus_reads(corpus_dir):
    corpus = read_corpus(corpus_dir / "articles", corpus_dir / "annotations")
    assert len(corpus.articles) == 12
    assert {t.stance for t in corpus.triples} == {"support", "oppose", "neutral"}
    assert all(t.topic.startswith("topic") for t in corpus.triples)


@pytest.mark.parametrize(
    "mutate, field, reason",
    [
        (lambda r: "{not json", "", "malformed JSON"),
        (lambda r: json.dumps({k: v for k, v in r.items() if k != "actor"}), "actor", "missing"),
        (lambda r: json.dumps(r | {"target": "  "}), "target", "empty"),
        (lambda r: json.dumps(r | {"stance": "against"}), "stance", "unknown stance"),
        (lambda r: json.dumps(r | {"stance": 1}), "stance", "must be a string"),
        (lambda r: json.dumps(r | {"actor": "Atlantis", "target": "x2"}), "actor", "does not occur"),
        (lambda r: json.dumps(r | {"sentence": "A sentence nobody wrote."}), "sentence", "not found verbatim"),
        (lambda r: json.dumps(r | {"article_id": "nope-99"}), "article_id", "unknown article"),
        (lambda r: json.dumps(r | {"tags": ["sarcasm"]}), "tags", "unknown tag"),
        (
            lambda r: json.dumps(
                r | {"stance": {"support": "oppose", "oppose": "neutral", "neutral": "support"}[r["stance"]]}
            ),
            "stance",
            "different stance",
        ),
        (lambda r: "[1, 2]", "", "JSON object"),
    ],
)
def test_bad_annotation_line_is_named(corpus_dir, mutate, field, reason):
    line = append_line(corpus_dir, mutate(first_line(corpus_dir)))
    problems = problems_of(corpus_dir)
    assert len(problems) == 1, problems
    p = problems[0]
    assert p.path.endswith("topic0-00.jsonl") and p.line == line and p.field == field
    assert reason in p.reason
    assert f"topic0-00.jsonl:{line}" in str(p)


def test_all_problems_are_collected_in_one_pass(corpus_dir):
    append_line(corpus_dir, "{oops", "topic0-00")
    append_line(corpus_dir, json.dumps(first_line(corpus_dir, "topic1-01") | {"stance": "maybe"}), "topic1-01")
    (corpus_dir / "articles" / "topic2-02.md").write_text("no front matter here\n")
    problems = problems_of(corpus_dir)
    files = {Path(p.path).name for p in problems}
    assert {"topic0-00.jsonl", "topic1-01.jsonl", "topic2-02.md"} <= files


@pytest.mark.parametrize(
    "text, field",
    [
        ("no front matter\n", "front matter"),
        ("---\nid: topic0-00\ntitle: T\ndate: 2024-01-01\n---\nBody.\n", "topic"),
        ("---\nid: topic0-00\ntitle: T\ndate: yesterday\ntopic: x\n---\nBody.\n", "date"),
        ("---\nid: other-id\ntitle: T\ndate: 2024-01-01\ntopic: x\n---\nBody.\n", "id"),
        ("---\nid: topic0-00\ntitle: T\ndate: 2024-01-01\ntopic: x\n", "front matter"),
    ],
)
def test_bad_front_matter_is_named(corpus_dir, text, field):
    (corpus_dir / "articles" / "topic0-00.md").write_text(text)
    problems = [p for p in problems_of(corpus_dir) if p.path.endswith("topic0-00.md")]
    assert problems and problems[0].field == field


def test_non_utf8_names_file_and_line(corpus_dir):
    path = corpus_dir / "annotations" / "topic0-00.jsonl"
    path.write_bytes(path.read_bytes() + b'{"sentence": "caf\xe9"}\n')
    problems = problems_of(corpus_dir)
    assert problems[0].path.endswith("topic0-00.jsonl")
    assert "UTF-8" in problems[0].reason and problems[0].line > 1


def test_empty_folders_are_an_error(tmp_path):
    (tmp_path / "articles").mkdir()
    (tmp_path / "annotations").mkdir()
    problems = problems_of(tmp_path)
    assert any("no articles" in p.reason for p in problems)


def test_builder_writes_nothing_for_a_broken_corpus(corpus_dir, tmp_path):
    append_line(corpus_dir, "{broken")
    out = tmp_path / "processed"
    cfg = DataConfig(
        articles_dir=str(corpus_dir / "articles"),
        annotations_dir=str(corpus_dir / "annotations"),
        output_dir=str(out),
        card_path=str(tmp_path / "card.md"),
    )
    with pytest.raises(DataError):
        build_dataset(cfg)
    assert not out.exists() and not (tmp_path / "card.md").exists()


def test_build_script_exits_nonzero_with_file_and_line(corpus_dir, tmp_path):
    line = append_line(corpus_dir, json.dumps(first_line(corpus_dir) | {"stance": "pro"}))
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "build_dataset.py"),
            f"paths.root_dir={tmp_path}",
            f"data.output_dir={out}",
            "data.agreement_path=null",
            "data=gold",
            "data.split.test_topics=[]",
            "data.split.test_hash=null",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ},
    )
    assert proc.returncode != 0
    assert f"topic0-00.jsonl:{line} [stance]" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_split_is_by_article_and_seeded(corpus_dir, tmp_path):
    from stanceml.data.dataset import load_splits

    def build(seed: int, out: str):
        cfg = DataConfig(
            articles_dir=str(corpus_dir / "articles"),
            annotations_dir=str(corpus_dir / "annotations"),
            output_dir=str(tmp_path / out),
            card_path=None,
            split=SplitConfig(seed=seed, test_topics=["topic2"], leak_check="off"),  # templated sentences repeat
        )
        return build_dataset(cfg)

    card = build(1, "a")
    again = build(1, "b")
    assert card["splits"] == again["splits"]
    ids = {s: set(v["article_ids"]) for s, v in card["splits"].items()}
    assert (
        not ids["train"] & ids["validation"] and not ids["train"] & ids["test"] and not ids["validation"] & ids["test"]
    )
    # The held-out topic: every one of its articles (read from the corpus itself) is in test,
    # none in train or validation.
    topic2 = {p.stem for p in (corpus_dir / "articles").glob("*.md") if "topic: topic2" in p.read_text()}
    assert topic2 and topic2 <= ids["test"]
    assert not topic2 & (ids["train"] | ids["validation"])
    dd = load_splits(tmp_path / "a")
    assert set(dd["test"]["article_id"]) == ids["test"]
    assert dd["train"].features["label"].names == ["support", "oppose", "neutral"]


def test_unknown_test_topic_is_an_error(corpus_dir, tmp_path):
    cfg = DataConfig(
        articles_dir=str(corpus_dir / "articles"),
        annotations_dir=str(corpus_dir / "annotations"),
        output_dir=str(tmp_path / "o"),
        card_path=None,
        split=SplitConfig(test_topics=["nope"]),
    )
    with pytest.raises(ValueError, match="nope"):
        build_dataset(cfg)
