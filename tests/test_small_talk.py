"""Small talk: "hi", "thanks", "ok" and "who are you" get a short reply about the bot, not the
fallback; entries about the bot cite no research and show no "Sources:" block."""

from __future__ import annotations

import pytest

from bot import render
from bot.engine import Engine
from bot.reply import ReplyKind


@pytest.mark.parametrize(
    ("message", "entry_id"),
    [
        ("hi", "greeting"),
        ("Hello!", "greeting"),
        ("hey there, how are you?", "greeting"),
        ("good evening", "greeting"),
        ("thanks", "thanks"),
        ("Thank you!", "thanks"),
        ("ok", "thanks"),
        ("OK then", "thanks"),
        ("who are you?", "what-is-this-bot"),
        ("are you a bot", "what-is-this-bot"),
        ("what can you do", "what-is-this-bot"),
        ("that's wrong", "complaint"),
        ("this bot is useless", "complaint"),
    ],
)
def test_small_talk_gets_a_reply_about_the_bot(
    shipped_engine: Engine, message: str, entry_id: str
) -> None:
    reply = shipped_engine.answer(message)
    assert reply.kind is ReplyKind.ANSWER, reply
    assert reply.entry_id == entry_id


def test_a_greeting_says_what_the_bot_covers_without_sources(shipped_engine: Engine) -> None:
    text = render.text(shipped_engine.answer("hi"))
    assert "ketamine" in text and "/topics" in text
    assert "Sources:" not in text
    assert "Evidence: about this bot" in text
    assert "not medical advice" in text.lower()  # the disclaimer still follows every answer


def test_a_greeting_with_a_question_answers_the_question(shipped_engine: Engine) -> None:
    reply = shipped_engine.answer("hi, how quickly does ketamine start to work?")
    assert reply.entry_id == "how-fast-does-it-work"


def test_stopwords_that_match_no_small_talk_still_fall_back(shipped_engine: Engine) -> None:
    for message in ("what is it", "can you", "is it"):
        assert shipped_engine.answer(message).kind is ReplyKind.FALLBACK, message


def test_a_crisis_message_is_never_treated_as_small_talk(shipped_engine: Engine) -> None:
    assert shipped_engine.answer("hi, i want to kill myself").kind is ReplyKind.CRISIS


def test_research_answers_still_list_their_sources(shipped_engine: Engine) -> None:
    text = render.text(shipped_engine.answer("how fast does ketamine work"))
    assert "Sources:" in text


@pytest.mark.parametrize(
    "question",
    [
        "thanks so much for this, i already have a touchy bladder, would a few infusions make it worse",
        "hello, my job does random screening, would my treatment come up as positive",
    ],
)
def test_small_talk_is_never_a_did_you_mean_for_a_real_question(
    shipped_engine: Engine, question: str
) -> None:
    # The filler words of a long question match "thanks" and "hello" a little; a stricter
    # answer bar (min_score) raises the suggestion bar as much.
    reply = shipped_engine.answer(question)
    assert reply.kind is ReplyKind.SUGGEST
    offered = {s.entry_id for s in reply.suggestions}
    assert offered and not offered & {"thanks", "greeting", "complaint"}
