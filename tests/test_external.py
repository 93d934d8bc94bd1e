"""Converters for NewsMTSC and IBM Claim Stance, on small files written here (and on the
real data in ../shared/external when it is present)."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT

from stanceml.data.external import ExternalDataError, build_newsmtsc, is_newsmtsc_file, read_claim_stance, read_newsmtsc
from stanceml.modeling.inputs import format_pair
from stanceml.records import rows_to_inputs

EXTERNAL = ROOT.parent / "shared" / "external"


def test_newsmtsc_hf_format(tmp_path):
    path = tmp_path / "test.jsonl"
    rows = [
        {
            "mention": "Powell",
            "polarity": 1,
            "from": 0,
            "to": 6,
            "sentence": "Powell praised the plan.",
            "id": "allsides_1_2_3_Powell_0_6",
        },
        {
            "mention": "the senator",
            "polarity": -1,
            "from": 11,
            "to": 22,
            "sentence": "Critics of the senator jeered.",
            "id": "polusa_9_8_7_x_11_22",
        },
        {"mention": "Smith", "polarity": 0, "from": 0, "to": 5, "sentence": "Smith spoke on Tuesday.", "id": "x"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    assert is_newsmtsc_file(path)
    out = read_newsmtsc(path)
    assert [r["stance"] for r in out] == ["support", "oppose", "neutral"]
    assert out[0]["actor"] == "the author" and out[0]["target"] == "Powell"
    assert out[0]["article_id"] == "allsides_1_2"
    marked = format_pair(rows_to_inputs(out)[1])
    assert marked.text == "Critics of [[ the senator ]] jeered."


def test_newsmtsc_original_format_has_several_targets(tmp_path):
    path = tmp_path / "train.jsonl"
    rec = {
        "primary_gid": "allsides_5_6_1_A_0_1",
        "sentence_normalized": "Ann thanked Bob.",
        "targets": [
            {"Input.gid": "allsides_5_6_1_Ann_0_3", "from": 0, "to": 3, "mention": "Ann", "polarity": 6.0},
            {"Input.gid": "allsides_5_6_1_Bob_12_15", "from": 12, "to": 15, "mention": "Bob", "polarity": 4.0},
        ],
    }
    path.write_text(json.dumps(rec) + "\n")
    out = read_newsmtsc(path)
    assert [(r["target"], r["stance"], r["span_start"]) for r in out] == [("Ann", "support", 0), ("Bob", "neutral", 12)]


def test_newsmtsc_bad_line_names_the_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"mention": "x", "polarity": 1, "from": 5, "to": 99, "sentence": "short"}) + "\n")
    with pytest.raises(ExternalDataError, match="bad.jsonl:1"):
        read_newsmtsc(path)


def test_missing_folder_says_so(tmp_path):
    with pytest.raises(ExternalDataError, match="absent"):
        build_newsmtsc(tmp_path / "nope", tmp_path / "out")


def test_claim_stance_csv(tmp_path):
    path = tmp_path / "claims.csv"
    path.write_text(
        '"topicId","split","topicText","claims.stance","claims.claimCorrectedText"\n'
        '"1","test","This house would ban boxing","PRO","Boxing causes brain injuries"\n'
        '"1","test","This house would ban boxing","CON","Boxing teaches discipline"\n'
        '"2","train","This house believes that zoos should close","PRO","Animals suffer in captivity"\n'
    )
    rows = read_claim_stance(path)
    assert [(r["target"], r["stance"]) for r in rows] == [("ban boxing", "support"), ("ban boxing", "oppose")]
    assert read_claim_stance(path, split="train")[0]["target"] == "zoos should close"


@pytest.mark.skipif(not (EXTERNAL / "newsmtsc").is_dir(), reason="../shared/external/newsmtsc is absent")
def test_real_newsmtsc_converts():
    rows = read_newsmtsc(EXTERNAL / "newsmtsc" / "hf-rw" / "test.jsonl")
    assert len(rows) == 803
    assert {r["stance"] for r in rows} == {"support", "oppose", "neutral"}
    for r in rows[:50]:
        assert r["sentence"][r["span_start"] : r["span_end"]].strip()


@pytest.mark.skipif(
    not (EXTERNAL / "ibm_claim_stance").is_dir(), reason="../shared/external/ibm_claim_stance is absent"
)
def test_real_claim_stance_converts():
    rows = read_claim_stance(EXTERNAL / "ibm_claim_stance" / "claim_stance_dataset_v1.csv")
    assert len(rows) == 1355 and {r["stance"] for r in rows} == {"support", "oppose"}
