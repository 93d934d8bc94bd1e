"""Score with Ray Data: read with ``ray.data``, one :class:`StancePredictor` per actor.

The pipeline: ``ray.data.read_parquet`` / ``read_json`` / ``read_csv`` -> ``map_batches``
with :class:`RayScorer`, a callable class that Ray runs as ``workers`` actors of
``cpus_per_worker`` CPUs each, every one loading the model once -> rows streamed back to the
driver in input order (``preserve_order``), which writes them with the same writers,
errors file and exit code as the local engine. The model folder's files are put in Ray's
object store once and written to a temporary folder on each actor's node, so workers need no
shared file system for the model.

Why the driver writes: scoring a row costs milliseconds of model time, writing it
microseconds, so one writer keeps up with many workers, and the output is one file with
the local engine's rows and ``input_row`` ids (a Ray ``write_parquet`` would give a folder
of files in no fixed order).

Ray is an optional extra (``pip install 'stanceml[ray]'``). It is imported when a run starts,
not when this module is imported: importing ray sets an environment variable, and importing
any stanceml module must change no global state.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from stanceml.artifact import read_meta
from stanceml.inference.predictor import StancePredictor
from stanceml.io import Problem
from stanceml.score.formats import CsvSource, Item, Position, ScoreError, check_record, detect_format, open_source
from stanceml.score.run import DEFAULT_CHUNK_ROWS, ScoreSummary, Step, error_entry, output_fields, output_row, run

#: Columns a worker adds to a batch (prefixed, so they never collide with an input column
#: such as a gold ``stance``); the driver turns them into the output's columns.
PREFIX = "__stanceml_"
ERROR_COLUMN, FIELD_COLUMN = f"{PREFIX}error", f"{PREFIX}field"
RAY_EXTRA = "pip install 'stanceml[ray]'"


def import_ray() -> Any:
    """The ``ray`` module with ``ray.data``, or an ImportError that names the extra."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as err:
        raise ImportError(f"the Ray engine needs ray[data] ({err}); install it with: {RAY_EXTRA}") from None
    return ray


def model_files(model_dir: str | Path) -> dict[str, bytes]:
    """Every file of an export folder, by relative path (what is shipped to the workers)."""
    root = Path(model_dir)
    if not (root / "stanceml.json").is_file():
        raise ScoreError(f"{root}: not an export folder (no stanceml.json)")
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


class RayScorer:
    """The ``map_batches`` callable: one predictor per Ray actor, loaded in ``__init__``."""

    def __init__(self, files: list[Any], backend: str = "auto", batch_size: int = 64, num_threads: int | None = None):
        ray = import_ray()
        self.folder = Path(tempfile.mkdtemp(prefix="stanceml-model-"))
        atexit.register(shutil.rmtree, self.folder, True)
        # The object reference comes wrapped in a list so that Ray does not resolve it on the
        # driver side: each actor fetches the model bytes from the object store itself.
        for rel, data in ray.get(files[0]).items():
            target = self.folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        self.predictor = StancePredictor.from_pretrained(
            self.folder, backend=backend, batch_size=batch_size, num_threads=num_threads
        )
        self.labels = tuple(self.predictor.labels)

    def __call__(self, table: pa.Table) -> pa.Table:
        """The batch with the prediction columns (null) and an error column (null when fine)."""
        records = table.to_pylist()
        problems = [check_record(r, "", 0) for r in records]
        good = [i for i, p in enumerate(problems) if p is None]
        preds = self.predictor.predict([records[i] for i in good]) if good else []
        n = len(records)
        cols: dict[str, list[Any]] = {k: [None] * n for k in ("stance", "score", *(f"prob_{x}" for x in self.labels))}
        error: list[str | None] = [p.reason if p else None for p in problems]
        field: list[str | None] = [p.field if p else None for p in problems]
        for i, pred in zip(good, preds):
            if not pred.actor_found:
                error[i], field[i] = "actor not found in the sentence", "actor"
                continue
            cols["stance"][i], cols["score"][i] = pred.stance, round(pred.score, 6)
            for label in self.labels:
                cols[f"prob_{label}"][i] = round(pred.probs[label], 6)
        for name, values in cols.items():
            table = table.append_column(
                PREFIX + name, pa.array(values, pa.string() if name == "stance" else pa.float64())
            )
        table = table.append_column(ERROR_COLUMN, pa.array(error, pa.string()))
        return table.append_column(FIELD_COLUMN, pa.array(field, pa.string()))


