"""Try actor filters on the article analysis against the validation answer keys.

    python scripts/tune_analysis_filters.py --model models/stance-minilm-v2 [--keys data/v2/answer_keys_dev]

Analyses each keyed article once per relevance rule ("semantic", "all"), then scores every
combination of three filters on the results: keep only actors that are the subject of some
sentence, keep only actors with at least two evidence sentences, keep only polar actors with
a confidence of at least 0.6. Validation keys only: never pass the test keys here.
"""

from __future__ import annotations

import argparse
import itertools
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from stanceml.analysis.aggregate import ActorStance  # noqa: E402
from stanceml.analysis.analyze import analyze_text  # noqa: E402
from stanceml.analysis.articles_eval import read_answer_keys, score_target, summarize  # noqa: E402
from stanceml.analysis.evaluate_command import DEFAULT_ARTICLES, read_texts  # noqa: E402
from stanceml.inference.predictor import StancePredictor  # noqa: E402


def keep(r: ActorStance, subject: bool, min_evidence: int, min_confidence: float) -> bool:
    """Whether actor result ``r`` passes the filters."""
    if subject and not any(e.subject for e in r.evidence):
        return False
    if len(r.evidence) < min_evidence:
        return False
    return r.stance == "neutral" or r.confidence >= min_confidence


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--keys", default="data/v2/answer_keys_dev")
    args = ap.parse_args()
    keys = read_answer_keys(args.keys)
    texts = read_texts(list(DEFAULT_ARTICLES))
    predictor = StancePredictor.from_pretrained(args.model)
    for rel in ("semantic", "all"):
        results = [(k, analyze_text(predictor, texts[k.article_id], list(k.targets), relevance=rel)) for k in keys]
        for subject, min_ev, min_conf in itertools.product((False, True), (1, 2), (0.0, 0.6)):
            scores = [
                score_target(
                    k.article_id, t, actors, [r for r in res if r.target == t and keep(r, subject, min_ev, min_conf)]
                )
                for k, res in results
                for t, actors in k.targets.items()
            ]
            s = summarize(scores)
            print(
                f"{rel:8s} subject={subject!s:5s} min_evidence={min_ev} min_confidence={min_conf}: "
                f"reported {s['reported_actors']:4d} recall {s['actor_recall']:.3f} precision {s['actor_precision']:.3f} "
                f"accuracy {s['stance_accuracy_found']:.3f} end-to-end {s['end_to_end_accuracy']:.3f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
