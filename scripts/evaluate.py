"""Evaluate an exported model and the baselines on held-out data.

python scripts/evaluate.py [model_dir=DIR] [eval_data=PATH] [report_dir=DIR]
"""

from __future__ import annotations

from typing import Any

import _schemas  # first: sets the offline environment before stanceml loads
import hydra

from stanceml.artifact import ModelLoadError
from stanceml.config import EvaluateConfig
from stanceml.evaluation.evaluate import evaluate
from stanceml.io import DataError


@hydra.main(version_base="1.3", config_path=_schemas.CONFIG_DIR, config_name="evaluate")
def main(cfg: Any) -> float:
    conf: EvaluateConfig = _schemas.to_object(cfg)
    try:
        out = evaluate(conf)
    except (DataError, ModelLoadError, FileNotFoundError) as err:
        _schemas.fail(err)
    print(f"evaluated {conf.model_dir} on {out['n']} triples -> {conf.report_dir}")
    print(f"{'system':<16} {'accuracy':>9} {'macro-F1':>9}")
    for name, m in out["systems"].items():
        print(f"{name:<16} {m['accuracy']:>9.3f} {m['macro_f1']:>9.3f}")
    return out["systems"]["model"]["macro_f1"]


if __name__ == "__main__":
    main()
