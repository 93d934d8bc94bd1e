"""The scoring run: stream items through a step (the model, or nothing), write rows and
errors, checkpoint, resume.

Files of a run writing ``OUT``:

- ``OUT.partial`` (a file, or a folder for Parquet) while it runs; renamed to ``OUT`` when
  every row is done, so ``OUT`` is always a whole output.
- ``OUT.progress.json``: after each durable write, the input position reached, the partial
  output's and the errors file's lengths, and the counts. ``resume=True`` cuts both files
  back to what it records and reads on from its position: rows written after the last
  checkpoint (a kill between a write and its checkpoint) are cut and scored again, so
  nothing is lost or repeated. Removed when the run completes.
- ``OUT.errors.jsonl``: one object per unusable row (``row``, ``line``, ``field``,
  ``reason``, ``source``, ``record``); a log that grows during the run, removed at the end
  when no row failed.

Each output row is the input record (a field named like an output column is kept as
``input_<name>``), then ``input_row`` (the row's 1-based position in the input: its id),
``stance``, ``score`` and ``prob_<label>`` for each label.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from stanceml.io import Problem, atomic_write_text
from stanceml.labels import LABELS
from stanceml.score.formats import Item, Position, ScoreError, Source
from stanceml.score.writers import JsonlWriter, Writer, open_writer

PROGRESS_VERSION = 1
#: Exit codes of a run (see :attr:`ScoreSummary.exit_code`).
EXIT_OK, EXIT_ROWS_FAILED, EXIT_STOPPED = 0, 3, 4
#: Rows read and written per step (the model sees them as one ``predict`` call).
DEFAULT_CHUNK_ROWS = 1024
#: A step turns a chunk of items into output rows and error entries.
Step = Callable[[list[Item]], tuple[list[dict[str, Any]], list[dict[str, Any]]]]


def output_fields(labels: Sequence[str] = LABELS) -> tuple[str, ...]:
    """The columns a score run adds after the input's."""
    return ("input_row", "stance", "score", *(f"prob_{label}" for label in labels))


def progress_path(output: Path) -> Path:
    """The checkpoint file of a run writing ``output``."""
    return output.with_name(output.name + ".progress.json")


def errors_path(output: Path) -> Path:
    """The errors file of a run writing ``output``."""
    return output.with_name(output.name + ".errors.jsonl")


def error_entry(item: Item, problem: Problem | None = None, source: str = "") -> dict[str, Any]:
    """The errors-file object for an unusable item."""
    p = problem or item.problem
    return {
        "row": item.row,
        "line": item.line or None,
        "field": p.field if p else "",
        "reason": p.reason if p else "unknown",
        "source": (p.path if p else "") or source,
        "record": item.record,
    }


@dataclass
class ScoreSummary:
    """What a run did; :attr:`exit_code` is what the command exits with."""

    output: str
    errors: str
    rows: int = 0
    written: int = 0
    failed: int = 0
    resumed_at: int = 0
    stopped: bool = False
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        """0: every row written; 3: done, but some rows failed; 4: stopped at ``max_errors``."""
        if self.stopped:
            return EXIT_STOPPED
        return EXIT_ROWS_FAILED if self.failed else EXIT_OK

    def describe(self) -> str:
        """One line for the terminal."""
        rate = (self.rows - self.resumed_at) / self.seconds if self.seconds > 0 else 0.0
        done = "stopped early (max errors reached)" if self.stopped else f"-> {self.output}"
        failed = f", {self.failed} failed -> {self.errors}" if self.failed else ""
        resumed = f" (resumed after row {self.resumed_at})" if self.resumed_at else ""
        return f"{self.written} rows written{failed}, {self.rows} read{resumed} in {self.seconds:.1f} s ({rate:.1f} rows/s) {done}"


