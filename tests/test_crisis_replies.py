"""What a person at risk (or worried about someone) sees: the crisis reply with helplines first,
the helpers' version, the one-line note above a normal reply when the wording may tell of risk,
the JSON `risk` field; and that neither tier is ever stored or held back by flood control."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from telegram.ext import Application

from bot import render
from bot.cli import main as cli_main
from bot.engine import Engine
from bot.reply import ReplyKind
from bot.risk import Risk
from bot.store import Store
from bot.telegram.inline import inline_results
from bot.telegram.texts import SLOW_DOWN
from tests.botharness import bot_settings, run_with_bot
from tests.fakebotapi import FakeBotAPI

OWN_CRISIS = "I've been saving up my sleeping pills and tonight I'm going to take them all"
SOMEONE_ELSE = "my best friend keeps telling me she wants to die, what should I say to her"
POSSIBLE = "I'm so tired of living like this. How fast does ketamine work?"
RESEARCH = "does esketamine reduce suicidal thoughts"


def test_own_crisis_gets_helplines_before_anything_else(shipped_engine: Engine) -> None:
    reply = shipped_engine.answer(OWN_CRISIS)
    assert reply.kind is ReplyKind.CRISIS and reply.risk is Risk.CRISIS
    assert not reply.about_other and reply.entry_id is None and not reply.sources
    text = render.text(reply)
    first_block, helplines = text.split("\n\n")[:2]
    assert first_block == shipped_engine.knowledge.messages.crisis_text
    assert helplines.startswith("• 988 Suicide & Crisis Lifeline")
    assert "116 123" in helplines and "findahelpline.com" in helplines
    html = render.html(reply)
    assert html.index("<b>988 Suicide") < html.index("findahelpline")


def test_someone_worried_about_a_friend_gets_the_helpers_version(shipped_engine: Engine) -> None:
    reply = shipped_engine.answer(SOMEONE_ELSE)
    messages = shipped_engine.knowledge.messages
    assert reply.kind is ReplyKind.CRISIS and reply.risk is Risk.CRISIS and reply.about_other
    text = render.text(reply)
    # A short opening, then the numbers, then what to say and how to stay with them.
    assert text.startswith(messages.crisis_helper)
    assert text.index("988") < text.index("Are you thinking about suicide?")
    assert "Stay with them" in text and text.endswith("Check in again in the days after.")
    assert "I'm really sorry you're going through this" not in text


def test_the_writers_own_risk_wins_over_someone_elses(shipped_engine: Engine) -> None:
    reply = shipped_engine.answer("my sister is suicidal and honestly I want to die too")
    assert reply.kind is ReplyKind.CRISIS and not reply.about_other


def test_possible_risk_puts_one_helpline_line_above_the_normal_reply(
    shipped_engine: Engine,
) -> None:
    reply = shipped_engine.answer(POSSIBLE)
    line = shipped_engine.knowledge.messages.possible_line
    assert reply.risk is Risk.POSSIBLE and reply.kind is not ReplyKind.CRISIS
    assert "988" in line and "116 123" in line
    text = render.text(reply)
    assert text.startswith(line + "\n\n")
    assert "How fast does ketamine work" in text  # the question is still answered
    html = render.html(reply)
    assert html.startswith("<b>If you are struggling right now")
    assert html.count("988") == 1


def test_lethal_dose_questions_are_at_least_possible(shipped_engine: Engine) -> None:
    reply = shipped_engine.answer("what dose of ketamine would be lethal")
    assert reply.risk is not Risk.NONE
    assert render.text(reply).startswith(shipped_engine.knowledge.messages.possible_line)


def test_a_research_question_carries_no_note(shipped_engine: Engine) -> None:
    reply = shipped_engine.answer(RESEARCH)
    assert reply.risk is Risk.NONE and reply.kind is not ReplyKind.CRISIS
    assert not render.text(reply).startswith("If you are struggling")


@pytest.mark.parametrize(
    ("question", "risk", "kind"),
    [
        (OWN_CRISIS, "crisis", "crisis"),
        (SOMEONE_ELSE, "crisis", "crisis"),
        (POSSIBLE, "possible", None),
        (RESEARCH, "none", None),
    ],
)
def test_ask_json_gives_the_risk(
    question: str, risk: str, kind: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["ask", "--json", question]) == 0
    reply = json.loads(capsys.readouterr().out)
    assert reply["risk"] == risk
    assert (reply["kind"] == "crisis") == (risk == "crisis")
    if kind is not None:
        assert reply["kind"] == kind


def test_inline_mode_shows_the_same_tiers(shipped_engine: Engine) -> None:
    [crisis] = inline_results(shipped_engine, OWN_CRISIS)
    assert "988" in crisis.input_message_content.message_text  # type: ignore[union-attr]
    results = inline_results(shipped_engine, POSSIBLE)
    assert results[0].id == "possible"
    for result in results:
        text = result.input_message_content.message_text  # type: ignore[union-attr]
        assert text.startswith("<b>If you are struggling right now")


def _texts_to(api: FakeBotAPI, chat_id: int) -> list[str]:
    return [
        entry["params"]["text"]
        for entry in api.request_log("sendMessage")
        if entry["status"] == 200 and entry["params"].get("chat_id") == chat_id
    ]


def test_flood_control_never_holds_back_either_tier_and_nothing_is_stored(
    fake_api: FakeBotAPI, tmp_path: Path
) -> None:
    user = 7001
    group = -100777

    async def scenario(app: Application) -> None:
        for _ in range(3):  # over the limit of 2 a minute: one note, then silence
            fake_api.private_text("what is ketamine", user_id=user)
        await fake_api.await_for("sendMessage", count=3)
        fake_api.private_text("the weather in paris", user_id=user)  # dropped silently
        fake_api.private_text(OWN_CRISIS, user_id=user)
        fake_api.private_text(POSSIBLE, user_id=user)
        for _ in range(3):
            fake_api.group_text("/ask what is ketamine", chat_id=group)
        fake_api.group_text("/ask " + POSSIBLE, chat_id=group)
        fake_api.group_text("/ask " + SOMEONE_ELSE, chat_id=group)
        await fake_api.await_for("sendMessage", count=3 + 2 + 3 + 2)

    data_dir = tmp_path / "data"
    settings = bot_settings(
        fake_api, data_dir, USER_MESSAGES_PER_MINUTE="2", GROUP_ANSWERS_PER_MINUTE="2"
    )
    run_with_bot(fake_api, settings, scenario)

    private = _texts_to(fake_api, user)
    assert private.count(SLOW_DOWN) == 1
    assert any("988 Suicide" in text for text in private[3:])
    assert any(text.startswith("<b>If you are struggling") for text in private[3:])
    assert not any("paris" in text.lower() for text in private)
    in_group = _texts_to(fake_api, group)
    assert any(text.startswith("<b>If you are struggling") for text in in_group)
    assert any("Are you thinking about suicide?" in text for text in in_group)

    store = Store.in_dir(data_dir)
    try:
        kept = [row.question for row in store.unanswered()]
        assert not any("tired of living" in q or "wants to die" in q for q in kept)
        assert not any("sleeping pills" in q for q in kept)
    finally:
        store.close()
