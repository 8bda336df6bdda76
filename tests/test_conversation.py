"""One conversation in every front end: numbers and buttons open the same choices, commands say
the same thing in the console and on Telegram, pending choices are bounded and expire."""

from __future__ import annotations

import io
from pathlib import Path

from telegram.ext import Application

from bot import render
from bot.cli import chat
from bot.conversation import (
    NOTHING_PENDING,
    UNKNOWN_COMMAND,
    Choice,
    ChoiceKind,
    Conversation,
    PendingChoices,
    Turn,
    plain_text,
)
from bot.engine import MAX_QUESTION_CHARS, Engine, find_question
from bot.reply import ReplyKind
from bot.telegram.keyboards import choice_data
from tests.botharness import bot_settings, run_with_bot
from tests.conftest import FIXTURE_KNOWLEDGE
from tests.fakebotapi import FakeBotAPI

WALK = ["what is esketamine", "1", "/topics", "1", "1", "hi", "thanks", "/foo", "42"]
USER = 1001


def console(engine: Engine, inputs: list[str]) -> str:
    out = io.StringIO()
    chat(engine, io.StringIO("".join(f"{line}\n" for line in inputs)), out)
    return out.getvalue()


def walk(engine: Engine, inputs: list[str], days: int | None = None) -> list[Turn]:
    conversation = Conversation(engine, question_log_days=days)
    pending: tuple[Choice, ...] = ()
    turns = []
    for text in inputs:
        turn, pending = conversation.respond(pending, text)
        turns.append(turn)
    return turns


def test_console_walkthrough_numbers_open_choices_and_answers_carry_sources(
    shipped_engine: Engine,
) -> None:
    turns = dict(zip(WALK, walk(shipped_engine, WALK), strict=False))  # duplicates: last wins
    replies = [turn.reply for turn in walk(shipped_engine, WALK)]
    answered = [r for r in replies if r.kind is ReplyKind.ANSWER and r.sources]
    assert len(answered) >= 3  # the question, a related one by number, one from a topic
    first, related, topics, topic, opened = replies[:5]
    assert first.entry_id == "what-is-esketamine"
    assert related.kind is ReplyKind.ANSWER and related.entry_id == first.related[0].entry_id
    assert topics.body == "Browse by topic:"
    assert topic.body.endswith(":") and topic.body[:-1] == shipped_engine.knowledge.topics[0]
    assert (
        opened.entry_id
        == shipped_engine.knowledge.entries_in(shipped_engine.knowledge.topics[0])[0].id
    )
    assert turns["/foo"].reply.body == UNKNOWN_COMMAND
    assert turns["42"].reply.body == NOTHING_PENDING  # /foo left nothing to choose from
    assert not [r for r in replies if r.kind is ReplyKind.FALLBACK]
    # What the console prints: the choices as numbers under the reply.
    out = console(shipped_engine, WALK)
    assert f"1. {first.related[0].question}" in out
    assert f"1. {shipped_engine.knowledge.topics[0]}" in out
    assert "Privacy:" in out.split("Type a question")[0]  # /start at the top, privacy note in


def test_console_small_talk_is_answered(shipped_engine: Engine) -> None:
    for turn in walk(shipped_engine, ["hi", "thanks"]):
        assert turn.reply.kind is ReplyKind.ANSWER


def test_numbers_after_a_reply(fixture_engine: Engine) -> None:
    conversation = Conversation(fixture_engine)
    turn, pending = conversation.respond((), "7")
    assert turn.reply.body == NOTHING_PENDING and pending == ()
    turn, pending = conversation.respond((), "what is ketamine")
    assert pending and all(choice.kind is ChoiceKind.ENTRY for choice in pending)
    again, kept = conversation.respond(pending, str(len(pending) + 1))
    assert again.reply.body.startswith(f"Choose a number from 1 to {len(pending)}")
    assert kept == pending  # a wrong number keeps the choices open
    opened, _ = conversation.respond(pending, "1")
    assert opened.reply.entry_id == pending[0].entry_id
    assert opened.question is None  # a number is not a question for the unanswered log


def test_topics_browse_by_number_and_back(fixture_engine: Engine) -> None:
    conversation = Conversation(fixture_engine)
    topics, pending = conversation.respond((), "/topics")
    assert [c.label for c in pending] == ["Basics", "How it works", "Safety"]
    topic, pending = conversation.respond(pending, "2")
    assert topic.reply.body == "How it works:"
    assert pending[0].entry_id == "nmda-mechanism" and pending[-1].kind is ChoiceKind.TOPICS
    back, pending = conversation.respond(pending, str(len(pending)))
    assert back.reply.body == topics.reply.body


