"""Benchmark inference paths and training precision on this machine, side by side.

    python scripts/bench.py [--model models/stance-minilm] [--data data/processed/gold]
                            [--train-steps 30] [--skip-train] [--out reports/bench.json]
                            [--cap-avx2] [--agreement data/articles]

``--cap-avx2`` caps torch, oneDNN and MKL to AVX2 (an AVX2-only CPU, emulated; ONNX
Runtime cannot be capped). ``--agreement ARTICLES_DIR`` instead checks every backend against
the transformers fp32 forward on validation + test + unlabelled candidate triples.

Each inference path runs in its own subprocess (so peak memory and thread settings do not
leak between them) on the same inputs from the test split: the plain
``transformers.pipeline("text-classification")`` in fp32, and each stanceml backend. Prints a
table and writes ``reports/bench.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

#: ``*-plain`` runs the transformers forward instead of stanceml's fast BERT forward, to show its gain.
PATHS = [
    "pipeline-fp32",
    "torch-fp32-plain",
    "torch-fp32",
    "torch-bf16-plain",
    "torch-bf16",
    "onnx-fp32",
    "onnx-int8",
    "openvino-fp32",
    "openvino-int8",
    "auto",
]


def load_rows(data: str) -> list[dict]:
    from stanceml.data.dataset import load_splits

    return load_splits(data)["test"].to_list()


#: Caps torch, oneDNN and MKL to AVX2, to emulate an AVX2-only CPU on a bf16 one
#: (``--cap-avx2``). ONNX Runtime has no such switch: its int8 and fp32 kernels still use
#: AVX-512 / VNNI where the CPU has them, so its figures under the cap are not AVX2 figures.
AVX2_CAP = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"}


def int8_matmul_gops(n: int = 1024, repeat: int = 20) -> float:
    """ONNX Runtime's uint8 x int8 matrix-multiply rate (GOP/s, ``MatMulInteger``, the kernel
    its dynamic int8 graph runs), the int8 counterpart of :func:`matmul_gflops`."""
    import numpy as np
    import onnxruntime as ort
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["a", "b"], ["y"])],
        "mm",
        [helper.make_tensor_value_info("a", TensorProto.UINT8, [n, n]),
         helper.make_tensor_value_info("b", TensorProto.INT8, [n, n])],
        [helper.make_tensor_value_info("y", TensorProto.INT32, [n, n])],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    feed = {"a": rng.integers(0, 255, (n, n), dtype=np.uint8), "b": rng.integers(-127, 127, (n, n), dtype=np.int8)}
    for _ in range(3):
        sess.run(None, feed)
    start = time.perf_counter()
    for _ in range(repeat):
        sess.run(None, feed)
    return round(2 * n**3 * repeat / (time.perf_counter() - start) / 1e9, 1)


def matmul_gflops(n: int = 1024, repeat: int = 20) -> dict[str, float]:
    """This machine's fp32 matrix-multiply rate (GFLOP/s), with torch's default threads, by
    two libraries: ``torch.matmul`` (MKL in the x86 wheels) and oneDNN with a prepacked
    weight (what stanceml's fast forward uses). On AMD CPUs MKL takes a slower code path,
    so the FLOP limit is taken from the faster of the two."""
    import torch

    from stanceml.inference import fastbert

    a, b = torch.randn(n, n), torch.randn(n, n)

    def rate(fn) -> float:
        for _ in range(3):
            fn()
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        return round(2 * n**3 * repeat / (time.perf_counter() - start) / 1e9, 1)

    rates = {"torch_matmul": rate(lambda: a @ b)}
    ok, why = fastbert.mkldnn_status(torch.float32)
    if not ok:
        print(f"warning: no oneDNN rate ({why}); the FLOP limit uses torch.matmul alone", file=sys.stderr)
        return rates
    packed, bias = fastbert.prepack_linear(b.t().contiguous()), torch.zeros(n)
    with torch.inference_mode():
        rates["onednn_packed"] = rate(lambda: fastbert.packed_linear(a, packed, bias))
    return rates


def flops_per_sentence(config: dict, tokens: float) -> float:
    """Forward FLOPs of a BERT encoder for one sentence of ``tokens`` tokens (2 per MAC)."""
    h, layers, inter = config["hidden_size"], config["num_hidden_layers"], config["intermediate_size"]
    dense = layers * (4 * h * h + 2 * h * inter)
    attention = layers * 2 * tokens * h
    return 2 * tokens * (dense + attention)


def _pipeline_path(model: str, items: list) -> Callable[[list[int], int], Any]:
    """The plain ``transformers.pipeline`` in fp32, fed the same marked text pairs."""
    import numpy as np
    from transformers import pipeline

    from stanceml.labels import LABELS
    from stanceml.modeling.inputs import format_pair

    clf = pipeline("text-classification", model=model, top_k=None, device=-1)
    feeds = [{"text": p.text, "text_pair": p.text_pair} for p in (format_pair(x) for x in items)]

    def predict(batch_items: list[int], batch_size: int) -> Any:
        out = clf([feeds[i] for i in batch_items], batch_size=batch_size)
        return np.array([[next(d["score"] for d in o if d["label"] == label) for label in LABELS] for o in out])

    return predict


def _predictor_path(name: str, model: str, items: list) -> tuple[Callable[[list[int], int], Any], Any]:
    """A stanceml backend (``*-plain``: the transformers forward inside our predictor)."""
    from stanceml import StancePredictor
    from stanceml.inference.backends import TorchBackend

    backend, precision = ("auto", "auto") if name == "auto" else name.split("-")[:2]
    p = StancePredictor.from_pretrained(model, backend=backend, precision=precision, batch_size=64)
    if name.endswith("-plain"):
        p.backend = TorchBackend(p.model, precision, fast=False)

    def predict(batch_items: list[int], batch_size: int) -> Any:
        p.batch_size = batch_size
        return p.logits([items[i] for i in batch_items])

    return predict, p


class _OpenVinoRunner:
    """Our ONNX file compiled by OpenVINO for the CPU (an experiment: measured here before it
    could become a backend). Same inputs and logits as the ONNX Runtime backend."""

    name = "openvino"

    def __init__(self, file: Path, precision: str):
        import openvino as ov

        core = ov.Core()
        # f32 held explicitly: on a CPU with bf16 units OpenVINO would otherwise run bf16.
        config = {"INFERENCE_NUM_THREADS": os.cpu_count() or 1, "PERFORMANCE_HINT": "LATENCY",
                  "INFERENCE_PRECISION_HINT": "f32"}  # fmt: skip
        self.compiled = core.compile_model(core.read_model(str(file)), "CPU", config)
        self.request = self.compiled.create_infer_request()
        self.inputs = [i.get_any_name() for i in self.compiled.inputs]
        self.precision = precision

    def __call__(self, batch: Any) -> Any:
        import numpy as np

        feed = {name: np.asarray(batch[name], dtype=np.int64) for name in self.inputs}
        return np.asarray(self.request.infer(feed)[self.compiled.outputs[0]], dtype=np.float32)


def _openvino_path(name: str, model: str, items: list) -> tuple[Callable[[list[int], int], Any], Any]:
    """The predictor's tokenizing and batching, with OpenVINO running the ONNX graph."""
    from stanceml import StancePredictor

    precision = name.split("-")[1]
    p = StancePredictor.from_pretrained(model, backend="onnx", precision="fp32", batch_size=64)
    p.backend = _OpenVinoRunner(Path(model) / "onnx" / f"model{'.int8' if precision == 'int8' else ''}.onnx", precision)

    def predict(batch_items: list[int], batch_size: int) -> Any:
        p.batch_size = batch_size
        return p.logits([items[i] for i in batch_items])

    return predict, p


def _measure(predict: Callable[[list[int], int], Any], n: int, n_latency: int, n_throughput: int) -> dict:
    """Batch-1 latency (p50, p95) and batch-64 throughput, after one untimed pass.

    Why the warm-up: oneDNN (our torch paths) builds a kernel the first time it sees a
    sequence length, about 2 ms once per length; a service pays that only at its first
    requests (or at start-up: StancePredictor.warmup()).
    """
    import numpy as np

    index = list(range(n))
    predict(index[:16], 16)
    for i in index[:n_latency]:
        predict([i], 1)
    lat = []
    for i in index[:n_latency]:
        t = time.perf_counter()
        predict([i], 1)
        lat.append(time.perf_counter() - t)
    reps = max(1, -(-n_throughput // n))
    t = time.perf_counter()
    for _ in range(reps):
        scores = predict(index, 64)
    return {
        "latency_ms_p50": round(float(np.percentile(lat, 50)) * 1000, 2),
        "latency_ms_p95": round(float(np.percentile(lat, 95)) * 1000, 2),
        "sentences_per_s_b64": round(reps * n / (time.perf_counter() - t), 1),
        "pred": np.asarray(scores).argmax(1).tolist(),
    }


def run_one(name: str, model: str, data: str, n_latency: int, n_throughput: int) -> dict:
    """Measure one path in this process; called in a subprocess by ``main``."""
    from stanceml.records import rows_to_inputs

    items = rows_to_inputs(load_rows(data))
    started = time.perf_counter()
    p = None
    if name == "pipeline-fp32":
        predict = _pipeline_path(model, items)
    elif name.startswith("openvino-"):
        predict, p = _openvino_path(name, model, items)
    else:
        predict, p = _predictor_path(name, model, items)
    result = {"path": name, "load_s": round(time.perf_counter() - started, 2)}
    result.update(_measure(predict, len(items), n_latency, n_throughput))
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if p is not None and name == "auto":
        result["resolved"] = p.backend_name
    if p is not None and getattr(p.backend, "name", "") == "torch":
        result["fast_forward"] = p.backend.fast is not None
    if p is not None and getattr(p.backend, "fallback", None) is not None:  # int8 rows re-run in fp32
        result["fp32_fallback_share"] = round(p.backend.fallback_rows / max(1, p.backend.rows), 3)
    if p is not None:
        result["precision"] = p.backend.precision
    return result


def train_speed(data: str, steps: int, precision: str) -> dict:
    """Trainer examples/s for ``steps`` steps of MiniLM on the training split."""
    import tempfile

    from stanceml.config import DataConfig, ModelConfig, TrainConfig, TrainerConfig
    from stanceml.training.trainer import train

    with tempfile.TemporaryDirectory() as tmp:
        cfg = TrainConfig(
            run_name="bench",
            run_dir=tmp,
            data=DataConfig(output_dir=data, card_path=None),
            model=ModelConfig(),
            trainer=TrainerConfig(max_steps=steps, precision=precision, logging_steps=1000),
        )
        m = train(cfg).metrics
    return {
        "precision": precision,
        "steps": steps,
        "examples_per_s": m["train_examples_per_second"],
        "validation_macro_f1": round(m["validation"]["macro_f1"], 4),
    }


def _parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "models" / "stance-minilm"))
    ap.add_argument("--data", default=str(ROOT / "data" / "processed" / "gold"))
    ap.add_argument("--latency-n", type=int, default=200)
    ap.add_argument("--throughput-n", type=int, default=1024)
    ap.add_argument("--train-steps", type=int, default=30)
    ap.add_argument("--skip-train", action="store_true")
    # OpenVINO is not a dependency (it did not pay here: README "Speed"); its paths run where it is installed.
    has_openvino = importlib.util.find_spec("openvino") is not None
    default = [p for p in PATHS if has_openvino or not p.startswith("openvino-")]
    ap.add_argument("--paths", default=",".join(default))
    ap.add_argument("--out", default=str(ROOT / "reports" / "bench.json"))
    ap.add_argument("--agreement", metavar="ARTICLES_DIR", help="only check agreement, adding candidate triples")
    ap.add_argument("--cap-avx2", action="store_true", help="cap torch/oneDNN/MKL to AVX2 (not ONNX Runtime)")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    return ap.parse_args()


def _run_paths(args: argparse.Namespace) -> list[dict]:
    """Each path in its own subprocess, so memory and thread settings do not leak between them."""
    results = []
    for name in args.paths.split(","):
        cmd = [sys.executable, __file__, "--one", name, "--model", args.model, "--data", args.data,
               "--latency-n", str(args.latency_n), "--throughput-n", str(args.throughput_n)]  # fmt: skip
        proc = subprocess.run(cmd, check=False, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"{name}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
            continue
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return results


def _token_lengths(model: str, rows: list[dict]) -> list[int]:
    from transformers import AutoTokenizer

    from stanceml.modeling.inputs import format_pair
    from stanceml.records import rows_to_inputs

    tok = AutoTokenizer.from_pretrained(model)
    pairs = [format_pair(x) for x in rows_to_inputs(rows)]
    return [len(ids) for ids in tok([p.text for p in pairs], [p.text_pair for p in pairs])["input_ids"]]


def _score_paths(results: list[dict], gold: list[str], limit: float, int8_limit: float) -> None:
    """Agreement with the plain transformers forward in fp32 (the pipeline), F1, and ratios."""
    import numpy as np

    from stanceml.evaluation.metrics import macro_f1
    from stanceml.labels import LABELS

    base = next((r for r in results if r["path"] == "pipeline-fp32"), None)
    ref_p = np.array((base or results[0])["pred"])
    ref_f1 = macro_f1(gold, [LABELS[i] for i in ref_p])
    for r in results:
        pred = np.array(r.pop("pred"))
        r["agreement_with_fp32"] = round(float(np.mean(pred == ref_p)), 4)
        r["macro_f1"] = round(macro_f1(gold, [LABELS[i] for i in pred]), 4)
        r["macro_f1_delta"] = round(r["macro_f1"] - ref_f1, 4)
        r["share_of_fp32_flop_limit"] = round(r["sentences_per_s_b64"] / limit, 3)
        if r.get("precision") == "int8":  # the int8 path's own limit: ONNX Runtime's int8 matmul rate
            r["share_of_int8_op_limit"] = round(r["sentences_per_s_b64"] / int8_limit, 3)
        if base:
            r["speedup_b64_vs_pipeline"] = round(r["sentences_per_s_b64"] / base["sentences_per_s_b64"], 2)
            r["latency_ratio_vs_pipeline"] = round(base["latency_ms_p50"] / r["latency_ms_p50"], 2)


def _print_table(out: dict) -> None:
    rates, inputs = out["machine"]["fp32_matmul_gflops"], out["inputs"]
    print(f"CPU: {out['machine']['cpu']}; {out['machine']['dispatch']}")
    print(
        f"fp32 matmul {' / '.join(f'{v:.0f} ({k})' for k, v in rates.items())} GFLOP/s; "
        f"int8 matmul {out['machine']['int8_matmul_gops']:.0f} GOP/s (onnxruntime); "
        f"{inputs['mean_tokens']:.1f} tokens/sentence on average; "
        f"fp32 FLOP limit {inputs['fp32_flop_limit_sentences_per_s']:.0f} sentences/s"
    )
    print(f"{'path':<19}{'load s':>8}{'p50 ms':>8}{'p95 ms':>8}{'sent/s b64':>11}{'x pipe':>8}{'lat x':>7}"
          f"{'RSS MB':>8}{'agree':>7}{'F1':>7}{'% limit':>8}")  # fmt: skip
    for r in out["inference"]:
        label = r["path"] + (f" ({r['resolved']})" if "resolved" in r else "")
        print(
            f"{label:<19}{r['load_s']:>8.2f}{r['latency_ms_p50']:>8.2f}{r['latency_ms_p95']:>8.2f}"
            f"{r['sentences_per_s_b64']:>11.1f}{r.get('speedup_b64_vs_pipeline', 0):>8.2f}"
            f"{r.get('latency_ratio_vs_pipeline', 0):>7.2f}{r['peak_rss_mb']:>8.0f}{r['agreement_with_fp32']:>7.3f}"
            f"{r['macro_f1']:>7.3f}{100 * r['share_of_fp32_flop_limit']:>7.0f}%"
            + (f"  int8 limit {100 * r['share_of_int8_op_limit']:.0f}%" if "share_of_int8_op_limit" in r else "")
            + (f"  fp32 re-run {100 * r['fp32_fallback_share']:.1f}%" if "fp32_fallback_share" in r else "")
        )
    for t in out["training"]:
        print(f"training {t['precision']}: {t['examples_per_s']} examples/s over {t['steps']} steps")


def cpu_kind() -> str:
    """The CPU flags that decide which paths are fast here (bf16 units or AVX2 only)."""
    from stanceml.modeling.models import cpu_flags

    return ", ".join(cpu_flags(("amx_bf16", "avx512_bf16", "avx512f", "avx2"))) or "no AVX2"


def agreement(model: str, data: str, articles: str) -> dict:
    """Every backend against the transformers fp32 forward on the validation and test triples
    plus the unlabelled candidate triples of their articles (F1 on the labelled ones)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from stanceml.artifact import read_meta
    from stanceml.data.dataset import load_splits
    from stanceml.export.checks import candidate_inputs, check_backends
    from stanceml.labels import LABELS
    from stanceml.records import rows_to_inputs

    splits = load_splits(data)
    rows = splits["validation"].to_list() + splits["test"].to_list()
    items = rows_to_inputs(rows) + candidate_inputs(articles, rows)
    meta = read_meta(model)
    net = AutoModelForSequenceClassification.from_pretrained(model, local_files_only=True, use_safetensors=True)
    tok = AutoTokenizer.from_pretrained(model, local_files_only=True)
    gold = [LABELS.index(r["stance"]) for r in rows]
    report = check_backends(model, net, tok, meta.input_template, meta.max_length, items, gold)
    return {"n": len(items), "labelled": len(rows), "backends": report}


def dispatch() -> str:
    """What the libraries may use here: torch's kernel level and any ISA caps in force."""
    import torch

    caps = [f"{k}={os.environ[k]}" for k in AVX2_CAP if k in os.environ]
    level = torch.backends.cpu.get_cpu_capability()
    return f"torch {level}" + (f", capped: {' '.join(caps)} (onnxruntime not capped)" if caps else ", not capped")


def main() -> None:
    args = _parse_args()
    if args.cap_avx2 and any(os.environ.get(k) != v for k, v in AVX2_CAP.items()):
        # Re-run with the caps in the environment: the libraries read them once, at load.
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, **AVX2_CAP})
    if args.one:
        print(json.dumps(run_one(args.one, args.model, args.data, args.latency_n, args.throughput_n)))
        return
    import numpy as np

    from stanceml.io import write_json

    if args.agreement:
        report = agreement(args.model, args.data, args.agreement)
        print(f"{report['n']} triples ({report['labelled']} labelled: validation + test)")
        for key, b in report["backends"].items():
            print(
                f"{key:<12} agreement {b['agreement_with_fp32']:.4f}  macro-F1 {b['macro_f1']:.4f} ({b['macro_f1_delta']:+.4f})"
            )
        write_json(args.out, report)
        return
    rows = load_rows(args.data)
    results = _run_paths(args)
    lengths = _token_lengths(args.model, rows)
    config = json.loads((Path(args.model) / "config.json").read_text())
    rates = matmul_gflops()
    per_sentence = float(np.mean([flops_per_sentence(config, n) for n in lengths]))
    limit = max(rates.values()) * 1e9 / per_sentence
    int8_rate = int8_matmul_gops()
    _score_paths(results, [r["stance"] for r in rows], limit, int8_rate * 1e9 / per_sentence)
    training = [] if args.skip_train else [train_speed(args.data, args.train_steps, p) for p in ("fp32", "bf16")]
    out = {
        "machine": {
            "cpus": os.cpu_count(),
            "cpu": cpu_kind(),
            "dispatch": dispatch(),
            "fp32_matmul_gflops": rates,
            "int8_matmul_gops": int8_rate,
        },
        "inputs": {
            "n": len(rows),
            "mean_tokens": round(float(np.mean(lengths)), 1),
            "gflop_per_sentence": round(per_sentence / 1e9, 3),
            "fp32_flop_limit_sentences_per_s": round(limit, 1),
        },
        "inference": results,
        "training": training,
    }
    write_json(args.out, out)
    _print_table(out)
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()
