"""Load-test a local stanceml service: latency percentiles and errors under concurrent clients.

    python scripts/load_test.py --model models/stance-minilm            # starts its own server
    python scripts/load_test.py --url http://127.0.0.1:8000 --clients 16 --duration 30
    python scripts/load_test.py --url http://127.0.0.1:8000 --endpoint analyze --json

Bounded on purpose: at most --duration seconds (capped at 600) and --max-requests requests,
and only loopback addresses (127.0.0.0/8, ::1, localhost) are accepted, so it can never be
pointed at someone else's service. Exits 1 when any request failed.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import math
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

MAX_DURATION_S = 600
MAX_CLIENTS = 256

SENTENCE = "While Hungary blocked the sanctions package, Poland pushed hard for its adoption."
ARTICLE = (
    "At least seven NATO members, among them the United States and Germany, are for now against "
    "extending a membership invitation to Ukraine. Kyiv rejected the account. Budapest and Bratislava "
    "resist the invitation for reasons of their own. Poland and the Baltic states have argued that a "
    "firm invitation would deter Moscow."
)


def check_loopback(url: str) -> str:
    """Return ``url`` without a trailing slash, or exit when its host is not loopback."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SystemExit(f"error: {url!r} is not an http(s) URL")
    host = parts.hostname
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False  # a DNS name: never resolved, never trusted
    if not loopback:
        raise SystemExit(f"error: refusing to load-test {host}: only loopback hosts (127.0.0.1, ::1, localhost)")
    return url.rstrip("/")


def payload(endpoint: str, batch: int) -> dict:
    """The request body sent for ``endpoint``."""
    if endpoint == "predict":
        triple = {"sentence": SENTENCE, "actor": "Hungary", "target": "the sanctions package"}
        return {"inputs": [triple] * batch}
    return {"text": ARTICLE, "targets": ["Ukraine's invitation to NATO"]}


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (0 for none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), math.ceil(q / 100 * len(sorted_values))))
    return sorted_values[rank - 1]


def run_load(
    url: str,
    endpoint: str = "predict",
    clients: int = 16,
    duration: float = 30.0,
    max_requests: int = 100_000,
    batch: int = 1,
    timeout: float = 10.0,
) -> dict:
    """Send requests from ``clients`` threads for ``duration`` seconds; return the figures.

    Latencies cover successful requests; failures (non-2xx answers, timeouts, refused
    connections) are counted in ``errors`` with a sample of their messages.
    """
    import httpx

    url = check_loopback(url)
    if not 0 < duration <= MAX_DURATION_S:
        raise SystemExit(f"error: --duration must be in (0, {MAX_DURATION_S}] seconds")
    if not 0 < clients <= MAX_CLIENTS:
        raise SystemExit(f"error: --clients must be in [1, {MAX_CLIENTS}]")
    body = payload(endpoint, batch)
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    sent = 0
    deadline = time.perf_counter() + duration

    def client() -> None:
        nonlocal sent
        # trust_env=False: never route loopback traffic through a proxy from the environment.
        with httpx.Client(base_url=url, timeout=timeout, trust_env=False) as http:
            while time.perf_counter() < deadline:
                with lock:
                    if sent >= max_requests:
                        return
                    sent += 1
                t0 = time.perf_counter()
                try:
                    r = http.post(f"/{endpoint}", json=body)
                    ok, why = r.status_code == 200, f"HTTP {r.status_code}"
                except httpx.HTTPError as err:
                    ok, why = False, f"{type(err).__name__}: {err}"
                elapsed = time.perf_counter() - t0
                with lock:
                    if ok:
                        latencies.append(elapsed)
                    else:
                        errors.append(why)

    start = time.perf_counter()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + timeout + 5)
    wall = time.perf_counter() - start
    return _summary(url, endpoint, batch, clients, wall, latencies, errors)


def _summary(
    url: str, endpoint: str, batch: int, clients: int, wall: float, latencies: list[float], errors: list[str]
) -> dict:
    """The load run's figures: counts, throughput and latency percentiles (ms)."""
    lat = sorted(x * 1000 for x in latencies)
    return {
        "url": url,
        "endpoint": endpoint,
        "batch": batch if endpoint == "predict" else None,
        "clients": clients,
        "duration_s": round(wall, 2),
        "requests": len(lat) + len(errors),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:5],
        "throughput_rps": round((len(lat) + len(errors)) / wall, 1) if wall else 0.0,
        "latency_ms": {
            "p50": round(percentile(lat, 50), 1),
            "p90": round(percentile(lat, 90), 1),
            "p99": round(percentile(lat, 99), 1),
            "max": round(lat[-1], 1) if lat else 0.0,
            "mean": round(sum(lat) / len(lat), 1) if lat else 0.0,
        },
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model: str, wait_s: float = 180.0) -> tuple[subprocess.Popen, str]:
    """Start ``stanceml serve`` on a free loopback port; return it and its URL once healthy."""
    import httpx

    port = _free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stanceml.cli",
            "serve",
            "--model",
            model,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=Path(__file__).resolve().parents[1],
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"error: the server exited with code {proc.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=1.0, trust_env=False).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    stop_server(proc)
    raise SystemExit(f"error: the server did not answer /health within {wait_s:.0f} s")


def stop_server(proc: subprocess.Popen) -> None:
    """Stop a server started by :func:`start_server`."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def format_report(r: dict) -> str:
    """The figures as a few readable lines."""
    lat = r["latency_ms"]
    what = f"/{r['endpoint']}" + (f" (batch {r['batch']})" if r["batch"] else "")
    lines = [
        f"{what} on {r['url']}: {r['clients']} clients for {r['duration_s']} s",
        f"requests {r['requests']}, errors {r['errors']}, throughput {r['throughput_rps']} req/s",
        f"latency ms: p50 {lat['p50']}  p90 {lat['p90']}  p99 {lat['p99']}  max {lat['max']}  mean {lat['mean']}",
    ]
    lines += [f"error: {e}" for e in r["error_samples"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="a running service on a loopback address")
    where.add_argument("--model", help="an export folder: start a server for it on a free loopback port")
    parser.add_argument("--endpoint", choices=("predict", "analyze"), default="predict")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=30.0, help=f"seconds (at most {MAX_DURATION_S})")
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1, help="triples per /predict request")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    proc = None
    url = check_loopback(args.url) if args.url else None
    if args.model:
        proc, url = start_server(args.model)
    try:
        report = run_load(url, args.endpoint, args.clients, args.duration, args.max_requests, args.batch, args.timeout)
    finally:
        if proc is not None:
            stop_server(proc)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
