"""The run record: one file, ``run.json``, that names a training run and says what made it.

Train writes it inside the saved model folder (``<run_dir>/model/run.json``, in the same
atomic step as the weights) and a copy at ``<run_dir>/run.json``; export reads it from the
model folder and carries its identity into the export's ``stanceml.json``; evaluation and
the predictor read that. So a model, its data hash, seed and metrics can never come from
different runs.
"""

from __future__ import annotations

import subprocess
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from stanceml import __version__
from stanceml.io import read_json, write_json

RUN_STATE = "run.json"


def code_version() -> dict[str, Any]:
    """The stanceml version and, when the code is a git checkout, its commit and whether it
    had uncommitted changes."""
    out: dict[str, Any] = {"stanceml": __version__, "commit": None, "dirty": None}
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return out  # not a checkout (an installed wheel), or no git: the version alone
    out.update(commit=commit, dirty=bool(status.strip()))
    return out


@dataclass
class RunRecord:
    """What ``run.json`` holds."""

    run_name: str
    labels: list[str]
    input_template: dict[str, str]
    max_length: int
    base_model: str
    data_hash: str
    #: The processed dataset folder the run was trained on.
    data_dir: str
    seed: int
    training_config: dict[str, Any]
    metrics: dict[str, Any] = field(default_factory=dict)
    code: dict[str, Any] = field(default_factory=code_version)
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    def identity(self) -> dict[str, Any]:
        """The part an export records as ``run``: name, seed, data hash, code, time."""
        return {
            "run_name": self.run_name,
            "seed": self.seed,
            "data_hash": self.data_hash,
            "code": self.code,
            "created": self.created,
        }

    def save(self, path: str | Path) -> None:
        """Write as JSON, atomically."""
        write_json(path, asdict(self))

    @classmethod
    def load(cls, path: str | Path) -> RunRecord:
        """Read ``run.json`` (a record from before ``seed`` and ``code`` existed reads too)."""
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: train a model first (scripts/train.py)")
        data = read_json(path)
        known = {f.name for f in fields(cls)}
        data.setdefault("seed", data.get("training_config", {}).get("trainer", {}).get("seed", 0))
        try:
            return cls(**{k: v for k, v in data.items() if k in known})
        except TypeError as err:
            raise ValueError(f"{path}: not a stanceml run record ({err})") from None
