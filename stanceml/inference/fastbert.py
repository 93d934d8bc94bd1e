"""A lean inference forward for BERT sequence classifiers, with the same weights and maths.

``transformers``' BERT forward is written for training and for every variant of the
architecture. For CPU inference of one fine-tuned classifier, three exact rewrites make it
much faster without changing what it computes:

- **Prepacked weights.** Each linear layer's weight is reordered once, at load, into
  oneDNN's blocked layout (``torch.ops.mkldnn._reorder_linear_weight``, what
  ``torch.compile`` uses on CPU) instead of on every call; GELU runs as the matmul's
  post-op. On our 2-core AMD EPYC this made each matmul 10-50% faster (bit-identical
  output), and fp32 faster than MKL's, which takes a slow path on AMD CPUs.
- **One matmul for Q, K and V**, instead of three.
- **Only [CLS] in the last layer.** The classifier reads the [CLS] vector alone, so the
  last layer computes queries, attention output and feed-forward for that one position
  (keys and values still come from every token). That removes about 14% of the FLOPs.

Only ``BertForSequenceClassification`` with absolute positions and exact GELU is
supported (:func:`supports`); anything else keeps the ``transformers`` forward. Where the
oneDNN ops are missing the layers fall back to ``torch.nn.functional.linear``, with a
warning that says why. Checked on torch 2.13 (the version ``pyproject.toml`` pins).
:func:`fast_forward` checks the result against the ``transformers`` forward before it is
used, so a change in either library falls back instead of giving wrong answers.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

#: The load check accepts fp32 logits within this share of the largest |logit| of the
#: transformers forward (plus 1e-6): fp32 rewrites differ by about 1e-6 of it, while a real
#: mistake (token types or the mask ignored) moves logits by far more.
CHECK_RTOL = 1e-4


def supports_config(config: Mapping) -> bool:
    """True where a model with this ``config.json`` would run the fast forward."""
    return (
        config.get("model_type") == "bert"
        and "BertForSequenceClassification" in (config.get("architectures") or ["BertForSequenceClassification"])
        and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and not config.get("is_decoder", False)
    )


def supports(model) -> bool:
    """True for a BERT sequence classifier this module can run exactly."""
    config = getattr(model, "config", None)
    return bool(
        config is not None
        and type(model).__name__ == "BertForSequenceClassification"
        and supports_config(
            {**config.to_dict(), "architectures": [type(model).__name__]}
        )  # a model not yet saved says BertModel
        and getattr(model.bert, "pooler", None) is not None
    )


def mkldnn_status(dtype: Any) -> tuple[bool, str]:
    """Whether oneDNN's prepacked linear (private ops ``torch.ops.mkldnn._reorder_linear_weight``
    and ``_linear_pointwise``) runs here for ``dtype`` and matches ``F.linear``, and why not.

    These ops are what ``torch.compile`` itself uses on CPU, but they are private: a torch
    release may rename them. The result is checked on every load, and
    ``tests/test_fastbert.py`` fails if the ops disappear from the pinned torch.
    """
    import torch
    import torch.nn.functional as F

    if not torch.backends.mkldnn.is_available():
        return False, "torch was built without oneDNN (mkldnn)"
    try:
        gen = torch.Generator().manual_seed(0)
        x = torch.randn(3, 5, 16, generator=gen).to(dtype)
        w, b = torch.randn(8, 16, generator=gen).to(dtype), torch.randn(8, generator=gen).to(dtype)
        packed = torch.ops.mkldnn._reorder_linear_weight(w, None)
        got = torch.ops.mkldnn._linear_pointwise(x, packed, b, "gelu", [], "none")
        want = F.gelu(F.linear(x, w, b))
    except Exception as err:  # noqa: BLE001 - any failure means "use the plain path", said aloud
        return False, f"oneDNN prepacked linear failed on torch {torch.__version__}: {err!r}"[:300]
    if not torch.allclose(got.float(), want.float(), atol=5e-2 if dtype != torch.float32 else 1e-4):
        return False, f"oneDNN prepacked linear disagrees with F.linear on torch {torch.__version__}"
    return True, "ok"


def prepack_linear(weight: Any) -> Any:
    """A weight reordered into oneDNN's blocked layout (for :func:`packed_linear`)."""
    import torch

    return torch.ops.mkldnn._reorder_linear_weight(weight, None)


