"""Read and validate the gold corpus (``data/articles/*.md`` + ``data/annotations/*.jsonl``).

The format is the contract in ``DESIGN.md``. Every problem found is collected in one pass
and reported with its file, line and field, so an annotator fixes a whole file at once.
This module uses the standard library only, so annotators can check their work with
``python -m stanceml.corpus data/`` before any heavy dependency is installed.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from stanceml.labels import LABELS, TAGS

FRONT_MATTER_KEYS = ("id", "title", "date", "topic")
REQUIRED_FIELDS = ("article_id", "sentence", "actor", "target", "stance")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def normalize_target(target: str) -> str:
    """The form in which two target phrasings count as the same target.

    Lower case, curly quotes straightened, punctuation dropped, a leading article removed:
    "The EU-Mercosur agreement" and "the EU Mercosur agreement" are the same target.
    """
    t = target.lower().replace("’", "'")
    t = re.sub(r"[^\w' ]+", " ", t)
    t = re.sub(r"\s+", " ", t).strip()
    return re.sub(r"^(the|a|an) ", "", t)


@dataclass(frozen=True)
class Article:
    """One news article: its front matter and its body text (front matter removed)."""

    article_id: str
    title: str
    date: str
    topic: str
    text: str


@dataclass(frozen=True)
class Triple:
    """One labelled (sentence, actor, target) -> stance example."""

    article_id: str
    sentence: str
    actor: str
    target: str
    stance: str
    tags: tuple[str, ...] = ()
    topic: str = ""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the corpus, located as precisely as we can."""

    path: str
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        what = f" [{self.field}]" if self.field else ""
        return f"{where}{what}: {self.reason}"


class CorpusError(ValueError):
    """Raised with every problem found in a corpus, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s) in the corpus:\n{shown}{more}")


@dataclass
class Corpus:
    """A validated corpus: articles by id and all their triples."""

    articles: dict[str, Article]
    triples: list[Triple] = field(default_factory=list)


def _read_text(path: Path, problems: list[Problem]) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        # Name the line too: count newlines before the first bad byte.
        line = path.read_bytes()[: err.start].count(b"\n") + 1
        problems.append(Problem(str(path), line, "", f"not valid UTF-8 ({err.reason} at byte {err.start})"))
    except OSError as err:
        problems.append(Problem(str(path), 0, "", f"cannot read: {err}"))
    return None


def iter_json_objects(raw: str, path: str | Path, problems: list[Problem]) -> Iterator[tuple[int, dict]]:
    """Yield ``(line number, object)`` for each non-blank JSON line of ``raw``.

    A malformed line or one that is not a JSON object becomes a :class:`Problem` (file, line)
    and is skipped, so callers collect every problem in one pass.
    """
    for number, text in enumerate(raw.splitlines(), start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as err:
            problems.append(Problem(str(path), number, "", f"malformed JSON: {err.msg} (column {err.colno})"))
            continue
        if not isinstance(record, dict):
            problems.append(Problem(str(path), number, "", "each line must be a JSON object"))
            continue
        yield number, record


def parse_article(path: Path, raw: str, problems: list[Problem]) -> Article | None:
    """Parse one article's front matter and body; append problems instead of raising."""
    before = len(problems)
    lines = raw.splitlines()
    if not lines or lines[0].strip() != "---":
        problems.append(Problem(str(path), 1, "front matter", "must start with a '---' line"))
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        problems.append(Problem(str(path), 1, "front matter", "no closing '---' line"))
        return None
    meta: dict[str, str] = {}
    for i in range(1, end):
        line = lines[i]
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep:
            problems.append(Problem(str(path), i + 1, "front matter", f"expected 'key: value', got {line!r}"))
            continue
        meta[key.strip()] = value.strip().strip('"').strip("'")
    ok = True
    for key in FRONT_MATTER_KEYS:
        if not meta.get(key):
            problems.append(Problem(str(path), 1, key, "missing or empty in front matter"))
            ok = False
    if not ok:
        return None
    if meta["id"] != path.stem:
        problems.append(Problem(str(path), 2, "id", f"id {meta['id']!r} does not match the file name {path.stem!r}"))
        ok = False
    if not _ID.match(meta["id"]):
        problems.append(Problem(str(path), 2, "id", "use lower-case letters, digits and '-'"))
        ok = False
    if not _DATE.match(meta["date"]):
        problems.append(Problem(str(path), 1, "date", f"expected YYYY-MM-DD, got {meta['date']!r}"))
        ok = False
    body = "\n".join(lines[end + 1 :]).strip()
    if not body:
        problems.append(Problem(str(path), end + 2, "body", "the article has no text"))
        ok = False
    if not ok or len(problems) > before:
        return None
    return Article(meta["id"], meta["title"], meta["date"], meta["topic"], body)


