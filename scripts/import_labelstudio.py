"""Merge a Label Studio JSON export into the annotation files, validated like the corpus.

    python scripts/import_labelstudio.py export=PATH [articles_dir=DIR] [annotations_dir=DIR] [dry_run=true]

Nothing is written when any task has a problem; every problem is listed with the export
file, the task's position in it, the field and the task id.
"""

from __future__ import annotations

import _schemas
import hydra

from stanceml.config import ImportLabelStudioConfig


@hydra.main(version_base="1.3", config_path=_schemas.CONFIG_DIR, config_name="import_labelstudio")
def main(cfg) -> int:
    from stanceml.corpus import CorpusError
    from stanceml.labelstudio import import_labelstudio

    conf: ImportLabelStudioConfig = _schemas.to_object(cfg)
    try:
        out = import_labelstudio(conf)
    except (CorpusError, ValueError) as err:
        _schemas.fail(err)
    verb = "would add" if conf.dry_run else "added"
    print(f"{out['records']} annotated task(s), {out['skipped']} skipped (cancelled or not annotated)")
    print(f"{verb} {out['added']} triple(s) to {len(out['files'])} file(s) in {conf.annotations_dir}; "
          f"{out['unchanged']} already there")
    return out["added"]


if __name__ == "__main__":
    main()
