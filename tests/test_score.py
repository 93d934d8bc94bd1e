"""`stanceml score` and `stanceml candidates`: three formats, bad rows, resume after a kill,
raw articles, and the Ray engine on a local cluster (skipped without ray)."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import ROOT

from stanceml.cli import main
from stanceml.inference.predictor import StancePredictor
from stanceml.score.candidates import ArticleSource
from stanceml.score.formats import Position, ScoreError, open_source
from stanceml.score.run import EXIT_OK, EXIT_ROWS_FAILED, EXIT_STOPPED, errors_path, predictor_step, progress_path, run
from stanceml.text.actors import Mention

FORMATS = ("jsonl", "csv", "parquet")


def read_table(path: Path) -> list[dict]:
    """Rows of a JSONL, CSV or Parquet output, as dicts (CSV values are strings)."""
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    if path.suffix == ".csv":
        with open(path, newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    return pq.read_table(path).to_pylist()


def write_table(path: Path, rows: list[dict]) -> Path:
    """Write rows (same keys in each) as JSONL, CSV or Parquet by suffix."""
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    elif path.suffix == ".csv":
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    else:
        pq.write_table(pa.Table.from_pylist(rows), path)
    return path


@pytest.fixture(scope="module")
def triples(tiny_run) -> list[dict]:
    """The tiny corpus's triples with an id column (60 or so)."""
    rows = []
    for f in sorted((tiny_run["root"] / "data" / "annotations").glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            rows.append({"id": f"t{len(rows)}", "sentence": r["sentence"], "actor": r["actor"], "target": r["target"]})
    return rows


@pytest.fixture(scope="module")
def predictor(tiny_run) -> StancePredictor:
    return StancePredictor.from_pretrained(tiny_run["export_dir"])


@pytest.fixture(scope="module")
def expected(predictor, triples) -> list[str]:
    """The predictor's own labels for the triples, in order."""
    return [p.stance for p in predictor.predict(triples)]


@pytest.mark.parametrize("in_fmt", FORMATS)
@pytest.mark.parametrize("out_fmt", FORMATS)
def test_every_format_in_and_out_gives_the_predictor_labels(tmp_path, predictor, triples, expected, in_fmt, out_fmt):
    src = write_table(tmp_path / f"in.{in_fmt}", triples)
    out = tmp_path / f"out.{out_fmt}"
    summary = run(open_source(src), predictor_step(predictor), out, out_fmt, chunk_rows=7)
    assert summary.exit_code == EXIT_OK and summary.written == len(triples)
    rows = read_table(out)
    assert [r["stance"] for r in rows] == expected
    assert [r["id"] for r in rows] == [t["id"] for t in triples]
    assert [int(r["input_row"]) for r in rows] == list(range(1, len(triples) + 1))
    probs = [float(r["prob_support"]) + float(r["prob_oppose"]) + float(r["prob_neutral"]) for r in rows]
    assert all(abs(p - 1) < 1e-4 for p in probs)
    assert not errors_path(out).exists() and not progress_path(out).exists()
    assert not (tmp_path / f"out.{out_fmt}.partial").exists()


def _bad_jsonl(path: Path, triples: list[dict]) -> Path:
    lines = [json.dumps(t).encode() for t in triples[:5]]
    lines.insert(1, b'{"sentence": "Nobody is named here.", "actor": "Hungary", "target": "the tariff"}')
    lines.insert(3, b'{"sentence": "Poland agreed.", "target": "the tariff"}')
    lines.insert(4, b"")  # a blank line: skipped, not a row
    lines.insert(5, b'{"sentence": "Poland agreed", ')
    lines.insert(6, '{"sentence": "Poland backed it.", "actor": "Poland", "target": "x"}'.encode("latin-1") + b"\xff")
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_bad_rows_go_to_the_errors_file_with_line_and_reason(tmp_path, tiny_run, triples):
    src = _bad_jsonl(tmp_path / "in.jsonl", triples)
    out = tmp_path / "out.jsonl"
    code = main(["score", str(src), "--model", str(tiny_run["export_dir"]), "--output", str(out)])
    assert code == EXIT_ROWS_FAILED
    errors = [json.loads(x) for x in errors_path(out).read_text(encoding="utf-8").splitlines()]
    assert [(e["line"], e["field"]) for e in errors] == [(2, "actor"), (4, "actor"), (6, ""), (7, "")]
    reasons = [e["reason"] for e in errors]
    assert reasons[0] == "actor not found in the sentence" and reasons[1] == "missing"
    assert reasons[2].startswith("malformed JSON") and reasons[3].startswith("not valid UTF-8")
    rows = read_table(out)
    assert [r["id"] for r in rows] == [t["id"] for t in triples[:5]]
    assert [r["input_row"] for r in rows] == [1, 3, 7, 8, 9]  # blank line 5 is not a row


def test_max_errors_stops_resumably(tmp_path, tiny_run, triples):
    src = _bad_jsonl(tmp_path / "in.jsonl", triples)
    out = tmp_path / "out.parquet"
    argv = ["score", str(src), "--model", str(tiny_run["export_dir"]), "--output", str(out), "--chunk-rows", "2"]
    assert main([*argv, "--max-errors", "0"]) == EXIT_STOPPED
    assert not out.exists() and progress_path(out).exists()
    assert len(errors_path(out).read_text().splitlines()) == 1
    with pytest.raises(SystemExit, match="did not finish"):
        main(argv)  # neither resume nor overwrite an interrupted run silently
    assert main([*argv, "--resume"]) == EXIT_ROWS_FAILED
    assert [r["id"] for r in read_table(out)] == [t["id"] for t in triples[:5]]
    assert len(errors_path(out).read_text().splitlines()) == 4


def test_csv_rows_with_bad_bytes_wrong_width_and_spans(tmp_path, predictor):
    src = tmp_path / "in.csv"
    src.write_bytes(
        b"sentence,actor,target,span_start,span_end\n"
        b'"Poland, and Poland again, backed\nthe tariff.",Poland,the tariff,13,19\n'
        b"Spain blocked the tariff \xff.,Spain,the tariff,,\n"
        b"Spain blocked it.,Spain\n"
        b"Spain blocked the tariff.,Spain,the tariff,,\n"
    )
    out = tmp_path / "out.jsonl"
    summary = run(open_source(src), predictor_step(predictor, str(src)), out, "jsonl")
    assert (summary.written, summary.failed) == (2, 2)
    errors = [json.loads(x) for x in errors_path(out).read_text().splitlines()]
    assert [(e["row"], e["line"], e["reason"]) for e in errors] == [
        (2, 4, "not valid UTF-8"),
        (3, 5, "expected 5 values, got 2"),
    ]
    rows = read_table(out)
    assert rows[0]["span_start"] == 13 and rows[1]["span_start"] is None and rows[1]["input_row"] == 4


def test_resume_refuses_a_changed_input(tmp_path, predictor, triples):
    src = write_table(tmp_path / "in.jsonl", triples)
    out = tmp_path / "out.jsonl"
    assert run(open_source(src), predictor_step(predictor), out, "jsonl", max_errors=-1).stopped
    src.write_text(src.read_text() + json.dumps(triples[0]) + "\n")
    with pytest.raises(ScoreError, match="input changed"):
        run(open_source(src), predictor_step(predictor), out, "jsonl", resume=True)


def _kill_when_started(cmd: list[str], out: Path, min_row: int) -> None:
    """Start ``cmd`` and SIGKILL it once its checkpoint passes ``min_row`` (the real thing)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                row = json.loads(progress_path(out).read_text())["position"]["row"]
            except (OSError, ValueError):
                row = 0
            if row >= min_row:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.005)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, f"the run ended on its own: {proc.stderr.read()[-2000:]!r}"


@pytest.mark.parametrize("out_fmt", ["jsonl", "parquet"])
def test_a_killed_run_resumes_without_losing_or_repeating_a_row(tmp_path, tiny_run, triples, expected, out_fmt):
    n = 60 * len(triples)
    rows = [{**triples[i % len(triples)], "id": f"r{i}"} for i in range(n)]
    src = write_table(tmp_path / "in.jsonl", rows)
    out = tmp_path / f"out.{out_fmt}"
    cmd = [sys.executable, "-m", "stanceml.cli", "score", str(src), "--model", str(tiny_run["export_dir"])]
    cmd += ["--output", str(out), "--chunk-rows", "16", "--batch-size", "16", "--no-progress"]
    _kill_when_started(cmd, out, min_row=n // 4)
    assert not out.exists()
    assert main(cmd[3:] + ["--resume"]) == EXIT_OK
    got = read_table(out)
    assert [r["id"] for r in got] == [r["id"] for r in rows]  # each row once, in order
    assert [r["input_row"] for r in got] == list(range(1, n + 1))
    assert [r["stance"] for r in got] == [expected[i % len(triples)] for i in range(n)]


def _articles(root: Path) -> Path:
    root.mkdir()
    (root / "a.md").write_text(
        "---\nid: art-1\ndate: 2024-03-01\ntitle: Tariffs\n---\nHungary blocked the tariff. "
        "Poland backed the tariff on Monday.\n\nThe weather was fine in Spain.\n",
        encoding="utf-8",
    )
    (root / "sub").mkdir()
    (root / "sub" / "b.txt").write_text("Germany rejected the tariff again.", encoding="utf-8")
    (root / "sub" / "c.jsonl").write_text(
        json.dumps({"id": "j1", "date": "2024-04-02", "text": "Spain voted for the tariff."}) + "\nnot json\n",
        encoding="utf-8",
    )
    return root


def test_candidates_keep_article_id_date_and_offsets(tmp_path):
    folder = _articles(tmp_path / "arts")
    out = tmp_path / "cands.jsonl"
    code = main(["candidates", str(folder), "--target", "the tariff", "--output", str(out)])
    assert code == EXIT_ROWS_FAILED  # the malformed JSONL line
    rows = read_table(out)
    assert [(r["article_id"], r["actor_canonical"]) for r in rows] == [
        ("art-1", "Hungary"),
        ("art-1", "Poland"),
        ("b", "Germany"),
        ("j1", "Spain"),
    ]  # Spain in "The weather was fine in Spain." is not about the tariff
    assert rows[0]["date"] == "2024-03-01" and rows[2]["date"] is None and rows[3]["date"] == "2024-04-02"
    raw = (folder / "a.md").read_text(encoding="utf-8")
    for r in rows[:2]:
        assert raw[r["sentence_start"] : r["sentence_end"]] == r["sentence"]
        assert raw[r["mention_start"] : r["mention_end"]] == r["actor"]
        assert r["sentence"][r["span_start"] : r["span_end"]] == r["actor"]
    err = json.loads(errors_path(out).read_text())
    assert err["line"] == 2 and err["reason"].startswith("malformed JSON") and err["source"].endswith("c.jsonl")


def test_candidates_take_another_actor_finder(tmp_path):
    folder = _articles(tmp_path / "arts")

    def finder(sentence: str) -> list[Mention]:
        i = sentence.find("weather")
        return [Mention("Weather", "weather", i, i + 7)] if i >= 0 else []

    src = ArticleSource([folder / "a.md"], ["the tariff"], finder=finder, relevance="all")
    rows = [it.record for it in src.items(Position())]
    assert [(r["actor_canonical"], r["sentence"]) for r in rows] == [("Weather", "The weather was fine in Spain.")]


def test_score_articles_end_to_end(tmp_path, tiny_run):
    folder = _articles(tmp_path / "arts")
    out = tmp_path / "scored.csv"
    argv = ["score", "--articles", str(folder), "--target", "the tariff", "--model", str(tiny_run["export_dir"])]
    assert main([*argv, "--output", str(out)]) == EXIT_ROWS_FAILED
    rows = read_table(out)
    assert [r["article_id"] for r in rows] == ["art-1", "art-1", "b", "j1"]
    assert all(r["stance"] in ("support", "oppose", "neutral") and r["mention_start"] for r in rows)


# Parquet too: Ray 2.60's V2 Parquet reader hung with every CPU held by a scoring actor.
@pytest.mark.parametrize("in_fmt", ["jsonl", "parquet"])
def test_ray_engine_on_a_local_cluster_matches_local(tmp_path, tiny_run, predictor, triples, in_fmt):
    ray = pytest.importorskip("ray", reason="the Ray engine needs the ray extra: pip install 'stanceml[ray]'")
    from stanceml.score.ray_engine import score_ray

    bad = [
        {"sentence": "Nobody is named here.", "actor": "Hungary", "target": "the tariff"},
        {"sentence": "Poland agreed.", "actor": None, "target": "the tariff"},
    ]
    rows = [triples[0], bad[0], triples[1], bad[1], *triples * 3]
    src = tmp_path / f"in.{in_fmt}"
    if in_fmt == "jsonl":
        src.write_text(
            "".join(json.dumps({k: v for k, v in r.items() if v is not None}) + "\n" for r in rows), encoding="utf-8"
        )
    else:
        write_table(src, [{k: r.get(k) for k in ("id", "sentence", "actor", "target")} for r in rows])
    local_out, ray_out = tmp_path / "local.parquet", tmp_path / "ray.parquet"
    local = run(open_source(src), predictor_step(predictor, str(src)), local_out, "parquet", chunk_rows=32)
    ray.init(num_cpus=2, object_store_memory=200 * 1024 * 1024, include_dashboard=False)
    try:
        summary = score_ray(src, tiny_run["export_dir"], ray_out, workers=2, chunk_rows=32, progress=False)
    finally:
        ray.shutdown()
    assert (summary.written, summary.failed) == (local.written, local.failed) == (len(rows) - 2, 2)
    a, b = read_table(local_out), read_table(ray_out)
    key = ("input_row", "id", "sentence", "actor", "target", "stance")
    assert [tuple(r[k] for k in key) for r in a] == [tuple(r[k] for k in key) for r in b]
    # bf16 sums in another order with one thread per actor than with two locally: close, not equal.
    assert max(abs(x["prob_support"] - y["prob_support"]) for x, y in zip(a, b)) < 2e-3
    errs = [json.loads(x) for x in errors_path(ray_out).read_text().splitlines()]
    assert [(e["row"], e["field"]) for e in errs] == [(2, "actor"), (4, "actor")]