def packed_linear(x: Any, packed: Any, bias: Any, gelu: bool = False) -> Any:
    """``x @ W.T + b`` (then GELU) with a weight from :func:`prepack_linear`."""
    import torch

    return torch.ops.mkldnn._linear_pointwise(x, packed, bias, "gelu" if gelu else "none", [], "none" if gelu else "")


class _Linear:
    """A linear layer with its weight prepacked for oneDNN, or plain F.linear."""

    def __init__(self, weight: Any, bias: Any, dtype: Any, packed: bool):
        self.packed = packed
        self.bias = bias.detach().to(dtype).contiguous()
        w = weight.detach().to(dtype).contiguous()
        self.weight = prepack_linear(w) if packed else w

    def __call__(self, x: Any, gelu: bool = False) -> Any:
        import torch.nn.functional as F

        if self.packed:
            return packed_linear(x, self.weight, self.bias, gelu)
        y = F.linear(x, self.weight, self.bias)
        return F.gelu(y) if gelu else y


class FastBertClassifier:
    """Logits of a ``BertForSequenceClassification``, computed with the rewrites above.

    Holds the weights in ``dtype`` (fp32 or bf16): matmul weights prepacked, the rest as
    tensors that may share storage with the model in fp32. The model passed in is left as it
    was.
    """

    def __init__(self, model: Any, dtype: Any = None, packed: bool | None = None):
        import torch

        if not supports(model):
            raise ValueError(f"{type(model).__name__} is not a BERT sequence classifier this forward supports")
        dtype = dtype or torch.float32
        self.dtype = dtype
        if packed is None:
            packed, why = mkldnn_status(dtype)
            if not packed:
                log.warning("fast BERT forward: %s; using plain F.linear matmuls (slower, same results)", why)
        self.packed = packed
        cfg = model.config
        self.heads = cfg.num_attention_heads
        bert = model.bert
        emb = bert.embeddings
        self.word = emb.word_embeddings.weight.detach().to(dtype)
        self.position = emb.position_embeddings.weight.detach().to(dtype)
        self.token_type = emb.token_type_embeddings.weight.detach().to(dtype)
        self.emb_norm = self._norm(emb.LayerNorm)
        hidden = cfg.hidden_size

        def lin(weight, bias):
            return _Linear(weight, bias, dtype, self.packed)

        self.layers = []
        last = len(bert.encoder.layer) - 1
        for i, layer in enumerate(bert.encoder.layer):
            att = layer.attention.self
            w_qkv = torch.cat([att.query.weight, att.key.weight, att.value.weight])
            b_qkv = torch.cat([att.query.bias, att.key.bias, att.value.bias])
            if i < last:
                attention = {"qkv": lin(w_qkv, b_qkv)}
            else:  # the last layer needs queries for [CLS] only, keys and values for all
                attention = {"q": lin(w_qkv[:hidden], b_qkv[:hidden]), "kv": lin(w_qkv[hidden:], b_qkv[hidden:])}
            self.layers.append(
                {
                    **attention,
                    "out": lin(layer.attention.output.dense.weight, layer.attention.output.dense.bias),
                    "norm1": self._norm(layer.attention.output.LayerNorm),
                    "up": lin(layer.intermediate.dense.weight, layer.intermediate.dense.bias),
                    "down": lin(layer.output.dense.weight, layer.output.dense.bias),
                    "norm2": self._norm(layer.output.LayerNorm),
                }
            )
        self.pooler = lin(bert.pooler.dense.weight, bert.pooler.dense.bias)
        self.classifier = lin(model.classifier.weight, model.classifier.bias)

    def _norm(self, ln):
        return ln.weight.detach().to(self.dtype), ln.bias.detach().to(self.dtype), ln.eps

    def __call__(self, input_ids, attention_mask, token_type_ids):
        """Float32 logits ``(batch, labels)`` for int64 tensors ``(batch, seq)``."""
        import torch
        import torch.nn.functional as F

        with torch.inference_mode():
            batch, seq = input_ids.shape
            positions = torch.arange(seq)
            x = self.word[input_ids] + self.token_type[token_type_ids] + self.position[positions]
            hidden = x.shape[-1]
            x = F.layer_norm(x, (hidden,), *self.emb_norm)
            heads, head_dim = self.heads, hidden // self.heads
            # No mask at all when nothing is padded (batch of one, or equal lengths): faster kernel.
            mask = None if bool(attention_mask.all()) else attention_mask.bool()[:, None, None, :]
            last = len(self.layers) - 1
            for i, p in enumerate(self.layers):
                if i < last:
                    qkv = p["qkv"](x).view(batch, seq, 3, heads, head_dim).permute(2, 0, 3, 1, 4)
                    q, k, v = qkv[0], qkv[1], qkv[2]
                    residual = x
                else:
                    residual = x[:, :1]
                    q = p["q"](residual).view(batch, 1, heads, head_dim).transpose(1, 2)
                    kv = p["kv"](x).view(batch, seq, 2, heads, head_dim).permute(2, 0, 3, 1, 4)
                    k, v = kv[0], kv[1]
                context = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
                context = context.transpose(1, 2).reshape(batch, -1, hidden)
                a = F.layer_norm(p["out"](context) + residual, (hidden,), *p["norm1"])
                x = F.layer_norm(p["down"](p["up"](a, gelu=True)) + a, (hidden,), *p["norm2"])
            pooled = torch.tanh(self.pooler(x[:, 0]))
            return self.classifier(pooled).float()


