"""The record types every part of the package shares, and the one validator of their fields.

- :class:`StanceInput` is a question for the model: where does this actor stand on this target
  in this sentence? The predictor, the baselines, the HTTP models and the Label Studio tasks
  all convert to it.
- :class:`Triple` is a *labelled* question: a :class:`StanceInput` plus its stance, tags and
  where it came from. The corpus reader, the dataset rows (:meth:`Triple.to_row`), the
  evaluation files and the Label Studio import all go through it.

Plain frozen dataclasses, not pydantic: the library's hot paths create one per sentence and
need no parsing, and the one place where untrusted JSON comes in field by field (the HTTP
service) already has pydantic models that convert to these (see ``docs/architecture.md``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from stanceml.io import Problem
from stanceml.labels import LABEL2ID, LABELS

INPUT_FIELDS = ("sentence", "actor", "target")
#: The fields of a corpus annotation line that must be non-empty strings.
CORPUS_FIELDS = ("article_id", "sentence", "actor", "target", "stance")


@dataclass(frozen=True)
class StanceInput:
    """One question for the model: where does ``actor`` stand on ``target`` in ``sentence``?"""

    sentence: str
    actor: str
    target: str
    #: Optional (start, end) character span to mark instead of the actor's first mention:
    #: for a sentence that names the actor twice, or data whose focus is a target mention.
    span: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        for name in INPUT_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, str):
                raise TypeError(f"StanceInput.{name} must be a str, got {type(value).__name__}")
            if not value.strip():
                raise ValueError(f"StanceInput.{name} is empty")
        if self.span is not None:
            start, end = self.span
            if not (0 <= start < end <= len(self.sentence)):
                raise ValueError(f"StanceInput.span {self.span} is outside the sentence")


def as_input(item: StanceInput | Mapping[str, Any]) -> StanceInput:
    """Accept a :class:`StanceInput` or a mapping with ``sentence``, ``actor`` and ``target``
    (and optionally ``span`` as ``[start, end]``, or ``span_start``/``span_end``)."""
    if isinstance(item, StanceInput):
        return item
    if not isinstance(item, Mapping):
        raise TypeError(f"expected a StanceInput or a dict, got {type(item).__name__}")
    missing = [k for k in INPUT_FIELDS if k not in item]
    if missing:
        raise KeyError(f"input is missing key(s) {missing}; expected sentence, actor and target")
    span = item.get("span")
    if span is None and item.get("span_start") is not None and int(item["span_start"]) >= 0:
        span = (int(item["span_start"]), int(item["span_end"]))
    return StanceInput(
        sentence=item["sentence"],
        actor=item["actor"],
        target=item["target"],
        span=(int(span[0]), int(span[1])) if span is not None else None,
    )


def rows_to_inputs(rows: Iterable[Mapping[str, Any]]) -> list[StanceInput]:
    """Dataset rows (dicts) to inputs; ``span_start``/``span_end`` of -1 or absent mean no span."""
    return [as_input(r) for r in rows]


@dataclass(frozen=True)
class Triple:
    """One labelled (sentence, actor, target) -> stance example, with its provenance."""

    article_id: str
    sentence: str
    actor: str
    target: str
    stance: str
    tags: tuple[str, ...] = ()
    topic: str = ""
    #: The mention to mark, when not the actor's first occurrence (-1: none given).
    span_start: int = -1
    span_end: int = -1

    def as_input(self) -> StanceInput:
        """The question this triple answers."""
        span = (self.span_start, self.span_end) if self.span_start >= 0 else None
        return StanceInput(self.sentence, self.actor, self.target, span=span)

    def to_row(self) -> dict[str, Any]:
        """The row stored in the processed dataset (and read back by the evaluation)."""
        return {
            "article_id": self.article_id,
            "topic": self.topic,
            "sentence": self.sentence,
            "actor": self.actor,
            "target": self.target,
            "stance": self.stance,
            "label": LABEL2ID[self.stance],
            "tags": list(self.tags),
            "span_start": self.span_start,
            "span_end": self.span_end,
        }

    def identity(self) -> dict[str, Any]:
        """The fields that define the corpus (hashed into the data hash): no span when unset."""
        d = {k: v for k, v in self.to_row().items() if k != "label"}
        d["tags"] = list(self.tags)
        if self.span_start < 0:
            del d["span_start"], d["span_end"]
        return d


def check_fields(
    record: Mapping[str, Any],
    where: str,
    line: int,
    problems: list[Problem],
    required: Sequence[str] = INPUT_FIELDS,
    known_tags: frozenset[str] | None = None,
) -> bool:
    """The one validator of triple fields; appends a :class:`Problem` per bad field.

    Checks that each ``required`` field is a non-empty string, that ``stance`` (when present
    or required) is a known label, that ``tags`` is a list of strings (of ``known_tags``,
    when given), and that ``span_start``/``span_end`` (or ``span``) are whole numbers inside
    the sentence. Returns True when nothing was wrong.
    """
    before = len(problems)
    for name in required:
        value = record.get(name)
        if name not in record:
            problems.append(Problem(where, line, name, "missing"))
        elif not isinstance(value, str):
            problems.append(Problem(where, line, name, f"must be a string, got {type(value).__name__}"))
        elif not value.strip():
            problems.append(Problem(where, line, name, "empty"))
    if len(problems) > before:
        return False
    if ("stance" in required or "stance" in record) and record.get("stance") not in LABELS:
        problems.append(
            Problem(where, line, "stance", f"unknown stance {record.get('stance')!r}; expected one of {list(LABELS)}")
        )
    tags = record.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        problems.append(Problem(where, line, "tags", "must be a list of strings"))
    elif known_tags is not None and set(tags) - known_tags:
        problems.append(
            Problem(
                where, line, "tags", f"unknown tag(s) {sorted(set(tags) - known_tags)}; known: {sorted(known_tags)}"
            )
        )
    _check_span(record, where, line, problems)
    return len(problems) == before


def _check_span(record: Mapping[str, Any], where: str, line: int, problems: list[Problem]) -> None:
    span = record.get("span")
    if span is not None:
        ok = isinstance(span, (list, tuple)) and len(span) == 2 and all(isinstance(v, int) for v in span)
        start, end = span if ok else (0, 0)
        field_name = "span"
    else:
        start, end = record.get("span_start", -1), record.get("span_end", -1)
        ok = isinstance(start, int) and isinstance(end, int)
        field_name = "span_start, span_end"
        if ok and start < 0:
            return
    sentence = record.get("sentence", "")
    if not ok or not (0 <= start < end <= len(sentence)):
        problems.append(Problem(where, line, field_name, "must be whole numbers inside the sentence"))
