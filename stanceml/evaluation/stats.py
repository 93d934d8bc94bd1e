"""Statistics for honest numbers: article-level bootstrap and paired tests.

Calibration (softmax, temperature, ECE) is in :mod:`stanceml.calibration`.

Metrics inside the bootstrap loop are computed from confusion counts with numpy (thousands
of resamples); ``tests/test_stats.py`` checks them against scikit-learn and by hand.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

N_LABELS = 3


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n: int = N_LABELS) -> np.ndarray:
    """Confusion counts (rows gold, columns predicted) for integer labels."""
    return np.bincount(y_true * n + y_pred, minlength=n * n).reshape(n, n)


def scores_from_confusion(cm: np.ndarray) -> dict[str, float | list[float]]:
    """Accuracy, macro-F1 and per-class F1 from a confusion matrix (0 where undefined).

    Macro-F1 averages over the classes present in the gold labels, as
    :func:`stanceml.metrics.classification_metrics` does.
    """
    tp = np.diag(cm).astype(float)
    pred = cm.sum(0).astype(float)
    gold = cm.sum(1).astype(float)
    denom = pred + gold
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
    total = cm.sum()
    present = gold > 0
    macro = float(f1[present].mean()) if present.any() else 0.0
    return {"accuracy": float(tp.sum() / total) if total else 0.0, "macro_f1": macro, "f1": f1.tolist()}


def article_resamples(groups: Sequence[str], n_boot: int, seed: int) -> list[np.ndarray]:
    """Row indices of ``n_boot`` bootstrap samples that draw whole articles with replacement.

    Sentences of one article are not independent (same writer, topic and actors), so
    resampling rows would make the intervals too narrow.
    """
    rng = np.random.default_rng(seed)
    keys = np.asarray(groups)
    uniq, inverse = np.unique(keys, return_inverse=True)
    members = [np.flatnonzero(inverse == g) for g in range(len(uniq))]
    samples = []
    for _ in range(n_boot):
        chosen = rng.integers(0, len(uniq), size=len(uniq))
        samples.append(np.concatenate([members[g] for g in chosen]))
    return samples


def bootstrap_metrics(
    y_true: np.ndarray, preds: dict[str, np.ndarray], samples: list[np.ndarray]
) -> dict[str, dict[str, np.ndarray]]:
    """For each system, accuracy, macro-F1 and per-class F1 over the same resamples."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for name, y_pred in preds.items():
        acc, mf1, f1 = [], [], []
        for idx in samples:
            s = scores_from_confusion(confusion(y_true[idx], y_pred[idx]))
            acc.append(s["accuracy"])
            mf1.append(s["macro_f1"])
            f1.append(s["f1"])
        out[name] = {"accuracy": np.array(acc), "macro_f1": np.array(mf1), "f1": np.array(f1)}
    return out


def interval(values: np.ndarray, level: float = 0.95) -> list[float]:
    """The percentile interval of bootstrap values."""
    lo, hi = np.percentile(values, [(1 - level) / 2 * 100, (1 + level) / 2 * 100], axis=0)
    return [float(lo), float(hi)] if np.ndim(lo) == 0 else [lo.tolist(), hi.tolist()]


def paired_p_value(a: np.ndarray, b: np.ndarray) -> float:
    """One-sided paired bootstrap p-value that system a is not better than b.

    The share of resamples in which a's score does not exceed b's (Berg-Kirkpatrick et al.,
    2012, in its simple form); with +1 smoothing so it is never exactly 0.
    """
    return float((np.sum(a - b <= 0) + 1) / (len(a) + 1))
