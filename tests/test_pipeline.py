"""The whole pipeline on the tiny model: the real scripts, end to end, in a temp folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, write_corpus


def run_script(name: str, *overrides: str, env_root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "STANCEML_ROOT": str(env_root)}
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / name), *overrides], capture_output=True, text=True, env=env, timeout=600
    )


def test_scripts_end_to_end(tmp_path):
    write_corpus(tmp_path / "data", n_articles=14)
    common = ["data=gold", "data.agreement_path=null", "data.split.test_topics=[]", "data.split.test_hash=null"]
    for script, extra in [
        ("build_dataset.py", []),
        ("train.py", ["experiment=tiny"]),
        ("export.py", ["run_name=stance-tiny"]),
        ("evaluate.py", ["run_name=stance-tiny"]),
    ]:
        proc = run_script(script, *common, *extra, env_root=tmp_path)
        assert proc.returncode == 0, f"{script} failed:\n{proc.stdout}\n{proc.stderr}"

    assert (tmp_path / "data" / "processed" / "gold" / "dataset" / "dataset_dict.json").exists()
    export = tmp_path / "models" / "stance-tiny"
    meta = json.loads((export / "stanceml.json").read_text())
    assert meta["labels"] == ["support", "oppose", "neutral"]
    config = json.loads((export / "config.json").read_text())
    assert config["id2label"] == {"0": "support", "1": "oppose", "2": "neutral"}
    assert not list(export.glob("*.bin")) and not list(export.glob("*.pkl"))

    report = json.loads((tmp_path / "reports" / "stance-tiny" / "metrics.json").read_text())
    systems = report["systems"]
    assert {"model", "rule_baseline", "majority", "tfidf_logreg"} <= set(systems)
    # The templated corpus is learnable: the tiny model must clearly beat always-majority.
    assert systems["model"]["macro_f1"] > 0.6
    assert systems["model"]["macro_f1"] > systems["majority"]["macro_f1"] + 0.2

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "stanceml.cli",
            "predict",
            "--model",
            str(export),
            "--sentence",
            "Hungary firmly rejects the tariff.",
            "--actor",
            "Hungary",
            "--target",
            "the tariff",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    row = json.loads(proc.stdout)
    assert row["stance"] in ("support", "oppose", "neutral")
    assert abs(sum(row["probs"].values()) - 1) < 1e-3


def test_export_loads_with_plain_transformers_pipeline(tiny_run):
    from transformers import pipeline

    from stanceml import StanceInput, StancePredictor
    from stanceml.modeling.inputs import format_pair

    export = tiny_run["export_dir"]
    clf = pipeline("text-classification", model=str(export), top_k=None)
    predictor = StancePredictor.from_pretrained(export, backend="torch", precision="fp32")
    item = StanceInput(
        "While Poland backed the tariff on Monday, Hungary blocked the tariff again.", "Hungary", "the tariff"
    )
    pair = format_pair(item, predictor.template)
    scores = {d["label"]: d["score"] for d in clf({"text": pair.text, "text_pair": pair.text_pair})}
    # The plain pipeline has no temperature scaling: compare with the raw softmax.
    from stanceml.calibration import softmax

    raw = softmax(predictor.logits([item]))[0]
    assert set(scores) == set(predictor.labels)
    for label, p in zip(predictor.labels, raw):
        assert abs(scores[label] - p) < 1e-4


def test_tiny_training_learns(tiny_run):
    metrics = tiny_run["train"].metrics
    assert metrics["test"]["macro_f1"] > 0.6
    assert tiny_run["card"]["splits"]["test"]["triples"] > 0


def test_bench_script_runs_and_scores_paths(tiny_run, tmp_path):
    """scripts/bench.py end to end on the tiny export: every path measured and scored."""
    out = tmp_path / "bench.json"
    cmd = [sys.executable, str(ROOT / "scripts" / "bench.py"), "--model", str(tiny_run["export_dir"]),
           "--data", str(tiny_run["root"] / "data" / "processed" / "gold"), "--paths", "pipeline-fp32,torch-fp32,onnx-int8",
           "--skip-train", "--latency-n", "4", "--throughput-n", "16", "--out", str(out)]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(out.read_text())
    paths = {r["path"]: r for r in report["inference"]}
    assert set(paths) == {"pipeline-fp32", "torch-fp32", "onnx-int8"}
    assert paths["torch-fp32"]["agreement_with_fp32"] > 0.9 and paths["pipeline-fp32"]["agreement_with_fp32"] == 1.0
    assert report["machine"]["cpu"] and "CPU:" in proc.stdout


def test_frozen_word_embeddings_do_not_move(tiny_run, tmp_path):
    """trainer.freeze=embeddings: the word-embedding matrix is the one the model started with."""
    import torch
    from conftest import compose, tmp_overrides
    from omegaconf import OmegaConf
    from safetensors.torch import load_file
    from transformers import set_seed

    from stanceml.modeling.models import build_model, load_tokenizer
    from stanceml.training.trainer import train

    over = tmp_overrides(tiny_run["root"]) + ["experiment=tiny", "trainer.max_steps=5", "trainer.freeze=embeddings",
                                              f"run_dir={tmp_path}/run"]  # fmt: skip
    cfg = OmegaConf.to_object(compose("train", over))
    result = train(cfg)
    tokenizer = load_tokenizer(cfg.model.tokenizer)
    set_seed(cfg.trainer.seed)
    start = build_model(cfg.model, vocab_size=len(tokenizer))
    saved = load_file(result.model_dir / "model.safetensors")
    emb = "bert.embeddings.word_embeddings.weight"
    assert result.metrics["frozen_parameters"] == start.get_input_embeddings().weight.numel()
    assert torch.equal(saved[emb], start.get_input_embeddings().weight.detach())
    assert not torch.equal(saved["classifier.weight"], start.classifier.weight.detach())
