"""Build the processed dataset and the data card from the corpus.

python scripts/build_dataset.py [data.articles_dir=...] [data.output_dir=...]
"""

from __future__ import annotations

from typing import Any

import _schemas  # first: sets the offline environment before stanceml loads
import hydra

from stanceml.config import BuildConfig
from stanceml.data.dataset import build_dataset
from stanceml.io import DataError


@hydra.main(version_base="1.3", config_path=_schemas.CONFIG_DIR, config_name="build")
def main(cfg: Any) -> int:
    conf: BuildConfig = _schemas.to_object(cfg)
    try:
        card = build_dataset(conf.data)
    except (DataError, ValueError, FileNotFoundError) as err:
        _schemas.fail(err)
    splits = ", ".join(f"{k} {v['triples']}" for k, v in card["splits"].items())
    print(f"dataset -> {conf.data.output_dir}: {splits}")
    if "unseen_target_share" in card["splits"].get("test", {}):  # corpus builds only
        print(
            f"{card['articles']} articles; unseen-target share in test {card['splits']['test']['unseen_target_share']:.1%}"
        )
    return sum(v["triples"] for v in card["splits"].values())


if __name__ == "__main__":
    main()
