"""Add ONNX files to an export folder.

``torch.onnx.export`` (the dynamo exporter, which needs ``onnxscript``) writes the fp32
graph; :mod:`stanceml.export.int8` writes the int8 one (smoothed, calibrated on training
triples, then ONNX Runtime's ``quantize_dynamic``).
:mod:`stanceml.export.checks` then scores them against the transformers fp32 forward.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from stanceml.artifact import INPUT_NAMES, ONNX_DIR, ONNX_FILES
from stanceml.modeling.inputs import tokenize_inputs
from stanceml.records import StanceInput

#: Training triples the int8 graph is calibrated on (activation maxima, per-layer error).
CALIBRATION_TRIPLES = 128

#: Loggers of the exporter and quantizer that print every step at INFO or a hint at WARNING.
_CHATTY = ("torch.onnx", "onnx_ir", "onnxscript", "onnxruntime", "")


@contextmanager
def _quiet_loggers(names: tuple[str, ...] = _CHATTY) -> Iterator[None]:
    """Raise these loggers to ERROR for the block, then put their levels back."""
    loggers = [logging.getLogger(n) if n else logging.getLogger() for n in names]
    levels = [lg.level for lg in loggers]
    try:
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def calibration_batches(
    tokenizer: Any,
    items: Sequence[StanceInput],
    template: Mapping[str, str] | None,
    max_length: int,
    n: int = CALIBRATION_TRIPLES,
    size: int = 32,
) -> list[dict[str, np.ndarray]]:
    """The first ``n`` items tokenized as the predictor does, in padded batches of ``size``."""
    batches = []
    for start in range(0, min(n, len(items)), size):
        enc, _ = tokenize_inputs(tokenizer, items[start : min(start + size, n)], template, max_length)
        padded = tokenizer.pad({k: enc[k] for k in INPUT_NAMES if k in enc}, padding=True, return_tensors="np")
        batches.append({k: np.asarray(v, dtype=np.int64) for k, v in padded.items()})
    return batches


def export_onnx(
    model: Any, tokenizer: Any, folder: str | Path, opset: int = 18, calibration: list[Any] | None = None
) -> dict[str, Any]:
    """Write ``onnx/model.onnx`` (fp32) and ``onnx/model.int8.onnx`` into ``folder``.

    Args:
        calibration: tokenized training batches (:func:`calibration_batches`) for the int8
            graph; without them it is plain dynamic int8.

    Returns the two paths and ``quantization``: how the int8 graph was made.
    """
    import torch

    from stanceml.export.int8 import quantize_int8

    out = Path(folder) / ONNX_DIR
    out.mkdir(parents=True, exist_ok=True)

    class LogitsOnly(torch.nn.Module):
        """ONNX wants tensors out, not a ModelOutput."""

        def __init__(self, inner: Any):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).logits

    sample = tokenizer(
        ["An example sentence for tracing.", "Short."], ["actor ; target", "a ; b"], padding=True, return_tensors="pt"
    )
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("sequence")
    fp32 = out / ONNX_FILES["fp32"]
    model = model.float().eval()
    # The exporter's passes log every step at INFO, which Hydra's root logger would print, and
    # quantize_dynamic logs a pre-processing hint at WARNING; levels are restored afterwards.
    with warnings.catch_warnings(), _quiet_loggers():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            LogitsOnly(model),
            tuple(sample[n] for n in INPUT_NAMES),
            str(fp32),
            input_names=list(INPUT_NAMES),
            output_names=["logits"],
            dynamic_shapes={n: {0: batch, 1: seq} for n in INPUT_NAMES},
            dynamo=True,
            opset_version=opset,
            external_data=False,
        )
        int8 = out / ONNX_FILES["int8"]
        info = quantize_int8(fp32, int8, calibration or [])
    return {"fp32": fp32, "int8": int8, "quantization": info}
