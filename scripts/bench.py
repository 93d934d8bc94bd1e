"""Benchmark inference paths and training precision on this machine, side by side.

    python scripts/bench.py [--model models/stance-minilm] [--data data/processed/gold]
                            [--train-steps 30] [--skip-train] [--out reports/bench.json]

Each inference path runs in its own subprocess (so peak memory and thread settings do not
leak between them) on the same inputs from the test split: the plain
``transformers.pipeline("text-classification")`` in fp32, and each stanceml backend. Prints a
table and writes ``reports/bench.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

#: ``*-plain`` runs the transformers forward instead of stanceml's fast BERT forward, to show its gain.
PATHS = ["pipeline-fp32", "torch-fp32-plain", "torch-fp32", "torch-bf16-plain", "torch-bf16", "onnx-fp32", "onnx-int8",
         "auto"]


def load_rows(data: str) -> list[dict]:
    from stanceml.data.dataset import load_splits

    return load_splits(data)["test"].to_list()


def matmul_gflops(n: int = 1024, repeat: int = 20) -> dict[str, float]:
    """This machine's fp32 matrix-multiply rate (GFLOP/s), with torch's default threads, by
    two libraries: ``torch.matmul`` (MKL in the x86 wheels) and oneDNN with a prepacked
    weight (what stanceml's fast forward uses). On AMD CPUs MKL takes a slower code path,
    so the FLOP limit is taken from the faster of the two."""
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)

    def rate(fn) -> float:
        for _ in range(3):
            fn()
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        return round(2 * n**3 * repeat / (time.perf_counter() - start) / 1e9, 1)

    rates = {"torch_matmul": rate(lambda: a @ b)}
    try:
        packed, bias = torch.ops.mkldnn._reorder_linear_weight(b.t().contiguous(), None), torch.zeros(n)
        with torch.inference_mode():
            rates["onednn_packed"] = rate(lambda: torch.ops.mkldnn._linear_pointwise(a, packed, bias, "none", [], ""))
    except (RuntimeError, AttributeError):  # no oneDNN in this torch build
        pass
    return rates


def flops_per_sentence(config: dict, tokens: float) -> float:
    """Forward FLOPs of a BERT encoder for one sentence of ``tokens`` tokens (2 per MAC)."""
    h, layers, inter = config["hidden_size"], config["num_hidden_layers"], config["intermediate_size"]
    dense = layers * (4 * h * h + 2 * h * inter)
    attention = layers * 2 * tokens * h
    return 2 * tokens * (dense + attention)


def run_one(name: str, model: str, data: str, n_latency: int, n_throughput: int) -> dict:
    """Measure one path in this process; called in a subprocess by ``main``."""
    import numpy as np

    from stanceml import StancePredictor
    from stanceml.modeling.inputs import format_pair
    from stanceml.records import rows_to_inputs
    from stanceml.labels import LABELS

    rows = load_rows(data)
    items = rows_to_inputs(rows)
    started = time.perf_counter()
    if name == "pipeline-fp32":
        from transformers import pipeline

        clf = pipeline("text-classification", model=model, top_k=None, device=-1)
        load_s = time.perf_counter() - started
        pairs = [format_pair(x) for x in items]
        feeds = [{"text": p.text, "text_pair": p.text_pair} for p in pairs]

        def predict(batch_items, batch_size):
            out = clf([feeds[i] for i in batch_items], batch_size=batch_size)
            return np.array([[next(d["score"] for d in o if d["label"] == label) for label in LABELS] for o in out])
    else:
        backend, precision = ("auto", "auto") if name == "auto" else name.split("-")[:2]
        p = StancePredictor.from_pretrained(model, backend=backend, precision=precision, batch_size=64)
        if name.endswith("-plain"):
            from stanceml.inference.backends import TorchBackend

            p.backend = TorchBackend(p.model, precision, fast=False)
        load_s = time.perf_counter() - started

        def predict(batch_items, batch_size):
            p.batch_size = batch_size
            return p.logits([items[i] for i in batch_items])

    index = list(range(len(items)))

    # Warm-up: one untimed pass over the same inputs, so each path is timed in its steady state.
    # oneDNN (our torch paths) builds a kernel the first time it sees a sequence length, which
    # costs about 2 ms once per length; a service pays that only at its first requests (or at
    # start-up: StancePredictor.warmup()).
    predict(index[:16], 16)
    for i in index[:n_latency]:
        predict([i], 1)
    lat = []
    for i in index[:n_latency]:
        t = time.perf_counter()
        predict([i], 1)
        lat.append(time.perf_counter() - t)
    reps = max(1, -(-n_throughput // len(index)))
    t = time.perf_counter()
    for _ in range(reps):
        scores = predict(index, 64)
    throughput = reps * len(index) / (time.perf_counter() - t)
    result = {
        "path": name,
        "load_s": round(load_s, 2),
        "latency_ms_p50": round(float(np.percentile(lat, 50)) * 1000, 2),
        "latency_ms_p95": round(float(np.percentile(lat, 95)) * 1000, 2),
        "sentences_per_s_b64": round(throughput, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "pred": np.asarray(scores).argmax(1).tolist(),
    }
    if name == "auto":
        result["resolved"] = p.backend_name
    if name != "pipeline-fp32" and getattr(p.backend, "name", "") == "torch":
        result["fast_forward"] = p.backend.fast is not None
    return result


def train_speed(data: str, steps: int, precision: str) -> dict:
    """Trainer examples/s for ``steps`` steps of MiniLM on the training split."""
    import tempfile

    from stanceml.config import DataConfig, ModelConfig, TrainConfig, TrainerConfig
    from stanceml.training.trainer import train

    with tempfile.TemporaryDirectory() as tmp:
        cfg = TrainConfig(run_name="bench", run_dir=tmp, data=DataConfig(output_dir=data, card_path=None),
                          model=ModelConfig(),
                          trainer=TrainerConfig(max_steps=steps, precision=precision, logging_steps=1000))
        m = train(cfg).metrics
    return {"precision": precision, "steps": steps, "examples_per_s": m["train_examples_per_second"],
            "validation_macro_f1": round(m["validation"]["macro_f1"], 4)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "models" / "stance-minilm"))
    ap.add_argument("--data", default=str(ROOT / "data" / "processed" / "gold"))
    ap.add_argument("--latency-n", type=int, default=200)
    ap.add_argument("--throughput-n", type=int, default=1024)
    ap.add_argument("--train-steps", type=int, default=30)
    ap.add_argument("--skip-train", action="store_true")
    ap.add_argument("--paths", default=",".join(PATHS))
    ap.add_argument("--out", default=str(ROOT / "reports" / "bench.json"))
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.one:
        print(json.dumps(run_one(args.one, args.model, args.data, args.latency_n, args.throughput_n)))
        return

    import numpy as np

    from stanceml.io import write_json
    from stanceml.labels import LABELS
    from stanceml.evaluation.metrics import macro_f1

    rows = load_rows(args.data)
    gold = [r["stance"] for r in rows]
    results = []
    for name in args.paths.split(","):
        proc = subprocess.run([sys.executable, __file__, "--one", name, "--model", args.model, "--data", args.data,
                               "--latency-n", str(args.latency_n), "--throughput-n", str(args.throughput_n)],
                              check=False, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"{name}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
            continue
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))

    from transformers import AutoTokenizer

    config = json.loads((Path(args.model) / "config.json").read_text())
    tok = AutoTokenizer.from_pretrained(args.model)
    from stanceml.modeling.inputs import format_pair
    from stanceml.records import rows_to_inputs

    pairs = [format_pair(x) for x in rows_to_inputs(rows)]
    lengths = [len(ids) for ids in tok([p.text for p in pairs], [p.text_pair for p in pairs])["input_ids"]]
    rates = matmul_gflops()
    gflops = max(rates.values())
    per_sentence = float(np.mean([flops_per_sentence(config, n) for n in lengths]))
    limit = gflops * 1e9 / per_sentence

    # Agreement is measured against the plain transformers forward in fp32 (the pipeline).
    ref = next((r for r in results if r["path"] == "pipeline-fp32"), results[0])
    base = next((r for r in results if r["path"] == "pipeline-fp32"), None)
    ref_p = np.array(ref["pred"])
    ref_f1 = macro_f1(gold, [LABELS[i] for i in ref_p])
    for r in results:
        pred = np.array(r.pop("pred"))
        r["agreement_with_fp32"] = round(float(np.mean(pred == ref_p)), 4)
        r["macro_f1"] = round(macro_f1(gold, [LABELS[i] for i in pred]), 4)
        r["macro_f1_delta"] = round(r["macro_f1"] - ref_f1, 4)
        r["share_of_fp32_flop_limit"] = round(r["sentences_per_s_b64"] / limit, 3)
        if base:
            r["speedup_b64_vs_pipeline"] = round(r["sentences_per_s_b64"] / base["sentences_per_s_b64"], 2)
            r["latency_ratio_vs_pipeline"] = round(base["latency_ms_p50"] / r["latency_ms_p50"], 2)

    training = [] if args.skip_train else [train_speed(args.data, args.train_steps, p) for p in ("fp32", "bf16")]
    out = {
        "machine": {"cpus": os.cpu_count(), "fp32_matmul_gflops": rates},
        "inputs": {"n": len(rows), "mean_tokens": round(float(np.mean(lengths)), 1),
                   "gflop_per_sentence": round(per_sentence / 1e9, 3),
                   "fp32_flop_limit_sentences_per_s": round(limit, 1)},
        "inference": results,
        "training": training,
    }
    write_json(args.out, out)
    print(f"fp32 matmul {' / '.join(f'{v:.0f} ({k})' for k, v in rates.items())} GFLOP/s; "
          f"{np.mean(lengths):.1f} tokens/sentence on average; "
          f"fp32 FLOP limit {limit:.0f} sentences/s")
    head = f"{'path':<19}{'load s':>8}{'p50 ms':>8}{'p95 ms':>8}{'sent/s b64':>11}{'x pipe':>8}{'lat x':>7}{'RSS MB':>8}{'agree':>7}{'F1':>7}{'% limit':>8}"
    print(head)
    for r in results:
        label = r["path"] + (f" ({r['resolved']})" if "resolved" in r else "")
        print(f"{label:<19}{r['load_s']:>8.2f}{r['latency_ms_p50']:>8.2f}{r['latency_ms_p95']:>8.2f}"
              f"{r['sentences_per_s_b64']:>11.1f}{r.get('speedup_b64_vs_pipeline', 0):>8.2f}"
              f"{r.get('latency_ratio_vs_pipeline', 0):>7.2f}{r['peak_rss_mb']:>8.0f}{r['agreement_with_fp32']:>7.3f}"
              f"{r['macro_f1']:>7.3f}{100 * r['share_of_fp32_flop_limit']:>7.0f}%")
    for t in training:
        print(f"training {t['precision']}: {t['examples_per_s']} examples/s over {t['steps']} steps")
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()
