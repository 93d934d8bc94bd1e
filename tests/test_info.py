"""`stanceml info`: the machine facts and the backend auto picks, with the export's checks."""

from __future__ import annotations

import json

from stanceml.cli import main
from stanceml.inference.predictor import StancePredictor


def test_info_json_names_the_backend_auto_runs_and_each_check(tiny_run, capsys):
    export = tiny_run["export_dir"]
    assert main(["info", "--model", str(export), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["machine"]["cores"] >= 1 and out["machine"]["versions"]["torch"]
    model = out["model"]
    assert model["auto"] == StancePredictor.from_pretrained(export).backend_name
    assert "torch-fp32" in model["available"]
    assert set(model["checked_at_export"]) <= set(model["available"])
    assert model["why"]


def test_info_under_an_avx2_cap_never_picks_bf16(tiny_run, capsys, monkeypatch):
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "avx2")
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    assert main(["info", "--model", str(tiny_run["export_dir"])]) == 0
    text = capsys.readouterr().out
    assert "auto runs: torch-bf16" not in text
    if "bf16 units: yes" in text:
        assert "held below bf16" in text
    assert "torch-fp32" in text and "agreement with fp32" in text


def test_info_without_a_model_prints_only_the_machine(capsys):
    assert main(["info"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("cpu: ") and "model:" not in text
