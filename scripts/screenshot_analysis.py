"""Screenshot the HTML analysis view in a real headless Chromium (docs/analysis-view.png).

    python scripts/screenshot_analysis.py
    python scripts/screenshot_analysis.py --model models/stance-minilm --article data/samples/article.md \
        --target "Ukraine's invitation to NATO" --output docs/analysis-view.png

Starts the service (``create_app``) on a free loopback port inside this process, opens
``GET /`` in Debian's Chromium (``apt-get install chromium``) driven by Playwright (the
``dev`` extra; no ``playwright install`` download: the browser is ``/usr/bin/chromium``),
fills in the form, submits it, hovers one mention so its evidence shows, and saves a
full-page screenshot (written beside the output and renamed, so a failed run leaves no half
file). ``tests/test_browser.py`` drives the page with the same helpers.
"""

from __future__ import annotations

import argparse
import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

try:
    import uvicorn
    from playwright.sync_api import sync_playwright
except ImportError as err:  # the browser driver is a dev extra, the server the serve extra
    raise SystemExit(f"error: {err}; install them with: pip install -e '.[serve,dev]'") from None

CHROMIUM = os.environ.get("STANCEML_CHROMIUM", "/usr/bin/chromium")
#: Playwright adds --headless itself; the rest keep the browser off the network and quiet.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",
]
VIEWPORT = {"width": 1280, "height": 900}


@contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Run ``app`` with uvicorn on a free loopback port in a thread; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # the OS picks a free port; we hand uvicorn the bound socket: no race
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def chromium_context(javascript: bool = True) -> Iterator[Any]:
    """A Playwright browser context of headless Chromium with a new, empty user-data-dir."""
    with tempfile.TemporaryDirectory(prefix="stanceml-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport=VIEWPORT,
            java_script_enabled=javascript,
        )
        try:
            yield context
        finally:
            context.close()


def submit_form(page: Any, base_url: str, text: str, targets: list[str]) -> None:
    """Open the form at ``base_url``, fill it in and submit it; wait for the answer page."""
    page.goto(f"{base_url}/")
    page.fill("#text", text)
    page.fill("#targets", "\n".join(targets))
    with page.expect_navigation():
        page.click("button[type=submit]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="models/stance-minilm")
    parser.add_argument("--article", default="data/samples/article.md")
    parser.add_argument("--target", action="append", help="repeatable; default: Ukraine's invitation to NATO")
    parser.add_argument("--hover", default="Hungary", help="hover the first mention with this text, if any")
    parser.add_argument("--output", default="docs/analysis-view.png")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"error: no Chromium at {CHROMIUM}: apt-get install chromium (or set STANCEML_CHROMIUM)")

    from stanceml import StancePredictor
    from stanceml.data.articles import read_articles
    from stanceml.service.app import create_app

    text = read_articles(args.article)[0].text.strip()
    app = create_app(StancePredictor.from_pretrained(args.model))
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp.png")
    with serve_in_thread(app) as url, chromium_context() as context:
        page = context.new_page()
        submit_form(page, url, text, args.target or ["Ukraine's invitation to NATO"])
        mentions = page.locator("a.mention", has_text=args.hover)
        (mentions if mentions.count() else page.locator("a.mention")).first.hover()
        n_mentions = page.locator("a.mention").count()
        page.screenshot(path=str(tmp), full_page=True)
    os.replace(tmp, out)
    print(f"wrote {out} ({out.stat().st_size} bytes, {n_mentions} highlighted mentions)")


if __name__ == "__main__":
    main()
