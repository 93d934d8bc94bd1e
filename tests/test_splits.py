"""Corpus v2's split rules: whole topics per split, a frozen test split, near-duplicates across
the train/test line, several corpus folders read as one, kappa per tag."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import write_corpus

from stanceml.config import DataConfig, SplitConfig
from stanceml.data.agreement import agreement_summary
from stanceml.data.corpus import read_corpus
from stanceml.data.dataset import build_dataset, check_split, split_articles
from stanceml.data.leaks import near_duplicates, split_hash
from stanceml.io import DataError


def _write_article(root, aid, topic, body):
    (root / "articles" / f"{aid}.md").write_text(
        f"---\nid: {aid}\ntitle: T\ndate: 2025-01-01\ntopic: {topic}\n---\n{body}\n"
    )


@pytest.fixture
def corpus(tmp_path):
    return read_corpus(
        *(write_corpus(tmp_path / "d", n_articles=12, topics=4) / p for p in ("articles", "annotations"))
    )


def test_split_by_topic_puts_whole_topics_in_validation_and_test(corpus):
    splits = split_articles(corpus, SplitConfig(test_topics=["topic3"], validation_topics=["topic2"]))
    topic = {aid: a.topic for aid, a in corpus.articles.items()}
    assert {topic[a] for a in splits["test"]} == {"topic3"} and {topic[a] for a in splits["validation"]} == {"topic2"}
    assert {topic[a] for a in splits["train"]} == {"topic0", "topic1"}
    with pytest.raises(ValueError, match="both"):
        split_articles(corpus, SplitConfig(test_topics=["topic3"], validation_topics=["topic3"]))


def test_a_changed_test_split_fails_unless_the_config_says_so(corpus):
    cfg = SplitConfig(test_topics=["topic3"], validation_topics=["topic2"], leak_check="off")
    splits = split_articles(corpus, cfg)
    frozen = check_split(corpus, splits, cfg)["test_hash"]
    cfg.test_hash = frozen
    assert check_split(corpus, splits, cfg)["test_hash_frozen"]
    moved = {**splits, "test": splits["test"][1:]}
    with pytest.raises(ValueError, match="the test split changed"):
        check_split(corpus, moved, cfg)


def test_near_duplicates_warn_and_fail_across_train_and_test(tmp_path):
    root = tmp_path / "c"
    (root / "articles").mkdir(parents=True)
    (root / "annotations").mkdir()
    shared = "The council voted on Tuesday to cut the funding of the metro line by half."
    _write_article(root, "a-01", "a", f"Mayor Ruiz backed the plan. {shared}")
    _write_article(root, "b-01", "b", f"{shared} Nobody else spoke.")
    _write_article(root, "c-01", "c", "A wholly different text about rates that the bank kept steady.")
    for aid in ("a-01", "b-01", "c-01"):
        (root / "annotations" / f"{aid}.jsonl").write_text("")
    corpus = read_corpus(root / "articles", root / "annotations")
    report = near_duplicates(corpus, {"train": ["a-01", "c-01"], "validation": [], "test": ["b-01"]})
    assert any(p[:2] == ("a-01", "b-01") and p[2].startswith("sentence:") for p in report.pairs)
    assert report.leaks and all(p[:2] == ("a-01", "b-01") for p in report.leaks)
    clean = near_duplicates(corpus, {"train": ["a-01", "b-01"], "validation": [], "test": ["c-01"]})
    assert clean.pairs and not clean.leaks
    cfg = SplitConfig()
    with pytest.raises(ValueError, match="cross the train/test line"):
        check_split(corpus, {"train": ["a-01", "c-01"], "validation": [], "test": ["b-01"]}, cfg)


def test_extra_corpus_folders_are_read_as_one(tmp_path):
    first = write_corpus(tmp_path / "one", n_articles=6)
    second = tmp_path / "two"
    write_corpus(tmp_path / "tmp2", n_articles=9)
    (second / "articles").mkdir(parents=True)
    (second / "annotations").mkdir()
    for aid in ("topic0-06", "topic1-07", "topic2-08"):  # ids the first folder does not have
        shutil.copy(tmp_path / "tmp2" / "articles" / f"{aid}.md", second / "articles")
        shutil.copy(tmp_path / "tmp2" / "annotations" / f"{aid}.jsonl", second / "annotations")
    corpus = read_corpus(first / "articles", first / "annotations", [second])
    assert len(corpus.articles) == 9
    shutil.copy(first / "articles" / "topic0-00.md", second / "articles")
    shutil.copy(first / "annotations" / "topic0-00.jsonl", second / "annotations")
    with pytest.raises(DataError, match="in two corpus folders"):
        read_corpus(first / "articles", first / "annotations", [second])


def test_build_with_topic_split_records_the_test_hash(tmp_path):
    root = write_corpus(tmp_path / "d", n_articles=12, topics=4)
    cfg = DataConfig(articles_dir=str(root / "articles"), annotations_dir=str(root / "annotations"),
                     output_dir=str(tmp_path / "out"), card_path=str(tmp_path / "card.md"),
                     split=SplitConfig(test_topics=["topic3"], validation_topics=["topic2"], leak_check="off"))  # fmt: skip
    card = build_dataset(cfg)
    corpus = read_corpus(root / "articles", root / "annotations")
    test = set(card["splits"]["test"]["article_ids"])
    assert card["checks"]["test_hash"] == split_hash(t for t in corpus.triples if t.article_id in test)
    assert "test split hash" in (tmp_path / "card.md").read_text()


def test_kappa_per_tag(tmp_path):
    root = write_corpus(tmp_path / "d", n_articles=6)
    corpus = read_corpus(root / "articles", root / "annotations")
    rows = []
    for i, t in enumerate(corpus.triples[:40]):
        second = t.stance if i % 5 else {"support": "oppose", "oppose": "neutral", "neutral": "support"}[t.stance]
        rows.append({"article_id": t.article_id, "sentence": t.sentence, "actor": t.actor, "target": t.target,
                     "first": t.stance, "second": second, "adjudicated": t.stance})  # fmt: skip
    path = tmp_path / "agree.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    summary = agreement_summary(path, corpus)
    assert summary["agreement"] == pytest.approx(0.8)
    contrast = [r for r, t in zip(rows, corpus.triples[:40]) if "contrast" in t.tags]
    assert len(contrast) >= 10  # the generated corpus has 17: the tag is reported
    got = summary["by_tag"]["contrast"]
    assert got["n"] == len(contrast)
    assert got["agreement"] == pytest.approx(sum(r["first"] == r["second"] for r in contrast) / len(contrast), abs=1e-4)
    assert all(v["n"] >= 10 for v in summary["by_tag"].values())


def test_blind_sample_takes_all_held_out_and_a_share_of_every_train_stratum(tmp_path):
    from stanceml.data.agreement import blind_sample

    root = write_corpus(tmp_path / "d", n_articles=12, topics=4)
    corpus = read_corpus(root / "articles", root / "annotations")
    splits = split_articles(corpus, SplitConfig(test_topics=["topic3"], validation_topics=["topic2"]))
    sample = blind_sample(corpus, splits, train_share=0.25, seed=1)
    held = {a for s in ("validation", "test") for a in splits[s]}
    assert [t for t in corpus.triples if t.article_id in held] == [t for t in sample if t.article_id in held]
    train = [t for t in corpus.triples if t.article_id not in held]
    drawn = [t for t in sample if t.article_id not in held]
    assert 0.2 * len(train) <= len(drawn) <= 0.3 * len(train)
    assert {"contrast", "(untagged)"} <= {t.tags[0] if t.tags else "(untagged)" for t in drawn}
    assert sample == blind_sample(corpus, splits, train_share=0.25, seed=1)


def test_build_writes_parquet_beside_the_datasetdict(tmp_path):
    import pyarrow.parquet as pq

    from stanceml.data.dataset import load_splits

    root = write_corpus(tmp_path / "d", n_articles=12, topics=4)
    cfg = DataConfig(articles_dir=str(root / "articles"), annotations_dir=str(root / "annotations"),
                     output_dir=str(tmp_path / "out"), card_path=None,
                     split=SplitConfig(test_topics=["topic3"], validation_topics=["topic2"], leak_check="off"))  # fmt: skip
    build_dataset(cfg)
    dd = load_splits(tmp_path / "out")
    for split in ("train", "validation", "test"):
        table = pq.read_table(tmp_path / "out" / "parquet" / f"{split}.parquet")
        assert table.num_rows == len(dd[split]) and table.column("sentence").to_pylist() == dd[split]["sentence"]
