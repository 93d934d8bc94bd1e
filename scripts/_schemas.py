"""Register the typed config schemas in Hydra's ConfigStore (shared by the scripts).

Composing a YAML against these dataclasses makes a misspelt key or a wrong type fail at
compose time with the key's name, before any work starts.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, NoReturn

ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = str(ROOT / "configs")
# Paths in configs/paths/default.yaml hang off this, so runs write to the project however
# they are started; set STANCEML_ROOT yourself to write elsewhere (tests do).
os.environ.setdefault("STANCEML_ROOT", str(ROOT))
# Progress bars of datasets' map/save flood the logs of short runs; training logs its own progress.
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
# Nothing may reach a model hub (the library loads with local_files_only=True as well).
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(ROOT))

from hydra.core.config_store import ConfigStore  # noqa: E402

from stanceml.config import (  # noqa: E402
    BuildConfig,
    CandidatesConfig,
    EvaluateConfig,
    ExportConfig,
    ImportLabelStudioConfig,
    LearningCurveConfig,
    TrainConfig,
)

cs = ConfigStore.instance()
cs.store(name="build_schema", node=BuildConfig)
cs.store(name="train_schema", node=TrainConfig)
cs.store(name="export_schema", node=ExportConfig)
cs.store(name="evaluate_schema", node=EvaluateConfig)
cs.store(name="learning_curve_schema", node=LearningCurveConfig)
# The Label Studio round trip (scripts/candidates.py, scripts/import_labelstudio.py).
cs.store(name="candidates_schema", node=CandidatesConfig)
cs.store(name="import_labelstudio_schema", node=ImportLabelStudioConfig)


def to_object(cfg: Any) -> Any:
    """Hydra's DictConfig -> the typed dataclass the library takes."""
    from omegaconf import OmegaConf

    return OmegaConf.to_object(cfg)


def fail(err: Exception) -> NoReturn:
    """Exit non-zero with a clean message (no traceback) for a user error."""
    raise SystemExit(f"error: {err}")
