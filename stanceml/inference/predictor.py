"""Load an exported model and answer stance questions; no training code needed.

>>> from stanceml import StancePredictor, StanceInput
>>> p = StancePredictor.from_pretrained("models/stance-minilm")
>>> p.predict(StanceInput(sentence=s, actor="Hungary", target="the sanctions package")).stance
"""  # noqa: D300

from __future__ import annotations

import logging
import threading
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union, overload

import numpy as np

from stanceml.artifact import WEIGHTS_FILE, ExportMeta, ModelLoadError, read_meta, verify_file, write_export
from stanceml.calibration import softmax
from stanceml.inference.backends import OnnxBackend, TorchBackend, available_backends
from stanceml.inference.selection import resolve_backend
from stanceml.labels import LABELS
from stanceml.modeling.inputs import CHARS_PER_TOKEN, DEFAULT_TEMPLATE, Encoded, tokenize_inputs
from stanceml.modeling.models import cpu_has_native_bf16
from stanceml.records import StanceInput, as_input

InputLike = Union[StanceInput, Mapping[str, Any]]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StancePrediction:
    """The model's answer for one input."""

    stance: str
    probs: dict[str, float]
    score: float
    actor_found: bool = True
    notes: tuple[str, ...] = field(default=())


class StancePredictor:
    """Predict the stance of an actor toward a target in a sentence.

    Safe to call from several threads: the forward pass runs without gradients and the
    tokenizer, whose Rust backend is not re-entrant, is guarded by a lock.
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        labels: Sequence[str] = LABELS,
        template: Mapping[str, str] | None = None,
        max_length: int = 128,
        batch_size: int = 32,
        meta: ExportMeta | Mapping[str, Any] | None = None,
        backend: Any = None,
        source: str | Path | None = None,
    ):
        if model is None and backend is None:
            raise ValueError("StancePredictor needs a model or a backend")
        self.model = model.eval() if model is not None else None
        self.tokenizer = tokenizer
        self.labels: tuple[str, ...] = tuple(labels)
        self.template = dict(template or DEFAULT_TEMPLATE)
        self.max_length = max_length
        self.batch_size = batch_size
        if meta is None or isinstance(meta, ExportMeta):
            self.meta: ExportMeta = meta or ExportMeta(name="in-memory")
        else:
            self.meta = ExportMeta.from_dict(dict(meta))
        self.backend = backend if backend is not None else TorchBackend(model, "fp32")
        self.source = Path(source) if source is not None else None
        #: Temperature fitted on the validation split at export (1.0 = uncalibrated).
        self.temperature = self.meta.temperature
        #: Why this backend runs (``auto``'s choice, or the caller's request).
        self.backend_reason = "given by the caller"
        self._tokenizer_lock = threading.Lock()

    @property
    def backend_name(self) -> str:
        """Which path runs the model, e.g. ``onnx-int8`` or ``torch-bf16``."""
        return f"{self.backend.name}-{self.backend.precision}"

    @classmethod
    def from_pretrained(
        cls,
        path: str | Path,
        backend: str = "auto",
        precision: str = "auto",
        batch_size: int = 32,
        num_threads: int | None = None,
    ) -> StancePredictor:
        """Load an export folder written by :func:`stanceml.export.exporter.export_model`.

        Args:
            backend: ``"auto"`` (the fastest path the export and this machine support and
                that kept accuracy at export time), ``"torch"`` or ``"onnx"``.
            precision: ``"auto"``, ``"fp32"``, ``"bf16"`` (torch) or ``"int8"`` (ONNX).
            num_threads: intra-op threads; default: torch's and ONNX Runtime's own choice.

        Raises:
            ModelLoadError: the folder is missing, not an export, incomplete, of a newer export
                format, has a label map that disagrees with ``stanceml.json``, or a weight file
                whose SHA-256 changed.
        """
        from transformers import AutoTokenizer

        meta = read_meta(path)
        key = resolve_backend(path, meta, backend, precision, cpu_has_native_bf16())
        if key not in available_backends(path):
            raise ModelLoadError(f"{path}: backend {key} is not available (export with onnx=true for ONNX files)")
        tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True, trust_remote_code=False)
        model, runner, reason = _load_backend(path, meta, key, num_threads, auto=backend == precision == "auto")
        predictor = cls(
            model,
            tokenizer,
            labels=meta.labels,
            template=meta.input_template or None,
            max_length=int(meta.max_length),
            batch_size=batch_size,
            meta=meta,
            backend=runner,
            source=path,
        )
        predictor.backend_reason = reason
        log.info("%s: running %s (%s)", path, predictor.backend_name, reason)
        return predictor

    def warmup(self, max_length: int | None = None) -> float:
        """Run one forward pass at batch size 1 for every sequence length up to ``max_length``
        (default: the model's), so that a service's first single-input requests are as fast as
        later ones (batched requests can still meet new shapes).

        Why: oneDNN, behind the torch backends, builds a kernel the first time it sees a
        shape, which costs about 2 ms once per sequence length. Returns the seconds taken
        (0.7-0.8 s for MiniLM on our 2 cores).
        """
        started = time.perf_counter()
        pad = self.tokenizer.pad_token_id or 0
        for length in range(2, (max_length or self.max_length) + 1):
            ids = np.full((1, length), pad, dtype=np.int64)
            self.backend({"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)})
        return time.perf_counter() - started

    def save_pretrained(self, path: str | Path) -> None:
        """Write this predictor as an export folder (atomically), with its fp32 weights."""
        model = self.model
        if model is None or self.backend_name == "torch-bf16":
            from transformers import AutoModelForSequenceClassification

            if self.source is None:
                raise ValueError("this predictor has no torch model to save")
            model = AutoModelForSequenceClassification.from_pretrained(
                str(self.source), local_files_only=True, use_safetensors=True
            )
        write_export(model, self.tokenizer, path, ExportMeta.from_dict(self.meta.to_dict()))

    def _logits(self, items: list[StanceInput]) -> tuple[np.ndarray, list[Encoded]]:
        if not items:
            return np.zeros((0, len(self.labels)), dtype=np.float32), []
        out = np.zeros((len(items), len(self.labels)), dtype=np.float32)
        pairs: list = [None] * len(items)
        # Tokenize a chunk at a time (bounded memory, and the tokenizer lock is not held for
        # long, so other threads' single requests are not stalled behind a big batch), then
        # batch it shortest first so each batch pads to nearly its own length: on our test
        # split that is 13% fewer tokens than sorting by characters. Order is restored at the end.
        chunk = max(256, self.batch_size)
        for first in range(0, len(items), chunk):
            part = items[first : first + chunk]
            with self._tokenizer_lock:
                enc, encoded = tokenize_inputs(self.tokenizer, part, self.template, self.max_length)
            keys = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in enc]
            order = sorted(range(len(part)), key=lambda i: len(enc["input_ids"][i]))
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                if len(idx) == 1:  # nothing to pad (a service asking one at a time)
                    batch = {k: np.asarray([enc[k][idx[0]]], dtype=np.int64) for k in keys}
                else:
                    with self._tokenizer_lock:
                        batch = self.tokenizer.pad(
                            {k: [enc[k][i] for i in idx] for k in keys}, padding=True, return_tensors="np"
                        )
                out[[first + i for i in idx]] = self.backend(batch)
            pairs[first : first + len(part)] = encoded
        cropped = sum(bool(p.notes) for p in pairs)
        if cropped:
            warnings.warn(
                f"{cropped} sentence(s) longer than {self.max_length * CHARS_PER_TOKEN} characters were "
                "cropped around the actor's mention (see StancePrediction.notes)",
                stacklevel=3,
            )
        return out, pairs

    def logits(self, inputs: InputLike | Iterable[InputLike]) -> np.ndarray:
        """Raw, uncalibrated logits as an (n, 3) array, columns in ``self.labels`` order."""
        return self._logits(self._as_list(inputs))[0]

    def predict_proba(self, inputs: InputLike | Iterable[InputLike]) -> np.ndarray:
        """Calibrated probabilities as an (n, 3) array, columns in ``self.labels`` order."""
        items = self._as_list(inputs)
        logits, _ = self._logits(items)
        return softmax(logits / self.temperature)

    @overload
    def predict(self, inputs: InputLike) -> StancePrediction: ...
    @overload
    def predict(self, inputs: Iterable[InputLike]) -> list[StancePrediction]: ...

    def predict(self, inputs: InputLike | Iterable[InputLike]) -> StancePrediction | list[StancePrediction]:
        """The stance for one input (returns one prediction) or a list (returns a list)."""
        single = isinstance(inputs, (StanceInput, Mapping))
        items = self._as_list(inputs)
        logits, pairs = self._logits(items)
        proba = softmax(logits / self.temperature)
        results = []
        for row, pair in zip(proba, pairs):
            best = int(row.argmax())
            notes = pair.notes + (() if pair.actor_found else ("actor not found in the sentence",))
            results.append(
                StancePrediction(
                    stance=self.labels[best],
                    probs={label: float(p) for label, p in zip(self.labels, row)},
                    score=float(row[best]),
                    actor_found=pair.actor_found,
                    notes=notes,
                )
            )
        return results[0] if single else results

    def analyze(self, text: str, targets: Sequence[str], actors=None, **kwargs):
        """Who stands where on each target in an article: see :func:`stanceml.analyze.analyze_text`."""
        from stanceml.analysis.analyze import analyze_text

        return analyze_text(self, text, targets, actors=actors, **kwargs)

    @staticmethod
    def _as_list(inputs: Any) -> list[StanceInput]:
        if isinstance(inputs, (StanceInput, Mapping)):
            return [as_input(inputs)]
        if isinstance(inputs, (str, bytes)):
            raise TypeError("predict takes StanceInput objects or dicts, not a bare string")
        return [as_input(x) for x in inputs]


def _load_backend(
    path: str | Path, meta: ExportMeta, key: str, num_threads: int | None, auto: bool
) -> tuple[Any, Any, str]:
    """(torch model or None, backend, why) for backend ``key`` of the export at ``path``."""
    kind, precision = key.split("-")
    reason = "auto: fastest backend checked at export for this CPU" if auto else "requested"
    if kind == "onnx":
        return None, OnnxBackend(path, precision, num_threads, meta=meta), reason
    import torch
    from transformers import AutoModelForSequenceClassification

    if num_threads:
        torch.set_num_threads(num_threads)
    verify_file(path, meta, WEIGHTS_FILE)
    model = AutoModelForSequenceClassification.from_pretrained(
        str(path), local_files_only=True, use_safetensors=True, trust_remote_code=False
    )
    runner = TorchBackend(model, precision)
    # The fast forward stepped aside at load (see stanceml.inference.fastbert, which warns why):
    # then ONNX fp32, if it kept accuracy, is faster than the plain transformers forward.
    onnx_ok = meta.backends.get("onnx-fp32", {}).get("ok") and "onnx-fp32" in available_backends(path)
    if auto and key == "torch-fp32" and runner.fast is None and onnx_ok:
        return None, OnnxBackend(path, "fp32", num_threads, meta=meta), "auto: fast forward unavailable"
    return model, runner, reason
