"""Failing loudly and safely: interrupted writes, resumed training, seeds, threads, DDP."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, compose, tmp_overrides, write_corpus
from omegaconf import OmegaConf

from stanceml import StanceInput, StancePredictor
from stanceml.artifact import sha256_file


def _wait_for(predicate, timeout: float, proc: subprocess.Popen) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.02)
    return False


def test_killed_export_leaves_previous_export_intact(tiny_run, tmp_path):
    models = tmp_path / "models"
    previous = models / "stance-tiny"
    shutil.copytree(tiny_run["export_dir"], previous)
    before = sha256_file(previous / "model.safetensors")
    env = {**os.environ, "STANCEML_ROOT": str(tiny_run["root"])}
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "scripts" / "export.py"),
            "run_name=stance-tiny",
            f"export_dir={previous}",
            "data=gold",
            "data.split.test_topics=[]",
            "data.split.test_hash=null",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Kill it once it has started writing its temporary folder (ONNX export takes seconds).
    started = _wait_for(lambda: any(models.glob(".stance-tiny.tmp-*/model.safetensors")), 120, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert started, "the export finished or failed before it could be interrupted"
    assert sha256_file(previous / "model.safetensors") == before
    StancePredictor.from_pretrained(previous)  # still loads, checksum and all


def test_killed_atomic_write_leaves_previous_output_intact(tmp_path):
    out = tmp_path / "processed"
    code = f"""
import sys, time
sys.path.insert(0, {str(ROOT)!r})
from stanceml.io import atomic_dir
with atomic_dir({str(out)!r}) as tmp:
    (tmp / "half.txt").write_text("half")
    print("writing", flush=True)
    time.sleep(60)
