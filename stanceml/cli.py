"""The ``stanceml`` command (plain argparse; Hydra is for the training scripts).

    stanceml predict --model models/stance-minilm --sentence "..." --actor "..." --target "..."
    stanceml predict --model models/stance-minilm --input triples.jsonl [--output out.jsonl]
    stanceml analyze article.md --model models/stance-minilm --target "..." [--target ...] [--format table|json|html]
    stanceml serve --model models/stance-minilm [--host 127.0.0.1] [--port 8000]
    stanceml score triples.parquet --model models/stance-minilm --output scored.parquet [--engine ray]
    stanceml candidates archive/ --target "..." --output triples.parquet

Heavy modules (torch, transformers, FastAPI) are imported only when a command needs them,
so ``stanceml --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from stanceml.analysis.analyze import RELEVANCE_RULES, analyze_text
from stanceml.analysis.evaluate_command import add_evaluate_articles_parser
from stanceml.analysis.html import render_html
from stanceml.analysis.relevance import DEFAULT_THRESHOLD
from stanceml.analysis.render import format_table
from stanceml.artifact import ModelLoadError
from stanceml.data.articles import ArticleError, read_articles
from stanceml.inference.info import add_info_parser
from stanceml.inference.predictor import StancePredictor
from stanceml.io import Problem, atomic_write_text, iter_json_objects, read_text_checked
from stanceml.records import check_fields
from stanceml.score.command import add_candidates_parser, add_score_parser
from stanceml.text.actors import DEFAULT_DIR, Gazetteer, GazetteerError


def _read_triples(path: str) -> Iterator[dict[str, Any]]:
    """The triples of a JSONL file (``-``: stdin); exits at the first bad line, naming it."""
    problems: list[Problem] = []
    raw = sys.stdin.read() if path == "-" else read_text_checked(path, problems)
    if raw is None:
        raise SystemExit(f"error: {problems[0]}")
    for number, record in iter_json_objects(raw, path, problems):
        if problems:  # a bad line before this one
            break
        if not check_fields(record, path, number, problems):
            break
        yield record
    if problems:
        raise SystemExit(f"error: {problems[0]}")


def cmd_predict(args: argparse.Namespace) -> int:
    """Predict stances for one triple from flags or a JSONL file of triples; JSONL out."""
    if args.input:
        records = list(_read_triples(args.input))
    elif args.sentence and args.actor and args.target:
        records = [{"sentence": args.sentence, "actor": args.actor, "target": args.target}]
    else:
        raise SystemExit("error: give --input FILE, or all of --sentence, --actor and --target")
    predictions = _load_predictor(args.model, args.batch_size).predict(records)
    lines = []
    for record, pred in zip(records, predictions):
        row = {
            **record,
            "stance": pred.stance,
            "score": round(pred.score, 4),
            "probs": {k: round(v, 4) for k, v in pred.probs.items()},
        }
        if not pred.actor_found:
            row["actor_found"] = False
        lines.append(json.dumps(row, ensure_ascii=False) + "\n")
    if args.output in (None, "-"):
        sys.stdout.writelines(lines)
    else:
        atomic_write_text(args.output, "".join(lines))
    return 0


def _load_predictor(model: str, batch_size: int) -> StancePredictor:
    try:
        return StancePredictor.from_pretrained(model, batch_size=batch_size)
    except ModelLoadError as err:
        raise SystemExit(f"error: {err}") from None


def parse_actor_flag(value: str) -> tuple[str, list[str]]:
    """``"Name"`` or ``"Name=alias|alias"`` (from ``--actor``) to ``(name, aliases)``."""
    name, _, aliases = value.partition("=")
    name = name.strip()
    if not name:
        raise SystemExit(f"error: --actor {value!r}: the name is empty (use NAME or NAME=alias|alias)")
    return name, [a.strip() for a in aliases.split("|") if a.strip()]


def _gazetteer_from_args(args: argparse.Namespace) -> Gazetteer:
    """The gazetteer for ``analyze``: packaged (or --gazetteer), plus or replaced by the user's."""
    own: dict[str, list[str]] = {}
    for value in args.actor or []:
        name, aliases = parse_actor_flag(value)
        own.setdefault(name, []).extend(aliases)
    files = args.actors or []
    if args.replace_actors and not (own or files):
        raise SystemExit("error: --replace-actors needs --actor or --actors to replace the gazetteer with")
    try:
        base_dir = None if args.replace_actors else (args.gazetteer or DEFAULT_DIR)
        gaz = Gazetteer.load(base_dir, files)
        return gaz.extend(own) if own else gaz
    except GazetteerError as err:
        raise SystemExit(f"error: {err}") from None


