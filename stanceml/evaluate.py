"""Score the exported model and the baselines on the same held-out triples.

Every system is a function from rows to an (n, 3) probability array, so the model, the
rule baseline, a majority-class baseline and TF-IDF + logistic regression go through exactly
the same scoring, bootstrap and report code.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from stanceml.baseline import RuleBaseline
from stanceml.config import BaselineConfig, EvaluateConfig
from stanceml.corpus import normalize_target
from stanceml.inputs import format_pair, rows_to_inputs
from stanceml.io import atomic_dir, write_json
from stanceml.labels import LABEL2ID, LABELS
from stanceml.metrics import classification_metrics
from stanceml.stats import (
    article_resamples,
    bootstrap_metrics,
    confusion,
    expected_calibration_error,
    interval,
    paired_p_value,
    scores_from_confusion,
    softmax,
)

Rows = list[dict[str, Any]]
System = Callable[[Rows], np.ndarray]
N_BOOT = 1000


class EvalDataError(ValueError):
    """An evaluation file with a bad line (the message names the file, line and field)."""


# ----------------------------------------------------------------------------- data


def load_rows(path: str | Path) -> tuple[Rows, Rows]:
    """Load (train rows, test rows) from a processed dataset, a corpus folder, a JSONL file of
    triples, a NewsMTSC JSONL file or the IBM Claim Stance CSV (its test split).

    Only a processed dataset has its own training split; for the other two every row is a
    test row and the training rows are empty.
    """
    path = Path(path)
    if (path / "dataset").exists():
        from stanceml.dataset import load_splits

        dd = load_splits(path)
        return dd["train"].to_list(), dd["test"].to_list()
    if (path / "articles").is_dir() and (path / "annotations").is_dir():
        from stanceml.corpus import read_corpus
        from stanceml.dataset import triple_record

        corpus = read_corpus(path / "articles", path / "annotations")
        return [], [triple_record(t) for t in corpus.triples]
    if path.is_file():
        from stanceml.external import is_newsmtsc_file, read_claim_stance, read_newsmtsc

        if path.suffix == ".csv":
            return [], read_claim_stance(path)
        if is_newsmtsc_file(path):
            return [], read_newsmtsc(path)
        return [], read_jsonl_triples(path)
    raise FileNotFoundError(f"{path}: not a processed dataset, a corpus folder or a JSONL file")


def read_jsonl_triples(path: str | Path) -> Rows:
    """Read labelled triples from JSONL: ``sentence``, ``actor``, ``target``, ``stance``
    required; ``article_id``, ``topic``, ``tags``, ``span_start``/``span_end`` optional.

    Raises:
        EvalDataError: listing every bad line with its number and field.
    """
    rows: Rows = []
    problems: list[str] = []
    with open(path, "rb") as fh:
        raw_lines = fh.read().split(b"\n")
    for number, raw in enumerate(raw_lines, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(f"{path}:{number}: not valid UTF-8")
            continue
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as err:
            problems.append(f"{path}:{number}: malformed JSON: {err.msg}")
            continue
        if not isinstance(rec, dict):
            problems.append(f"{path}:{number}: each line must be a JSON object")
            continue
        bad = [k for k in ("sentence", "actor", "target", "stance") if not isinstance(rec.get(k), str) or not rec[k].strip()]
        if bad:
            problems.append(f"{path}:{number} [{', '.join(bad)}]: missing, empty or not a string")
            continue
        if rec["stance"] not in LABELS:
            problems.append(f"{path}:{number} [stance]: unknown stance {rec['stance']!r}; expected one of {list(LABELS)}")
            continue
        tags = rec.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            problems.append(f"{path}:{number} [tags]: must be a list of strings")
            continue
        start, end = rec.get("span_start", -1), rec.get("span_end", -1)
        if not (isinstance(start, int) and isinstance(end, int)) or (
            start >= 0 and not 0 <= start < end <= len(rec["sentence"])
        ):
            problems.append(f"{path}:{number} [span_start, span_end]: must be whole numbers inside the sentence")
            continue
        rows.append({
            "article_id": str(rec.get("article_id", f"line-{number}")),
            "topic": str(rec.get("topic", "")),
            "tags": tags,
            "span_start": start,
            "span_end": end,
            **{k: rec[k] for k in ("sentence", "actor", "target", "stance")},
        })
    if problems:
        raise EvalDataError(f"{len(problems)} problem(s):\n" + "\n".join(problems[:50]))
    if not rows:
        raise EvalDataError(f"{path}: no triples")
    return rows


# ----------------------------------------------------------------------------- systems


def _columns(p: np.ndarray, classes: Sequence[str]) -> np.ndarray:
    """Reorder a classifier's probability columns into ``LABELS`` order."""
    out = np.zeros((p.shape[0], len(LABELS)))
    for j, c in enumerate(classes):
        out[:, LABEL2ID[c]] = p[:, j]
    return out


def majority_system(train_rows: Rows) -> System:
    """scikit-learn's ``DummyClassifier``: always the most frequent training stance."""
    from sklearn.dummy import DummyClassifier

    y = [r["stance"] for r in train_rows] or ["neutral"]
    clf = DummyClassifier(strategy="most_frequent").fit(np.zeros((len(y), 1)), y)
    return lambda rows: _columns(clf.predict_proba(np.zeros((len(rows), 1))), list(clf.classes_))


