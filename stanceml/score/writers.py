"""Write scored rows to JSON lines, CSV or Parquet, durably and resumably.

A writer fills a *partial* output next to the final one (``OUT.partial``: a file for JSON
lines and CSV, a folder of Parquet part files for Parquet). :meth:`Writer.flush` makes what
was written durable and returns its *state* (bytes written, or parts written), which the
run records in its progress file; a writer reopened with that state first cuts away anything
written after it (a run killed between a write and its checkpoint), so a resumed run neither
loses nor repeats a row. :meth:`Writer.finish` moves the complete output into place with a
rename, so the final path only ever holds a whole output.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from stanceml.score.formats import ScoreError

#: Most rows per row group of a finished Parquet output (parts are merged up to this).
ROW_GROUP_ROWS = 65536


class Writer(Protocol):
    """Where rows go; see the module docstring."""

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Add rows (buffered until :meth:`flush` where the format needs it)."""
        ...

    def ready(self) -> bool:
        """Whether this is a good moment to flush and checkpoint."""
        ...

    def flush(self) -> int:
        """Make everything written durable; returns the state to resume from."""
        ...

    def finish(self, final: Path) -> None:
        """Flush, close and move the whole output to ``final``."""
        ...

    def close(self) -> None:
        """Flush and close, leaving the partial output for a resume."""
        ...


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)  # dates and timestamps from Parquet


def _fsync(fh: Any) -> None:
    fh.flush()
    os.fsync(fh.fileno())


class _ByteWriter:
    """Appends encoded rows to one file; the state is its length in bytes."""

    def __init__(self, path: Path, state: int | None):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        if state is None:
            self.fh: BinaryIO = open(path, "w+b")  # noqa: SIM115 (kept open for the whole run)
        else:
            if not path.exists() or path.stat().st_size < state:
                raise ScoreError(f"{path}: shorter than the progress file says ({state} bytes); cannot resume")
            self.fh = open(path, "r+b")  # noqa: SIM115
            self.fh.truncate(state)
            self.fh.seek(state)

    def ready(self) -> bool:
        """Always: every write is whole rows."""
        return True

    def flush(self) -> int:
        """fsync and return the byte length."""
        _fsync(self.fh)
        return self.fh.tell()

    def close(self) -> None:
        """Flush and close."""
        if not self.fh.closed:
            self.flush()
            self.fh.close()

    def finish(self, final: Path) -> None:
        """Close and rename into place."""
        self.close()
        os.replace(self.path, final)


class JsonlWriter(_ByteWriter):
    """One JSON object per line."""

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Append rows."""
        if rows:
            text = "".join(json.dumps(r, ensure_ascii=False, default=_json_default) + "\n" for r in rows)
            self.fh.write(text.encode("utf-8"))


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=_json_default)
    return value


class CsvWriter(_ByteWriter):
    """CSV with a header; lists and objects are written as JSON, nulls as empty values."""

    def __init__(self, path: Path, state: int | None, columns: list[str]):
        super().__init__(path, state)
        self.columns = columns
        if state is None:
            self._write_rows([columns])

    def _write_rows(self, rows: list[list[Any]]) -> None:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        self.fh.write(buf.getvalue().encode("utf-8"))

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Append rows (keys not in the header are dropped)."""
        if rows:
            self._write_rows([[_cell(r.get(c)) for c in self.columns] for r in rows])


def _schema_of(rows: list[dict[str, Any]]) -> pa.Schema:
    """The schema pyarrow infers from ``rows``, with all-null columns typed as strings."""
    schema = pa.Table.from_pylist(rows).schema
    fields = [pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f for f in schema]
    return pa.schema(fields)


class ParquetPartsWriter:
    """Parquet part files in a folder, merged into one file at the end.

    The schema comes from the first rows written (or the first part, on a resume); later
    rows are cast to it, and a value that does not fit is an error naming the column.
    """

    def __init__(self, folder: Path, state: int | None, part_rows: int):
        self.folder, self.part_rows = folder, part_rows
        self.rows: list[dict[str, Any]] = []
        self.parts = state or 0
        if state is None:
            shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        for extra in folder.glob("part-*.parquet"):
            if int(extra.stem.split("-")[1]) >= self.parts:
                extra.unlink()  # written after the last checkpoint
        first = folder / self._name(0)
        self.schema: pa.Schema | None = pq.read_schema(first) if self.parts and first.exists() else None

    @staticmethod
    def _name(index: int) -> str:
        return f"part-{index:06d}.parquet"

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Buffer rows."""
        self.rows += rows

    def ready(self) -> bool:
        """When a part's worth of rows is buffered."""
        return len(self.rows) >= self.part_rows

    def flush(self) -> int:
        """Write the buffered rows as one part (through a temporary name); returns the part count."""
        if self.rows:
            if self.schema is None:
                self.schema = _schema_of(self.rows)
            try:
                table = pa.Table.from_pylist(self.rows, schema=self.schema)
            except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
                raise ScoreError(f"cannot write a row to Parquet with the schema of the first rows: {err}") from None
            path = self.folder / self._name(self.parts)
            tmp = path.with_name(f".{path.name}.tmp")
            pq.write_table(table, tmp)
            os.replace(tmp, path)
            self.parts += 1
            self.rows = []
        return self.parts

    def close(self) -> None:
        """Write what is buffered."""
        self.flush()

    def finish(self, final: Path) -> None:
        """Merge the parts into ``final``, in row groups of up to :data:`ROW_GROUP_ROWS` rows
        (memory holds one row group)."""
        self.flush()
        tmp = final.with_name(f".{final.name}.tmp")
        schema = self.schema or pa.schema([])
        with pq.ParquetWriter(tmp, schema) as out:
            group: list[pa.Table] = []
            for index in range(self.parts):
                group.append(pq.read_table(self.folder / self._name(index), schema=schema))
                if sum(t.num_rows for t in group) >= ROW_GROUP_ROWS:
                    out.write_table(pa.concat_tables(group), row_group_size=ROW_GROUP_ROWS)
                    group = []
            if group:
                out.write_table(pa.concat_tables(group), row_group_size=ROW_GROUP_ROWS)
        os.replace(tmp, final)
        shutil.rmtree(self.folder, ignore_errors=True)


def partial_path(output: Path) -> Path:
    """Where a run writes before its output is complete."""
    return output.with_name(output.name + ".partial")


def open_writer(fmt: str, output: Path, state: int | None, columns: list[str], part_rows: int = 1024) -> Writer:
    """A writer of ``fmt`` filling :func:`partial_path` of ``output`` (``state``: resume from it;
    ``part_rows``: rows per Parquet part file, one checkpoint each)."""
    partial = partial_path(output)
    if fmt == "jsonl":
        return JsonlWriter(partial, state)
    if fmt == "csv":
        return CsvWriter(partial, state, columns)
    if fmt == "parquet":
        return ParquetPartsWriter(partial, state, part_rows)
    raise ScoreError(f"unknown output format {fmt!r}")
