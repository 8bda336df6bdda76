"""Feedback buttons under private answers: counted per entry, once per message, no user id."""

from __future__ import annotations

from pathlib import Path

from telegram.ext import Application

from bot.store import Store
from tests.botharness import bot_settings, run_with_bot, state_of
from tests.conftest import FIXTURE_KNOWLEDGE
from tests.fakebotapi import FakeBotAPI


def test_a_vote_counts_once_even_when_pressed_twice(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    async def scenario(app: Application) -> None:
        fake_api.private_text("what is esketamine")
        await fake_api.await_for("sendMessage")
        answer = fake_api.sent_messages(1001)[-1]
        # Two quick presses arrive before the buttons disappear; then a third, replayed.
        fake_api.callback_query("v:what-is-esketamine:1", answer)
        fake_api.callback_query("v:what-is-esketamine:1", answer)
        fake_api.callback_query("v:what-is-esketamine:0", answer)
        answered = await fake_api.await_for("answerCallbackQuery", count=3)
        assert all(a.get("text") == "Thanks for the feedback!" for a in answered)
        await fake_api.await_for("editMessageReplyMarkup")
        # The vote buttons are gone from the message; the related-question buttons stay.
        current = fake_api.bot_message(1001, answer["message_id"])
        assert current is not None
        assert "v:" not in str(current.get("reply_markup"))
        counts = state_of(app).store.entry_counts()["what-is-esketamine"]  # type: ignore[union-attr]
        assert (counts.answered, counts.helpful, counts.not_helpful) == (1, 1, 0)
        # Another answer message can be voted on separately.
        fake_api.private_text("what is ketamine")
        await fake_api.await_for("sendMessage", count=2)
        second = fake_api.sent_messages(1001)[-1]
        fake_api.callback_query("v:what-is-ketamine:0", second)
        await fake_api.await_for("answerCallbackQuery", count=4)
        counts = state_of(app).store.entry_counts()["what-is-ketamine"]  # type: ignore[union-attr]
        assert counts.not_helpful == 1

    run_with_bot(fake_api, bot_settings(fake_api, tmp_path, knowledge=FIXTURE_KNOWLEDGE), scenario)
    store = Store.in_dir(tmp_path)
    assert store.entry_counts()["what-is-esketamine"].helpful == 1
    store.close()


def test_with_the_question_log_off_a_vote_is_thanked_and_its_buttons_go(
    fake_api: FakeBotAPI, tmp_path: Path
) -> None:
    async def scenario(app: Application) -> None:
        fake_api.private_text("what is esketamine")
        await fake_api.await_for("sendMessage")
        answer = fake_api.sent_messages(1001)[-1]
        fake_api.callback_query("v:what-is-esketamine:1", answer)
        [thanked] = await fake_api.await_for("answerCallbackQuery")
        assert thanked.get("text") == "Thanks for the feedback!"
        await fake_api.await_for("editMessageReplyMarkup")
        current = fake_api.bot_message(1001, answer["message_id"])
        assert current is not None and "v:" not in str(current.get("reply_markup"))

    settings = bot_settings(fake_api, tmp_path, knowledge=FIXTURE_KNOWLEDGE, QUESTION_LOG="off")
    run_with_bot(fake_api, settings, scenario)
    assert not (tmp_path / "bot.sqlite3").exists()  # nothing kept


def test_stats_command_line_shows_counts_and_eval(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    async def scenario(app: Application) -> None:
        fake_api.private_text("spravato?")
        await fake_api.await_for("sendMessage")
        fake_api.callback_query("v:what-is-esketamine:1", fake_api.sent_messages(1001)[-1])
        await fake_api.await_for("answerCallbackQuery")

    run_with_bot(fake_api, bot_settings(fake_api, tmp_path, knowledge=FIXTURE_KNOWLEDGE), scenario)
    env = {**os.environ, "DATA_DIR": str(tmp_path), "KNOWLEDGE_DIR": str(FIXTURE_KNOWLEDGE)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "stats"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith("what-is-esketamine"))
    assert row.split()[1:] == ["1", "1", "0"]
    assert "eval: 5 cases, accuracy" in result.stdout
