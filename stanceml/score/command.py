"""The ``stanceml score`` and ``stanceml candidates`` commands (argparse; wired in by cli.py).

    stanceml score triples.parquet --model models/stance-minilm --output scored.parquet [--resume]
    stanceml score --articles archive/ --target "the tariff" --model DIR --output scored.jsonl
    stanceml score triples.parquet --model DIR --output scored.parquet --engine ray [--address auto]
    stanceml candidates archive/ --target "the tariff" --output triples.parquet

Exit codes: 0 every row written; 1 the run could not start or stopped on an error (the
message says which file and why); 3 finished, some rows failed (see ``OUT.errors.jsonl``);
4 stopped at ``--max-errors`` (``--resume`` continues after fixing nothing, or start again).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from stanceml.artifact import ModelLoadError
from stanceml.inference.predictor import StancePredictor
from stanceml.score.candidates import RELEVANCE_RULES, ArticleSource
from stanceml.score.formats import FORMATS, ScoreError, Source, detect_format, open_source
from stanceml.score.run import DEFAULT_CHUNK_ROWS, ScoreSummary, passthrough_step, predictor_step, run


def _output_args(p: Any) -> None:
    p.add_argument("--output", required=True, help="the table to write (.jsonl, .csv or .parquet)")
    p.add_argument("--output-format", choices=FORMATS, help="default: from the output's suffix")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run writing the same output")
    p.add_argument("--max-errors", type=int, help="stop (resumably) once more than N rows have failed")
    p.add_argument("--chunk-rows", type=int, default=DEFAULT_CHUNK_ROWS, help="rows read and written per step")
    p.add_argument(
        "--progress", action=argparse.BooleanOptionalAction, default=None, help="progress bar (default: on a terminal)"
    )


def _article_args(p: Any) -> None:
    p.add_argument("--target", action="append", help="a target to ask about (repeatable)")
    p.add_argument(
        "--relevance",
        choices=RELEVANCE_RULES,
        default="overlap",
        help="overlap: only sentences sharing a content word with the target (default); all: every sentence",
    )


def add_score_parser(sub: Any) -> None:
    """Add ``score`` to the ``stanceml`` subcommands."""
    s = sub.add_parser(
        "score",
        help="score a file of triples, or the candidate triples of raw articles, into a table",
        description="Stream triples through the model in constant memory: the input's columns plus "
        "input_row, stance, score and prob_<label>. Bad rows go to OUT.errors.jsonl.",
    )
    s.add_argument("input", nargs="?", help="triples: .jsonl, .csv or .parquet with sentence, actor, target")
    s.add_argument("--articles", action="append", metavar="PATH", help="article files or folders instead of INPUT")
    s.add_argument("--format", choices=FORMATS, help="the input's format (default: from its suffix)")
    s.add_argument("--model", required=True, help="an export folder (models/<name>)")
    s.add_argument("--batch-size", type=int, default=64, help="inputs per forward pass")
    s.add_argument("--backend", default="auto", choices=("auto", "torch", "onnx"))
    s.add_argument("--precision", default="auto", choices=("auto", "fp32", "bf16", "int8"))
    s.add_argument("--threads", type=int, help="intra-op threads of the model (local engine)")
    s.add_argument("--engine", default="local", choices=("local", "ray"))
    s.add_argument("--address", help="Ray cluster to join ('auto': the running one); default: start a local one")
    s.add_argument("--workers", type=int, default=2, help="Ray actors, each with its own model")
    s.add_argument("--cpus-per-worker", type=float, default=1.0, help="CPUs Ray reserves per actor (its threads)")
    _article_args(s)
    _output_args(s)
    s.set_defaults(func=cmd_score)


def add_candidates_parser(sub: Any) -> None:
    """Add ``candidates`` to the ``stanceml`` subcommands."""
    c = sub.add_parser(
        "candidates",
        help="sentence x actor x target triples from raw articles (no model), with ids, dates and offsets",
    )
    c.add_argument("articles", nargs="+", metavar="PATH", help=".md (front matter), .txt or .jsonl {id, date, text}")
    _article_args(c)
    _output_args(c)
    c.set_defaults(func=cmd_candidates)


def _articles(paths: list[str], targets: list[str] | None, relevance: str) -> Source:
    if not targets:
        raise ScoreError("--articles needs at least one --target")
    return ArticleSource(paths, targets, relevance=relevance)


def _finish(summary: ScoreSummary) -> int:
    print(summary.describe(), file=sys.stderr)
    return summary.exit_code


def _run_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "resume": args.resume,
        "max_errors": args.max_errors,
        "chunk_rows": args.chunk_rows,
        "progress": args.progress,
    }


def cmd_candidates(args: argparse.Namespace) -> int:
    """Write the candidate triples of articles as a table."""
    try:
        source = _articles(args.articles, args.target, args.relevance)
        fmt = detect_format(args.output, args.output_format)
        return _finish(run(source, passthrough_step, args.output, fmt, **_run_options(args)))
    except ScoreError as err:
        raise SystemExit(f"error: {err}") from None


def _score_ray(args: argparse.Namespace, out_fmt: str) -> ScoreSummary:
    if args.articles:
        raise ScoreError("the Ray engine reads a file of triples: write them first with `stanceml candidates`")
    try:
        # Lazy on purpose: Ray is an optional extra (stanceml[ray]), loaded only for --engine ray.
        from stanceml.score.ray_engine import score_ray
    except ImportError as err:
        raise SystemExit(f"error: {err}") from None
    return score_ray(
        args.input,
        args.model,
        args.output,
        input_format=args.format,
        output_format=out_fmt,
        address=args.address,
        workers=args.workers,
        cpus_per_worker=args.cpus_per_worker,
        batch_size=args.batch_size,
        backend=args.backend,
        **_run_options(args),
    )


def cmd_score(args: argparse.Namespace) -> int:
    """Score triples (a file, or candidates from articles) into a table; see the module docstring."""
    if bool(args.input) == bool(args.articles):
        raise SystemExit("error: give either INPUT (a file of triples) or --articles PATH, not both or neither")
    try:
        out_fmt = detect_format(args.output, args.output_format)
        if args.engine == "ray":
            return _finish(_score_ray(args, out_fmt))
        if args.input:
            source = open_source(args.input, args.format)
        else:
            source = _articles(args.articles, args.target, args.relevance)
        predictor = StancePredictor.from_pretrained(
            args.model,
            backend=args.backend,
            precision=args.precision,
            batch_size=args.batch_size,
            num_threads=args.threads,
        )
        summary = run(source, predictor_step(predictor, source.path), args.output, out_fmt, **_run_options(args))
        return _finish(summary)
    except (ScoreError, ModelLoadError) as err:
        raise SystemExit(f"error: {err}") from None
