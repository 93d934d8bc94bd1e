"""Build the train/validation/test ``DatasetDict`` from the corpus, split by article."""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import Any

from stanceml.config import DataConfig, SplitConfig
from stanceml.corpus import Corpus, Triple, normalize_target, read_corpus
from stanceml.io import atomic_dir, atomic_write_text, write_json
from stanceml.labels import LABEL2ID, LABELS

SPLITS = ("train", "validation", "test")


def split_articles(corpus: Corpus, cfg: SplitConfig) -> dict[str, list[str]]:
    """Assign whole articles to splits with a fixed seed.

    Articles of ``cfg.test_topics`` all go to test; the rest are shuffled with
    scikit-learn's ``train_test_split`` so the overall fractions come out as configured.
    """
    from sklearn.model_selection import train_test_split

    ids = sorted(corpus.articles)
    unknown = set(cfg.test_topics) - {a.topic for a in corpus.articles.values()}
    if unknown:
        raise ValueError(f"split.test_topics names topic(s) not in the corpus: {sorted(unknown)}")
    held_out = [i for i in ids if corpus.articles[i].topic in cfg.test_topics]
    rest = [i for i in ids if i not in set(held_out)]
    n = len(ids)
    n_test = max(1 if not held_out else 0, round(cfg.test_fraction * n) - len(held_out))
    n_val = max(1, round(cfg.validation_fraction * n))
    if len(rest) < n_test + n_val + 1:
        raise ValueError(
            f"{n} article(s) are too few to split into train/validation/test "
            f"(need at least {n_test + n_val + 1} outside the held-out topics)"
        )
    test = held_out
    if n_test:
        rest, extra = train_test_split(rest, test_size=n_test, random_state=cfg.seed)
        test = test + list(extra)
    train, val = train_test_split(rest, test_size=n_val, random_state=cfg.seed)
    return {"train": sorted(train), "validation": sorted(val), "test": sorted(test)}


def triple_record(t: Triple) -> dict[str, Any]:
    """The row stored in the dataset for one triple."""
    return {
        "article_id": t.article_id,
        "topic": t.topic,
        "sentence": t.sentence,
        "actor": t.actor,
        "target": t.target,
        "stance": t.stance,
        "label": LABEL2ID[t.stance],
        "tags": list(t.tags),
    }


def contrast_keys(triples: list[Triple]) -> set[tuple[str, str, str]]:
    """(article, sentence, target) keys where actors in one sentence differ in stance."""
    stances: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for t in triples:
        stances[(t.article_id, t.sentence, normalize_target(t.target))].add(t.stance)
    return {k for k, v in stances.items() if len(v) > 1}


def corpus_hash(corpus: Corpus) -> str:
    """A SHA-256 over the articles and labels, recorded with every model trained on them."""
    h = hashlib.sha256()
    for aid in sorted(corpus.articles):
        h.update(json.dumps(asdict(corpus.articles[aid]), sort_keys=True).encode())
    for t in sorted(corpus.triples, key=lambda t: (t.article_id, t.sentence, t.actor, t.target)):
        h.update(json.dumps(asdict(t), sort_keys=True).encode())
    return h.hexdigest()


def data_card(corpus: Corpus, splits: dict[str, list[str]], agreement: dict | None = None) -> dict[str, Any]:
    """Counts per split (stance, tag, topic, target) and the seen/unseen target share."""
    by_article: dict[str, list[Triple]] = defaultdict(list)
    for t in corpus.triples:
        by_article[t.article_id].append(t)
    contrast = contrast_keys(corpus.triples)
    train_targets = {normalize_target(t.target) for a in splits["train"] for t in by_article[a]}
    card: dict[str, Any] = {
        "hash": corpus_hash(corpus),
        "articles": len(corpus.articles),
        "triples": len(corpus.triples),
        "topics": len({a.topic for a in corpus.articles.values()}),
        "targets": len({normalize_target(t.target) for t in corpus.triples}),
        "stance": {s: sum(t.stance == s for t in corpus.triples) for s in LABELS},
        "contrast_triples": sum((t.article_id, t.sentence, normalize_target(t.target)) in contrast for t in corpus.triples),
        "actor_with_two_stances_in_a_sentence": _two_target_cases(corpus.triples),
        "splits": {},
    }
    for split, ids in splits.items():
        rows = [t for a in ids for t in by_article[a]]
        unseen = sum(normalize_target(t.target) not in train_targets for t in rows)
        card["splits"][split] = {
            "articles": len(ids),
            "triples": len(rows),
            "stance": {s: sum(t.stance == s for t in rows) for s in LABELS},
            "tags": dict(sorted(Counter(tag for t in rows for tag in t.tags).items())),
            "topics": dict(sorted(Counter(t.topic for t in rows).items())),
            "targets": len({normalize_target(t.target) for t in rows}),
            "unseen_target_triples": unseen,
            "unseen_target_share": round(unseen / len(rows), 4) if rows else 0.0,
            "article_ids": ids,
        }
    if agreement:
        card["agreement"] = agreement
    return card


def _two_target_cases(triples: list[Triple]) -> int:
    """How many (sentence, actor) pairs hold different stances toward two targets."""
    stances: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for t in triples:
        stances[(t.article_id, t.sentence, t.actor)].add(t.stance)
    return sum(len(v) > 1 for v in stances.values())


