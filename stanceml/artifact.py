"""The export folder: what it holds, what its ``stanceml.json`` says, and how both are checked.

An export is a folder that ``transformers`` loads as it is (``config.json`` with
``id2label``/``label2id``, ``model.safetensors``, tokenizer files), optionally ONNX files
under ``onnx/``, plus:

- ``stanceml.json``: :class:`ExportMeta` as JSON: the export format version, labels, input
  template, base model, versions, data hash, the run it came from, metrics, calibration, each
  backend's agreement with the fp32 forward, and the SHA-256 of every weight file;
- ``README.md``: the model card (:func:`model_card`).

:func:`read_meta` checks a folder before anything loads from it: the format version, the
label order against ``config.json``; :func:`verify_file` checks a weight file against its
recorded SHA-256 just before a backend opens it. This module knows nothing of training or
inference, so both can depend on it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from stanceml import __version__
from stanceml.io import atomic_dir, atomic_write_text, read_json, write_json
from stanceml.labels import LABELS

#: Bumped when the folder's layout or ``stanceml.json`` changes incompatibly. Version 1 (no
#: ``format_version`` key) recorded only ``weights_sha256``; it is still read.
FORMAT_VERSION = 2
META_FILE = "stanceml.json"
WEIGHTS_FILE = "model.safetensors"
ONNX_DIR = "onnx"
ONNX_FILES = {"fp32": "model.onnx", "int8": "model.int8.onnx"}
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
#: The files whose SHA-256 goes into ``checksums`` when present.
WEIGHT_FILES = (WEIGHTS_FILE, *(f"{ONNX_DIR}/{f}" for f in ONNX_FILES.values()))


class ModelLoadError(RuntimeError):
    """An export folder that is missing, foreign, incomplete, too new or tampered with."""


@dataclass
class ExportMeta:
    """What ``stanceml.json`` records about an export (typed; unknown keys kept in ``extra``)."""

    name: str
    labels: list[str] = field(default_factory=lambda: list(LABELS))
    input_template: dict[str, str] = field(default_factory=dict)
    max_length: int = 128
    base_model: str = ""
    data_hash: str = ""
    #: The training run: run name, seed, stanceml version and commit (``run.json``).
    run: dict[str, Any] = field(default_factory=dict)
    training_config: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    #: Temperature scaling fitted at export (``temperature``, ``fitted_on``, ECE before/after).
    calibration: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    #: Per backend key (``torch-fp32``, ``onnx-int8``, ...): agreement with the transformers
    #: fp32 forward, macro-F1 change, and ``ok`` (may ``auto`` pick it).
    backends: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: SHA-256 of every weight file, by path relative to the folder.
    checksums: dict[str, str] = field(default_factory=dict)
    stanceml_version: str = ""
    format_version: int = FORMAT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def temperature(self) -> float:
        """The fitted temperature (1.0 = uncalibrated)."""
        return float(self.calibration.get("temperature", 1.0))

    def to_dict(self) -> dict[str, Any]:
        """The JSON object written to ``stanceml.json``."""
        d = asdict(self)
        return {**d.pop("extra"), **d}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExportMeta:
        """Read ``stanceml.json``'s object; a format-1 file's ``weights_sha256`` becomes a checksum."""
        data = dict(data)
        known = {f.name for f in fields(cls)} - {"extra"}
        if "format_version" not in data:
            data["format_version"] = 1
            if data.get("weights_sha256"):
                data["checksums"] = {WEIGHTS_FILE: data.pop("weights_sha256")}
        kwargs = {k: data.pop(k) for k in list(data) if k in known}
        kwargs.setdefault("name", "")
        return cls(**kwargs, extra=data)


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_meta(path: str | Path) -> ExportMeta:
    """Read and check an export's ``stanceml.json`` against its ``config.json``.

    Raises:
        ModelLoadError: not a folder, not an export, incomplete, written by a newer stanceml
            (format version), or labels that disagree with the fixed order or ``config.json``.
    """
    path = Path(path)
    if not path.is_dir():
        raise ModelLoadError(f"{path} is not a folder")
    meta_path = path / META_FILE
    if not meta_path.exists():
        raise ModelLoadError(f"{path} is not a stanceml export: {META_FILE} is missing")
    for name in ("config.json", WEIGHTS_FILE, "tokenizer.json"):
        if not (path / name).exists():
            raise ModelLoadError(f"{path} is incomplete: {name} is missing")
    meta = ExportMeta.from_dict(read_json(meta_path))
    if not isinstance(meta.format_version, int) or meta.format_version > FORMAT_VERSION:
        raise ModelLoadError(
            f"{meta_path}: export format {meta.format_version!r} is newer than this stanceml "
            f"reads (up to {FORMAT_VERSION}); upgrade stanceml or re-export the model"
        )
    labels = meta.labels
    if labels != list(LABELS):
        # The order is fixed once (stanceml.labels); every column of every output relies on it.
        raise ModelLoadError(f"{meta_path}: labels {labels!r} are not the stance labels in order {list(LABELS)}")
    config = read_json(path / "config.json")
    id2label = {int(k): v for k, v in config.get("id2label", {}).items()}
    if [id2label.get(i) for i in range(len(labels))] != labels:
        raise ModelLoadError(f"{path / 'config.json'}: id2label {id2label} disagrees with {META_FILE} labels {labels}")
    return meta


def verify_file(folder: str | Path, meta: ExportMeta, relative: str) -> Path:
    """The path of ``relative`` in ``folder`` after checking it against its recorded SHA-256.

    Raises:
        ModelLoadError: the file is missing, or its SHA-256 differs from the one recorded at
            export (a file with no recorded checksum, from an older export, is not checked).
    """
    file = Path(folder) / relative
    if not file.exists():
        raise ModelLoadError(f"{file} is missing")
    expected = meta.checksums.get(relative)
    if expected and sha256_file(file) != expected:
        raise ModelLoadError(f"{file}: SHA-256 differs from the one recorded at export")
    return file


def write_export(
    model: Any,
    tokenizer: Any,
    export_dir: str | Path,
    meta: ExportMeta,
    add_files: Callable[[Path], dict[str, Any]] | None = None,
) -> Path:
    """Save model, tokenizer, ``stanceml.json`` and README.md into ``export_dir`` atomically.

    Args:
        add_files: called with the folder being written (before the checksums are taken),
            to add files such as ONNX graphs; the dict it returns updates the metadata
            fields of the same names (e.g. ``backends``).
    """
    with atomic_dir(export_dir) as tmp:
        model.save_pretrained(str(tmp), safe_serialization=True)
        tokenizer.save_pretrained(str(tmp))
        for key, value in (add_files(tmp) if add_files else {}).items():
            setattr(meta, key, value)
        meta.labels = list(LABELS)
        meta.stanceml_version = __version__
        meta.format_version = FORMAT_VERSION
        meta.checksums = {rel: sha256_file(tmp / rel) for rel in WEIGHT_FILES if (tmp / rel).exists()}
        meta.extra.pop("weights_sha256", None)
        write_json(tmp / META_FILE, meta.to_dict())
        atomic_write_text(tmp / "README.md", model_card(meta))
    return Path(export_dir)


def _backend_lines(backends: dict[str, dict[str, Any]]) -> list[str]:
    if not backends:
        return []
    lines = [
        "",
        "## Backends (checked on the validation split against the transformers fp32 forward)",
        "",
        "| backend | agreement | macro-F1 change | used by auto |",
        "|---|---|---|---|",
    ]
    for key, b in backends.items():
        lines.append(
            f"| {key} | {b.get('agreement_with_fp32', 0):.3f} | {b.get('macro_f1_delta', 0):+.4f} "
            f"| {'eligible' if b.get('ok') else 'no'} |"
        )
    return lines


def model_card(meta: ExportMeta) -> str:
    """A short model card (README.md) with the labels, the input format and the scores."""
    m = meta.metrics
    lines = [
        f"# {meta.name or 'stance model'}",
        "",
        "Actor-stance classifier trained with stanceml: given a",
        "sentence, an actor mentioned in it and a target, it says whether the actor **supports**,",
        "**opposes** or is **neutral** toward the target.",
        "",
        f"- base model: {meta.base_model}",
        f"- labels (id order): {', '.join(meta.labels)}",
        f"- training data hash: `{meta.data_hash[:16]}…`",
        f"- stanceml {meta.stanceml_version}, export format {meta.format_version}",
        "",
        "## Scores (held-out articles)",
        "",
        "| split | n | accuracy | macro-F1 |",
        "|---|---|---|---|",
    ]
    for split in ("validation", "test"):
        if split in m:
            lines.append(f"| {split} | {m[split]['n']} | {m[split]['accuracy']:.3f} | {m[split]['macro_f1']:.3f} |")
    cal = meta.calibration
    if cal.get("fitted_on"):
        lines += [
            "",
            f"Probabilities are temperature-scaled (T = {cal['temperature']}, fitted on the validation split; "
            f"ECE there {cal['ece_before']} -> {cal['ece_after']}).",
        ]
    lines += _backend_lines(meta.backends)
    t = meta.input_template
    lines += [
        "",
        "## Use",
        "",
        "```python",
        "from stanceml import StancePredictor, StanceInput",
        'p = StancePredictor.from_pretrained("path/to/this/folder")',
        "p.predict(StanceInput(sentence=..., actor=..., target=...)).stance",
        "```",
        "",
        "With plain transformers, mark the actor's first mention in the sentence with",
        f'`{t.get("mark_open")} ... {t.get("mark_close")}` and pass `text_pair="{t.get("text_pair")}"`:',
        "",
        "```python",
        "from transformers import pipeline",
        'clf = pipeline("text-classification", model="path/to/this/folder")',
        f'clf({{"text": "While {t.get("mark_open")} Hungary {t.get("mark_close")} blocked the package, Poland pushed for it.",',
        '     "text_pair": "Hungary ; the sanctions package"})',
        "```",
        "",
        "Limits: trained on a small English news corpus written by the stanceml team; stance is",
        "judged from one sentence; expect lower scores on targets and topics far from the corpus.",
    ]
    return "\n".join(lines) + "\n"
