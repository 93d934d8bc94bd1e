"""Article-level evaluation: the analysis of whole articles against answer keys.

An answer key (``data/v2/answer_keys/<article_id>.json``, format in
``docs/answer-keys.md`` or the key writers' brief) lists, for one or two targets of an
article, every actor the article reports a position for, with the strings that name it in
the text (``mentions``) and its overall stance. :func:`evaluate_articles` runs
:func:`stanceml.analysis.analyze.analyze_text` on each keyed article and target and matches
the actors it reports to the key's actors:

- A reported actor **matches** a key actor when one of its mentions (or its name) equals
  one of the key actor's mentions after normalisation (case, a leading article, a
  possessive), or, failing that, when one contains the other as whole words ("Councillor Ana
  Costa" / "Ana Costa"). Each key actor matches at most one reported actor and the other
  way round (exact matches first, then in key order).
- **Actor recall**: matched key actors / key actors. **Precision**: matched reported actors
  / reported actors. **Stance accuracy**: right stances / matched actors. **End-to-end
  accuracy**: right stances / key actors (an actor not found counts as wrong).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stanceml.analysis.aggregate import ActorStance
from stanceml.labels import LABELS

KEY_FIELDS = ("article_id", "targets")
ACTOR_FIELDS = ("actor", "mentions", "stance")


class AnswerKeyError(ValueError):
    """An answer key that cannot be used; the message names the file and field."""


@dataclass(frozen=True)
class KeyActor:
    """One actor of an answer key: its name, mentions, stance and flags."""

    actor: str
    mentions: tuple[str, ...]
    stance: str
    changed: bool = False
    conditional: bool = False


@dataclass(frozen=True)
class AnswerKey:
    """The answer key of one article: per target, its actors."""

    article_id: str
    targets: dict[str, tuple[KeyActor, ...]]
    path: str = ""


def _key_actor(raw: Any, where: str) -> KeyActor:
    if not isinstance(raw, Mapping):
        raise AnswerKeyError(f"{where}: each actor must be an object")
    missing = [k for k in ACTOR_FIELDS if k not in raw]
    if missing:
        raise AnswerKeyError(f"{where}: missing field(s) {missing}")
    if raw["stance"] not in LABELS:
        raise AnswerKeyError(f"{where}: field 'stance' must be one of {LABELS}, got {raw['stance']!r}")
    mentions = raw["mentions"]
    if not isinstance(mentions, list) or not all(isinstance(m, str) and m.strip() for m in mentions):
        raise AnswerKeyError(f"{where}: field 'mentions' must be a list of non-empty strings")
    if not isinstance(raw["actor"], str) or not raw["actor"].strip():
        raise AnswerKeyError(f"{where}: field 'actor' must be a non-empty string")
    return KeyActor(
        raw["actor"], tuple(mentions), raw["stance"], bool(raw.get("changed")), bool(raw.get("conditional"))
    )


def read_answer_key(path: str | Path) -> AnswerKey:
    """Read and check one answer key file.

    Raises:
        AnswerKeyError: unreadable JSON or a missing or malformed field, naming file and field.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise AnswerKeyError(f"{path}: cannot read: {err}") from None
    except json.JSONDecodeError as err:
        raise AnswerKeyError(f"{path}: line {err.lineno}: not valid JSON: {err.msg}") from None
    if not isinstance(data, Mapping) or any(k not in data for k in KEY_FIELDS):
        raise AnswerKeyError(f"{path}: expected an object with fields {list(KEY_FIELDS)}")
    if not isinstance(data["targets"], list) or not data["targets"]:
        raise AnswerKeyError(f"{path}: field 'targets' must be a non-empty list")
    targets: dict[str, tuple[KeyActor, ...]] = {}
    for ti, t in enumerate(data["targets"]):
        where = f"{path}: targets[{ti}]"
        if not isinstance(t, Mapping) or not isinstance(t.get("target"), str) or not t["target"].strip():
            raise AnswerKeyError(f"{where}: field 'target' must be a non-empty string")
        if not isinstance(t.get("actors"), list):
            raise AnswerKeyError(f"{where}: field 'actors' must be a list")
        targets[t["target"]] = tuple(_key_actor(a, f"{where}.actors[{ai}]") for ai, a in enumerate(t["actors"]))
    return AnswerKey(str(data["article_id"]), targets, str(path))


def read_answer_keys(folder: str | Path) -> list[AnswerKey]:
    """Every ``*.json`` answer key in ``folder``, in file-name order."""
    folder = Path(folder)
    if not folder.is_dir():
        raise AnswerKeyError(f"answer key folder {folder} does not exist")
    keys = [read_answer_key(p) for p in sorted(folder.glob("*.json"))]
    if not keys:
        raise AnswerKeyError(f"{folder}: no answer keys (*.json)")
    return keys


# -- matching -------------------------------------------------------------------------------


def _norm(text: str) -> str:
    t = re.sub(r"\s+", " ", text.replace("’", "'")).strip().lower()
    t = re.sub(r"['’]s?$", "", re.sub(r"^(?:the|a|an) ", "", t))
    return t


