"""Probabilities from logits, and how far to trust them: softmax, temperature scaling, ECE.

Shared by the export (fits the temperature on validation), the predictor (applies it) and
the evaluation (reports ECE before and after).
"""

from __future__ import annotations

import numpy as np


def expected_calibration_error(proba: np.ndarray, y_true: np.ndarray, n_bins: int = 10) -> float:
    """ECE: the gap between confidence and accuracy, averaged over equal-width bins."""
    if len(y_true) == 0:
        return 0.0
    conf = proba.max(1)
    correct = (proba.argmax(1) == y_true).astype(float)
    bins = np.minimum((conf * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        mask = bins == b
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - conf[mask].mean())
    return float(ece)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, numerically stable."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(logits: np.ndarray, y_true: np.ndarray) -> float:
    """The temperature T minimising the negative log-likelihood of softmax(logits / T).

    A bounded one-dimensional search with SciPy (a dependency of scikit-learn); T > 1
    softens over-confident models.
    """
    from scipy.optimize import minimize_scalar

    if len(y_true) == 0:
        return 1.0

    def nll(log_t: float) -> float:
        p = softmax(logits / np.exp(log_t))
        return float(-np.log(p[np.arange(len(y_true)), y_true] + 1e-12).mean())

    res = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(res.x))
