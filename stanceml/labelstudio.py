"""Label new articles in Label Studio and bring the labels back into the corpus.

The round trip:

1. :func:`candidate_tasks` finds candidate (sentence, actor mention, target) questions in
   unlabelled articles (sentences split by :mod:`stanceml.sentences`, actors found by the
   gazetteer, targets given by the team) and pre-labels each one with the rule baseline.
   :func:`make_candidates` writes them as a Label Studio tasks file (``tasks.json``, the
   "Basic Label Studio JSON format" with ``predictions``) next to the labeling interface
   (``labeling_config.xml``, from :func:`labeling_config`).
2. Annotators correct the pre-labels in Label Studio, pressing *Skip* for a question that
   should not be annotated (the gazetteer found a name that is not an actor here, the
   sentence is not about the target).
3. The project's JSON export (*Export* -> *JSON*) goes through :func:`import_export`, which
   turns every annotated task into a corpus record and validates it against its article
   exactly as the corpus reader does (:func:`stanceml.corpus.parse_triple`);
   :func:`write_annotations` merges the records into ``data/annotations/<article_id>.jsonl``.

Rules of the import:

- **Cancelled** (skipped) annotations are ignored; a task with no other annotation is
  skipped, and so is a task nobody has annotated yet (a partial export is fine).
- **Several annotations** on one task (two annotators, or a resubmission): the most recent
  non-cancelled one wins, by ``updated_at``, else ``created_at``; without timestamps, the
  last one in the list. Agreement between annotators is not measured here.
- **Problems** are collected in one pass and raised together as a
  :class:`~stanceml.corpus.CorpusError`. Each names the export file, the task's position in
  the export as its "line" (counting from 1), the field, and Label Studio's task id.
- **Merging** is idempotent: a triple already in the annotation file with the same stance is
  left as it is; one with a different stance is refused (nothing is written) so that a
  relabelling is a deliberate edit of the annotation file, never a silent overwrite.

This module is plain Python (no Label Studio package, no network): Label Studio only ever
sees the JSON and XML files written here.
"""

from __future__ import annotations

import json
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence, Union
from xml.sax.saxutils import quoteattr

from stanceml.analyze import clean_targets, content_stems, is_about
from stanceml.corpus import (
    Article,
    CorpusError,
    Problem,
    iter_json_objects,
    normalize_target,
    parse_article,
    parse_triple,
)
from stanceml.inputs import StanceInput
from stanceml.io import atomic_write_text, write_json
from stanceml.labels import LABELS, TAGS

if TYPE_CHECKING:
    from stanceml.actors import Gazetteer
    from stanceml.baseline import RuleBaseline
    from stanceml.config import CandidatesConfig, ImportLabelStudioConfig

#: Names of the controls in the labeling config; the importer reads results by these names.
STANCE_CONTROL = "stance"
TAGS_CONTROL = "tags"
TEXT_OBJECT = "text"
MODEL_VERSION = "rule-baseline"
RELEVANCE_RULES = ("overlap", "all")
#: Keys of a corpus record, in the order the annotation files use.
RECORD_KEYS = ("article_id", "sentence", "actor", "target", "stance", "tags")

ArticleLike = Union[Article, str, Path]


# ----------------------------------------------------------------------------- articles


