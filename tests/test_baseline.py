"""The rule baseline: scikit-learn's estimator contract and the hard cases it must get right."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import compose
from omegaconf import OmegaConf

from stanceml.evaluation.baselines import RuleBaseline
from stanceml.records import StanceInput


@pytest.fixture(scope="module")
def baseline() -> RuleBaseline:
    return RuleBaseline.from_config(OmegaConf.to_object(compose("evaluate")).baseline)


CASES = [
    # contrast: two actors, two stances, one sentence
    ("While Hungary blocked the package, Poland pushed for its adoption.", "Hungary", "oppose"),
    ("While Hungary blocked the package, Poland pushed for its adoption.", "Poland", "support"),
    # negation
    ("Germany does not support an invitation at this stage.", "Germany", "oppose"),
    ("Spain did not object to the extension.", "Spain", "neutral"),
    # hedge
    ("Neither the US nor Germany rule out membership when the time is right.", "Germany", "neutral"),
    ("Italy said it was still studying the proposal.", "Italy", "neutral"),
    # plain cases
    ("The Greens voted for the bill.", "The Greens", "support"),
    ("France abstained in the vote.", "France", "neutral"),
    ("The ministers met in Brussels.", "Brussels", "neutral"),
]


@pytest.mark.parametrize("sentence, actor, expected", CASES)
def test_hard_cases(baseline, sentence, actor, expected):
    assert baseline.predict_one(StanceInput(sentence, actor, "the proposal")) == expected


def test_estimator_contract(baseline):
    X = [StanceInput(s, a, "t") for s, a, _ in CASES]
    assert baseline.fit(X, [e for *_, e in CASES]) is baseline
    assert list(baseline.classes_) == ["support", "oppose", "neutral"]
    proba = baseline.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    assert list(baseline.classes_[proba.argmax(1)]) == list(baseline.predict(X))


def test_accepts_dicts_and_missing_actor(baseline):
    assert baseline.predict([{"sentence": "Poland backed it.", "actor": "Poland", "target": "x"}])[0] == "support"
    assert baseline.predict_one({"sentence": "Poland backed it.", "actor": "Chile", "target": "x"}) == "neutral"
