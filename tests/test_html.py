"""The HTML view: escaping, highlighted mention offsets, the table, extra result fields, the
service's form page and ``POST /analyze`` form answer, and ``stanceml analyze --format html``."""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient

from stanceml.analysis.aggregate import ActorStance, Evidence
from stanceml.analysis.html import Span, highlight, mention_spans, render_html
from stanceml.cli import main as cli_main
from stanceml.data.articles import ArticleText
from stanceml.inference.predictor import StancePrediction
from stanceml.service.app import create_app
from stanceml.service.pages import parse_form

LABELS = ("support", "oppose", "neutral")
TEXT = "Hungary blocked the tariff on Monday. Poland backed the tariff.\n\nKyiv stayed silent."


class Node:
    """One parsed element: tag, attributes, children (nodes and text)."""

    def __init__(self, tag: str, attrs: dict[str, str]):
        self.tag, self.attrs, self.children = tag, attrs, []

    def text(self, skip_class: str = "") -> str:
        """The text inside, leaving out elements with class ``skip_class``."""
        out = []
        for c in self.children:
            if isinstance(c, str):
                out.append(c)
            elif not (skip_class and skip_class in c.attrs.get("class", "").split()):
                out.append(c.text(skip_class))
        return "".join(out)

    def find_all(self, tag: str | None = None, cls: str | None = None) -> list[Node]:
        found = []
        for c in self.children:
            if isinstance(c, Node):
                if (tag is None or c.tag == tag) and (cls is None or cls in c.attrs.get("class", "").split()):
                    found.append(c)
                found += c.find_all(tag, cls)
        return found


VOID = {"meta", "br", "input", "img", "hr", "link"}


