"""The semantic tier's thresholds, tuned by k-fold cross-validation on knowledge/eval.yaml.

Every case is ranked once by the lexical matcher and once by the embedding model; the cascade's
decision (the lexical bars, then the fusion of both rankings below them) is then replayed under
every candidate set of thresholds (Engine.decide, the code the bot runs). For each fold the thresholds are chosen on the other k-1 folds (no more wrong
answers than the lexical engine there; then the strictest values within TOLERANCE right answers
of the most, a wrong answer costing WRONG_COST right ones) and scored on the
held-out fold, beside the lexical engine alone and the model alone on the same fold. The values
for engine.Thresholds are chosen the same way on all folds together.

Right: an expected entry answered (a case may list several), an off-topic question not answered, a crisis given the
crisis reply. Wrong: an answer with another entry (or to an off-topic question). P@1 and MRR:
where the expected entry stands in each ranking (cascade: the order the user is shown - the
answer or the suggestions - then the lexical ranking).

    .venv/bin/python bench/semantic_cv.py [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import benchlib

from bot.engine import Engine, Thresholds
from bot.knowledge import CRISIS_EXPECTATION, load_eval, load_knowledge
from bot.reply import Reply, ReplyKind, Suggestion
from bot.semantic import load_semantic
from bot.text import is_negated, normalize

REPO_KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"

FOLDS = 5
SEED = 12
WRONG_COST = 4  # a confident wrong answer about a drug is the worst failure
TOLERANCE = 3  # right answers given up for stricter bars: less than one wrong answer's price
DEPTH = 10
GRID: dict[str, list[float]] = {
    "fusion_lexical_weight": [0.2, 0.3, 0.4],
    "fusion_answer": [round(0.56 + 0.02 * i, 2) for i in range(13)],
    "fusion_margin": [0.0, 0.02, 0.04, 0.08],
    "fusion_coverage": [0.4, 0.45, 0.5],
    "fusion_cosine_alone": [0.85, 0.9],
    "fusion_cosine_lead": [-1.0, 0.0, 0.01, 0.02, 0.04],
}
# eval.yaml (the matcher's regression set, where the lexical engine is nearly perfect) and the
# harder rephrasings and long chatty questions written for this (where it is not): tuned and
# scored on all together.
SETS = (
    REPO_KNOWLEDGE_DIR / "eval.yaml",
    benchlib.BENCH / "rephrased.yaml",
    benchlib.BENCH / "chatty.yaml",
)
# Rule-made paraphrases (bench/paraphrases.py): scored, never tuned on, and not in "both".
GENERATED = benchlib.BENCH / "generated_paraphrases.yaml"
SUGGEST_GRID = [0.3, 0.4, 0.45, 0.5, 0.6, 2.0]
# The agreement path (all three rankings put one entry first; Thresholds.agree_*): tuned as a
# second stage, on top of the fusion bars each fold chose (the product of both grids is too
# large to replay). An agree_cosine of 2 turns it off.
AGREE_GRID: dict[str, list[float]] = {
    "agree_lexical": [35.0, 40.0, 45.0],
    "agree_cosine": [2.0, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8],
    "agree_lead": [0.04, 0.06, 0.08, 0.1, 0.12, 0.15],
}
OFF = dataclasses.replace(Thresholds(), fusion_answer=2.0, semantic_suggest=2.0, agree_cosine=2.0)


@dataclasses.dataclass
class Case:
    source: str  # the file it comes from
    question: str
    expect: str | None
    accepted: tuple[str, ...]  # every entry that answers it right (empty: null or crisis)
    negated: bool  # "who should NOT take it": the engine's negation guard applies
    fixed: Reply | None  # crisis or advice: decided before matching, the same in every tier
    lexical: list[Any]
    semantic: list[Any]  # every entry, by cosine


def prepare(engine: Engine, path: Path) -> list[Case]:
    cases = []
    for case in load_eval(path, known_ids=set(engine.knowledge.entry_by_id)).cases:
        screening = engine.screener.screen(case.question)
        fixed = None
        if screening.crisis:
            fixed = engine.crisis()
        elif screening.advice_entry is not None:
            fixed = engine.entry_reply(engine.knowledge.entry_by_id[screening.advice_entry])
        cases.append(
            Case(
                path.name,
                case.question,
                case.expect,
                case.accepted,
                is_negated(normalize(case.question)),
                fixed,
                engine.matcher.rank(case.question, limit=DEPTH),
                engine.semantic_rank(case.question, limit=len(engine.knowledge.entries)),
            )
        )
    return cases


def reply(engine: Engine, case: Case, bars: Thresholds, semantic: bool = True) -> Reply:
    if case.fixed is not None:
        return case.fixed
    engine.thresholds = bars
    lexical = case.lexical[: bars.max_suggestions + 1]
    if not semantic:
        return engine.decide(lexical, (), negated=case.negated)
    # What Engine.answer asks the index for: the nearest entries, and the lexical candidates.
    ids = {scored.entry.id for scored in lexical}
    hits = case.semantic[: bars.fusion_depth] + [
        hit for hit in case.semantic[bars.fusion_depth :] if hit.entry.id in ids
    ]
    return engine.decide(lexical, hits, negated=case.negated)


def outcome(case: Case, answer: Reply) -> str:
    """right, wrong or open (a covered question suggested or fallen back: not answered)."""
    if case.expect == CRISIS_EXPECTATION:
        return "right" if answer.kind is ReplyKind.CRISIS else "wrong"
    if answer.kind is ReplyKind.ANSWER:
        return "right" if answer.entry_id in case.accepted else "wrong"
    return "right" if case.expect is None else "open"


def rank_of(accepted: tuple[str, ...], ids: list[str]) -> int | None:
    ranks = [ids.index(key) + 1 for key in accepted if key in ids]
    return min(ranks) if ranks else None


def shown_order(answer: Reply, ranking: list[str]) -> list[str]:
    first = [answer.entry_id] if answer.entry_id else [s.entry_id for s in answer.suggestions]
    return list(dict.fromkeys([*first, *ranking]))


def judge(engine: Engine, case: Case, bars: Thresholds, mode: str) -> tuple[str, int | None]:
    """The case's outcome and where the expected entry stands (0: not an entry case)."""
    # The order the user is shown (the answer, or the suggestions), then the tier's ranking.
    if mode == "semantic":  # the model alone: its own answers, no lexical ranking at all
        answer = case.fixed or _semantic_only(engine, case, bars)
        order = shown_order(answer, [hit.entry.id for hit in case.semantic])
    else:
        answer = reply(engine, case, bars, semantic=mode == "cascade")
        order = shown_order(answer, [s.entry.id for s in case.lexical])
    if case.expect in (None, CRISIS_EXPECTATION):
        return outcome(case, answer), 0
    return outcome(case, answer), rank_of(case.accepted, order)


