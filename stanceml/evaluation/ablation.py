"""The ablation table of docs/ablation.md, built from training runs' records (``run.json``).

Each row is an experiment config (``configs/experiment/ablation/<row>.yaml``) trained once per
seed into ``<runs>/ablation-<row>-s<seed>/``. A row's numbers are the mean and sample sd over
its seeds of *validation* scores; the test split is never read here, so the table can be used
to choose (README: choose on validation, report test once).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stanceml.io import read_json
from stanceml.labels import LABELS
from stanceml.training.run import RUN_STATE


def run_dir(runs: str | Path, row: str, seed: int) -> Path:
    """Where one row's run for one seed lives (the experiment configs' ``run_name``)."""
    return Path(runs) / f"ablation-{row}-s{seed}"


def _mean_sd(values: Sequence[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def row_summary(runs: str | Path, row: str, seeds: Sequence[int]) -> dict[str, Any] | None:
    """Validation macro-F1 and per-class F1 (mean, sd), examples/s and wall time of one row,
    over the seeds whose run finished; None when none has."""
    records = [read_json(p) for s in seeds if (p := run_dir(runs, row, s) / RUN_STATE).exists()]
    if not records:
        return None
    val = [r["metrics"]["validation"] for r in records]
    f1, f1_sd = _mean_sd([v["macro_f1"] for v in val])
    per_class = {c: statistics.fmean(v["per_class"][c]["f1"] for v in val) for c in LABELS}
    return {
        "row": row,
        "seeds": [r["seed"] for r in records],
        "macro_f1": round(f1, 4),
        "macro_f1_sd": round(f1_sd, 4),
        "per_class_f1": {c: round(x, 4) for c, x in per_class.items()},
        "examples_per_s": round(statistics.fmean(r["metrics"]["run_examples_per_second"] for r in records), 1),
        "train_seconds": round(statistics.fmean(r["metrics"]["train_seconds"] for r in records), 1),
        "precision": records[0]["metrics"]["precision"],
        "n_validation": val[0]["n"],
    }


def markdown_table(summaries: Sequence[dict[str, Any]], reference: str = "base") -> str:
    """The table as Markdown, one line per row, with each row's difference from ``reference``."""
    ref = next((s["macro_f1"] for s in summaries if s["row"] == reference), None)
    lines = [
        "| row | seeds | validation macro-F1 (sd) | vs base | F1 support / oppose / neutral | examples/s | train s |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in summaries:
        delta = f"{s['macro_f1'] - ref:+.3f}" if ref is not None and s["row"] != reference else ""
        pc = " / ".join(f"{s['per_class_f1'][c]:.3f}" for c in LABELS)
        lines.append(
            f"| {s['row']} | {len(s['seeds'])} | {s['macro_f1']:.3f} ({s['macro_f1_sd']:.3f}) | {delta} | {pc} "
            f"| {s['examples_per_s']:.1f} | {s['train_seconds']:.0f} |"
        )
    return "\n".join(lines) + "\n"