def _reported_names(r: ActorStance) -> set[str]:
    names = {r.actor, *r.mentions, *(e.mention for e in r.evidence if not e.chain)}
    return {_norm(n) for n in names if n}


def _match_quality(key: KeyActor, names: set[str]) -> int:
    """2: a shared mention; 1: one mention contains the other as whole words; 0: none."""
    wanted = {_norm(m) for m in (key.actor, *key.mentions)}
    if wanted & names:
        return 2
    for a in wanted:
        for b in names:
            short, long = sorted((a, b), key=len)
            if short and re.search(rf"(?<!\w){re.escape(short)}(?!\w)", long):
                return 1
    return 0


def match_actors(key_actors: Sequence[KeyActor], reported: Sequence[ActorStance]) -> dict[int, int]:
    """Key actor index -> reported actor index, one to one (exact matches first)."""
    names = [_reported_names(r) for r in reported]
    scored = [
        (q, ki, ri)
        for ki, k in enumerate(key_actors)
        for ri in range(len(reported))
        if (q := _match_quality(k, names[ri])) > 0
    ]
    pairs: dict[int, int] = {}
    used: set[int] = set()
    for _, ki, ri in sorted(scored, key=lambda x: (-x[0], x[1], x[2])):
        if ki not in pairs and ri not in used:
            pairs[ki] = ri
            used.add(ri)
    return pairs


# -- evaluation -----------------------------------------------------------------------------


@dataclass
class TargetScore:
    """Counts for one (article, target)."""

    article_id: str
    target: str
    key_actors: int = 0
    reported: int = 0
    matched: int = 0
    correct: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)


def score_target(article_id: str, target: str, key: Sequence[KeyActor], reported: Sequence[ActorStance]) -> TargetScore:
    """Match and count one target's actors; ``rows`` say, per actor, what was found."""
    pairs = match_actors(key, reported)
    s = TargetScore(article_id, target, len(key), len(reported))
    for ki, k in enumerate(key):
        r = reported[pairs[ki]] if ki in pairs else None
        right = r is not None and r.stance == k.stance
        s.matched += r is not None
        s.correct += right
        s.rows.append(
            {"actor": k.actor, "gold": k.stance, "found": r.actor if r else None, "predicted": r.stance if r else None}
        )
    matched = set(pairs.values())
    for ri, r in enumerate(reported):
        if ri not in matched:
            s.rows.append({"actor": None, "gold": None, "found": r.actor, "predicted": r.stance})
    return s


def summarize(scores: Sequence[TargetScore]) -> dict[str, Any]:
    """Actor recall, precision, stance accuracy over found actors and end-to-end accuracy."""
    key = sum(s.key_actors for s in scores)
    rep = sum(s.reported for s in scores)
    matched = sum(s.matched for s in scores)
    correct = sum(s.correct for s in scores)
    return {
        "articles": len({s.article_id for s in scores}),
        "targets": len(scores),
        "key_actors": key,
        "reported_actors": rep,
        "matched": matched,
        "correct": correct,
        "actor_recall": matched / key if key else 0.0,
        "actor_precision": matched / rep if rep else 0.0,
        "stance_accuracy_found": correct / matched if matched else 0.0,
        "end_to_end_accuracy": correct / key if key else 0.0,
    }


def evaluate_articles(
    analyze: Callable[[str, list[str]], Sequence[ActorStance]],
    keys: Sequence[AnswerKey],
    texts: Mapping[str, str],
) -> tuple[dict[str, Any], list[TargetScore]]:
    """Run ``analyze(text, targets)`` on every keyed article and score it.

    Raises:
        AnswerKeyError: a key whose article is not in ``texts``.
    """
    scores = []
    for key in keys:
        if key.article_id not in texts:
            raise AnswerKeyError(f"{key.path}: field 'article_id': no article {key.article_id!r} found")
        results = analyze(texts[key.article_id], list(key.targets))
        for target, actors in key.targets.items():
            scores.append(score_target(key.article_id, target, actors, [r for r in results if r.target == target]))
    return summarize(scores), scores


def format_report(summary: Mapping[str, Any], scores: Sequence[TargetScore]) -> str:
    """A Markdown report: the totals, then one line per article and target."""
    lines = [
        "| articles | targets | key actors | reported | actor recall | precision | stance acc. (found) | end-to-end |",
        "|---|---|---|---|---|---|---|---|",
        "| {articles} | {targets} | {key_actors} | {reported_actors} | {actor_recall:.3f} | {actor_precision:.3f} "
        "| {stance_accuracy_found:.3f} | {end_to_end_accuracy:.3f} |".format(**summary),
        "",
        "| article | target | key | reported | found | right |",
        "|---|---|---|---|---|---|",
    ]
    for s in scores:
        lines.append(f"| {s.article_id} | {s.target} | {s.key_actors} | {s.reported} | {s.matched} | {s.correct} |")
    return "\n".join(lines) + "\n"
