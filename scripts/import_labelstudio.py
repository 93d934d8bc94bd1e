"""Merge a Label Studio JSON export into the annotation files, validated like the corpus.

    python scripts/import_labelstudio.py export=PATH [articles_dir=DIR] [annotations_dir=DIR] [dry_run=true]

Nothing is written when any task has a problem; every problem is listed with the export
file, the task's position in it, the field and the task id.
"""

from __future__ import annotations

from typing import Any

import _schemas  # first: sets the offline environment before stanceml loads
import hydra

from stanceml.config import ImportLabelStudioConfig
from stanceml.data.labelstudio.importer import import_labelstudio
from stanceml.io import DataError


@hydra.main(version_base="1.3", config_path=_schemas.CONFIG_DIR, config_name="import_labelstudio")
def main(cfg: Any) -> int:
    conf: ImportLabelStudioConfig = _schemas.to_object(cfg)
    try:
        out = import_labelstudio(conf)
    except (DataError, ValueError) as err:
        _schemas.fail(err)
    verb = "would add" if conf.dry_run else "added"
    print(f"{out['records']} annotated task(s), {out['skipped']} skipped (cancelled or not annotated)")
    print(
        f"{verb} {out['added']} triple(s) to {len(out['files'])} file(s) in {conf.annotations_dir}; "
        f"{out['unchanged']} already there"
    )
    return out["added"]


if __name__ == "__main__":
    main()
