"""Turn a training run into a self-contained export folder.

The folder loads with ``transformers`` as it is (config.json with id2label/label2id,
model.safetensors, tokenizer files) and carries ``stanceml.json`` (labels, input template,
base model, versions, data hash, training config, metrics, weights SHA-256) and a model card.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stanceml.io import atomic_dir, atomic_write_text, read_json, write_json
from stanceml.labels import LABELS
from stanceml.predict import META_FILE, WEIGHTS_FILE, sha256_file


def write_export(
    model, tokenizer, export_dir: str | Path, meta: dict[str, Any], onnx: bool = False, check_rows=None
) -> Path:
    """Save model, tokenizer, ``stanceml.json`` and README.md into ``export_dir`` atomically.

    Args:
        onnx: also write ONNX fp32 and int8 files (``onnx/``).
        check_rows: validation rows on which every backend is scored against torch fp32;
            the result goes to ``meta["backends"]`` and decides what ``backend="auto"`` picks.
    """
    import stanceml

    with atomic_dir(export_dir) as tmp:
        model.save_pretrained(str(tmp), safe_serialization=True)
        tokenizer.save_pretrained(str(tmp))
        if onnx:
            from stanceml.onnx_export import export_onnx

            export_onnx(model, tokenizer, tmp)
        if check_rows:
            from stanceml.inputs import rows_to_inputs
            from stanceml.onnx_export import check_backends

            meta = {**meta, "backends": check_backends(
                tmp, model, tokenizer, meta["input_template"], meta["max_length"],
                rows_to_inputs(check_rows), [r["label"] for r in check_rows],
            )}
        meta = {
            **meta,
            "labels": list(LABELS),
            "stanceml_version": stanceml.__version__,
            "weights_sha256": sha256_file(tmp / WEIGHTS_FILE),
        }
        write_json(tmp / META_FILE, meta)
        atomic_write_text(tmp / "README.md", model_card(meta))
    return Path(export_dir)


def export_model(
    run_dir: str | Path, export_dir: str | Path, extra_meta: dict[str, Any] | None = None, onnx: bool = True,
    data_dir: str | Path | None = None,
) -> Path:
    """Export the model saved by :func:`stanceml.train.train` in ``run_dir``.

    Fits temperature scaling on the validation split, optionally adds ONNX files, and
    records how each inference backend scores against torch fp32 on the validation split.
    """
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    run_dir = Path(run_dir)
    model_dir = run_dir / "model"
    state_path = model_dir / "run.json"  # written with the weights, in one atomic step
    if not state_path.exists():
        raise FileNotFoundError(f"{state_path} is missing: train a model first (scripts/train.py)")
    state = read_json(state_path)
    model = AutoModelForSequenceClassification.from_pretrained(str(model_dir), local_files_only=True, use_safetensors=True)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    import torch
    import transformers

    from stanceml.dataset import load_splits

    # The processed dataset the run was trained on: ``data_dir`` if given (the export config
    # passes its own, so a moved project still exports), else the path recorded at training.
    # Either way it must hold the same data, or calibration and backend checks would be fitted
    # on another validation split.
    data_dir = Path(data_dir) if data_dir is not None else Path(state["data_dir"])
    card_path = data_dir / "data_card.json"
    if not card_path.exists():
        raise FileNotFoundError(f"{card_path} is missing: build the dataset the run was trained on "
                                "(scripts/build_dataset.py) or pass its folder")
    found = read_json(card_path).get("hash")
    if found != state["data_hash"]:
        raise ValueError(f"{data_dir} holds other data (hash {str(found)[:12]}) than run {state['run_name']} was "
                         f"trained on (hash {str(state['data_hash'])[:12]}): rebuild it or retrain")
    val_rows = load_splits(data_dir)["validation"].to_list()
    calibration = fit_calibration(model, tokenizer, state, val_rows)
    meta = {
        "name": state["run_name"],
        "labels": state["labels"],
        "input_template": state["input_template"],
        "max_length": state["max_length"],
        "base_model": state["base_model"],
        "data_hash": state["data_hash"],
        "training_config": state["training_config"],
        "metrics": state["metrics"],
        "calibration": calibration,
        "versions": {"transformers": transformers.__version__, "torch": torch.__version__.split("+")[0]},
        **(extra_meta or {}),
    }
    return write_export(model, tokenizer, export_dir, meta, onnx=onnx, check_rows=val_rows or None)


def fit_calibration(model, tokenizer, state: dict[str, Any], val_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Fit temperature scaling on the validation rows of the run's dataset.

    Why: fine-tuned transformers are over-confident; one temperature fitted on held-out
    validation data makes the probabilities usable as confidence without changing any label.
    """
    import numpy as np

    from stanceml.inputs import rows_to_inputs
    from stanceml.predict import StancePredictor
    from stanceml.stats import expected_calibration_error, fit_temperature, softmax

    if not val_rows:
        return {"temperature": 1.0, "fitted_on": None}
    predictor = StancePredictor(model, tokenizer, state["labels"], state["input_template"], state["max_length"])
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


def model_card(meta: dict[str, Any]) -> str:
    """A short model card (README.md) with the labels, the input format and the scores."""
    m = meta.get("metrics", {})
    lines = [
        f"# {meta.get('name', 'stance model')}",
        "",
        "Actor-stance classifier trained with stanceml: given a",
        "sentence, an actor mentioned in it and a target, it says whether the actor **supports**,",
        "**opposes** or is **neutral** toward the target.",
        "",
        f"- base model: {meta.get('base_model')}",
        f"- labels (id order): {', '.join(meta.get('labels', LABELS))}",
        f"- training data hash: `{meta.get('data_hash', '')[:16]}…`",
        f"- stanceml {meta.get('stanceml_version')}",
        "",
        "## Scores (held-out articles)",
        "",
        "| split | n | accuracy | macro-F1 |",
        "|---|---|---|---|",
    ]
    for split in ("validation", "test"):
        if split in m:
            lines.append(f"| {split} | {m[split]['n']} | {m[split]['accuracy']:.3f} | {m[split]['macro_f1']:.3f} |")
    cal = meta.get("calibration") or {}
    if cal.get("fitted_on"):
        lines += ["", f"Probabilities are temperature-scaled (T = {cal['temperature']}, fitted on the validation split; "
                  f"ECE there {cal['ece_before']} -> {cal['ece_after']})."]
    t = meta.get("input_template", {})
    lines += [
        "",
        "## Use",
        "",
        "```python",
        "from stanceml import StancePredictor, StanceInput",
        "p = StancePredictor.from_pretrained(\"path/to/this/folder\")",
        "p.predict(StanceInput(sentence=..., actor=..., target=...)).stance",
        "```",
        "",
        "With plain transformers, mark the actor's first mention in the sentence with",
        f"`{t.get('mark_open')} ... {t.get('mark_close')}` and pass `text_pair=\"{t.get('text_pair')}\"`:",
        "",
        "```python",
        "from transformers import pipeline",
        "clf = pipeline(\"text-classification\", model=\"path/to/this/folder\")",
        f"clf({{\"text\": \"While {t.get('mark_open')} Hungary {t.get('mark_close')} blocked the package, Poland pushed for it.\",",
        "     \"text_pair\": \"Hungary ; the sanctions package\"})",
        "```",
        "",
        "Limits: trained on a small English news corpus written by the stanceml team; stance is",
        "judged from one sentence; expect lower scores on targets and topics far from the corpus.",
    ]
    return "\n".join(lines) + "\n"
