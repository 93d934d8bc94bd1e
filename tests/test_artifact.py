"""The export folder's format: version checked on load, every weight file checksummed, the
run recorded, older exports still read."""

from __future__ import annotations

import json
import shutil

import pytest

from stanceml import StancePredictor
from stanceml.artifact import FORMAT_VERSION, ExportMeta, ModelLoadError, read_meta
from stanceml.io import parse_front_matter


@pytest.fixture
def export(tiny_run, tmp_path):
    out = tmp_path / "m"
    shutil.copytree(tiny_run["export_dir"], out)
    return out


def _edit_meta(folder, **changes):
    meta = json.loads((folder / "stanceml.json").read_text())
    meta.update(changes)
    (folder / "stanceml.json").write_text(json.dumps(meta))
    return meta


def test_every_weight_file_is_checksummed_and_the_run_recorded(tiny_run):
    meta = read_meta(tiny_run["export_dir"])
    assert meta.format_version == FORMAT_VERSION
    assert set(meta.checksums) == {"model.safetensors", "onnx/model.onnx", "onnx/model.int8.onnx"}
    run = tiny_run["train_cfg"]
    assert meta.run["run_name"] == run.run_name == meta.name and meta.run["seed"] == run.trainer.seed
    assert meta.run["data_hash"] == tiny_run["card"]["hash"] and meta.run["code"]["stanceml"]


def test_a_newer_format_is_refused_with_a_clear_error(export):
    _edit_meta(export, format_version=FORMAT_VERSION + 1)
    with pytest.raises(ModelLoadError, match="newer than this stanceml reads"):
        StancePredictor.from_pretrained(export)


def test_a_changed_onnx_file_is_refused(export):
    path = export / "onnx" / "model.int8.onnx"
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(ModelLoadError, match="model.int8.onnx: SHA-256 differs"):
        StancePredictor.from_pretrained(export, backend="onnx", precision="int8")
    StancePredictor.from_pretrained(export, backend="torch", precision="fp32")  # its own files are intact


def test_format_1_exports_still_load(export):
    """Before the format version: no format_version key, one weights_sha256."""
    meta = json.loads((export / "stanceml.json").read_text())
    sha = meta.pop("checksums")["model.safetensors"]
    meta.pop("format_version")
    meta.pop("run")
    meta["weights_sha256"] = sha
    (export / "stanceml.json").write_text(json.dumps(meta))
    read = read_meta(export)
    assert read.format_version == 1 and read.checksums == {"model.safetensors": sha}
    assert (
        StancePredictor.from_pretrained(export, backend="torch")
        .predict({"sentence": "Hungary blocked the tariff.", "actor": "Hungary", "target": "the tariff"})
        .stance
    )


def test_meta_round_trips_unknown_keys():
    data = {"name": "x", "format_version": FORMAT_VERSION, "from_the_future": {"a": 1}}
    assert ExportMeta.from_dict(data).to_dict()["from_the_future"] == {"a": 1}


@pytest.mark.parametrize(
    "raw, meta, bad, closed",
    [
        ("---\nid: a\ntitle: 'T: x'\n---\nbody", {"id": "a", "title": "T: x"}, [], True),
        ("\ufeff---\nid: a\n---\n", {"id": "a"}, [], True),
        ("---\nid: a\nno colon here\n---\n", {"id": "a"}, [(3, "no colon here")], True),
        ("---\nid: a\n", {"id": "a"}, [], False),
    ],
)
def test_front_matter_parser(raw, meta, bad, closed):
    fm = parse_front_matter(raw)
    assert fm is not None and fm.meta == meta and fm.bad_lines == bad and fm.closed is closed
    if closed:
        assert raw[fm.end - 3 : fm.end] == "---"


def test_text_without_front_matter_has_none():
    assert parse_front_matter("Just a body.\n---\n") is None
