"""Chats are served side by side, and each chat's questions are answered in the order asked."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from telegram.ext import Application

from tests.botharness import bot_settings, run_with_bot, until
from tests.conftest import FIXTURE_KNOWLEDGE
from tests.fakebotapi import FakeBotAPI

SLOW_USER, OTHER_USER = 3001, 3002


def test_a_slow_reply_holds_up_only_its_own_chat(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    async def scenario(app: Application) -> None:
        await fake_api.await_for("getUpdates", include_failed=True)
        fake_api.inject("sendMessage", "slow", delay=1.5)  # Telegram answers this one slowly
        fake_api.private_text("what is ketamine", user_id=SLOW_USER)
        fake_api.private_text("what is esketamine", user_id=SLOW_USER)
        # The slow fault fires on whichever sendMessage comes first: the other chat writes only
        # once the slow chat's first reply is the one held up.
        assert await until(lambda: fake_api.faults_injected, timeout=10)
        assert fake_api.request_log("sendMessage")[0]["params"]["chat_id"] == SLOW_USER
        started = time.monotonic()
        fake_api.private_text("spravato?", user_id=OTHER_USER)
        await fake_api.await_for("sendMessage", predicate=lambda p: p["chat_id"] == OTHER_USER)
        assert time.monotonic() - started < 1.2, "the other chat waited for the slow reply"
        first, second = await fake_api.await_for(
            "sendMessage", count=2, predicate=lambda p: p["chat_id"] == SLOW_USER
        )
        assert first["text"].startswith("<b>What is ketamine?</b>")
        assert second["text"].startswith("<b>What is esketamine")
        log = [
            e for e in fake_api.request_log("sendMessage") if e["params"]["chat_id"] == SLOW_USER
        ]
        assert log[1]["time"] >= log[0]["time"] + 1.4, (
            "the chat's second reply did not wait its turn"
        )

    run_with_bot(fake_api, bot_settings(fake_api, tmp_path, knowledge=FIXTURE_KNOWLEDGE), scenario)


def test_a_chat_with_a_queue_does_not_take_every_lane(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    """Updates waiting for their own chat's turn hold no lane: one busy chat whose reply is slow
    (six questions queued behind it) must not hold up a second chat."""

    async def scenario(app: Application) -> None:
        await fake_api.await_for("getUpdates", include_failed=True)
        fake_api.inject("sendMessage", "slow", delay=1.5)
        for _ in range(6):
            fake_api.private_text("what is ketamine", user_id=SLOW_USER)
        # The busy chat's first reply is the slow one.
        assert await until(lambda: fake_api.faults_injected, timeout=10)
        started = time.monotonic()
        fake_api.private_text("spravato?", user_id=OTHER_USER)
        await fake_api.await_for("sendMessage", predicate=lambda p: p["chat_id"] == OTHER_USER)
        assert time.monotonic() - started < 1.2, "the other chat waited behind the busy chat"
        await fake_api.await_for(
            "sendMessage", count=6, predicate=lambda p: p["chat_id"] == SLOW_USER
        )

    run_with_bot(fake_api, bot_settings(fake_api, tmp_path, knowledge=FIXTURE_KNOWLEDGE), scenario)


def test_one_lane_serves_one_chat_at_a_time(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    """CONCURRENT_UPDATES=1: the setting is what lets chats run side by side."""

    async def scenario(app: Application) -> None:
        await fake_api.await_for("getUpdates", include_failed=True)
        fake_api.inject("sendMessage", "slow", delay=1.0)
        fake_api.private_text("what is ketamine", user_id=SLOW_USER)
        await asyncio.sleep(0.2)  # the slow reply is under way
        started = time.monotonic()
        fake_api.private_text("spravato?", user_id=OTHER_USER)
        await fake_api.await_for("sendMessage", predicate=lambda p: p["chat_id"] == OTHER_USER)
        assert time.monotonic() - started >= 0.6, "the other chat did not wait for the one lane"

    settings = bot_settings(fake_api, tmp_path, knowledge=FIXTURE_KNOWLEDGE, CONCURRENT_UPDATES="1")
    run_with_bot(fake_api, settings, scenario)
