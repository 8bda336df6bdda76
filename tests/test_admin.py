"""Admin commands: only for ADMIN_USER_IDS in a private chat; others see an unknown command."""

from __future__ import annotations

from pathlib import Path

from telegram.ext import Application

from tests.botharness import ADMIN_ID, bot_settings, run_with_bot
from tests.conftest import FIXTURE_KNOWLEDGE
from tests.fakebotapi import FakeBotAPI

STRANGER = 5555


def test_admin_stats_and_strangers_see_unknown_command(
    fake_api: FakeBotAPI, tmp_path: Path
) -> None:
    async def scenario(app: Application) -> None:
        fake_api.private_text("/nonsense", user_id=STRANGER)
        [unknown] = await fake_api.await_for(
            "sendMessage", predicate=lambda p: p["chat_id"] == STRANGER
        )
        for command in ("/stats", "/reload", "/unanswered"):
            fake_api.private_text(command, user_id=STRANGER)
        stranger = await fake_api.await_for(
            "sendMessage", count=4, predicate=lambda p: p["chat_id"] == STRANGER
        )
        assert [s["text"] for s in stranger[1:]] == [unknown["text"]] * 3  # no hint that they exist

        fake_api.private_text("what is ketamine", user_id=ADMIN_ID)
        fake_api.private_text("/stats", user_id=ADMIN_ID)
        admin = await fake_api.await_for(
            "sendMessage", count=2, predicate=lambda p: p["chat_id"] == ADMIN_ID
        )
        stats = admin[1]["text"]
        assert stats.startswith("<pre>") and "what-is-ketamine" in stats and "eval:" in stats
        row = next(
            line
            for line in stats.splitlines()
            if line.lstrip("<pre>").startswith("what-is-ketamine")
        )
        assert row.split()[1] == "1"

        fake_api.private_text("bitcoin price", user_id=STRANGER)
        # Different chats are handled concurrently: let the stranger's question be logged first.
        await fake_api.await_for(
            "sendMessage", count=5, predicate=lambda p: p["chat_id"] == STRANGER
        )
        fake_api.private_text("/unanswered", user_id=ADMIN_ID)
        fake_api.private_text("/reload", user_id=ADMIN_ID)
        admin = await fake_api.await_for(
            "sendMessage", count=4, predicate=lambda p: p["chat_id"] == ADMIN_ID
        )
        assert "bitcoin price" in admin[2]["text"]
        assert admin[3]["text"] == "Knowledge reloaded: 4 entries."

        # In a group even an admin's /stats is not answered: reports stay private.
        fake_api.group_text("/stats", user_id=ADMIN_ID)
        fake_api.group_text("/ask@KetamineFaqBot spravato")
        await fake_api.await_for("sendMessage", predicate=lambda p: p["chat_id"] == -100500)
        assert len(fake_api.sent_messages(-100500)) == 1

    run_with_bot(fake_api, bot_settings(fake_api, tmp_path, knowledge=FIXTURE_KNOWLEDGE), scenario)
