"""Classification metrics from scikit-learn, in the fixed label order."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from stanceml.labels import LABELS


def classification_metrics(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class precision/recall/F1/support and the confusion matrix.

    The confusion matrix has rows = gold, columns = predicted, both in ``LABELS`` order.
    """
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    labels = list(LABELS)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    return {
        "n": len(y_true),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "per_class": {
            label: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
            for i, label in enumerate(labels)
        },
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


def macro_f1(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    """Macro-averaged F1 over the three stances (absent classes count as 0 only if predicted)."""
    from sklearn.metrics import f1_score

    return float(f1_score(y_true, y_pred, labels=list(LABELS), average="macro", zero_division=0))


def ids_to_labels(ids: np.ndarray | Sequence[int]) -> list[str]:
    """Label ids to label strings."""
    return [LABELS[int(i)] for i in ids]
