"""The HTTP service: a real uvicorn server on a free loopback port, called over HTTP."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest

from stanceml.analysis.analyze import FALLBACK_NOTE
from stanceml.cli import main as cli_main
from stanceml.modeling.inputs import format_pair

LABELS = ["support", "oppose", "neutral"]
TRIPLE = {
    "sentence": "While Hungary blocked the tariff, Poland backed the tariff.",
    "actor": "Poland",
    "target": "the tariff",
}
ARTICLE = "Hungary blocked the tariff on Monday. Poland backed the tariff. Kyiv stayed silent."


@pytest.fixture(scope="module")
def predictor(tiny_run):
    from stanceml import StancePredictor

    return StancePredictor.from_pretrained(tiny_run["export_dir"])


@pytest.fixture(scope="module")
def server(predictor):
    """Yield the base URL of a live server with small limits; stop it afterwards."""
    import uvicorn

    from stanceml.service.app import create_app

    app = create_app(predictor, max_batch=4, max_text_chars=300, max_targets=2, max_actors=3, max_body_bytes=20_000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # the OS picks a free port, and we keep the socket: no race
    port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture
def http(server):
    # trust_env=False: a proxy set in the environment must not see loopback test traffic.
    with httpx.Client(base_url=server, timeout=30, trust_env=False) as client:
        yield client


def test_health_and_labels(http):
    health = http.get("/health").json()
    assert health["status"] == "ok" and health["labels"] == LABELS
    assert health["model"] == "stance-tiny" and health["limits"]["max_batch"] == 4
    assert http.get("/labels").json() == {"labels": LABELS}


def test_openapi_docs(http):
    schema = http.get("/openapi.json").json()
    assert {"/predict", "/analyze", "/health", "/labels"} <= set(schema["paths"])
    assert http.get("/docs").status_code == 200


def test_predict_matches_the_predictor(http, predictor):
    other = {**TRIPLE, "actor": "Hungary"}
    r = http.post("/predict", json={"inputs": [TRIPLE, other, {**TRIPLE, "actor": "Chile"}]})
    assert r.status_code == 200
    preds = r.json()["predictions"]
    local = predictor.predict([TRIPLE, other])
    for got, want in zip(preds, local):
        assert got["stance"] == want.stance and got["score"] == pytest.approx(want.score, abs=1e-5)
        assert set(got["probs"]) == set(LABELS)
    assert preds[2]["actor_found"] is False and preds[0]["actor_found"] is True


def test_predict_with_span(http, predictor, monkeypatch):
    """The span reaches the predictor: the second "Poland" is the one asked about."""
    sentence = "Poland said Poland backed the tariff."
    asked: list = []
    real = predictor.predict
    monkeypatch.setattr(predictor, "predict", lambda items: asked.extend(items) or real(items))
    r = http.post(
        "/predict",
        json={"inputs": [{"sentence": sentence, "actor": "Poland", "target": "the tariff", "span": [12, 18]}]},
    )
    assert r.status_code == 200 and r.json()["predictions"][0]["stance"] in LABELS
    assert [item.span for item in asked] == [(12, 18)]
    assert format_pair(asked[0]).text == "Poland said [[ Poland ]] backed the tariff."


def test_analyze(http):
    r = http.post("/analyze", json={"text": ARTICLE, "targets": ["the tariff"]})
    assert r.status_code == 200
    results = r.json()["results"]
    # Kyiv's sentence is not about the tariff: the default ("fallback") still asks about
    # Ukraine, on its own sentence, and says so; "semantic" leaves it out
    assert [x["actor"] for x in results] == ["Hungary", "Poland", "Ukraine"]
    assert [x["notes"] for x in results] == [[], [], [FALLBACK_NOTE]]
    semantic = http.post("/analyze", json={"text": ARTICLE, "targets": ["the tariff"], "relevance": "semantic"})
    assert [x["actor"] for x in semantic.json()["results"]] == ["Hungary", "Poland"]
    for x in results:
        assert x["stance"] in LABELS and x["target"] == "the tariff"
        for e in x["evidence"]:
            assert ARTICLE[e["start"] : e["end"]] == e["sentence"]
    r = http.post(
        "/analyze",
        json={
            "text": ARTICLE,
            "targets": ["the tariff"],
            "actors": ["Kyiv"],
            "replace_actors": True,
            "relevance": "all",
        },
    )
    assert [x["actor"] for x in r.json()["results"]] == ["Kyiv"]


@pytest.mark.parametrize(
    "path, body, status, message",
    [
        ("/predict", {"inputs": [TRIPLE] * 5}, 413, "the batch has 5 inputs, over the limit of 4"),
        ("/predict", {"inputs": [{**TRIPLE, "sentence": "x" * 301}]}, 413, "inputs[0].sentence has 301 characters"),
        ("/predict", {"inputs": []}, 422, "inputs is empty"),
        ("/predict", {"inputs": [{**TRIPLE, "actor": "   "}]}, 422, "inputs[0]: StanceInput.actor is empty"),
        ("/predict", {"inputs": [{**TRIPLE, "span": [5, 999]}]}, 422, "outside the sentence"),
        ("/predict", {"inputs": [{"sentence": "a"}]}, 422, "Field required"),
        ("/analyze", {"text": "x" * 301, "targets": ["t"]}, 413, "text has 301 characters, over the limit of 300"),
        ("/analyze", {"text": ARTICLE, "targets": ["a", "b", "c"]}, 413, "targets has 3 entries, over the limit of 2"),
        ("/analyze", {"text": ARTICLE, "targets": []}, 422, "targets is empty"),
        ("/analyze", {"text": ARTICLE, "targets": [" "]}, 422, "non-empty string"),
        ("/analyze", {"text": ARTICLE, "targets": ["t"], "actors": ["a", "b", "c", "d"]}, 413, "actors has 4 entries"),
        ("/analyze", {"text": ARTICLE, "targets": ["t"], "relevance": "some"}, 422, "relevance"),
    ],
)
def test_limits_and_bad_requests(http, path, body, status, message):
    r = http.post(path, json=body)
    assert r.status_code == status, r.text
    assert message in r.text


def test_body_size_limit(http):
    r = http.post("/predict", content=b"{" + b" " * 30_000 + b"}", headers={"content-type": "application/json"})
    assert r.status_code == 413 and "over the limit of 20000" in r.json()["detail"]


def test_concurrent_requests_agree(http, server):
    """The predictor is shared between the server's threads: answers must not mix."""
    expected = http.post("/predict", json={"inputs": [TRIPLE]}).json()
    errors = []

    def worker():
        with httpx.Client(base_url=server, timeout=30, trust_env=False) as c:
            for _ in range(5):
                if c.post("/predict", json={"inputs": [TRIPLE]}).json() != expected:
                    errors.append("mismatch")

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_load_script_reports_figures(server):
    import load_test

    report = load_test.run_load(server, "predict", clients=2, duration=1.0, max_requests=40)
    assert report["errors"] == 0 and 0 < report["requests"] <= 40
    lat = report["latency_ms"]
    assert 0 < lat["p50"] <= lat["p99"] <= lat["max"]
    assert "p99" in load_test.format_report(report)


