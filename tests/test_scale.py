"""A big FAQ stays quick: the matcher's limits on work never change the shipped FAQ's answers."""

from __future__ import annotations

import pytest

from bot import matching
from bot.engine import Engine
from bot.knowledge import Entry, load_eval
from bot.matching import Matcher


def _entry(index: int) -> Entry:
    return Entry(
        id=f"e{index}",
        topic="Test",
        question=f"treatment plan {index} for zorvax{index}",
        variants=(f"how long does treatment {index} take",),
        answer="An answer.",
        sources=("s",),
        evidence="review",
    )


def test_common_words_only_question_in_a_big_faq_still_gets_ranked() -> None:
    matcher = Matcher([_entry(index) for index in range(3000)])
    ranked = matcher.rank("treatment take long", limit=4)
    assert len(ranked) == 4
    assert all("treatment" in s.phrasing for s in ranked)
    # A rare word still finds its one entry among thousands.
    assert matcher.rank("treatment for zorvax1234")[0].entry.id == "e1234"


def test_the_work_limit_never_changes_the_shipped_rankings(
    shipped_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    knowledge = shipped_engine.knowledge
    questions = [case.question for case in load_eval(knowledge.directory / "eval.yaml").cases]
    questions += [phrasing for entry in knowledge.entries for phrasing in entry.phrasings]

    def rankings(matcher: Matcher) -> list[list[tuple[str, float]]]:
        return [[(s.entry.id, s.score) for s in matcher.rank(q, limit=4)] for q in questions]

    limited = rankings(shipped_engine.matcher)
    monkeypatch.setattr(matching, "HIT_BUDGET", 10**9)
    unlimited = rankings(Matcher(knowledge.entries, knowledge.synonyms))
    assert limited == unlimited
