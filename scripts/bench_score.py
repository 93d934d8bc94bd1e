"""Benchmark `stanceml score`: local engine vs Ray, flat memory, overhead over the predictor.

    python scripts/bench_score.py --model models/stance-minilm [--rows 100000] [--big-rows 1000000]
        [--predictor-rows 20000] [--workers 2] [--skip ray,big] [--out reports/bench_score.json]

The input is the candidate triples of the corpus articles (data/articles, each with the
targets of its annotations), repeated to the row count and written once as Parquet. Each
measurement runs in its own process; peak memory is the largest summed RSS of that process
and all its descendants (Ray's raylet and workers included), sampled every 0.1 s.

- predictor: ``StancePredictor.predict`` on the first ``--predictor-rows`` rows held in
  memory, in lists of the run's chunk size: the model's own batch throughput;
- local-small: the local engine on those same rows from a Parquet file (the same
  predictor settings), so the two rates differ only by reading, checking and writing;
- local / ray: ``--rows`` rows through the local engine and through Ray with ``--workers``;
- local-big: ``--big-rows`` rows through the local engine (memory should stay flat).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]


def candidate_rows(data_dir: Path) -> list[dict]:
    from stanceml.score.candidates import ArticleSource
    from stanceml.score.formats import Position

    rows = []
    for md in sorted((data_dir / "articles").glob("*.md")):
        ann = data_dir / "annotations" / f"{md.stem}.jsonl"
        if not ann.exists():
            continue
        targets = sorted({json.loads(x)["target"] for x in ann.read_text(encoding="utf-8").splitlines() if x.strip()})
        rows += [it.record for it in ArticleSource([md], targets).items(Position()) if it.record]
    return rows


def write_input(path: Path, base: list[dict], n: int) -> Path:
    """``n`` rows cycling through ``base``, with an ``id``, written in 50k-row groups."""
    if path.exists() and pq.ParquetFile(path).metadata.num_rows == n:
        return path
    schema = None
    with_ids = lambda start, stop: [{**base[i % len(base)], "id": i} for i in range(start, stop)]  # noqa: E731
    tmp = path.with_suffix(".tmp")
    for start in range(0, n, 50_000):
        table = pa.Table.from_pylist(with_ids(start, min(n, start + 50_000)))
        if schema is None:
            schema = table.schema
            writer = pq.ParquetWriter(tmp, schema)
        writer.write_table(table.cast(schema))
    writer.close()
    os.replace(tmp, path)
    return path


class PeakRSS:
    """Largest summed RSS of this process and its descendants, sampled in a thread."""

    def __init__(self, every: float = 0.1):
        self.peak, self.every, self._stop = 0, every, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for p in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
            self.peak = max(self.peak, total)
            self._stop.wait(self.every)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def child(args: argparse.Namespace) -> dict:
    from stanceml.inference.predictor import StancePredictor
    from stanceml.score.formats import open_source
    from stanceml.score.run import predictor_step, run

    out = Path(args.workdir) / f"out-{args.child}.parquet"
    with PeakRSS() as mem:
        started = time.perf_counter()
        if args.child == "ray":
            from stanceml.score.ray_engine import score_ray

            summary = score_ray(
                args.input, args.model, out, workers=args.workers, batch_size=args.batch_size,
                chunk_rows=args.chunk_rows, progress=False,
            )  # fmt: skip
            rows, seconds = summary.written, time.perf_counter() - started
        else:
            p = StancePredictor.from_pretrained(args.model, batch_size=args.batch_size)
            if args.child == "predictor":
                records = pq.read_table(args.input).to_pylist()
                started = time.perf_counter()
                for i in range(0, len(records), args.chunk_rows):
                    p.predict(records[i : i + args.chunk_rows])
                rows, seconds = len(records), time.perf_counter() - started
            else:
                started = time.perf_counter()
                summary = run(open_source(args.input), predictor_step(p), out, "parquet", chunk_rows=args.chunk_rows)
                rows, seconds = summary.written, time.perf_counter() - started
    out.unlink(missing_ok=True)
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds, 1),
        "peak_rss_mb": round(mem.peak / 2**20),
    }


def measure(name: str, input_path: Path, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--child", name, "--input", str(input_path), "--model", args.model]
    cmd += ["--workdir", args.workdir, "--workers", str(args.workers), "--batch-size", str(args.batch_size)]
    cmd += ["--chunk-rows", str(args.chunk_rows)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    if done.returncode:
        raise SystemExit(f"{name} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{name:12s} {result['rows']:>9,d} rows {result['seconds']:>8.1f} s {result['rows_per_s']:>8.1f} rows/s "
          f"peak RSS {result['peak_rss_mb']:>6d} MB", flush=True)  # fmt: skip
    return result


def cpu_flags() -> str:
    from stanceml.modeling.models import cpu_flags as flags

    return ", ".join(flags(("amx_bf16", "avx512_bf16", "avx512f", "avx2")))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="models/stance-minilm")
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--big-rows", type=int, default=1_000_000)
    ap.add_argument("--predictor-rows", type=int, default=20_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--chunk-rows", type=int, default=1024)
    ap.add_argument("--skip", default="", help="comma-separated: predictor, ray, big")
    ap.add_argument("--workdir", default=str(ROOT / "outputs" / "bench_score"))
    ap.add_argument("--out", default=str(ROOT / "reports" / "bench_score.json"))
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--input", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args)))
        return
    skip = set(filter(None, args.skip.split(",")))
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    base = candidate_rows(ROOT / "data")
    print(f"model {args.model}; {len(base)} candidate triples from the corpus articles, repeated; "
          f"CPU {os.cpu_count()} cores, flags {cpu_flags()}", flush=True)  # fmt: skip
    results: dict = {"model": args.model, "base_triples": len(base), "cpu_flags": cpu_flags(), "cores": os.cpu_count()}
    if "predictor" not in skip:
        small = write_input(work / f"in-{args.predictor_rows}.parquet", base, args.predictor_rows)
        results["predictor"] = measure("predictor", small, args)
        results["local-small"] = measure("local-small", small, args)
        results["overhead_vs_predictor"] = round(
            1 - results["local-small"]["rows_per_s"] / results["predictor"]["rows_per_s"], 3
        )
    main_in = write_input(work / f"in-{args.rows}.parquet", base, args.rows)
    results["local"] = measure("local", main_in, args)
    if "ray" not in skip:
        results["ray"] = measure("ray", main_in, args)
        results["ray_vs_local"] = round(results["ray"]["rows_per_s"] / results["local"]["rows_per_s"], 3)
    if "big" not in skip:
        big = write_input(work / f"in-{args.big_rows}.parquet", base, args.big_rows)
        results["local-big"] = measure("local-big", big, args)
        results["rss_big_vs_small"] = round(results["local-big"]["peak_rss_mb"] / results["local"]["peak_rss_mb"], 3)
    for key in ("overhead_vs_predictor", "ray_vs_local", "rss_big_vs_small"):
        if key in results:
            print(f"{key}: {results[key]}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