def load_articles(sources: ArticleLike | Iterable[ArticleLike]) -> list[Article]:
    """Articles in the corpus format from folders (every ``*.md``, name order), ``.md``
    files, or :class:`~stanceml.corpus.Article` objects, in the order given.

    The corpus reader's parser is used, so the text that candidate sentences are cut from is
    exactly the text the importer later checks them against.

    Raises:
        CorpusError: a missing path or a malformed article (file, line, field).
        ValueError: no article at all.
    """
    if isinstance(sources, (str, Path, Article)):
        sources = [sources]
    problems: list[Problem] = []
    articles: list[Article] = []
    for source in sources:
        if isinstance(source, Article):
            articles.append(source)
            continue
        path = Path(source)
        if path.is_dir():
            paths = sorted(path.glob("*.md"))
            if not paths:
                problems.append(Problem(str(path), 0, "", "no articles (*.md) in the folder"))
        elif path.is_file():
            paths = [path]
        else:
            problems.append(Problem(str(path), 0, "", "no such file or folder"))
            continue
        for p in paths:
            try:
                raw = p.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as err:
                problems.append(Problem(str(p), 0, "", f"cannot read: {err}"))
                continue
            article = parse_article(p, raw, problems)
            if article is not None:
                articles.append(article)
    if problems:
        raise CorpusError(problems)
    if not articles:
        raise ValueError("no articles given")
    return articles


# ----------------------------------------------------------------------------- tasks


def _prediction(baseline: Any, items: list[StanceInput], model_version: str) -> list[dict[str, Any]]:
    """One Label Studio prediction per input: the baseline's label and its probability."""
    proba = baseline.predict_proba(items)
    classes = [str(c) for c in getattr(baseline, "classes_", LABELS)]
    out = []
    for row in proba:
        best = int(row.argmax())
        out.append({
            "model_version": model_version,
            # Label Studio sorts tasks by this score, so the least certain can be done first.
            "score": round(float(row[best]), 4),
            "result": [{
                "from_name": STANCE_CONTROL,
                "to_name": TEXT_OBJECT,
                "type": "choices",
                "value": {"choices": [classes[best]]},
            }],
        })
    return out


def candidate_tasks(
    articles: ArticleLike | Iterable[ArticleLike],
    targets: Sequence[str] | str,
    gazetteer: "Gazetteer | None" = None,
    baseline: "RuleBaseline | None" = None,
    *,
    relevance: str = "overlap",
    model_version: str = MODEL_VERSION,
) -> list[dict[str, Any]]:
    """Label Studio tasks for every (sentence, actor mention, target) worth annotating.

    Args:
        articles: articles, ``.md`` files or folders of them (see :func:`load_articles`).
        targets: the targets to ask about (duplicates by :func:`normalize_target` dropped).
        gazetteer: where actors are found (default: the packaged gazetteer).
        baseline: anything with ``predict_proba`` over :class:`StanceInput` (columns in
            ``classes_`` order, else ``LABELS`` order); None: tasks without pre-labels.
        relevance: ``"overlap"``: pair a sentence with a target only when it shares a content
            word with it outside the actor's mention, falling back to every sentence with an
            actor when no sentence of the article does (the rule of
            :func:`stanceml.analyze.analyze_text`); ``"all"``: every sentence, every target.
        model_version: the name shown for the pre-labels in Label Studio.

    Returns:
        Tasks in Label Studio's import format, ordered by article, sentence, mention, target:
        ``{"data": {article_id, sentence, actor, actor_start, actor_end, canonical_actor,
        target, text}, "predictions": [...]}``. ``actor_start``/``actor_end`` index the
        sentence. When one actor's text occurs twice in a sentence only the first occurrence
        is asked about (the annotation guidelines mark the first).

    Sentences that span a line break are skipped with a warning: an annotation's sentence
    may not contain one (rewrap the paragraph in the article to annotate them).
    """
    from stanceml.actors import Gazetteer
    from stanceml.sentences import split_sentences

    if relevance not in RELEVANCE_RULES:
        raise ValueError(f"relevance must be one of {RELEVANCE_RULES}, got {relevance!r}")
    targets = clean_targets(targets)
    gaz = gazetteer if gazetteer is not None else Gazetteer.default()
    target_stems = {t: content_stems(t) for t in targets}

    tasks: list[dict[str, Any]] = []
    broken = 0
    for article in load_articles(articles):
        pairs = []
        for s in split_sentences(article.text):
            mentions = gaz.find_mentions(s.text)
            if mentions and "\n" in s.text:
                broken += 1
                continue
            pairs += [(s, m) for m in mentions]
        about = {t: [relevance == "all" or is_about(s.text, target_stems[t], (m.start, m.end)) for s, m in pairs]
                 for t in targets}
        for t, flags in about.items():
            if not any(flags):
                # No sentence of the article shares a word with the target: ask about every
                # one rather than none, as the analysis does (a paraphrased target).
                about[t] = [True] * len(pairs)
        seen: set[tuple[str, str, str]] = set()
        for i, (s, m) in enumerate(pairs):
            for target in targets:
                if not about[target][i]:
                    continue
                key = (s.text, m.text, normalize_target(target))
                if key in seen:
                    continue
                seen.add(key)
                tasks.append({"data": {
                    "article_id": article.article_id,
                    "sentence": s.text,
                    "actor": m.text,
                    "actor_start": m.start,
                    "actor_end": m.end,
                    "canonical_actor": m.canonical,
                    "target": target,
                    "text": s.text,
                }})
    if broken:
        warnings.warn(f"{broken} sentence(s) with an actor span a line break and were skipped; "
                      "rewrap those paragraphs to annotate them", stacklevel=2)
    if baseline is not None and tasks:
        items = [StanceInput(t["data"]["sentence"], t["data"]["actor"], t["data"]["target"],
                             span=(t["data"]["actor_start"], t["data"]["actor_end"])) for t in tasks]
        for task, prediction in zip(tasks, _prediction(baseline, items, model_version)):
            task["predictions"] = [prediction]
    return tasks


