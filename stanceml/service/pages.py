"""The service's HTML pages: ``GET /`` (a form: article text and targets) and the answer of
``POST /analyze`` to that form (the analysis page of :mod:`stanceml.analysis.html` under the
form, filled in again so the user can change a target and resubmit).

The form is a plain ``application/x-www-form-urlencoded`` POST, parsed with the standard
library, so the pages need no extra package and work without JavaScript.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from urllib.parse import parse_qs

from stanceml.analysis.aggregate import ActorStance
from stanceml.analysis.html import render_html
from stanceml.data.articles import ArticleText

FORM_TYPE = "application/x-www-form-urlencoded"
RELEVANCE_CHOICES = (
    ("fallback", "about the target, or every sentence naming an actor that has none"),
    ("semantic", "a shared content word or a similar meaning (embeddings)"),
    ("overlap", "sentences that share a content word with the target"),
    ("all", "every sentence with an actor"),
)
TITLE = "stanceml: who stands where"


@dataclass(frozen=True)
class FormInput:
    """What the form sent: the article, one target per line, the relevance rule."""

    text: str = ""
    targets: tuple[str, ...] = ()
    relevance: str = "fallback"  # the command's default too


def parse_form(raw: bytes) -> FormInput:
    """The form fields of an urlencoded body (``text``, ``targets`` one per line, and
    ``relevance``); blank target lines are dropped, CRLF from browsers becomes LF.

    Raises:
        ValueError: the body is not UTF-8.
    """
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"the form body is not UTF-8 ({err})") from None
    fields = parse_qs(decoded, keep_blank_values=True)

    def first(name: str, default: str = "") -> str:
        return fields.get(name, [default])[0].replace("\r\n", "\n")

    lines = [t.strip() for value in fields.get("targets", []) for t in value.splitlines()]
    return FormInput(first("text"), tuple(t for t in lines if t), first("relevance", "fallback"))


def form_html(form: FormInput = FormInput(), error: str = "") -> str:
    """The analysis form, filled with ``form``, with ``error`` (plain text) above it."""
    options = "".join(
        f'<option value="{value}"{" selected" if value == form.relevance else ""}>{value}: {escape(label)}</option>'
        for value, label in RELEVANCE_CHOICES
    )
    err = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return (
        f'<section class="form">{err}<form method="post" action="/analyze" enctype="{FORM_TYPE}">'
        '<label for="text">Article text</label>'
        f'<textarea id="text" name="text" rows="10" required>{escape(form.text)}</textarea>'
        '<label for="targets">Targets, one per line</label>'
        '<textarea id="targets" name="targets" rows="2" required placeholder="the sanctions package">'
        f"{escape(chr(10).join(form.targets))}</textarea>"
        f'<label for="relevance">Sentences asked</label><select id="relevance" name="relevance">{options}</select>'
        '<button type="submit">Analyse</button></form></section>'
    )


def index_page(subtitle: str = "") -> str:
    """``GET /``: the empty form."""
    return render_html([], title=TITLE, subtitle=subtitle, before=form_html())


def form_error_page(form: FormInput, error: str, subtitle: str = "") -> str:
    """The form again, filled in, with what was wrong."""
    return render_html([], title=TITLE, subtitle=subtitle, before=form_html(form, error))


def result_page(form: FormInput, results: Sequence[ActorStance], targets: Sequence[str], subtitle: str = "") -> str:
    """The form (filled in) above the analysis of its article."""
    article = ArticleText("", form.text, "Who stands where in the submitted article")
    return render_html([(article, results)], targets=targets, title=TITLE, subtitle=subtitle, before=form_html(form))
