"""A question that says "not" is never answered by the entry that says the opposite."""

from __future__ import annotations

import pytest

from bot import matching
from bot.engine import DEFAULT_THRESHOLDS, Engine
from bot.knowledge import Entry
from bot.matching import Matcher
from bot.reply import ReplyKind
from bot.text import is_negated, normalize


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("Who is NOT a candidate?", True),
        ("when shouldn't I get an infusion", True),
        ("should i not take it when pregnant", True),
        ("never with alcohol?", True),
        ("why doesn't it work for me", True),
        ("What is esketamine?", False),
        ("Isn't ketamine just a party drug?", False),  # rhetorical: asks whether it is
        ("I'm not sure what esketamine is", False),  # doubt, not negation
        ("I don't know if it is safe", False),
        ("does it work in hours not weeks", False),  # a contrast
        ("which patients is this treatment not suitable for", True),  # a judgement of fit
        ("spravato: people not right for it", True),
        ("was this first noted in rats", False),  # "noted" is not "not"
    ],
)
def test_which_questions_count_as_negated(text: str, negated: bool) -> None:
    assert is_negated(normalize(text)) is negated


def _entry(entry_id: str, question: str, *variants: str) -> Entry:
    return Entry(
        id=entry_id,
        topic="Test",
        question=question,
        variants=variants,
        answer="An answer.",
        sources=("s",),
        evidence="review",
    )


CANDIDATES = (
    _entry("who-may", "Who is a good candidate for the drug?", "am i a candidate"),
    _entry("who-may-not", "Who should not take the drug?", "who must avoid the drug"),
    _entry("cost", "What does the drug cost?"),
)


def test_negated_question_prefers_the_negated_entry() -> None:
    ranked = Matcher(CANDIDATES).rank("who should never take the drug")
    assert ranked[0].entry.id == "who-may-not"


def test_negated_question_never_scores_an_affirmative_entry_as_an_answer() -> None:
    # Every word is the affirmative entry's, but the question asks the opposite.
    ranked = Matcher(CANDIDATES).rank("who is not a good candidate for the drug")
    affirmative = next(s for s in ranked if s.entry.id == "who-may")
    assert affirmative.score <= matching.NEGATION_CAP < DEFAULT_THRESHOLDS.answer


def test_affirmative_question_still_gets_the_affirmative_entry() -> None:
    assert Matcher(CANDIDATES).rank("am i a good candidate for the drug")[0].entry.id == "who-may"


@pytest.mark.parametrize(
    "question",
    [
        "who is NOT a candidate",
        "who is not a candidate for esketamine",
        "the kind of person ketamine is not good for",
    ],
)
def test_shipped_faq_does_not_answer_not_a_candidate_with_should_i_try(
    shipped_engine: Engine, question: str
) -> None:
    reply = shipped_engine.answer(question)
    assert not (reply.kind is ReplyKind.ANSWER and reply.entry_id == "should-i-try-ketamine")
    ids = [s.entry_id for s in reply.suggestions]
    assert reply.entry_id == "who-should-not-take-it" or "who-should-not-take-it" in ids


def test_shipped_faq_answers_when_not_to_get_ketamine(shipped_engine: Engine) -> None:
    reply = shipped_engine.answer("when should I not get ketamine")
    assert reply.kind is ReplyKind.ANSWER
    assert reply.entry_id == "who-should-not-take-it"


def test_a_rhetorical_negation_keeps_its_answer(shipped_engine: Engine) -> None:
    reply = shipped_engine.answer("isn't ketamine just a club drug")
    assert reply.kind is ReplyKind.ANSWER
    assert reply.entry_id == "party-drug-stigma"
