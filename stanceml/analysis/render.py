"""Analysis results as text a person reads in a terminal."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from stanceml.analysis.aggregate import ActorStance, Evidence
from stanceml.data.articles import ArticleText


def snippet(evidence: Evidence, width: int = 100) -> str:
    """The evidence sentence around the actor's mention, the mention in [brackets]."""
    s = evidence.sentence
    a, b = evidence.mention_start - evidence.start, evidence.mention_end - evidence.start
    if 0 <= a < b <= len(s):
        s = f"{s[:a]}[{s[a:b]}]{s[b:]}"
    else:
        a = 0
    s = s.replace("\n", " ")  # one for one, so the mention's position still holds
    if len(s) <= width:
        return s
    left = max(0, min(a - width // 3, len(s) - width))
    return ("…" if left else "") + s[left : left + width] + ("…" if left + width < len(s) else "")


def format_table(articles_results: Iterable[tuple[ArticleText, Sequence[ActorStance]]]) -> str:
    """A plain-text table per article and target: actor, stance, score, sentences, best evidence."""
    out = []
    for article, results in articles_results:
        title = f" ({article.title})" if article.title else ""
        out.append(f"== {article.article_id}{title}")
        if not results:
            out.append("   no actor found in a sentence about the targets\n")
            continue
        targets = list(dict.fromkeys(r.target for r in results))
        for target in targets:
            rows = [r for r in results if r.target == target]
            out.append(f"-- target: {target}")
            width = max(len("actor"), *(len(r.actor) for r in rows))
            out.append(f"{'actor':<{width}}  {'stance':<7}  score  n  best evidence")
            for r in rows:
                best = r.best_evidence
                out.append(
                    f"{r.actor:<{width}}  {r.stance:<7}  {r.score:5.2f}  {len(r.evidence):<2} {snippet(best) if best else ''}"
                )
            out.append("")
    return "\n".join(out).rstrip() + "\n"