def test_commands_and_stale_choices(fixture_engine: Engine) -> None:
    conversation = Conversation(fixture_engine, question_log_days=30)
    start = conversation.command("/start")
    text = render.text(start.reply)
    assert "not medical advice" in text.lower() and "kept for 30 days" in text
    assert "no record" in render.text(Conversation(fixture_engine).start().reply)
    assert conversation.command("/start what-is-esketamine").reply.entry_id == "what-is-esketamine"
    assert (
        conversation.command("/Help@some_bot").reply.body == fixture_engine.knowledge.messages.help
    )
    assert conversation.command("/ask").reply.body.startswith("Put your question after")
    assert conversation.command("/ask what is esketamine").question == "what is esketamine"
    assert len(conversation.command("/sources").reply.sources) == 3
    assert conversation.command("/nope").reply.body == UNKNOWN_COMMAND
    stale = conversation.open(Choice(ChoiceKind.ENTRY, "", entry_id="gone"))
    assert stale.reply.body.startswith("That choice is out of date")
    assert [c.kind for c in stale.choices] == [ChoiceKind.TOPIC] * 3


def test_pending_choices_are_bounded_and_expire() -> None:
    now = [0.0]
    store = PendingChoices(capacity=2, ttl=60.0, clock=lambda: now[0])
    choice = (Choice(ChoiceKind.TOPICS, "Browse topics"),)
    for chat_id in (1, 2, 3):
        store.set(chat_id, choice)
    assert len(store) == 2 and store.get(1) == ()  # the least recently used chat went first
    assert store.get(3) == choice
    now[0] = 61.0
    assert store.get(3) == ()  # expired
    store.set(4, ())
    assert store.get(4) == () and len(store) == 1


def test_long_message_is_matched_by_its_question_and_says_so(fixture_engine: Engine) -> None:
    story = "My sister has had depression for years and tried many treatments. " * 20
    message = story + "What is esketamine? Thanks for reading all this."
    assert len(message) > MAX_QUESTION_CHARS
    assert find_question(message) == ("What is esketamine?", True)
    reply = fixture_engine.answer(message)
    assert reply.entry_id == "what-is-esketamine"
    assert reply.notice is not None and "What is esketamine?" in reply.notice
    assert reply.notice in render.text(reply)
    # No question mark: the last part, cut at a word; a short message is read whole.
    part, partial = find_question("word " * 400)
    assert partial and len(part) <= MAX_QUESTION_CHARS and part.startswith("word")
    assert fixture_engine.answer("what is esketamine").notice is None


def _buttons(message: dict) -> list[tuple[str, str]]:
    markup = message.get("reply_markup") or {}
    return [
        (b["text"], b.get("callback_data", ""))
        for row in markup.get("inline_keyboard", [])
        for b in row
        if not b.get("callback_data", "").startswith("v:")  # votes: Telegram only
    ]


def test_console_and_telegram_show_the_same_texts_and_choices(
    fake_api: FakeBotAPI, tmp_path: Path, fixture_engine: Engine
) -> None:
    inputs = [
        "/start",
        "what is ketamine",
        "1",
        "/topics",
        "2",
        "1",
        "ketamine and the brain and spray",
        "2",
        "bitcoin price",
        "1",
        "/help",
        "/nonsense",
        "42",
        "/sources",
        "/disclaimer",
    ]
    turns = walk(fixture_engine, inputs)  # QUESTION_LOG=off, as in the console: same /start

    async def scenario(app: Application) -> None:
        for count, text in enumerate(inputs, 1):
            fake_api.private_text(text, user_id=USER)
            await fake_api.await_for(
                "sendMessage", count=count, predicate=lambda p: p["chat_id"] == USER
            )
        sent = fake_api.sent_messages(USER)
        assert len(sent) == len(inputs)
        for text, turn, message in zip(inputs, turns, sent, strict=True):
            expected = [
                (render_label(choice.label), choice_data(choice)) for choice in turn.choices
            ]
            assert _buttons(message) == expected, text
            assert message["text"] == _telegram_text(turn), text
        # The console prints the very same turns, choices as numbers.
        out = console(fixture_engine, inputs)
        for text, turn in zip(inputs, turns, strict=True):
            assert plain_text(turn) in out, text

    settings = bot_settings(
        fake_api, tmp_path, knowledge=FIXTURE_KNOWLEDGE, QUESTION_LOG="off", SEMANTIC="off"
    )
    run_with_bot(fake_api, settings, scenario)


def render_label(label: str) -> str:
    return label if len(label) <= 60 else label[:59] + "…"


def _telegram_text(turn: Turn) -> str:
    return render.html(turn.reply)  # the same reply, as Telegram HTML


def test_shipped_console_starts_and_quits(shipped_engine: Engine) -> None:
    out = console(shipped_engine, ["/quit", "what is esketamine"])
    assert "Esketamine" not in out.split("/quit")[0].split("Type a question")[-1]