def parse_triple(
    record: object, path: str, line: int, articles: dict[str, Article], problems: list[Problem]
) -> Triple | None:
    """Validate one decoded annotation record against its article."""
    if not isinstance(record, dict):
        problems.append(Problem(path, line, "", "each line must be a JSON object"))
        return None
    before = len(problems)
    for name in REQUIRED_FIELDS:
        value = record.get(name)
        if name not in record:
            problems.append(Problem(path, line, name, "missing"))
        elif not isinstance(value, str):
            problems.append(Problem(path, line, name, f"must be a string, got {type(value).__name__}"))
        elif not value.strip():
            problems.append(Problem(path, line, name, "empty"))
    tags = record.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        problems.append(Problem(path, line, "tags", "must be a list of strings"))
        tags = []
    unknown = sorted(set(tags) - TAGS)
    if unknown:
        problems.append(Problem(path, line, "tags", f"unknown tag(s) {unknown}; known: {sorted(TAGS)}"))
    if len(problems) > before:
        return None
    stance = record["stance"]
    if stance not in LABELS:
        problems.append(Problem(path, line, "stance", f"unknown stance {stance!r}; expected one of {list(LABELS)}"))
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
    if not re.search(rf"(?<!\w){re.escape(actor)}(?!\w)", sentence):
        # Whole words only, as the model marks it: "Austria" inside "Austrian" is no mention.
        problems.append(Problem(path, line, "actor", f"{actor!r} does not occur in the sentence as a whole mention"))
        return None
    return Triple(
        article_id=article.article_id,
        sentence=sentence,
        actor=actor,
        target=record["target"].strip(),
        stance=stance,
        tags=tuple(sorted(set(tags))),
        topic=article.topic,
    )


def read_corpus(articles_dir: str | Path, annotations_dir: str | Path) -> Corpus:
    """Read and validate a corpus folder pair.

    Raises:
        CorpusError: listing every problem (file, line, field, reason) when any is found.
    """
    articles_dir, annotations_dir = Path(articles_dir), Path(annotations_dir)
    problems: list[Problem] = []
    for folder in (articles_dir, annotations_dir):
        if not folder.is_dir():
            problems.append(Problem(str(folder), 0, "", "folder does not exist"))
    if problems:
        raise CorpusError(problems)

    articles: dict[str, Article] = {}
    article_paths = sorted(articles_dir.glob("*.md"))
    if not article_paths:
        problems.append(Problem(str(articles_dir), 0, "", "no articles (*.md) in the folder"))
    for path in article_paths:
        raw = _read_text(path, problems)
        if raw is not None and (article := parse_article(path, raw, problems)) is not None:
            articles[article.article_id] = article

    triples: list[Triple] = []
    seen: dict[tuple[str, str, str, str], tuple[str, str, int]] = {}
    annotation_paths = sorted(annotations_dir.glob("*.jsonl"))
    if not annotation_paths:
        problems.append(Problem(str(annotations_dir), 0, "", "no annotation files (*.jsonl) in the folder"))
    for path in annotation_paths:
        if not (articles_dir / f"{path.stem}.md").exists():
            problems.append(Problem(str(path), 0, "", f"no article {path.stem}.md for this annotation file"))
            continue
        raw = _read_text(path, problems)
        if raw is None:
            continue
        for number, record in iter_json_objects(raw, path, problems):
            triple = parse_triple(record, str(path), number, articles, problems)
            if triple is None:
                continue
            if triple.article_id != path.stem:
                problems.append(
                    Problem(str(path), number, "article_id", f"{triple.article_id!r} does not match the file name")
                )
                continue
            key = (triple.article_id, triple.sentence, triple.actor, normalize_target(triple.target))
            if key in seen:
                first_stance, first_path, first_line = seen[key]
                kind = "with a different stance" if first_stance != triple.stance else "again"
                problems.append(
                    Problem(str(path), number, "stance", f"triple labelled {kind}; first at {first_path}:{first_line}")
                )
                continue
            seen[key] = (triple.stance, str(path), number)
            triples.append(triple)
    if problems:
        raise CorpusError(problems)
    return Corpus(articles=articles, triples=triples)


def main(argv: list[str] | None = None) -> int:
    """``python -m stanceml.corpus DATA_DIR``: validate a corpus and print its counts."""
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0] if argv else "data")
    try:
        corpus = read_corpus(root / "articles", root / "annotations")
    except CorpusError as err:
        print(err, file=sys.stderr)
        return 1
    from collections import Counter

    stances = Counter(t.stance for t in corpus.triples)
    print(
        f"ok: {len(corpus.articles)} articles, {len(corpus.triples)} triples, "
        f"{len({a.topic for a in corpus.articles.values()})} topics, "
        f"{len({normalize_target(t.target) for t in corpus.triples})} targets; stances {dict(stances)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
