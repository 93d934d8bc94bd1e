"""The fast BERT forward computes what the transformers forward computes, or steps aside."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification

from stanceml.inference import fastbert
from stanceml.inference.backends import TorchBackend


def tiny_bert(seed: int = 0, **overrides) -> BertForSequenceClassification:
    torch.manual_seed(seed)
    # A wide initialisation gives logits of order 1, as a trained model has, so that the
    # tolerances below are tight relative to them.
    overrides.setdefault("initializer_range", 0.3)
    config = BertConfig(
        vocab_size=120,
        hidden_size=32,
        num_hidden_layers=3,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
        num_labels=3,
        **overrides,
    )
    return BertForSequenceClassification(config).eval()


def batch(seed: int = 1, n: int = 5, seq: int = 17):
    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, 120, (n, seq), generator=gen)
    lengths = torch.randint(3, seq + 1, (n,), generator=gen)
    lengths[0] = seq  # one row unpadded, the rest padded to different lengths
    mask = (torch.arange(seq)[None, :] < lengths[:, None]).long()
    types = (torch.arange(seq)[None, :] >= (lengths[:, None] // 2)).long() * mask
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def reference(model, feed):
    with torch.inference_mode():
        return model(**feed).logits


@pytest.mark.parametrize("packed", [False, True])
def test_fp32_matches_transformers(packed):
    if packed and not fastbert.mkldnn_status(torch.float32)[0]:
        pytest.skip("oneDNN prepacked linear not available here")
    model = tiny_bert()
    feed = batch()
    fast = fastbert.FastBertClassifier(model, torch.float32, packed=packed)
    assert fast.packed is packed
    got, want = fast(**feed), reference(model, feed)
    assert got.dtype == torch.float32 and got.shape == (5, 3)
    assert torch.allclose(got, want, atol=1e-5), (got - want).abs().max()


def test_unpadded_batch_and_batch_of_one_match():
    model = tiny_bert(seed=3)
    fast = fastbert.FastBertClassifier(model, torch.float32)
    feed = batch(seed=4, n=1, seq=9)
    assert bool(feed["attention_mask"].all())  # the no-mask path
    assert torch.allclose(fast(**feed), reference(model, feed), atol=1e-5)


def test_padding_does_not_change_a_row():
    model = tiny_bert()
    fast = fastbert.FastBertClassifier(model, torch.float32)
    feed = batch()
    alone = {k: v[1:2, : int(feed["attention_mask"][1].sum())] for k, v in feed.items()}
    assert torch.allclose(fast(**feed)[1], fast(**alone)[0], atol=1e-5)


def test_bf16_stays_close_to_fp32():
    model = tiny_bert()
    feed = batch(n=16)
    fast = fastbert.FastBertClassifier(model, torch.bfloat16)
    got, want = fast(**feed), reference(model, feed)
    assert got.dtype == torch.float32
    assert want.std() > 0.3  # logits of order 1: the comparisons below mean something
    # No less accurate than transformers' own bf16 forward of the same model.
    import copy

    plain_bf16 = reference(copy.deepcopy(model).to(torch.bfloat16), feed).float()
    assert (got - want).abs().max() <= 2 * (plain_bf16 - want).abs().max() + 1e-3
    assert (got - want).abs().max() < 0.25 * want.std()
    assert (got.argmax(1) == want.argmax(1)).float().mean() >= 0.8
    assert next(model.parameters()).dtype == torch.float32  # the model itself is left in fp32


def test_unsupported_models_keep_the_transformers_forward():
    model = tiny_bert(hidden_act="relu")
    assert not fastbert.supports(model)
    assert fastbert.fast_forward(model) is None
    backend = TorchBackend(model, "fp32")
    assert backend.fast is None
    feed = {k: v.numpy() for k, v in batch().items()}
    assert np.allclose(backend(feed), reference(model, batch()).numpy(), atol=1e-6)


def test_a_forward_that_disagrees_is_not_used(monkeypatch, caplog):
    """A realistic mistake (token types ignored) is caught by the load check."""
    model = tiny_bert()
    assert fastbert.fast_forward(model) is not None
    real_call = fastbert.FastBertClassifier.__call__
    monkeypatch.setattr(
        fastbert.FastBertClassifier,
        "__call__",
        lambda self, **kw: real_call(self, **{**kw, "token_type_ids": torch.zeros_like(kw["input_ids"])}),
    )
    with caplog.at_level(logging.WARNING, logger="stanceml.fastbert"):
        assert fastbert.fast_forward(model) is None
    assert "differs from transformers" in caplog.text
    assert TorchBackend(model, "fp32").fast is None


def test_torch_backend_uses_the_fast_forward_and_matches():
    model = tiny_bert()
    feed = batch()
    np_feed = {k: v.numpy() for k, v in feed.items()}
    fast = TorchBackend(model, "fp32")
    plain = TorchBackend(model, "fp32", fast=False)
    assert fast.fast is not None and plain.fast is None
    assert np.allclose(fast(np_feed), plain(np_feed), atol=1e-5)
    # token_type_ids and attention_mask are optional for callers, as in transformers
    for dropped in ("token_type_ids", "attention_mask"):
        partial = {k: v for k, v in np_feed.items() if k != dropped}
        assert np.allclose(fast(partial), plain(partial), atol=1e-5)


def test_supports_config_matches_supports():
    assert fastbert.supports_config(tiny_bert().config.to_dict())
    assert not fastbert.supports_config(tiny_bert(hidden_act="relu").config.to_dict())
    assert not fastbert.supports_config({"model_type": "distilbert", "hidden_act": "gelu"})


def test_predictor_warmup_runs_every_length(tiny_run):
    from stanceml import StancePredictor

    p = StancePredictor.from_pretrained(tiny_run["export_dir"], backend="torch", precision="fp32")
    seen = []
    real = p.backend

    def spy(batch):
        seen.append(batch["input_ids"].shape)
        return real(batch)

    p.backend = spy
    assert p.warmup(max_length=12) >= 0
    assert seen == [(1, n) for n in range(2, 13)]


def test_auto_uses_onnx_fp32_when_the_fast_forward_steps_aside(tiny_run, monkeypatch, tmp_path):
    import json
    import shutil

    from stanceml import StancePredictor

    export = tmp_path / "m"
    shutil.copytree(tiny_run["export_dir"], export)
    meta = json.loads((export / "stanceml.json").read_text())
    meta["backends"]["onnx-int8"]["ok"], meta["backends"]["onnx-fp32"]["ok"] = False, True
    (export / "stanceml.json").write_text(json.dumps(meta))
    monkeypatch.setattr("stanceml.inference.predictor.cpu_has_native_bf16", lambda: False)
    assert StancePredictor.from_pretrained(export).backend_name == "torch-fp32"
    monkeypatch.setattr("stanceml.inference.backends.fast_forward", lambda model, dtype=None: None)
    p = StancePredictor.from_pretrained(export)
    assert p.backend_name == "onnx-fp32"
    assert p.predict_proba(
        [{"sentence": "Spain backed the tariff.", "actor": "Spain", "target": "the tariff"}]
    ).shape == (1, 3)


def test_private_onednn_ops_exist_on_the_pinned_torch():
    """The fast forward relies on two private oneDNN ops (what torch.compile uses on CPU).
    pyproject.toml pins the torch range they were checked on; this fails if they disappear."""
    if not torch.backends.mkldnn.is_available():
        pytest.skip("this torch build has no oneDNN")
    assert hasattr(torch.ops.mkldnn, "_reorder_linear_weight") and hasattr(torch.ops.mkldnn, "_linear_pointwise")
    ok, why = fastbert.mkldnn_status(torch.float32)
    assert ok, why


def test_stepping_aside_from_onednn_is_said_aloud(monkeypatch, caplog):
    monkeypatch.setattr(fastbert, "mkldnn_status", lambda dtype: (False, "oneDNN missing in this test"))
    with caplog.at_level("WARNING", logger="stanceml.inference.fastbert"):
        fast = fastbert.FastBertClassifier(tiny_bert())
    assert fast.packed is False and "oneDNN missing in this test" in caplog.text
