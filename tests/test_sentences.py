"""The sentence splitter: abbreviations, initials, acronyms, decimals, quotes, paragraphs, offsets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stanceml.text.sentences import split_sentences


def texts(text: str) -> list[str]:
    out = split_sentences(text)
    for s in out:  # offsets always index the original text
        assert text[s.start : s.end] == s.text
    return [s.text for s in out]


@pytest.mark.parametrize(
    "text, expected",
    [
        # titles and other abbreviations never end a sentence
        ("Mr. Smith met Dr. Jones. They agreed.", ["Mr. Smith met Dr. Jones.", "They agreed."]),
        (
            "Gen. Milley and Sen. Warren spoke on Jan. 5. Nothing changed.",
            ["Gen. Milley and Sen. Warren spoke on Jan. 5.", "Nothing changed."],
        ),
        ("Rules differ, e.g. France and i.e. Italy. Fine.", ["Rules differ, e.g. France and i.e. Italy.", "Fine."]),
        ("He lives at No. 10 Downing Street. Truly.", ["He lives at No. 10 Downing Street.", "Truly."]),
        # initials and dotted acronyms: split only before a sentence opener
        (
            "J. K. Rowling and George R. R. Martin wrote. Both sold well.",
            ["J. K. Rowling and George R. R. Martin wrote.", "Both sold well."],
        ),
        (
            "U.S. officials said the U.S. would wait. The EU did not.",
            ["U.S. officials said the U.S. would wait.", "The EU did not."],
        ),
        ("The deal was backed by the U.S. The EU objected.", ["The deal was backed by the U.S.", "The EU objected."]),
        ("They met at 5 p.m. Later they left.", ["They met at 5 p.m.", "Later they left."]),
        (
            "Acme Inc. shares rose. Acme Inc. The board agreed.",
            ["Acme Inc. shares rose.", "Acme Inc.", "The board agreed."],
        ),
        # decimals, numbers, percentages
        (
            "Growth was 3.5 percent in 2023. 2024 will be slower.",
            ["Growth was 3.5 percent in 2023.", "2024 will be slower."],
        ),
        ("It costs 1.2bn euros, up 0.4. Prices rose.", ["It costs 1.2bn euros, up 0.4.", "Prices rose."]),
        # quotes end sentences; a lower-case continuation does not start one
        ('He said: "We will veto it." Then he left.', ['He said: "We will veto it."', "Then he left."]),
        ('"Will we?" he asked. "No!" she said.', ['"Will we?" he asked.', '"No!" she said.']),
        (
            "‘We wanted a full ban,’ she said. ‘We got less.’ Talks ended.",
            ["‘We wanted a full ban,’ she said.", "‘We got less.’", "Talks ended."],
        ),
        ('It was over. "Nobody won," he said.', ["It was over.", '"Nobody won," he said.']),
        ("(See the annex.) The rules apply.", ["(See the annex.)", "The rules apply."]),
        # ellipses, question and exclamation marks
        ("Wait... what happened? Nothing! Really.", ["Wait... what happened?", "Nothing!", "Really."]),
        # paragraphs, headings and line-wrapped text
        (
            "# Allies split\nFirst line\nwrapped here. Next one.\n\nA paragraph without a stop\n\nLast.",
            ["Allies split", "First line\nwrapped here.", "Next one.", "A paragraph without a stop", "Last."],
        ),
        ("", []),
        ("   \n\n  ---  \n", []),
    ],
)
def test_tricky_cases(text, expected):
    assert texts(text) == expected


def test_spans_index_an_article_with_front_matter_blanked():
    text = " " * 40 + "\nKyiv rejected the account. Budapest and Bratislava resist it.\n"
    out = split_sentences(text)
    assert [(s.start, s.text) for s in out] == [
        (41, "Kyiv rejected the account."),
        (68, "Budapest and Bratislava resist it."),
    ]
    start, end, sentence = out[0]  # unpacks as a (start, end, text) tuple
    assert text[start:end] == sentence


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(list("aB .!?\"'’\n3eU.S") + ["Mr. ", "e.g. ", "\n\n", "# ", "No. 5"]), max_size=60).map(
        "".join
    )
)
def test_spans_are_ordered_trimmed_and_exact(text):
    out = split_sentences(text)
    last_end = 0
    for s in out:
        assert text[s.start : s.end] == s.text
        assert s.text == s.text.strip() and s.text
        assert s.start >= last_end
        last_end = s.end
