"""Floods: one user sends 200 messages in 10 seconds. That user gets a single "slow down" notice
(and at most USER_MESSAGES_PER_MINUTE answers); everyone else keeps getting answers, and their
reply latency during the flood is measured and printed (`pytest -s tests/test_flood.py`).

The real bot with its production settings (FloodGate at the default 20 messages a minute per
user, AIORateLimiter) against the fake Bot API.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path

from telegram.ext import Application

from bot.telegram.texts import SLOW_DOWN
from tests.botharness import bot_settings, run_with_bot, running_bot, state_of
from tests.conftest import FIXTURE_KNOWLEDGE, REPO_KNOWLEDGE_DIR
from tests.fakebotapi import FakeBotAPI

FLOODER = 5001
OTHER = 5002
FLOOD_MESSAGES = 200
FLOOD_SECONDS = 10.0
OTHER_INTERVAL = 0.5  # the other user asks every half second during the flood...
OTHER_QUESTIONS = 19  # ...19 times: under their own 20-a-minute limit
MAX_LATENCY = 2.0  # generous: the fake answers in milliseconds
FLOOD_TEXTS = ("what is ketamine", "is it addictive?", "spravato", "??", "hello", "ketamine!!!")
OTHER_TEXTS = ("what is esketamine", "how does ketamine work in the brain", "spravato?")


def _sent_to(api: FakeBotAPI, chat_id: int) -> list[dict]:
    """sendMessage requests that took effect for `chat_id`, with the fake's arrival time."""
    return [
        {**entry["params"], "time": entry["time"]}
        for entry in api.request_log("sendMessage")
        if entry["status"] == 200 and entry["params"].get("chat_id") == chat_id
    ]


def _report(label: str, latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    line = (
        f"{label}: {len(ordered)} replies, latency p50 {p50 * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms"
    )
    print(f"\n{line}")
    return line


def _check_flooder(api: FakeBotAPI, limit: int) -> None:
    texts = [sent["text"] for sent in _sent_to(api, FLOODER)]
    notices = [i for i, text in enumerate(texts) if text == SLOW_DOWN]
    assert len(notices) == 1, f"{len(notices)} slow-down notices"
    answers = [text for text in texts if text != SLOW_DOWN]
    # All 200 arrive within one minute: exactly the first `limit` are answered, then one notice.
    assert len(answers) == min(limit, FLOOD_MESSAGES)
    assert notices == [len(answers)], "the notice must come after the allowed answers"


def test_one_user_flooding_200_messages_in_10_seconds_gets_one_slow_down_and_others_stay_answered(
    fake_api: FakeBotAPI, tmp_path: Path
) -> None:
    asked: list[float] = []  # when the other user asked (wall clock, like the fake's log)
    limit = 0

    async def flood() -> None:
        start = time.monotonic()
        for i in range(FLOOD_MESSAGES):
            # Evenly spread over FLOOD_SECONDS, on an absolute schedule (no drift).
            await asyncio.sleep(
                max(0.0, start + i * FLOOD_SECONDS / FLOOD_MESSAGES - time.monotonic())
            )
            fake_api.private_text(FLOOD_TEXTS[i % len(FLOOD_TEXTS)], user_id=FLOODER)

    async def other() -> None:
        start = time.monotonic()
        for i in range(OTHER_QUESTIONS):
            await asyncio.sleep(max(0.0, start + (i + 0.5) * OTHER_INTERVAL - time.monotonic()))
            asked.append(time.time())
            fake_api.private_text(OTHER_TEXTS[i % len(OTHER_TEXTS)], user_id=OTHER)

    async def scenario(app: Application) -> None:
        nonlocal limit
        limit = state_of(app).settings.user_messages_per_minute
        await fake_api.await_for("getUpdates", include_failed=True)
        await asyncio.gather(flood(), other())
        await fake_api.await_for(
            "sendMessage", count=OTHER_QUESTIONS, predicate=lambda p: p["chat_id"] == OTHER
        )
        await fake_api.await_for(
            "sendMessage", count=limit + 1, predicate=lambda p: p["chat_id"] == FLOODER
        )
        await asyncio.sleep(0.5)  # anything extra would show up by now

    async def main() -> None:
        async with running_bot(
            bot_settings(fake_api, tmp_path, knowledge=FIXTURE_KNOWLEDGE)
        ) as app:
            await scenario(app)

    started = time.monotonic()
    asyncio.run(main())
    assert limit == 20  # the production default, not a test override

    _check_flooder(fake_api, limit)
    replies = _sent_to(fake_api, OTHER)
    assert len(replies) == OTHER_QUESTIONS, "every question of the other user is answered once"
    assert all(reply["text"] != SLOW_DOWN for reply in replies)
    latencies = [reply["time"] - sent for reply, sent in zip(replies, asked, strict=True)]
    _report(f"other user during a {FLOOD_MESSAGES}-message flood", latencies)
    assert max(latencies) < MAX_LATENCY
    assert not fake_api.errors
    assert time.monotonic() - started < 20


def test_burst_of_200_messages_at_once_gets_one_slow_down_and_the_next_user_is_answered_fast(
    fake_api: FakeBotAPI, tmp_path: Path
) -> None:
    """All 200 queued at once, the other user's question right behind them: how long it waits."""
    asked = 0.0

    async def scenario(app: Application) -> None:
        nonlocal asked
        await fake_api.await_for("getUpdates", include_failed=True)
        for i in range(FLOOD_MESSAGES):
            fake_api.private_text(FLOOD_TEXTS[i % len(FLOOD_TEXTS)], user_id=FLOODER)
        asked = time.time()
        fake_api.private_text(OTHER_TEXTS[0], user_id=OTHER)
        await fake_api.await_for("sendMessage", predicate=lambda p: p["chat_id"] == OTHER)
        limit = state_of(app).settings.user_messages_per_minute
        await fake_api.await_for(
            "sendMessage", count=limit + 1, predicate=lambda p: p["chat_id"] == FLOODER
        )
        await asyncio.sleep(0.5)
        _check_flooder(fake_api, limit)

    async def main() -> None:
        async with running_bot(
            bot_settings(fake_api, tmp_path, knowledge=FIXTURE_KNOWLEDGE)
        ) as app:
            await scenario(app)

    asyncio.run(main())
    [reply] = _sent_to(fake_api, OTHER)
    latency = reply["time"] - asked
    _report(f"other user queued behind a burst of {FLOOD_MESSAGES}", [latency])
    assert latency < MAX_LATENCY
    assert not fake_api.errors


def test_crisis_message_from_a_flooding_user_is_never_held_back(
    fake_api: FakeBotAPI, tmp_path: Path
) -> None:
    """Past the per-user limit everything is dropped, except a message about suicide or self-harm."""
    flooder = 6001

    async def scenario(app: Application) -> None:
        for _ in range(25):
            fake_api.private_text("what is ketamine", user_id=flooder)
        fake_api.private_text("i dont want to live anymore", user_id=flooder)
        sent = await fake_api.await_for(
            "sendMessage",
            predicate=lambda p: p["chat_id"] == flooder and "988" in p["text"],
            timeout=20,
        )
        assert len(sent) == 1
        texts = [m["text"] for m in fake_api.sent_messages(flooder)]
        assert texts.count(SLOW_DOWN) == 1

    settings = bot_settings(fake_api, tmp_path, knowledge=REPO_KNOWLEDGE_DIR)
    run_with_bot(fake_api, settings, scenario)
