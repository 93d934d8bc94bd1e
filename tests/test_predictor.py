"""The predictor's contract: reload gives identical outputs, batching changes nothing,
``predict`` agrees with ``predict_proba``, inputs are checked, tampering is caught."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from stanceml import StanceInput, StancePredictor
from stanceml.artifact import ModelLoadError

SENTENCES = [
    ("While Poland backed the tariff on Monday, Hungary blocked the tariff again.", "Hungary", "the tariff"),
    ("While Poland backed the tariff on Monday, Hungary blocked the tariff again.", "Poland", "the tariff"),
    ("Spain is still studying the merger.", "Spain", "the merger"),
    ("the Greens voted for the climate pact.", "the Greens", "the climate pact"),
    ("critics condemned the pension reform.", "critics", "the pension reform"),
    (
        "Acme Steel strongly supports the sanctions package, a long and winding sentence that goes on "
        "and on about many things that are not about the stance at all but still count as tokens.",
        "Acme Steel",
        "the sanctions package",
    ),
]
INPUTS = [StanceInput(*s) for s in SENTENCES]


@pytest.fixture(scope="module")
def predictor(tiny_run):
    # The contract tests pin torch fp32 so they test the same path on every CPU.
    return StancePredictor.from_pretrained(tiny_run["export_dir"], backend="torch", precision="fp32")


def test_predict_equals_argmax_of_predict_proba(predictor):
    proba = predictor.predict_proba(INPUTS)
    assert proba.shape == (len(INPUTS), 3)
    np.testing.assert_allclose(proba.sum(1), 1.0, atol=1e-5)
    preds = predictor.predict(INPUTS)
    assert [p.stance for p in preds] == [predictor.labels[i] for i in proba.argmax(1)]
    for p, row in zip(preds, proba):
        assert list(p.probs) == list(predictor.labels)
        np.testing.assert_allclose(list(p.probs.values()), row, atol=1e-6)


def test_batch_equals_one_at_a_time(predictor):
    batched = predictor.predict_proba(INPUTS)
    single = np.vstack([predictor.predict_proba([x]) for x in INPUTS])
    np.testing.assert_allclose(batched, single, atol=1e-5)
    small = StancePredictor(
        predictor.model,
        predictor.tokenizer,
        predictor.labels,
        predictor.template,
        predictor.max_length,
        batch_size=2,
        meta=predictor.meta,
    )
    np.testing.assert_allclose(small.predict_proba(INPUTS), batched, atol=1e-5)


def test_two_actors_in_one_sentence_get_different_inputs(predictor):
    from stanceml.modeling.inputs import format_pair

    a, b = format_pair(INPUTS[0], predictor.template), format_pair(INPUTS[1], predictor.template)
    assert a.text != b.text and "[[ Hungary ]]" in a.text and "[[ Poland ]]" in b.text


def test_save_reload_gives_identical_predictions(predictor, tmp_path):
    predictor.save_pretrained(tmp_path / "copy")
    again = StancePredictor.from_pretrained(tmp_path / "copy", backend="torch", precision="fp32")
    np.testing.assert_array_equal(again.predict_proba(INPUTS), predictor.predict_proba(INPUTS))
    assert again.labels == predictor.labels
    assert again.template == predictor.template


def test_single_input_and_dicts(predictor):
    one = predictor.predict(INPUTS[0])
    as_dict = predictor.predict({"sentence": SENTENCES[0][0], "actor": "Hungary", "target": "the tariff"})
    assert one.stance == as_dict.stance and one.probs == as_dict.probs
    assert predictor.predict([]) == [] and predictor.predict_proba([]).shape == (0, 3)


@pytest.mark.parametrize(
    "bad, error",
    [
        ({"sentence": "x", "actor": "y"}, KeyError),
        ({"sentence": "", "actor": "y", "target": "z"}, ValueError),
        ({"sentence": 3, "actor": "y", "target": "z"}, TypeError),
        ("just a string", TypeError),
    ],
)
def test_bad_inputs_raise_clear_errors(predictor, bad, error):
    with pytest.raises(error):
        predictor.predict(bad if isinstance(bad, str) else [bad])


def test_actor_not_in_sentence_is_flagged(predictor):
    pred = predictor.predict(StanceInput("Spain is still studying the merger.", "Portugal", "the merger"))
    assert pred.actor_found is False and pred.notes
    assert predictor.predict(INPUTS[2]).actor_found is True


def test_label_map_is_read_from_the_export(tiny_run, tmp_path):
    """The loader names each output column by the export's label map: a head that always
    fires its second unit is read as "oppose", the export's label for id 1."""
    from safetensors.torch import load_file, save_file

    export = tmp_path / "m"
    shutil.copytree(tiny_run["export_dir"], export)
    weights = load_file(export / "model.safetensors")
    weights["classifier.bias"] = torch.tensor([0.0, 50.0, 0.0])
    save_file(weights, export / "model.safetensors", metadata={"format": "pt"})
    meta = json.loads((export / "stanceml.json").read_text())
    meta["checksums"].pop("model.safetensors")  # the weights were changed on purpose
    (export / "stanceml.json").write_text(json.dumps(meta))
    p = StancePredictor.from_pretrained(export, backend="torch", precision="fp32")
    assert p.labels == ("support", "oppose", "neutral")
    assert p.model.config.id2label == {0: "support", 1: "oppose", 2: "neutral"}
    preds = p.predict(INPUTS)
    assert {x.stance for x in preds} == {"oppose"}
    assert np.all(p.predict_proba(INPUTS)[:, 1] > 0.99)


@pytest.mark.parametrize(
    "damage", ["missing_meta", "missing_weights", "label_swap", "meta_label_order", "weights_changed", "not_a_folder"]
)
def test_damaged_exports_fail_clearly(tiny_run, tmp_path, damage):
    export = tmp_path / "m"
    shutil.copytree(tiny_run["export_dir"], export)
    if damage == "missing_meta":
        (export / "stanceml.json").unlink()
    elif damage == "missing_weights":
        (export / "model.safetensors").unlink()
    elif damage == "label_swap":
        config = json.loads((export / "config.json").read_text())
        config["id2label"] = {"0": "oppose", "1": "support", "2": "neutral"}
        (export / "config.json").write_text(json.dumps(config))
    elif damage == "meta_label_order":
        meta = json.loads((export / "stanceml.json").read_text())
        meta["labels"] = ["oppose", "support", "neutral"]
        (export / "stanceml.json").write_text(json.dumps(meta))
    elif damage == "weights_changed":
        with open(export / "model.safetensors", "r+b") as fh:
            fh.seek(-8, 2)
            fh.write(b"\x00" * 8)
    elif damage == "not_a_folder":
        export = tmp_path / "nothing-here"
    with pytest.raises(ModelLoadError):
        StancePredictor.from_pretrained(export)
