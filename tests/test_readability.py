"""Plain words: the shipped answers read at about grade 8, and the grade function is the
project's Flesch-Kincaid algorithm (the same figures as tools/readability.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import readability
from bot.cli import main
from bot.engine import Engine
from bot.maintenance import stats_text
from bot.store import NullStore
from bot.validate import reading_level, validate


def test_shipped_answers_read_at_about_grade_8(shipped_engine: Engine) -> None:
    entries = shipped_engine.knowledge.entries
    grades = {entry.id: readability.grade(entry.answer) for entry in entries}
    mean = sum(grades.values()) / len(grades)
    assert mean <= readability.TARGET_MEAN_GRADE, f"mean grade {mean:.2f}"
    too_hard = {key: round(g, 1) for key, g in grades.items() if g > readability.MAX_GRADE}
    assert not too_hard, too_hard


def test_no_shipped_answer_has_a_sentence_over_30_words(shipped_engine: Engine) -> None:
    long = {
        entry.id: readability.longest_sentence(entry.answer)
        for entry in shipped_engine.knowledge.entries
        if readability.longest_sentence(entry.answer) > readability.MAX_SENTENCE_WORDS
    }
    assert not long, long


def test_shipped_knowledge_gets_no_reading_warnings(shipped_engine: Engine) -> None:
    assert reading_level(shipped_engine.knowledge) == []


@pytest.mark.parametrize(
    ("word", "count"),
    [
        ("cat", 1),
        ("make", 1),  # silent final e
        ("the", 1),  # too short to drop the e
        ("table", 2),  # -le is spoken
        ("ketamine", 3),
        ("esketamine", 4),
        ("dissociation", 4),  # i-a and i-o are one vowel group each
        ("R-ketamine", 4),  # hyphenated parts counted apart
        ("don't", 1),
        ("rhythm", 1),  # y is a vowel
        ("2019", 1),  # a number counts once
        ("0.5", 1),
    ],
)
def test_syllables(word: str, count: int) -> None:
    assert readability.syllables(word) == count


def test_grade_by_hand() -> None:
    # 4 words, 1 sentence, 4 syllables: 0.39 * 4 + 11.8 * 1 - 15.59
    assert readability.grade("The cat sat down.") == pytest.approx(0.39 * 4 + 11.8 - 15.59)
    # Two sentences halve the words per sentence.
    two = readability.grade("The cat sat. The dog ran.")
    assert two == pytest.approx(0.39 * 3 + 11.8 - 15.59)


def test_decimal_points_and_abbreviations_in_numbers_do_not_end_sentences() -> None:
    assert len(readability.sentences("It used 0.5 mg per kg. It worked.")) == 2
    assert readability.longest_sentence("It used 0.5 mg per kg. It worked.") == 6


def test_a_text_without_words_has_grade_zero() -> None:
    assert readability.grade("...") == 0.0


def test_long_words_and_sentences_raise_the_grade() -> None:
    plain = "Ketamine can act fast. The effect fades in days."
    dense = (
        "Ketamine demonstrates considerable antidepressant efficacy within hours, although "
        "the therapeutic improvement characteristically diminishes over subsequent days."
    )
    assert readability.grade(dense) > readability.grade(plain) + 8


def test_stats_prints_the_reading_level(shipped_engine: Engine) -> None:
    text = stats_text(shipped_engine, NullStore())
    assert "reading level (Flesch-Kincaid grade): mean" in text


def test_validate_warns_but_does_not_fail_on_hard_answers(knowledge_copy: Path) -> None:
    faq = knowledge_copy / "faq" / "basics.yaml"
    long_sentence = " ".join(["ketamine considerably diminishes depressive symptomatology"] * 8)
    text = faq.read_text(encoding="utf-8")
    first_line = "      Ketamine is an anaesthetic"
    faq.write_text(text.replace(first_line, f"      {long_sentence}. {first_line.strip()}", 1))
    result = validate(knowledge_copy)
    assert result.ok, result.problems  # warnings never make the knowledge invalid
    messages = [str(w) for w in result.warnings]
    assert any("basics.yaml:" in m and ": warning: " in m and "grade" in m for m in messages)
    assert any("sentence of 40 words" in m for m in messages), messages


def test_the_cli_prints_warnings_as_path_line(
    knowledge_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    faq = knowledge_copy / "faq" / "basics.yaml"
    words = " ".join(["considerably"] * 31)
    text = faq.read_text(encoding="utf-8")
    first_line = "      Ketamine is an anaesthetic"
    faq.write_text(text.replace(first_line, f"      {words}. {first_line.strip()}", 1))
    assert main(["validate", str(knowledge_copy)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"basics\.yaml:\d+: warning: answer of '[a-z-]+' has a sentence of 31", out)
