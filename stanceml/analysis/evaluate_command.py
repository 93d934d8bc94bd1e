"""The ``stanceml evaluate-articles`` command (argparse; wired in by cli.py).

    stanceml evaluate-articles --model models/stance-minilm [--keys data/v2/answer_keys]
        [--articles data/v2/articles --articles data/articles] [--output reports/articles]

Prints the totals (actor recall, precision, stance accuracy over found actors, end-to-end
accuracy) and writes ``report.md`` and ``metrics.json`` (with every actor's row) into
``--output``, atomically.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from stanceml.analysis.analyze import RELEVANCE_RULES, analyze_text
from stanceml.analysis.articles_eval import AnswerKeyError, evaluate_articles, format_report, read_answer_keys
from stanceml.analysis.relevance import DEFAULT_THRESHOLD
from stanceml.artifact import ModelLoadError
from stanceml.data.articles import ArticleError, read_articles
from stanceml.inference.predictor import StancePredictor
from stanceml.io import atomic_write_text

DEFAULT_KEYS = "data/v2/answer_keys"
DEFAULT_ARTICLES = ("data/v2/articles", "data/articles")


def read_texts(folders: list[str]) -> dict[str, str]:
    """Article id -> text (front matter blanked, as ``stanceml analyze`` reads it) of every
    ``*.md`` in ``folders``."""
    texts: dict[str, str] = {}
    for folder in folders:
        for path in sorted(Path(folder).glob("*.md")):
            for article in read_articles(str(path)):
                texts.setdefault(article.article_id, article.text)
    return texts


def cmd_evaluate_articles(args: argparse.Namespace) -> int:
    """Score the analysis of keyed articles against their answer keys."""
    try:
        keys = read_answer_keys(args.keys)
        texts = read_texts(args.articles or list(DEFAULT_ARTICLES))
        predictor = StancePredictor.from_pretrained(args.model, batch_size=args.batch_size)
    except (AnswerKeyError, ArticleError, ModelLoadError) as err:
        raise SystemExit(f"error: {err}") from None

    def analyze(text: str, targets: list[str]) -> Any:
        return analyze_text(
            predictor,
            text,
            targets,
            relevance=args.relevance,
            actor_finder=args.actor_finder,
            coreference=not args.no_coreference,
            similarity_threshold=args.similarity_threshold,
        )

    try:
        summary, scores = evaluate_articles(analyze, keys, texts)
    except AnswerKeyError as err:
        raise SystemExit(f"error: {err}") from None
    summary = {**summary, "model": args.model, "keys": args.keys, "backend": predictor.backend_name}
    report = format_report(summary, scores)
    sys.stdout.write(report.split("\n\n")[0] + "\n")
    if args.output:
        out = Path(args.output)
        out.mkdir(parents=True, exist_ok=True)
        rows = [{"article": s.article_id, "target": s.target, "rows": s.rows} for s in scores]
        atomic_write_text(out / "metrics.json", json.dumps({**summary, "per_target": rows}, indent=2) + "\n")
        atomic_write_text(out / "report.md", report)
    return 0


def add_evaluate_articles_parser(sub: Any) -> None:
    """Register ``evaluate-articles`` on the ``stanceml`` subparsers."""
    p = sub.add_parser(
        "evaluate-articles",
        help="score article analysis against answer keys (actor recall, precision, accuracy)",
        description="Run the analysis on every article with an answer key and compare the actors and stances.",
    )
    p.add_argument("--model", required=True, help="an export folder (models/<name>)")
    p.add_argument("--keys", default=DEFAULT_KEYS, help=f"folder of answer keys (default {DEFAULT_KEYS})")
    p.add_argument("--articles", action="append", help="folder of article .md files (repeatable; default: corpus v2)")
    p.add_argument("--output", help="folder for report.md and metrics.json")
    p.add_argument("--relevance", choices=RELEVANCE_RULES, default="fallback")
    p.add_argument("--actor-finder", choices=("auto", "ner", "gazetteer"), default="auto")
    p.add_argument("--no-coreference", action="store_true")
    p.add_argument("--similarity-threshold", type=float, default=DEFAULT_THRESHOLD)
    p.add_argument("--batch-size", type=int, default=32)
    p.set_defaults(func=cmd_evaluate_articles)
