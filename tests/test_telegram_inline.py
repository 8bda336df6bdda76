"""Inline mode: "@bot question" from any chat."""

from __future__ import annotations

from pathlib import Path

from telegram.ext import Application

from tests.botharness import bot_settings, run_with_bot
from tests.conftest import FIXTURE_KNOWLEDGE
from tests.fakebotapi import FakeBotAPI
from tests.telegram_html import check_telegram_html


def test_inline_answers_topics_and_crisis(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    async def scenario(app: Application) -> None:
        fake_api.inline_query("esketamine")
        [answer] = await fake_api.await_for("answerInlineQuery")
        results = answer["results"]
        assert 1 <= len(results) <= 10
        first = results[0]
        assert first["title"] == "What is esketamine (Spravato)?"
        assert first["description"].startswith("Esketamine is the S-enantiomer")
        content = first["input_message_content"]
        check_telegram_html(content["message_text"])
        assert (
            '<a href="https://' in content["message_text"]
            and "not medical advice" in content["message_text"].lower()
        )

        fake_api.inline_query("")
        topics = (await fake_api.await_for("answerInlineQuery", count=2))[1]["results"]
        assert [r["title"] for r in topics] == ["Basics", "How it works", "Safety"]

        fake_api.inline_query("i want to kill myself")
        crisis = (await fake_api.await_for("answerInlineQuery", count=3))[2]["results"]
        assert "988" in crisis[0]["input_message_content"]["message_text"]

        fake_api.inline_query("bitcoin price")
        nothing = (await fake_api.await_for("answerInlineQuery", count=4))[3]["results"]
        assert nothing == []

    run_with_bot(fake_api, bot_settings(fake_api, tmp_path, knowledge=FIXTURE_KNOWLEDGE), scenario)