def labeling_config() -> str:
    """The Label Studio labeling interface (XML) for the tasks of :func:`candidate_tasks`.

    The sentence is the ``text`` object; ``stance`` is a required single choice among
    ``LABELS``; ``tags`` an optional multiple choice among ``TAGS``. The actor and target are
    shown as headers, since a sentence often holds several actors and targets.
    """
    stances = "\n".join(f"    <Choice value={quoteattr(label)}/>" for label in LABELS)
    tags = "\n".join(f"    <Choice value={quoteattr(tag)}/>" for tag in sorted(TAGS))
    return f"""<View>
  <Header value="Sentence" size="6"/>
  <Text name="{TEXT_OBJECT}" value="$text"/>
  <Header value="Actor (its first mention in the sentence)" size="6"/>
  <Header value="$actor" size="4"/>
  <Header value="Target" size="6"/>
  <Header value="$target" size="4"/>
  <Header value="Stance of the actor toward the target, in this sentence" size="6"/>
  <Choices name="{STANCE_CONTROL}" toName="{TEXT_OBJECT}" choice="single-radio" required="true" showInline="true">
{stances}
  </Choices>
  <Header value="Tags (optional; see docs/annotation-guidelines.md)" size="6"/>
  <Choices name="{TAGS_CONTROL}" toName="{TEXT_OBJECT}" choice="multiple" showInline="true">
{tags}
  </Choices>
</View>
"""


def make_candidates(cfg: "CandidatesConfig") -> dict[str, Any]:
    """``scripts/candidates.py``: write the tasks file and ``labeling_config.xml`` beside it.

    Returns a summary: ``tasks``, ``articles``, ``output`` and ``labeling_config`` paths, and
    the count of tasks per pre-label.
    """
    from collections import Counter

    from stanceml.actors import Gazetteer

    sources = cfg.articles
    if not isinstance(sources, (str, list, tuple)) or not sources:
        raise ValueError("articles: give a folder or a list of .md files, e.g. articles=data/incoming")
    articles = load_articles(sources)
    gaz = Gazetteer.default().extend(Gazetteer.load(None, cfg.actor_files)) if cfg.actor_files else Gazetteer.default()
    from stanceml.baseline import RuleBaseline

    tasks = candidate_tasks(articles, cfg.targets, gaz, RuleBaseline.from_config(cfg.baseline), relevance=cfg.relevance)
    output = Path(cfg.output)
    config_path = output.with_name("labeling_config.xml")
    write_json(output, tasks)
    atomic_write_text(config_path, labeling_config())
    labels = Counter(t["predictions"][0]["result"][0]["value"]["choices"][0] for t in tasks)
    return {"tasks": len(tasks), "articles": len(articles), "output": str(output),
            "labeling_config": str(config_path), "pre_labels": dict(labels)}


