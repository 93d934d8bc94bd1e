"""Read the articles a user wants analysed: Markdown, plain text, or JSONL of articles.

- ``.md`` / ``.markdown``: a leading ``---`` front matter block (as in ``data/articles``) is
  skipped; its ``id`` and ``title`` name the article. The front matter is blanked out rather
  than cut off, so the character spans reported in results index the file as it is.
- ``.txt`` / ``.text``: the whole file; the article id is the file name without suffix.
- ``.jsonl`` / ``.ndjson``: one object per line with ``text`` (required) and optional ``id``
  (or ``article_id``), ``title`` and ``targets`` (a list that replaces the command's targets
  for that article). Spans index ``text``.
- ``-``: plain text from standard input.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from stanceml.io import Problem, iter_json_objects, parse_front_matter

MARKDOWN = (".md", ".markdown")
PLAIN = (".txt", ".text")
JSONL = (".jsonl", ".ndjson")


class ArticleError(ValueError):
    """An article file that cannot be read; the message names the file (and line)."""


@dataclass(frozen=True)
class ArticleText:
    """One article to analyse."""

    article_id: str
    text: str
    title: str = ""
    #: Targets given with the article (JSONL ``targets``); None: use the caller's.
    targets: tuple[str, ...] | None = None
    source: str = field(default="", compare=False)


def strip_front_matter(raw: str) -> tuple[str, dict[str, str]]:
    """Blank out a leading ``---`` ... ``---`` block (keeping offsets) and parse its keys.

    Returns the text with the block replaced by spaces (newlines kept) and the block's
    ``key: value`` pairs. Text without a (closed) front matter block is returned unchanged.
    """
    fm = parse_front_matter(raw)
    if fm is None or not fm.closed:
        return raw, {}
    blank = re.sub(r"[^\n]", " ", raw[: fm.end])
    return blank + raw[fm.end :], fm.meta


def read_articles(path: str | Path) -> list[ArticleText]:
    """Read ``path`` (see the module docstring for the formats) into articles.

    Raises:
        ArticleError: a missing file, an unsupported suffix, text that is not UTF-8, or a
            malformed JSONL line (with its line number).
    """
    if str(path) == "-":
        return [ArticleText("stdin", sys.stdin.read(), source="-")]
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in MARKDOWN + PLAIN + JSONL:
        raise ArticleError(f"{path}: unsupported file type {suffix or '(none)'!r}; use .md, .txt or .jsonl")
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ArticleError(f"{path}: no such file") from None
    except UnicodeDecodeError as err:
        raise ArticleError(f"{path}: not valid UTF-8 ({err.reason} at byte {err.start})") from None
    except OSError as err:
        raise ArticleError(f"{path}: cannot read: {err}") from None
    if suffix in MARKDOWN:
        text, meta = strip_front_matter(raw)
        return [ArticleText(meta.get("id") or path.stem, text, meta.get("title", ""), source=str(path))]
    if suffix in PLAIN:
        return [ArticleText(path.stem, raw, source=str(path))]
    return list(_read_jsonl(path, raw))


def _read_jsonl(path: Path, raw: str) -> Iterator[ArticleText]:
    problems: list[Problem] = []
    for number, record in iter_json_objects(raw, path, problems):
        if problems:  # a bad line before this one
            break
        where = f"{path}:{number}"
        text = record.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ArticleError(f"{where} [text]: missing, empty or not a string")
        targets = record.get("targets")
        if targets is not None:
            if not isinstance(targets, list) or not all(isinstance(t, str) and t.strip() for t in targets):
                raise ArticleError(f"{where} [targets]: must be a list of non-empty strings")
            targets = tuple(targets)
        article_id = record.get("id", record.get("article_id", f"{path.stem}:{number}"))
        yield ArticleText(str(article_id), text, str(record.get("title", "")), targets, source=where)
    if problems:
        raise ArticleError(str(problems[0]))
