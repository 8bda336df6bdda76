"""Both renderers show the same reply; the HTML one is always valid for Telegram and fits."""

from __future__ import annotations

import pytest

from bot import render
from bot.engine import Engine
from bot.knowledge import Helpline, Source
from bot.reply import Reply, ReplyKind, Suggestion
from tests.telegram_html import TelegramHTMLError, check_telegram_html

HOSTILE = (
    '<b>bold</b> & <script>alert("x")</script> &amp; <a href="javascript:x">link</a> 1 < 2 > 0'
)


def _answer(body: str, **changes: object) -> Reply:
    fields: dict[str, object] = {
        "kind": ReplyKind.ANSWER,
        "body": body,
        "entry_id": "x",
        "title": "Is <this> & that safe?",
        "note": "The article says <b>X</b>; the study shows Y & Z.",
        "evidence": "human trial(s)",
        "sources": (Source("s", 'A & B <"quoted"> study', "https://doi.org/10.1000/a&b<c>", 2020),),
        "related": (Suggestion("y", "Another <question>?"),),
        "disclaimer": "Not medical advice & talk to your doctor.",
    }
    fields.update(changes)
    return Reply(**fields)  # type: ignore[arg-type]


def test_answer_html_has_links_and_escapes_everything() -> None:
    out = render.html(_answer(HOSTILE))
    check_telegram_html(out)
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "&amp;amp;" in out  # the user's literal "&amp;" stays literal
    assert (
        '<a href="https://doi.org/10.1000/a&amp;b&lt;c&gt;">A &amp; B &lt;"quoted"&gt; study</a>'
        in out
    )
    assert "<i>Not medical advice &amp; talk to your doctor.</i>" in out


def test_text_rendering_is_plain_and_complete() -> None:
    out = render.text(_answer(HOSTILE))
    assert HOSTILE in out
    assert "https://doi.org/10.1000/a&b<c>" in out
    assert "About the article: The article says <b>X</b>" in out
    assert out.endswith("Not medical advice & talk to your doctor.")


@pytest.mark.parametrize("size", [4000, 5000, 20000])
def test_very_long_answers_are_shortened_to_one_message(size: int) -> None:
    body = ("ketamine & <glutamate> " * size)[:size]
    out = render.html(_answer(body))
    check_telegram_html(out)
    assert out.endswith("</i>")  # the disclaimer survives shortening
    assert "…" in out


def test_even_huge_titles_fit() -> None:
    out = render.html(_answer("x", title="<&>" * 3000, note="&" * 3000))
    check_telegram_html(out)


def test_suggest_fallback_and_crisis() -> None:
    suggest = Reply(
        kind=ReplyKind.SUGGEST,
        body="Did you mean:",
        suggestions=(Suggestion("a", "A <1>?"), Suggestion("b", "B & 2?")),
        disclaimer="not medical advice",
    )
    # The choices are the front end's: numbers in the console, buttons on Telegram.
    assert render.text(suggest) == "Did you mean:\n\nnot medical advice"
    check_telegram_html(render.html(suggest))
    crisis = Reply(
        kind=ReplyKind.CRISIS,
        body="You are not alone.",
        helplines=(Helpline("988 Lifeline", "call or text 988", "https://988lifeline.org"),),
        closing="Help works.",
    )
    html = render.html(crisis)
    check_telegram_html(html)
    assert html.index("988") < html.index("Help works.")
    fallback = Reply(kind=ReplyKind.FALLBACK, body="Not covered <here>.")
    assert render.html(fallback) == "Not covered &lt;here&gt;."


def test_checker_rejects_what_telegram_rejects() -> None:
    for bad in ["<div>x</div>", "<b>x", "a & b", "x</b>", "<a>x</a>", ""]:
        with pytest.raises(TelegramHTMLError):
            check_telegram_html(bad)


def test_every_fixture_entry_renders(fixture_engine: Engine) -> None:
    for entry in fixture_engine.knowledge.entries:
        reply = fixture_engine.entry_reply(entry)
        check_telegram_html(render.html(reply))
        text = render.text(reply)
        assert entry.answer in text
        assert "not medical advice" in text.lower()


def test_whitespace_only_fields_never_make_an_empty_message() -> None:
    out = render.html(
        _answer(
            "x",
            title="\r" * 5000,
            note=None,
            sources=(),
            related=(),
            evidence=None,
            disclaimer=None,
        )
    )
    check_telegram_html(out)
