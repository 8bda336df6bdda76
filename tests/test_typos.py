"""Typos in the words that matter still find the entry; they never make up an answer."""

from __future__ import annotations

import pytest

from bot.engine import Engine
from bot.matching import typo_edits
from bot.reply import ReplyKind


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("is ketamine adictive", "addiction-and-misuse"),  # a letter dropped, then a synonym
        ("can esketamine become addictuve", "addiction-and-misuse"),  # a letter changed
        ("esketamin side efects", "side-effects"),
        ("spravto", "what-is-esketamine"),
        ("my psyciatrist mentioned esketamine, how quickly would it help", "how-fast-does-it-work"),
        ("when was ketamine first snythesized", "ketamine-history"),  # two letters swapped
    ],
)
def test_a_misspelt_key_word_still_gets_its_answer(
    shipped_engine: Engine, question: str, expected: str
) -> None:
    reply = shipped_engine.answer(question)
    # Found: answered, or first among "did you mean" when a neighbouring entry is close (a slip
    # costs a little score, so a near-tie is asked back); never answered with another entry.
    found = reply.entry_id if reply.kind is ReplyKind.ANSWER else None
    if found is None and reply.kind is ReplyKind.SUGGEST:
        found = reply.suggestions[0].entry_id
    assert found == expected, (question, reply.kind, reply.score)


@pytest.mark.parametrize(
    "question",
    [
        "my wifi keeps disconneting",  # one slip from a word the FAQ knows, still off-topic
        "how do i bake bred",
        "waht is the wether",
    ],
)
def test_typos_do_not_turn_off_topic_text_into_answers(
    shipped_engine: Engine, question: str
) -> None:
    reply = shipped_engine.answer(question)
    assert reply.kind is not ReplyKind.ANSWER, (question, reply.entry_id)


def test_longer_words_may_carry_more_slips() -> None:
    # Short words carry none: "dose" and "nose" are one letter apart and mean different things.
    assert typo_edits("dose") == 0
    assert typo_edits("efect") == typo_edits("spravto") == 1
    assert typo_edits("esketamin") == 2


@pytest.mark.parametrize(
    "question",
    ["where do your sourxes come from", "which soures do you use"],
)
def test_a_slip_near_a_stopword_and_a_faq_word_keeps_the_faq_word(
    shipped_engine: Engine, question: str
) -> None:
    # "soures" is one letter from "your" and from "sources": dropping it as filler left "use".
    reply = shipped_engine.answer(question)
    assert (reply.kind, reply.entry_id) == (ReplyKind.ANSWER, "list-of-sources")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # A misspelt drug name must not let a request for advice slip past its rule.
        ("can i take ketamne while on lexapro", "combining-with-medicines"),
        ("where can i buy ketamien", "buying-ketamine"),
        ("what dose of esketamin should i take", "dosing-is-for-your-doctor"),
    ],
)
def test_a_misspelt_drug_name_still_meets_the_advice_rules(
    shipped_engine: Engine, question: str, expected: str
) -> None:
    reply = shipped_engine.answer(question)
    assert (reply.kind, reply.entry_id) == (ReplyKind.ANSWER, expected)