class TreeBuilder(HTMLParser):
    """A small DOM from the stdlib parser; fails on a closing tag that does not match."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder.root


def evidence(text: str, sentence: str, mention: str, stance: str, score: float = 0.8, nth: int = 0) -> Evidence:
    start = text.index(sentence)
    m = [i.start() for i in re.finditer(rf"(?<!\w){re.escape(mention)}(?!\w)", sentence)][nth]
    rest = (1 - score) / 2
    probs = {label: (score if label == stance else rest) for label in LABELS}
    return Evidence(
        sentence, start, start + len(sentence), stance, probs, score, mention, start + m, start + m + len(mention)
    )


def stance(actor: str, target: str, label: str, evs: list[Evidence], **extra: Any) -> ActorStance:
    return ActorStance(actor, target, label, 0.8, evs, "agreeing evidence", {}, (), **extra)


def results_for(text: str = TEXT) -> list[ActorStance]:
    s1, s2 = "Hungary blocked the tariff on Monday.", "Poland backed the tariff."
    return [
        stance("Hungary", "the tariff", "oppose", [evidence(text, s1, "Hungary", "oppose")]),
        stance("Poland", "the tariff", "support", [evidence(text, s2, "Poland", "support", 0.9)]),
    ]


# -- escaping ------------------------------------------------------------------------------


def test_everything_from_the_article_targets_and_results_is_escaped():
    text = 'On the <b>tax</b>, O\'Brien & <Sons> said "<script>alert(1)</script>".'  # markup before and after
    actor = "O'Brien & <Sons>"
    ev = evidence(text, text, actor, "oppose")
    r = ActorStance(actor, "the <b>tax</b>", "oppose", 0.7, [ev], "<i>why</i>", {}, ("note <u>x</u>",))
    page = render_html([(ArticleText("id<1>", text, 'Title "<x>"'), [r])], title="T <t>")
    assert page.count("<script>") == 1  # the page's own script, and nothing from the text
    for raw in ("<script>alert", "<b>tax", "<Sons>", "<i>why", "<u>x", "<x>", "<1>", "<t>"):
        assert raw not in page
    tree = parse(page)
    (mark,) = tree.find_all("a", "mention")
    assert mark.find_all("mark")[0].text() == actor and mark.attrs["title"].startswith(actor)
    (div,) = tree.find_all("div", "article-text")
    assert div.text(skip_class="tag") == text  # every character back, once
    assert 'data-target="the &lt;b&gt;tax&lt;/b&gt;"' in page
    assert "<script>" not in render_html([(ArticleText("a", text), [r])], script=False)


# -- highlighting ----------------------------------------------------------------------------


def test_each_mention_is_highlighted_at_its_offsets_in_its_stance_colour():
    results = results_for()
    page = render_html([(ArticleText("a", TEXT), results)], targets=["the tariff"])
    tree = parse(page)
    (div,) = tree.find_all("div", "article-text")
    marks = div.find_all("a", "mention")
    assert [(m.text(skip_class="tag"), m.attrs["class"]) for m in marks] == [
        ("Hungary", "mention stance-oppose"),
        ("Poland", "mention stance-support"),
    ]
    # Not colour only: the stance is a word in the mention, and its tooltip.
    assert [m.find_all("span", "tag")[0].text() for m in marks] == ["oppose", "support"]
    assert marks[0].attrs["title"] == "Hungary: oppose (0.80) on the tariff"
    # The highlighted text round-trips to the article: no character lost, moved or doubled.
    assert div.text(skip_class="tag") == TEXT
    # Every mention links to its actor's evidence block, which exists.
    ids = {d.attrs["id"] for d in tree.find_all("details", "evidence")}
    assert {m.attrs["href"].lstrip("#") for m in marks} == ids == {m.attrs["data-evidence"] for m in marks}


def test_spans_outside_the_text_or_overlapping_are_dropped():
    text = "Kenya's parliament voted."
    base = Evidence(text, 0, len(text), "support", {}, 0.9)
    r = stance(
        "Kenya",
        "t",
        "support",
        [
            dataclasses.replace(base, mention="Kenya's parliament", mention_start=0, mention_end=18),
            dataclasses.replace(base, mention="Kenya", mention_start=0, mention_end=5),  # inside the first
            dataclasses.replace(base, mention="?", mention_start=20, mention_end=99),  # past the end
            dataclasses.replace(base, mention="", mention_start=-1, mention_end=-1),  # no mention
        ],
    )
    spans = mention_spans(text, [r], ["x"])
    assert [(s.start, s.end) for s in spans] == [(0, 18)]
    assert highlight(text, spans).endswith("</a> voted.")
    # A span list out of order is not trusted either: a span before the cursor is skipped.
    bad = [Span(8, 18, "oppose", "x", ""), Span(0, 5, "oppose", "x", "")]
    assert highlight(text, bad).startswith("Kenya&#x27;s <a")


def test_leading_blank_front_matter_is_not_shown_but_offsets_still_hold():
    text = " " * 30 + "\n\n" + TEXT  # what read_articles leaves for a front matter block
    results = results_for(text)
    (div,) = parse(render_html([(ArticleText("a", text), results)])).find_all("div", "article-text")
    assert div.text(skip_class="tag") == TEXT
    assert [m.text(skip_class="tag") for m in div.find_all("a", "mention")] == ["Hungary", "Poland"]


# -- the table and the evidence ----------------------------------------------------------------


def test_table_has_one_row_per_actor_and_targets_without_results_say_so():
    page = render_html([(ArticleText("a", TEXT, "An article"), results_for())], targets=["the tariff", "the merger"])
    tree = parse(page)
    sections = tree.find_all("section", "target")
    assert [s.attrs["data-target"] for s in sections] == ["the tariff", "the merger"]
    rows = sections[0].find_all("tr", "actor-row")
    assert [(r.attrs["data-actor"], r.attrs["data-stance"]) for r in rows] == [
        ("Hungary", "oppose"),
        ("Poland", "support"),
    ]
    heads = [th.text() for th in sections[0].find_all("th")]
    cells = dict(zip(heads, [c.text() for c in rows[1].find_all("td")]))
    assert [cells[h] for h in ("actor", "stance", "score", "n")] == ["Poland", "support", "0.80", "1"]
    assert cells["best evidence"] == "Poland backed the tariff." and cells["why"].startswith("reason: agreeing")
    assert rows[1].find_all("td")[-1].find_all("b")[0].text() == "Poland"  # the mention, in bold
    assert "No actor found" in sections[1].text() and not sections[1].find_all("table")
    # Without JavaScript the evidence is listed open, with each sentence's probabilities.
    details = sections[0].find_all("details", "evidence")
    assert all("open" in d.attrs for d in details)
    assert "support: 0.90, oppose: 0.05, neutral: 0.05" in details[1].text()


@dataclass(frozen=True)
class LaterEvidence(Evidence):
    """Evidence with fields the analysis may add (a coreference chain, something new)."""

    chain: tuple[str, ...] = ()
    cue: str = ""


@dataclass(frozen=True)
class LaterStance(ActorStance):
    """A result with fields the analysis may add."""

    confidence: float = 0.0
    changed: bool = False
    conditional: bool = False
    mentions: tuple[Any, ...] = ()
    novelty: str = ""


def test_fields_added_later_are_rendered_defensively():
    text = "Hungary went further, and its prime minister said he would block any invitation."
    chain = ("he", "its prime minister", "Hungary")
    base = evidence(text, text, "he", "oppose", 0.9)
    ev = LaterEvidence(**{**{f.name: getattr(base, f.name) for f in dataclasses.fields(Evidence)}, "chain": chain})
    pm = text.index("its prime minister")
    mentions = ("Hungary", {"start": pm, "end": pm + len("its prime minister")}, (0, 7))
    r = LaterStance(
        "Hungary", "the invitation", "oppose", 0.9, [ev], "agreeing evidence", {}, (),
        confidence=0.84, changed=True, conditional=True, mentions=mentions, novelty="<new>",
    )  # fmt: skip
    page = render_html([(ArticleText("a", text), [r])])
    tree = parse(page)
    (row,) = tree.find_all("tr", "actor-row")
    heads = [th.text() for th in tree.find_all("th")]
    assert heads[3] == "confidence" and row.find_all("td")[3].text() == "0.84"
    assert [f.text() for f in row.find_all("span", "flag")] == ["changed", "conditional"]
    assert "novelty: <new>" in row.text() and "&lt;new&gt;" in page
    assert "chain: he → its prime minister → Hungary" in tree.find_all("details", "evidence")[0].text()
    # Mentions with offsets are highlighted too; a bare string cannot be placed and is skipped.
    marks = [m.text(skip_class="tag") for m in tree.find_all("a", "mention")]
    assert marks == ["Hungary", "its prime minister", "he"]


def test_plain_results_have_no_confidence_column():
    @dataclass(frozen=True)
    class Minimal:
        actor: str
        target: str
        stance: str
        score: float
        evidence: list
        reason: str = ""
        notes: tuple = ()

        @property
        def best_evidence(self):
            return self.evidence[0] if self.evidence else None

    ev = results_for()[0].evidence[0]
    page = render_html([(ArticleText("a", TEXT), [Minimal("Hungary", "the tariff", "unsure", 0.4, [ev])])])
    tree = parse(page)
    assert "confidence" not in [th.text() for th in tree.find_all("th")]
    (mark,) = tree.find_all("a", "mention")
    assert mark.attrs["class"] == "mention stance-other" and mark.text(skip_class="tag") == "Hungary"


# -- the service's pages -----------------------------------------------------------------------


class CuePredictor:
    """Stance from a cue word after the mention; deterministic, no model."""

    labels = LABELS

    def predict(self, inputs):
        out = []
        for item in inputs:
            clause = item.sentence[item.span[1] :].split(",")[0]
            label = "oppose" if "blocked" in clause else "support" if "backed" in clause else "neutral"
            probs = {x: (0.8 if x == label else 0.1) for x in LABELS}
            out.append(StancePrediction(stance=label, probs=probs, score=0.8))
        return out


@pytest.fixture
def client():
    app = create_app(CuePredictor(), max_text_chars=300, max_targets=2)
    with TestClient(app) as c:
        yield c


def test_index_is_a_form(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    (form,) = parse(r.text).find_all("form")
    assert form.attrs["method"] == "post" and form.attrs["action"] == "/analyze"
    names = {e.attrs.get("name") for e in form.find_all() if e.tag in ("textarea", "select")}
    assert names == {"text", "targets", "relevance"}


def test_posting_the_form_returns_the_page_that_agrees_with_the_json(client):
    as_json = client.post("/analyze", json={"text": TEXT, "targets": ["the tariff"]}).json()["results"]
    r = client.post("/analyze", data={"text": TEXT.replace("\n", "\r\n"), "targets": "\r\nthe tariff\r\n"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    tree = parse(r.text)
    rows = tree.find_all("tr", "actor-row")
    assert [(x.attrs["data-actor"], x.attrs["data-stance"]) for x in rows] == [
        (x["actor"], x["stance"]) for x in as_json
    ]
    assert [x["stance"] for x in as_json] == ["oppose", "support", "neutral"]
    marks = tree.find_all("div", "article-text")[0].find_all("a", "mention")
    assert [m.text(skip_class="tag") for m in marks] == [e["mention"] for x in as_json for e in x["evidence"]]
    # The form comes back filled in, so a target can be changed and resubmitted.
    assert tree.find_all("textarea")[1].text() == "the tariff"


@pytest.mark.parametrize(
    "data, status, message",
    [
        ({"text": TEXT, "targets": " \r\n "}, 422, "targets is empty"),
        ({"text": "", "targets": "the tariff"}, 422, "text: String should have at least 1 character"),
        ({"text": "x" * 301, "targets": "t"}, 413, "text has 301 characters, over the limit of 300"),
        ({"text": TEXT, "targets": "a\nb\nc"}, 413, "targets has 3 entries"),
        ({"text": TEXT, "targets": "t", "relevance": "some"}, 422, "relevance"),
    ],
)
def test_a_bad_form_answers_the_form_with_the_problem(client, data, status, message):
    r = client.post("/analyze", data=data)
    assert r.status_code == status and r.headers["content-type"].startswith("text/html")
    (err,) = parse(r.text).find_all("p", "error")
    assert message in err.text()
    assert parse(r.text).find_all("form")


def test_json_analyze_keeps_its_contract(client):
    r = client.post("/analyze", json={"text": TEXT})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "targets"]
    r = client.post("/analyze", content=b"{bad", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "json_invalid"
    r = client.post("/analyze", content=b"x", headers={"content-type": "text/plain"})
    assert r.status_code == 415 and "application/json" in r.json()["detail"]
    body = client.get("/openapi.json").json()["paths"]["/analyze"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "application/x-www-form-urlencoded"}
    assert "targets" in body["application/json"]["schema"]["properties"]


def test_parse_form_rejects_a_body_that_is_not_utf8():
    with pytest.raises(ValueError, match="not UTF-8"):
        parse_form(b"text=%FF\xff")
    assert parse_form(b"text=a%0D%0Ab&targets=x%0D%0A%0D%0Ay").targets == ("x", "y")


# -- the command -------------------------------------------------------------------------------


def test_cli_analyze_writes_an_html_page(tiny_run, tmp_path, capsys):
    article = tmp_path / "a.md"
    article.write_text(f"---\nid: a1\ntitle: Tariffs\n---\n{TEXT}\n", encoding="utf-8")
    model = str(tiny_run["export_dir"])
    out = tmp_path / "page.html"
    common = ["analyze", str(article), "--model", model, "--target", "the tariff"]
    assert cli_main([*common, "--format", "html", "--output", str(out)]) == 0
    assert cli_main([*common, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    tree = parse(out.read_text(encoding="utf-8"))
    assert tree.find_all("h2")[0].text() == "Tariffs"
    assert [(r.attrs["data-actor"], r.attrs["data-stance"]) for r in tree.find_all("tr", "actor-row")] == [
        (r["actor"], r["stance"]) for r in rows
    ]
    assert len(tree.find_all("a", "mention")) == sum(len(r["evidence"]) for r in rows) > 0
