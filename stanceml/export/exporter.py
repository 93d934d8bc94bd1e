"""Turn a training run into a self-contained export folder (format: :mod:`stanceml.artifact`).

Export fits temperature scaling on the validation split, optionally adds ONNX files, and
records how each inference backend scores against the transformers fp32 forward.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from stanceml.artifact import ExportMeta, write_export
from stanceml.calibration import expected_calibration_error, fit_temperature, softmax
from stanceml.data.dataset import load_splits
from stanceml.export.checks import check_backends
from stanceml.export.onnx import calibration_batches, export_onnx
from stanceml.inference.predictor import StancePredictor
from stanceml.io import read_json
from stanceml.records import rows_to_inputs
from stanceml.training.run import RUN_STATE, RunRecord


def _check_data(run: RunRecord, data_dir: Path) -> None:
    """The processed dataset must be the one the run was trained on, or calibration and
    backend checks would be fitted on another validation split."""
    card_path = data_dir / "data_card.json"
    if not card_path.exists():
        raise FileNotFoundError(
            f"{card_path} is missing: build the dataset the run was trained on "
            "(scripts/build_dataset.py) or pass its folder"
        )
    found = read_json(card_path).get("hash")
    if found != run.data_hash:
        raise ValueError(
            f"{data_dir} holds other data (hash {str(found)[:12]}) than run {run.run_name} was "
            f"trained on (hash {str(run.data_hash)[:12]}): rebuild it or retrain"
        )


def export_model(
    run_dir: str | Path,
    export_dir: str | Path,
    extra_meta: dict[str, Any] | None = None,
    onnx: bool = True,
    data_dir: str | Path | None = None,
) -> Path:
    """Export the model saved by :func:`stanceml.training.trainer.train` in ``run_dir``.

    Args:
        data_dir: the processed dataset (the export config passes its own, so a moved
            project still exports); default: the folder recorded in ``run.json``.
    """
    import torch
    import transformers
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model_dir = Path(run_dir) / "model"
    run = RunRecord.load(model_dir / RUN_STATE)  # written with the weights, in one atomic step
    data = Path(data_dir) if data_dir is not None else Path(run.data_dir)
    _check_data(run, data)
    model = AutoModelForSequenceClassification.from_pretrained(
        str(model_dir), local_files_only=True, use_safetensors=True
    )
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    splits = load_splits(data)
    val_rows = splits["validation"].to_list()
    # The int8 graph is calibrated on training triples (never on the rows it is checked on).
    calib = calibration_batches(
        tokenizer, rows_to_inputs(splits["train"].to_list()), run.input_template, run.max_length
    )
    meta = ExportMeta(
        name=run.run_name,
        labels=run.labels,
        input_template=run.input_template,
        max_length=run.max_length,
        base_model=run.base_model,
        data_hash=run.data_hash,
        run=run.identity(),
        training_config=run.training_config,
        metrics=run.metrics,
        calibration=fit_calibration(model, tokenizer, run, val_rows),
        versions={"transformers": transformers.__version__, "torch": torch.__version__.split("+")[0]},
        extra=dict(extra_meta or {}),
    )
    return write_export(
        model, tokenizer, export_dir, meta, add_files=_onnx_and_checks(model, tokenizer, meta, val_rows, onnx, calib)
    )


def _onnx_and_checks(
    model: Any,
    tokenizer: Any,
    meta: ExportMeta,
    val_rows: list[dict[str, Any]],
    onnx: bool,
    calibration: list[Any] | None = None,
) -> Callable[[Path], dict[str, Any]]:
    """The hook :func:`write_export` calls on the folder being written: ONNX files, then every
    backend scored on the validation rows (the result decides what ``auto`` may pick)."""

    def add(folder: Path) -> dict[str, Any]:
        extra = dict(meta.extra)
        if onnx:  # how the int8 graph was made goes into stanceml.json ("quantization")
            extra["quantization"] = export_onnx(model, tokenizer, folder, calibration=calibration)["quantization"]
        if not val_rows:
            return {"extra": extra}
        return {
            "extra": extra,
            "backends": check_backends(
                folder,
                model,
                tokenizer,
                meta.input_template,
                meta.max_length,
                rows_to_inputs(val_rows),
                [r["label"] for r in val_rows],
            ),
        }

    return add


def fit_calibration(model: Any, tokenizer: Any, run: RunRecord, val_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Fit temperature scaling on the validation rows of the run's dataset.

    Why: fine-tuned transformers are over-confident; one temperature fitted on held-out
    validation data makes the probabilities usable as confidence without changing any label.
    """
    if not val_rows:
        return {"temperature": 1.0, "fitted_on": None}
    predictor = StancePredictor(model, tokenizer, run.labels, run.input_template, run.max_length)
    logits = predictor.logits(rows_to_inputs(val_rows))
    y = np.asarray([r["label"] for r in val_rows])
    t = fit_temperature(logits, y)
    return {
        "temperature": round(t, 4),
        "fitted_on": "validation",
        "n": len(y),
        "ece_before": round(expected_calibration_error(softmax(logits), y), 4),
        "ece_after": round(expected_calibration_error(softmax(logits / t), y), 4),
    }