def _probe_batch(vocab_size: int, type_vocab_size: int):
    """A small fixed batch with padding, for the load check."""
    import torch

    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(0, vocab_size, (3, 12), generator=gen)
    mask = torch.ones(3, 12, dtype=torch.long)
    mask[1, 8:] = 0
    mask[2, 5:] = 0
    types = torch.zeros(3, 12, dtype=torch.long)
    types[:, 6:] = min(1, type_vocab_size - 1)
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def fast_forward(model, dtype=None) -> FastBertClassifier | None:
    """A :class:`FastBertClassifier` for ``model``, or None where it is unsupported or its
    fp32 logits on a probe batch differ from the transformers forward by more than
    :data:`CHECK_RTOL` of their scale (then the caller keeps the transformers forward)."""
    import torch

    if not supports(model) or next(model.parameters()).dtype != torch.float32:
        return None
    try:
        probe = _probe_batch(model.config.vocab_size, model.config.type_vocab_size)
        with torch.inference_mode():
            want = model.eval()(**probe).logits
        checked = FastBertClassifier(model, torch.float32)
        diff = float((checked(**probe) - want).abs().max())
        if not np.isfinite(diff) or diff > CHECK_RTOL * float(want.abs().max()) + 1e-6:
            log.warning("fast BERT forward differs from transformers by %.2g; using the transformers forward", diff)
            return None
        dtype = dtype or torch.float32
        return checked if dtype == torch.float32 else FastBertClassifier(model, dtype)
    except Exception as err:  # noqa: BLE001 - never fail a load over an optimisation
        log.warning("fast BERT forward unavailable (%s); using the transformers forward", err)
        return None


def as_tensors(batch: Mapping[str, np.ndarray], names) -> dict:
    """Numpy tokenizer output to int64 torch tensors, for the names given."""
    import torch

    return {k: torch.from_numpy(np.asarray(batch[k], dtype=np.int64)) for k in names}
