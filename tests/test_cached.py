"""Training only the top layers on cached bottom-layer outputs (trainer.cache_layers)."""

from __future__ import annotations

import pytest
import torch
from datasets import Dataset
from transformers import BertConfig, BertForSequenceClassification

from stanceml.training.cached import CachedCollator, CachedTop, cache_split, freeze_bottom


def _model(layers: int = 3) -> BertForSequenceClassification:
    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=layers, num_attention_heads=2,
                        intermediate_size=32, num_labels=3)  # fmt: skip
    return BertForSequenceClassification(config).eval()


def _split() -> Dataset:
    ids = [[1, 5, 7, 9, 2], [1, 4, 2], [1, 8, 8, 3, 6, 11, 12, 2], [1, 13, 2, 14, 2]]
    types = [[0] * len(r) for r in ids]
    types[3] = [0, 0, 0, 1, 1]
    return Dataset.from_dict({"input_ids": ids, "token_type_ids": types, "labels": [0, 1, 2, 1]})


@pytest.mark.parametrize("k", [1, 2])
def test_top_on_cached_states_gives_the_whole_models_logits(k):
    model, split = _model(), _split()
    cached = cache_split(model, k, split, batch_size=3)  # batches of mixed lengths: padding must not leak
    batch = CachedCollator()([cached[i] for i in range(len(cached))])
    top = CachedTop(model, k).eval()
    with torch.no_grad():
        got = top(**batch).logits
        for i, row in enumerate(split):
            ids = torch.tensor([row["input_ids"]])
            want = model(input_ids=ids, token_type_ids=torch.tensor([row["token_type_ids"]])).logits
            assert torch.allclose(got[i], want[0], atol=1e-5), (k, i)
    assert [c.shape[0] for c in cached.hidden] == [len(r) for r in split["input_ids"]]


def test_loss_reaches_only_the_top_layers():
    model = _model()
    frozen = freeze_bottom(model, 2)
    assert frozen == sum(p.numel() for p in [*model.bert.embeddings.parameters(),
                                             *model.bert.encoder.layer[:2].parameters()])  # fmt: skip
    cached = cache_split(model, 2, _split())
    out = CachedTop(model, 2).train()(**CachedCollator()([cached[i] for i in range(4)]))
    out.loss.backward()
    assert model.bert.encoder.layer[0].attention.self.query.weight.grad is None
    assert model.bert.encoder.layer[2].attention.self.query.weight.grad is not None
    assert model.classifier.weight.grad is not None


@pytest.mark.parametrize("k", [0, 3])
def test_cache_layers_out_of_range_is_refused(k):
    with pytest.raises(ValueError, match="between 1 and 2"):
        CachedTop(_model(), k)


def test_non_bert_model_is_refused():
    with pytest.raises(ValueError, match="BERT-family"):
        freeze_bottom(torch.nn.Linear(2, 2), 1)


def test_training_with_cached_layers_saves_a_whole_model_with_its_bottom_untouched(tiny_run, tmp_path):
    from conftest import compose, tmp_overrides
    from omegaconf import OmegaConf
    from safetensors.torch import load_file
    from transformers import set_seed

    from stanceml.modeling.models import build_model, load_tokenizer
    from stanceml.training.trainer import train

    over = tmp_overrides(tiny_run["root"]) + ["experiment=tiny", "trainer.max_steps=6", "trainer.cache_layers=1",
                                              f"run_dir={tmp_path}/run"]  # fmt: skip
    cfg = OmegaConf.to_object(compose("train", over))
    result = train(cfg)
    set_seed(cfg.trainer.seed)
    start = build_model(cfg.model, vocab_size=len(load_tokenizer(cfg.model.tokenizer)))
    saved = load_file(result.model_dir / "model.safetensors")
    first = "bert.encoder.layer.0.attention.self.query.weight"
    last = "bert.encoder.layer.1.attention.self.query.weight"
    assert torch.equal(saved[first], start.state_dict()[first])
    assert not torch.equal(saved[last], start.state_dict()[last])
    assert result.metrics["cache_layers"] == 1 and result.metrics["run_examples_per_second"] > 0
    assert 0.0 <= result.metrics["validation"]["macro_f1"] <= 1.0
