"""Who can hold a stance, and where a sentence names them: the actor gazetteer.

A :class:`Gazetteer` maps canonical actor names ("Germany") to the ways news text names them
("Berlin", "the German chancellor", "Germany's foreign minister"). The packaged one is read
from ``stanceml/text/gazetteer/*.yaml`` (the format is documented at the top of
``stanceml/text/gazetteer/countries.yaml``); users extend it with their own files or lists, or replace
it entirely.

Matching rules of :meth:`Gazetteer.find_mentions`:

- **Longest match.** At each position the longest alias wins, scanning left to right, so
  "the European Commission" is one mention, not "European" plus "Commission".
- **Whole words.** An alias never matches inside a longer word ("Iran" is not in "Iranian").
- **Case.** Capitals written in an alias are required ("US" never matches "us", "WHO" never
  "who"); a lower-case word initial may be capitalised in the text, so "the Hungarian prime
  minister" also matches "The Hungarian Prime Minister" at a sentence start or in a title.
- **Possessives.** "Germany's" and "Germany’s" are mentions of Germany (the span covers
  "Germany", and the mention is flagged ``possessive``).
- **Spelling.** Straight and curly apostrophes are the same; a space or hyphen in an alias
  matches any run of whitespace (line breaks included) or a hyphen.
- **Ignored phrases** (``ignore:`` in the YAML) are never actors and hide the names inside
  them ("Paris Agreement" is not a mention of France).
- **Later wins.** When two sources give the same alias to different actors, the one loaded
  later (a user file after the packaged ones) keeps it; :attr:`Gazetteer.conflicts` lists them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Union

#: The packaged gazetteer, shipped inside the package (package data) so that a wheel has it too.
DEFAULT_DIR = Path(__file__).resolve().parent / "gazetteer"

#: Phrases generated for each demonym of a country entry.
DEMONYM_TEMPLATES = (
    "the {demonym} government",
    "{demonym} officials",
    "{demonym} diplomats",
    "{demonym} ministers",
    "the {demonym} delegation",
    "{demonym} authorities",
)
#: Phrases generated for each office of an entry (and each demonym, for the first one).
OFFICE_TEMPLATES = ("the {demonym} {office}", "{possessive} {office}")

ENTRY_KEYS = frozenset({"name", "kind", "aliases", "capital", "demonym", "offices", "speaks_for"})
FILE_KEYS = frozenset({"actors", "ignore"})

_POSSESSIVE = re.compile(r"['’]s(?!\w)")
_BARE_APOSTROPHE = re.compile(r"['’](?!\w)")  # "the Netherlands' plan"

ActorsLike = Union["Gazetteer", Mapping[str, Any], Iterable[Any]]


class GazetteerError(ValueError):
    """A gazetteer file or actor list that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Mention:
    """One mention of an actor in a sentence: ``sentence[start:end] == text``."""

    canonical: str
    text: str
    start: int
    end: int
    #: True for "Germany's"/"Germany’s" (the span excludes the "'s").
    possessive: bool = False
    #: How the mention was found: gazetteer, PERSON, ORG, GPE, NORP, noun, role or pronoun
    #: (the last ones from :mod:`stanceml.text.ner` and :mod:`stanceml.analysis.coref`).
    source: str = "gazetteer"
    #: For a mention resolved through coreference, the chain from the mention to the actor
    #: ("he", "its prime minister", "Hungary"); empty for a direct mention.
    via: tuple[str, ...] = ()
    #: Whether the mention is the syntactic subject (or agent) of its clause; True where no
    #: parse says otherwise (the gazetteer alone).
    subject: bool = True


def alias_key(alias: str) -> str:
    """The form under which two spellings of an alias are the same alias."""
    text = alias.replace("’", "'").lower()
    return re.sub(r"[\s-]+", " ", text).strip()


def alias_pattern(alias: str) -> str:
    """A regular expression for ``alias`` following the case and spelling rules above."""
    alias = re.sub(r"\s+", " ", alias.strip())
    parts = []
    for i, ch in enumerate(alias):
        word_start = i == 0 or not alias[i - 1].isalnum()
        if ch == " " or ch == "-":
            parts.append(r"(?:\s+|-)")
        elif ch in "'’":
            parts.append("['’]")
        elif word_start and ch.islower() and len(ch.upper()) == 1:
            parts.append(f"[{re.escape(ch)}{re.escape(ch.upper())}]")
        else:
            parts.append(re.escape(ch))
    return "".join(parts)


def _as_list(value: Any, where: str, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v.strip() for v in value):
        raise GazetteerError(f"{where}: '{key}' must be a string or a list of non-empty strings")
    return [v.strip() for v in value]


