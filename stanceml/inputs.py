"""What the model reads: a (sentence, actor, target) triple turned into a text pair.

The sentence goes first with the actor's mention marked, so that two actors in one sentence
give two different inputs; the actor and target go second, as the pair a tokenizer encodes
like ``sentence1``/``sentence2`` in GLUE tasks. The template is saved with each model
(``stanceml.json``) and read back at load, so training and serving cannot drift apart.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any, Mapping

#: Default template; the markers are plain characters every BERT vocabulary knows.
DEFAULT_TEMPLATE: dict[str, str] = {
    "mark_open": "[[",
    "mark_close": "]]",
    "text_pair": "{actor} ; {target}",
}


@dataclass(frozen=True)
class StanceInput:
    """One question for the model: where does ``actor`` stand on ``target`` in ``sentence``?"""

    sentence: str
    actor: str
    target: str

    def __post_init__(self) -> None:
        for name in ("sentence", "actor", "target"):
            value = getattr(self, name)
            if not isinstance(value, str):
                raise TypeError(f"StanceInput.{name} must be a str, got {type(value).__name__}")
            if not value.strip():
                raise ValueError(f"StanceInput.{name} is empty")


def clean_text(text: str) -> str:
    """Replace control characters (other than ordinary spaces) by spaces and trim.

    Why: stray control bytes from scraped pages otherwise reach the tokenizer, which drops
    some and keeps others, so the same sentence could encode differently.
    """
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text).strip()


def as_input(item: StanceInput | Mapping[str, Any]) -> StanceInput:
    """Accept a :class:`StanceInput` or a mapping with ``sentence``, ``actor`` and ``target``."""
    if isinstance(item, StanceInput):
        return item
    if not isinstance(item, Mapping):
        raise TypeError(f"expected a StanceInput or a dict, got {type(item).__name__}")
    missing = [k for k in ("sentence", "actor", "target") if k not in item]
    if missing:
        raise KeyError(f"input is missing key(s) {missing}; expected sentence, actor and target")
    return StanceInput(sentence=item["sentence"], actor=item["actor"], target=item["target"])


@dataclass(frozen=True)
class Encoded:
    """The text pair for one input, and whether the actor was found in the sentence."""

    text: str
    text_pair: str
    actor_found: bool = True
    notes: tuple[str, ...] = field(default=())


def format_pair(item: StanceInput, template: Mapping[str, str] | None = None) -> Encoded:
    """Build the (text, text_pair) the model reads for ``item``.

    The first occurrence of the actor in the sentence is wrapped in the markers; matching is
    exact first and case-insensitive second. An actor absent from the sentence is still
    encoded (unmarked) and flagged with ``actor_found=False``.
    """
    t = {**DEFAULT_TEMPLATE, **(template or {})}
    sentence, actor, target = clean_text(item.sentence), clean_text(item.actor), clean_text(item.target)
    start = sentence.find(actor)
    if start < 0:
        start = sentence.lower().find(actor.lower())
    found = start >= 0
    if found:
        end = start + len(actor)
        sentence = f"{sentence[:start]}{t['mark_open']} {sentence[start:end]} {t['mark_close']}{sentence[end:]}"
    return Encoded(
        text=sentence,
        text_pair=t["text_pair"].format(actor=actor, target=target),
        actor_found=found,
    )


def tokenize_inputs(tokenizer, items: list[StanceInput], template: Mapping[str, str] | None, max_length: int, **kwargs):
    """Format and tokenize a batch of inputs in one tokenizer call.

    Returns the tokenizer's ``BatchEncoding`` and the :class:`Encoded` pairs (for flags).
    """
    pairs = [format_pair(item, template) for item in items]
    batch = tokenizer(
        [p.text for p in pairs],
        [p.text_pair for p in pairs],
        truncation="longest_first",
        max_length=max_length,
        **kwargs,
    )
    return batch, pairs
