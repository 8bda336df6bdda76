"""Private chats, end to end: python-telegram-bot against the fake Bot API, as a user sees it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from telegram.ext import Application

from bot import render
from bot.engine import Engine
from bot.knowledge import load_knowledge
from tests.botharness import bot_settings, run_with_bot
from tests.conftest import FIXTURE_KNOWLEDGE
from tests.fakebotapi import FakeBotAPI
from tests.telegram_html import check_telegram_html

USER = 1001


def _to(chat_id: int) -> Callable[[dict], bool]:
    return lambda params: params["chat_id"] == chat_id


def _buttons(message: dict) -> list[tuple[str, str]]:
    markup = message.get("reply_markup") or {}
    return [
        (b["text"], b.get("callback_data", ""))
        for row in markup.get("inline_keyboard", [])
        for b in row
    ]


def test_question_gets_answer_with_sources_and_disclaimer(
    fake_api: FakeBotAPI, tmp_path: Path
) -> None:
    async def scenario(app: Application) -> None:
        fake_api.private_text("what is esketamine", user_id=USER)
        [sent] = await fake_api.await_for("sendMessage", predicate=_to(USER))
        assert sent["parse_mode"] == "HTML"
        check_telegram_html(sent["text"])
        assert '<a href="https://' in sent["text"]
        assert "not medical advice" in sent["text"].lower()
        assert "esketamine" in sent["text"].lower()
        message = fake_api.sent_messages(USER)[-1]
        labels = [text for text, _ in _buttons(message)]
        assert "👍 Helpful" in labels and "👎 Not helpful" in labels

    run_with_bot(fake_api, bot_settings(fake_api, tmp_path), scenario)


def test_replies_reach_telegram_with_the_text_intact(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    """python-telegram-bot's own transport: the answer's non-ASCII characters and its buttons
    reach Telegram exactly as rendered."""
    engine = Engine(load_knowledge(FIXTURE_KNOWLEDGE))
    expected = render.html(engine.answer("what is esketamine"))

    async def scenario(app: Application) -> None:
        fake_api.private_text("what is esketamine", user_id=USER)
        await fake_api.await_for("sendMessage", predicate=_to(USER))
        [entry] = fake_api.request_log("sendMessage")
        assert entry["params"]["text"] == expected
        assert "•" in expected  # the source list's bullets: non-ASCII
        assert fake_api.sent_messages(USER)[-1]["reply_markup"]["inline_keyboard"]

    run_with_bot(fake_api, bot_settings(fake_api, tmp_path, knowledge=FIXTURE_KNOWLEDGE), scenario)


def test_suggestion_button_shows_that_answer(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    async def scenario(app: Application) -> None:
        fake_api.private_text("ketamine and the brain and spray", user_id=USER)
        [sent] = await fake_api.await_for("sendMessage", predicate=_to(USER))
        assert "Did you mean:" in sent["text"]
        message = fake_api.sent_messages(USER)[-1]
        buttons = _buttons(message)
        assert ("How does ketamine work in the brain?", "e:nmda-mechanism") in buttons
        fake_api.callback_query("e:nmda-mechanism", message, user_id=USER)
        answers = await fake_api.await_for("sendMessage", count=2, predicate=_to(USER))
        assert answers[1]["text"].startswith("<b>How does ketamine work in the brain?</b>")
        await fake_api.await_for("answerCallbackQuery")

    # The fixture FAQ is matched lexically here, as the console's fixture engine is.
    settings = bot_settings(fake_api, tmp_path, knowledge=FIXTURE_KNOWLEDGE, SEMANTIC="off")
    run_with_bot(fake_api, settings, scenario)


def test_related_questions_are_buttons(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    async def scenario(app: Application) -> None:
        fake_api.private_text("what is ketamine", user_id=USER)
        await fake_api.await_for("sendMessage", predicate=_to(USER))
        assert ("What is esketamine (Spravato)?", "e:what-is-esketamine") in _buttons(
            fake_api.sent_messages(USER)[-1]
        )

    run_with_bot(fake_api, bot_settings(fake_api, tmp_path, knowledge=FIXTURE_KNOWLEDGE), scenario)


def test_crisis_message_gets_helplines(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    async def scenario(app: Application) -> None:
        fake_api.private_text("i want to end my life", user_id=USER)
        [sent] = await fake_api.await_for("sendMessage", predicate=_to(USER))
        check_telegram_html(sent["text"])
        assert "988" in sent["text"] and "116 123" in sent["text"]
        assert sent["text"].index("988") < 400  # helplines come first, not after an essay

    run_with_bot(fake_api, bot_settings(fake_api, tmp_path), scenario)


def test_non_text_messages_get_one_line(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    async def scenario(app: Application) -> None:
        fake_api.private_sticker(user_id=USER)
        fake_api.private_photo(user_id=USER)
        sent = await fake_api.await_for("sendMessage", count=2, predicate=_to(USER))
        assert all("text" in s["text"] and "\n" not in s["text"] for s in sent)

    run_with_bot(fake_api, bot_settings(fake_api, tmp_path), scenario)


def test_start_deep_link_opens_the_answer(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    async def scenario(app: Application) -> None:
        fake_api.private_text("/start what-is-esketamine", user_id=USER)
        [sent] = await fake_api.await_for("sendMessage", predicate=_to(USER))
        assert sent["text"].startswith("<b>What is esketamine (Spravato)?</b>")
        fake_api.private_text("/start", user_id=USER)
        sent = await fake_api.await_for("sendMessage", count=2, predicate=_to(USER))
        welcome = sent[1]["text"]
        check_telegram_html(welcome)
        assert "not medical advice" in welcome.lower() and "30 days" in welcome
        fake_api.private_text("/start no-such-entry", user_id=USER)
        sent = await fake_api.await_for("sendMessage", count=3, predicate=_to(USER))
        assert sent[2]["text"] == welcome  # an unknown link falls back to the welcome

    run_with_bot(fake_api, bot_settings(fake_api, tmp_path, knowledge=FIXTURE_KNOWLEDGE), scenario)


def test_topics_browsing(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    async def scenario(app: Application) -> None:
        fake_api.private_text("/topics", user_id=USER)
        await fake_api.await_for("sendMessage", predicate=_to(USER))
        menu = fake_api.sent_messages(USER)[-1]
        assert _buttons(menu) == [("Basics", "t:0"), ("How it works", "t:1"), ("Safety", "t:2")]
        fake_api.callback_query("t:1", menu, user_id=USER)
        [edit] = await fake_api.await_for("editMessageText")
        assert (
            json.loads(json.dumps(edit["reply_markup"]))["inline_keyboard"][0][0]["callback_data"]
            == "e:nmda-mechanism"
        )
        fake_api.callback_query("t", menu, user_id=USER)
        await fake_api.await_for("editMessageText", count=2)

    run_with_bot(fake_api, bot_settings(fake_api, tmp_path, knowledge=FIXTURE_KNOWLEDGE), scenario)


def test_forged_button_data_is_harmless(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    async def scenario(app: Application) -> None:
        fake_api.private_text("what is ketamine", user_id=USER)
        await fake_api.await_for("sendMessage", predicate=_to(USER))
        message = fake_api.sent_messages(USER)[-1]
        forged = [
            "",
            "e:",
            "e:../../etc",
            "t:999",
            "t:-1",
            "v:what-is-ketamine:7",
            "x" * 64,
            "e:no-such-entry",
            "💥",
        ]
        for data in forged:
            fake_api.callback_query(data, message, user_id=USER)
        await fake_api.await_for("answerCallbackQuery", count=len(forged))
        # Still serving: the stale entry got the topic list, everything else nothing visible.
        fake_api.private_text("spravato?", user_id=USER)
        await fake_api.await_for("sendMessage", predicate=lambda p: "Spravato" in p["text"])
        assert not fake_api.errors

    run_with_bot(fake_api, bot_settings(fake_api, tmp_path, knowledge=FIXTURE_KNOWLEDGE), scenario)


def test_edited_question_is_answered_again(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    async def scenario(app: Application) -> None:
        update = fake_api.private_text("what is ketamin", user_id=USER)
        await fake_api.await_for("sendMessage", predicate=_to(USER))
        fake_api.edited_private_text(
            "what is esketamine", update["message"]["message_id"], user_id=USER
        )
        sent = await fake_api.await_for("sendMessage", count=2, predicate=_to(USER))
        assert "esketamine" in sent[1]["text"].lower()

    run_with_bot(fake_api, bot_settings(fake_api, tmp_path, knowledge=FIXTURE_KNOWLEDGE), scenario)


def test_commands(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    async def scenario(app: Application) -> None:
        [commands] = await fake_api.await_for("setMyCommands")
        assert {c["command"] for c in commands["commands"]} >= {
            "ask",
            "topics",
            "sources",
            "help",
            "disclaimer",
            "start",
        }
        for text in (
            "/sources",
            "/disclaimer",
            "/help",
            "/ask",
            "/ask what is esketamine",
            "/nonsense",
        ):
            fake_api.private_text(text, user_id=USER)
        sent = await fake_api.await_for("sendMessage", count=6, predicate=_to(USER))
        sources, disclaimer, help_text, usage, answer, unknown = (s["text"] for s in sent)
        assert sources.count('<a href="https://') == 3
        assert "not medical advice" in disclaimer.lower()
        assert "/topics" in help_text
        assert usage.startswith("Put your question after the command")
        assert answer.startswith("<b>What is esketamine")
        assert unknown.startswith("I don't know that command")

    run_with_bot(fake_api, bot_settings(fake_api, tmp_path, knowledge=FIXTURE_KNOWLEDGE), scenario)


def test_a_long_listing_is_split_into_valid_messages(fixture_engine: Engine) -> None:
    """/sources with many sources: several messages, each valid HTML within Telegram's limit."""
    from dataclasses import replace

    from bot.conversation import Conversation
    from bot.knowledge import Source
    from bot.telegram.replies import html_messages

    turn = Conversation(fixture_engine).command("/sources")
    many = tuple(
        Source(f"s{n}", f"Study number {n} & co <et al>", f"https://doi.org/10.1/{n}", 2020)
        for n in range(120)
    )
    messages = html_messages(replace(turn, reply=replace(turn.reply, sources=many)))
    assert len(messages) > 1
    for message in messages:
        check_telegram_html(message)
    assert sum(message.count("<a href=") for message in messages) == 120