"""
    (out).mkdir()
    (out / "complete.txt").write_text("v1")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    proc.kill()
    proc.wait()
    assert sorted(p.name for p in out.iterdir()) == ["complete.txt"]


def _train(root: Path, *extra: str):
    from stanceml.training.trainer import train

    return train(OmegaConf.to_object(compose("train", tmp_overrides(root) + ["experiment=tiny", *extra])))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from stanceml.data.dataset import build_dataset

    root = tmp_path_factory.mktemp("rel")
    write_corpus(root / "data", n_articles=14)
    build_dataset(OmegaConf.to_object(compose("build", tmp_overrides(root))).data)
    return root


def test_same_seed_same_metrics(built):
    a = _train(built, "run_name=seed-a").metrics
    b = _train(built, "run_name=seed-b").metrics
    assert a["test"] == b["test"] and a["validation"] == b["validation"]


def test_resume_after_kill_matches_uninterrupted(built):
    steps = ["trainer.eval_steps=100", "trainer.early_stopping_patience=10"]
    full = _train(built, "run_name=full", *steps).metrics
    run_dir = built / "outputs" / "killed"
    env = {**os.environ, "STANCEML_ROOT": str(built)}
    cmd = [
        sys.executable,
        str(ROOT / "scripts" / "train.py"),
        "experiment=tiny",
        "run_name=killed",
        "data.agreement_path=null",
        "data=gold",
        "data.split.test_topics=[]",
        "data.split.test_hash=null",
        *steps,
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    saved = _wait_for(lambda: (run_dir / "checkpoints" / "checkpoint-100" / "trainer_state.json").exists(), 180, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert saved, "training ended before a checkpoint could be interrupted"
    assert not (run_dir / "run.json").exists()
    resumed = _train(built, "run_name=killed", "trainer.resume=true", *steps).metrics
    assert resumed["resumed_from"] is not None
    assert abs(resumed["test"]["macro_f1"] - full["test"]["macro_f1"]) <= 0.01


def test_interrupted_rename_is_recovered(tmp_path):
    from stanceml.io import atomic_dir

    out = tmp_path / "out"
    # What a kill between "move the old output aside" and "rename the new one in" leaves:
    aside = tmp_path / ".out.old-12345"
    aside.mkdir()
    (aside / "v1.txt").write_text("v1")
    with pytest.raises(RuntimeError), atomic_dir(out):
        raise RuntimeError("this run fails too")
    assert (out / "v1.txt").read_text() == "v1"


def test_outputs_get_ordinary_permissions(tmp_path):
    from stanceml.io import atomic_dir, write_json

    with atomic_dir(tmp_path / "d") as tmp:
        write_json(tmp / "x.json", {"a": 1})
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "d").stat().st_mode & 0o777 == 0o777 & ~mask
    assert (tmp_path / "d" / "x.json").stat().st_mode & 0o777 == 0o666 & ~mask


@pytest.mark.parametrize("backend, precision", [("torch", "fp32"), ("onnx", "fp32")])
def test_eight_threads_match_serial_calls(tiny_run, backend, precision):
    p = StancePredictor.from_pretrained(tiny_run["export_dir"], backend=backend, precision=precision)
    items = [
        StanceInput(f"Country {i} backed the tariff while critics condemned it.", f"Country {i}", "the tariff")
        for i in range(10)
    ] + [StanceInput("Spain is still studying the merger.", "Spain", "the merger")]
    serial = [p.predict_proba([x]) for x in items]
    failures: list[str] = []

    def worker(k: int) -> None:
        for call in range(500):
            i = (k + call) % len(items)
            got = p.predict_proba([items[i]])
            if not np.array_equal(got, serial[i]):
                failures.append(f"thread {k} call {call}")

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_torchrun_two_processes_trains_and_exports(built, tmp_path):
    env = {**os.environ, "STANCEML_ROOT": str(built), "OMP_NUM_THREADS": "1"}
    import socket

    with socket.socket() as sock:  # a free loopback port for the rendezvous (port 0 hangs torchrun)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node=2",
        f"--master_port={port}",
        "--master_addr=127.0.0.1",
        str(ROOT / "scripts" / "train.py"),
        "experiment=tiny",
        "run_name=ddp",
        "data.agreement_path=null",
        "data=gold",
        "data.split.test_topics=[]",
        "data.split.test_hash=null",
        "trainer.max_steps=150",
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    state = json.loads((built / "outputs" / "ddp" / "run.json").read_text())
    assert state["metrics"]["train_loss"] < 1.2  # not doubled by cross-rank token averaging
    from stanceml.export.exporter import export_model

    export_model(built / "outputs" / "ddp", tmp_path / "ddp-export", onnx=False)
    pred = StancePredictor.from_pretrained(tmp_path / "ddp-export").predict(
        StanceInput("Poland backed the tariff on Monday.", "Poland", "the tariff")
    )
    assert pred.stance in ("support", "oppose", "neutral")


def test_long_sentence_is_cropped_with_a_warning(tiny_run):
    p = StancePredictor.from_pretrained(tiny_run["export_dir"])
    sentence = "filler words " * 400 + "Hungary blocked the tariff again." + " more words" * 100
    with pytest.warns(UserWarning, match="cropped"):
        pred = p.predict(StanceInput(sentence, "Hungary", "the tariff"))
    assert pred.actor_found and any("cropped" in n for n in pred.notes)


def test_export_finds_moved_data_and_refuses_other_data(tiny_run, tmp_path):
    from stanceml.export.exporter import export_model

    moved = tmp_path / "moved-data"
    shutil.copytree(tiny_run["train_cfg"].data.output_dir, moved)
    out = export_model(tiny_run["train_cfg"].run_dir, tmp_path / "m", onnx=False, data_dir=moved)
    assert (out / "stanceml.json").exists()

    card = json.loads((moved / "data_card.json").read_text())
    card["hash"] = "0" * 64
    (moved / "data_card.json").write_text(json.dumps(card))
    with pytest.raises(ValueError, match="other data"):
        export_model(tiny_run["train_cfg"].run_dir, tmp_path / "m2", onnx=False, data_dir=moved)
    assert not (tmp_path / "m2").exists()
    with pytest.raises(FileNotFoundError, match="data_card.json"):
        export_model(tiny_run["train_cfg"].run_dir, tmp_path / "m3", onnx=False, data_dir=tmp_path / "nowhere")
