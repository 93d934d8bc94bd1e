"""Fine-tune the stance classifier on the processed dataset.

python scripts/train.py [model=tiny] [experiment=tiny] [trainer.precision=fp32]
"""

from __future__ import annotations

from typing import Any

import _schemas  # first: sets the offline environment before stanceml loads
import hydra

from stanceml.config import TrainConfig
from stanceml.training.trainer import train


@hydra.main(version_base="1.3", config_path=_schemas.CONFIG_DIR, config_name="train")
def main(cfg: Any) -> float:
    conf: TrainConfig = _schemas.to_object(cfg)
    try:
        result = train(conf)
    except (FileNotFoundError, ValueError) as err:
        _schemas.fail(err)
    m = result.metrics
    print(
        f"trained {conf.run_name} in {m['train_seconds']} s ({m['train_examples_per_second']} examples/s, "
        f"{m['precision']}); validation macro-F1 {m['validation']['macro_f1']:.3f} -> {result.model_dir}"
    )
    return m["validation"]["macro_f1"]


if __name__ == "__main__":
    main()
