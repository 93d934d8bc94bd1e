"""Files in and out: atomic writes, the one JSON-lines reader, the one front-matter parser,
and the located problem (file, line, field, reason) that every reader reports.

Outputs are written to a temporary sibling and renamed into place when complete; a rename
within one file system is atomic, so readers see the old output or the new one, never half.
Temporary files and folders are created with the ordinary modes (0o666 / 0o777, less the
process umask), so a service running as another user can read a model or report; the umask
itself is never changed.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located as precisely as we can."""

    path: str
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        what = f" [{self.field}]" if self.field else ""
        return f"{where}{what}: {self.reason}"


class DataError(ValueError):
    """Raised with every problem found in an input (corpus, JSON lines, export), not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s):\n{shown}{more}")


# ----------------------------------------------------------------------------- reading


def read_text_checked(path: str | Path, problems: list[Problem]) -> str | None:
    """The file's UTF-8 text, or None with a :class:`Problem` naming the line of a bad byte."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        line = path.read_bytes()[: err.start].count(b"\n") + 1
        problems.append(Problem(str(path), line, "", f"not valid UTF-8 ({err.reason} at byte {err.start})"))
    except OSError as err:
        problems.append(Problem(str(path), 0, "", f"cannot read: {err.strerror or err}"))
    return None


def iter_json_objects(raw: str, path: str | Path, problems: list[Problem]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number, object)`` for each non-blank JSON line of ``raw``.

    A malformed line or one that is not a JSON object becomes a :class:`Problem` (file, line)
    and is skipped, so callers can collect every problem in one pass or stop at the first.
    """
    for number, text in enumerate(raw.splitlines(), start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as err:
            problems.append(Problem(str(path), number, "", f"malformed JSON: {err.msg} (column {err.colno})"))
            continue
        if not isinstance(record, dict):
            problems.append(Problem(str(path), number, "", "each line must be a JSON object"))
            continue
        yield number, record


@dataclass
class FrontMatter:
    """A leading ``---`` ... ``---`` block of ``key: value`` lines."""

    #: The ``key: value`` pairs (values without surrounding quotes).
    meta: dict[str, str] = field(default_factory=dict)
    #: Character offset just after the closing ``---`` line; 0 when there is no block.
    end: int = 0
    #: 1-based line number of the closing ``---`` (0 when there is no block).
    end_line: int = 0
    #: ``(line number, text)`` of lines inside the block that are not ``key: value``.
    bad_lines: list[tuple[int, str]] = field(default_factory=list)
    #: False when the text opens with ``---`` but never closes the block.
    closed: bool = True


_FM_LINE = re.compile(r"^[ \t]*---[ \t]*\r?$")


def parse_front_matter(raw: str) -> FrontMatter | None:
    """The front matter of ``raw``, or None when it does not start with a ``---`` line.

    Both the corpus reader (strict: it reports ``bad_lines`` and an unclosed block) and the
    article reader (lenient: it blanks the block out) use this one parser.
    """
    text = raw[1:] if raw.startswith("\ufeff") else raw
    offset = len(raw) - len(text)
    lines = text.split("\n")
    if not lines or not _FM_LINE.match(lines[0]):
        return None
    fm = FrontMatter()
    pos = offset + len(lines[0]) + 1
    for number, line in enumerate(lines[1:], start=2):
        if _FM_LINE.match(line):
            fm.end, fm.end_line = pos + len(line), number
            return fm
        pos += len(line) + 1
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep or not key.strip():
            fm.bad_lines.append((number, line.rstrip("\r")))
            continue
        fm.meta[key.strip()] = value.strip().strip('"').strip("'")
    fm.closed = False
    return fm


def read_json(path: str | Path) -> Any:
    """Read a JSON file."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------- writing


def _recover(path: Path) -> None:
    """Put back a previous output left aside by a run killed between its two renames."""
    if not path.exists():
        olds = sorted(path.parent.glob(f".{path.name}.old-*"), key=lambda p: p.stat().st_mtime)
        if olds:
            os.replace(olds[-1], path)


def _temp_name(path: Path, kind: str) -> Path:
    return path.with_name(f".{path.name}.{kind}-{secrets.token_hex(6)}")


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
    tmp = _temp_name(path, "tmp")
    os.mkdir(tmp, 0o777)  # the umask applies, as for any folder the user creates
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = path.with_name(f".{path.name}.old-{os.getpid()}")
    if path.exists():
        os.replace(path, old)
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_name(path, "tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json(path: str | Path, data: Any) -> None:
    """Write ``data`` as indented UTF-8 JSON, atomically."""
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n")
