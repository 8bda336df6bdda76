"""Groups: chatter is ignored; /ask, a mention or a reply to the bot is answered, threaded."""

from __future__ import annotations

from pathlib import Path

from telegram.ext import Application

from tests.botharness import bot_settings, run_with_bot
from tests.conftest import FIXTURE_KNOWLEDGE
from tests.fakebotapi import FakeBotAPI

GROUP = -100500


def _in_group(params: dict) -> bool:
    return params["chat_id"] == GROUP


def test_chatter_is_ignored_and_addressed_questions_answered(
    fake_api: FakeBotAPI, tmp_path: Path
) -> None:
    async def scenario(app: Application) -> None:
        fake_api.group_text("what is esketamine")  # chatter, even on topic: not for the bot
        fake_api.group_text("anyone tried spravato?")
        asked = fake_api.group_text("/ask@KetamineFaqBot what is esketamine")
        [first] = await fake_api.await_for("sendMessage", predicate=_in_group)
        assert first["text"].startswith("<b>What is esketamine (Spravato)?</b>")
        assert first["reply_parameters"]["message_id"] == asked["message"]["message_id"]
        mention = fake_api.group_text("@KetamineFaqBot how does ketamine work in the brain")
        second = (await fake_api.await_for("sendMessage", count=2, predicate=_in_group))[1]
        assert second["text"].startswith("<b>How does ketamine work in the brain?</b>")
        assert second["reply_parameters"]["message_id"] == mention["message"]["message_id"]
        bot_message = fake_api.sent_messages(GROUP)[-1]
        fake_api.group_text("and what is ketamine itself?", reply_to_message=bot_message)
        third = (await fake_api.await_for("sendMessage", count=3, predicate=_in_group))[2]
        assert third["text"].startswith("<b>What is ketamine?</b>")
        fake_api.group_text("/ask what is ketamine")
        await fake_api.await_for("sendMessage", count=4, predicate=_in_group)
        # No feedback buttons in groups (votes there would be noise); no answer to chatter.
        assert all("v:" not in str(m.get("reply_markup")) for m in fake_api.sent_messages(GROUP))
        assert len(fake_api.sent_messages(GROUP)) == 4

    run_with_bot(fake_api, bot_settings(fake_api, tmp_path, knowledge=FIXTURE_KNOWLEDGE), scenario)


def test_other_bots_commands_are_not_ours(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    async def scenario(app: Application) -> None:
        fake_api.group_text("/ask@SomeOtherBot what is ketamine")
        fake_api.group_text("/help@SomeOtherBot")
        fake_api.group_text("/ask@KetamineFaqBot spravato")
        sent = await fake_api.await_for("sendMessage", predicate=_in_group)
        assert len(sent) == 1 and "Spravato" in sent[0]["text"]

    run_with_bot(fake_api, bot_settings(fake_api, tmp_path, knowledge=FIXTURE_KNOWLEDGE), scenario)


def test_group_flood_control(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    async def scenario(app: Application) -> None:
        for _ in range(6):
            fake_api.group_text("/ask what is ketamine")
        # 3 answers, one "slow down" note, then silence.
        sent = await fake_api.await_for("sendMessage", count=4, predicate=_in_group)
        fake_api.group_text("chatter that marks the end")
        fake_api.private_text("spravato?", user_id=1001)
        await fake_api.await_for("sendMessage", predicate=lambda p: p["chat_id"] == 1001)
        sent = fake_api.sent_messages(GROUP)
        assert len(sent) == 4
        assert sum("slow" in m["text"].lower() or "pause" in m["text"].lower() for m in sent) == 1

    settings = bot_settings(
        fake_api, tmp_path, knowledge=FIXTURE_KNOWLEDGE, GROUP_ANSWERS_PER_MINUTE="3"
    )
    run_with_bot(fake_api, settings, scenario)


def test_group_flood_control_never_holds_back_crisis_help(
    fake_api: FakeBotAPI, tmp_path: Path
) -> None:
    async def scenario(app: Application) -> None:
        for _ in range(3):
            fake_api.group_text("/ask what is ketamine")
        await fake_api.await_for("sendMessage", count=3, predicate=_in_group)  # 2 answers + note
        fake_api.group_text("/ask@KetamineFaqBot i want to kill myself")
        [crisis] = await fake_api.await_for(
            "sendMessage", predicate=lambda p: _in_group(p) and "988" in p["text"]
        )
        assert crisis["reply_parameters"]["message_id"]

    settings = bot_settings(
        fake_api, tmp_path, knowledge=FIXTURE_KNOWLEDGE, GROUP_ANSWERS_PER_MINUTE="2"
    )
    run_with_bot(fake_api, settings, scenario)
