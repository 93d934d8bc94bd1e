"""Candidate triples from raw articles: every sentence x actor mention x target.

Articles are read from files or folders (searched recursively, in path order):

- ``.md`` / ``.markdown``: front matter (``id``, ``date``, ``title``) blanked out, so offsets
  index the file as it is;
- ``.txt`` / ``.text``: the whole file, its name (without suffix) as the id;
- ``.jsonl`` / ``.ndjson``: one article per line, ``{"id", "date"?, "title"?, "text"}``,
  read line by line (an archive file can be large); offsets index ``text``.

Sentences come from a splitter (default :func:`stanceml.text.sentences.split_sentences`) and
actor mentions from a finder, a callable ``sentence -> mentions`` (default: the packaged
gazetteer's :meth:`~stanceml.text.actors.Gazetteer.find_mentions`), so a better finder can be
plugged in without touching this module. As in the analysis, an actor named inside a target
is not asked about it, and (``relevance="overlap"``) a sentence is paired with a target
only when it shares a content word with it outside the mention.

Each triple keeps where it came from: ``article_id``, ``date``, ``title``, the sentence's
``sentence_start``/``sentence_end`` and the mention's ``mention_start``/``mention_end`` in
the article, ``span_start``/``span_end`` in the sentence (what the model marks), the mention
text as ``actor`` and its canonical name as ``actor_canonical``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from stanceml.data.articles import strip_front_matter
from stanceml.io import Problem
from stanceml.score.formats import Item, Position, ScoreError
from stanceml.text.actors import Gazetteer
from stanceml.text.sentences import split_sentences
from stanceml.text.targets import clean_targets, content_stems, is_about

MARKDOWN, PLAIN, JSONL = (".md", ".markdown"), (".txt", ".text"), (".jsonl", ".ndjson")
RELEVANCE_RULES = ("overlap", "all")


class MentionLike(Protocol):
    """What a finder returns per mention (:class:`stanceml.text.actors.Mention` is one)."""

    canonical: str
    text: str
    start: int
    end: int


#: A callable ``sentence -> mentions`` (each :class:`MentionLike`).
Finder = Callable[[str], Sequence[Any]]
Splitter = Callable[[str], Sequence[Any]]


@dataclass(frozen=True)
class RawArticle:
    """One article as read, before sentence splitting."""

    article_id: str
    text: str
    date: str | None
    title: str
    source: str
    line: int


def article_files(paths: Sequence[str | Path]) -> list[Path]:
    """The article files under ``paths`` (files as given, folders searched recursively)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in MARKDOWN + PLAIN + JSONL)
        elif p.is_file():
            out.append(p)
        else:
            raise ScoreError(f"{p}: no such file or folder")
    if not out:
        raise ScoreError(f"no article files (.md, .txt, .jsonl) in {', '.join(map(str, paths))}")
    return out


def _read_file(path: Path) -> Iterator[RawArticle | Problem]:
    """The articles of one file, or the problem with each one that cannot be read."""
    suffix = path.suffix.lower()
    if suffix in JSONL:
        yield from _read_jsonl(path)
        return
    if suffix not in MARKDOWN + PLAIN:
        yield Problem(str(path), 0, "", f"unsupported file type {suffix or '(none)'!r}; use .md, .txt or .jsonl")
        return
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        line = path.read_bytes()[: err.start].count(b"\n") + 1
        yield Problem(str(path), line, "", f"not valid UTF-8 ({err.reason} at byte {err.start})")
        return
    if suffix in PLAIN:
        yield RawArticle(path.stem, raw, None, "", str(path), 1)
        return
    text, meta = strip_front_matter(raw)
    yield RawArticle(meta.get("id") or path.stem, text, meta.get("date") or None, meta.get("title", ""), str(path), 1)


def _read_jsonl(path: Path) -> Iterator[RawArticle | Problem]:
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as err:
                yield Problem(str(path), number, "", f"not valid UTF-8 ({err.reason} at byte {err.start} of the line)")
                continue
            except json.JSONDecodeError as err:
                yield Problem(str(path), number, "", f"malformed JSON: {err.msg} (column {err.colno})")
                continue
            text = record.get("text") if isinstance(record, dict) else None
            if not isinstance(text, str) or not text.strip():
                yield Problem(str(path), number, "text", "missing, empty or not a string")
                continue
            article_id = record.get("id", record.get("article_id", f"{path.stem}:{number}"))
            date = record.get("date")
            yield RawArticle(
                str(article_id),
                text,
                None if date is None else str(date),
                str(record.get("title", "")),
                str(path),
                number,
            )


class ArticleSource:
    """Candidate triples of articles as a :class:`~stanceml.score.formats.Source`.

    Rows are numbered in the order triples are made (files in path order, then sentences,
    mentions, targets), so a resumed run regenerates the same rows and skips those done;
    an article that cannot be read is one error row.
    """

    def __init__(
        self,
        paths: Sequence[str | Path],
        targets: Sequence[str],
        finder: Finder | None = None,
        splitter: Splitter | None = None,
        relevance: str = "overlap",
    ):
        if relevance not in RELEVANCE_RULES:
            raise ScoreError(f"relevance must be one of {RELEVANCE_RULES}, got {relevance!r}")
        try:
            self.targets = clean_targets(targets)
        except ValueError as err:
            raise ScoreError(str(err)) from None
        self.files = article_files(paths)
        self.path = str(paths[0]) if len(paths) == 1 else ", ".join(map(str, paths))
        self.finder: Finder = finder or Gazetteer.default().find_mentions
        self.splitter: Splitter = splitter or split_sentences
        self.relevance = relevance
        self._inside = [{m.canonical for m in self.finder(t)} for t in self.targets]
        self._stems = [content_stems(t) for t in self.targets]

    def count(self) -> int | None:
        """Unknown until the articles are read."""
        return None

    def fingerprint(self) -> dict[str, Any]:
        """The files (with sizes and times), the targets and the rule: what fixes the rows."""
        h = hashlib.sha256()
        for f in self.files:
            st = f.stat()
            h.update(f"{f.resolve()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        return {
            "articles": h.hexdigest(),
            "files": len(self.files),
            "targets": self.targets,
            "relevance": self.relevance,
        }

    def triples(self, article: RawArticle) -> Iterator[dict[str, Any]]:
        """The candidate triples of one article."""
        for sent in self.splitter(article.text):
            start, end, text = sent[0], sent[1], sent[2]
            for m in self.finder(text):
                for ti, target in enumerate(self.targets):
                    if m.canonical in self._inside[ti]:
                        continue
                    if self.relevance == "overlap" and not is_about(text, self._stems[ti], (m.start, m.end)):
                        continue
                    yield {
                        "article_id": article.article_id,
                        "date": article.date,
                        "title": article.title,
                        "sentence": text,
                        "actor": m.text,
                        "actor_canonical": m.canonical,
                        "target": target,
                        "span_start": m.start,
                        "span_end": m.end,
                        "sentence_start": start,
                        "sentence_end": end,
                        "mention_start": start + m.start,
                        "mention_end": start + m.end,
                        "source": article.source,
                    }

    def items(self, start: Position) -> Iterator[Item]:
        """See :meth:`stanceml.score.formats.Source.items` (rows up to ``start.row`` are skipped)."""
        row = 0
        for f in self.files:
            for article in _read_file(f):
                if isinstance(article, Problem):
                    row += 1
                    if row > start.row:
                        yield Item(row, article.line, None, article)
                    continue
                for triple in self.triples(article):
                    row += 1
                    if row > start.row:
                        yield Item(row, article.line, triple)
