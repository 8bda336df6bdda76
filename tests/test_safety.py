"""Screening runs before matching: crisis messages get helplines, advice requests a fixed entry."""

from __future__ import annotations

import re

import pytest

from bot.engine import Engine
from bot.reply import ReplyKind


@pytest.mark.parametrize(
    "message",
    [
        "I want to kill myself",
        "i want to kill my self",
        "I'm suicidal",
        "i want to die",
        "I want to kill myself, can ketamine help?",  # the crisis wins over the FAQ
        "thinking about ending it all",
        "I WANT TO DIE!!!",
    ],
)
def test_crisis_messages_get_helplines_first(fixture_engine: Engine, message: str) -> None:
    reply = fixture_engine.answer(message)
    assert reply.kind is ReplyKind.CRISIS
    assert reply.helplines and "988" in reply.helplines[0].contact
    assert reply.entry_id is None


@pytest.mark.parametrize(
    "message",
    [
        "what did the canuso trial show about suicidal thoughts",
        "does ketamine kill brain cells",
        "what is esketamine",
    ],
)
def test_informational_look_alikes_are_not_crises(fixture_engine: Engine, message: str) -> None:
    assert fixture_engine.answer(message).kind is not ReplyKind.CRISIS


def test_dosing_requests_go_to_the_doctor_entry(fixture_engine: Engine) -> None:
    reply = fixture_engine.answer("how much ketamine should i use for my depression")
    assert reply.kind is ReplyKind.ANSWER and reply.entry_id == "dosing-ask-your-doctor"


def test_advice_rules_need_the_subject(fixture_engine: Engine) -> None:
    # Other drugs' dosing is off-topic, not routed to the ketamine dosing entry.
    reply = fixture_engine.answer("how much ibuprofen should i take")
    assert reply.entry_id != "dosing-ask-your-doctor"
    assert reply.kind is not ReplyKind.ANSWER


@pytest.mark.parametrize(
    "message",
    [
        "I want to kill myself",
        "i wnat to kill myself",
        "my friend says he wants to end his life",
        "i dont want to be alive anymore",
        "thinking about suicide",
        "I have been cutting myself",
        "im going to overdose on purpose",
        "there's no reason to live",
    ],
)
def test_shipped_crisis_screening(shipped_engine: Engine, message: str) -> None:
    assert shipped_engine.answer(message).kind is ReplyKind.CRISIS


@pytest.mark.parametrize(
    "message",
    [
        "does ketamine kill brain cells",
        "can esketamine help with suicidal thoughts",
        "what did canuso find about suicidality",
        "can you overdose on ketamine",
        "does ketamine hurt your bladder",
    ],
)
def test_shipped_look_alikes(shipped_engine: Engine, message: str) -> None:
    assert shipped_engine.answer(message).kind is not ReplyKind.CRISIS


def test_patterns_with_global_flags_still_work(fixture_engine: Engine) -> None:
    from dataclasses import replace

    from bot.safety import Screener

    rules = fixture_engine.knowledge.safety
    verbose = replace(
        rules, crisis=(*rules.crisis, re.compile(r"(?x) no \s+ way \s+ out", re.IGNORECASE))
    )
    screener = Screener(verbose)
    assert screener.screen("I see no way out").crisis
    assert screener.screen("I want to die").crisis
    assert not screener.screen("what is esketamine").crisis


@pytest.mark.parametrize(
    ("message", "entry_id"),
    [
        ("can I get ketamine without a doctor", "buying-ketamine"),
        ("esketamine with no prescription, is that possible", "buying-ketamine"),
        # Someone turned down by doctors looks for a provider: not a buyer.
        ("no doctor will give me ketamine", "ketamine-clinics"),
        # A street price is a buyer's question; what a course of treatment costs is not.
        ("what do people pay for ketamine per gram", "buying-ketamine"),
        ("street price of special k", "buying-ketamine"),
        ("why does a course of spravato cost so much", "treatment-cost"),
        ("is ketamine just a street drug", "party-drug-stigma"),
    ],
)
def test_shipped_buying_rule_spares_people_looking_for_a_provider(
    shipped_engine: Engine, message: str, entry_id: str
) -> None:
    assert shipped_engine.answer(message).entry_id == entry_id


@pytest.mark.parametrize(
    ("message", "entry_id"),
    [
        # "get" here is about the treatment, not about getting hold of the drug.
        ("how do i get ready for my first infusion", "preparing-for-a-session"),
        ("how can i get the most out of spravato", "getting-the-most-from-sessions"),
        ("how can i get ketamine", "buying-ketamine"),
        # Staying on an antidepressant is what the label describes; stopping one is advice.
        (
            "do i keep taking my antidepressant during spravato treatment",
            "still-need-antidepressant",
        ),
        ("should i stop my zoloft before ketamine", "combining-with-medicines"),
    ],
)
def test_shipped_advice_rules_leave_treatment_questions_to_the_faq(
    shipped_engine: Engine, message: str, entry_id: str
) -> None:
    assert shipped_engine.answer(message).entry_id == entry_id
