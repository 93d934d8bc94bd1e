"""Score the exported model and the baselines on the same held-out triples."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from stanceml.baseline import RuleBaseline
from stanceml.config import BaselineConfig, EvaluateConfig
from stanceml.inputs import StanceInput
from stanceml.io import atomic_dir, write_json
from stanceml.labels import LABELS
from stanceml.metrics import classification_metrics

Rows = list[dict[str, Any]]


class EvalDataError(ValueError):
    """An evaluation file with a bad line (the message names the file, line and field)."""


def load_eval_rows(eval_data: str | Path) -> tuple[Rows, Rows]:
    """Load (train rows, test rows) from a processed dataset, a corpus folder or a JSONL file.

    Only a processed dataset has a training split (for the TF-IDF baseline); otherwise the
    training rows are empty and every row of ``eval_data`` is a test row.
    """
    path = Path(eval_data)
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
        return [], read_jsonl_triples(path)
    raise FileNotFoundError(f"{path}: not a processed dataset, a corpus folder or a JSONL file")


def read_jsonl_triples(path: str | Path) -> Rows:
    """Read labelled triples from JSONL (sentence, actor, target, stance; others optional)."""
    rows: Rows = []
    problems: list[str] = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
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
                problems.append(f"{path}:{number} [stance]: unknown stance {rec['stance']!r}")
                continue
            rows.append({"article_id": str(rec.get("article_id", f"line-{number}")), "topic": str(rec.get("topic", "")),
                         "tags": list(rec.get("tags", [])), **{k: rec[k] for k in ("sentence", "actor", "target", "stance")}})
    if problems:
        raise EvalDataError(f"{len(problems)} problem(s):\n" + "\n".join(problems[:50]))
    if not rows:
        raise EvalDataError(f"{path}: no triples")
    return rows


def to_inputs(rows: Rows) -> list[StanceInput]:
    """Rows to predictor inputs."""
    return [StanceInput(r["sentence"], r["actor"], r["target"]) for r in rows]


def majority_system(train_rows: Rows) -> Callable[[Rows], np.ndarray]:
    """Always the most frequent training stance (neutral without training rows)."""
    from sklearn.dummy import DummyClassifier

    y = [r["stance"] for r in train_rows] or ["neutral"]
    clf = DummyClassifier(strategy="most_frequent").fit(np.zeros((len(y), 1)), y)

    def proba(rows: Rows) -> np.ndarray:
        p = clf.predict_proba(np.zeros((len(rows), 1)))
        return _reorder(p, list(clf.classes_))

    return proba


def tfidf_system(train_rows: Rows, seed: int = 0) -> Callable[[Rows], np.ndarray]:
    """TF-IDF over the marked sentence and the actor/target pair + logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from stanceml.inputs import format_pair

    def text(rows: Rows) -> list[str]:
        pairs = [format_pair(x) for x in to_inputs(rows)]
        return [f"{p.text} || {p.text_pair}" for p in pairs]

    pipe = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True),
        LogisticRegression(max_iter=2000, C=4.0, random_state=seed),
    ).fit(text(train_rows), [r["stance"] for r in train_rows])

    def proba(rows: Rows) -> np.ndarray:
        return _reorder(pipe.predict_proba(text(rows)), list(pipe.classes_))

    return proba


def _reorder(p: np.ndarray, classes: Sequence[str]) -> np.ndarray:
    out = np.zeros((p.shape[0], len(LABELS)))
    for j, c in enumerate(classes):
        out[:, LABELS.index(c)] = p[:, j]
    return out


def rule_system(cfg: BaselineConfig) -> Callable[[Rows], np.ndarray]:
    """The rule baseline as a probability function."""
    rb = RuleBaseline(
        {k: getattr(cfg, k) for k in ("support", "oppose", "negation", "hedge")},
        window=cfg.window,
        negation_window=cfg.negation_window,
    ).fit()
    return lambda rows: rb.predict_proba(to_inputs(rows))


def score_systems(rows: Rows, probas: dict[str, np.ndarray]) -> dict[str, Any]:
    """Metrics for each system's probabilities on the same rows."""
    gold = [r["stance"] for r in rows]
    return {name: classification_metrics(gold, [LABELS[i] for i in p.argmax(1)]) for name, p in probas.items()}


def render_report(name: str, results: dict[str, Any], n: int) -> str:
    """The Markdown report a person reads."""
    lines = [f"# Evaluation: {name}", "", f"{n} held-out triples.", "",
             "| system | accuracy | macro-F1 | " + " | ".join(f"F1 {l}" for l in LABELS) + " |",
             "|---|---|---|" + "---|" * len(LABELS)]
    for system, m in results.items():
        lines.append(f"| {system} | {m['accuracy']:.3f} | {m['macro_f1']:.3f} | "
                     + " | ".join(f"{m['per_class'][l]['f1']:.3f}" for l in LABELS) + " |")
    lines += ["", "Confusion matrices (rows gold, columns predicted, order " + ", ".join(LABELS) + "):", ""]
    for system, m in results.items():
        lines.append(f"- {system}: {m['confusion_matrix']}")
    return "\n".join(lines) + "\n"


def evaluate(cfg: EvaluateConfig) -> dict[str, Any]:
    """Evaluate ``cfg.model_dir`` and the baselines on ``cfg.eval_data``; write the report.

    Returns:
        ``{"systems": {name: metrics}, "n": ...}``, also written to ``metrics.json``.
    """
    from stanceml.predict import StancePredictor

    train_rows, rows = load_eval_rows(cfg.eval_data)
    predictor = StancePredictor.from_pretrained(cfg.model_dir)
    probas: dict[str, np.ndarray] = {"model": predictor.predict_proba(to_inputs(rows))}
    probas["rule_baseline"] = rule_system(cfg.baseline)(rows)
    probas["majority"] = majority_system(train_rows)(rows)
    if train_rows:
        probas["tfidf_logreg"] = tfidf_system(train_rows, cfg.seed)(rows)
    results = score_systems(rows, probas)
    out = {"model_dir": cfg.model_dir, "eval_data": cfg.eval_data, "n": len(rows), "systems": results}
    with atomic_dir(cfg.report_dir) as tmp:
        write_json(tmp / "metrics.json", out)
        (tmp / "report.md").write_text(render_report(cfg.run_name, results, len(rows)), encoding="utf-8")
    return out
