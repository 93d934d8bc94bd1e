"""Choose the embedding-similarity threshold of target relevance on corpus v2's train and
validation articles (never the test topics of configs/data/v2.yaml).

A (target, sentence) pair of one article is positive when the sentence carries an annotated
triple for that target. Prints lexical-only precision/recall and the best threshold of
"lexical or similarity >= t", and writes the curve to --output.

    python scripts/tune_relevance.py [--output reports/relevance_threshold.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
import yaml

from stanceml.analysis.relevance import choose_threshold, load_encoder, similarities
from stanceml.data.corpus import read_corpus
from stanceml.io import atomic_write_text
from stanceml.text.sentences import split_sentences
from stanceml.text.targets import content_stems, is_about

ROOT = Path(__file__).resolve().parents[1]


def collect(beta: float, every: int = 1) -> dict:
    split = yaml.safe_load((ROOT / "configs/data/v2.yaml").read_text())["split"]
    test_topics = set(split["test_topics"])
    validation_topics = set(split["validation_topics"])
    corpus = read_corpus(ROOT / "data/articles", ROOT / "data/annotations", [ROOT / "data/v2"])
    by_article: dict[str, dict[str, set[str]]] = {}
    for t in corpus.triples:
        by_article.setdefault(t.article_id, {}).setdefault(t.target, set()).add(t.sentence)
    encoder = load_encoder()
    labels, lexical, sims = [], [], []
    used = 0
    train_seen = 0
    for aid, article in sorted(corpus.articles.items()):
        if article.topic in test_topics or aid not in by_article:
            continue
        if article.topic not in validation_topics:
            train_seen += 1
            if (train_seen - 1) % every:
                continue  # every Nth training article (all validation articles)
        used += 1
        if used % 20 == 0:
            print(f"  {used} articles", file=sys.stderr, flush=True)
        sents = [s.text for s in split_sentences(article.text)]
        targets = sorted(by_article[aid])
        sim = similarities(encoder, sents, targets)
        for ti, target in enumerate(targets):
            stems = content_stems(target)
            for si, s in enumerate(sents):
                labels.append(s in by_article[aid][target])
                lexical.append(is_about(s, stems))
                sims.append(float(sim[ti, si]))
    y, lex, sv = np.array(labels), np.array(lexical), np.array(sims)
    threshold, curve = choose_threshold(y, lex, sv, beta=beta)
    lex_p = float((lex & y).sum() / max(lex.sum(), 1))
    lex_r = float((lex & y).sum() / max(y.sum(), 1))
    best = next(c for c in curve if c["threshold"] == threshold)
    return {
        "articles": used,
        "pairs": len(y),
        "positives": int(y.sum()),
        "beta": beta,
        "lexical": {"precision": lex_p, "recall": lex_r},
        "threshold": threshold,
        "best": best,
        "curve": curve,
    }


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", default=str(ROOT / "reports/relevance_threshold.json"))
    parser.add_argument("--every", type=int, default=1, help="use every Nth training article (all validation ones)")
    parser.add_argument("--beta", type=float, default=2.0, help="F-beta to maximise (2: recall counts twice)")
    args = parser.parse_args()
    result = collect(args.beta, args.every)
    print(
        f"{result['articles']} train/validation articles, {result['pairs']} (target, sentence) pairs, "
        f"{result['positives']} positive"
    )
    print("lexical only:       precision {precision:.3f}  recall {recall:.3f}".format(**result["lexical"]))
    print(
        "lexical or sim>={threshold}: precision {precision:.3f}  recall {recall:.3f}  F{b:g} {f:.3f}".format(
            b=args.beta, **result["best"]
        )
    )
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.output, json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
