"""Class decisions (issue 15's lever 5): would a per-class offset on the logits help?

A prior correction adds a bias ``b`` to the logits before the argmax, moving the decision
boundaries without retraining (for example, calling neutral less often). ``b`` is chosen to
maximise macro-F1 on labelled rows; to tell a real gain from fitting noise, the gain is
estimated by cross-fitting: ``b`` is chosen on all topics but one and applied to the held-out
topic, for every topic in turn, and the pooled held-out predictions are scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from stanceml.evaluation.stats import confusion, scores_from_confusion

#: Offsets tried for each class but the first (the first is the reference, fixed at 0).
GRID = np.round(np.arange(-1.5, 1.51, 0.1), 2)


def macro_f1(y: np.ndarray, pred: np.ndarray) -> float:
    """Macro-F1 over the gold classes present (as everywhere in stanceml)."""
    return float(scores_from_confusion(confusion(y, pred))["macro_f1"])  # type: ignore[arg-type]


def fit_class_bias(logits: np.ndarray, y: np.ndarray, grid: np.ndarray = GRID) -> np.ndarray:
    """The offsets (0 for class 0, a grid value for classes 1 and 2) that maximise macro-F1
    of ``argmax(logits + b)``; ties go to the smallest offsets, so no gain means ``b = 0``."""
    best, best_b = macro_f1(y, logits.argmax(1)), np.zeros(3)
    for b1 in sorted(grid, key=abs):
        for b2 in sorted(grid, key=abs):
            b = np.array([0.0, b1, b2])
            f1 = macro_f1(y, (logits + b).argmax(1))
            if f1 > best + 1e-9:
                best, best_b = f1, b
    return best_b


def cross_fitted_gain(logits: np.ndarray, y: np.ndarray, groups: Sequence[str]) -> dict[str, Any]:
    """Macro-F1 without and with a leave-one-group-out fitted bias, and the bias fitted on all."""
    groups_arr = np.asarray(groups)
    pred = logits.argmax(1).copy()
    for g in np.unique(groups_arr):
        held = groups_arr == g
        b = fit_class_bias(logits[~held], y[~held])
        pred[held] = (logits[held] + b).argmax(1)
    return {
        "macro_f1": round(macro_f1(y, logits.argmax(1)), 4),
        "macro_f1_cross_fitted_bias": round(macro_f1(y, pred), 4),
        "bias_on_all": fit_class_bias(logits, y).round(2).tolist(),
        "groups": int(len(np.unique(groups_arr))),
    }


def neutral_rates(y: np.ndarray, pred: np.ndarray, entity: np.ndarray, neutral: int = 2) -> dict[str, dict[str, float]]:
    """Gold and predicted share of neutral, for entity targets and issue targets apart: is
    neutral over- or under-called on entity pairs?"""
    out = {}
    for name, mask in (("entity", entity), ("issue", ~entity)):
        if mask.any():
            out[name] = {
                "n": int(mask.sum()),
                "gold_neutral": round(float((y[mask] == neutral).mean()), 4),
                "predicted_neutral": round(float((pred[mask] == neutral).mean()), 4),
                "macro_f1": round(macro_f1(y[mask], pred[mask]), 4),
            }
    return out
