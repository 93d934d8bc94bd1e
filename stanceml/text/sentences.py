"""Split news text into sentences, keeping each sentence's character span in the text.

A rule-based splitter tuned for news prose; no model, no download. The rules:

- A sentence ends at ``.``, ``!``, ``?`` or an ellipsis, together with any closing quotes or
  brackets right after it (``He said: "No." Then ...`` splits after the closing quote),
  when whitespace follows and the next sentence starts like a sentence: an upper-case letter,
  a digit, or an opening quote or bracket. A lower-case continuation never starts a sentence
  (``"Why?" he asked`` and ``e.g. the rules`` stay whole).
- No split after titles and other abbreviations that do not end sentences (Mr., Dr., Gen.,
  Sen., St., No. 10, e.g., i.e., vs., months such as Jan.).
- After an initial ("J. K. Smith"), a dotted acronym ("U.S.", "p.m.") or an abbreviation that
  can end a sentence (Inc., Ltd., etc.), split only when the next word is a common sentence
  opener ("The", "It", "But", ...): "the U.S. The deal" splits, "U.S. officials" does not.
- Decimals and times ("3.5 percent", "10.30") never split: no whitespace follows the point.
- A blank line (paragraph break) and the end of a Markdown heading line always end a sentence.

Offsets index the original text: ``text[s.start:s.end] == s.text``, with surrounding
whitespace trimmed.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class Sentence(NamedTuple):
    """One sentence and its span in the text it came from (unpacks as ``start, end, text``)."""

    start: int
    end: int
    text: str


#: Abbreviations after which a sentence does not end (compared lower-case, without the dot).
NEVER_END = frozenset(
    """mr mrs ms mx dr prof gen lt col maj capt cmdr adm sgt cpl gov sen rep rev hon pres fr
    st mt ft sr jr messrs mme mlle mm dept univ assn
    no nos art arts fig figs vol vols pp para sec ch cl
    vs v cf e.g i.e viz ca approx est
    jan feb mar apr jun jul aug sep sept oct nov dec""".split()
)
#: Abbreviations that may end a sentence; treated like initials and dotted acronyms.
MAY_END = frozenset("etc inc ltd co corp plc bros llc ag sa nv bv gmbh".split())
#: Words that often open a sentence: after an initial or acronym they signal a new sentence.
OPENERS = frozenset(
    """the a an this that these those it its he she they we i you his her their our my
    but and or so yet still also then there here however meanwhile moreover instead
    in on at for from by with after before during since while when if as although though
    because despite according earlier later last next yesterday today tomorrow on
    what why how who where which some many most several both all no one two three""".split()
)

_TERMINAL = re.compile(r"""(?:\.\.\.|…|[.!?])+['"’”)\]»]*(?=\s)""")
_BLOCK_BREAK = re.compile(r"\n[ \t]*\n\s*")
_HEADING = re.compile(r"^[ \t]*#{1,6}[ \t]+(.*)$", re.MULTILINE)
_NEXT_WORD = re.compile(r"\w+")
_OPENING = "\"'“‘([«"


def _is_boundary(text: str, match: re.Match, limit: int) -> bool:
    """Whether the terminal punctuation in ``match`` ends a sentence (``limit``: block end)."""
    j = match.end()
    while j < limit and text[j].isspace():
        j += 1
    if j >= limit:
        return True
    nxt = text[j]
    if nxt in _OPENING:
        nxt = text[j + 1] if j + 1 < limit else ""
    if not (nxt.isupper() or nxt.isdigit()):
        return False  # a lower-case continuation (or punctuation) never opens a sentence
    punct = match.group().rstrip("'\"’”)]»")
    if punct != ".":
        return True  # "!", "?", "...": the capital after them is enough
    # The token before the point, without opening quotes or brackets: "(Mr", "U.S", "e.g".
    i = match.start()
    while i > 0 and not text[i - 1].isspace() and text[i - 1] not in _OPENING:
        i -= 1
    word = text[i : match.start()]
    low = word.lower()
    if low in NEVER_END:
        return False
    initial = len(word) == 1 and word.isalpha() and word.isupper()
    acronym = bool(re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]", word))
    if initial or acronym or low in MAY_END:
        next_word = _NEXT_WORD.match(text, j + (text[j] in _OPENING), limit)
        return next_word is not None and next_word.group().lower() in OPENERS
    return True


def _blocks(text: str) -> list[tuple[int, int]]:
    """Spans of paragraphs (split at blank lines) and of Markdown heading lines."""
    cuts = {0, len(text)}
    for m in _BLOCK_BREAK.finditer(text):
        cuts.update((m.start(), m.end()))
    for m in _HEADING.finditer(text):
        # Cut after the hashes too, so the heading's text is a sentence without its marker.
        cuts.update((m.start(), m.start(1), m.end()))
    points = sorted(cuts)
    return list(zip(points, points[1:]))


def split_sentences(text: str) -> list[Sentence]:
    """Split ``text`` into sentences with their character spans (see the module docstring).

    Segments without a letter or digit (rules such as ``---``) are dropped.
    """
    out: list[Sentence] = []
    for block_start, block_end in _blocks(text):
        start = block_start
        for m in _TERMINAL.finditer(text, block_start, block_end):
            if _is_boundary(text, m, block_end):
                _emit(text, start, m.end(), out)
                start = m.end()
        _emit(text, start, block_end, out)
    return out


def _emit(text: str, start: int, end: int, out: list[Sentence]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    chunk = text[start:end]
    if any(ch.isalnum() for ch in chunk):
        out.append(Sentence(start, end, chunk))
