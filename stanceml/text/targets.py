"""Target phrases: when two phrasings are the same target, and whether a sentence is about one.

Relevance here is lexical: a sentence is about a target when it shares a content-word stem
with it (lower case, a plural ``s`` dropped, the first five letters: "tariffs" and "tariff",
"sanctions" and "sanctioned"), outside the actor's own mention.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def normalize_target(target: str) -> str:
    """The form in which two target phrasings count as the same target.

    Lower case, curly quotes straightened, punctuation dropped, a leading article removed:
    "The EU-Mercosur agreement" and "the EU Mercosur agreement" are the same target.
    """
    t = target.lower().replace("’", "'")
    t = re.sub(r"[^\w' ]+", " ", t)
    t = re.sub(r"\s+", " ", t).strip()
    return re.sub(r"^(the|a|an) ", "", t)


#: Words that say nothing about what a target is.
STOPWORDS = frozenset(
    """a an the of to in on at for from by with into onto over under about against between
    and or but nor not no as than then so such also too very just only
    is are was were be been being am has have had do does did will would shall should can
    could may might must its it this that these those their there his her our your my they
    them he she we you who whom which what whose when where why how all any some each both
    either neither more most other same own new""".split()
)


def _stem(word: str) -> str:
    word = word.lower()
    if len(word) > 3 and word.endswith("s"):
        word = word[:-1]
    return word[:5]


def content_stems(text: str) -> set[str]:
    """The stems of ``text``'s content words (see the module docstring)."""
    out = set()
    for word in re.findall(r"[^\W_]+", text):
        low = word.lower()
        if low in STOPWORDS:
            continue
        # Short words are mostly noise, but acronyms such as EU, AI or UN carry the topic.
        if len(word) < 3 and not (word.isupper() and len(word) >= 2):
            continue
        out.add(_stem(word))
    return out


def is_about(sentence: str, target_stems: set[str], skip: tuple[int, int] | None = None) -> bool:
    """Whether ``sentence`` shares a content word with a target, outside the span ``skip``."""
    if skip is not None:
        sentence = sentence[: skip[0]] + " " + sentence[skip[1] :]
    return bool(content_stems(sentence) & target_stems)


def clean_targets(targets: Iterable[str] | str) -> list[str]:
    """Targets as a list of stripped strings, without duplicates (by normalised form).

    Raises:
        ValueError: an empty or non-string target, or no target at all.
    """
    if isinstance(targets, str):
        targets = [targets]
    out: list[str] = []
    for t in targets:
        if not isinstance(t, str) or not t.strip():
            raise ValueError(f"each target must be a non-empty string, got {t!r}")
        if normalize_target(t) not in {normalize_target(o) for o in out}:
            out.append(t.strip())
    if not out:
        raise ValueError("give at least one target")
    return out
