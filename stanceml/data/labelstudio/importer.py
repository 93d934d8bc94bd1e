"""Turn a Label Studio JSON export back into validated corpus records, and merge them into
the annotation files. The rules are in the docstring of :mod:`stanceml.data.labelstudio.tasks`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from stanceml.config import ImportLabelStudioConfig
from stanceml.data.corpus import Article, parse_article, parse_triple
from stanceml.data.labelstudio.tasks import STANCE_CONTROL, TAGS_CONTROL
from stanceml.io import DataError, Problem, atomic_write_text, iter_json_objects, read_text_checked
from stanceml.records import Triple
from stanceml.text.targets import normalize_target

#: Keys of a corpus record, in the order the annotation files use.
RECORD_KEYS = ("article_id", "sentence", "actor", "target", "stance", "tags")
TripleKey = tuple[str, str, str, str]


def _timestamp(value: Any) -> datetime | None:
    """Label Studio's ISO 8601 times ("2024-05-02T09:14:03.123456Z"); None when absent or odd."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"  # Python 3.10's fromisoformat does not read "Z"
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _latest(annotations: list[Any]) -> dict[str, Any] | None:
    """The most recent non-cancelled annotation (see the module docstring), or None."""
    live = [(i, a) for i, a in enumerate(annotations) if isinstance(a, dict) and not a.get("was_cancelled")]
    if not live:
        return None
    oldest = datetime.min.replace(tzinfo=timezone.utc)

    def when(item: tuple[int, dict]) -> tuple[datetime, int]:
        i, a = item
        stamp = _timestamp(a.get("updated_at")) or _timestamp(a.get("created_at")) or oldest
        return stamp, i  # equal times (or none): the later in the list wins

    return max(live, key=when)[1]


def _choices(result: list[Any], control: str) -> list[Any] | None:
    """The choices given in ``control`` (None when the annotation has no such result)."""
    for item in result:
        if isinstance(item, dict) and item.get("from_name") == control:
            value = item.get("value")
            choices = value.get("choices") if isinstance(value, dict) else None
            return choices if isinstance(choices, list) else []
    return None


def _read_article(articles_dir: Path, article_id: str, problems: list[Problem]) -> Article | None:
    """``articles_dir/<article_id>.md`` parsed as the corpus reader does; problems appended."""
    path = articles_dir / f"{article_id}.md"
    if not path.is_file():
        problems.append(Problem(str(path), 0, "", f"no such article in {articles_dir}"))
        return None
    raw = read_text_checked(path, problems)
    return parse_article(path, raw, problems) if raw is not None else None


class ImportResult(list):
    """The records of an import (a plain list of dicts) plus what was skipped and why.

    ``skipped`` lists ``(position, task id, reason)`` for tasks that gave no record.
    """

    def __init__(self, records: Iterable[dict[str, Any]] = (), skipped: Iterable[tuple[int, Any, str]] = ()):
        super().__init__(records)
        self.skipped: list[tuple[int, Any, str]] = list(skipped)


def _read_export(path: Path) -> list[Any]:
    where = str(path)
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError([Problem(where, 0, "", "no such file")]) from None
    except UnicodeDecodeError as err:
        raise DataError([Problem(where, 0, "", f"not valid UTF-8 ({err.reason})")]) from None
    except json.JSONDecodeError as err:
        raise DataError([Problem(where, err.lineno, "", f"not valid JSON: {err.msg} (column {err.colno})")]) from None
    if not isinstance(tasks, list) or any(isinstance(t, dict) and "annotations" not in t for t in tasks):
        raise DataError([Problem(where, 0, "", "expected Label Studio's JSON export: a list of tasks with "
                                 "'annotations' (JSON-MIN and CSV exports are not supported)")])
    return tasks


