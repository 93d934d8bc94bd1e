"""Inference backends: the same logits from torch (fp32 or bf16) or ONNX Runtime (fp32 or int8).

A backend takes the tokenizer's numpy batch and returns float32 logits; the predictor does
the rest (batching, softmax, labels), so every backend is scored by the same code.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

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


class OnnxBackend:
    """An ONNX Runtime session over ``onnx/model.onnx`` or its int8 quantization."""

    name = "onnx"

    def __init__(
        self, path: str | Path, precision: str = "int8", num_threads: int | None = None, meta: ExportMeta | None = None
    ):
        import onnxruntime as ort  # optional extra (stanceml[onnx]): only the ONNX path needs it

        if precision not in ONNX_FILES:
            raise ValueError(f"onnx backend precision must be one of {sorted(ONNX_FILES)}, got {precision!r}")
        file = Path(path) / ONNX_DIR / ONNX_FILES[precision]
        if not file.exists():
            raise FileNotFoundError(f"{file} is missing: export with onnx=true to add ONNX files")
        if meta is not None:  # the file must be the one exported, checksum and all
            verify_file(path, meta, f"{ONNX_DIR}/{ONNX_FILES[precision]}")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = num_threads or default_threads()
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.precision = precision
        self.session = ort.InferenceSession(str(file), sess_options=opts, providers=["CPUExecutionProvider"])
        self._inputs = [i.name for i in self.session.get_inputs()]

    def __call__(self, batch: Mapping[str, np.ndarray]) -> np.ndarray:
        feed = {name: np.asarray(batch[name], dtype=np.int64) for name in self._inputs}
        return np.asarray(self.session.run(None, feed)[0], dtype=np.float32)


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
