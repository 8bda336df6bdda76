"""Words that only an answer holds can find its entry, but never answer on their own."""

from __future__ import annotations

from bot import matching
from bot.engine import DEFAULT_THRESHOLDS, Engine
from bot.knowledge import Entry
from bot.matching import Matcher
from bot.reply import ReplyKind


def _entry(entry_id: str, question: str, answer: str) -> Entry:
    return Entry(
        id=entry_id,
        topic="Test",
        question=question,
        variants=(),
        answer=answer,
        sources=("s",),
        evidence="review",
    )


ENTRIES = (
    _entry("lungs", "Does the drug slow breathing?", "Ventilation stays steady at these doses."),
    _entry(
        "heart", "Does the drug raise blood pressure?", "A short rise, back to normal in hours."
    ),
    _entry("sleep", "Does the drug help sleep?", "Sleep studies show no clear effect."),
)


def test_a_word_only_an_answer_holds_finds_that_entry() -> None:
    ranked = Matcher(ENTRIES).rank("what about ventilation")
    assert ranked and ranked[0].entry.id == "lungs"


def test_answer_words_alone_stay_under_the_answer_bar() -> None:
    ranked = Matcher(ENTRIES).rank("ventilation")
    assert ranked[0].score < DEFAULT_THRESHOLDS.answer
    # Whatever the FAQ: a question made only of answer words earns at most this much.
    ceiling = 100 * (
        (matching.QUERY_COVERAGE_WEIGHT + matching.ENTRY_COVERAGE_WEIGHT) * matching.ANSWER_SHARE
        + matching.FUZZY_WEIGHT
    )
    assert ceiling < DEFAULT_THRESHOLDS.answer


def test_phrasing_words_still_decide_when_they_match() -> None:
    # "sleep" is in a phrasing: the entry whose answer merely mentions it gains nothing.
    ranked = Matcher(ENTRIES).rank("drug and sleep")
    assert ranked[0].entry.id == "sleep"


def test_shipped_faq_suggests_the_entry_whose_answer_names_the_word(
    shipped_engine: Engine,
) -> None:
    # No phrasing says "allergy"; the answer on who should not take ketamine does.
    reply = shipped_engine.answer("ketamine allergy")
    assert reply.kind is ReplyKind.SUGGEST
    assert reply.suggestions[0].entry_id == "who-should-not-take-it"
