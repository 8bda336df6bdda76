"""Runs eval.yaml against an engine: is each reply right, and how good is the ranking."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.engine import Engine
from bot.knowledge import CRISIS_EXPECTATION, EvalSet
from bot.reply import ReplyKind

RANK_DEPTH = 10  # how deep the ranking is searched for the expected entry (MRR)


@dataclass(frozen=True)
class CaseResult:
    question: str
    expect: str | None
    kind: ReplyKind
    entry_id: str | None
    score: float | None
    rank: int | None  # 1-based rank of the expected entry, ignoring the bars
    correct: bool
    line: int = 0


@dataclass(frozen=True)
class EvalReport:
    results: tuple[CaseResult, ...]
    min_accuracy: float
    figures: dict[str, float | int] = field(default_factory=dict)

    @property
    def failures(self) -> tuple[CaseResult, ...]:
        return tuple(result for result in self.results if not result.correct)

    @property
    def passed(self) -> bool:
        return self.figures["accuracy"] >= self.min_accuracy


def _is_correct(expect: str | None, kind: ReplyKind, entry_id: str | None) -> bool:
    if expect == CRISIS_EXPECTATION:
        return kind is ReplyKind.CRISIS
    if expect is None:
        return kind in (ReplyKind.FALLBACK, ReplyKind.SUGGEST)
    return kind is ReplyKind.ANSWER and entry_id == expect


def run_eval(engine: Engine, eval_set: EvalSet) -> EvalReport:
    results: list[CaseResult] = []
    for case in eval_set.cases:
        reply = engine.answer(case.question)
        rank = None
        if case.expect not in (None, CRISIS_EXPECTATION):
            ranked = engine.matcher.rank(case.question, limit=RANK_DEPTH)
            rank = next((i for i, s in enumerate(ranked, 1) if s.entry.id == case.expect), None)
        results.append(
            CaseResult(
                question=case.question,
                expect=case.expect,
                kind=reply.kind,
                entry_id=reply.entry_id,
                score=reply.score,
                rank=rank,
                correct=_is_correct(case.expect, reply.kind, reply.entry_id),
                line=case.line,
            )
        )
    return EvalReport(tuple(results), eval_set.min_accuracy, _figures(results))


def _figures(results: list[CaseResult]) -> dict[str, float | int]:
    total = len(results) or 1
    entry_cases = [r for r in results if r.expect not in (None, CRISIS_EXPECTATION)]
    crisis_cases = [r for r in results if r.expect == CRISIS_EXPECTATION]
    no_answer_cases = [r for r in results if r.expect is None]
    false_answers = [r for r in results if r.kind is ReplyKind.ANSWER and r.expect != r.entry_id]
    return {
        "cases": len(results),
        "accuracy": round(sum(r.correct for r in results) / total, 4),
        "top1": round(sum(r.rank == 1 for r in entry_cases) / (len(entry_cases) or 1), 4),
        "mrr": round(sum(1 / r.rank for r in entry_cases if r.rank) / (len(entry_cases) or 1), 4),
        "false_answers": len(false_answers),
        "off_topic_answered": sum(r.kind is ReplyKind.ANSWER for r in no_answer_cases),
        "crisis_cases": len(crisis_cases),
        "crisis_missed": sum(r.kind is not ReplyKind.CRISIS for r in crisis_cases),
        "false_alarms": sum(
            r.kind is ReplyKind.CRISIS for r in results if r.expect != CRISIS_EXPECTATION
        ),
    }
