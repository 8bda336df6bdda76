"""Whole-knowledge checks: the file checks of knowledge.py plus the ones that need the engine.

Used by `python -m bot validate`, by hot reload (a broken edit must never replace working
knowledge) and by the tests.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from bot import crisis_knn, readability, render
from bot.engine import Engine
from bot.knowledge import (
    Knowledge,
    KnowledgeError,
    knowledge_dir,
    load_eval,
    load_knowledge,
    ordered,
)
from bot.semantic import SemanticModel
from bot.text import normalize
from bot.yamlsource import Problem

MAX_ANSWER_CHARS = 1000  # the FAQ's style: a chat answer, not an essay


@dataclass(frozen=True)
class Validation:
    knowledge: Knowledge | None
    problems: list[Problem]
    engine: Engine | None = None  # built for the checks; reused by hot reload
    warnings: list[Problem] = field(default_factory=list)  # reported, but never block loading

    @property
    def ok(self) -> bool:
        return self.knowledge is not None and not self.problems


def collisions(engine: Engine) -> list[Problem]:
    """Phrasings of one entry that the matcher ranks at or above another entry's own score."""
    problems: list[Problem] = []
    for entry in engine.knowledge.entries:
        lines = (entry.line, *entry.variant_lines)
        for phrasing, line in zip(entry.phrasings, lines, strict=True):
            ranked = engine.matcher.rank(phrasing, limit=3)
            own = next((s.score for s in ranked if s.entry.id == entry.id), 0.0)
            rival = next((s for s in ranked if s.entry.id != entry.id), None)
            if rival is not None and rival.score >= own:
                problems.append(
                    Problem(
                        entry.path,
                        line,
                        f"collision: '{phrasing}' of entry '{entry.id}' matches entry "
                        f"'{rival.entry.id}' as well or better ({rival.score:.0f} vs {own:.0f}); "
                        "reword it or move it",
                    )
                )
    return problems


def reading_level(knowledge: Knowledge) -> list[Problem]:
    """Warnings, not failures: an answer above grade 10 or with a sentence over 30 words."""
    warnings: list[Problem] = []
    for entry in knowledge.entries:
        line = entry.answer_line or entry.line
        level = readability.grade(entry.answer)
        if level > readability.MAX_GRADE:
            message = (
                f"answer of '{entry.id}' reads at grade {level:.1f} "
                f"(aim for {readability.TARGET_MEAN_GRADE:.0f}, at most "
                f"{readability.MAX_GRADE:.0f}): shorter sentences, plainer words"
            )
            warnings.append(Problem(entry.path, line, message, warning=True))
        longest = readability.longest_sentence(entry.answer)
        if longest > readability.MAX_SENTENCE_WORDS:
            message = (
                f"answer of '{entry.id}' has a sentence of {longest} words "
                f"(at most {readability.MAX_SENTENCE_WORDS}): split it"
            )
            warnings.append(Problem(entry.path, line, message, warning=True))
    return warnings


def exact_phrasings(engine: Engine) -> list[Problem]:
    """Phrasings made only of stopwords ("hi", "thank you") are matched exactly: one entry each."""
    problems: list[Problem] = []
    for entry in engine.knowledge.entries:
        lines = (entry.line, *entry.variant_lines)
        for phrasing, line in zip(entry.phrasings, lines, strict=True):
            owner = engine.exact.get(normalize(phrasing))
            if owner is not None and owner.id != entry.id:
                problems.append(
                    Problem(
                        entry.path,
                        line,
                        f"collision: '{phrasing}' of entry '{entry.id}' is also a phrasing of "
                        f"entry '{owner.id}'; keep it in one of them",
                    )
                )
    return problems


def rendered_lengths(engine: Engine) -> list[Problem]:
    problems: list[Problem] = []
    for entry in engine.knowledge.entries:
        if len(entry.answer) > MAX_ANSWER_CHARS:
            problems.append(
                Problem(
                    entry.path,
                    entry.line,
                    f"answer of '{entry.id}' is {len(entry.answer)} characters; keep it under {MAX_ANSWER_CHARS}",
                )
            )
        full = render.html(engine.entry_reply(entry), limit=10**9)
        if len(full) > render.TELEGRAM_LIMIT:
            problems.append(
                Problem(
                    entry.path,
                    entry.line,
                    f"'{entry.id}' renders to {len(full)} characters; Telegram allows {render.TELEGRAM_LIMIT}",
                )
            )
    return problems


def validate(
    directory: str | os.PathLike[str],
    *,
    check_collisions: bool = True,
    semantic: SemanticModel | None = None,
) -> Validation:
    """Every problem in the knowledge folder, or none; the loaded knowledge when it loads."""
    try:
        root = knowledge_dir(directory)
        knowledge = load_knowledge(root)
    except KnowledgeError as error:
        return Validation(None, ordered(error.problems), warnings=ordered(error.warnings))
    engine = Engine(knowledge, semantic=semantic)
    problems = rendered_lengths(engine)
    if check_collisions:
        problems += collisions(engine) + exact_phrasings(engine)
    eval_path = Path(root) / "eval.yaml"
    if eval_path.exists():
        try:
            load_eval(eval_path, known_ids=set(knowledge.entry_by_id))
        except KnowledgeError as error:
            problems += error.problems
    exemplars = Path(root) / crisis_knn.EXEMPLARS_FILE
    if exemplars.exists() and crisis_knn.read_exemplars(exemplars) is None:
        # at run time the layer would be off; an edit that breaks it is rejected instead
        problems.append(
            Problem(
                crisis_knn.EXEMPLARS_FILE,
                1,
                "needs 'risk' and 'lookalike', each a mapping of families to lists of sentences",
            )
        )
    return Validation(
        knowledge, problems, engine, ordered([*knowledge.warnings, *reading_level(knowledge)])
    )
