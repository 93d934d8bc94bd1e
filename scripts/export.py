"""Export a trained run as a self-contained model folder.

python scripts/export.py [run_name=stance-minilm] [export_dir=models/my-model]
"""

from __future__ import annotations

from typing import Any

import _schemas  # first: sets the offline environment before stanceml loads
import hydra

from stanceml.config import ExportConfig
from stanceml.export.exporter import export_model


@hydra.main(version_base="1.3", config_path=_schemas.CONFIG_DIR, config_name="export")
def main(cfg: Any) -> str:
    conf: ExportConfig = _schemas.to_object(cfg)
    try:
        path = export_model(conf.run_dir, conf.export_dir, onnx=conf.onnx, data_dir=conf.data.output_dir)
    except (FileNotFoundError, ValueError) as err:
        _schemas.fail(err)
    print(f"exported {conf.run_name} -> {path}")
    return str(path)


if __name__ == "__main__":
    main()
