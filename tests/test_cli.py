"""``stanceml predict`` from flags and from JSONL, and its errors."""

from __future__ import annotations

import json

import pytest

from stanceml.cli import main


def test_predict_jsonl_round_trip(tiny_run, tmp_path, capsys):
    rows = [
        {"sentence": "Poland backed the tariff on Monday.", "actor": "Poland", "target": "the tariff", "id": 1},
        {"sentence": "Spain is still studying the merger.", "actor": "Chile", "target": "the merger", "id": 2},
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "out.jsonl"
    assert main(["predict", "--model", str(tiny_run["export_dir"]), "--input", str(src), "--output", str(out)]) == 0
    got = [json.loads(line) for line in out.read_text().splitlines()]
    assert [g["id"] for g in got] == [1, 2]
    assert all(g["stance"] in ("support", "oppose", "neutral") for g in got)
    assert got[1]["actor_found"] is False and "actor_found" not in got[0]


def test_predict_from_flags(tiny_run, capsys):
    main(
        [
            "predict",
            "--model",
            str(tiny_run["export_dir"]),
            "--sentence",
            "critics condemned the merger.",
            "--actor",
            "critics",
            "--target",
            "the merger",
        ]
    )
    row = json.loads(capsys.readouterr().out)
    assert row["actor"] == "critics" and set(row["probs"]) == {"support", "oppose", "neutral"}


def test_bad_jsonl_names_line(tiny_run, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"sentence": "a", "actor": "a", "target": "b"}\n{"sentence": "a", "actor": ""}\n')
    with pytest.raises(SystemExit, match=r"in.jsonl:2 \[actor\]: empty"):
        main(["predict", "--model", str(tiny_run["export_dir"]), "--input", str(src)])


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match="not a folder"):
        main(["predict", "--model", str(tmp_path / "nope"), "--sentence", "a", "--actor", "a", "--target", "b"])


@pytest.mark.parametrize(
    "content, expected",
    [
        (b'{"sentence": "a b", "actor": "a", "target": "b"}\n[1, 2]\n', "in.jsonl:2: each line must be a JSON object"),
        (b'{"sentence": "a b", "actor": "a", "target": "b"}\n{oops\n{"actor": "a"}\n', "in.jsonl:2: malformed JSON"),
        (b'{"sentence": "a b", "actor": "a"}\n{oops\n', "in.jsonl:1 [target]"),
        (b"\xff\xfe not utf-8\n", "in.jsonl:1: not valid UTF-8"),
    ],
)
def test_bad_input_file_names_the_first_bad_line(tmp_path, content, expected):
    src = tmp_path / "in.jsonl"
    src.write_bytes(content)
    with pytest.raises(SystemExit, match=expected.replace("[", r"\[")):
        main(["predict", "--model", str(tmp_path / "unused"), "--input", str(src)])


def test_missing_input_file_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match="nope.jsonl: cannot read"):
        main(["predict", "--model", str(tmp_path / "unused"), "--input", str(tmp_path / "nope.jsonl")])