def summarize(judged: list[tuple[str, int | None]]) -> dict[str, Any]:
    ranks = [rank for _, rank in judged if rank != 0]
    entry_cases = len(ranks) or 1
    return {
        **{key: sum(1 for o, _ in judged if o == key) for key in ("right", "wrong", "open")},
        "cases": len(judged),
        "p_at_1": sum(r == 1 for r in ranks) / entry_cases,
        "mrr": sum(1 / r for r in ranks if r) / entry_cases,
    }


def figures(engine: Engine, cases: list[Case], bars: Thresholds, mode: str) -> dict[str, Any]:
    return summarize([judge(engine, case, bars, mode) for case in cases])


def _semantic_only(engine: Engine, case: Case, bars: SemanticAlone) -> Reply:
    """The model alone: its first choice answered at a cosine and a lead over the second
    (with the engine's guards: min_score, negation), otherwise suggested."""
    top, second = case.semantic[0], case.semantic[1]
    allowed = top.entry.min_score is None and (
        not case.negated or engine.matcher.phrases_negation(top.entry.id)
    )
    if allowed and top.cosine >= bars.cosine and top.cosine - second.cosine >= bars.lead:
        return engine.entry_reply(top.entry)
    return Reply(
        kind=ReplyKind.SUGGEST,
        body="",
        suggestions=(Suggestion(top.entry.id, top.entry.question),),
    )


