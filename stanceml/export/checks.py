"""Score every backend of an export against the transformers fp32 forward.

Only backends that keep accuracy are marked ``ok`` and may be picked by ``backend="auto"``.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stanceml.artifact import ONNX_DIR, ONNX_FILES
from stanceml.data.articles import read_articles
from stanceml.evaluation.metrics import macro_f1
from stanceml.inference.backends import OnnxBackend, TorchBackend
from stanceml.inference.predictor import StancePredictor
from stanceml.labels import LABELS
from stanceml.records import StanceInput
from stanceml.text.actors import Gazetteer
from stanceml.text.sentences import split_sentences

#: A backend is "ok" for auto-selection when it agrees with torch fp32 on at least this
#: share of validation predictions and its macro-F1 is within this distance.
MIN_AGREEMENT = 0.99
MAX_F1_DELTA = 0.005


def check_backends(
    folder: str | Path,
    model: Any,
    tokenizer: Any,
    template: dict[str, str],
    max_length: int,
    items: Sequence[StanceInput],
    gold: Sequence[int],
) -> dict[str, dict[str, Any]]:
    """Score each backend on ``items`` against the transformers fp32 forward: agreement and
    macro-F1 change; ``ok`` marks those within :data:`MIN_AGREEMENT` and :data:`MAX_F1_DELTA`.

    ``gold`` labels the first ``len(gold)`` items (F1 is computed on those); any items after
    them are unlabelled (e.g. :func:`candidate_inputs`) and count for agreement only.
    """

    def logits_of(runner: Any) -> np.ndarray:
        return StancePredictor(None, tokenizer, LABELS, template, max_length, backend=runner).logits(items)

    # The reference is the plain transformers forward in fp32; every backend, our own fast
    # torch forward included, is scored against it.
    ref = logits_of(TorchBackend(model, "fp32", fast=False)).argmax(1)
    torch_runners = {"torch-fp32": TorchBackend(model, "fp32")}
    preds = {"torch-fp32": logits_of(torch_runners["torch-fp32"]).argmax(1)}
    for precision in ONNX_FILES:
        if (Path(folder) / ONNX_DIR / ONNX_FILES[precision]).exists():
            preds[f"onnx-{precision}"] = logits_of(OnnxBackend(folder, precision)).argmax(1)
    # Without the fast forward, TorchBackend converts the model to bf16 in place: use a copy.
    torch_runners["torch-bf16"] = TorchBackend(copy.deepcopy(model), "bf16")
    preds["torch-bf16"] = logits_of(torch_runners["torch-bf16"]).argmax(1)
    gold_labels = [LABELS[i] for i in gold]
    n_gold = len(gold_labels)
    ref_f1 = macro_f1(gold_labels, [LABELS[i] for i in ref[:n_gold]])
    report: dict[str, dict[str, Any]] = {}
    for key, pred in preds.items():
        f1 = macro_f1(gold_labels, [LABELS[i] for i in pred[:n_gold]])
        agreement = float(np.mean(pred == ref)) if len(ref) else 1.0
        report[key] = {
            "n": len(ref),
            "agreement_with_fp32": round(agreement, 4),
            "macro_f1": round(f1, 4),
            "macro_f1_delta": round(f1 - ref_f1, 4),
            "ok": bool(agreement >= MIN_AGREEMENT and abs(f1 - ref_f1) <= MAX_F1_DELTA),
        }
        if key in torch_runners:  # which torch forward was checked (stanceml.fastbert or transformers)
            report[key]["forward"] = "fast" if torch_runners[key].fast is not None else "transformers"
    return report


def candidate_inputs(
    articles_dir: str | Path, rows: Sequence[dict[str, Any]], gazetteer: Gazetteer | None = None
) -> list[StanceInput]:
    """Unlabelled questions from the articles of ``rows``: every sentence x every gazetteer
    actor mention in it x every target annotated in that article, minus the labelled ones.

    Why: the labelled splits are a few hundred triples; agreement between backends needs no
    label, and these are the questions :func:`stanceml.analysis.analyze.analyze_text` asks.
    """
    gaz = gazetteer or Gazetteer.default()
    targets: dict[str, set[str]] = {}
    for r in rows:
        targets.setdefault(r["article_id"], set()).add(r["target"])
    labelled = {(r["sentence"], r["actor"], r["target"]) for r in rows}
    out = []
    for path in sorted(Path(articles_dir).glob("*.md")):
        for article in read_articles(path):
            for sentence in split_sentences(article.text) if article.article_id in targets else []:
                for m in gaz.find_mentions(sentence.text):
                    out += [
                        StanceInput(sentence.text, m.text, t, span=(m.start, m.end))
                        for t in sorted(targets[article.article_id])
                        if (sentence.text, m.text, t) not in labelled
                    ]
    return out
