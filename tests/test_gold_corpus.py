"""The committed gold corpus: valid, meeting the corpus issue's figures, and its data card
(data/README.md) in step with it."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, compose
from omegaconf import OmegaConf

from stanceml.data.card import render_card
from stanceml.data.corpus import read_corpus
from stanceml.data.dataset import check_split, corpus_card, split_articles


@pytest.fixture(scope="module")
def gold():
    cfg = OmegaConf.to_object(compose("build", [f"paths.root_dir={ROOT}", "data=gold"])).data
    corpus = read_corpus(cfg.articles_dir, cfg.annotations_dir)
    splits = split_articles(corpus, cfg.split)
    card = corpus_card(corpus, splits, cfg)
    return corpus, card


def test_gold_corpus_figures(gold):
    corpus, card = gold
    assert card["articles"] >= 80 and card["topics"] >= 25 and card["triples"] >= 2500
    assert all(n / card["triples"] >= 0.2 for n in card["stance"].values())
    assert card["targets"] >= 60 and card["contrast_triples"] >= 300
    assert card["actor_with_two_stances_in_a_sentence"] > 0
    assert card["splits"]["test"]["unseen_target_share"] >= 0.3
    assert card["agreement"]["n"] >= 300


def test_data_card_is_up_to_date(gold):
    _, card = gold
    committed = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert committed == render_card(card), "data/README.md is stale: run scripts/build_dataset.py"


@pytest.fixture(scope="module")
def v2():
    cfg = OmegaConf.to_object(compose("build", [f"paths.root_dir={ROOT}", "data=v2"])).data
    corpus = read_corpus(cfg.articles_dir, cfg.annotations_dir, cfg.extra_sources)
    return cfg, corpus, split_articles(corpus, cfg.split)


def test_corpus_v2_is_valid_split_by_topic_and_frozen(v2):
    cfg, corpus, splits = v2
    checks = check_split(corpus, splits, cfg.split)  # raises on a moved test split or a leak
    assert checks["test_hash_frozen"] and checks["train_test_leaks"] == 0
    topics = {name: {corpus.articles[a].topic for a in ids} for name, ids in splits.items()}
    assert not topics["train"] & topics["test"] and not topics["train"] & topics["validation"]
    assert len(topics["test"]) >= 12 and len(topics["validation"]) >= 8
    test_ids = set(splits["test"])
    assert sum(t.article_id in test_ids for t in corpus.triples) >= 1500


def test_corpus_v2_card_is_up_to_date(v2):
    cfg, corpus, splits = v2
    card = corpus_card(corpus, splits, cfg)
    committed = (ROOT / "data" / "v2" / "README.md").read_text(encoding="utf-8")
    assert committed == render_card(card), "data/v2/README.md is stale: run scripts/build_dataset.py data=v2"


def test_corpus_v2_meets_the_size_and_agreement_minimums(v2):
    """The minimums of the corpus-v2 issue that this corpus meets (the data card lists the rest)."""
    cfg, corpus, splits = v2
    card = corpus_card(corpus, splits, cfg)
    assert card["articles"] >= 300 and card["triples"] >= 12_000 and card["topics"] >= 60
    assert all(0.25 <= n / card["triples"] <= 0.45 for n in card["stance"].values())
    assert card["shape"]["sentences_without_triple_share"] >= 0.2
    words = card["shape"]["words_per_article"]
    assert words["min"] <= 200 and words["max"] >= 1200
    agree = card["agreement"]
    assert agree["kappa"] >= 0.85
    train_ids = set(splits["train"])
    n_train = sum(t.article_id in train_ids for t in corpus.triples)
    doubled_train = sum(r["split_sample"] == "train" for r in _agreement_rows(cfg.agreement_path))
    assert doubled_train >= 0.2 * n_train
    held = set(splits["validation"]) | set(splits["test"])
    assert agree["n"] - doubled_train >= sum(t.article_id in held for t in corpus.triples)


def _agreement_rows(path):
    import json

    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
