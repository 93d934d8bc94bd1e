"""Target relevance: lexical overlap or embedding similarity, the threshold chooser, and
--targets auto."""

from __future__ import annotations

import numpy as np
import pytest

from stanceml.analysis.relevance import (
    DEFAULT_THRESHOLD,
    choose_threshold,
    is_relevant,
    load_encoder,
    propose_targets,
    similarities,
)


def test_lexical_overlap_or_similarity_decides():
    assert is_relevant("The council backed the rent freeze.", "the rent freeze", None)
    assert not is_relevant("The council met on Monday.", "the rent freeze", None)
    assert is_relevant("The council met on Monday.", "the rent freeze", DEFAULT_THRESHOLD + 0.01)
    assert not is_relevant("The council met on Monday.", "the rent freeze", DEFAULT_THRESHOLD - 0.01)
    # the actor's own mention does not make a sentence about the target
    assert not is_relevant("Freeze Inc. met on Monday.", "the rent freeze", None, skip=(0, 10))


def test_choose_threshold_maximises_f_beta_and_returns_the_curve():
    labels = np.array([1, 1, 1, 0, 0, 0, 1, 0])
    lexical = np.array([1, 0, 0, 0, 0, 0, 0, 0])
    sims = np.array([0.9, 0.6, 0.55, 0.5, 0.2, 0.1, 0.58, 0.3])
    t, curve = choose_threshold(labels, lexical, sims, grid=[0.3, 0.52, 0.56, 0.7], beta=1.0)
    assert t == 0.52  # recalls all four positives with no false alarm
    best = next(c for c in curve if c["threshold"] == t)
    assert best["precision"] == 1.0 and best["recall"] == 1.0
    assert curve[-1]["threshold"] == float("inf")  # lexical alone is on the curve too
    assert curve[-1]["recall"] == pytest.approx(0.25)


def test_base_encoder_finds_a_paraphrase_of_the_target():
    encoder = load_encoder()
    sents = ["Limits on rent increases were approved by the council.", "The football season starts in August."]
    sim = similarities(encoder, sents, ["the rent cap"])
    assert sim.shape == (1, 2)
    assert sim[0, 0] > sim[0, 1] + 0.1
    assert sim[0, 0] > 0.3
    assert load_encoder() is encoder  # loaded once


def test_targets_auto_proposes_the_repeated_issue_phrase():
    text = (
        "Lisbon city council voted to adopt the rent freeze on Wednesday. "
        "Landlords said the freeze would empty the market. "
        "Tenants welcomed the freeze, and the mayor held a press conference."
    )
    assert propose_targets(text) == ["the rent freeze"]
    assert propose_targets("") == []
