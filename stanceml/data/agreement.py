"""Inter-annotator agreement: Cohen's kappa between the first and an independent second label.

``data/agreement/second_annotation.jsonl`` holds one line per doubly-annotated triple:
``article_id``, ``sentence``, ``actor``, ``target``, ``first`` (the gold label before
adjudication), ``second`` (the independent label) and ``adjudicated`` (the label agreed after
discussion, which the annotation files carry from then on).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stanceml.data.corpus import Corpus
from stanceml.io import DataError, Problem, iter_json_objects
from stanceml.text.targets import normalize_target
from stanceml.labels import LABELS


def read_agreement(path: str | Path) -> list[dict[str, Any]]:
    """Read and check the double-annotation file; every bad line is reported with its number."""
    rows: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for number, rec in iter_json_objects(Path(path).read_text(encoding="utf-8"), path, problems):
        for key in ("first", "second", "adjudicated"):
            if rec.get(key) not in LABELS:
                problems.append(Problem(str(path), number, key, f"must be one of {list(LABELS)}"))
        rows.append(rec)
    if problems:
        raise DataError(problems)
    return rows


def agreement_summary(path: str | Path, corpus: Corpus | None = None) -> dict[str, Any]:
    """Cohen's kappa (scikit-learn) and raw agreement between first and second labels.

    With ``corpus``, also checks that each adjudicated label is the corpus's current gold label.
    """
    from sklearn.metrics import cohen_kappa_score, confusion_matrix

    rows = read_agreement(path)
    first = [r["first"] for r in rows]
    second = [r["second"] for r in rows]
    summary: dict[str, Any] = {
        "n": len(rows),
        "kappa": round(float(cohen_kappa_score(first, second, labels=list(LABELS))), 4),
        "agreement": round(sum(a == b for a, b in zip(first, second)) / max(1, len(rows)), 4),
        "confusion_first_vs_second": confusion_matrix(first, second, labels=list(LABELS)).tolist(),
        "changed_by_adjudication": sum(r["first"] != r["adjudicated"] for r in rows),
    }
    if corpus is not None:
        gold = {(t.article_id, t.sentence, t.actor, normalize_target(t.target)): t.stance for t in corpus.triples}
        problems = []
        for number, r in enumerate(rows, start=1):
            key = (r.get("article_id"), r.get("sentence"), r.get("actor"), normalize_target(str(r.get("target", ""))))
            if key not in gold:
                problems.append(Problem(str(path), number, "sentence", "no such triple in the corpus"))
            elif gold[key] != r["adjudicated"]:
                problems.append(Problem(str(path), number, "adjudicated",
                                        f"corpus says {gold[key]!r}; apply the adjudicated label to the annotations"))
        if problems:
            raise DataError(problems)
        summary["note"] = (f"{summary['changed_by_adjudication']} first labels were changed after adjudication; "
                           "the corpus carries the adjudicated labels.")
    return summary
