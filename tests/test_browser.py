"""The HTML view in a real headless Chromium: the service on a free loopback port, the form
filled in and submitted, the highlighted mentions and the table checked against the JSON
answer, and the evidence shown on hover and click; the page read without JavaScript too.

Needs Debian's ``chromium`` (``apt-get install chromium chromium-driver``) and the
``playwright`` package (the dev extra; its own browser download is not used); skips when
either is missing.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

CHROMIUM = os.environ.get("STANCEML_CHROMIUM", "/usr/bin/chromium")
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the browser test needs playwright (pip install -e '.[dev]')")

from screenshot_analysis import chromium_context, serve_in_thread, submit_form  # noqa: E402

ARTICLE = (
    "Hungary blocked the tariff on Monday, and Poland backed the tariff.\n\n"
    "Spain is still studying the tariff. Kyiv stayed silent."
)
TARGET = "the tariff"


@pytest.fixture(scope="module")
def server(tiny_run):
    from stanceml import StancePredictor
    from stanceml.service.app import create_app

    app = create_app(StancePredictor.from_pretrained(tiny_run["export_dir"]))
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture(scope="module")
def expected(server):
    """The JSON answer for the same article: what the page must show."""
    with httpx.Client(base_url=server, timeout=60, trust_env=False) as client:
        r = client.post("/analyze", json={"text": ARTICLE, "targets": [TARGET]})
    assert r.status_code == 200
    results = r.json()["results"]
    assert results, "the tiny model's analysis found no actor"
    return results


def _mentions(page):
    return page.eval_on_selector_all(
        ".article-text a.mention",
        "els => els.map(e => [e.querySelector('mark').textContent, e.className, e.getAttribute('data-evidence')])",
    )


def test_form_submit_highlights_mentions_and_shows_evidence(server, expected, tmp_path):
    with chromium_context() as context:
        page = context.new_page()
        submit_form(page, server, ARTICLE, [TARGET])
        assert page.url.endswith("/analyze") and page.title() == "stanceml: who stands where"

        mentions = _mentions(page)
        want = [(e["mention"], f"mention stance-{r['stance']}") for r in expected for e in r["evidence"]]
        assert sorted((m, c) for m, c, _ in mentions) == sorted(want)
        rows = page.eval_on_selector_all(
            "tr.actor-row", "rs => rs.map(r => [r.dataset.actor, r.dataset.stance, r.cells[0].innerText])"
        )
        assert rows == [[r["actor"], r["stance"], r["actor"]] for r in expected]

        # With JavaScript the evidence lists fold away ...
        assert page.eval_on_selector_all("details.evidence", "ds => ds.filter(d => d.open).length") == 0
        panel = page.locator("#evidence-panel")
        assert panel.is_hidden()
        # ... hovering a mention shows its actor's evidence sentence ...
        first = page.locator(".article-text a.mention").first
        actor = next(r for r in expected if r["evidence"][0]["mention"] == first.locator("mark").inner_text())
        first.hover()
        assert panel.is_visible()
        assert actor["evidence"][0]["sentence"] in panel.inner_text().replace("\n", " ")
        box, anchor = panel.bounding_box(), first.bounding_box()
        assert box is not None and anchor is not None and box["y"] >= anchor["y"] + anchor["height"]
        page.mouse.move(0, 0)
        assert panel.is_hidden()
        # ... and clicking it opens the evidence block it links to.
        first.click()
        target_id = mentions[0][2]
        assert page.evaluate("id => document.getElementById(id).open", target_id)
        assert page.url.endswith(f"#{target_id}")
        page.screenshot(path=str(tmp_path / "view.png"), full_page=True)
    assert (tmp_path / "view.png").stat().st_size > 10_000


def test_page_reads_without_javascript(server, expected):
    with chromium_context(javascript=False) as context:
        page = context.new_page()
        submit_form(page, server, ARTICLE, [TARGET])
        assert len(_mentions(page)) == sum(len(r["evidence"]) for r in expected)
        # The evidence is open and visible, each sentence on the page.
        details = page.locator("details.evidence")
        assert details.count() == len(expected)
        assert all(details.nth(i).get_attribute("open") is not None for i in range(details.count()))
        text = page.locator(".evidence-list").inner_text().replace("\n", " ")
        for r in expected:
            for e in r["evidence"]:
                assert e["sentence"] in text
        # A mention is a plain link to its evidence.
        page.locator(".article-text a.mention").first.click()
        assert "#ev-" in page.url
