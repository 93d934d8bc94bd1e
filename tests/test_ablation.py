"""Issue 15's ablation levers (input templates, label smoothing, TensorBoard) and its table."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, compose, tmp_overrides
from omegaconf import OmegaConf

from stanceml.config import TrainerConfig
from stanceml.evaluation.ablation import markdown_table, row_summary, run_dir
from stanceml.modeling.inputs import find_target, format_pair
from stanceml.records import StanceInput
from stanceml.training.trainer import training_arguments

MARK_TARGET = {"target_open": "<<", "target_close": ">>"}
ROWS = sorted(p.stem for p in (ROOT / "configs" / "experiment" / "ablation").glob("*.yaml"))


def test_target_is_found_as_a_whole_word_with_or_without_its_article():
    assert find_target("They fought a rate cap.", "the rate cap") == (14, 22)
    assert find_target("The Rate Cap passed.", "the rate cap") == (0, 12)
    assert find_target("The strikers went home.", "the strike") is None  # not inside "strikers"
    assert find_target("Nothing here.", "the strike") is None


def test_target_inside_the_actors_span_is_not_marked():
    sentence = "Rate Cap Inc. fought the rate cap."
    assert find_target(sentence, "rate cap", actor_span=(0, 13)) == (25, 33)


def test_target_markers_wrap_actor_and_target_and_default_template_leaves_the_target_alone():
    item = StanceInput("Hungary blocked the sanctions package on Monday.", "Hungary", "the sanctions package")
    assert format_pair(item, MARK_TARGET).text == "[[ Hungary ]] blocked << the sanctions package >> on Monday."
    assert format_pair(item).text == "[[ Hungary ]] blocked the sanctions package on Monday."
    # Target before the actor: the offsets of the later span must survive the earlier insertion.
    item = StanceInput("The package was blocked by Hungary.", "Hungary", "the package")
    assert format_pair(item, MARK_TARGET).text == "<< The package >> was blocked by [[ Hungary ]]."


def test_question_template_replaces_the_text_pair():
    item = StanceInput("Hungary blocked it.", "Hungary", "the package")
    pair = format_pair(item, {"text_pair": "What is {actor}'s position on {target}?"})
    assert pair.text_pair == "What is Hungary's position on the package?"


@pytest.mark.parametrize("row", ROWS)
def test_every_row_composes_with_a_seeded_run_name(row, tmp_path):
    cfg = OmegaConf.to_object(
        compose("train", [f"paths.root_dir={tmp_path}", f"experiment=ablation/{row}", "trainer.seed=7"])
    )
    assert cfg.run_name == f"ablation-{row}-s7"
    assert cfg.run_dir == str(run_dir(f"{tmp_path}/outputs", row, 7))


def test_rows_change_only_what_they_name(tmp_path):
    def conf(row):
        return OmegaConf.to_object(compose("train", [f"paths.root_dir={tmp_path}", f"experiment=ablation/{row}"]))

    base, question, mark, smooth = conf("base"), conf("question"), conf("target-mark"), conf("smooth")
    assert base.model.input_template == {} and base.trainer.label_smoothing == 0.0
    assert vars(base.trainer) == {**vars(smooth.trainer), "label_smoothing": 0.0, "seed": base.trainer.seed}
    assert question.model.input_template == {"text_pair": "What is {actor}'s position on {target}?"}
    assert mark.model.input_template == MARK_TARGET
    assert smooth.trainer.label_smoothing == 0.1


def test_label_smoothing_reaches_the_trainer(tmp_path):
    assert training_arguments(TrainerConfig(label_smoothing=0.1), tmp_path, "fp32").label_smoothing_factor == 0.1


def _fake_run(root, row, seed, f1, eps):
    per_class = {c: {"f1": f1} for c in ("support", "oppose", "neutral")}
    metrics = {"validation": {"n": 10, "macro_f1": f1, "per_class": per_class}, "run_examples_per_second": eps,
               "train_seconds": 100.0, "precision": "bf16"}  # fmt: skip
    folder = run_dir(root, row, seed)
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({"seed": seed, "metrics": metrics}))


def test_table_means_and_sds_over_finished_seeds_only(tmp_path):
    _fake_run(tmp_path, "base", 1, 0.60, 100.0)
    _fake_run(tmp_path, "base", 2, 0.70, 120.0)
    _fake_run(tmp_path, "question", 1, 0.72, 90.0)
    base = row_summary(tmp_path, "base", [1, 2, 3])
    assert base["seeds"] == [1, 2] and base["macro_f1"] == pytest.approx(0.65)
    assert base["macro_f1_sd"] == pytest.approx(0.0707, abs=1e-4) and base["examples_per_s"] == 110.0
    assert row_summary(tmp_path, "smooth", [1, 2, 3]) is None
    table = markdown_table([base, row_summary(tmp_path, "question", [1, 2, 3])])
    assert "| base | 2 | 0.650 (0.071) |  |" in table
    assert "| question | 1 | 0.720 (0.000) | +0.070 |" in table


def test_a_run_with_a_template_serves_with_it_and_logs_to_tensorboard(tiny_run, tmp_path):
    """The template chosen in the config is what the exported predictor formats with."""
    from stanceml.export.exporter import export_model
    from stanceml.inference.predictor import StancePredictor
    from stanceml.training.trainer import train

    over = tmp_overrides(tiny_run["root"]) + ["experiment=tiny", "trainer.max_steps=2", f"run_dir={tmp_path}/run",
                                              "+model.input_template.target_open='<<'", "+model.input_template.target_close='>>'"]  # fmt: skip
    cfg = OmegaConf.to_object(compose("train", over))
    train(cfg)
    assert list((tmp_path / "run" / "tensorboard").glob("events.out.tfevents.*"))
    export_model(tmp_path / "run", tmp_path / "export")
    predictor = StancePredictor.from_pretrained(tmp_path / "export", backend="torch", precision="fp32")
    assert predictor.template["target_open"] == "<<"
    assert json.loads((tmp_path / "export" / "stanceml.json").read_text())["input_template"]["target_close"] == ">>"


def test_class_bias_undoes_a_constant_shift_and_cross_fitting_sees_the_gain():
    import numpy as np

    from stanceml.evaluation.decisions import cross_fitted_gain, fit_class_bias, neutral_rates

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 600)
    clean = np.eye(3)[y] * 2.0 + rng.normal(0, 1.0, (600, 3))
    shifted = clean + np.array([0.0, 0.0, 1.2])  # neutral over-called
    assert fit_class_bias(shifted, y)[2] < -0.5
    out = cross_fitted_gain(shifted, y, [f"t{i % 6}" for i in range(600)])
    assert out["macro_f1_cross_fitted_bias"] > out["macro_f1"] + 0.05 and out["groups"] == 6
    rates = neutral_rates(y, shifted.argmax(1), np.arange(600) < 200)
    assert rates["entity"]["n"] == 200 and rates["entity"]["predicted_neutral"] > rates["entity"]["gold_neutral"]


def test_class_bias_is_zero_when_no_offset_helps():
    import numpy as np

    from stanceml.evaluation.decisions import fit_class_bias

    y = np.array([0, 1, 2, 0, 1, 2])
    assert fit_class_bias(np.eye(3)[y] * 5.0, y).tolist() == [0.0, 0.0, 0.0]
