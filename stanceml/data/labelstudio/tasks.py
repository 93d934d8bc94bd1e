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
3. The project's JSON export (*Export* -> *JSON*) goes through :func:`~stanceml.data.labelstudio.importer.import_export`, which
   turns every annotated task into a corpus record and validates it against its article
   exactly as the corpus reader does (:func:`stanceml.data.corpus.parse_triple`);
   :func:`write_annotations` (both in :mod:`stanceml.data.labelstudio.importer`) merges the records into ``data/annotations/<article_id>.jsonl``.

Rules of the import:

- **Cancelled** (skipped) annotations are ignored; a task with no other annotation is
  skipped, and so is a task nobody has annotated yet (a partial export is fine).
- **Several annotations** on one task (two annotators, or a resubmission): the most recent
  non-cancelled one wins, by ``updated_at``, else ``created_at``; without timestamps, the
  last one in the list. Agreement between annotators is not measured here.
- **Problems** are collected in one pass and raised together as a
  :class:`~stanceml.io.DataError`. Each names the export file, the task's position in
  the export as its "line" (counting from 1), the field, and Label Studio's task id.
- **Merging** is idempotent: a triple already in the annotation file with the same stance is
  left as it is; one with a different stance is refused (nothing is written) so that a
  relabelling is a deliberate edit of the annotation file, never a silent overwrite.

This module is plain Python (no Label Studio package, no network): Label Studio only ever
sees the JSON and XML files written here.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Union
from xml.sax.saxutils import quoteattr

from stanceml.config import CandidatesConfig
from stanceml.data.corpus import Article, parse_article
from stanceml.io import DataError, Problem, atomic_write_text, read_text_checked, write_json
from stanceml.labels import LABELS, TAGS
from stanceml.records import StanceInput
from stanceml.text.actors import Gazetteer, Mention
from stanceml.text.sentences import Sentence, split_sentences
from stanceml.text.targets import clean_targets, content_stems, is_about, normalize_target

#: Names of the controls in the labeling config; the importer reads results by these names.
STANCE_CONTROL = "stance"
TAGS_CONTROL = "tags"
TEXT_OBJECT = "text"
MODEL_VERSION = "rule-baseline"
RELEVANCE_RULES = ("overlap", "all")

ArticleLike = Union[Article, str, Path]


# ----------------------------------------------------------------------------- articles


def load_articles(sources: ArticleLike | Iterable[ArticleLike]) -> list[Article]:
    """Articles in the corpus format from folders (every ``*.md``, name order), ``.md``
    files, or :class:`~stanceml.data.corpus.Article` objects, in the order given.

    The corpus reader's parser is used, so the text that candidate sentences are cut from is
    exactly the text the importer later checks them against.

    Raises:
        DataError: a missing path or a malformed article (file, line, field).
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
            raw = read_text_checked(p, problems)
            article = parse_article(p, raw, problems) if raw is not None else None
            if article is not None:
                articles.append(article)
    if problems:
        raise DataError(problems)
    if not articles:
        raise ValueError("no articles given")
    return articles


# ----------------------------------------------------------------------------- tasks


def task_data(article_id: str, item: StanceInput, canonical: str) -> dict[str, Any]:
    """A Label Studio task's ``data`` for one question (the sentence doubles as ``text``)."""
    start, end = item.span if item.span is not None else (-1, -1)
    return {"article_id": article_id, "sentence": item.sentence, "actor": item.actor, "actor_start": start,
            "actor_end": end, "canonical_actor": canonical, "target": item.target, "text": item.sentence}


def task_input(data: dict[str, Any]) -> StanceInput:
    """The question a task's ``data`` asks (the inverse of :func:`task_data`)."""
    span = (data["actor_start"], data["actor_end"]) if data.get("actor_start", -1) >= 0 else None
    return StanceInput(data["sentence"], data["actor"], data["target"], span=span)


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