def _read(ray: Any, path: str, fmt: str) -> Any:
    # Reads take no CPU reservation: they are I/O, and with every CPU held by a scoring actor
    # (2 workers on 2 cores) a read task that asks for one is never scheduled.
    if fmt == "parquet":
        return ray.data.read_parquet(path, num_cpus=0)
    if fmt == "jsonl":
        return ray.data.read_json(path, lines=True, num_cpus=0)
    # Every CSV value is a string, as in the local engine (no type guessing per block).
    columns = CsvSource(path).columns
    convert = pacsv.ConvertOptions(column_types=dict.fromkeys(columns, pa.string()), strings_can_be_null=False)
    return ray.data.read_csv(path, convert_options=convert, num_cpus=0)


class RaySource:
    """The rows of ``path`` scored by Ray, as a :class:`~stanceml.score.formats.Source` whose
    records carry the prediction and error columns (row count and identity: the local reader's)."""

    def __init__(self, dataset: Any, path: str | Path, fmt: str, chunk_rows: int):
        self.dataset, self.chunk_rows = dataset, chunk_rows
        self.local = open_source(path, fmt)
        self.path = str(path)

    def count(self) -> int | None:
        """See :meth:`stanceml.score.formats.Source.count`."""
        return self.local.count()

    def fingerprint(self) -> dict[str, Any]:
        """See :meth:`stanceml.score.formats.Source.fingerprint`."""
        return self.local.fingerprint()

    def items(self, start: Position) -> Iterator[Item]:
        """Scored rows in input order; a resumed run skips (but Ray still scores) rows up to ``start``."""
        row = 0
        for table in self.dataset.iter_batches(batch_size=self.chunk_rows, batch_format="pyarrow"):
            for record in table.to_pylist():
                row += 1
                if row > start.row:
                    yield Item(row, 0, record)


def ray_step(labels: tuple[str, ...], source: str) -> Step:
    """The step that turns Ray's scored records into output rows and error entries."""
    added = output_fields(labels)

    def step(chunk: list[Item]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        rows, errors = [], []
        for it in chunk:
            rec = dict(it.record or {})
            reason, field = rec.pop(ERROR_COLUMN), rec.pop(FIELD_COLUMN)
            scores = {k: rec.pop(PREFIX + k) for k in added[1:]}
            if reason is None:
                rows.append(output_row(rec, it.row, scores, added))
            else:
                problem = Problem(source, 0, field or "", reason)
                errors.append(error_entry(Item(it.row, 0, rec), problem))
        return rows, errors

    return step


def score_ray(
    input_path: str | Path,
    model_dir: str | Path,
    output: str | Path,
    *,
    input_format: str | None = None,
    output_format: str = "parquet",
    address: str | None = None,
    workers: int = 2,
    cpus_per_worker: float = 1,
    batch_size: int = 64,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    backend: str = "auto",
    resume: bool = False,
    max_errors: int | None = None,
    progress: bool | None = None,
) -> ScoreSummary:
    """Score a JSONL, CSV or Parquet file on a Ray cluster (see the module docstring).

    Connects to ``address`` (``"auto"``: the running cluster) or, without one and when Ray
    is not initialised yet, starts a local one. A malformed line (bad JSON, bytes that are
    not UTF-8) fails Ray's reader for the whole file, unlike the local engine, which
    reports it per row; row-level problems (a missing field, an actor not in its sentence)
    go to the errors file as in the local engine. Errors carry the row, not the line.
    """
    ray = import_ray()
    fmt = detect_format(input_path, input_format)
    labels = tuple(read_meta(model_dir).labels)
    files = model_files(model_dir)
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, logging_level="warning")
    ctx = ray.data.DataContext.get_current()
    ctx.execution_options.preserve_order = True
    ctx.enable_progress_bars = False
    # Ray 2.60's V2 Parquet reader adds a ListFiles task that asks for a whole CPU; with every
    # CPU held by a scoring actor (2 workers on 2 cores) it is never scheduled and the run
    # hangs. The V1 reader honours the reads' num_cpus=0.
    ctx.use_datasource_v2 = False
    constructor = {"files": [ray.put(files)], "backend": backend, "batch_size": batch_size}
    constructor["num_threads"] = max(1, int(cpus_per_worker))
    scored = _read(ray, str(input_path), fmt).map_batches(
        RayScorer,
        fn_constructor_kwargs=constructor,
        batch_size=chunk_rows,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=workers),
        num_cpus=cpus_per_worker,
    )
    source = RaySource(scored, input_path, fmt, chunk_rows)
    step = ray_step(labels, str(input_path))
    return run(
        source,
        step,
        output,
        output_format,
        resume=resume,
        max_errors=max_errors,
        chunk_rows=chunk_rows,
        progress=progress,
    )
