"""Analysis results as one self-contained HTML page (``stanceml analyze --format html``, and
the service's ``POST /analyze`` form).

For each article and target the page shows the article with every actor mention highlighted
in its actor's stance colour (support green, oppose red, neutral grey; each mention also
carries the stance as a word and a tooltip, so colour is never the only cue), the summary
table, and each actor's evidence sentences. Without JavaScript the evidence is listed open
under the table and every mention links to it; a short inline script folds it away and
shows an actor's evidence when a mention is hovered, focused or clicked.

Every piece of text from the article, the targets or the model goes through
:func:`html.escape`. The renderer reads the result objects defensively (``getattr`` with
defaults, and any extra dataclass field is listed by name), so fields that the analysis
adds later (mention lists, coreference chains, flags, confidences) show up without a change
here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from stanceml.analysis.aggregate import ActorStance, Evidence
from stanceml.data.articles import ArticleText

STANCES = ("support", "oppose", "neutral")
#: Fields rendered in their own place; any other field of a result is listed as a detail.
RESULT_FIELDS = frozenset(
    {
        "actor",
        "target",
        "stance",
        "score",
        "evidence",
        "reason",
        "weights",
        "notes",
        "confidence",
        "changed",
        "conditional",
    }
)
#: Boolean result fields shown as labelled flags next to the stance.
FLAGS = ("changed", "conditional")
#: Sequence fields that read as a path (a coreference chain), joined with arrows.
CHAINS = frozenset({"chain"})
EVIDENCE_FIELDS = frozenset(
    {"sentence", "start", "end", "stance", "probs", "score", "mention", "mention_start", "mention_end"}
)

_CSS = """
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;margin:0 auto;max-width:72rem;padding:1rem 1.5rem}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #d0d7de}h3{font-size:1.05rem}
.meta,.note{color:#57606a;font-size:.9rem}.error{background:#ffebe9;border:1px solid #cf222e;padding:.5rem 1rem;border-radius:6px}
.article-text{white-space:pre-wrap;background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:1rem 1.25rem;line-height:1.9}
.mention{color:inherit;text-decoration:none;border-radius:4px;padding:0 .15em}
.mention mark{background:none;color:inherit}
.mention .tag,.badge{font-size:.7rem;font-weight:600;text-transform:uppercase;letter-spacing:.03em;margin-left:.25em;padding:0 .3em;border-radius:3px;color:#fff;vertical-align:.15em}
.mention.stance-support{background:#dafbe1;border-bottom:3px solid #1a7f37}
.mention.stance-oppose{background:#ffebe9;border-bottom:3px double #cf222e}
.mention.stance-neutral{background:#eaeef2;border-bottom:3px dotted #6e7781}
.mention.stance-other{background:#fff8c5;border-bottom:3px dashed #9a6700}
.stance-support .tag,.badge.stance-support{background:#1a7f37}.stance-oppose .tag,.badge.stance-oppose{background:#cf222e}
.stance-neutral .tag,.badge.stance-neutral{background:#57606a}.stance-other .tag,.badge.stance-other{background:#9a6700}
a.mention:hover,a.mention:focus{outline:2px solid #0969da}
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border:1px solid #d0d7de;padding:.35rem .6rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
details.evidence{border:1px solid #d0d7de;border-radius:6px;margin:.4rem 0;padding:.3rem .8rem}
details.evidence:target{outline:2px solid #0969da}
details.evidence summary{cursor:pointer;font-weight:600}
.evidence-body ol{margin:.3rem 0;padding-left:1.4rem}.evidence-body li{margin:.3rem 0}
.probs,.extra{color:#57606a;font-size:.85rem}
.flag{font-size:.7rem;font-weight:600;text-transform:uppercase;border:1px solid #9a6700;color:#7d4e00;border-radius:3px;padding:0 .3em;margin-left:.25em}
#evidence-panel{position:absolute;z-index:10;max-width:34rem;background:#fff;border:1px solid #8c959f;border-radius:8px;box-shadow:0 4px 16px rgba(0,0,0,.18);padding:.5rem .9rem;font-size:.9rem}
form label{display:block;font-weight:600;margin-top:.6rem}form textarea,form select{width:100%;box-sizing:border-box;font:inherit}
form button{margin-top:.8rem;font:inherit;padding:.3rem 1.2rem}
"""

# Progressive enhancement: the page is complete without this; with it the evidence lists fold
# away and a mention shows its actor's evidence in a floating panel on hover, focus or click.
_SCRIPT = """
(function () {
  var panel = document.getElementById("evidence-panel");
  if (!panel) return;
  document.querySelectorAll("details.evidence").forEach(function (d) { d.open = false; });
  function evidenceOf(a) { return document.getElementById(a.getAttribute("data-evidence")); }
  function show(a) {
    var d = evidenceOf(a);
    if (!d) return;
    panel.replaceChildren(d.querySelector(".evidence-body").cloneNode(true));
    panel.hidden = false;
    var r = a.getBoundingClientRect();
    panel.style.top = (window.scrollY + r.bottom + 6) + "px";
    panel.style.left = Math.max(8, Math.min(window.scrollX + r.left, window.scrollX + document.documentElement.clientWidth - panel.offsetWidth - 16)) + "px";
  }
  function hide() { panel.hidden = true; }
  document.querySelectorAll("a.mention").forEach(function (a) {
    a.addEventListener("mouseenter", function () { show(a); });
    a.addEventListener("focus", function () { show(a); });
    a.addEventListener("mouseleave", hide);
    a.addEventListener("blur", hide);
    a.addEventListener("click", function () { var d = evidenceOf(a); if (d) d.open = true; });
  });
})();
"""


@dataclass(frozen=True)
class Span:
    """One highlighted mention: its offsets in the article and what it links to."""

    start: int
    end: int
    stance: str
    anchor: str
    title: str


def stance_class(stance: str) -> str:
    """The CSS class of a stance (``stance-other`` for a label outside the three)."""
    return f"stance-{stance}" if stance in STANCES else "stance-other"


def _offsets(item: Any) -> tuple[int, int] | None:
    """``(start, end)`` of a mention-like item (object, mapping or tuple), or None."""
    for a, b in (("start", "end"), ("mention_start", "mention_end")):
        if isinstance(item, Mapping):
            start, end = item.get(a), item.get(b)
        else:
            start, end = getattr(item, a, None), getattr(item, b, None)
        if isinstance(start, int) and isinstance(end, int):
            return start, end
    if isinstance(item, (tuple, list)) and len(item) >= 2 and all(isinstance(v, int) for v in item[:2]):
        return int(item[0]), int(item[1])
    return None


def result_title(result: ActorStance) -> str:
    """The tooltip of an actor's mentions: actor, stance, score and target."""
    return f"{result.actor}: {result.stance} ({float(result.score):.2f}) on {result.target}"


def mention_spans(text: str, results: Sequence[ActorStance], anchors: Sequence[str]) -> list[Span]:
    """The mentions to highlight in ``text``: every evidence mention, plus any listed in a
    result's ``mentions`` field; out-of-range spans are dropped, and of overlapping spans the
    first (then longest) wins."""
    found: dict[tuple[int, int], Span] = {}
    for result, anchor in zip(results, anchors):
        items: list[Any] = list(getattr(result, "evidence", ()) or ())
        items += list(getattr(result, "mentions", ()) or ())
        for item in items:
            off = _offsets(item) if not isinstance(item, Evidence) else (item.mention_start, item.mention_end)
            if off is None or not 0 <= off[0] < off[1] <= len(text) or off in found:
                continue
            found[off] = Span(off[0], off[1], str(result.stance), anchor, result_title(result))
    spans: list[Span] = []
    for span in sorted(found.values(), key=lambda s: (s.start, -s.end)):
        if not spans or span.start >= spans[-1].end:
            spans.append(span)
    return spans


def highlight(text: str, spans: Sequence[Span], start: int = 0) -> str:
    """``text[start:]`` as escaped HTML with each span wrapped in a mention link.

    ``spans`` must be sorted and non-overlapping (as :func:`mention_spans` returns them).
    """
    out, pos = [], start
    for s in spans:
        if s.start < pos:
            continue
        out.append(escape(text[pos : s.start]))
        out.append(
            f'<a class="mention {stance_class(s.stance)}" href="#{s.anchor}" data-evidence="{s.anchor}" '
            f'title="{escape(s.title)}"><mark>{escape(text[s.start : s.end])}</mark>'
            f'<span class="tag">{escape(s.stance)}</span></a>'
        )
        pos = s.end
    out.append(escape(text[pos:]))
    return "".join(out)


def _format_value(value: Any, sep: str = ", ") -> str:
    """A detail's value as plain text (escaped later); sequences joined with ``sep``."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_format_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return sep.join(_format_value(v) for v in value)
    text = getattr(value, "text", None)
    if isinstance(text, str):
        return text
    return str(value)


def extra_fields(obj: Any, known: frozenset[str]) -> list[tuple[str, str]]:
    """``(name, value)`` of the fields of ``obj`` not rendered elsewhere, skipping empty ones
    (None, False, empty strings and collections)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        names = [f.name for f in dataclasses.fields(obj)]
    else:
        names = [n for n in vars(obj) if not n.startswith("_")] if hasattr(obj, "__dict__") else []
    extras = []
    for name in names:
        if name in known:
            continue
        value = getattr(obj, name, None)
        if value is None or value is False or (isinstance(value, (str, list, tuple, dict, set)) and not value):
            continue
        extras.append((name.replace("_", " "), _format_value(value, " → " if name in CHAINS else ", ")))
    return extras


def _badge(stance: str, score: float | None = None) -> str:
    label = escape(stance) if score is None else f"{escape(stance)} {score:.2f}"
    return f'<span class="badge {stance_class(stance)}">{label}</span>'


def _flags_html(result: ActorStance) -> str:
    """Labelled flags (changed, conditional) that the result sets."""
    return "".join(f' <span class="flag" title="{f} position">{f}</span>' for f in FLAGS if getattr(result, f, False))


def _confidence(result: ActorStance) -> float | None:
    value = getattr(result, "confidence", None)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _sentence_html(ev: Evidence) -> str:
    """The evidence sentence, escaped, with the actor's mention in bold."""
    s = str(getattr(ev, "sentence", ""))
    start = int(getattr(ev, "start", 0))
    a = int(getattr(ev, "mention_start", -1)) - start
    b = int(getattr(ev, "mention_end", -1)) - start
    if 0 <= a < b <= len(s):
        return f"{escape(s[:a])}<b>{escape(s[a:b])}</b>{escape(s[b:])}"
    return escape(s)


def _details_html(pairs: Sequence[tuple[str, str]]) -> str:
    return "; ".join(f"{escape(k)}: {escape(v)}" for k, v in pairs)


def _evidence_html(result: ActorStance, anchor: str) -> str:
    """One actor's evidence as a ``<details>`` block (open; the script folds it)."""
    evidence = list(getattr(result, "evidence", ()) or ())
    items = []
    for ev in evidence:
        probs = getattr(ev, "probs", {}) or {}
        extra = _details_html(extra_fields(ev, EVIDENCE_FIELDS))
        items.append(
            f'<li class="{stance_class(str(ev.stance))}-item">{_badge(str(ev.stance), float(ev.score))} '
            f"{_sentence_html(ev)}"
            f'<br><span class="probs">{escape(_format_value(dict(probs)))}</span>'
            + (f'<br><span class="extra">{extra}</span>' if extra else "")
            + "</li>"
        )
    conf = _confidence(result)
    about = [("reason", str(getattr(result, "reason", "") or ""))] + extra_fields(result, RESULT_FIELDS)
    about += [("confidence", f"{conf:.2f}")] if conf is not None else []
    about = [(k, v) for k, v in about if v]
    n = len(evidence)
    return (
        f'<details class="evidence" id="{anchor}" open><summary>{escape(result.actor)} '
        f"{_badge(str(result.stance), float(result.score))}{_flags_html(result)} · {n} sentence{'s' if n != 1 else ''}"
        "</summary>"
        f'<div class="evidence-body"><p><b>{escape(result.actor)}</b> on <i>{escape(result.target)}</i>: '
        f"{_badge(str(result.stance), float(result.score))}{_flags_html(result)}"
        + (f' <span class="extra">{_details_html(about)}</span>' if about else "")
        + f"</p><ol>{''.join(items)}</ol></div></details>"
    )


def _table_html(results: Sequence[ActorStance], anchors: Sequence[str]) -> str:
    """The summary table: actor, stance (and flags), score, confidence (when the results have
    one), sentences, why, best evidence."""
    with_conf = any(_confidence(r) is not None for r in results)
    rows = []
    for r, anchor in zip(results, anchors):
        best = r.best_evidence
        details = [(k, v) for k, v in [("reason", str(r.reason))] + extra_fields(r, RESULT_FIELDS) if v]
        conf = _confidence(r)
        conf_cell = f'<td class="num">{"" if conf is None else f"{conf:.2f}"}</td>' if with_conf else ""
        rows.append(
            f'<tr class="actor-row" data-actor="{escape(r.actor)}" data-stance="{escape(str(r.stance))}">'
            f'<td><a href="#{anchor}">{escape(r.actor)}</a></td>'
            f"<td>{_badge(str(r.stance))}{_flags_html(r)}</td>"
            f'<td class="num">{float(r.score):.2f}</td>{conf_cell}'
            f'<td class="num">{len(r.evidence)}</td>'
            f"<td>{_details_html(details)}</td>"
            f"<td>{_sentence_html(best) if best is not None else ''}</td></tr>"
        )
    conf_head = "<th>confidence</th>" if with_conf else ""
    head = (
        f"<tr><th>actor</th><th>stance</th><th>score</th>{conf_head}<th>n</th><th>why</th><th>best evidence</th></tr>"
    )
    return f'<table class="summary"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def _target_html(article: ArticleText, target: str, results: Sequence[ActorStance], prefix: str) -> str:
    """One target's section: the highlighted article, the table and the evidence."""
    text = article.text
    lead = len(text) - len(text.lstrip())  # blanked front matter: keep offsets, skip the blank
    anchors = [f"{prefix}-a{i}" for i in range(len(results))]
    body = highlight(text, mention_spans(text, results, anchors), lead)
    parts = [f'<section class="target" data-target="{escape(target)}"><h3>Target: {escape(target)}</h3>']
    if results:
        parts.append(_table_html(results, anchors))
    else:
        parts.append('<p class="note empty">No actor found in a sentence about this target.</p>')
    for note in dict.fromkeys(n for r in results for n in getattr(r, "notes", ()) or ()):
        parts.append(f'<p class="note">Note: {escape(str(note))}</p>')
    parts.append(f'<div class="article-text">{body}</div>')
    if results:
        parts.append('<h4>Evidence</h4><div class="evidence-list">')
        parts += [_evidence_html(r, a) for r, a in zip(results, anchors)]
        parts.append("</div>")
    parts.append("</section>")
    return "".join(parts)


def article_html(article: ArticleText, results: Sequence[ActorStance], targets: Sequence[str], index: int = 0) -> str:
    """One article's section: a part per target (the article's own, else ``targets``, else
    those in ``results``), in that order."""
    chosen = list(article.targets or targets or ())
    chosen += [t for t in dict.fromkeys(r.target for r in results) if t not in chosen]
    title = article.title or article.article_id
    parts = [f'<section class="article" id="article-{index}"><h2>{escape(title)}</h2>']
    if article.title and article.article_id:
        parts.append(f'<p class="meta">{escape(article.article_id)}</p>')
    for ti, target in enumerate(chosen):
        rows = [r for r in results if r.target == target]
        parts.append(_target_html(article, target, rows, f"ev-{index}-{ti}"))
    parts.append("</section>")
    return "".join(parts)


def legend_html() -> str:
    """The colour legend (each colour with its word and underline style)."""
    items = " ".join(
        f'<span class="mention {stance_class(s)}"><mark>actor</mark><span class="tag">{s}</span></span>'
        for s in STANCES
    )
    return f'<p class="legend meta">Mentions: {items}. Hover, focus or click a mention for its evidence.</p>'


def render_html(
    articles_results: Iterable[tuple[ArticleText, Sequence[ActorStance]]],
    *,
    targets: Sequence[str] = (),
    title: str = "stanceml: who stands where",
    subtitle: str = "",
    before: str = "",
    script: bool = True,
) -> str:
    """The whole page for ``(article, results)`` pairs, as one self-contained HTML string.

    Args:
        targets: the targets asked about (an article's own ``targets`` win); targets without
            a result are shown with a note, so nothing asked is silently missing.
        title, subtitle: the page heading and a line under it (plain text; escaped).
        before: a trusted HTML fragment placed above the articles (the service's form).
        script: include the small inline script (hover and click evidence).
    """
    sections = [article_html(a, list(rs), targets, i) for i, (a, rs) in enumerate(articles_results)]
    sub = f'<p class="meta">{escape(subtitle)}</p>' if subtitle else ""
    js = f"<script>{_SCRIPT}</script>" if script else ""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{escape(title)}</h1>{sub}{legend_html() if sections else ''}</header>"
        f"{before}{''.join(sections)}"
        f'<aside id="evidence-panel" role="tooltip" hidden></aside>{js}</body></html>\n'
    )