def _possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def expand_entry(entry: Mapping[str, Any], where: str = "actor") -> tuple[str, str | None, list[str]]:
    """Turn one YAML entry into ``(canonical, kind, aliases)`` with generated phrases.

    Raises:
        GazetteerError: a missing name, an unknown key (a typo such as ``alias:``) or a
            value of the wrong type.
    """
    if not isinstance(entry, Mapping):
        raise GazetteerError(f"{where}: each actor must be a mapping with at least 'name'")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise GazetteerError(f"{where}: 'name' is missing or empty")
    name = name.strip()
    where = f"{where} ({name})"
    unknown = sorted(set(entry) - ENTRY_KEYS)
    if unknown:
        raise GazetteerError(f"{where}: unknown key(s) {unknown}; known: {sorted(ENTRY_KEYS)}")
    kind = entry.get("kind") or "actor"
    if not isinstance(kind, str):
        raise GazetteerError(f"{where}: 'kind' must be a string")
    aliases = [name] + _as_list(entry.get("aliases"), where, "aliases")
    aliases += _as_list(entry.get("capital"), where, "capital")
    demonyms = _as_list(entry.get("demonym"), where, "demonym")
    for demonym in demonyms:
        aliases += [t.format(demonym=demonym) for t in DEMONYM_TEMPLATES]
    for office in _as_list(entry.get("offices"), where, "offices"):
        for demonym in demonyms:
            aliases.append(OFFICE_TEMPLATES[0].format(demonym=demonym, office=office))
        aliases.append(OFFICE_TEMPLATES[1].format(possessive=_possessive(name), office=office))
    speaks_for = entry.get("speaks_for")
    if speaks_for is not None:
        if not isinstance(speaks_for, str) or not speaks_for.strip():
            raise GazetteerError(f"{where}: 'speaks_for' must be an actor's name")
        # The person's kind is not the actor's kind: leave the actor's own entry to say it.
        return speaks_for.strip(), None, aliases
    return name, kind, aliases


def read_gazetteer_file(path: str | Path) -> tuple[list[tuple[str, str | None, list[str]]], list[str]]:
    """Read one YAML file: its expanded entries and its ``ignore`` phrases."""
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise GazetteerError(f"{path}: cannot read: {err}") from None
    except yaml.YAMLError as err:
        raise GazetteerError(f"{path}: not valid YAML: {err}") from None
    if data is None:
        return [], []
    if not isinstance(data, Mapping):
        raise GazetteerError(f"{path}: expected a mapping with an 'actors:' list")
    unknown = sorted(set(data) - FILE_KEYS)
    if unknown:
        raise GazetteerError(f"{path}: unknown top-level key(s) {unknown}; known: {sorted(FILE_KEYS)}")
    actors = data.get("actors") or []
    if not isinstance(actors, list):
        raise GazetteerError(f"{path}: 'actors' must be a list")
    entries = [expand_entry(e, f"{path}: actors[{i}]") for i, e in enumerate(actors)]
    return entries, _as_list(data.get("ignore"), str(path), "ignore")


