"""Bad input, property-based: arbitrary Unicode (up to 4096 characters) into the engine and both
renderers. Every input gets a reply, the HTML is valid for Telegram's tag subset and fits one
message, and nothing raises.

The inputs mix plain `st.text()` with targeted alphabets: emoji (ZWJ sequences, flags, skin
tones), right-to-left Arabic and Hebrew, zero-width and bidi controls, C0/C1 control characters,
HTML and Markdown metacharacters, very long single words, and empty or whitespace-only text.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot import render
from bot.engine import Engine
from bot.knowledge import Helpline, Source
from bot.reply import Reply, ReplyKind, Suggestion
from tests.botharness import bot_settings, running_bot
from tests.conftest import FIXTURE_KNOWLEDGE
from tests.fakebotapi import FakeBotAPI, html_plain_text
from tests.telegram_html import check_telegram_html

TELEGRAM_LIMIT = 4096
FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ----------------------------------------------------------------------------- alphabets
EMOJI = (
    st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF)
    | st.characters(min_codepoint=0x1F1E6, max_codepoint=0x1F1FF)  # regional indicators (flags)
    | st.characters(min_codepoint=0x1F3FB, max_codepoint=0x1F3FF)  # skin tones
    | st.sampled_from(["\u200d", "\ufe0f", "\u20e3", "\u2764", "\u2640", "\u2642"])
)
RTL = st.characters(min_codepoint=0x0590, max_codepoint=0x05FF) | st.characters(
    min_codepoint=0x0600, max_codepoint=0x06FF
)
INVISIBLE = st.sampled_from(
    [chr(c) for c in range(0x200B, 0x2010)]  # ZWSP, ZWNJ, ZWJ, LRM, RLM
    + [chr(c) for c in range(0x202A, 0x202F)]  # LRE, RLE, PDF, LRO, RLO (U+202E)
    + [chr(c) for c in range(0x2066, 0x206A)]  # isolates
    + ["\ufeff", "\u00ad", "\u2028", "\u2029", "\u034f", "\u180e"]
)
CONTROL = st.sampled_from([chr(c) for c in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0))])
META = st.sampled_from(list("<>&\"';=/\\*_`[]()~|#+-.!{}"))
FRAGMENTS = st.sampled_from(
    [
        *("&amp;", "&lt;", "&#", "&#x", "&nbsp;", "<b>", "</a>", "<!--", "<![CDATA[", "<?xml"),
        *("\\n", "```", "**", "__", "~~", "||", "](", "<a href=", "javascript:", "%s", "\r\n"),
    ]
)
WORDS = st.sampled_from(
    [
        "ketamine",
        "esketamine",
        "Spravato",
        "depression",
        "NMDA",
        "dose",
        "how much should I take",
        "kill myself",
        "suicide",
        "what is",
        "?",
        "<script>",
        "**bold**",
        "[link](https://example.org)",
        "кетамин",
        "كيتامين",
        "קטמין",
        "ケタミン",
    ]
)
SPACE = st.sampled_from(list(" \t\n\r\x0b\x0c\u00a0\u1680\u2000\u2003\u2009\u202f\u205f\u3000"))
# Lone surrogates (Cs) cannot travel in UTF-8: Telegram never delivers them.
MIXED = EMOJI | RTL | INVISIBLE | CONTROL | META | SPACE | st.characters(exclude_categories=["Cs"])

# ----------------------------------------------------------------------------- questions
whitespace_only = st.text(alphabet=SPACE | INVISIBLE, max_size=64)
long_word = st.builds(
    lambda ch, n: ch * n,
    st.characters(blacklist_categories=["Cs", "Zs", "Cc"]),
    st.integers(min_value=500, max_value=TELEGRAM_LIMIT),
) | st.text(
    alphabet=st.characters(blacklist_categories=["Cs", "Zs", "Cc", "Zl", "Zp"]),
    min_size=300,
    max_size=TELEGRAM_LIMIT,
)
word_soup = st.lists(WORDS | FRAGMENTS | st.text(MIXED, max_size=12), max_size=60).map(" ".join)


def _repeated(chunks: st.SearchStrategy[str], low: int, high: int) -> st.SearchStrategy[str]:
    """Long text (low..high characters) from a repeated random chunk: Hypothesis alone mostly
    draws short strings, so this makes sure the long end (and the shortening code) is hit."""
    return st.builds(
        lambda chunk, n: (chunk * (n // len(chunk) + 1))[:n],
        chunks.filter(bool),
        st.integers(min_value=low, max_value=high),
    )


glued = st.lists(WORDS | FRAGMENTS | st.text(MIXED, max_size=8), max_size=400).map("".join)
questions = st.one_of(
    st.text(max_size=TELEGRAM_LIMIT),
    st.text(alphabet=MIXED, max_size=TELEGRAM_LIMIT),
    st.text(alphabet=EMOJI | RTL | INVISIBLE, max_size=TELEGRAM_LIMIT),
    st.text(alphabet=CONTROL | META | SPACE, max_size=TELEGRAM_LIMIT),
    long_word,
    whitespace_only,
    word_soup,
    glued,
    _repeated(st.text(MIXED, min_size=1, max_size=40) | WORDS | FRAGMENTS, 1000, TELEGRAM_LIMIT),
).map(lambda text: text[:TELEGRAM_LIMIT])

EXPLICIT = (
    "",
    " ",
    "\n\t \u00a0\u3000",
    "\u200b\u200c\u200d\u200e\u200f",
    "\u202ewhat is ketamine",
    "\x00" * 4096,
    "\x1b[31mketamine\x1b[0m",
    "<b>what is ketamine</b> & <a href='x'>",
    "*what* _is_ `ketamine` [x](y) ~z~ ||spoiler||",
    "👩\u200d👩\u200d👧\u200d👦" * 585,  # 4095 code points of one family emoji, repeated
    "🇺🇦🇮🇱🏳️\u200d🌈 ketamine?",
    "ما هو الكيتامين",
    "מה זה קטמין",
    "a" * 4096,
    "ketamine" * 512,
    "I want to kill myself " * 186,
    "how much ketamine should I take " * 128,
)


def _engine(request: pytest.FixtureRequest, which: str) -> Engine:
    return request.getfixturevalue(f"{which}_engine")  # session-scoped: loaded once


def check_html(html: str) -> None:
    """Telegram would accept it: the strict subset checker, and the fake Bot API's parser."""
    assert len(html) <= TELEGRAM_LIMIT
    check_telegram_html(html)
    plain = html_plain_text(html)  # raises ApiError where Telegram rejects the markup
    assert plain.strip() and len(plain) <= TELEGRAM_LIMIT