def _task_record(task: Any, where: str, position: int, problems: list[Problem],
                 skipped: list[tuple[int, Any, str]]) -> dict[str, Any] | None:
    """The corpus record of one task's latest annotation (unvalidated), or None."""
    if not isinstance(task, dict):
        problems.append(Problem(where, position, "", "each task must be a JSON object"))
        return None
    task_id = task.get("id", "?")
    data, annotations = task.get("data"), task.get("annotations")
    if not isinstance(data, dict):
        problems.append(Problem(where, position, "data", f"task id {task_id}: 'data' must be an object"))
        return None
    if not isinstance(annotations, list):
        problems.append(Problem(where, position, "annotations", f"task id {task_id}: must be a list"))
        return None
    annotation = _latest(annotations)
    if annotation is None:
        skipped.append((position, task_id, "every annotation was cancelled (skipped)" if annotations else "not annotated"))
        return None
    result = annotation.get("result")
    if not isinstance(result, list):
        problems.append(Problem(where, position, "result", f"task id {task_id}: the annotation has no result list"))
        return None
    stance = _choices(result, STANCE_CONTROL)
    if not stance:
        problems.append(Problem(where, position, "stance", f"task id {task_id}: no stance chosen "
                                f"(no '{STANCE_CONTROL}' choice in the annotation's result)"))
        return None
    if len(stance) > 1:
        problems.append(Problem(where, position, "stance", f"task id {task_id}: several stances chosen {stance}"))
        return None
    record: dict[str, Any] = {k: data[k] for k in ("article_id", "sentence", "actor", "target") if k in data}
    record["stance"], record["tags"] = stance[0], _choices(result, TAGS_CONTROL) or []
    return record


class _Articles:
    """The articles the tasks name, each read (and any problem reported) once."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.by_id: dict[str, Article] = {}
        self.bad: set[str] = set()

    def ensure(self, article_id: Any, where: str, position: int, task_id: Any, problems: list[Problem]) -> bool:
        if not isinstance(article_id, str) or article_id in self.by_id:
            return True  # parse_triple reports a bad id
        if article_id in self.bad:
            return False  # already reported once
        article = _read_article(self.folder, article_id, problems)
        if article is None:
            self.bad.add(article_id)
            problems.append(Problem(where, position, "article_id",
                                    f"task id {task_id}: article {article_id!r} cannot be used (see above)"))
            return False
        self.by_id[article_id] = article
        return True


def import_export(export_path: str | Path, articles_dir: str | Path) -> ImportResult:
    """Turn a Label Studio JSON export into validated corpus records.

    Args:
        export_path: the file from Label Studio's *Export* -> *JSON* (a list of tasks, each
            with ``data`` as written by :func:`~stanceml.data.labelstudio.tasks.candidate_tasks`
            and ``annotations``).
        articles_dir: the folder holding ``<article_id>.md`` for every task's article.

    Returns:
        One record per annotated task, keys ``article_id, sentence, actor, target, stance,
        tags`` (the annotation-file format), in export order; a triple annotated in two tasks
        with the same stance is returned once. The result is a list with a ``skipped``
        attribute (see :class:`ImportResult`).

    Raises:
        DataError: every problem at once; each names the export file, the task's position in
            the export (1 = first task) as its line, the field, and the task id.
    """
    path = Path(export_path)
    where = str(path)
    tasks = _read_export(path)
    articles = _Articles(Path(articles_dir))
    problems: list[Problem] = []
    records = ImportResult()
    seen: dict[TripleKey, tuple[str, int, Any]] = {}
    for position, task in enumerate(tasks, start=1):
        record = _task_record(task, where, position, problems, records.skipped)
        if record is None:
            continue
        task_id = task.get("id", "?")
        if not articles.ensure(record.get("article_id"), where, position, task_id, problems):
            continue
        found: list[Problem] = []
        triple = parse_triple(record, where, position, articles.by_id, found)
        # parse_triple names the file, position and field; add the id Label Studio shows.
        problems += [Problem(p.path, p.line, p.field, f"task id {task_id}: {p.reason}") for p in found]
        if triple is not None and _first_time(triple, seen, where, position, task_id, problems):
            records.append(_record_of(triple))
    if problems:
        raise DataError(problems)
    return records


def _first_time(triple: Triple, seen: dict[TripleKey, tuple[str, int, Any]], where: str, position: int,
                task_id: Any, problems: list[Problem]) -> bool:
    """Whether this triple is new to the import (a conflicting stance is a problem)."""
    key = (triple.article_id, triple.sentence, triple.actor, normalize_target(triple.target))
    if key not in seen:
        seen[key] = (triple.stance, position, task_id)
        return True
    first_stance, first_position, first_id = seen[key]
    if first_stance != triple.stance:
        problems.append(Problem(where, position, "stance",
                                f"task id {task_id}: labelled {triple.stance!r}, but task id {first_id} "
                                f"(position {first_position}) labels the same triple {first_stance!r}"))
    return False


def _record_of(triple: Triple) -> dict[str, Any]:
    return {"article_id": triple.article_id, "sentence": triple.sentence, "actor": triple.actor,
            "target": triple.target, "stance": triple.stance, "tags": list(triple.tags)}


def _known_triples(path: Path, problems: list[Problem]) -> tuple[str, dict[tuple[str, str, str], tuple[str, int]]] | None:
    """An annotation file's text and its (sentence, actor, target) -> (stance, line), or None."""
    known: dict[tuple[str, str, str], tuple[str, int]] = {}
    if not path.exists():
        return "", known
    existing = read_text_checked(path, problems)
    if existing is None:
        return None
    # A malformed line is a problem to fix before importing (nothing is written then).
    for number, old in iter_json_objects(existing, path, problems):
        if all(isinstance(old.get(k), str) for k in ("sentence", "actor", "target")):
            known[(old["sentence"], old["actor"], normalize_target(old["target"]))] = (str(old.get("stance")), number)
    return existing, known


