"""Scoring systems on the same rows: metrics, article-bootstrap intervals, paired p-values,
breakdowns by tag, seen/unseen target and topic, and the error list."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from stanceml.evaluation.metrics import classification_metrics
from stanceml.evaluation.stats import (
    article_resamples,
    bootstrap_metrics,
    confusion,
    interval,
    paired_p_value,
    scores_from_confusion,
)
from stanceml.labels import LABEL2ID, LABELS
from stanceml.text.targets import normalize_target

Rows = list[dict[str, Any]]
N_BOOT = 1000


def _macro_f1_on(y: np.ndarray, pred: np.ndarray) -> float:
    return float(scores_from_confusion(confusion(y, pred))["macro_f1"])  # type: ignore[arg-type]


def breakdowns(rows: Rows, y: np.ndarray, preds: dict[str, np.ndarray], train_targets: set[str] | None) -> dict:
    """Macro-F1 per tag, per seen/unseen target, per target type and per topic, with the row
    count of each slice. Target type: "entity" (a person, organisation or country, annotated
    with the ``entity_target`` tag) or "issue" (a proposal, policy or event: every other row).
    """
    slices: dict[str, dict[str, list[int]]] = {
        "tag": defaultdict(list),
        "target": defaultdict(list),
        "target_type": defaultdict(list),
        "topic": defaultdict(list),
    }
    for i, r in enumerate(rows):
        for tag in r.get("tags") or ["(untagged)"]:
            slices["tag"][tag].append(i)
        slices["target_type"]["entity" if "entity_target" in (r.get("tags") or []) else "issue"].append(i)
        if train_targets is not None:
            slices["target"]["seen" if normalize_target(r["target"]) in train_targets else "unseen"].append(i)
        if r.get("topic"):
            slices["topic"][r["topic"]].append(i)
    out: dict[str, dict] = {}
    for kind, groups in slices.items():
        out[kind] = {
            name: {"n": len(idx), **{s: round(_macro_f1_on(y[idx], p[idx]), 4) for s, p in preds.items()}}
            for name, idx in sorted(groups.items())
        }
    return out


def score(
    rows: Rows,
    probas: dict[str, np.ndarray],
    train_targets: set[str] | None = None,
    n_boot: int = N_BOOT,
    seed: int = 0,
    reference: str = "model",
) -> dict[str, Any]:
    """Metrics, article-bootstrap 95% intervals, paired p-values and breakdowns for each system."""
    y = np.array([LABEL2ID[r["stance"]] for r in rows])
    preds = {name: p.argmax(1) for name, p in probas.items()}
    samples = article_resamples([r["article_id"] for r in rows], n_boot, seed)
    boot = bootstrap_metrics(y, preds, samples)
    systems: dict[str, Any] = {}
    for name, pred in preds.items():
        m = classification_metrics([LABELS[i] for i in y], [LABELS[i] for i in pred])
        m["ci95"] = {
            "accuracy": interval(boot[name]["accuracy"]),
            "macro_f1": interval(boot[name]["macro_f1"]),
            "f1": dict(zip(LABELS, zip(*interval(boot[name]["f1"])))),
        }
        if name != reference and reference in preds:
            m["p_value_vs_" + reference] = paired_p_value(boot[reference]["macro_f1"], boot[name]["macro_f1"])
        systems[name] = m
    return {
        "n": len(rows),
        "articles": len({r["article_id"] for r in rows}),
        "bootstrap": {"resamples": n_boot, "unit": "article", "seed": seed},
        "systems": systems,
        "breakdown": breakdowns(rows, y, preds, train_targets),
    }


def error_rows(rows: Rows, probas: dict[str, np.ndarray], system: str = "model") -> list[dict[str, Any]]:
    """Every row the system got wrong, with its probabilities and the other systems' labels."""
    out: list[dict[str, Any]] = []
    for i, r in enumerate(rows):
        p = probas[system][i]
        pred = LABELS[int(p.argmax())]
        if pred != r["stance"]:
            out.append(
                {
                    **{k: r[k] for k in ("article_id", "sentence", "actor", "target", "stance") if k in r},
                    "tags": list(r.get("tags") or []),
                    "predicted": pred,
                    "probs": {label: round(float(v), 4) for label, v in zip(LABELS, p)},
                    "others": {name: LABELS[int(q[i].argmax())] for name, q in probas.items() if name != system},
                }
            )
    return out
