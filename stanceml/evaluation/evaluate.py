"""Score an exported model and the baselines on the same held-out triples, and write the report.

Every system is a function from rows to an (n, 3) probability array, so the model, the rule
baseline, a majority-class baseline and TF-IDF + logistic regression go through exactly the
same scoring, bootstrap and report code (:mod:`stanceml.evaluation.scoring`). This is the
one module of the evaluation that loads a predictor.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from stanceml.calibration import expected_calibration_error, softmax
from stanceml.config import EvaluateConfig
from stanceml.evaluation.baselines import majority_system, rule_system, tfidf_system
from stanceml.evaluation.report import plot_confusions, render_report
from stanceml.evaluation.rows import load_rows
from stanceml.evaluation.scoring import error_rows, score
from stanceml.inference.predictor import StancePredictor
from stanceml.io import atomic_dir, write_json
from stanceml.labels import LABEL2ID
from stanceml.records import rows_to_inputs
from stanceml.text.targets import normalize_target


def evaluate(cfg: EvaluateConfig) -> dict[str, Any]:
    """Evaluate ``cfg.model_dir`` and the baselines on ``cfg.eval_data`` and write the report.

    Baselines that learn (majority, TF-IDF) train on the training split of ``eval_data`` when
    it is a processed dataset, else on that of ``cfg.data.output_dir`` when it exists.

    Writes ``metrics.json``, ``report.md``, ``confusion_matrix.png`` and ``errors.jsonl`` to
    ``cfg.report_dir`` (atomically) and returns the metrics.
    """
    train_rows, rows = load_rows(cfg.eval_data)
    if not train_rows and (Path(cfg.data.output_dir) / "dataset").exists():
        train_rows = load_rows(cfg.data.output_dir)[0]
    predictor = StancePredictor.from_pretrained(cfg.model_dir)
    logits = predictor.logits(rows_to_inputs(rows))
    probas: dict[str, np.ndarray] = {"model": softmax(logits / predictor.temperature)}
    probas["rule_baseline"] = rule_system(cfg.baseline)(rows)
    if train_rows:
        probas["majority"] = majority_system(train_rows)(rows)
        probas["tfidf_logreg"] = tfidf_system(train_rows, cfg.seed)(rows)
    train_targets = {normalize_target(r["target"]) for r in train_rows} if train_rows else None
    out: dict[str, Any] = {
        "model_dir": str(cfg.model_dir),
        "eval_data": str(cfg.eval_data),
        **score(rows, probas, train_targets, seed=cfg.seed),
    }
    y = np.array([LABEL2ID[r["stance"]] for r in rows])
    out["calibration"] = {
        "temperature": predictor.temperature,
        "ece_before": round(expected_calibration_error(softmax(logits), y), 4),
        "ece_after": round(expected_calibration_error(probas["model"], y), 4),
    }
    errors = error_rows(rows, probas)
    with atomic_dir(cfg.report_dir) as tmp:
        write_json(tmp / "metrics.json", out)
        (tmp / "report.md").write_text(render_report(cfg.run_name, out), encoding="utf-8")
        plot_confusions(out["systems"], tmp / "confusion_matrix.png")
        with open(tmp / "errors.jsonl", "w", encoding="utf-8") as fh:
            for e in errors:
                fh.write(json.dumps(e, ensure_ascii=False) + "\n")
    return out
