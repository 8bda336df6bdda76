"""Support replies (loneliness, stress, grief) and the entries next to the core topic.

A person who writes "I feel lonely" should get a short, kind reply that points to people and
helplines, not a ketamine fact; a message that also speaks of suicide must still get the crisis
reply first. Questions about other psychedelics and about the actor's death must not be answered
with a ketamine-treatment entry, and must not give a dose or a source.
"""

from __future__ import annotations

import pytest

from bot.engine import Engine
from bot.reply import ReplyKind

HELPLINES = ("988", "116 123", "findahelpline.com")


@pytest.mark.parametrize(
    ("message", "entry_id"),
    [
        ("i feel lonely all the time", "feeling-lonely"),
        ("so stressed i can barely think", "feeling-stressed"),
        ("my uncle died", "grief-and-loss"),
        ("my uncle died on sunday", "grief-and-loss"),
        ("my granny passed away", "grief-and-loss"),
    ],
)
def test_support_messages_get_a_support_reply_with_helplines(
    shipped_engine: Engine, message: str, entry_id: str
) -> None:
    reply = shipped_engine.answer(message)
    # answered, or offered first ("did you mean"): either way one tap from the support text
    offered = (
        [reply.entry_id]
        if reply.kind is ReplyKind.ANSWER
        else [s.entry_id for s in reply.suggestions[:1]]
    )
    assert offered == [entry_id], (reply.kind, reply.entry_id, reply.suggestions)
    text = shipped_engine.knowledge.entry_by_id[entry_id].answer
    for helpline in HELPLINES:
        assert helpline in text
    # a support reply, not a ketamine answer: the drug is named only where the bot says what it is
    assert "ketamine" not in text.lower().split("bot about ketamine")[0]


@pytest.mark.parametrize(
    "message",
    [
        "i feel so lonely i want to kill myself",
        "my brother died and i want to die too",
        "the stress is too much, i am going to end my life",
    ],
)
def test_support_words_never_hide_a_crisis(shipped_engine: Engine, message: str) -> None:
    assert shipped_engine.answer(message).kind is ReplyKind.CRISIS


def test_psilocybin_question_gets_the_psychedelics_entry(shipped_engine: Engine) -> None:
    reply = shipped_engine.answer("is psilocybin legal in the us")
    assert reply.entry_id == "psilocybin-and-psychedelics"
    assert "Schedule I" in reply.body
    assert "mg" not in reply.body.replace("25 mg", "")  # the only dose named is a trial's


def test_matthew_perry_answer_separates_supervised_treatment(shipped_engine: Engine) -> None:
    reply = shipped_engine.answer("how did matthew perry die")
    assert reply.entry_id == "matthew-perry"
    assert "does not show that supervised treatment caused his death" in reply.body
    for detail in ("hot tub", "pool", "drown", "inject", "shot"):
        assert detail not in reply.body.lower()
