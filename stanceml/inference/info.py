"""``stanceml info``: what this machine offers and which backend ``auto`` runs an export on.

A user on an unfamiliar CPU should not have to read the benchmark to know why a model runs in
int8 rather than bf16; this prints the facts ``auto`` decides from, in one place.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import sys
from pathlib import Path
from typing import Any

from stanceml.inference.backends import available_backends
from stanceml.inference.predictor import StancePredictor
from stanceml.inference.selection import bf16_dispatch_allowed
from stanceml.modeling.models import SPEED_FLAGS, cpu_flags, cpu_has_native_bf16

PACKAGES = ("stanceml", "torch", "transformers", "onnxruntime", "openvino")


def machine_facts() -> dict[str, Any]:
    """CPU flags, cores, bf16 support and package versions, as a JSON-friendly dict."""
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cpu_flags": cpu_flags(),
        "cores": os.cpu_count(),
        "native_bf16": cpu_has_native_bf16(),
        "bf16_allowed": bf16_dispatch_allowed(),
        "versions": versions,
    }


def model_facts(path: str | Path) -> dict[str, Any]:
    """The backends an export holds, their export-time check, and what ``auto`` runs here."""
    predictor = StancePredictor.from_pretrained(path)  # reads and checks stanceml.json once
    return {
        "model": str(path),
        "available": sorted(available_backends(path)),
        "checked_at_export": predictor.meta.backends,
        "auto": predictor.backend_name,
        "why": predictor.backend_reason,
    }


def format_info(machine: dict[str, Any], model: dict[str, Any] | None) -> str:
    """The facts as the short text ``stanceml info`` prints."""
    v = machine["versions"]
    lines = [
        f"cpu: {machine['cores']} cores, flags {', '.join(machine['cpu_flags']) or 'none of ' + '/'.join(SPEED_FLAGS)}",
        f"bf16 units: {'yes' if machine['native_bf16'] else 'no'}"
        + ("" if machine["bf16_allowed"] else " (held below bf16 by ATEN_CPU_CAPABILITY / ONEDNN_MAX_CPU_ISA)"),
        "packages: " + ", ".join(f"{k} {v[k] or '-'}" for k in PACKAGES),
    ]
    if model:
        lines += [f"model: {model['model']}", f"  auto runs: {model['auto']} ({model['why']})"]
        for key in model["available"]:
            c = model["checked_at_export"].get(key)
            check = (
                f"agreement with fp32 {c['agreement_with_fp32']:.4f} on {c['n']} validation triples, "
                f"macro-F1 {c['macro_f1_delta']:+.4f}, {'ok' if c.get('ok') else 'rejected'}"
                if c
                else "not checked at export"
            )
            lines.append(f"  {key:<11} {check}")
    return "\n".join(lines) + "\n"


def cmd_info(args: argparse.Namespace) -> int:
    """Print the machine's facts and, with ``--model``, the backend ``auto`` picks."""
    machine = machine_facts()
    model = model_facts(args.model) if args.model else None
    if args.json:
        sys.stdout.write(json.dumps({"machine": machine, "model": model}, indent=2) + "\n")
    else:
        sys.stdout.write(format_info(machine, model))
    return 0


def add_info_parser(sub: Any) -> None:
    """Register ``stanceml info`` on the CLI's subparsers."""
    p = sub.add_parser("info", help="CPU flags, package versions and the backend auto picks for a model")
    p.add_argument("--model", help="an export folder: list its backends and what auto runs here")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=cmd_info)
