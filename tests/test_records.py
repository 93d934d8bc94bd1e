"""The one validator of triple fields, and the record conversions."""

from __future__ import annotations

import pytest

from stanceml.io import Problem
from stanceml.records import CORPUS_FIELDS, StanceInput, Triple, as_input, check_fields


def problems_of(record, **kw) -> list[Problem]:
    found: list[Problem] = []
    ok = check_fields(record, "f.jsonl", 7, found, **kw)
    assert ok == (not found)
    return found


GOOD = {"sentence": "Hungary blocked it.", "actor": "Hungary", "target": "the plan"}


@pytest.mark.parametrize(
    "record, field, reason",
    [
        ({**GOOD, "actor": ""}, "actor", "empty"),
        ({k: v for k, v in GOOD.items() if k != "target"}, "target", "missing"),
        ({**GOOD, "sentence": 3}, "sentence", "must be a string"),
        ({**GOOD, "stance": "pro"}, "stance", "unknown stance"),
        ({**GOOD, "tags": "hedge"}, "tags", "list of strings"),
        ({**GOOD, "span_start": 0, "span_end": 99}, "span_start, span_end", "inside the sentence"),
        ({**GOOD, "span": [5, 2]}, "span", "inside the sentence"),
    ],
)
def test_each_bad_field_is_named(record, field, reason):
    (p,) = problems_of(record)
    assert (p.path, p.line, p.field) == ("f.jsonl", 7, field) and reason in p.reason


def test_corpus_fields_and_known_tags():
    found = problems_of(
        {**GOOD, "stance": "support", "tags": ["sarcasm"]}, required=CORPUS_FIELDS, known_tags=frozenset({"irony"})
    )
    assert [p.field for p in found] == ["article_id"]  # missing fields stop the check
    found = problems_of(
        {**GOOD, "article_id": "a", "stance": "support", "tags": ["sarcasm"]},
        required=CORPUS_FIELDS,
        known_tags=frozenset({"irony"}),
    )
    assert [(p.field, "unknown tag" in p.reason) for p in found] == [("tags", True)]


def test_good_records_pass_and_convert():
    assert problems_of({**GOOD, "span_start": -1, "span_end": -1}) == []
    assert as_input({**GOOD, "span_start": 8, "span_end": 15}).span == (8, 15)
    assert as_input({**GOOD, "span": [0, 7]}) == StanceInput(GOOD["sentence"], "Hungary", "the plan", span=(0, 7))
    t = Triple("a", GOOD["sentence"], "Hungary", "the plan", "oppose", ("veto",), "t")
    row = t.to_row()
    assert row["label"] == 1 and row["span_start"] == -1 and as_input(row) == t.as_input()
    assert "span_start" not in t.identity()  # the data hash of span-less corpora does not move