def render_card(card: dict[str, Any]) -> str:
    """The data card as Markdown (``data/README.md``)."""
    lines = [
        "# Data card: the stanceml gold corpus",
        "",
        "Generated by `scripts/build_dataset.py` (do not edit by hand). Articles and labels are",
        "written by the stanceml team; `docs/annotation-guidelines.md` defines the labels.",
        "",
        f"- articles: {card['articles']}, topics: {card['topics']}, triples: {card['triples']}, "
        f"distinct targets: {card['targets']}",
        "- stances: " + ", ".join(f"{s} {n} ({n / max(1, card['triples']):.1%})" for s, n in card["stance"].items()),
        f"- triples in sentences where actors differ in stance on one target: {card['contrast_triples']}",
        f"- (sentence, actor) pairs with different stances toward two targets: "
        f"{card['actor_with_two_stances_in_a_sentence']}",
        f"- corpus hash (SHA-256): `{card['hash']}`",
        "",
        "## Splits (whole articles; no article in two splits)",
        "",
        "| split | articles | triples | support | oppose | neutral | targets | unseen-target share |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for split, s in card["splits"].items():
        st = s["stance"]
        lines.append(
            f"| {split} | {s['articles']} | {s['triples']} | {st['support']} | {st['oppose']} | {st['neutral']} "
            f"| {s['targets']} | {s['unseen_target_share']:.1%} |"
        )
    tags = sorted({tag for s in card["splits"].values() for tag in s["tags"]})
    if tags:
        lines += ["", "## Tags per split", "", "| tag | " + " | ".join(card["splits"]) + " |",
                  "|---|" + "---|" * len(card["splits"])]
        for tag in tags:
            lines.append(f"| {tag} | " + " | ".join(str(s["tags"].get(tag, 0)) for s in card["splits"].values()) + " |")
    topics = sorted({tp for s in card["splits"].values() for tp in s["topics"]})
    lines += ["", "## Topics per split (triples)", "", "| topic | " + " | ".join(card["splits"]) + " |",
              "|---|" + "---|" * len(card["splits"])]
    for tp in topics:
        lines.append(f"| {tp} | " + " | ".join(str(s["topics"].get(tp, 0)) for s in card["splits"].values()) + " |")
    if "agreement" in card:
        a = card["agreement"]
        lines += ["", "## Inter-annotator agreement", "",
                  f"{a['n']} triples labelled independently by a second annotator who saw only the guidelines, "
                  f"the sentence, the actor and the target. Cohen's kappa (scikit-learn): **{a['kappa']:.3f}**; "
                  f"raw agreement {a['agreement']:.1%}. {a.get('note', '')}".rstrip(),
                  "",
                  "Both passes were made by members of this team (language-model agents) from the written "
                  "guidelines; agreement between such annotators is likely higher than between independent "
                  "human annotators, so read the kappa as a check of the guidelines' clarity, not of human "
                  "consensus. The double-annotated triples and both labels are in `data/agreement/`."]
    return "\n".join(lines) + "\n"


def build_dataset(cfg: DataConfig) -> dict[str, Any]:
    """Read, validate and split the corpus; save the ``DatasetDict`` and its data card.

    The output folder is replaced atomically, and only when the whole corpus is valid.

    Returns:
        The data card (a JSON-able dict).
    """
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Sequence, Value

    if cfg.format == "newsmtsc":
        from stanceml.external import build_newsmtsc

        return build_newsmtsc(cfg.source_dir or "", cfg.output_dir)
    if cfg.format != "corpus":
        raise ValueError(f"data.format must be corpus or newsmtsc, got {cfg.format!r}")
    corpus = read_corpus(cfg.articles_dir, cfg.annotations_dir)
    splits = split_articles(corpus, cfg.split)
    agreement = None
    if cfg.agreement_path and Path(cfg.agreement_path).exists():
        from stanceml.agreement import agreement_summary

        agreement = agreement_summary(cfg.agreement_path, corpus)
    card = data_card(corpus, splits, agreement)
    features = Features(
        {
            "article_id": Value("string"),
            "topic": Value("string"),
            "sentence": Value("string"),
            "actor": Value("string"),
            "target": Value("string"),
            "stance": Value("string"),
            "label": ClassLabel(names=list(LABELS)),
            "tags": Sequence(Value("string")),
        }
    )
    by_article: dict[str, list[Triple]] = defaultdict(list)
    for t in corpus.triples:
        by_article[t.article_id].append(t)
    dd = DatasetDict(
        {
            split: Dataset.from_list([triple_record(t) for a in ids for t in by_article[a]], features=features)
            for split, ids in splits.items()
        }
    )
    with atomic_dir(cfg.output_dir) as tmp:
        dd.save_to_disk(str(tmp / "dataset"))
        write_json(tmp / "data_card.json", card)
    if cfg.card_path:
        atomic_write_text(cfg.card_path, render_card(card))
    return card


def load_splits(processed_dir: str | Path):
    """Load the ``DatasetDict`` written by :func:`build_dataset`."""
    from datasets import load_from_disk

    path = Path(processed_dir) / "dataset"
    if not path.exists():
        raise FileNotFoundError(f"no processed dataset at {path}; run scripts/build_dataset.py first")
    return load_from_disk(str(path))