# ----------------------------------------------------------------------------- import


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
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        problems.append(Problem(str(path), 0, "", f"cannot read: {err}"))
        return None
    return parse_article(path, raw, problems)


class ImportResult(list):
    """The records of an import (a plain list of dicts) plus what was skipped and why.

    ``skipped`` lists ``(position, task id, reason)`` for tasks that gave no record.
    """

    def __init__(self, records: Iterable[dict[str, Any]] = (), skipped: Iterable[tuple[int, Any, str]] = ()):
        super().__init__(records)
        self.skipped: list[tuple[int, Any, str]] = list(skipped)


def import_export(export_path: str | Path, articles_dir: str | Path) -> ImportResult:
    """Turn a Label Studio JSON export into validated corpus records.

    Args:
        export_path: the file from Label Studio's *Export* -> *JSON* (a list of tasks, each
            with ``data`` as written by :func:`candidate_tasks` and ``annotations``).
        articles_dir: the folder holding ``<article_id>.md`` for every task's article.

    Returns:
        One record per annotated task, keys ``article_id, sentence, actor, target, stance,
        tags`` (the annotation-file format), in export order; a triple annotated in two tasks
        with the same stance is returned once. The result is a list with a ``skipped``
        attribute (see :class:`ImportResult`).

    Raises:
        CorpusError: every problem at once; each names the export file, the task's position
            in the export (1 = first task) as its line, the field, and the task id.
    """
    path = Path(export_path)
    where = str(path)
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CorpusError([Problem(where, 0, "", "no such file")]) from None
    except UnicodeDecodeError as err:
        raise CorpusError([Problem(where, 0, "", f"not valid UTF-8 ({err.reason})")]) from None
    except json.JSONDecodeError as err:
        raise CorpusError([Problem(where, err.lineno, "", f"not valid JSON: {err.msg} (column {err.colno})")]) from None
    if not isinstance(tasks, list) or any(isinstance(t, dict) and "annotations" not in t for t in tasks):
        raise CorpusError([Problem(where, 0, "", "expected Label Studio's JSON export: a list of tasks with "
                                   "'annotations' (JSON-MIN and CSV exports are not supported)")])

    articles_dir = Path(articles_dir)
    articles: dict[str, Article] = {}
    bad_articles: set[str] = set()
    problems: list[Problem] = []
    records = ImportResult()
    seen: dict[tuple[str, str, str, str], tuple[str, int, Any]] = {}
    for position, task in enumerate(tasks, start=1):
        if not isinstance(task, dict):
            problems.append(Problem(where, position, "", "each task must be a JSON object"))
            continue
        task_id = task.get("id", "?")
        data = task.get("data")
        if not isinstance(data, dict):
            problems.append(Problem(where, position, "data", f"task id {task_id}: 'data' must be an object"))
            continue
        annotations = task.get("annotations")
        if not isinstance(annotations, list):
            problems.append(Problem(where, position, "annotations", f"task id {task_id}: must be a list"))
            continue
        annotation = _latest(annotations)
        if annotation is None:
            reason = "every annotation was cancelled (skipped)" if annotations else "not annotated"
            records.skipped.append((position, task_id, reason))
            continue
        result = annotation.get("result")
        if not isinstance(result, list):
            problems.append(Problem(where, position, "result", f"task id {task_id}: the annotation has no result list"))
            continue
        before = len(problems)
        stance = _choices(result, STANCE_CONTROL)
        if not stance:
            problems.append(Problem(where, position, "stance", f"task id {task_id}: no stance chosen "
                                    f"(no '{STANCE_CONTROL}' choice in the annotation's result)"))
        elif len(stance) > 1:
            problems.append(Problem(where, position, "stance", f"task id {task_id}: several stances chosen {stance}"))
        tags = _choices(result, TAGS_CONTROL) or []
        if len(problems) > before:
            continue

        record: dict[str, Any] = {k: data[k] for k in ("article_id", "sentence", "actor", "target") if k in data}
        record["stance"], record["tags"] = stance[0], tags
        article_id = record.get("article_id")
        if isinstance(article_id, str) and article_id not in articles:
            if article_id in bad_articles:
                continue  # already reported once
            article = _read_article(articles_dir, article_id, problems)
            if article is None:
                bad_articles.add(article_id)
                problems.append(Problem(where, position, "article_id",
                                        f"task id {task_id}: article {article_id!r} cannot be used (see above)"))
                continue
            articles[article_id] = article
        found: list[Problem] = []
        triple = parse_triple(record, where, position, articles, found)
        # parse_triple names the file, position and field; add the id Label Studio shows.
        problems += [Problem(p.path, p.line, p.field, f"task id {task_id}: {p.reason}") for p in found]
        if triple is None:
            continue
        key = (triple.article_id, triple.sentence, triple.actor, normalize_target(triple.target))
        if key in seen:
            first_stance, first_position, first_id = seen[key]
            if first_stance != triple.stance:
                problems.append(Problem(where, position, "stance",
                                        f"task id {task_id}: labelled {triple.stance!r}, but task id {first_id} "
                                        f"(position {first_position}) labels the same triple {first_stance!r}"))
            continue
        seen[key] = (triple.stance, position, task_id)
        records.append({"article_id": triple.article_id, "sentence": triple.sentence, "actor": triple.actor,
                        "target": triple.target, "stance": triple.stance, "tags": list(triple.tags)})
    if problems:
        raise CorpusError(problems)
    return records


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
        CorpusError: a conflicting stance (named at the existing line) or an existing
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
        existing = ""
        known: dict[tuple[str, str, str], tuple[str, int]] = {}
        if path.exists():
            try:
                existing = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as err:
                problems.append(Problem(str(path), 0, "", f"cannot read: {err}"))
                continue
            # A malformed line is a problem to fix before importing (nothing is written then).
            for number, old in iter_json_objects(existing, path, problems):
                if all(isinstance(old.get(k), str) for k in ("sentence", "actor", "target")):
                    known[(old["sentence"], old["actor"], normalize_target(old["target"]))] = (str(old.get("stance")), number)
        new = []
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
        if new:
            plans.append((path, existing, new))
    if problems:
        raise CorpusError(problems)
    if not dry_run:
        for path, existing, new in plans:
            if existing and not existing.endswith("\n"):
                existing += "\n"
            lines = "".join(json.dumps({k: r.get(k, []) if k == "tags" else r[k] for k in RECORD_KEYS}, ensure_ascii=False) + "\n" for r in new)
            atomic_write_text(path, existing + lines)
    return {"added": sum(len(n) for _, _, n in plans), "unchanged": unchanged, "files": [str(p) for p, _, _ in plans]}


def import_labelstudio(cfg: "ImportLabelStudioConfig") -> dict[str, Any]:
    """``scripts/import_labelstudio.py``: validate an export and merge it into the corpus.

    Returns :func:`write_annotations`' summary plus ``records`` and ``skipped`` counts.
    """
    if not cfg.export:
        raise ValueError("give the Label Studio JSON export: export=PATH")
    records = import_export(cfg.export, cfg.articles_dir)
    summary = write_annotations(records, cfg.annotations_dir, dry_run=cfg.dry_run)
    return {"records": len(records), "skipped": len(records.skipped), "dry_run": cfg.dry_run, **summary}
