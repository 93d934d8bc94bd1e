"""The data card: counts per split (stance, tag, topic, target), seen and unseen targets,
agreement, as a JSON-able dict (``data_card.json``) and as Markdown (``data/README.md``)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from stanceml.data.corpus import Corpus
from stanceml.labels import LABELS
from stanceml.records import Triple
from stanceml.text.sentences import split_sentences
from stanceml.text.targets import normalize_target


def contrast_keys(triples: list[Triple]) -> set[tuple[str, str, str]]:
    """(article, sentence, target) keys where actors in one sentence differ in stance."""
    stances: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for t in triples:
        stances[(t.article_id, t.sentence, normalize_target(t.target))].add(t.stance)
    return {k for k, v in stances.items() if len(v) > 1}


def data_card(
    corpus: Corpus, splits: dict[str, list[str]], data_hash: str, agreement: dict | None = None, name: str = "gold"
) -> dict[str, Any]:
    """Counts per split (stance, tag, topic, target) and the seen/unseen target share."""
    by_article: dict[str, list[Triple]] = defaultdict(list)
    for t in corpus.triples:
        by_article[t.article_id].append(t)
    contrast = contrast_keys(corpus.triples)
    train_targets = {normalize_target(t.target) for a in splits["train"] for t in by_article[a]}
    card: dict[str, Any] = {
        "name": name,
        "hash": data_hash,
        "articles": len(corpus.articles),
        "triples": len(corpus.triples),
        "topics": len({a.topic for a in corpus.articles.values()}),
        "targets": len({normalize_target(t.target) for t in corpus.triples}),
        "stance": {s: sum(t.stance == s for t in corpus.triples) for s in LABELS},
        "contrast_triples": sum((t.article_id, t.sentence, normalize_target(t.target)) in contrast for t in corpus.triples),
        "actor_with_two_stances_in_a_sentence": _two_target_cases(corpus.triples),
        "shape": corpus_shape(corpus),
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


def corpus_shape(corpus: Corpus) -> dict[str, Any]:
    """How varied the corpus is: article lengths, articles per topic, genres, regions, the share
    of sentences with no triple, long sentences, entity targets, and tags overall."""
    labelled = {(t.article_id, t.sentence) for t in corpus.triples}
    words, n_sent, bare, long = [], 0, 0, 0
    for aid, article in corpus.articles.items():
        words.append(len(article.text.split()))
        for s in split_sentences(article.text):
            n_sent += 1
            bare += (aid, s.text) not in labelled
            long += len(s.text.split()) > 50
    per_topic = Counter(a.topic for a in corpus.articles.values())
    n = max(1, len(corpus.triples))
    words.sort()
    return {
        "words_per_article": {"min": words[0], "median": words[len(words) // 2], "max": words[-1]} if words else {},
        "articles_per_topic": {"min": min(per_topic.values()), "max": max(per_topic.values())} if per_topic else {},
        "genres": dict(Counter(a.extra.get("genre", "(unset)") for a in corpus.articles.values()).most_common()),
        "regions": dict(Counter(a.extra.get("region", "(unset)") for a in corpus.articles.values()).most_common()),
        "sentences": n_sent,
        "sentences_without_triple_share": round(bare / max(1, n_sent), 4),
        "sentences_over_50_words": long,
        "entity_target_share": round(sum("entity_target" in t.tags for t in corpus.triples) / n, 4),
        "tags": dict(Counter(tag for t in corpus.triples for tag in t.tags).most_common()),
    }


def _shape_lines(shape: dict[str, Any]) -> list[str]:
    w, per = shape["words_per_article"], shape["articles_per_topic"]
    return [
        "",
        "## Shape",
        "",
        f"- words per article: {w['min']} to {w['max']} (median {w['median']}); articles per topic: "
        f"{per['min']} to {per['max']}",
        f"- sentences: {shape['sentences']}, of which {shape['sentences_without_triple_share']:.1%} carry no triple "
        f"and {shape['sentences_over_50_words']} are over 50 words",
        f"- triples whose target is a person, organisation or country (entity_target): "
        f"{shape['entity_target_share']:.1%}",
        "- genres: " + ", ".join(f"{k} {v}" for k, v in shape["genres"].items()),
        "- regions: " + ", ".join(f"{k} {v}" for k, v in shape["regions"].items()),
    ]


def _checks_lines(checks: dict[str, Any] | None) -> list[str]:
    if not checks:
        return []
    lines = [f"- test split hash (SHA-256): `{checks['test_hash']}`"
             + (" (frozen in the config)" if checks.get("test_hash_frozen") else " (not frozen)")]  # fmt: skip
    if "near_duplicate_pairs" in checks:
        lines.append(f"- near-duplicate pairs (a shared sentence or 8-word run) across articles: "
                     f"{checks['near_duplicate_pairs']}, of which across train/test: {checks['train_test_leaks']}; "
                     f"stock phrases (an 8-word run in 3+ articles, not counted): {checks.get('stock_phrases', 0)}")  # fmt: skip
    return lines


def render_card(card: dict[str, Any]) -> str:
    """The data card as Markdown (``data/README.md``)."""
    lines = [
        f"# Data card: the stanceml corpus `{card.get('name', 'gold')}`",
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
        *_checks_lines(card.get("checks")),
        *_shape_lines(card["shape"]),
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
                  "consensus. The double-annotated triples and both labels are in the agreement file beside this card "
                  "(`data.agreement_path`)."]
        if a.get("by_tag"):
            lines += ["", "| tag | n | kappa | agreement |", "|---|---|---|---|"]
            for tag, v in a["by_tag"].items():
                kappa = "n/a" if v["kappa"] is None else f"{v['kappa']:.3f}"
                lines.append(f"| {tag} | {v['n']} | {kappa} | {v['agreement']:.1%} |")
    if card.get("learning_curve"):
        lines += ["", "## Learning curve", "", card["learning_curve"].rstrip()]
    return "\n".join(lines) + "\n"
