"""Read and validate the gold corpus (``data/articles/*.md`` + ``data/annotations/*.jsonl``).

The format is the contract in ``DESIGN.md``. Every problem found is collected in one pass
and reported with its file, line and field, so an annotator fixes a whole file at once.
This module and what it imports use the standard library only, so annotators can check
their work with ``python -m stanceml.data.corpus data/`` before any heavy dependency is
installed.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stanceml.io import DataError, Problem, iter_json_objects, parse_front_matter, read_text_checked
from stanceml.labels import TAGS
from stanceml.records import CORPUS_FIELDS, Triple, check_fields
from stanceml.text.targets import normalize_target

FRONT_MATTER_KEYS = ("id", "title", "date", "topic")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
#: Whole words only, as the model marks it: "Austria" inside "Austrian" is no mention.
_WHOLE = r"(?<!\w){}(?!\w)"


@dataclass(frozen=True)
class Article:
    """One news article: its front matter and its body text (front matter removed)."""

    article_id: str
    title: str
    date: str
    topic: str
    text: str
    #: Other front-matter keys (genre, region, ...), kept for the data card.
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass
class Corpus:
    """A validated corpus: articles by id and all their triples."""

    articles: dict[str, Article]
    triples: list[Triple] = field(default_factory=list)


def parse_article(path: Path, raw: str, problems: list[Problem]) -> Article | None:
    """Parse one article's front matter and body; append problems instead of raising."""
    before = len(problems)
    fm = parse_front_matter(raw)
    if fm is None:
        problems.append(Problem(str(path), 1, "front matter", "must start with a '---' line"))
        return None
    if not fm.closed:
        problems.append(Problem(str(path), 1, "front matter", "no closing '---' line"))
        return None
    for number, line in fm.bad_lines:
        problems.append(Problem(str(path), number, "front matter", f"expected 'key: value', got {line!r}"))
    meta = fm.meta
    missing = [key for key in FRONT_MATTER_KEYS if not meta.get(key)]
    for key in missing:
        problems.append(Problem(str(path), 1, key, "missing or empty in front matter"))
    if missing:
        return None
    if meta["id"] != path.stem:
        problems.append(Problem(str(path), 2, "id", f"id {meta['id']!r} does not match the file name {path.stem!r}"))
    if not _ID.match(meta["id"]):
        problems.append(Problem(str(path), 2, "id", "use lower-case letters, digits and '-'"))
    if not _DATE.match(meta["date"]):
        problems.append(Problem(str(path), 1, "date", f"expected YYYY-MM-DD, got {meta['date']!r}"))
    body = "\n".join(raw[fm.end:].splitlines()).strip()
    if not body:
        problems.append(Problem(str(path), fm.end_line + 1, "body", "the article has no text"))
    if len(problems) > before:
        return None
    extra = {k: v for k, v in meta.items() if k not in FRONT_MATTER_KEYS}
    return Article(meta["id"], meta["title"], meta["date"], meta["topic"], body, extra)


def parse_triple(
    record: Any, path: str, line: int, articles: dict[str, Article], problems: list[Problem]
) -> Triple | None:
    """Validate one decoded annotation record against its article."""
    if not isinstance(record, dict):
        problems.append(Problem(path, line, "", "each line must be a JSON object"))
        return None
    if not check_fields(record, path, line, problems, required=CORPUS_FIELDS, known_tags=TAGS):
        return None
    article = articles.get(record["article_id"])
    if article is None:
        problems.append(Problem(path, line, "article_id", f"unknown article {record['article_id']!r}"))
        return None
    sentence, actor = record["sentence"], record["actor"]
    if "\n" in sentence:
        problems.append(Problem(path, line, "sentence", "a sentence may not contain a line break"))
        return None
    if sentence not in article.text:
        problems.append(Problem(path, line, "sentence", f"not found verbatim in article {article.article_id!r}"))
        return None
    if not re.search(_WHOLE.format(re.escape(actor)), sentence):
        problems.append(Problem(path, line, "actor", f"{actor!r} does not occur in the sentence as a whole mention"))
        return None
    return Triple(
        article_id=article.article_id,
        sentence=sentence,
        actor=actor,
        target=record["target"].strip(),
        stance=record["stance"],
        tags=tuple(sorted(set(record.get("tags", [])))),
        topic=article.topic,
    )


