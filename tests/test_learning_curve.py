"""The learning curve: whole-article subsets, validation only, a table and a plot."""

from __future__ import annotations

import pytest
from conftest import compose, tmp_overrides
from omegaconf import OmegaConf

from stanceml.evaluation.learning_curve import article_subset, learning_curve


def test_article_subsets_are_seeded_nested_shares():
    ids = [f"a{i:02d}" for i in range(20)]
    half = article_subset(ids, 0.5, seed=1)
    assert len(half) == 10 and half == article_subset(ids, 0.5, seed=1) != article_subset(ids, 0.5, seed=2)
    assert article_subset(ids, 1.0, seed=3) == sorted(ids)
    assert len(article_subset(ids, 0.01, seed=1)) == 1
    with pytest.raises(ValueError, match="fractions"):
        article_subset(ids, 1.5, seed=1)


def test_curve_on_the_tiny_model(tiny_run, tmp_path):
    over = tmp_overrides(tiny_run["root"]) + [
        "model=tiny", "fractions=[0.5,1.0]", "seeds=[1]", "trainer.max_steps=20", "trainer.precision=fp32",
        f"run_dir={tmp_path}/runs", f"output={tmp_path}/curve",
    ]  # fmt: skip
    cfg = OmegaConf.to_object(compose("learning_curve", over))
    out = learning_curve(cfg)
    half, full = out["summary"]
    assert half["train_articles"] < full["train_articles"] and half["train_triples"] < full["train_triples"]
    assert all(0 <= p["model_val_macro_f1"] <= 1 and 0 <= p["tfidf_val_macro_f1"] <= 1 for p in out["points"])
    assert (tmp_path / "curve" / "curve.png").stat().st_size > 1000
    assert "| 50% |" in (tmp_path / "curve" / "curve.md").read_text()
