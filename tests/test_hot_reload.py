"""Hot reload: an edited FAQ serves without a restart; a broken edit is refused and reported."""

from __future__ import annotations

import asyncio
from pathlib import Path

from telegram.ext import Application

from tests.botharness import ADMIN_ID, bot_settings, run_with_bot
from tests.fakebotapi import FakeBotAPI

USER = 1001
NEW_PHRASING = "which company makes the antidepressant nasal spray"


def test_edit_reloads_and_broken_edit_keeps_serving(
    fake_api: FakeBotAPI, knowledge_copy: Path, tmp_path: Path
) -> None:
    faq = knowledge_copy / "faq" / "basics.yaml"

    async def ask(question: str, count: int) -> dict:
        fake_api.private_text(question, user_id=USER)
        sent = await fake_api.await_for(
            "sendMessage", count=count, predicate=lambda p: p["chat_id"] == USER
        )
        return sent[-1]

    async def scenario(app: Application) -> None:
        before = await ask(NEW_PHRASING, 1)
        assert not before["text"].startswith("<b>What is esketamine")
        # A maintainer adds the phrasing as a variant and saves.
        faq.write_text(
            faq.read_text().replace(
                "      - spravato\n", f"      - spravato\n      - {NEW_PHRASING}\n"
            )
        )
        for attempt in range(40):
            await asyncio.sleep(0.25)
            reply = await ask(NEW_PHRASING, 2 + attempt)
            if reply["text"].startswith("<b>What is esketamine"):
                break
        else:
            raise AssertionError("the new variant was never picked up")
        answered = len(fake_api.sent_messages(USER))

        # Then a broken save: YAML syntax error on a known line.
        broken = faq.read_text().replace("    topic: How it works", "    topic: [How it works")
        faq.write_text(broken)
        bad_line = next(
            n for n, line in enumerate(broken.splitlines(), 1) if "[How it works" in line
        )
        [report] = await fake_api.await_for(
            "sendMessage", predicate=lambda p: p["chat_id"] == ADMIN_ID, timeout=15
        )
        assert (
            "rejected" in report["text"] and "still serving the previous version" in report["text"]
        )
        assert "basics.yaml:" in report["text"]
        assert any(f"basics.yaml:{n}:" in report["text"] for n in (bad_line, bad_line + 1))
        # The bot answers exactly as before the broken edit.
        again = await ask(NEW_PHRASING, answered + 1)
        assert again["text"].startswith("<b>What is esketamine")

    settings = bot_settings(fake_api, tmp_path / "data", knowledge=knowledge_copy)
    run_with_bot(fake_api, settings, scenario)
