"""Run issue 15's ablation table and write it, from the runs' records, into docs/ablation.md.

    python scripts/ablation.py run [--rows base,question] [--seeds 1,2,3]   # train what is missing
    python scripts/ablation.py table [--rows ...] [--seeds ...]             # rewrite the table only

A row is a config in ``configs/experiment/ablation/``; ``run`` trains each (row, seed) whose
run record is missing with ``scripts/train.py experiment=ablation/<row> trainer.seed=<seed>``,
one subprocess at a time, seed by seed (so a cut-short run still leaves whole seeds to compare),
then writes the table. A finished run is never retrained: delete its folder to redo it.
Numbers are validation only; the table is written between the markers in docs/ablation.md and
to reports/ablation.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stanceml.evaluation.ablation import markdown_table, row_summary, run_dir  # noqa: E402
from stanceml.io import atomic_write_text, write_json  # noqa: E402
from stanceml.modeling.models import SPEED_FLAGS, cpu_flags  # noqa: E402
from stanceml.training.run import RUN_STATE  # noqa: E402

ROWS_DIR = ROOT / "configs" / "experiment" / "ablation"
DOC = ROOT / "docs" / "ablation.md"
BEGIN, END = "<!-- ablation-table:begin -->", "<!-- ablation-table:end -->"


def all_rows() -> list[str]:
    """Every row with a config, base first."""
    names = sorted(p.stem for p in ROWS_DIR.glob("*.yaml"))
    return sorted(names, key=lambda n: n != "base")


def train_missing(rows: list[str], seeds: list[int], runs: Path, extra: list[str]) -> None:
    """Train each (row, seed) that has no run record yet; stop at the first failure."""
    for seed in seeds:
        for row in rows:
            if (run_dir(runs, row, seed) / RUN_STATE).exists():
                print(f"[ablation] {row} seed {seed}: done already", flush=True)
                continue
            cmd = [
                sys.executable,
                str(ROOT / "scripts" / "train.py"),
                f"experiment=ablation/{row}",
                f"trainer.seed={seed}",
            ]
            print(f"[ablation] {row} seed {seed}: {' '.join(cmd[1:] + extra)}", flush=True)
            started = time.perf_counter()
            code = subprocess.call(cmd + extra, cwd=ROOT)
            print(f"[ablation] {row} seed {seed}: exit {code} after {time.perf_counter() - started:.0f} s", flush=True)
            if code:
                sys.exit(code)


def write_table(rows: list[str], seeds: list[int], runs: Path) -> str:
    """Summarise the rows, write reports/ablation.json and the table in docs/ablation.md."""
    summaries = [s for row in rows if (s := row_summary(runs, row, seeds))]
    flags = ", ".join(sorted(cpu_flags() & SPEED_FLAGS)) or "none of " + ", ".join(sorted(SPEED_FLAGS))
    table = markdown_table(summaries)
    caption = (
        f"Validation split of corpus v2 (n = {summaries[0]['n_validation'] if summaries else 0}); "
        f"mean (sample sd) over seeds; examples/s over the whole run; precision "
        f"{summaries[0]['precision'] if summaries else '-'}; CPU flags of the machine that wrote the table: {flags}.\n"
    )
    write_json(ROOT / "reports" / "ablation.json", {"cpu_flags": flags, "rows": summaries})
    text = DOC.read_text() if DOC.exists() else f"# Ablation\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{DOC}: the markers {BEGIN} and {END} are missing; put them where the table goes")
    head, rest = text.split(BEGIN, 1)
    atomic_write_text(DOC, f"{head}{BEGIN}\n{table}\n{caption}{END}{rest.split(END, 1)[1]}")
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("action", choices=["run", "table"])
    ap.add_argument("--rows", default=",".join(all_rows()), help="comma-separated rows (default: every config)")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--runs", default=str(ROOT / "outputs"), help="where the runs' folders are")
    ap.add_argument("overrides", nargs="*", help="more Hydra overrides for every run, e.g. trainer.precision=fp32")
    args = ap.parse_args()
    rows, seeds, runs = args.rows.split(","), [int(s) for s in args.seeds.split(",")], Path(args.runs)
    unknown = [r for r in rows if not (ROWS_DIR / f"{r}.yaml").exists()]
    if unknown:
        raise SystemExit(f"no config for row(s) {', '.join(unknown)} in {ROWS_DIR}")
    if args.action == "run":
        train_missing(rows, seeds, runs, args.overrides)
    print(write_table(rows, seeds, runs))
    print(json.dumps({"doc": str(DOC)}))


if __name__ == "__main__":
    main()
