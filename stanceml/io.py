"""Writing outputs so that a run killed midway never leaves a half-written result.

Everything is written to a temporary sibling and renamed into place when complete; a
rename within one file system is atomic, so readers see the old output or the new one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator


def _umask_mode(mode: int) -> int:
    # mkdtemp/mkstemp create owner-only files; outputs should get the usual permissions so a
    # service running as another user can read a model or report.
    mask = os.umask(0)
    os.umask(mask)
    return mode & ~mask


def _recover(path: Path) -> None:
    """Put back a previous output left aside by a run killed between its two renames."""
    if not path.exists():
        olds = sorted(path.parent.glob(f".{path.name}.old-*"), key=lambda p: p.stat().st_mtime)
        if olds:
            os.replace(olds[-1], path)


@contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Yield a fresh temporary folder that replaces ``path`` when the block succeeds.

    On an exception the temporary folder is removed and ``path`` is left as it was. The old
    folder is moved aside, the new one renamed in, and the old one deleted; if a run dies
    between the two renames, the next run puts the old folder back first.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _recover(path)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    os.chmod(tmp, _umask_mode(0o777))
    old = path.with_name(f".{path.name}.old-{os.getpid()}")
    if path.exists():
        os.replace(path, old)
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, _umask_mode(0o666))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: str | Path, data: Any) -> None:
    """Write ``data`` as indented UTF-8 JSON, atomically."""
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n")


def read_json(path: str | Path) -> Any:
    """Read a JSON file."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
