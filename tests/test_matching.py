"""The matcher: typos, word order, short lookups, and honest "I don't know" for off-topic text."""

from __future__ import annotations

import pytest

from bot.engine import Engine
from bot.reply import ReplyKind


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What is esketamine?", "what-is-esketamine"),
        ("what is esketmine", "what-is-esketamine"),  # typo
        ("waht is ketamin", "what-is-ketamine"),  # two typos
        ("spravato?", "what-is-esketamine"),  # short lookup
        ("NMDA", "nmda-mechanism"),
        ("nmda glutamate", "nmda-mechanism"),
        ("brain ketamine work how does", "nmda-mechanism"),  # word order
        ("the nasal spray, what is it", "what-is-esketamine"),
        ("es-ketamine", "what-is-esketamine"),
        ("spravat", "what-is-esketamine"),  # cut off
    ],
)
def test_answers_the_right_entry(fixture_engine: Engine, question: str, expected: str) -> None:
    reply = fixture_engine.answer(question)
    assert reply.kind is ReplyKind.ANSWER, (question, reply)
    assert reply.entry_id == expected
    assert reply.score is not None and 0 <= reply.score <= 100


@pytest.mark.parametrize(
    "question",
    [
        "bitcoin price",
        "what is the weather today",
        "who won the football match",
        "how do I bake bread",
        "hello",
        "",
        "   ",
        "?!",
        "what is the capital of france",
        "ketamine ocd bipolar ptsd insurance coverage lawsuit",  # mostly words the FAQ never uses
    ],
)
def test_off_topic_is_never_answered(fixture_engine: Engine, question: str) -> None:
    assert fixture_engine.answer(question).kind in (ReplyKind.FALLBACK, ReplyKind.SUGGEST)


def test_unsure_questions_get_suggestions(fixture_engine: Engine) -> None:
    reply = fixture_engine.answer("ketamine brain")
    assert reply.kind in (ReplyKind.SUGGEST, ReplyKind.ANSWER)
    reply = fixture_engine.answer("ketamine and the brain and spray")
    assert reply.kind is ReplyKind.SUGGEST
    ids = [s.entry_id for s in reply.suggestions]
    assert {"nmda-mechanism", "what-is-esketamine"} <= set(ids)
    assert len(ids) == len(set(ids)) <= 3
    assert reply.disclaimer and "not medical advice" in reply.disclaimer


def test_ranking_is_sorted_distinct_and_bounded(fixture_engine: Engine) -> None:
    ranked = fixture_engine.matcher.rank("ketamine", limit=10)
    scores = [s.score for s in ranked]
    assert scores == sorted(scores, reverse=True)
    assert len({s.entry.id for s in ranked}) == len(ranked)
    assert all(0 <= s <= 100 for s in scores)


def test_rare_words_outweigh_common_ones(fixture_engine: Engine) -> None:
    # "ketamine" is everywhere in this FAQ; "glutamate" names one entry.
    ranked = fixture_engine.matcher.rank("ketamine glutamate")
    assert ranked[0].entry.id == "nmda-mechanism"


def test_per_entry_min_score(fixture_engine: Engine) -> None:
    from dataclasses import replace

    from bot.knowledge import Knowledge

    knowledge = fixture_engine.knowledge
    strict = tuple(
        replace(e, min_score=99.9) if e.id == "nmda-mechanism" else e for e in knowledge.entries
    )
    engine = Engine(
        Knowledge(
            strict, knowledge.sources, knowledge.messages, knowledge.safety, knowledge.directory
        )
    )
    assert fixture_engine.answer("how does ketamine act in the brain").kind is ReplyKind.ANSWER
    assert engine.answer("how does ketamine act in the brain").kind is ReplyKind.SUGGEST


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # Same content words ("ketamine", "work"): whether it helps is not how it acts.
        ("does ketamine really work", "how-well-does-it-work"),
        ("does esketamine actually work", "how-well-does-it-work"),
        ("how does ketamine work", "how-does-ketamine-work"),
        ("how ketamine works in the brain", "how-does-ketamine-work"),
    ],
)
def test_whether_it_works_is_not_how_it_works(
    shipped_engine: Engine, question: str, expected: str
) -> None:
    reply = shipped_engine.answer(question)
    assert (reply.kind, reply.entry_id) == (ReplyKind.ANSWER, expected)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # The treatment's name would pick the entry that describes it; "right for me" asks
        # whether to try it.
        ("would ketamine-assisted psychotherapy be right for me", "should-i-try-ketamine"),
        ("is spravato the best option for me", "should-i-try-ketamine"),
        ("what is ketamine-assisted psychotherapy", "ketamine-assisted-psychotherapy"),
        ("what is spravato", "what-is-esketamine"),
    ],
)
def test_whether_it_suits_me_is_not_what_it_is(
    shipped_engine: Engine, question: str, expected: str
) -> None:
    reply = shipped_engine.answer(question)
    assert (reply.kind, reply.entry_id) == (ReplyKind.ANSWER, expected)
