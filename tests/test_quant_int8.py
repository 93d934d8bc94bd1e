"""The int8 ONNX graph on the tiny model: smoothing keeps fp32 exact, per-layer error picks
the nodes kept in fp32, near-ties fall back to fp32, and the export records all of it."""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from stanceml import StanceInput, StancePredictor
from stanceml.export.int8 import layer_errors, quantize_int8, smooth
from stanceml.export.onnx import calibration_batches
from stanceml.inference.backends import OnnxBackend
from stanceml.inference.selection import bf16_dispatch_allowed

ITEMS = [
    StanceInput("While Poland backed the tariff on Monday, Hungary blocked the tariff again.", "Hungary", "the tariff"),
    StanceInput("Spain is still studying the merger.", "Spain", "the merger"),
    StanceInput("the Greens voted for the climate pact.", "the Greens", "the climate pact"),
    StanceInput("critics condemned the pension reform.", "critics", "the pension reform"),
    StanceInput("Acme Steel abstained on the sanctions package.", "Acme Steel", "the sanctions package"),
] * 8


@pytest.fixture(scope="module")
def calib(tiny_run):
    p = StancePredictor.from_pretrained(tiny_run["export_dir"], backend="onnx", precision="fp32")
    return calibration_batches(p.tokenizer, ITEMS, p.template, p.max_length, n=24, size=8)


def _run(model: onnx.ModelProto, batch) -> np.ndarray:
    s = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return s.run(None, {i.name: batch[i.name] for i in s.get_inputs()})[0]


def test_calibration_batches_are_padded_int64(calib):
    assert [len(b["input_ids"]) for b in calib] == [8, 8, 8]
    assert all(b["input_ids"].dtype == np.int64 and b["attention_mask"].shape == b["input_ids"].shape for b in calib)


def test_smoothing_leaves_fp32_outputs_unchanged(tiny_run, calib):
    model = onnx.load(str(tiny_run["export_dir"] / "onnx" / "model.onnx"))
    smoothed = smooth(model, calib)
    assert sum(n.op_type == "Mul" for n in smoothed.graph.node) > sum(n.op_type == "Mul" for n in model.graph.node)
    for batch in calib:
        np.testing.assert_allclose(_run(smoothed, batch), _run(model, batch), atol=1e-4)


def test_layer_errors_name_every_weight_product(tiny_run, calib):
    model = onnx.load(str(tiny_run["export_dir"] / "onnx" / "model.onnx"))
    errors = layer_errors(model, calib)
    inits = {i.name for i in model.graph.initializer}
    products = {n.name for n in model.graph.node if n.op_type == "MatMul" and n.input[1] in inits}
    assert set(errors) == products
    assert all(0 < e < 0.5 for e in errors.values())


def test_quantize_int8_keeps_the_worst_layers_fp32(tiny_run, calib, tmp_path):
    out = tmp_path / "m.int8.onnx"
    info = quantize_int8(tiny_run["export_dir"] / "onnx" / "model.onnx", out, calib, exclude=2)
    errors = info["layer_errors"]
    assert info["kept_fp32"] == sorted(errors, key=errors.__getitem__, reverse=True)[:2]
    quantized = onnx.load(str(out))
    kept = {n.name for n in quantized.graph.node if n.op_type == "MatMul"}
    assert set(info["kept_fp32"]) <= kept  # still plain fp32 MatMuls
    assert any(n.op_type == "MatMulInteger" for n in quantized.graph.node)


def test_export_records_the_quantization(tiny_run):
    meta = json.loads((tiny_run["export_dir"] / "stanceml.json").read_text())
    q = meta["quantization"]
    assert q["method"].startswith("smoothed") and q["calibration_batches"] >= 1
    assert len(q["kept_fp32"]) == min(4, len(q["layer_errors"]))


def test_int8_near_ties_fall_back_to_fp32(tiny_run):
    export = tiny_run["export_dir"]
    fp32 = StancePredictor.from_pretrained(export, backend="onnx", precision="fp32").logits(ITEMS)
    p = StancePredictor.from_pretrained(export, backend="onnx", precision="int8")
    p.backend.fallback_margin = 1e9  # every row is a "near-tie": all of them run in fp32
    np.testing.assert_allclose(p.logits(ITEMS), fp32, atol=1e-5)
    assert p.backend.fallback_rows == p.backend.rows == len(ITEMS)
    plain = OnnxBackend(export, "int8", fallback_margin=0)
    assert plain.fallback is None
    q = StancePredictor.from_pretrained(export, backend="onnx", precision="int8")
    q.backend = plain
    assert np.abs(q.logits(ITEMS) - fp32).max() > 0  # int8 alone does differ


def test_bf16_dispatch_follows_the_isa_caps(monkeypatch):
    monkeypatch.delenv("ATEN_CPU_CAPABILITY", raising=False)
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    monkeypatch.delenv("DNNL_MAX_CPU_ISA", raising=False)
    assert bf16_dispatch_allowed()
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    assert not bf16_dispatch_allowed()
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX512_CORE_AMX")
    assert bf16_dispatch_allowed()
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "avx2")
    assert not bf16_dispatch_allowed()


def test_candidate_inputs_ask_every_mention_about_the_articles_targets(tiny_run):
    from stanceml.data.dataset import load_splits
    from stanceml.export.checks import candidate_inputs
    from stanceml.text.actors import Gazetteer

    root = tiny_run["root"]
    rows = load_splits(tiny_run["train_cfg"].data.output_dir)["validation"].to_list()
    gaz = Gazetteer.from_actors(["Hungary", "Poland", "Spain", "the Greens"])
    items = candidate_inputs(root / "data" / "articles", rows, gaz)
    assert items
    labelled = {(r["sentence"], r["actor"], r["target"]) for r in rows}
    targets = {r["target"] for r in rows}
    for item in items:
        assert (item.sentence, item.actor, item.target) not in labelled
        assert item.target in targets
        assert item.span is not None and item.sentence[item.span[0] : item.span[1]] == item.actor
