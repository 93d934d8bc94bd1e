"""Train only the top of a BERT encoder, on bottom-layer outputs computed once per run.

With the word embeddings and the bottom ``k`` encoder layers frozen, their output for a
training example is the same in every epoch (the inputs do not change), so it is computed
once, before training, and the Trainer then runs only layers ``k..L-1``, the pooler and the
head, forward and backward. On a 6-layer MiniLM with ``k = 3`` an epoch costs about half of
a full one, and with no embedding gradients AdamW's dense update of the 11.7M-row embedding
matrix is gone too. The parameters are the model's own (:class:`CachedTop` holds references,
not copies), so after training the whole model is saved and served as usual.

What changes besides speed: the bottom layers run without dropout (their outputs are cached
in eval mode). Whether that costs quality is measured by ``scripts/bench_train.py --full``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from transformers.masking_utils import create_bidirectional_mask
from transformers.modeling_outputs import SequenceClassifierOutput


def _bert(model: Any) -> Any:
    """The BERT body of a sequence classifier, or a clear error for other architectures."""
    body = getattr(model, "bert", None)
    if body is None or not hasattr(body, "encoder") or not hasattr(model, "classifier"):
        raise ValueError(
            f"trainer.cache_layers needs a BERT-family classifier (model.bert.encoder); got {type(model).__name__}"
        )
    return body


def check_cache_layers(model: Any, k: int) -> None:
    """Fail early on a ``k`` that leaves nothing to train or is out of range."""
    layers = len(_bert(model).encoder.layer)
    if not 0 < k < layers:
        raise ValueError(f"trainer.cache_layers must be between 1 and {layers - 1} for this model, got {k}")


def freeze_bottom(model: Any, k: int) -> int:
    """Fix the embeddings and the bottom ``k`` layers; returns how many parameters were frozen."""
    check_cache_layers(model, k)
    bert = _bert(model)
    frozen = 0
    for module in [bert.embeddings, *bert.encoder.layer[:k]]:
        for p in module.parameters():
            p.requires_grad_(False)
            frozen += p.numel()
    return frozen


class CachedTop(nn.Module):
    """Layers ``k..`` of a BERT classifier, the pooler and the head, fed cached hidden states.

    ``forward(hidden_states, attention_mask, labels)`` gives the same logits as the whole
    model given the tokens (in eval mode), which the tests check.
    """

    def __init__(self, model: Any, k: int):
        super().__init__()
        check_cache_layers(model, k)
        self.model = model
        self.k = k

    def forward(
        self,
        hidden_states: torch.Tensor,
        attention_mask: torch.Tensor,
        labels: torch.Tensor | None = None,
        **_: Any,
    ) -> SequenceClassifierOutput:
        """Logits (and the cross-entropy loss when ``labels`` are given) for a padded batch."""
        bert = _bert(self.model)
        mask = create_bidirectional_mask(config=bert.config, inputs_embeds=hidden_states, attention_mask=attention_mask)
        for layer in bert.encoder.layer[self.k :]:
            hidden_states = layer(hidden_states, mask)
        pooled = bert.pooler(hidden_states) if bert.pooler is not None else hidden_states[:, 0]
        logits = self.model.classifier(self.model.dropout(pooled))
        loss = F.cross_entropy(logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)


@torch.no_grad()
def bottom_outputs(model: Any, k: int, encoded: Any, batch_size: int = 64) -> list[torch.Tensor]:
    """Hidden states after layer ``k`` for every row of a tokenized split, unpadded, fp32.

    Rows are run in length order (little padding) and returned in the split's order.
    """
    bert = _bert(model)
    was_training = model.training
    model.eval()
    ids = encoded["input_ids"]
    types = encoded["token_type_ids"] if "token_type_ids" in encoded.column_names else None
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out: list[torch.Tensor | None] = [None] * len(ids)
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        width = max(len(ids[i]) for i in rows)
        input_ids = torch.zeros(len(rows), width, dtype=torch.long)
        token_types = torch.zeros_like(input_ids)
        attention = torch.zeros_like(input_ids)
        for j, i in enumerate(rows):
            n = len(ids[i])
            input_ids[j, :n] = torch.tensor(ids[i])
            attention[j, :n] = 1
            if types is not None:
                token_types[j, :n] = torch.tensor(types[i])
        hidden = bert.embeddings(input_ids=input_ids, token_type_ids=token_types)
        mask = create_bidirectional_mask(config=bert.config, inputs_embeds=hidden, attention_mask=attention)
        for layer in bert.encoder.layer[:k]:
            hidden = layer(hidden, mask)
        for j, i in enumerate(rows):
            out[i] = hidden[j, : len(ids[i])].float().clone()
    model.train(was_training)
    return [t for t in out if t is not None]


class CachedSplit(torch.utils.data.Dataset):
    """A split as cached hidden states: items ``{hidden_states, input_ids, labels}``.

    ``input_ids`` stays in each item only so the Trainer's length-grouped sampler sees the
    real token counts (the model ignores it).
    """

    def __init__(self, hidden: Sequence[torch.Tensor], input_ids: Sequence[Sequence[int]], labels: Sequence[int]):
        if not len(hidden) == len(input_ids) == len(labels):
            raise ValueError("cached split: hidden states, input ids and labels differ in length")
        self.hidden = list(hidden)
        self.input_ids = list(input_ids)
        self.labels = list(labels)

    def __len__(self) -> int:
        return len(self.hidden)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"hidden_states": self.hidden[i], "input_ids": self.input_ids[i], "labels": self.labels[i]}


def cache_split(model: Any, k: int, encoded: Any, batch_size: int = 64) -> CachedSplit:
    """Run the frozen bottom of ``model`` once over a tokenized split."""
    return CachedSplit(bottom_outputs(model, k, encoded, batch_size), encoded["input_ids"], encoded["labels"])


@dataclass
class CachedCollator:
    """Pads cached hidden states to the longest row of the batch, with its attention mask."""

    def __call__(self, items: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        """One padded batch."""
        width = max(item["hidden_states"].shape[0] for item in items)
        dim = items[0]["hidden_states"].shape[1]
        hidden = torch.zeros(len(items), width, dim)
        mask = torch.zeros(len(items), width, dtype=torch.long)
        for j, item in enumerate(items):
            n = item["hidden_states"].shape[0]
            hidden[j, :n] = item["hidden_states"]
            mask[j, :n] = 1
        labels = torch.tensor([item["labels"] for item in items], dtype=torch.long)
        return {"hidden_states": hidden, "attention_mask": mask, "labels": labels}