@dataclasses.dataclass(frozen=True)
class SemanticAlone:
    cosine: float
    lead: float


def utility(result: dict[str, Any]) -> float:
    return result["right"] - WRONG_COST * result["wrong"]


def strictness(bars: Thresholds | SemanticAlone) -> float:
    if isinstance(bars, SemanticAlone):
        return bars.cosine + bars.lead
    return (
        bars.fusion_answer
        + bars.fusion_margin
        + bars.fusion_cosine_alone
        + bars.fusion_coverage
        + max(bars.fusion_cosine_lead, 0.0)
        + bars.agree_lexical / 100
        + bars.agree_cosine
        + bars.agree_lead
    )


def candidates(
    base: Thresholds | None = None, grid: dict[str, list[float]] = GRID
) -> list[Thresholds]:
    """Every combination of `grid`'s values on `base` (the agreement path off by default, so
    the first stage tunes the fusion bars alone)."""
    base = base or dataclasses.replace(Thresholds(), agree_cosine=2.0)
    keys = list(grid)
    return [
        dataclasses.replace(base, **dict(zip(keys, values, strict=True)))
        for values in itertools.product(*(grid[key] for key in keys))
    ]


def tune(engine: Engine, cases: list[Case], grid: list[Any], mode: str) -> Any:
    chosen = _tune_stage(engine, cases, grid, mode)
    if mode != "cascade":
        return chosen
    chosen = _tune_stage(engine, cases, candidates(chosen, AGREE_GRID), mode)
    # The suggestion bar changes no answer, only the order of "did you mean": tuned on MRR.
    return max(
        (dataclasses.replace(chosen, semantic_suggest=s) for s in SUGGEST_GRID),
        key=lambda b: (figures(engine, cases, b, mode)["mrr"], b.semantic_suggest),
    )


def _tune_stage(engine: Engine, cases: list[Case], grid: list[Any], mode: str) -> Any:
    # No more wrong answers than the lexical engine on the cases tuned on comes first: a price
    # of WRONG_COST alone still let the folds trade three wrong answers for four right ones.
    allowed = figures(engine, cases, OFF, "lexical")["wrong"]
    # A case the lexical bars answer (or a crisis) gets the same reply under every candidate:
    # judged once, so the grid only replays the rest.
    settled = [case for case in cases if _settled(engine, case)] if mode == "cascade" else []
    fixed = [judge(engine, case, OFF, mode) for case in settled]
    ids = {id(case) for case in settled}
    rest = [case for case in cases if id(case) not in ids]
    scored = []
    for bars in grid:
        judged = [judge(engine, case, bars, mode) for case in rest]
        result = summarize(fixed + judged)
        # How many of the open cases it answers: the strictness that counts (a threshold's
        # number means little across fusion weights).
        answered = sum(
            outcome == "wrong" or (outcome == "right" and case.expect is not None)
            for case, (outcome, _) in zip(rest, judged, strict=True)
        )
        scored.append(
            (result["wrong"] <= allowed, utility(result), -answered, strictness(bars), bars)
        )
    # Then the strictest thresholds within TOLERANCE of the best utility: a few right answers
    # on the folds tuned on are not worth the looser bars that cost wrong ones on the next.
    within = max((key[0], key[1]) for key in scored)
    return max(
        (key for key in scored if key[0] == within[0] and key[1] >= within[1] - TOLERANCE),
        key=lambda key: (key[2], key[1], key[3]),
    )[4]