class Sink:
    """Output, errors file and checkpoint of one run (see the module docstring)."""

    def __init__(self, output: str | Path, fmt: str, source: Source, resume: bool = False, part_rows: int = 1024):
        self.output = Path(output)
        self.part_rows = part_rows
        self.fmt = fmt
        self.progress = progress_path(self.output)
        self.fingerprint = source.fingerprint()
        self.summary = ScoreSummary(str(self.output), str(errors_path(self.output)))
        self.position = Position()
        self.columns: list[str] | None = None
        self.writer: Writer | None = None
        self._states: tuple[int | None, int | None] = (None, None)
        if resume and self.progress.exists():
            self._load()
        elif self.progress.exists():
            raise ScoreError(
                f"{self.progress}: an earlier run writing {self.output} did not finish; "
                "pass --resume to continue it, or delete that file to start again"
            )
        self.errors = JsonlWriter(errors_path(self.output), self._states[1])
        if self.columns is not None:
            self.writer = open_writer(self.fmt, self.output, self._states[0], self.columns, part_rows)

    def _load(self) -> None:
        state = json.loads(self.progress.read_text(encoding="utf-8"))
        if state.get("version") != PROGRESS_VERSION or state.get("format") != self.fmt:
            raise ScoreError(f"{self.progress}: written for another output format or version; cannot resume")
        if state.get("input") != self.fingerprint:
            raise ScoreError(f"{self.progress}: the input changed since the interrupted run; cannot resume")
        self.position = Position(**state["position"])
        self.columns = state["columns"]
        self._states = (state["output_state"], state["errors_state"])
        s = self.summary
        s.rows, s.written, s.failed = self.position.row, state["written"], state["failed"]
        s.resumed_at = self.position.row

    def add(self, rows: list[dict[str, Any]], errors: list[dict[str, Any]], position: Position) -> None:
        """Write one step's rows and errors; checkpoint when the writer is at a whole part."""
        if self.writer is None and rows:
            self.columns = list(dict.fromkeys(k for r in rows for k in r))
            self.writer = open_writer(self.fmt, self.output, None, self.columns, self.part_rows)
        if self.writer is not None:
            self.writer.write(rows)
        self.errors.write(errors)
        self.summary.written += len(rows)
        self.summary.failed += len(errors)
        self.summary.rows = position.row
        self.position = position
        if self.writer is None or self.writer.ready():
            self.commit()

    def commit(self) -> None:
        """Make what was written durable, then record it in the progress file."""
        out_state = self.writer.flush() if self.writer is not None else None
        state = {
            "version": PROGRESS_VERSION,
            "format": self.fmt,
            "input": self.fingerprint,
            "position": asdict(self.position),
            "columns": self.columns,
            "output_state": out_state,
            "errors_state": self.errors.flush(),
            "written": self.summary.written,
            "failed": self.summary.failed,
        }
        atomic_write_text(self.progress, json.dumps(state) + "\n")

    def finish(self) -> None:
        """Move the complete output into place and remove the run's scratch files."""
        self.commit()
        if self.writer is None:  # no row was written: an empty output of the format
            self.columns = []
            self.writer = open_writer(self.fmt, self.output, None, [])
        self.writer.finish(self.output)
        self.errors.close()
        if not self.summary.failed:
            errors_path(self.output).unlink(missing_ok=True)
        self.progress.unlink()

    def stop(self) -> None:
        """Checkpoint and close, keeping the partial output and progress for a resume."""
        self.commit()
        if self.writer is not None:
            self.writer.close()
        self.errors.close()


def chunks(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    """``items`` in lists of ``size``."""
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def run(
    source: Source,
    step: Step,
    output: str | Path,
    fmt: str,
    *,
    resume: bool = False,
    max_errors: int | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: bool | None = None,
) -> ScoreSummary:
    """Stream ``source`` through ``step`` into ``output`` (see the module docstring).

    Args:
        max_errors: stop (resumably) at the end of the step in which more than this many
            rows have failed; None: never stop.
        progress: show a progress bar (rows/s, ETA); None: only on a terminal.
    """
    if chunk_rows < 1:
        raise ScoreError("chunk_rows must be at least 1")
    sink = Sink(output, fmt, source, resume, part_rows=chunk_rows)
    started = time.perf_counter()
    total = source.count()
    with tqdm(
        total=total, initial=sink.position.row, unit="rows", disable=None if progress is None else not progress
    ) as bar:
        for chunk in chunks(source.items(sink.position), chunk_rows):
            rows, errors = step(chunk)
            sink.add(rows, errors, chunk[-1].position)
            bar.update(len(chunk))
            if max_errors is not None and sink.summary.failed > max_errors:
                sink.stop()
                sink.summary.stopped = True
                break
        else:
            sink.finish()
    sink.summary.seconds = time.perf_counter() - started
    return sink.summary


def output_row(record: dict[str, Any], row: int, prediction: dict[str, Any], added: Sequence[str]) -> dict[str, Any]:
    """The input record (fields named like ``added`` renamed ``input_<name>``), then ``prediction``."""
    out = {(f"input_{k}" if k in added else k): v for k, v in record.items()}
    out["input_row"] = row
    out.update(prediction)
    return out


def predictor_step(predictor: Any, source: str = "") -> Step:
    """The step that scores a chunk with ``predictor`` (one ``predict`` call).

    A row whose actor does not occur in its sentence is an error ("actor not found"), not a
    prediction: the predictor would answer it unmarked (``actor_found=False``), and a table
    of stances should not hold a guess about a name the sentence never mentions.
    """
    labels = tuple(predictor.labels)
    added = output_fields(labels)

    def step(chunk: list[Item]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        good = [it for it in chunk if it.problem is None and it.record is not None]
        preds = predictor.predict([it.record for it in good]) if good else []
        rows, errors = [], [error_entry(it) for it in chunk if it.problem is not None]
        for it, pred in zip(good, preds):
            if not pred.actor_found:
                errors.append(error_entry(it, Problem(source, it.line, "actor", "actor not found in the sentence")))
                continue
            scores = {"stance": pred.stance, "score": round(pred.score, 6)}
            scores.update({f"prob_{label}": round(pred.probs[label], 6) for label in labels})
            rows.append(output_row(it.record or {}, it.row, scores, added))
        errors.sort(key=lambda e: e["row"])
        return rows, errors

    return step


def passthrough_step(chunk: list[Item]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The step that writes records as they are (``stanceml candidates``)."""
    rows = [it.record for it in chunk if it.problem is None and it.record is not None]
    return rows, [error_entry(it) for it in chunk if it.problem is not None]