def _read_articles(articles_dir: Path, problems: list[Problem]) -> dict[str, Article]:
    articles: dict[str, Article] = {}
    paths = sorted(articles_dir.glob("*.md"))
    if not paths:
        problems.append(Problem(str(articles_dir), 0, "", "no articles (*.md) in the folder"))
    for path in paths:
        raw = read_text_checked(path, problems)
        if raw is not None and (article := parse_article(path, raw, problems)) is not None:
            articles[article.article_id] = article
    return articles


def _read_annotations(path: Path, articles: dict[str, Article], seen: dict, problems: list[Problem]) -> list[Triple]:
    raw = read_text_checked(path, problems)
    if raw is None:
        return []
    triples = []
    for number, record in iter_json_objects(raw, path, problems):
        triple = parse_triple(record, str(path), number, articles, problems)
        if triple is None:
            continue
        if triple.article_id != path.stem:
            problems.append(Problem(str(path), number, "article_id", f"{triple.article_id!r} does not match the file name"))
            continue
        key = (triple.article_id, triple.sentence, triple.actor, normalize_target(triple.target))
        if key in seen:
            first_stance, first_path, first_line = seen[key]
            kind = "with a different stance" if first_stance != triple.stance else "again"
            problems.append(Problem(str(path), number, "stance", f"triple labelled {kind}; first at {first_path}:{first_line}"))
            continue
        seen[key] = (triple.stance, str(path), number)
        triples.append(triple)
    return triples


def read_corpus(
    articles_dir: str | Path, annotations_dir: str | Path, extra_sources: Sequence[str | Path] = ()
) -> Corpus:
    """Read and validate a corpus folder pair, and more corpus folders (each holding
    ``articles/`` and ``annotations/``) as one corpus: an article id may occur only once.

    Raises:
        DataError: listing every problem (file, line, field, reason) when any is found.
    """
    pairs = [(Path(articles_dir), Path(annotations_dir))]
    pairs += [(Path(root) / "articles", Path(root) / "annotations") for root in extra_sources]
    problems = [Problem(str(d), 0, "", "folder does not exist") for pair in pairs for d in pair if not d.is_dir()]
    if problems:
        raise DataError(problems)
    articles: dict[str, Article] = {}
    for a_dir, _ in pairs:
        for aid, article in _read_articles(a_dir, problems).items():
            if aid in articles:
                problems.append(Problem(str(a_dir / f"{aid}.md"), 0, "id", f"article {aid!r} is in two corpus folders"))
            articles[aid] = article
    triples: list[Triple] = []
    seen: dict[tuple[str, str, str, str], tuple[str, str, int]] = {}
    for a_dir, n_dir in pairs:
        annotation_paths = sorted(n_dir.glob("*.jsonl"))
        if not annotation_paths:
            problems.append(Problem(str(n_dir), 0, "", "no annotation files (*.jsonl) in the folder"))
        for path in annotation_paths:
            if not (a_dir / f"{path.stem}.md").exists():
                problems.append(Problem(str(path), 0, "", f"no article {path.stem}.md for this annotation file"))
                continue
            triples += _read_annotations(path, articles, seen, problems)
    if problems:
        raise DataError(problems)
    return Corpus(articles=articles, triples=triples)


def main(argv: list[str] | None = None) -> int:
    """``python -m stanceml.data.corpus DATA_DIR [MORE_DIRS ...]``: validate a corpus (one or
    several folders read as one) and print its counts."""
    argv = sys.argv[1:] if argv is None else argv
    roots = [Path(a) for a in argv] or [Path("data")]
    try:
        corpus = read_corpus(roots[0] / "articles", roots[0] / "annotations", roots[1:])
    except DataError as err:
        print(err, file=sys.stderr)
        return 1
    stances = Counter(t.stance for t in corpus.triples)
    print(
        f"ok: {len(corpus.articles)} articles, {len(corpus.triples)} triples, "
        f"{len({a.topic for a in corpus.articles.values()})} topics, "
        f"{len({normalize_target(t.target) for t in corpus.triples})} targets; stances {dict(stances)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
