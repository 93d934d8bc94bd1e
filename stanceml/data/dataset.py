"""Build the train/validation/test ``DatasetDict`` from the corpus, split by article."""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sklearn.model_selection import train_test_split

from stanceml.config import DataConfig, SplitConfig
from stanceml.data.agreement import agreement_summary
from stanceml.data.card import data_card, render_card
from stanceml.data.corpus import Corpus, read_corpus
from stanceml.data.external import build_newsmtsc
from stanceml.data.leaks import near_duplicates, split_hash
from stanceml.io import atomic_dir, atomic_write_text, write_json
from stanceml.labels import LABELS
from stanceml.records import Triple

SPLITS = ("train", "validation", "test")
log = logging.getLogger(__name__)


def split_articles(corpus: Corpus, cfg: SplitConfig) -> dict[str, list[str]]:
    """Assign whole articles to splits with a fixed seed.

    Articles of ``cfg.test_topics`` all go to test; the rest are shuffled with
    scikit-learn's ``train_test_split`` so the overall fractions come out as configured.
    """
    ids = sorted(corpus.articles)
    topics = {a.topic for a in corpus.articles.values()}
    for name in ("test_topics", "validation_topics"):
        unknown = set(getattr(cfg, name)) - topics
        if unknown:
            raise ValueError(f"split.{name} names topic(s) not in the corpus: {sorted(unknown)}")
    if cfg.validation_topics:
        return _split_by_topic(corpus, cfg)
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


def _split_by_topic(corpus: Corpus, cfg: SplitConfig) -> dict[str, list[str]]:
    """test_topics -> test, validation_topics -> validation, every other topic -> train."""
    both = set(cfg.test_topics) & set(cfg.validation_topics)
    if both:
        raise ValueError(f"topic(s) {sorted(both)} are in both split.test_topics and split.validation_topics")
    out: dict[str, list[str]] = {"train": [], "validation": [], "test": []}
    for aid in sorted(corpus.articles):
        topic = corpus.articles[aid].topic
        split = "test" if topic in cfg.test_topics else "validation" if topic in cfg.validation_topics else "train"
        out[split].append(aid)
    if not all(out.values()):
        raise ValueError(f"a split is empty: {[k for k, v in out.items() if not v]}")
    return out


def check_split(corpus: Corpus, splits: dict[str, list[str]], cfg: SplitConfig) -> dict[str, Any]:
    """The test split's hash against the frozen one, and near-duplicates across the split lines.

    Raises:
        ValueError: the test split changed without ``split.test_hash`` saying so, or (with
            ``leak_check: fail``) text is shared between a train and a test article.
    """
    test_ids = set(splits["test"])
    found = split_hash(t for t in corpus.triples if t.article_id in test_ids)
    if cfg.test_hash and cfg.test_hash != found:
        raise ValueError(f"the test split changed: its hash is {found}, data.split.test_hash says {cfg.test_hash}; "
                         "if the change is intended, set data.split.test_hash to the new hash")  # fmt: skip
    out: dict[str, Any] = {"test_hash": found, "test_hash_frozen": bool(cfg.test_hash)}
    if cfg.leak_check not in ("fail", "warn", "off"):
        raise ValueError(f"split.leak_check must be fail, warn or off, got {cfg.leak_check!r}")
    if cfg.leak_check == "off":
        return out
    report = near_duplicates(corpus, splits)
    out["near_duplicate_pairs"] = len(report.pairs)
    out["train_test_leaks"] = len(report.leaks)
    out["stock_phrases"] = len(report.stock_phrases)
    if report.pairs:
        log.warning("%d near-duplicate pair(s) across articles (%d across train/test), e.g. %s",
                    len(report.pairs), len(report.leaks),
                    "; ".join(f"{a} / {b}: {text[:70]}" for a, b, text in report.pairs[:3]))  # fmt: skip
    if report.leaks and cfg.leak_check == "fail":
        shown = "; ".join(f"{a} / {b}: {text[:80]}" for a, b, text in report.leaks[:5])
        raise ValueError(f"{len(report.leaks)} near-duplicate(s) cross the train/test line: {shown}")
    return out


def corpus_hash(corpus: Corpus) -> str:
    """A SHA-256 over the articles and labels, recorded with every model trained on them."""
    h = hashlib.sha256()
    for aid in sorted(corpus.articles):
        fields = asdict(corpus.articles[aid])
        if not fields["extra"]:
            del fields["extra"]  # articles without extra keys hash as they did before the field existed
        h.update(json.dumps(fields, sort_keys=True).encode())
    for t in sorted(corpus.triples, key=lambda t: (t.article_id, t.sentence, t.actor, t.target)):
        h.update(json.dumps(t.identity(), sort_keys=True).encode())
    return h.hexdigest()


def corpus_card(corpus: Corpus, splits: dict[str, list[str]], cfg: DataConfig) -> dict[str, Any]:
    """The data card of a split corpus: counts, the split checks (frozen test hash, leaks), the
    agreement file's kappa and the committed learning curve, as the config names them.

    Raises:
        ValueError: from :func:`check_split`.
        DataError: the agreement file disagrees with the corpus.
    """
    checks = check_split(corpus, splits, cfg.split)
    agreement = None
    if cfg.agreement_path and Path(cfg.agreement_path).exists():
        agreement = agreement_summary(cfg.agreement_path, corpus)
    card = data_card(corpus, splits, corpus_hash(corpus), agreement, cfg.name)
    card["checks"] = checks
    if cfg.curve_path and Path(cfg.curve_path).exists():
        card["learning_curve"] = Path(cfg.curve_path).read_text(encoding="utf-8")
    return card


def build_dataset(cfg: DataConfig) -> dict[str, Any]:
    """Read, validate and split the corpus; save the ``DatasetDict`` and its data card.

    The output folder is replaced atomically, and only when the whole corpus is valid.

    Returns:
        The data card (a JSON-able dict).
    """
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Sequence, Value

    if cfg.format == "newsmtsc":
        return build_newsmtsc(cfg.source_dir or "", cfg.output_dir)
    if cfg.format != "corpus":
        raise ValueError(f"data.format must be corpus or newsmtsc, got {cfg.format!r}")
    corpus = read_corpus(cfg.articles_dir, cfg.annotations_dir, cfg.extra_sources)
    splits = split_articles(corpus, cfg.split)
    card = corpus_card(corpus, splits, cfg)
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
            "span_start": Value("int32"),
            "span_end": Value("int32"),
        }
    )
    by_article: dict[str, list[Triple]] = defaultdict(list)
    for t in corpus.triples:
        by_article[t.article_id].append(t)
    dd = DatasetDict(
        {
            split: Dataset.from_list([t.to_row() for a in ids for t in by_article[a]], features=features)
            for split, ids in splits.items()
        }
    )
    with atomic_dir(cfg.output_dir) as tmp:
        dd.save_to_disk(str(tmp / "dataset"))
        # The same rows as Parquet, for tools that do not speak the datasets format.
        (tmp / "parquet").mkdir()
        for split, ds in dd.items():
            ds.to_parquet(str(tmp / "parquet" / f"{split}.parquet"))
        write_json(tmp / "data_card.json", card)
    if cfg.card_path:
        atomic_write_text(cfg.card_path, render_card(card))
    return card


def load_splits(processed_dir: str | Path) -> Any:
    """Load the ``DatasetDict`` written by :func:`build_dataset`."""
    from datasets import load_from_disk

    path = Path(processed_dir) / "dataset"
    if not path.exists():
        raise FileNotFoundError(f"no processed dataset at {path}; run scripts/build_dataset.py first")
    return load_from_disk(str(path))
