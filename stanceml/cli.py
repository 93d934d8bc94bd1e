"""The ``stanceml`` command (plain argparse; Hydra is for the training scripts).

    stanceml predict --model models/stance-minilm --sentence "..." --actor "..." --target "..."
    stanceml predict --model models/stance-minilm --input triples.jsonl [--output out.jsonl]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Iterator, Sequence

from stanceml.io import atomic_write_text


def _read_triples(path: str) -> Iterator[dict]:
    stream = sys.stdin if path == "-" else open(path, encoding="utf-8")
    with stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise SystemExit(f"error: {path}:{number}: malformed JSON: {err.msg}")
            if not isinstance(record, dict):
                raise SystemExit(f"error: {path}:{number}: each line must be a JSON object")
            missing = [k for k in ("sentence", "actor", "target") if not isinstance(record.get(k), str) or not record[k].strip()]
            if missing:
                raise SystemExit(f"error: {path}:{number} [{', '.join(missing)}]: missing, empty or not a string")
            yield record


def cmd_predict(args: argparse.Namespace) -> int:
    """Predict stances for one triple from flags or a JSONL file of triples; JSONL out."""
    from stanceml.predict import ModelLoadError, StancePredictor

    if args.input:
        records = list(_read_triples(args.input))
    elif args.sentence and args.actor and args.target:
        records = [{"sentence": args.sentence, "actor": args.actor, "target": args.target}]
    else:
        raise SystemExit("error: give --input FILE, or all of --sentence, --actor and --target")
    try:
        predictor = StancePredictor.from_pretrained(args.model, batch_size=args.batch_size)
    except ModelLoadError as err:
        raise SystemExit(f"error: {err}")
    predictions = predictor.predict(records)
    lines = []
    for record, pred in zip(records, predictions):
        row = {**record, "stance": pred.stance, "score": round(pred.score, 4),
               "probs": {k: round(v, 4) for k, v in pred.probs.items()}}
        if not pred.actor_found:
            row["actor_found"] = False
        lines.append(json.dumps(row, ensure_ascii=False) + "\n")
    if args.output in (None, "-"):
        sys.stdout.writelines(lines)
    else:
        atomic_write_text(args.output, "".join(lines))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(prog="stanceml", description="Actor-stance classification for news.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("predict", help="predict stances for triples (JSONL out)")
    p.add_argument("--model", required=True, help="an export folder (models/<name>)")
    p.add_argument("--input", help="JSONL of {sentence, actor, target} objects ('-' for stdin)")
    p.add_argument("--sentence")
    p.add_argument("--actor")
    p.add_argument("--target")
    p.add_argument("--output", help="write JSONL here instead of stdout")
    p.add_argument("--batch-size", type=int, default=32)
    p.set_defaults(func=cmd_predict)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``stanceml`` console script."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