@pytest.mark.parametrize(
    "url", ["http://10.0.0.8:8000", "http://example.com", "http://0.0.0.0:8000", "ftp://127.0.0.1"]
)
def test_load_script_refuses_non_loopback_hosts(url):
    import load_test

    with pytest.raises(SystemExit, match="refusing|not an http"):
        load_test.main(["--url", url, "--duration", "1"])


def test_load_script_percentile():
    import load_test

    values = [float(i) for i in range(1, 101)]
    assert (load_test.percentile(values, 50), load_test.percentile(values, 99)) == (50.0, 99.0)
    assert load_test.percentile([], 50) == 0.0


def test_serve_command_binds_loopback_by_default(tiny_run, monkeypatch, capsys):
    import stanceml.service.app

    calls = []
    monkeypatch.setattr(stanceml.service.app, "serve", lambda app, **kw: calls.append((app, kw)))
    assert cli_main(["serve", "--model", str(tiny_run["export_dir"]), "--max-batch", "8"]) == 0
    app, kw = calls[0]
    assert kw["host"] == "127.0.0.1" and kw["port"] == 8000 and app.state.limits["max_batch"] == 8
    assert "warning" not in capsys.readouterr().err
    cli_main(["serve", "--model", str(tiny_run["export_dir"]), "--host", "0.0.0.0", "--port", "9001"])
    assert calls[1][1]["host"] == "0.0.0.0" and "reachable from other machines" in capsys.readouterr().err


def test_is_loopback_host():
    from stanceml.service.app import is_loopback_host

    assert all(is_loopback_host(h) for h in ("127.0.0.1", "127.5.0.1", "::1", "[::1]", "localhost"))
    assert not any(is_loopback_host(h) for h in ("0.0.0.0", "10.0.0.1", "example.com", ""))


def test_chunked_body_without_length_is_refused(http):
    def chunks():
        yield b'{"inputs": ['
        yield b"]}"

    r = http.post("/predict", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 411 and "Content-Length" in r.json()["detail"]
