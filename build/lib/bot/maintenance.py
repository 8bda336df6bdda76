"""Reports for maintainers: unanswered questions grouped by similarity, and per-entry stats."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from bot.engine import Engine
from bot.evaluation import run_eval
from bot.knowledge import KnowledgeError, load_eval
from bot.store import Store, UnansweredRow
from bot.text import content_terms, normalize

GROUP_SIMILARITY = 75  # token_set_ratio between content words for two questions to be one group
MAX_EXAMPLES = 3


@dataclass
class QuestionGroup:
    key: str  # content words of the first question: what the group is compared by
    rows: list[UnansweredRow] = field(default_factory=list)
    nearest_entry: str | None = None
    nearest_score: float | None = None

    @property
    def examples(self) -> list[str]:
        return list(dict.fromkeys(row.question for row in self.rows))[:MAX_EXAMPLES]

    def advice(self, engine: Engine) -> str:
        if self.nearest_entry and (self.nearest_score or 0) >= engine.thresholds.suggest:
            return f"add as a variant of '{self.nearest_entry}'"
        return "a new entry is needed (or it is off-topic)"


def group_questions(rows: list[UnansweredRow], engine: Engine) -> list[QuestionGroup]:
    """Greedy grouping by content-word similarity; biggest group first."""
    groups: list[QuestionGroup] = []
    for row in rows:
        key = " ".join(content_terms(normalize(row.question))) or normalize(row.question)
        for group in groups:
            if fuzz.token_set_ratio(key, group.key) >= GROUP_SIMILARITY:
                group.rows.append(row)
                break
        else:
            groups.append(QuestionGroup(key=key, rows=[row]))
    for group in groups:
        ranked = engine.matcher.rank(group.rows[0].question, limit=1)
        if ranked:
            group.nearest_entry, group.nearest_score = ranked[0].entry.id, ranked[0].score
    groups.sort(key=lambda g: len(g.rows), reverse=True)
    return groups


def unanswered_text(engine: Engine, store: Store | None, days: int | None = None) -> str:
    if store is None:
        return "The question log is off (QUESTION_LOG=off)."
    groups = group_questions(store.unanswered(days), engine)
    if not groups:
        return "No unanswered questions recorded" + (f" in the last {days} days." if days else ".")
    blocks = []
    for group in groups:
        nearest = (
            f"{group.nearest_entry} ({group.nearest_score:.0f})" if group.nearest_entry else "none"
        )
        examples = "\n".join(f"    - {q}" for q in group.examples)
        blocks.append(
            f"{len(group.rows)} x  nearest: {nearest}  -> {group.advice(engine)}\n{examples}"
        )
    return "\n".join(blocks)


def unanswered_csv(engine: Engine, store: Store, days: int | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["group", "count", "nearest_entry", "nearest_score", "advice", "example"])
    for number, group in enumerate(group_questions(store.unanswered(days), engine), 1):
        for example in group.examples:
            score = f"{group.nearest_score:.1f}" if group.nearest_score is not None else ""
            writer.writerow(
                [
                    number,
                    len(group.rows),
                    group.nearest_entry or "",
                    score,
                    group.advice(engine),
                    example,
                ]
            )
    return out.getvalue()


def stats_text(engine: Engine, store: Store | None) -> str:
    counts = store.entry_counts() if store is not None else {}
    lines = [f"{'entry':40} {'answered':>8} {'helpful':>8} {'not':>5}"]
    for entry in engine.knowledge.entries:
        row = counts.get(entry.id)
        answered, helpful, unhelpful = (
            (row.answered, row.helpful, row.not_helpful) if row else (0, 0, 0)
        )
        lines.append(f"{entry.id[:40]:40} {answered:>8} {helpful:>8} {unhelpful:>5}")
    eval_path = engine.knowledge.directory / "eval.yaml"
    try:
        report = run_eval(engine, load_eval(eval_path, known_ids=set(engine.knowledge.entry_by_id)))
    except KnowledgeError as error:
        lines.append(f"\neval: not run ({len(error.problems)} problem(s) in {eval_path.name})")
    else:
        figures = report.figures
        lines.append(
            f"\neval: {figures['cases']} cases, accuracy {figures['accuracy']:.1%}, top1 {figures['top1']:.1%}, "
            f"mrr {figures['mrr']:.3f}, false answers {figures['false_answers']}"
        )
    return "\n".join(lines)
