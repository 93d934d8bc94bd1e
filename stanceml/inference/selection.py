"""Which backend runs an export on this machine: the user's request, or ``auto``."""

from __future__ import annotations

import logging
from pathlib import Path

from stanceml.artifact import ExportMeta
from stanceml.inference.backends import available_backends
from stanceml.inference.fastbert import supports_config
from stanceml.io import read_json
from stanceml.modeling.models import bf16_dispatch_allowed

log = logging.getLogger(__name__)


def choose_backend(path: str | Path, meta: ExportMeta, native_bf16: bool, fast_torch: bool = True) -> str:
    """The fastest backend that this export has, this machine runs natively, and that kept
    accuracy when checked at export time (``meta.backends[key]["ok"]``).

    Order: torch bf16 (only with native bf16 units) > ONNX int8 > torch fp32. ONNX fp32 comes
    before torch fp32 only where the model cannot run stanceml's fast BERT forward
    (``fast_torch=False``): with it, torch fp32 was 1.7x faster than ONNX fp32 at batch 64
    and had lower batch-1 latency on our benchmark machine (README, "Speed").
    """
    checked = meta.backends
    have = set(available_backends(path))
    order = (["torch-bf16"] if native_bf16 else []) + ["onnx-int8"] + ([] if fast_torch else ["onnx-fp32"])
    for key in order:
        if key in have and checked.get(key, {}).get("ok"):
            log.info("auto chose %s: first of %s present and within the accuracy bar at export", key, order)
            return key
    log.info("auto chose torch-fp32: none of %s is present and within the accuracy bar at export", order)
    return "torch-fp32"


def resolve_backend(path: str | Path, meta: ExportMeta, backend: str, precision: str, native_bf16: bool) -> str:
    """Turn the user's (backend, precision) request into one backend key (``torch-fp32``, ...)."""
    if backend not in ("auto", "torch", "onnx"):
        raise ValueError(f"backend must be auto, torch or onnx, got {backend!r}")
    if precision not in ("auto", "fp32", "bf16", "int8"):
        raise ValueError(f"precision must be auto, fp32, bf16 or int8, got {precision!r}")
    native_bf16 = native_bf16 and bf16_dispatch_allowed()
    if backend == "auto" and precision == "auto":
        fast_torch = supports_config(read_json(Path(path) / "config.json"))
        return choose_backend(path, meta, native_bf16, fast_torch)
    if backend == "auto":
        backend = "onnx" if precision == "int8" else "torch"
    if precision == "auto":
        if backend == "torch":
            ok = meta.backends.get("torch-bf16", {}).get("ok")
            precision = "bf16" if native_bf16 and ok else "fp32"
        else:
            precision = "int8" if "onnx-int8" in available_backends(path) else "fp32"
    if (backend, precision) in (("torch", "int8"), ("onnx", "bf16")):
        raise ValueError(f"{backend} does not run {precision}")
    return f"{backend}-{precision}"