def check_reply(reply: Reply) -> None:
    assert isinstance(reply, Reply)
    assert reply.kind in set(ReplyKind)
    assert reply.body.strip()
    check_html(render.html(reply))
    text = render.text(reply)
    assert isinstance(text, str) and text.strip()


@pytest.mark.parametrize("which", ["fixture", "shipped"])
@FUZZ
@given(text=questions)
def test_engine_and_renderers_take_arbitrary_unicode_emoji_rtl_zero_width_control_markup(
    request: pytest.FixtureRequest, which: str, text: str
) -> None:
    check_reply(_engine(request, which).answer(text))


@pytest.mark.parametrize("which", ["fixture", "shipped"])
@pytest.mark.parametrize("text", EXPLICIT, ids=[f"explicit{i}" for i in range(len(EXPLICIT))])
def test_engine_and_renderers_take_explicit_hostile_inputs(
    request: pytest.FixtureRequest, which: str, text: str
) -> None:
    check_reply(_engine(request, which).answer(text))


@pytest.mark.parametrize("which", ["fixture", "shipped"])
@FUZZ
@given(text=whitespace_only)
@example(text="")
@example(text="\u200b")
def test_empty_and_whitespace_only_questions_get_a_fallback(
    request: pytest.FixtureRequest, which: str, text: str
) -> None:
    reply = _engine(request, which).answer(text)
    check_reply(reply)
    assert reply.kind in (ReplyKind.FALLBACK, ReplyKind.SUGGEST)


