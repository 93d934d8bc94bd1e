"""The rows an evaluation scores: a processed dataset's test split, a corpus folder, a JSON-lines
file of labelled triples, or an external set (NewsMTSC JSON lines, IBM Claim Stance CSV)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stanceml.data.corpus import read_corpus
from stanceml.data.dataset import load_splits
from stanceml.data.external import is_newsmtsc_file, read_claim_stance, read_newsmtsc
from stanceml.io import DataError, Problem, iter_json_objects, read_text_checked
from stanceml.records import Triple, check_fields

Rows = list[dict[str, Any]]
LABELLED_FIELDS = ("sentence", "actor", "target", "stance")


def load_rows(path: str | Path) -> tuple[Rows, Rows]:
    """Load (train rows, test rows) from a processed dataset, a corpus folder, a JSONL file of
    triples, a NewsMTSC JSONL file or the IBM Claim Stance CSV (its test split).

    Only a processed dataset has its own training split; for the others every row is a test
    row and the training rows are empty.
    """
    path = Path(path)
    if (path / "dataset").exists():
        dd = load_splits(path)
        return dd["train"].to_list(), dd["test"].to_list()
    if (path / "articles").is_dir() and (path / "annotations").is_dir():
        corpus = read_corpus(path / "articles", path / "annotations")
        return [], [t.to_row() for t in corpus.triples]
    if path.is_file():
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
        DataError: listing every bad line with its number and field.
    """
    problems: list[Problem] = []
    raw = read_text_checked(path, problems)
    rows: Rows = []
    for number, rec in iter_json_objects(raw or "", path, problems):
        if not check_fields(rec, str(path), number, problems, required=LABELLED_FIELDS):
            continue
        rows.append(
            Triple(
                article_id=str(rec.get("article_id", f"line-{number}")),
                sentence=rec["sentence"],
                actor=rec["actor"],
                target=rec["target"],
                stance=rec["stance"],
                tags=tuple(rec.get("tags", [])),
                topic=str(rec.get("topic", "")),
                span_start=rec.get("span_start", -1),
                span_end=rec.get("span_end", -1),
            ).to_row()
        )
    if problems:
        raise DataError(problems)
    if not rows:
        raise DataError([Problem(str(path), 0, "", "no triples")])
    return rows
