"""Read triples to score from JSON lines, CSV or Parquet, one record at a time.

Every reader is a :class:`Source`: it yields :class:`Item` objects in input order, each with
its row number (the 1-based position among the input's records: the id a resumed run skips
by), the line it starts on, and either the record or the :class:`~stanceml.io.Problem` that
makes it unusable (not UTF-8, malformed JSON, a missing or empty field). Nothing reads the
whole file: text formats are read line by line from a byte offset, Parquet batch by batch
through pyarrow, so memory does not grow with the input.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pyarrow.parquet as pq

from stanceml.io import Problem
from stanceml.records import check_fields

FORMATS = ("jsonl", "csv", "parquet")
_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
#: The input fields the model reads; the rest of a record is carried to the output as it is.
MODEL_FIELDS = ("sentence", "actor", "target", "span", "span_start", "span_end")
_PARQUET_READ_ROWS = 4096


class ScoreError(ValueError):
    """A problem that stops a scoring run (unreadable input, a resume that does not fit)."""


@dataclass(frozen=True)
class Position:
    """How far a reader got: rows and lines consumed, and the byte offset after them."""

    row: int = 0
    line: int = 0
    offset: int | None = None


@dataclass(frozen=True)
class Item:
    """One input record (or the reason it cannot be used), where it came from."""

    row: int
    line: int
    record: dict[str, Any] | None
    problem: Problem | None = None
    offset: int | None = None

    @property
    def position(self) -> Position:
        """The reader's position just after this item."""
        return Position(self.row, self.line, self.offset)


class Source(Protocol):
    """Anything that yields :class:`Item` objects from a position (see the module docstring)."""

    path: str

    def count(self) -> int | None:
        """How many rows the input holds (an estimate for text), or None when unknown."""
        ...

    def fingerprint(self) -> dict[str, Any]:
        """What identifies this input, so that a resume refuses a changed one."""
        ...

    def items(self, start: Position) -> Iterator[Item]:
        """The items after ``start``, in input order."""
        ...


def detect_format(path: str | Path, given: str | None = None) -> str:
    """``given``, or the format named by the file's suffix (``.jsonl``, ``.csv``, ``.parquet``)."""
    if given:
        if given not in FORMATS:
            raise ScoreError(f"unknown format {given!r}; use one of {list(FORMATS)}")
        return given
    fmt = _SUFFIXES.get(Path(path).suffix.lower())
    if fmt is None:
        raise ScoreError(f"{path}: cannot tell the format from the suffix; give --format ({'|'.join(FORMATS)})")
    return fmt


def check_record(record: dict[str, Any], where: str, line: int) -> Problem | None:
    """The first problem with the model's fields of ``record`` (a null counts as missing)."""
    fields = {k: record[k] for k in MODEL_FIELDS if record.get(k) is not None}
    problems: list[Problem] = []
    check_fields(fields, where, line, problems)
    return problems[0] if problems else None


