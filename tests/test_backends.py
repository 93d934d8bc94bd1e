"""Every inference backend agrees with the transformers fp32 forward on the tiny model; "auto"
falls back cleanly."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from stanceml import StanceInput, StancePredictor
from stanceml.artifact import ExportMeta
from stanceml.inference.backends import TorchBackend, available_backends
from stanceml.inference.selection import choose_backend

ITEMS = [
    StanceInput("While Poland backed the tariff on Monday, Hungary blocked the tariff again.", "Hungary", "the tariff"),
    StanceInput("While Poland backed the tariff on Monday, Hungary blocked the tariff again.", "Poland", "the tariff"),
    StanceInput("Spain is still studying the merger.", "Spain", "the merger"),
    StanceInput("the Greens voted for the climate pact.", "the Greens", "the climate pact"),
    StanceInput("critics condemned the pension reform.", "critics", "the pension reform"),
    StanceInput("Acme Steel abstained on the sanctions package.", "Acme Steel", "the sanctions package"),
] * 4


@pytest.fixture(scope="module")
def reference(tiny_run):
    p = StancePredictor.from_pretrained(tiny_run["export_dir"], backend="torch", precision="fp32")
    p.backend = TorchBackend(p.model, "fp32", fast=False)  # the plain transformers forward
    return p.labels, p.predict_proba(ITEMS)


def test_export_has_onnx_files_and_backend_checks(tiny_run):
    export = tiny_run["export_dir"]
    assert set(available_backends(export)) == {"torch-fp32", "torch-bf16", "onnx-fp32", "onnx-int8"}
    meta = json.loads((export / "stanceml.json").read_text())
    assert set(meta["backends"]) == {"torch-fp32", "torch-bf16", "onnx-fp32", "onnx-int8"}
    assert meta["backends"]["torch-fp32"]["agreement_with_fp32"] == 1.0


@pytest.mark.parametrize(
    "backend, precision, tol",
    [("torch", "fp32", 1e-4), ("onnx", "fp32", 1e-4), ("onnx", "int8", 0.05), ("torch", "bf16", 0.05)],
)
def test_backend_matches_torch_fp32(tiny_run, reference, backend, precision, tol):
    labels, ref = reference
    p = StancePredictor.from_pretrained(tiny_run["export_dir"], backend=backend, precision=precision)
    assert p.backend_name == f"{backend}-{precision}"
    if backend == "torch":
        assert p.backend.fast is not None  # stanceml's own BERT forward, not transformers'
    assert p.labels == labels
    proba = p.predict_proba(ITEMS)
    assert np.abs(proba - ref).max() < tol
    assert (proba.argmax(1) == ref.argmax(1)).mean() >= 0.9


def test_auto_picks_a_checked_backend(tiny_run):
    export = tiny_run["export_dir"]
    meta = ExportMeta.from_dict(json.loads((export / "stanceml.json").read_text()))
    key = choose_backend(export, meta, native_bf16=False)
    assert key == "torch-fp32" or meta.backends[key]["ok"]


def test_auto_prefers_onnx_int8_when_it_kept_accuracy(tiny_run, tmp_path):
    export = tmp_path / "m"
    shutil.copytree(tiny_run["export_dir"], export)
    meta = ExportMeta.from_dict(json.loads((export / "stanceml.json").read_text()))
    meta.backends["onnx-int8"]["ok"] = True
    assert choose_backend(export, meta, native_bf16=False) == "onnx-int8"
    meta.backends["torch-bf16"]["ok"] = True
    assert choose_backend(export, meta, native_bf16=True) == "torch-bf16"
    meta.backends["onnx-int8"]["ok"] = False
    meta.backends["onnx-fp32"]["ok"] = True
    # Torch fp32 runs the fast BERT forward, which beats ONNX fp32; without it, ONNX fp32 wins.
    assert choose_backend(export, meta, native_bf16=False) == "torch-fp32"
    assert choose_backend(export, meta, native_bf16=False, fast_torch=False) == "onnx-fp32"


def test_auto_falls_back_without_onnx_files(tiny_run, tmp_path, reference):
    export = tmp_path / "m"
    shutil.copytree(tiny_run["export_dir"], export)
    shutil.rmtree(export / "onnx")
    p = StancePredictor.from_pretrained(export)
    assert p.backend_name.startswith("torch")
    labels, ref = reference
    assert (p.predict_proba(ITEMS).argmax(1) == ref.argmax(1)).mean() >= 0.9
    with pytest.raises(Exception, match="onnx"):
        StancePredictor.from_pretrained(export, backend="onnx")


def test_bad_backend_arguments(tiny_run):
    with pytest.raises(ValueError):
        StancePredictor.from_pretrained(tiny_run["export_dir"], backend="tpu")
    with pytest.raises(ValueError):
        StancePredictor.from_pretrained(tiny_run["export_dir"], backend="onnx", precision="bf16")
