"""Hypothesis: odd input never crashes the corpus reader or the predictor's input handling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stanceml.data.corpus import parse_article, parse_triple, read_corpus
from stanceml.io import DataError
from stanceml.modeling.inputs import format_pair
from stanceml.records import StanceInput, as_input

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(raw=TEXT)
def test_article_parser_never_raises(raw):
    problems: list = []
    article = parse_article(Path("x.md"), raw, problems)
    assert (article is None) == bool(problems)


@settings(max_examples=300, deadline=None)
@given(
    record=st.one_of(
        ANY_JSON,
        st.fixed_dictionaries(
            {"article_id": TEXT, "sentence": TEXT, "actor": TEXT, "target": TEXT, "stance": TEXT},
            optional={"tags": ANY_JSON},
        ),
    )
)
def test_triple_parser_reports_problems_instead_of_raising(record):
    from stanceml.data.corpus import Article

    articles = {"a": Article("a", "t", "2024-01-01", "x", "Hungary blocked the plan.")}
    problems: list = []
    triple = parse_triple(record, "f.jsonl", 1, articles, problems)
    assert (triple is None) == bool(problems)
    for p in problems:
        assert p.path == "f.jsonl" and p.line == 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.one_of(TEXT, ANY_JSON.map(json.dumps)), max_size=6), body=TEXT)
def test_read_corpus_raises_only_corpus_error(tmp_path_factory, lines, body):
    root = tmp_path_factory.mktemp("fz")
    (root / "articles").mkdir()
    (root / "annotations").mkdir()
    (root / "articles" / "a.md").write_text(f"---\nid: a\ntitle: t\ndate: 2024-01-01\ntopic: x\n---\n{body}\n")
    (root / "annotations" / "a.jsonl").write_text("\n".join(line.replace("\n", " ") for line in lines))
    try:
        read_corpus(root / "articles", root / "annotations")
    except DataError as err:
        assert all(p.path for p in err.problems)


@settings(max_examples=300, deadline=None)
@given(sentence=TEXT, actor=TEXT, target=TEXT)
def test_format_pair_handles_any_text(sentence, actor, target):
    try:
        item = StanceInput(sentence, actor, target)
    except ValueError:
        assert not (sentence.strip() and actor.strip() and target.strip())
        return
    enc = format_pair(item, max_chars=200)
    assert isinstance(enc.text, str) and isinstance(enc.text_pair, str)
    assert "\x00" not in enc.text


@settings(max_examples=200, deadline=None)
@given(item=ANY_JSON)
def test_as_input_raises_only_clear_errors(item):
    try:
        as_input(item)
    except (TypeError, KeyError, ValueError) as err:
        assert str(err)


@pytest.fixture(scope="module")
def predictor(tiny_run):
    from stanceml import StancePredictor

    return StancePredictor.from_pretrained(tiny_run["export_dir"], backend="torch", precision="fp32")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sentence=st.text(min_size=1, max_size=3000),
    actor=st.text(min_size=1, max_size=50),
    target=st.text(min_size=1, max_size=80),
)
def test_predictor_survives_any_text(predictor, sentence, actor, target):
    import warnings

    if not (sentence.strip() and actor.strip() and target.strip()):
        with pytest.raises(ValueError):
            predictor.predict({"sentence": sentence, "actor": actor, "target": target})
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pred = predictor.predict({"sentence": sentence, "actor": actor, "target": target})
    assert pred.stance in predictor.labels and abs(sum(pred.probs.values()) - 1) < 1e-4