def file_fingerprint(path: str | Path) -> dict[str, Any]:
    """Path, size and modification time of a file."""
    st = os.stat(path)
    return {"path": str(Path(path).resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def count_lines(path: str | Path) -> int:
    """Newlines in a file (plus one for a last line without one), read in 1 MiB blocks."""
    n, last = 0, b"\n"
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            n += block.count(b"\n")
            last = block[-1:]
    return n + (last != b"\n")


class JsonlSource:
    """JSON lines: one object per line; blank lines are skipped and are not rows."""

    def __init__(self, path: str | Path):
        self.path = str(path)

    def count(self) -> int | None:
        """The number of lines (blank ones included)."""
        return count_lines(self.path)

    def fingerprint(self) -> dict[str, Any]:
        """See :meth:`Source.fingerprint`."""
        return file_fingerprint(self.path)

    def items(self, start: Position) -> Iterator[Item]:
        """See :meth:`Source.items`."""
        row, line, offset = start.row, start.line, start.offset or 0
        with open(self.path, "rb") as fh:
            fh.seek(offset)
            for raw in fh:
                line += 1
                offset += len(raw)
                if not raw.strip():
                    continue
                row += 1
                record, problem = self._parse(raw, line)
                yield Item(row, line, record, problem, offset)

    def _parse(self, raw: bytes, line: int) -> tuple[dict[str, Any] | None, Problem | None]:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            return None, Problem(self.path, line, "", f"not valid UTF-8 ({err.reason} at byte {err.start} of the line)")
        try:
            record = json.loads(text)
        except json.JSONDecodeError as err:
            return None, Problem(self.path, line, "", f"malformed JSON: {err.msg} (column {err.colno})")
        if not isinstance(record, dict):
            return None, Problem(self.path, line, "", "each line must be a JSON object")
        return record, check_record(record, self.path, line)


class _Lines:
    """Decoded lines of a binary file that remember the offset and line number reached.

    Bad bytes are kept as surrogates (``surrogateescape``) so that one bad line does not
    stop the CSV parser; the record that holds them is reported instead.
    """

    def __init__(self, fh: Any, offset: int, line: int):
        self.fh, self.offset, self.line = fh, offset, line

    def __iter__(self) -> Iterator[str]:
        for raw in self.fh:
            self.offset += len(raw)
            self.line += 1
            yield raw.decode("utf-8", "surrogateescape")


def _utf8_ok(values: list[str]) -> bool:
    try:
        "".join(values).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class CsvSource:
    """CSV with a header line; every value is a string, except ``span_start``/``span_end``
    (whole numbers; empty means none). Blank lines are skipped."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        with open(self.path, "rb") as fh:
            lines = _Lines(fh, 0, 0)
            header = next(csv.reader(lines), None)
            self._body = (lines.offset, lines.line)
        if not header:
            raise ScoreError(f"{self.path}:1: the CSV file has no header line")
        if not _utf8_ok(header):
            raise ScoreError(f"{self.path}:1: the header is not valid UTF-8")
        self.columns = [h.strip() for h in header]

    def count(self) -> int | None:
        """Lines after the header (a quoted value with line breaks makes this an overestimate)."""
        return max(0, count_lines(self.path) - self._body[1])

    def fingerprint(self) -> dict[str, Any]:
        """See :meth:`Source.fingerprint`."""
        return file_fingerprint(self.path)

    def items(self, start: Position) -> Iterator[Item]:
        """See :meth:`Source.items`."""
        offset, line = (start.offset, start.line) if start.offset else self._body
        row = start.row
        with open(self.path, "rb") as fh:
            fh.seek(offset)
            lines = _Lines(fh, offset, line)
            first = line + 1
            for values in csv.reader(lines):
                if values:
                    row += 1
                    record, problem = self._record(values, first)
                    yield Item(row, first, record, problem, lines.offset)
                first = lines.line + 1

    def _record(self, values: list[str], line: int) -> tuple[dict[str, Any] | None, Problem | None]:
        if not _utf8_ok(values):
            return None, Problem(self.path, line, "", "not valid UTF-8")
        if len(values) != len(self.columns):
            return None, Problem(self.path, line, "", f"expected {len(self.columns)} values, got {len(values)}")
        record: dict[str, Any] = dict(zip(self.columns, values))
        for key in ("span_start", "span_end"):
            value = record.get(key)
            if isinstance(value, str):
                value = value.strip()
                if not value:
                    record[key] = None
                elif value.lstrip("-").isdigit():
                    record[key] = int(value)
        return record, check_record(record, self.path, line)


class ParquetSource:
    """A Parquet file, read a batch at a time; the row number is also the "line"."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        try:
            self._file = pq.ParquetFile(self.path)
        except Exception as err:  # pyarrow raises several types for a file that is not Parquet
            raise ScoreError(f"{self.path}: cannot read as Parquet: {err}") from None
        self.columns = list(self._file.schema_arrow.names)

    def count(self) -> int | None:
        """Rows, from the file's metadata."""
        return int(self._file.metadata.num_rows)

    def fingerprint(self) -> dict[str, Any]:
        """See :meth:`Source.fingerprint`."""
        return file_fingerprint(self.path)

    def items(self, start: Position) -> Iterator[Item]:
        """See :meth:`Source.items`."""
        seen = 0
        for batch in self._file.iter_batches(batch_size=_PARQUET_READ_ROWS):
            if seen + batch.num_rows <= start.row:
                seen += batch.num_rows
                continue
            skip = max(0, start.row - seen)
            for i, record in enumerate(batch.slice(skip).to_pylist(), start=seen + skip + 1):
                yield Item(i, i, record, check_record(record, self.path, i))
            seen += batch.num_rows


def open_source(path: str | Path, fmt: str | None = None) -> Source:
    """The reader for ``path`` in ``fmt`` (default: from its suffix)."""
    if not Path(path).is_file():
        raise ScoreError(f"{path}: no such file")
    kind = detect_format(path, fmt)
    if kind == "jsonl":
        return JsonlSource(path)
    if kind == "csv":
        return CsvSource(path)
    return ParquetSource(path)
