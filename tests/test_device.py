"""trainer.device: auto takes a CUDA GPU when torch sees one, cpu and cuda force the choice."""

from __future__ import annotations

import pytest
import torch

from stanceml.config import TrainerConfig
from stanceml.modeling import models
from stanceml.modeling.models import resolve_device, resolve_precision
from stanceml.training.trainer import training_arguments


def test_auto_follows_what_torch_sees(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == "cuda"
    assert resolve_device("cpu") == "cpu"  # forcing the CPU on a GPU machine


def test_cuda_without_a_gpu_is_an_error_not_a_silent_cpu_run(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="trainer.device=cuda.*no CUDA GPU"):
        resolve_device("cuda")


def test_unknown_device_is_named():
    with pytest.raises(ValueError, match="trainer.device must be one of auto, cpu, cuda, got 'gpu'"):
        resolve_device("gpu")


def test_auto_precision_asks_the_device_that_will_run(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: True)
    monkeypatch.setattr(models, "cpu_has_native_bf16", lambda: False)
    assert resolve_precision("auto", "auto") == "bf16"  # the GPU's bf16 units
    assert resolve_precision("auto", "cpu") == "fp32"  # a CPU without them, GPU present or not
    assert resolve_precision("fp32", "cuda") == "fp32"  # an explicit choice is kept


def test_training_arguments_run_on_the_cpu_when_told(tmp_path):
    args = training_arguments(TrainerConfig(device="cpu"), tmp_path, "fp32")
    assert args.use_cpu is True
    assert args.device.type == "cpu"


def test_auto_precision_under_an_avx2_cap_is_fp32(monkeypatch):
    """An ISA cap (the AVX2 emulation) makes bf16 emulated and slow, whatever the CPU has."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(models, "cpu_has_native_bf16", lambda: True)
    monkeypatch.delenv("ATEN_CPU_CAPABILITY", raising=False)
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    assert resolve_precision("auto", "cpu") == "bf16"
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "avx2")
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    assert resolve_precision("auto", "cpu") == "fp32"


def test_cpu_flags_keep_the_asked_order_and_drive_native_bf16(monkeypatch):
    monkeypatch.setattr(models, "_cpuinfo_flags", lambda: frozenset({"avx2", "fpu", "avx512_bf16"}))
    assert models.cpu_flags() == ["avx512_bf16", "avx2"]
    assert models.cpu_flags(("avx2", "amx_bf16")) == ["avx2"]
    assert models.cpu_has_native_bf16()
    monkeypatch.setattr(models, "_cpuinfo_flags", lambda: frozenset({"avx2"}))
    assert not models.cpu_has_native_bf16()