def _new_records(path: Path, recs: list[dict[str, Any]], known: dict[tuple[str, str, str], tuple[str, int]],
                 problems: list[Problem]) -> tuple[list[dict[str, Any]], int]:
    """The records not yet in the file, and how many were already there with the same stance."""
    new, unchanged = [], 0
    for rec in recs:
        key = (rec["sentence"], rec["actor"], normalize_target(rec["target"]))
        if key in known:
            stance, number = known[key]
            if stance != rec["stance"]:
                problems.append(Problem(
                    str(path), number, "stance",
                    f"already labelled {stance!r}; the import labels it {rec['stance']!r} "
                    f"(actor {rec['actor']!r}, target {rec['target']!r}); edit this line if the new label is right"))
            else:
                unchanged += 1
            continue
        known[key] = (rec["stance"], 0)
        new.append(rec)
    return new, unchanged


def write_annotations(
    records: Iterable[dict[str, Any]], annotations_dir: str | Path, *, dry_run: bool = False
) -> dict[str, Any]:
    """Merge records into ``annotations_dir/<article_id>.jsonl``, each file written atomically.

    A record whose triple (article, sentence, actor, target as normalised by
    :func:`normalize_target`) is already in the file with the same stance is left out; with a
    different stance the whole merge is refused and nothing is written. Existing lines are
    kept byte for byte; new ones are appended in the order given.

    Args:
        dry_run: check everything, write nothing.

    Returns:
        ``{"added": n, "unchanged": n, "files": [paths that gain lines]}``.

    Raises:
        DataError: a conflicting stance (named at the existing line) or an existing
            annotation file that cannot be read or holds malformed JSON.
    """
    annotations_dir = Path(annotations_dir)
    by_article: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_article.setdefault(record["article_id"], []).append(record)
    problems: list[Problem] = []
    plans: list[tuple[Path, str, list[dict[str, Any]]]] = []
    unchanged = 0
    for article_id, recs in by_article.items():
        path = annotations_dir / f"{article_id}.jsonl"
        found = _known_triples(path, problems)
        if found is None:
            continue
        new, same = _new_records(path, recs, found[1], problems)
        unchanged += same
        if new:
            plans.append((path, found[0], new))
    if problems:
        raise DataError(problems)
    if not dry_run:
        for path, existing, new in plans:
            if existing and not existing.endswith("\n"):
                existing += "\n"
            lines = "".join(json.dumps({k: r.get(k, []) if k == "tags" else r[k] for k in RECORD_KEYS},
                                       ensure_ascii=False) + "\n" for r in new)
            atomic_write_text(path, existing + lines)
    return {"added": sum(len(n) for _, _, n in plans), "unchanged": unchanged, "files": [str(p) for p, _, _ in plans]}


def import_labelstudio(cfg: ImportLabelStudioConfig) -> dict[str, Any]:
    """``scripts/import_labelstudio.py``: validate an export and merge it into the corpus.

    Returns :func:`write_annotations`' summary plus ``records`` and ``skipped`` counts.
    """
    if not cfg.export:
        raise ValueError("give the Label Studio JSON export: export=PATH")
    records = import_export(cfg.export, cfg.articles_dir)
    summary = write_annotations(records, cfg.annotations_dir, dry_run=cfg.dry_run)
    return {"records": len(records), "skipped": len(records.skipped), "dry_run": cfg.dry_run, **summary}
