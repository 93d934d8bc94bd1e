"""Inference backends: the same logits from torch (fp32 or bf16) or ONNX Runtime (fp32 or int8).

A backend takes the tokenizer's numpy batch and returns float32 logits; the predictor does
the rest (batching, softmax, labels), so every backend is scored by the same code.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from stanceml.artifact import INPUT_NAMES, ONNX_DIR, ONNX_FILES, ExportMeta, verify_file
from stanceml.inference.fastbert import as_tensors, fast_forward


class TorchBackend:
    """The classifier in torch, fp32 or bf16, without gradients.

    With ``fast=True`` (the default) a BERT classifier runs through
    :class:`stanceml.fastbert.FastBertClassifier`: the same weights and maths with prepacked
    oneDNN matmuls, fused Q/K/V and a [CLS]-only last layer, checked against the
    transformers forward at load. Other models, or ``fast=False``, run the transformers
    forward (bf16 by converting the model's weights).
    """

    name = "torch"

    def __init__(self, model, precision: str = "fp32", fast: bool = True):
        import torch

        if precision not in ("fp32", "bf16"):
            raise ValueError(f"torch backend precision must be fp32 or bf16, got {precision!r}")
        self.precision = precision
        dtype = torch.bfloat16 if precision == "bf16" else torch.float32
        self.model = model.eval()
        self.fast = fast_forward(self.model, dtype) if fast else None
        if self.fast is None and precision == "bf16":
            self.model = self.model.to(torch.bfloat16)

    def __call__(self, batch: Mapping[str, np.ndarray]) -> np.ndarray:
        import torch

        if self.fast is not None:
            feed = dict(batch)
            ids = np.asarray(feed["input_ids"])
            feed.setdefault("token_type_ids", np.zeros_like(ids))  # as transformers defaults them
            feed.setdefault("attention_mask", np.ones_like(ids))
            return self.fast(**as_tensors(feed, INPUT_NAMES)).numpy()
        with torch.inference_mode():
            out = self.model(**{k: torch.from_numpy(np.asarray(v)) for k, v in batch.items() if k in INPUT_NAMES})
        return out.logits.float().numpy()


#: int8 rows whose two best logits are closer than this are re-run in fp32. The int8 logits
#: differ from fp32 by at most 0.14-0.22 on our validation sets, and 1-1.5% of predictions
#: flip, all of them near-ties; with 0.1 (chosen on validation: the smallest that kept
#: >= 99.9% there) about 5-7% of rows take the second, fp32 pass.
INT8_FALLBACK_MARGIN = 0.1


class OnnxBackend:
    """An ONNX Runtime session over ``onnx/model.onnx`` or its int8 quantization.

    The int8 backend also opens the fp32 graph, when the export has it, and re-runs in fp32
    the rows whose int8 prediction is a near-tie (``fallback_margin``): those are the only
    ones int8 rounding can flip. ``rows`` and ``fallback_rows`` count them.
    """

    name = "onnx"

    def __init__(
        self,
        path: str | Path,
        precision: str = "int8",
        num_threads: int | None = None,
        meta: ExportMeta | None = None,
        fallback_margin: float = INT8_FALLBACK_MARGIN,
    ):
        import onnxruntime as ort  # optional extra (stanceml[onnx]): only the ONNX path needs it

        if precision not in ONNX_FILES:
            raise ValueError(f"onnx backend precision must be one of {sorted(ONNX_FILES)}, got {precision!r}")
        file = Path(path) / ONNX_DIR / ONNX_FILES[precision]
        if not file.exists():
            raise FileNotFoundError(f"{file} is missing: export with onnx=true to add ONNX files")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = num_threads or default_threads()
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL

        def session(name: str) -> Any:
            if meta is not None:  # the file must be the one exported, checksum and all
                verify_file(path, meta, f"{ONNX_DIR}/{name}")
            return ort.InferenceSession(str(Path(path) / ONNX_DIR / name), opts, providers=["CPUExecutionProvider"])

        self.precision = precision
        self.session = session(ONNX_FILES[precision])
        fp32 = Path(path) / ONNX_DIR / ONNX_FILES["fp32"]
        use_fallback = precision == "int8" and fallback_margin > 0 and fp32.exists()
        self.fallback = session(ONNX_FILES["fp32"]) if use_fallback else None
        self.fallback_margin = fallback_margin if use_fallback else 0.0
        self.rows = self.fallback_rows = 0
        self._inputs = [i.name for i in self.session.get_inputs()]

    def __call__(self, batch: Mapping[str, np.ndarray]) -> np.ndarray:
        feed = {name: np.asarray(batch[name], dtype=np.int64) for name in self._inputs}
        logits = np.asarray(self.session.run(None, feed)[0], dtype=np.float32)
        self.rows += len(logits)
        if self.fallback is None or not len(logits):
            return logits
        top2 = np.sort(logits, axis=1)[:, -2:]
        close = np.flatnonzero(top2[:, 1] - top2[:, 0] < self.fallback_margin)
        if len(close):
            sub = {name: value[close] for name, value in feed.items()}
            logits[close] = np.asarray(self.fallback.run(None, sub)[0], dtype=np.float32)
            self.fallback_rows += len(close)
        return logits


def default_threads() -> int:
    """Physical cores where known (hyper-threads slow dense maths), else logical CPUs."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def available_backends(path: str | Path) -> list[str]:
    """Backend keys (``torch-fp32``, ``torch-bf16``, ``onnx-fp32``, ``onnx-int8``) the folder supports."""
    found = ["torch-fp32", "torch-bf16"]
    for precision, file in ONNX_FILES.items():
        if (Path(path) / ONNX_DIR / file).exists():
            found.append(f"onnx-{precision}")
    return found
