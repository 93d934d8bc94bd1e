"""Label Studio tasks for unlabelled articles, pre-labelled by the rule baseline.

    python scripts/candidates.py articles=data/incoming targets='[the tariff,the merger]' [output=PATH]

Writes the tasks JSON (import it in Label Studio) and labeling_config.xml beside it (paste
it under Settings -> Labeling Interface -> Code).
"""

from __future__ import annotations

from typing import Any

import _schemas  # first: sets the offline environment before stanceml loads
import hydra

from stanceml.config import CandidatesConfig
from stanceml.data.labelstudio.tasks import make_candidates
from stanceml.evaluation.baselines import RuleBaseline
from stanceml.io import DataError
from stanceml.text.actors import GazetteerError


@hydra.main(version_base="1.3", config_path=_schemas.CONFIG_DIR, config_name="candidates")
def main(cfg: Any) -> int:
    conf: CandidatesConfig = _schemas.to_object(cfg)
    try:
        out = make_candidates(conf, RuleBaseline.from_config(conf.baseline))
    except (DataError, GazetteerError, ValueError) as err:
        _schemas.fail(err)
    print(f"{out['tasks']} tasks from {out['articles']} article(s) -> {out['output']}")
    print(f"pre-labels {out['pre_labels']}; labeling interface -> {out['labeling_config']}")
    return out["tasks"]


if __name__ == "__main__":
    main()