def _settled(engine: Engine, case: Case) -> bool:
    return case.fixed is not None or reply(engine, case, OFF, semantic=False).kind is (
        ReplyKind.ANSWER
    )


def semantic_grid() -> list[SemanticAlone]:
    """The model alone: answer at a cosine and a lead over the second entry."""
    return [
        SemanticAlone(a, m)
        for a in [2.0, *(round(0.5 + 0.025 * i, 3) for i in range(19))]
        for m in (0.0, 0.03, 0.06, 0.1)
    ]


def folds(cases: list[Case], k: int) -> list[list[int]]:
    order = list(range(len(cases)))
    random.Random(SEED).shuffle(order)
    return [order[i::k] for i in range(k)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a coarser grid")
    parser.add_argument("--json", help="where to write the results (default bench/out/)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model = load_semantic(Path(tmp))
        if model is None:
            sys.exit(
                "semantic_cv: the semantic extra is not installed (make .venv/.installed-test)"
            )
        engine = Engine(load_knowledge(REPO_KNOWLEDGE_DIR), semantic=model)
        started = time.perf_counter()
        cases = [case for path in SETS for case in prepare(engine, path)]
        generated = prepare(engine, GENERATED)
    grid = candidates()
    if args.quick:
        grid = grid[::7]
    sem_grid = semantic_grid()
    parts = folds(cases, FOLDS)
    modes = ("lexical", "semantic", "cascade")
    held_out: dict[str, list[tuple[Case, tuple[str, int | None]]]] = {m: [] for m in modes}
    per_fold: list[dict[str, Any]] = []
    fold_bars: list[dict[str, Any]] = []  # each fold's chosen bars, as objects (the JSON has dicts)
    headers = ["fold", "set", "n", "tier", "P@1", "MRR", "right", "wrong", "open", "thresholds"]
    table: list[list[object]] = []
    for index, held in enumerate(parts):
        held_set = set(held)
        train = [case for i, case in enumerate(cases) if i not in held_set]
        test = [cases[i] for i in held]
        chosen = {
            "lexical": OFF,
            "semantic": tune(engine, train, sem_grid, "semantic"),
            "cascade": tune(engine, train, grid, "cascade"),
        }
        row: dict[str, Any] = {"fold": index + 1, "n": len(test)}
        for mode in modes:
            judged = [judge(engine, case, chosen[mode], mode) for case in test]
            held_out[mode] += zip(test, judged, strict=True)
            row[mode] = summarize(judged)
            table.append(
                [
                    index + 1,
                    "both",
                    len(test),
                    mode,
                    *_cells(row[mode]),
                    describe(chosen[mode], mode),
                ]
            )
        row["chosen"] = {mode: dataclasses.asdict(bars) for mode, bars in chosen.items()}
        per_fold.append(row)
        fold_bars.append(chosen)
    totals: dict[str, dict[str, dict[str, Any]]] = {}
    for source in ("both", *(path.name for path in SETS)):
        totals[source] = {}
        for mode in modes:
            judged = [j for case, j in held_out[mode] if source in ("both", case.source)]
            totals[source][mode] = summarize(judged)
            table.append(
                ["all", source, len(judged), mode, *_cells(totals[source][mode]), "held out"]
            )
    totals[GENERATED.name] = score_generated(engine, generated, cases, parts, fold_bars, table)
    benchlib.print_table(headers, table)
    final = tune(engine, cases, grid, "cascade")
    print(f"\nthresholds tuned on all {len(cases)} cases: {describe(final, 'cascade')}")
    print(f"({time.perf_counter() - started:.0f} s)")
    path = benchlib.write_json(
        "semantic_cv",
        {
            "quick": args.quick,
            "folds": FOLDS,
            "wrong_cost": WRONG_COST,
            "per_fold": per_fold,
            "totals": totals,
            "final": dataclasses.asdict(final),
            "scored_only": [GENERATED.name],
            "rows": rows(totals),
        },
        args.json,
    )
    print(f"wrote {path}")


def score_generated(
    engine: Engine,
    generated: list[Case],
    cases: list[Case],
    parts: list[list[int]],
    fold_bars: list[dict[str, Any]],
    table: list[list[object]],
) -> dict[str, dict[str, Any]]:
    """Each paraphrase scored with the thresholds of the fold that held out its eval.yaml case
    (a paraphrase of an entry's question: the fold its place in the file falls in)."""
    import paraphrases  # bench/paraphrases.py: which text each case was made from

    fold_of = {
        cases[i].question: index
        for index, held in enumerate(parts)
        for i in held
        if cases[i].source == "eval.yaml"
    }
    origin = {item.question: item.origin for item in paraphrases.generate(engine.knowledge)}
    judged: dict[str, list[tuple[str, int | None]]] = {}
    for mode in ("lexical", "semantic", "cascade"):
        bars = [chosen[mode] for chosen in fold_bars]
        judged[mode] = [
            judge(
                engine, case, bars[fold_of.get(origin.get(case.question, ""), n % len(bars))], mode
            )
            for n, case in enumerate(generated)
        ]
    out = {mode: summarize(results) for mode, results in judged.items()}
    for mode, result in out.items():
        table.append(["all", GENERATED.name, result["cases"], mode, *_cells(result), "held out"])
    return out


def _cells(result: dict[str, Any]) -> list[object]:
    return [
        f"{result['p_at_1']:.3f}",
        f"{result['mrr']:.3f}",
        result["right"],
        result["wrong"],
        result["open"],
    ]


def describe(bars: Any, mode: str) -> str:
    if mode == "lexical":
        return "lexical bars only"
    if isinstance(bars, SemanticAlone):
        return f"cosine >= {bars.cosine} (lead {bars.lead})" if bars.cosine <= 1 else "never"
    return (
        f"fused = {bars.fusion_lexical_weight} lexical + {1 - bars.fusion_lexical_weight:.1f} "
        f"cosine >= {bars.fusion_answer} (lead {bars.fusion_margin}; coverage "
        f">= {bars.fusion_coverage} or cosine >= {bars.fusion_cosine_alone}; cosine lead "
        f">= {bars.fusion_cosine_lead}); "
        + (
            f"or all three first at lexical >= {bars.agree_lexical}, cosine >= "
            f"{bars.agree_cosine}, lead >= {bars.agree_lead}; "
            if bars.agree_cosine <= 1
            else "no agreement path; "
        )
        + f"suggest >= {bars.semantic_suggest}"
    )


def rows(totals: dict[str, dict[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    out = []
    for source, by_mode in totals.items():
        lex, sem, cas = by_mode["lexical"], by_mode["semantic"], by_mode["cascade"]
        where = f"{source if source != 'both' else 'both sets'}, held-out folds (n={lex['cases']})"
        for key, label in (("p_at_1", "P@1"), ("mrr", "MRR")):
            for name, value in (("semantic", sem), ("cascade", cas)):
                out.append(
                    {
                        "figure": f"{label}, {name}, {where}",
                        "value": f"{value[key]:.3f}",
                        "baseline": f"lexical: {lex[key]:.3f}",
                        "ratio": f"{100 * (value[key] - lex[key]):+.1f} points",
                        "target": "",
                        "pass": True,
                    }
                )
        out.append(
            {
                "figure": f"right / wrong answers, cascade, {where}",
                "value": f"{cas['right']} / {cas['wrong']}",
                "baseline": f"lexical: {lex['right']} / {lex['wrong']}; "
                f"semantic alone: {sem['right']} / {sem['wrong']}",
                "ratio": f"{cas['right'] - lex['right']:+d} right, "
                f"{cas['wrong'] - lex['wrong']:+d} wrong",
                "target": "cascade right >= lexical, wrong <= lexical",
                "pass": cas["right"] >= lex["right"] and cas["wrong"] <= lex["wrong"],
            }
        )
    return out


if __name__ == "__main__":
    main()
