"""Metrics against hand-computed values; the bootstrap resamples whole articles; calibration."""

from __future__ import annotations

import numpy as np
import pytest

from stanceml.calibration import expected_calibration_error, fit_temperature, softmax
from stanceml.evaluation.metrics import classification_metrics, macro_f1
from stanceml.evaluation.stats import article_resamples, confusion, paired_p_value, scores_from_confusion

GOLD = ["support", "support", "oppose", "neutral", "neutral", "oppose"]
PRED = ["support", "oppose", "oppose", "neutral", "support", "oppose"]


def test_metrics_match_hand_computation():
    # support: tp 1, predicted 2, gold 2 -> P 1/2, R 1/2, F1 1/2
    # oppose:  tp 2, predicted 3, gold 2 -> P 2/3, R 1,   F1 4/5
    # neutral: tp 1, predicted 1, gold 2 -> P 1,   R 1/2, F1 2/3
    m = classification_metrics(GOLD, PRED)
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["per_class"]["support"]["f1"] == pytest.approx(0.5)
    assert m["per_class"]["oppose"]["precision"] == pytest.approx(2 / 3)
    assert m["per_class"]["oppose"]["f1"] == pytest.approx(0.8)
    assert m["per_class"]["neutral"]["recall"] == pytest.approx(0.5)
    assert m["macro_f1"] == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    assert m["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]


def test_fast_confusion_scores_equal_sklearn():
    rng = np.random.default_rng(0)
    for _ in range(20):
        y, p = rng.integers(0, 3, 50), rng.integers(0, 3, 50)
        fast = scores_from_confusion(confusion(y, p))
        names = np.array(["support", "oppose", "neutral"])
        ref = classification_metrics(list(names[y]), list(names[p]))
        assert fast["macro_f1"] == pytest.approx(ref["macro_f1"])
        assert fast["accuracy"] == pytest.approx(ref["accuracy"])


def test_macro_f1_ignores_stances_absent_from_gold():
    # No neutral in gold (as in IBM Claim Stance): average over support and oppose only.
    assert macro_f1(["support", "oppose"], ["support", "neutral"]) == pytest.approx((1.0 + 0.0) / 2)


def test_bootstrap_draws_whole_articles():
    groups = ["a"] * 3 + ["b"] * 5 + ["c"] * 2
    samples = article_resamples(groups, n_boot=200, seed=1)
    sizes = {len(s) for s in samples}
    assert sizes <= {3 * i + 5 * j + 2 * k for i in range(4) for j in range(4) for k in range(4) if i + j + k == 3}
    for s in samples:
        counts = {g: sum(groups[i] == g for i in s) for g in "abc"}
        # each article contributes all of its rows, a whole number of times
        assert counts["a"] % 3 == 0 and counts["b"] % 5 == 0 and counts["c"] % 2 == 0
    again = article_resamples(groups, n_boot=200, seed=1)
    assert all(np.array_equal(x, y) for x, y in zip(samples, again))


def test_paired_p_value():
    better = np.full(99, 0.8)
    worse = np.full(99, 0.6)
    assert paired_p_value(better, worse) == pytest.approx(1 / 100)
    assert paired_p_value(worse, better) == pytest.approx(1.0)


def test_ece_by_hand():
    proba = np.array([[0.9, 0.05, 0.05], [0.9, 0.05, 0.05], [0.6, 0.3, 0.1], [0.6, 0.3, 0.1]])
    y = np.array([0, 1, 0, 0])
    # bin 0.9: conf .9, acc .5 -> .4 gap, weight .5; bin 0.6: conf .6, acc 1 -> .4 gap, weight .5
    assert expected_calibration_error(proba, y) == pytest.approx(0.4)


def test_temperature_softens_an_overconfident_model():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 400)
    logits = rng.normal(0, 1, (400, 3))
    logits[np.arange(400), y] += 1.0
    logits *= 8  # right 60-70% of the time, but nearly always ~100% sure
    t = fit_temperature(logits, y)
    assert t > 2
    before = expected_calibration_error(softmax(logits), y)
    after = expected_calibration_error(softmax(logits / t), y)
    assert after < before / 2
