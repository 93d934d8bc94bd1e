"""Inter-annotator agreement: Cohen's kappa between the first and an independent second label.

``data/agreement/second_annotation.jsonl`` holds one line per doubly-annotated triple:
``article_id``, ``sentence``, ``actor``, ``target``, ``first`` (the gold label before
adjudication), ``second`` (the independent label) and ``adjudicated`` (the label agreed after
discussion, which the annotation files carry from then on).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from stanceml.data.corpus import Corpus
from stanceml.io import DataError, Problem, iter_json_objects
from stanceml.records import Triple
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


def _kappa(first: list[str], second: list[str]) -> float | None:
    """Cohen's kappa; None where it is undefined (both annotators used one label throughout)."""
    from sklearn.metrics import cohen_kappa_score

    if len(set(first) | set(second)) < 2:
        return None
    value = float(cohen_kappa_score(first, second, labels=list(LABELS)))
    return None if math.isnan(value) else round(value, 4)


def kappa_by_tag(rows: list[dict[str, Any]], tags_of: list[tuple[str, ...]], min_n: int = 10) -> dict[str, Any]:
    """Kappa and raw agreement among the doubly-annotated triples carrying each tag (n >= ``min_n``)."""
    out: dict[str, Any] = {}
    for tag in sorted({t for tags in tags_of for t in tags}):
        idx = [i for i, tags in enumerate(tags_of) if tag in tags]
        if len(idx) < min_n:
            continue
        first, second = [rows[i]["first"] for i in idx], [rows[i]["second"] for i in idx]
        out[tag] = {"n": len(idx), "kappa": _kappa(first, second),
                    "agreement": round(sum(a == b for a, b in zip(first, second)) / len(idx), 4)}  # fmt: skip
    return out


def agreement_summary(path: str | Path, corpus: Corpus | None = None) -> dict[str, Any]:
    """Cohen's kappa (scikit-learn) and raw agreement between first and second labels.

    With ``corpus``, also checks that each adjudicated label is the corpus's current gold label,
    and gives kappa per tag (from the corpus's tags).
    """
    from sklearn.metrics import confusion_matrix

    rows = read_agreement(path)
    first = [r["first"] for r in rows]
    second = [r["second"] for r in rows]
    summary: dict[str, Any] = {
        "n": len(rows),
        "kappa": _kappa(first, second),
        "agreement": round(sum(a == b for a, b in zip(first, second)) / max(1, len(rows)), 4),
        "confusion_first_vs_second": confusion_matrix(first, second, labels=list(LABELS)).tolist(),
        "changed_by_adjudication": sum(r["first"] != r["adjudicated"] for r in rows),
    }
    if corpus is not None:
        gold = {(t.article_id, t.sentence, t.actor, normalize_target(t.target)): t.stance for t in corpus.triples}
        tags = {(t.article_id, t.sentence, t.actor, normalize_target(t.target)): t.tags for t in corpus.triples}
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
        keys = [(r["article_id"], r["sentence"], r["actor"], normalize_target(str(r["target"]))) for r in rows]
        summary["by_tag"] = kappa_by_tag(rows, [tags[k] for k in keys])
        summary["note"] = (f"{summary['changed_by_adjudication']} first labels were changed after adjudication; "
                           "the corpus carries the adjudicated labels.")
    return summary


# ----------------------------------------------------------------------------- double annotation


def blind_sample(
    corpus: Corpus, splits: dict[str, list[str]], train_share: float = 0.2, seed: int = 0
) -> list[Triple]:
    """The triples a second annotator labels: all of validation and test, and ``train_share``
    of train drawn per tag (stratified: each triple is drawn with its rarest tag's stratum, so
    thin tags get their share too)."""
    import random

    split_of = {aid: name for name, ids in splits.items() for aid in ids}
    held = [t for t in corpus.triples if split_of.get(t.article_id) in ("validation", "test")]
    train = [t for t in corpus.triples if split_of.get(t.article_id) == "train"]
    counts: dict[str, int] = {}
    for t in train:
        for tag in t.tags or ("(untagged)",):
            counts[tag] = counts.get(tag, 0) + 1
    strata: dict[str, list[Triple]] = {}
    for t in train:
        rarest = min(t.tags or ("(untagged)",), key=lambda tag: (counts[tag], tag))
        strata.setdefault(rarest, []).append(t)
    rng = random.Random(seed)
    chosen = []
    for tag in sorted(strata):
        group = strata[tag]
        chosen += rng.sample(group, max(1, round(train_share * len(group))))
    return held + chosen