def cmd_analyze(args: argparse.Namespace) -> int:
    """Analyse articles: who stands where on each target, as a table or JSON."""
    articles = []
    try:
        for path in args.articles:
            articles += read_articles(path)
    except ArticleError as err:
        raise SystemExit(f"error: {err}") from None
    cli_targets = [t for t in (args.target or []) if t.strip()]
    auto_targets = args.targets == "auto"
    for article in articles:
        if not (article.targets or cli_targets or auto_targets):
            raise SystemExit(
                f"error: {article.source or article.article_id}: no target; give --target (repeatable) or --targets auto"
            )
    gazetteer = _gazetteer_from_args(args)
    predictor = _load_predictor(args.model, args.batch_size)
    done = []
    for article in articles:
        try:
            results = analyze_text(
                predictor,
                article.text,
                list(article.targets or cli_targets) or "auto",
                gazetteer=gazetteer,
                relevance=args.relevance,
                min_weight=args.min_weight,
                conflict_margin=args.conflict_margin,
                actor_finder=args.actor_finder,
                coreference=not args.no_coreference,
                similarity_threshold=args.similarity_threshold,
            )
        except ValueError as err:
            raise SystemExit(f"error: {article.source or article.article_id}: {err}") from None
        done.append((article, results))
    if args.format == "json":
        rows = [{"article": a.article_id, **r.to_dict()} for a, results in done for r in results]
        text = json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    elif args.format == "html":
        text = render_html(done, targets=cli_targets, subtitle=f"model: {args.model}")
    else:
        text = format_table(done)
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        atomic_write_text(args.output, text)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the model over HTTP until interrupted (Ctrl-C)."""
    try:
        # Lazy on purpose: FastAPI and uvicorn are an optional extra (stanceml[serve]).
        from stanceml.service.app import create_app, is_loopback_host, serve
    except ImportError as err:
        raise SystemExit(
            f"error: the HTTP service needs FastAPI and uvicorn ({err}); "
            "install them with: pip install 'stanceml[serve]'"
        ) from None
    if not is_loopback_host(args.host):
        print(
            f"warning: serving on {args.host}, reachable from other machines; the service has no "
            "authentication of its own, so keep it behind a proxy or firewall that does",
            file=sys.stderr,
        )
    predictor = _load_predictor(args.model, args.batch_size)
    print(f"warmed up {predictor.backend_name} in {predictor.warmup():.1f} s", file=sys.stderr)
    try:
        app = create_app(
            predictor, max_batch=args.max_batch, max_text_chars=args.max_text_chars, max_targets=args.max_targets
        )
    except ValueError as err:
        raise SystemExit(f"error: {err}") from None
    serve(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(prog="stanceml", description="Actor-stance classification for news.")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_predict(sub)
    _add_analyze(sub)
    _add_serve(sub)
    add_score_parser(sub)
    add_candidates_parser(sub)
    add_evaluate_articles_parser(sub)
    add_info_parser(sub)
    return parser


def _add_predict(sub: Any) -> None:
    p = sub.add_parser("predict", help="predict stances for triples (JSONL out)")
    p.add_argument("--model", required=True, help="an export folder (models/<name>)")
    p.add_argument("--input", help="JSONL of {sentence, actor, target} objects ('-' for stdin)")
    p.add_argument("--sentence")
    p.add_argument("--actor")
    p.add_argument("--target")
    p.add_argument("--output", help="write JSONL here instead of stdout")
    p.add_argument("--batch-size", type=int, default=32)
    p.set_defaults(func=cmd_predict)


def _add_analyze(sub: Any) -> None:
    a = sub.add_parser(
        "analyze",
        help="who stands where on each target in articles (table or JSON)",
        description="Find the actors in each article, ask the model about every sentence that "
        "concerns a target, and combine the answers per actor and target.",
    )
    a.add_argument(
        "articles",
        nargs="+",
        metavar="ARTICLE",
        help=".md (front matter skipped), .txt, or .jsonl of {text, id?, title?, targets?}; '-' for stdin",
    )
    a.add_argument("--model", required=True, help="an export folder (models/<name>)")
    a.add_argument("--target", action="append", help="a target to ask about (repeatable)")
    a.add_argument("--format", choices=("table", "json", "html"), default="table", help="html: a page (see --output)")
    a.add_argument(
        "--actor",
        action="append",
        metavar="NAME[=ALIAS|ALIAS]",
        help="an actor of your own, with optional aliases (repeatable)",
    )
    a.add_argument(
        "--actors",
        action="append",
        metavar="FILE.yaml",
        help="a gazetteer file of your own, in the format of stanceml/text/gazetteer/*.yaml (repeatable)",
    )
    a.add_argument(
        "--replace-actors",
        action="store_true",
        help="use only --actor/--actors instead of adding them to the packaged gazetteer",
    )
    a.add_argument(
        "--gazetteer",
        metavar="DIR",
        help="a folder of gazetteer YAML files instead of the packaged stanceml/text/gazetteer",
    )
    _add_analysis_flags(a)
    a.add_argument(
        "--min-weight",
        type=float,
        default=0.5,
        help="summed confidence of support+oppose sentences needed for a non-neutral stance",
    )
    a.add_argument(
        "--conflict-margin",
        type=float,
        default=1 / 3,
        help="share of the polar weight by which one side must lead, else neutral",
    )
    a.add_argument("--output", help="write here instead of stdout")
    a.add_argument("--batch-size", type=int, default=32)
    a.set_defaults(func=cmd_analyze)


def _add_analysis_flags(a: Any) -> None:
    """Flags of the analysis engine (actor finding, coreference, relevance, targets)."""
    a.add_argument(
        "--relevance",
        choices=RELEVANCE_RULES,
        default="fallback",
        help="fallback (default): semantic, but an actor with no such sentence is judged on every "
        "sentence naming it; semantic: a shared content word or embedding similarity; "
        "overlap: a shared content word; all: every sentence",
    )
    a.add_argument("--targets", choices=("auto",), help="auto: propose the article's main target when none is given")
    a.add_argument(
        "--actor-finder",
        choices=("auto", "ner", "gazetteer"),
        default="auto",
        help="auto: spaCy named entities + gazetteer when the analysis extra is installed (default)",
    )
    a.add_argument("--no-coreference", action="store_true", help="do not follow pronouns and role nouns")
    a.add_argument(
        "--similarity-threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help=f"embedding similarity from which a sentence is about a target (default {DEFAULT_THRESHOLD})",
    )


def _add_serve(sub: Any) -> None:
    v = sub.add_parser("serve", help="serve the model over HTTP (FastAPI + uvicorn)")
    v.add_argument("--model", required=True, help="an export folder (models/<name>)")
    v.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    v.add_argument("--port", type=int, default=8000)
    v.add_argument("--max-batch", type=int, default=64, help="most triples per /predict request")
    v.add_argument("--max-text-chars", type=int, default=20_000, help="longest article or sentence, in characters")
    v.add_argument("--max-targets", type=int, default=16, help="most targets per /analyze request")
    v.add_argument("--batch-size", type=int, default=32)
    v.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    v.set_defaults(func=cmd_serve)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``stanceml`` console script.

    The command, not the library, says that nothing may reach a model hub and how quiet the
    tokenizers are.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
