"""Classification metrics from scikit-learn, in the fixed label order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from stanceml.labels import LABELS


def classification_metrics(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class precision/recall/F1/support and the confusion matrix.

    Macro-F1 averages over the stances that occur in the gold labels (all three on the gold
    corpus; support and oppose on a set without neutral, such as IBM Claim Stance). The
    confusion matrix has rows = gold, columns = predicted, both in ``LABELS`` order.
    """
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    labels = list(LABELS)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    present = [i for i in range(len(labels)) if s[i] > 0]
    return {
        "n": len(y_true),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f[present].mean()) if present else 0.0,
        "per_class": {
            label: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
            for i, label in enumerate(labels)
        },
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


def macro_f1(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    """Macro-averaged F1 over the stances that occur in the gold labels."""
    from sklearn.metrics import f1_score

    present = [label for label in LABELS if label in set(y_true)]
    return float(f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0))


def ids_to_labels(ids: np.ndarray | Sequence[int]) -> list[str]:
    """Label ids to label strings."""
    return [LABELS[int(i)] for i in ids]
