"""The committed gold corpus: valid, meeting the corpus issue's figures, and its data card
(data/README.md) in step with it."""

from __future__ import annotations

import pytest
from conftest import ROOT, compose
from omegaconf import OmegaConf

from stanceml.data.agreement import agreement_summary
from stanceml.data.card import data_card, render_card
from stanceml.data.corpus import read_corpus
from stanceml.data.dataset import check_split, corpus_hash, split_articles


@pytest.fixture(scope="module")
def gold():
    cfg = OmegaConf.to_object(compose("build", [f"paths.root_dir={ROOT}"])).data
    corpus = read_corpus(cfg.articles_dir, cfg.annotations_dir)
    splits = split_articles(corpus, cfg.split)
    card = data_card(corpus, splits, corpus_hash(corpus), agreement_summary(cfg.agreement_path, corpus))
    card["checks"] = check_split(corpus, splits, cfg.split)
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
