"""Turn a training run into a self-contained export folder.

The folder loads with ``transformers`` as it is (config.json with id2label/label2id,
model.safetensors, tokenizer files) and carries ``stanceml.json`` (labels, input template,
base model, versions, data hash, training config, metrics, weights SHA-256) and a model card.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from stanceml.io import atomic_dir, atomic_write_text, read_json, write_json
from stanceml.labels import LABELS
from stanceml.predict import META_FILE, WEIGHTS_FILE, sha256_file


def write_export(model, tokenizer, export_dir: str | Path, meta: dict[str, Any]) -> Path:
    """Save model, tokenizer, ``stanceml.json`` and README.md into ``export_dir`` atomically."""
    import stanceml

    with atomic_dir(export_dir) as tmp:
        model.save_pretrained(str(tmp), safe_serialization=True)
        tokenizer.save_pretrained(str(tmp))
        meta = {
            **meta,
            "labels": list(LABELS),
            "stanceml_version": stanceml.__version__,
            "weights_sha256": sha256_file(tmp / WEIGHTS_FILE),
        }
        write_json(tmp / META_FILE, meta)
        atomic_write_text(tmp / "README.md", model_card(meta))
    return Path(export_dir)


def export_model(run_dir: str | Path, export_dir: str | Path, extra_meta: dict[str, Any] | None = None) -> Path:
    """Export the model saved by :func:`stanceml.train.train` in ``run_dir``."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    run_dir = Path(run_dir)
    state_path = run_dir / "run.json"
    if not state_path.exists():
        raise FileNotFoundError(f"{state_path} is missing: train a model first (scripts/train.py)")
    state = read_json(state_path)
    model_dir = run_dir / "model"
    model = AutoModelForSequenceClassification.from_pretrained(str(model_dir), local_files_only=True, use_safetensors=True)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    import torch
    import transformers

    meta = {
        "name": state["run_name"],
        "labels": state["labels"],
        "input_template": state["input_template"],
        "max_length": state["max_length"],
        "base_model": state["base_model"],
        "data_hash": state["data_hash"],
        "training_config": state["training_config"],
        "metrics": state["metrics"],
        "versions": {"transformers": transformers.__version__, "torch": torch.__version__.split("+")[0]},
        **(extra_meta or {}),
    }
    return write_export(model, tokenizer, export_dir, meta)


def model_card(meta: dict[str, Any]) -> str:
    """A short model card (README.md) with the labels, the input format and the scores."""
    m = meta.get("metrics", {})
    lines = [
        f"# {meta.get('name', 'stance model')}",
        "",
        "Actor-stance classifier trained with [stanceml](https://example.invalid/stanceml): given a",
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
