"""The whole of `make run` after the install, under one progress bar with an ETA.

python scripts/run_pipeline.py [--model minilm] [--python .venv/bin/python]

Runs build, train, export, evaluate, predict and analyse as the same commands the Makefile's
step targets run, each in its own process (so a failing step stops the run with its own exit
status and message). The bar counts seconds: each step's expected length is what it took on
this machine last time (``outputs/pipeline_times.json``), or a rough first-run guess, so the
ETA is honest about being an estimate. When a step ends, the bar moves to its true end.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from tqdm.auto import tqdm

from stanceml.modeling import models

ROOT = Path(__file__).resolve().parents[1]
TIMES = ROOT / "outputs" / "pipeline_times.json"
#: First-run guesses in seconds (a 2-core CPU; training dominates): only used until a run is timed.
GUESS = {"build": 10, "train": 420, "export": 90, "evaluate": 60, "predict": 15, "analyze": 30}


def steps(model: str, python: str) -> list[tuple[str, list[str]]]:
    """The pipeline's steps, in order, as (name, command)."""
    bin_dir = Path(python).parent
    export = f"models/stance-{model}"
    return [
        ("build", [python, "scripts/build_dataset.py"]),
        ("train", [python, "scripts/train.py", f"model={model}"]),
        ("export", [python, "scripts/export.py", f"model={model}"]),
        ("evaluate", [python, "scripts/evaluate.py", f"model={model}"]),
        ("predict", [str(bin_dir / "stanceml"), "predict", "--model", export, "--input", "data/samples/triples.jsonl"]),
        (
            "analyze",
            [
                str(bin_dir / "stanceml"),
                "analyze",
                "data/samples/article.md",
                "--model",
                export,
                "--target",
                "Ukraine's invitation to NATO",
            ],
        ),
    ]


def cpu_flags() -> str:
    """The CPU features that decide training speed, as the run detected them."""
    return ", ".join(models.cpu_flags()) or "none of " + "/".join(models.SPEED_FLAGS)


def _expected(key: str) -> dict[str, float]:
    try:
        return {**GUESS, **json.loads(TIMES.read_text()).get(key, {})}
    except (OSError, ValueError):
        return dict(GUESS)


def _tick(bar: tqdm, base: float, cap: float, t0: float, done: threading.Event) -> None:
    """Advance the bar with the clock while a step runs, never past the step's expected end
    (a step that overruns its estimate holds the bar there until it ends)."""
    while not done.wait(1.0):
        target = min(base + time.perf_counter() - t0, cap - 1)
        if target > bar.n:
            bar.update(target - bar.n)


def run(model: str, python: str) -> int:
    """Run every step; returns the first failing step's exit status, else 0."""
    key = f"{model} on {os.cpu_count()} cores, {cpu_flags()}"
    expected = _expected(key)
    print(f"== make run: model {model}; CPU flags: {cpu_flags()}; {os.cpu_count()} cores ==", flush=True)
    taken: dict[str, float] = {}
    plan = steps(model, python)
    total = sum(expected[name] for name, _ in plan)
    # The bar writes to stderr; each step's own output goes to stdout as usual.
    # Redrawn every second on a terminal, every 30 s into a log file (CI, nohup).
    bar = tqdm(
        total=round(total),
        unit="s",
        desc="make run",
        bar_format="{l_bar}{bar}| {elapsed} < ~{remaining}",
        mininterval=1.0 if sys.stderr.isatty() else 30.0,
    )
    done_s = 0.0
    for i, (name, cmd) in enumerate(plan, 1):
        bar.set_description(f"make run [{i}/{len(plan)} {name}]")
        tqdm.write(f"== step {i}/{len(plan)}: {name}: {' '.join(cmd)}")
        done, t0 = threading.Event(), time.perf_counter()
        ticker = threading.Thread(target=_tick, args=(bar, done_s, done_s + expected[name], t0, done), daemon=True)
        ticker.start()
        rc = subprocess.call(cmd, cwd=ROOT)
        done.set()
        ticker.join()
        taken[name] = time.perf_counter() - t0
        if rc != 0:
            bar.close()
            print(f"make run: step {name} failed with exit status {rc}", file=sys.stderr)
            return rc
        done_s += expected[name]
        bar.total = round(done_s + sum(expected[n] for n, _ in plan[i:]))
        bar.update(max(0.0, done_s - bar.n))
    bar.close()
    _save(key, taken)
    print(
        f"== make run done in {sum(taken.values()):.0f} s: "
        + ", ".join(f"{n} {s:.0f} s" for n, s in taken.items())
        + " =="
    )
    return 0


def _save(key: str, taken: dict[str, float]) -> None:
    """Record this run's step times for the next run's ETA (written whole, then renamed)."""
    try:
        data = json.loads(TIMES.read_text())
    except (OSError, ValueError):
        data = {}
    data[key] = {n: round(s, 1) for n, s in taken.items()}
    TIMES.parent.mkdir(parents=True, exist_ok=True)
    tmp = TIMES.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(TIMES)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="minilm", help="model config name (configs/model/NAME.yaml)")
    ap.add_argument("--python", default=sys.executable, help="the interpreter of the project's venv")
    args = ap.parse_args()
    sys.exit(run(args.model, args.python))


if __name__ == "__main__":
    main()
