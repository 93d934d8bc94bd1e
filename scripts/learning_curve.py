"""Learning curve: validation macro-F1 of the model and TF-IDF on growing shares of training.

python scripts/learning_curve.py [fractions=[0.25,0.5,1.0]] [seeds=[1,2]] [data=...]
"""

from __future__ import annotations

from typing import Any

import _schemas  # first: sets the offline environment before stanceml loads
import hydra

from stanceml.config import LearningCurveConfig
from stanceml.evaluation.learning_curve import learning_curve, render_curve


@hydra.main(version_base="1.3", config_path=_schemas.CONFIG_DIR, config_name="learning_curve")
def main(cfg: Any) -> float:
    conf: LearningCurveConfig = _schemas.to_object(cfg)
    try:
        out = learning_curve(conf)
    except (FileNotFoundError, ValueError) as err:
        _schemas.fail(err)
    print(render_curve(out), end="")
    print(f"-> {conf.output}")
    return out["summary"][-1]["model_mean"]


if __name__ == "__main__":
    main()
