"""What the model reads: a (sentence, actor, target) triple turned into a text pair.

The sentence goes first with the actor's mention marked, so that two actors in one sentence
give two different inputs; the actor and target go second, as the pair a tokenizer encodes
like ``sentence1``/``sentence2`` in GLUE tasks. The template is saved with each model
(``stanceml.json``) and read back at load, so training and serving cannot drift apart.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stanceml.records import StanceInput

#: Default template; the markers are plain characters every BERT vocabulary knows. A template
#: may add ``target_open``/``target_close`` to mark the target where the sentence names it too
#: (an ablation row of docs/ablation.md); without them the target is only in the text pair.
DEFAULT_TEMPLATE: dict[str, str] = {
    "mark_open": "[[",
    "mark_close": "]]",
    "text_pair": "{actor} ; {target}",
}

_ARTICLE = re.compile(r"^(the|a|an)\s+", re.IGNORECASE)


def clean_text(text: str) -> str:
    """Replace control characters (other than ordinary spaces) by spaces and trim.

    Why: stray control bytes from scraped pages otherwise reach the tokenizer, which drops
    some and keeps others, so the same sentence could encode differently.
    """
    return _clean_keep_space(text).strip()


def _clean_keep_space(text: str) -> str:
    if text.isprintable():  # no Cc/Cf characters at all: the common case, 20x faster than the loop
        return text
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text)


@dataclass(frozen=True)
class Encoded:
    """The text pair for one input, and whether the actor was found in the sentence."""

    text: str
    text_pair: str
    actor_found: bool = True
    notes: tuple[str, ...] = field(default=())


def find_mention(sentence: str, actor: str) -> int:
    """Start of the actor's first mention: a whole-word exact match, then a plain exact
    match, then a case-insensitive one; -1 when absent.

    Why whole words first: "Austria" must not mark the "Austria" inside "Austrian officials".
    """
    if not actor:
        return -1
    match = re.search(rf"(?<!\w){re.escape(actor)}(?!\w)", sentence)
    if match:
        return match.start()
    start = sentence.find(actor)
    return start if start >= 0 else sentence.lower().find(actor.lower())


def find_target(sentence: str, target: str, actor_span: tuple[int, int] | None = None) -> tuple[int, int] | None:
    """Span of the target's first whole-word, case-insensitive mention in ``sentence`` that
    does not overlap the actor's span; a leading "the"/"a"/"an" of the target is optional
    ("the rate cap" is found in "... against a rate cap ..."). None when absent.
    """
    core = _ARTICLE.sub("", target.strip())
    if not core:
        return None
    for pattern in (re.escape(target.strip()), re.escape(core)):
        for match in re.finditer(rf"(?<!\w){pattern}(?!\w)", sentence, re.IGNORECASE):
            if actor_span is None or match.end() <= actor_span[0] or match.start() >= actor_span[1]:
                return match.start(), match.end()
    return None


def _wrap(sentence: str, spans: list[tuple[int, int, str, str]]) -> str:
    """Insert ``open``/``close`` markers around each (start, end, open, close) span; spans
    must not overlap. Inserted right to left so earlier offsets stay valid."""
    for start, end, open_, close in sorted(spans, reverse=True):
        sentence = f"{sentence[:start]}{open_} {sentence[start:end]} {close}{sentence[end:]}"
    return sentence


#: Characters per token we allow before cropping: generous, so that a sentence that fits in
#: ``max_length`` tokens is never cropped.
CHARS_PER_TOKEN = 6


def format_pair(item: StanceInput, template: Mapping[str, str] | None = None, max_chars: int | None = None) -> Encoded:
    """Build the (text, text_pair) the model reads for ``item``.

    The span ``item.span`` if given, else the first occurrence of the actor in the sentence,
    is wrapped in the markers; the actor is matched as a whole word first, then exactly, then
    case-insensitively. With ``target_open``/``target_close`` in the template the target's
    first mention is wrapped too (:func:`find_target`). An actor absent from the sentence is still encoded (unmarked) and
    flagged with ``actor_found=False``.

    A sentence longer than ``max_chars`` is cropped to a window of that many characters with
    the mention in its first third, so truncation never cuts the actor away; the result
    carries a note saying so.
    """
    t = {**DEFAULT_TEMPLATE, **(template or {})}
    actor, target = clean_text(item.actor), clean_text(item.target)
    if item.span is not None:
        # Replace control characters one for one (no trimming) so the span stays valid.
        sentence = _clean_keep_space(item.sentence)
        start, end = item.span
    else:
        sentence = clean_text(item.sentence)
        start = find_mention(sentence, actor)
        end = start + len(actor)
    found = start >= 0
    notes: tuple[str, ...] = ()
    if max_chars and len(sentence) > max_chars:
        lo = max(0, min(start if found else 0, len(sentence)) - max_chars // 3)
        hi = min(len(sentence), lo + max_chars)
        notes = (f"sentence of {len(sentence)} characters cropped to characters {lo}-{hi} around the actor",)
        sentence, start, end = sentence[lo:hi], start - lo, end - lo
    spans = [(start, end, t["mark_open"], t["mark_close"])] if found else []
    if t.get("target_open") and t.get("target_close"):
        hit = find_target(sentence, target, (start, end) if found else None)
        if hit:
            spans.append((*hit, t["target_open"], t["target_close"]))
    sentence = _wrap(sentence, spans)
    return Encoded(
        text=sentence,
        text_pair=t["text_pair"].format(actor=actor, target=target),
        actor_found=found,
        notes=notes,
    )


def tokenize_inputs(
    tokenizer: Any, items: Sequence[StanceInput], template: Mapping[str, str] | None, max_length: int, **kwargs: Any
) -> tuple[Any, list[Encoded]]:
    """Format and tokenize a batch of inputs in one tokenizer call.

    Returns the tokenizer's ``BatchEncoding`` and the :class:`Encoded` pairs (for flags).
    """
    pairs = [format_pair(item, template, max_chars=max_length * CHARS_PER_TOKEN) for item in items]
    batch = tokenizer(
        [p.text for p in pairs],
        [p.text_pair for p in pairs],
        truncation="longest_first",
        max_length=max_length,
        **kwargs,
    )
    return batch, pairs