class Gazetteer:
    """Canonical actors, their aliases, and a mention finder over them.

    Build one with :meth:`load` (YAML files), :meth:`from_actors` (a list or mapping) or
    :meth:`default` (the packaged files, cached); :meth:`extend` returns a new gazetteer with
    more actors. Instances are not changed after construction, so one can be shared between
    threads.
    """

    def __init__(self, entries: Iterable[tuple[str, str | None, Iterable[str]]] = (), ignore: Iterable[str] = ()):
        self._kinds: dict[str, str] = {}
        self._by_key: dict[str, str | None] = {}  # alias key -> canonical (None: ignored phrase)
        self._spellings: dict[str, str] = {}  # alias string -> its key, in insertion order
        self.conflicts: list[tuple[str, str | None, str | None]] = []
        self._entries: list[tuple[str, str | None, tuple[str, ...]]] = []
        self._ignore: list[str] = []
        for canonical, kind, aliases in entries:
            self._add(canonical, kind, aliases)
        for phrase in ignore:
            self._add_alias(phrase, None)
            self._ignore.append(phrase)
        self._regex = self._compile()

    def _add(self, canonical: str, kind: str | None, aliases: Iterable[str]) -> None:
        aliases = tuple(aliases)
        self._entries.append((canonical, kind, aliases))
        if canonical not in self._kinds or self._kinds[canonical] == "actor":
            self._kinds[canonical] = kind or self._kinds.get(canonical) or "actor"
        for alias in (canonical, *aliases):
            self._add_alias(alias, canonical)

    def _add_alias(self, alias: str, canonical: str | None) -> None:
        alias = re.sub(r"\s+", " ", alias.strip())
        if not alias:
            return
        key = alias_key(alias)
        old = self._by_key.get(key, canonical)
        if key in self._by_key and old != canonical:
            self.conflicts.append((alias, old, canonical))
        self._by_key[key] = canonical
        self._spellings.setdefault(alias, key)

    def _compile(self) -> re.Pattern | None:
        spellings = sorted(self._spellings, key=len, reverse=True)
        if not spellings:
            return None
        # Longest alias first: at each position the alternation takes the first that matches.
        body = "|".join(alias_pattern(s) for s in spellings)
        return re.compile(rf"(?<!\w)(?:{body})(?!\w)")

    # -- construction ------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        folder: str | Path | None = DEFAULT_DIR,
        extra: Iterable[str | Path] = (),
    ) -> Gazetteer:
        """Read every ``*.yaml`` in ``folder`` (name order), then each file in ``extra``.

        ``folder=None`` skips the packaged files, so ``extra`` alone defines the actors.

        Raises:
            GazetteerError: a missing folder or file, invalid YAML or a malformed entry,
                named with its file and position.
        """
        files: list[Path] = []
        if folder is not None:
            folder = Path(folder)
            if not folder.is_dir():
                raise GazetteerError(f"actor folder {folder} does not exist")
            files += sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
        for path in extra:
            path = Path(path)
            if not path.is_file():
                raise GazetteerError(f"actor file {path} does not exist")
            files.append(path)
        entries, ignore = [], []
        for path in files:
            e, i = read_gazetteer_file(path)
            entries += e
            ignore += i
        return cls(entries, ignore)

    @classmethod
    def default(cls) -> Gazetteer:
        """The packaged gazetteer (``stanceml/text/gazetteer/``), read once per process."""
        return _default_gazetteer()

    @classmethod
    def from_actors(cls, actors: ActorsLike) -> Gazetteer:
        """A gazetteer holding only ``actors``.

        ``actors`` is a list of names (each its own canonical actor), a mapping
        ``{canonical: [aliases]}``, a list of YAML-style entries (dicts with ``name``,
        ``aliases``, ...), a ``Path`` to a YAML file, or a :class:`Gazetteer`.
        """
        if isinstance(actors, Gazetteer):
            return actors
        if isinstance(actors, Path):
            return cls.load(None, [actors])
        return cls(_entries_from(actors))

    def extend(self, actors: ActorsLike) -> Gazetteer:
        """A new gazetteer with this one's actors plus ``actors`` (which win on conflicts)."""
        other = Gazetteer.from_actors(actors)
        return Gazetteer(self._entries + other._entries, self._ignore + other._ignore)

    # -- queries -----------------------------------------------------------------------

    @property
    def canonical_names(self) -> list[str]:
        """Canonical actor names, in the order they were defined."""
        return list(self._kinds)

    def __len__(self) -> int:
        return len(self._kinds)

    def __contains__(self, name: object) -> bool:
        return name in self._kinds

    def kind(self, canonical: str) -> str:
        """The entry's ``kind`` (country, body, party, ...; ``actor`` when not given)."""
        return self._kinds[canonical]

    def aliases(self, canonical: str) -> list[str]:
        """Every spelling that names ``canonical`` (the canonical name included)."""
        if canonical not in self._kinds:
            raise KeyError(f"unknown actor {canonical!r}")
        return [s for s, key in self._spellings.items() if self._by_key.get(key) == canonical]

    def resolve(self, text: str) -> str | None:
        """The canonical actor that ``text`` names exactly (case rules apply), or None."""
        mentions = self.find_mentions(text.strip())
        if len(mentions) == 1 and mentions[0].start == 0 and mentions[0].end == len(text.strip()):
            return mentions[0].canonical
        return None

    def find_mentions(self, sentence: str) -> list[Mention]:
        """Every actor mention in ``sentence``, left to right, longest match first.

        Offsets index ``sentence`` itself; see the module docstring for the rules.
        """
        if self._regex is None or not sentence:
            return []
        found = []
        for m in self._regex.finditer(sentence):
            canonical = self._by_key.get(alias_key(m.group()))
            if canonical is None:
                continue  # an ignored phrase: it only hides the names inside it
            after = sentence[m.end() : m.end() + 3]
            possessive = bool(_POSSESSIVE.match(after)) or (
                m.group().endswith("s") and bool(_BARE_APOSTROPHE.match(after))
            )
            found.append(Mention(canonical, m.group(), m.start(), m.end(), possessive))
        return found


@lru_cache(maxsize=1)
def _default_gazetteer() -> Gazetteer:
    if not DEFAULT_DIR.is_dir():
        raise GazetteerError(
            f"the packaged actor gazetteer is missing ({DEFAULT_DIR}); pass a folder or your own actors"
        )
    return Gazetteer.load(DEFAULT_DIR)


def _entries_from(actors: Any) -> list[tuple[str, str | None, list[str]]]:
    """Normalise the user's actor list or mapping into gazetteer entries."""
    if isinstance(actors, (str, bytes)):
        raise GazetteerError("actors must be a list of names or a mapping {name: [aliases]}, not one string")
    if isinstance(actors, Mapping):
        entries = []
        for name, aliases in actors.items():
            if not isinstance(name, str) or not name.strip():
                raise GazetteerError(f"actor names must be non-empty strings, got {name!r}")
            entries.append(expand_entry({"name": name, "aliases": aliases}, "actors"))
        return entries
    entries = []
    for i, item in enumerate(actors):
        if isinstance(item, str):
            if not item.strip():
                raise GazetteerError(f"actors[{i}] is empty")
            entries.append((item.strip(), "actor", []))
        elif isinstance(item, Mapping):
            entries.append(expand_entry(item, f"actors[{i}]"))
        else:
            raise GazetteerError(f"actors[{i}]: expected a name or a mapping, got {type(item).__name__}")
    return entries