# ----------------------------------------------------------------------------- arbitrary replies
any_text = st.text(alphabet=MIXED, max_size=600) | st.text(max_size=600)
long_text = (
    st.text(alphabet=MIXED, max_size=6000)
    | st.text(max_size=6000)
    | _repeated(st.text(MIXED, min_size=1, max_size=20) | FRAGMENTS | META, 2000, 12000)
)
non_blank = long_text.filter(lambda s: s.strip())
urls = st.builds(
    lambda tail: "https://example.org/" + tail, st.text(alphabet=MIXED | META, max_size=200)
)
sources = st.builds(
    Source,
    key=st.just("k"),
    title=any_text,
    url=urls,
    year=st.none() | st.integers(min_value=1900, max_value=2100),
)
helplines = st.builds(Helpline, name=any_text, contact=any_text, url=st.none() | urls)
suggestions = st.builds(Suggestion, entry_id=st.just("e"), question=any_text)
optional = st.none() | any_text
replies = st.builds(
    Reply,
    kind=st.sampled_from(list(ReplyKind)),
    body=non_blank,
    entry_id=st.none() | st.just("e"),
    score=st.none() | st.floats(min_value=0, max_value=100),
    title=optional | long_text,
    note=optional | long_text,
    evidence=optional,
    sources=st.lists(sources, max_size=12).map(tuple),
    suggestions=st.lists(suggestions, max_size=4).map(tuple),
    related=st.lists(suggestions, max_size=4).map(tuple),
    helplines=st.lists(helplines, max_size=8).map(tuple),
    closing=optional,
    disclaimer=optional,
)


@FUZZ
@given(reply=replies)
@example(
    reply=Reply(
        kind=ReplyKind.ANSWER,
        body="x",
        title="<" * 5000,  # the title alone escapes to 20000 characters
        sources=(Source("k", "&" * 3000, 'https://e.org/"<&>', 2020),),
        disclaimer="\u202e" * 100,
    )
)
@example(
    reply=Reply(
        kind=ReplyKind.CRISIS,
        body="🆘" * 3000,
        helplines=tuple(
            Helpline("<b>" * 50, "&" * 50, "https://e.org/?a=1&b=<2>") for _ in range(8)
        ),
        closing="\x00",
    )
)
def test_html_of_arbitrary_replies_with_hostile_titles_bodies_notes_sources_fits_and_is_valid(
    reply: Reply,
) -> None:
    check_html(render.html(reply))
    assert render.text(reply).strip()


def test_hostile_messages_through_the_running_bot_each_get_one_reply_telegram_accepts(
    fake_api: FakeBotAPI, tmp_path: Path
) -> None:
    """The explicit inputs end to end: the fake Bot API parses each reply's HTML as Telegram
    would (a 400 otherwise). Empty and whitespace-only texts are left out: Telegram does not
    deliver them."""
    texts = [text for text in EXPLICIT if text.strip()]
    users = [6000 + i for i in range(len(texts))]

    async def main() -> None:
        settings = bot_settings(fake_api, tmp_path, knowledge=FIXTURE_KNOWLEDGE)
        async with running_bot(settings):
            for user, text in zip(users, texts, strict=True):
                fake_api.private_text(text, user_id=user)
            await fake_api.await_for("sendMessage", count=len(texts), include_failed=True)
            await asyncio.sleep(0.3)

    asyncio.run(main())
    log = fake_api.request_log("sendMessage")
    assert [entry["description"] for entry in log if entry["status"] != 200] == []
    assert sorted(entry["params"]["chat_id"] for entry in log) == users
    assert not fake_api.errors
