"""Issue 15's lever 5 on validation: neutral over- or under-called on entity pairs, and would a
per-class logit offset (a prior correction) raise macro-F1 on topics it was not fitted on?

    python scripts/class_decisions.py [--row base] [--seeds 1,2,3] [--runs outputs]

Reads the ablation runs ``<runs>/ablation-<row>-s<seed>/`` (scripts/ablation.py), scores each
run's model on the validation split of the dataset it was trained on, and writes
reports/class_decisions.json. Validation only; the offset is cross-fitted leaving one validation
topic out at a time (stanceml/evaluation/decisions.py).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

import _schemas  # noqa: F401  (offline environment first)
import numpy as np

from stanceml.data.dataset import load_splits
from stanceml.evaluation.ablation import run_dir
from stanceml.evaluation.decisions import cross_fitted_gain, neutral_rates
from stanceml.inference.predictor import StancePredictor
from stanceml.io import write_json
from stanceml.labels import LABEL2ID
from stanceml.modeling.models import load_tokenizer
from stanceml.records import rows_to_inputs
from stanceml.training.run import RUN_STATE, RunRecord

ROOT = Path(__file__).resolve().parents[1]


def score_run(folder: Path) -> dict[str, Any]:
    """The decisions report of one run's model on its validation split."""
    from transformers import AutoModelForSequenceClassification

    run = RunRecord.load(folder / RUN_STATE)
    rows = load_splits(run.data_dir)["validation"].to_list()
    model = AutoModelForSequenceClassification.from_pretrained(str(folder / "model"), local_files_only=True)
    predictor = StancePredictor(
        model, load_tokenizer(str(folder / "model")), run.labels, run.input_template, run.max_length
    )
    logits = predictor.logits(rows_to_inputs(rows))
    y = np.asarray([r["label"] for r in rows])
    entity = np.asarray(["entity_target" in (r.get("tags") or []) for r in rows])
    return {
        "run": folder.name,
        **cross_fitted_gain(logits, y, [r["topic"] for r in rows]),
        "neutral": neutral_rates(y, logits.argmax(1), entity, neutral=LABEL2ID["neutral"]),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--row", default="base")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--runs", default=str(ROOT / "outputs"))
    args = ap.parse_args()
    folders = [run_dir(args.runs, args.row, int(s)) for s in args.seeds.split(",")]
    folders = [f for f in folders if (f / RUN_STATE).exists()]
    if not folders:
        sys.exit(f"no finished ablation-{args.row}-s* run under {args.runs} (python scripts/ablation.py run)")
    runs = [score_run(f) for f in folders]
    summary = {
        "row": args.row,
        "seeds": len(runs),
        "macro_f1": round(statistics.fmean(r["macro_f1"] for r in runs), 4),
        "macro_f1_cross_fitted_bias": round(statistics.fmean(r["macro_f1_cross_fitted_bias"] for r in runs), 4),
        "runs": runs,
    }
    write_json(ROOT / "reports" / "class_decisions.json", summary)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
