"""scripts/evaluate.py on any labelled set: the full report, and clear errors for bad files."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT, compose, tmp_overrides
from omegaconf import OmegaConf

from stanceml.evaluation.evaluate import evaluate
from stanceml.evaluation.rows import read_jsonl_triples
from stanceml.io import DataError

TRIPLES = [
    {
        "sentence": "Poland backed the tariff on Monday.",
        "actor": "Poland",
        "target": "the tariff",
        "stance": "support",
        "article_id": "x1",
        "tags": ["implicit"],
    },
    {
        "sentence": "Hungary blocked the tariff again.",
        "actor": "Hungary",
        "target": "the tariff",
        "stance": "oppose",
        "article_id": "x1",
    },
    {
        "sentence": "Spain is still studying the merger.",
        "actor": "Spain",
        "target": "the merger",
        "stance": "neutral",
        "article_id": "x2",
        "tags": ["hedge"],
    },
    {
        "sentence": "critics condemned the merger.",
        "actor": "critics",
        "target": "the merger",
        "stance": "oppose",
        "article_id": "x3",
    },
]


def test_evaluate_on_external_jsonl_writes_full_report(tiny_run, tmp_path):
    src = tmp_path / "ext.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in TRIPLES) + "\n")
    cfg = OmegaConf.to_object(
        compose(
            "evaluate",
            tmp_overrides(tiny_run["root"])
            + [f"model_dir={tiny_run['export_dir']}", f"eval_data={src}", f"report_dir={tmp_path / 'rep'}"],
        )
    )
    out = evaluate(cfg)
    assert out["n"] == 4 and out["articles"] == 3
    # majority and TF-IDF train on the gold training split that exists beside the model
    assert {"model", "rule_baseline", "majority", "tfidf_logreg"} == set(out["systems"])
    m = out["systems"]["model"]
    lo, hi = m["ci95"]["macro_f1"]
    assert lo <= m["macro_f1"] <= hi
    assert 0 < out["systems"]["rule_baseline"]["p_value_vs_model"] <= 1
    assert set(out["breakdown"]["tag"]) == {"implicit", "hedge", "(untagged)"}
    assert set(out["breakdown"]["target"]) <= {"seen", "unseen"}
    files = {p.name for p in (tmp_path / "rep").iterdir()}
    assert files == {"metrics.json", "report.md", "confusion_matrix.png", "errors.jsonl"}
    errors = [json.loads(line) for line in (tmp_path / "rep" / "errors.jsonl").read_text().splitlines()]
    assert len(errors) == round(4 * (1 - m["accuracy"]))
    for e in errors:
        assert e["predicted"] != e["stance"] and abs(sum(e["probs"].values()) - 1) < 1e-3
    report = (tmp_path / "rep" / "report.md").read_text()
    assert "tfidf_logreg" in report and "Calibration" in report


def test_bad_jsonl_lists_every_problem(tmp_path):
    src = tmp_path / "bad.jsonl"
    src.write_text(
        '{"sentence": "a", "actor": "a", "target": "b", "stance": "pro"}\nnot json\n{"sentence": "a"}\n'
        '{"sentence": "ab", "actor": "a", "target": "b", "stance": "support", "span_start": "x"}\n'
        '{"sentence": "ab", "actor": "a", "target": "b", "stance": "support", "tags": "hedge"}\n'
    )
    with pytest.raises(DataError) as info:
        read_jsonl_triples(src)
    msg = str(info.value)
    assert (
        "bad.jsonl:1 [stance]" in msg
        and "bad.jsonl:2: malformed JSON" in msg
        and all(f"bad.jsonl:3 [{f}]: missing" in msg for f in ("actor", "target", "stance"))
    )
    assert "bad.jsonl:4 [span_start, span_end]" in msg and "bad.jsonl:5 [tags]" in msg


def test_evaluate_script_fails_cleanly_on_bad_file(tiny_run, tmp_path):
    src = tmp_path / "bad.jsonl"
    src.write_text('{"sentence": "a", "actor": "a", "target": "b", "stance": "pro"}\n')
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "evaluate.py"),
            f"model_dir={tiny_run['export_dir']}",
            f"eval_data={src}",
            f"report_dir={tmp_path / 'rep'}",
            "data.split.test_topics=[]",
            "data.split.test_hash=null",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "STANCEML_ROOT": str(tiny_run["root"])},
        timeout=300,
    )
    assert proc.returncode != 0 and "bad.jsonl:1 [stance]" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "rep").exists()


def test_breakdown_splits_entity_from_issue_targets():
    import numpy as np

    from stanceml.evaluation.scoring import breakdowns

    rows = [{"target": "Orion Telecom", "tags": ["entity_target"]}, {"target": "the tariff", "tags": []},
            {"target": "the merger", "tags": ["hedge"]}]  # fmt: skip
    y = np.array([0, 1, 2])
    out = breakdowns(rows, y, {"model": np.array([0, 2, 2])}, None)
    assert out["target_type"]["entity"] == {"n": 1, "model": 1.0}
    assert out["target_type"]["issue"]["n"] == 2 and out["target_type"]["issue"]["model"] < 1.0