def _mention_pairs(article: Article, gaz: Gazetteer) -> tuple[list[tuple[Sentence, Mention]], int]:
    """(sentence, mention) pairs of an article, and how many sentences were skipped for a line break."""
    pairs, broken = [], 0
    for s in split_sentences(article.text):
        mentions = gaz.find_mentions(s.text)
        if mentions and "\n" in s.text:
            broken += 1
            continue
        pairs += [(s, m) for m in mentions]
    return pairs, broken


def _article_tasks(article: Article, pairs: list[tuple[Sentence, Mention]], targets: list[str],
                   target_stems: dict[str, set[str]], relevance: str) -> list[dict[str, Any]]:
    about = {t: [relevance == "all" or is_about(s.text, target_stems[t], (m.start, m.end)) for s, m in pairs]
             for t in targets}
    for t, flags in about.items():
        if not any(flags):
            # No sentence of the article shares a word with the target: ask about every
            # one rather than none, as the analysis does (a paraphrased target).
            about[t] = [True] * len(pairs)
    tasks, seen = [], set()
    for i, (s, m) in enumerate(pairs):
        for target in targets:
            key = (s.text, m.text, normalize_target(target))
            if about[target][i] and key not in seen:
                seen.add(key)
                item = StanceInput(s.text, m.text, target, span=(m.start, m.end))
                tasks.append({"data": task_data(article.article_id, item, m.canonical)})
    return tasks


def candidate_tasks(
    articles: ArticleLike | Iterable[ArticleLike],
    targets: Sequence[str] | str,
    gazetteer: Gazetteer | None = None,
    baseline: Any = None,
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
            :func:`stanceml.analysis.analyze.analyze_text`); ``"all"``: every sentence, every target.
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
    if relevance not in RELEVANCE_RULES:
        raise ValueError(f"relevance must be one of {RELEVANCE_RULES}, got {relevance!r}")
    targets = clean_targets(targets)
    gaz = gazetteer if gazetteer is not None else Gazetteer.default()
    target_stems = {t: content_stems(t) for t in targets}
    tasks: list[dict[str, Any]] = []
    broken = 0
    for article in load_articles(articles):
        pairs, skipped = _mention_pairs(article, gaz)
        broken += skipped
        tasks += _article_tasks(article, pairs, targets, target_stems, relevance)
    if broken:
        warnings.warn(f"{broken} sentence(s) with an actor span a line break and were skipped; "
                      "rewrap those paragraphs to annotate them", stacklevel=2)
    if baseline is not None and tasks:
        items = [task_input(t["data"]) for t in tasks]
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


def make_candidates(cfg: CandidatesConfig, baseline: Any = None) -> dict[str, Any]:
    """``scripts/candidates.py``: write the tasks file and ``labeling_config.xml`` beside it.

    Args:
        baseline: the pre-labeller (anything with ``predict_proba``); the script passes the
            rule baseline built from ``cfg.baseline``.

    Returns a summary: ``tasks``, ``articles``, ``output`` and ``labeling_config`` paths, and
    the count of tasks per pre-label.
    """
    sources = cfg.articles
    if not isinstance(sources, (str, list, tuple)) or not sources:
        raise ValueError("articles: give a folder or a list of .md files, e.g. articles=data/incoming")
    articles = load_articles(sources)
    gaz = Gazetteer.default().extend(Gazetteer.load(None, cfg.actor_files)) if cfg.actor_files else Gazetteer.default()
    tasks = candidate_tasks(articles, cfg.targets, gaz, baseline, relevance=cfg.relevance)
    output = Path(cfg.output)
    config_path = output.with_name("labeling_config.xml")
    write_json(output, tasks)
    atomic_write_text(config_path, labeling_config())
    labels = Counter(t["predictions"][0]["result"][0]["value"]["choices"][0] for t in tasks if t.get("predictions"))
    return {"tasks": len(tasks), "articles": len(articles), "output": str(output),
            "labeling_config": str(config_path), "pre_labels": dict(labels)}