def tfidf_system(train_rows: Rows, seed: int = 0) -> System:
    """TF-IDF (word 1-2 grams) over the marked sentence and the actor/target pair, then
    logistic regression, as one scikit-learn pipeline trained on the training split."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    def text(rows: Rows) -> list[str]:
        return [f"{p.text} || {p.text_pair}" for p in (format_pair(x) for x in rows_to_inputs(rows))]

    pipe = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        LogisticRegression(max_iter=2000, C=4.0, random_state=seed),
    ).fit(text(train_rows), [r["stance"] for r in train_rows])
    return lambda rows: _columns(pipe.predict_proba(text(rows)), list(pipe.classes_))


def rule_system(cfg: BaselineConfig) -> System:
    """The rule baseline with the configured lexicon."""
    rb = RuleBaseline.from_config(cfg)
    return lambda rows: rb.predict_proba(rows_to_inputs(rows))


# ----------------------------------------------------------------------------- scoring


def _macro_f1_on(y: np.ndarray, pred: np.ndarray) -> float:
    return scores_from_confusion(confusion(y, pred))["macro_f1"]


def breakdowns(rows: Rows, y: np.ndarray, preds: dict[str, np.ndarray], train_targets: set[str] | None) -> dict:
    """Macro-F1 per tag, per seen/unseen target and per topic, with the row count of each slice."""
    slices: dict[str, dict[str, list[int]]] = {"tag": defaultdict(list), "target": defaultdict(list), "topic": defaultdict(list)}
    for i, r in enumerate(rows):
        for tag in r.get("tags") or ["(untagged)"]:
            slices["tag"][tag].append(i)
        if train_targets is not None:
            slices["target"]["seen" if normalize_target(r["target"]) in train_targets else "unseen"].append(i)
        if r.get("topic"):
            slices["topic"][r["topic"]].append(i)
    out: dict[str, dict] = {}
    for kind, groups in slices.items():
        out[kind] = {
            name: {"n": len(idx), **{s: round(_macro_f1_on(y[idx], p[idx]), 4) for s, p in preds.items()}}
            for name, idx in sorted(groups.items())
        }
    return out


def score(rows: Rows, probas: dict[str, np.ndarray], train_targets: set[str] | None = None,
          n_boot: int = N_BOOT, seed: int = 0, reference: str = "model") -> dict[str, Any]:
    """Metrics, article-bootstrap 95% intervals, paired p-values and breakdowns for each system."""
    y = np.array([LABEL2ID[r["stance"]] for r in rows])
    preds = {name: p.argmax(1) for name, p in probas.items()}
    samples = article_resamples([r["article_id"] for r in rows], n_boot, seed)
    boot = bootstrap_metrics(y, preds, samples)
    systems: dict[str, Any] = {}
    for name, pred in preds.items():
        m = classification_metrics([LABELS[i] for i in y], [LABELS[i] for i in pred])
        m["ci95"] = {
            "accuracy": interval(boot[name]["accuracy"]),
            "macro_f1": interval(boot[name]["macro_f1"]),
            "f1": dict(zip(LABELS, zip(*interval(boot[name]["f1"])))),
        }
        if name != reference and reference in preds:
            m["p_value_vs_" + reference] = paired_p_value(boot[reference]["macro_f1"], boot[name]["macro_f1"])
        systems[name] = m
    return {
        "n": len(rows),
        "articles": len({r["article_id"] for r in rows}),
        "bootstrap": {"resamples": n_boot, "unit": "article", "seed": seed},
        "systems": systems,
        "breakdown": breakdowns(rows, y, preds, train_targets),
    }


def error_rows(rows: Rows, probas: dict[str, np.ndarray], system: str = "model") -> list[dict[str, Any]]:
    """Every row the system got wrong, with its probabilities and the other systems' labels."""
    out = []
    for i, r in enumerate(rows):
        p = probas[system][i]
        pred = LABELS[int(p.argmax())]
        if pred != r["stance"]:
            out.append({
                **{k: r[k] for k in ("article_id", "sentence", "actor", "target", "stance") if k in r},
                "tags": list(r.get("tags") or []),
                "predicted": pred,
                "probs": {label: round(float(v), 4) for label, v in zip(LABELS, p)},
                "others": {name: LABELS[int(q[i].argmax())] for name, q in probas.items() if name != system},
            })
    return out


# ----------------------------------------------------------------------------- entry point


def evaluate(cfg: EvaluateConfig) -> dict[str, Any]:
    """Evaluate ``cfg.model_dir`` and the baselines on ``cfg.eval_data`` and write the report.

    Baselines that learn (majority, TF-IDF) train on the training split of ``eval_data`` when
    it is a processed dataset, else on that of ``cfg.data.output_dir`` when it exists.

    Writes ``metrics.json``, ``report.md``, ``confusion_matrix.png`` and ``errors.jsonl`` to
    ``cfg.report_dir`` (atomically) and returns the metrics.
    """
    from stanceml.predict import StancePredictor
    from stanceml.report import plot_confusions, render_report

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
    out: dict[str, Any] = {"model_dir": str(cfg.model_dir), "eval_data": str(cfg.eval_data),
                           **score(rows, probas, train_targets, seed=cfg.seed)}
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
