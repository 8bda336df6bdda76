"""Any well-formed FAQ loads: entries with only their question are served, with a warning."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.engine import Engine
from bot.knowledge import MIN_VARIANTS, load_knowledge
from bot.reply import ReplyKind
from bot.validate import validate
from tests.conftest import REPO_KNOWLEDGE_DIR


@pytest.fixture
def question_only(knowledge_copy: Path) -> Path:
    """The fixture knowledge with every variant removed (one entry keeps an empty list)."""
    path = knowledge_copy / "faq" / "basics.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for entry in data["entries"]:
        del entry["variants"]
    data["entries"][1]["variants"] = []
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return knowledge_copy


def test_shipped_entries_all_have_enough_variants() -> None:
    # Strict for our own FAQ: what is a warning for others is a failure here.
    knowledge = load_knowledge(REPO_KNOWLEDGE_DIR)
    assert not knowledge.warnings, [str(w) for w in knowledge.warnings]
    for entry in knowledge.entries:
        assert len(entry.variants) >= MIN_VARIANTS, entry.id


def test_question_only_faq_loads_with_one_warning_per_entry(question_only: Path) -> None:
    result = validate(question_only)
    assert result.ok, result.problems
    assert all(w.warning for w in result.warnings)
    # The fixture's answers are also above the reading bar: those are warnings of their own.
    variants = [w for w in result.warnings if "variant(s)" in w.message]
    assert len(variants) == 4
    assert all("0 variant(s)" in w.message for w in variants)
    # path:line: warning: ..., the line of the entry that has no variants
    assert str(variants[0]).endswith(
        "basics.yaml:2: warning: entry 'what-is-ketamine': 0 variant(s); at least 5 are "
        "recommended, so the matcher knows more ways people ask it"
    )


def test_validate_prints_warnings_and_exits_zero(question_only: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "validate", str(question_only)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert sum(": warning: " in line and "variant(s)" in line for line in lines) == 4
    assert lines[-1].endswith(
        f"OK (4 entries, 3 sources, {len(validate(question_only).warnings)} warning(s))"
    )


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What is ketamine?", "what-is-ketamine"),  # the question itself
        ("what is esketamine", "what-is-esketamine"),
        ("spravato", "what-is-esketamine"),
        ("how does ketamine work", "nmda-mechanism"),
        ("what does ketamine do in the brain", "nmda-mechanism"),
        ("what is esketamnie", "what-is-esketamine"),  # a typo
    ],
)
def test_question_only_entries_are_answered(
    question_only: Path, question: str, expected: str
) -> None:
    reply = Engine(load_knowledge(question_only)).answer(question)
    assert reply.kind is ReplyKind.ANSWER, (question, reply.kind, reply.score)
    assert reply.entry_id == expected


@pytest.mark.parametrize("question", ["bitcoin price", "what is the weather", "hello"])
def test_question_only_faq_still_says_i_dont_know(question_only: Path, question: str) -> None:
    reply = Engine(load_knowledge(question_only)).answer(question)
    assert reply.kind in (ReplyKind.FALLBACK, ReplyKind.SUGGEST)
