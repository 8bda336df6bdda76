"""Figures of the crisis screen, by family and half.

    .venv/bin/python -m tests.crisis_figures [FILE] [--round N] [--misses] [--knn]

FILE defaults to tests/data/crisis_cases.yaml (halves A and B); tests/data/crisis_round7.yaml
is the held-out set (no halves: scored as one, once per round of changes). `--round 5` keeps
only the cases of one round of crisis_cases.yaml.

--knn: the screen as the engine runs it, with the nearest-neighbour layer (bot/crisis_knn.py;
needs the semantic extra); its tuning and held-out figures are tests/crisis_knn_cv.py's.

For risk cases: "flagged" (crisis or possible) and "right tier" (crisis for crisis cases, crisis
with the helpers' version for someone else, at least possible for possible cases). For
look-alikes: crisis replies ("alarms") and possible-risk notes. For a message in another
language (`lang`), "right language" counts risk replies given in that language."""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge import load_knowledge
from bot.risk import Risk
from bot.safety import Screener, Screening
from tests.conftest import REPO_KNOWLEDGE_DIR

CASES = Path(__file__).parent / "data" / "crisis_cases.yaml"
ROUND7 = Path(__file__).parent / "data" / "crisis_round7.yaml"
LOOK_ALIKES = {"definition", "news", "negation", "idiom", "research", "distress", "kill-sense"}


def load_cases(path: Path = CASES) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
    return cases


def is_look_alike(case: dict[str, Any]) -> bool:
    return bool(case["tier"] == "none")


def right_tier(case: dict[str, Any], screening: Screening) -> bool:
    tier = case["tier"]
    if tier == "crisis":
        return screening.risk is Risk.CRISIS and not screening.about_other
    if tier == "other":
        return screening.risk is Risk.CRISIS and screening.about_other
    if tier == "possible":
        return screening.risk is not Risk.NONE
    return screening.risk is Risk.NONE


def _options(argv: list[str]) -> tuple[Path, int | None, bool, bool]:
    path, round_, misses, knn = CASES, None, False, False
    args = iter(argv)
    for arg in args:
        if arg == "--misses":
            misses = True
        elif arg == "--knn":
            knn = True
        elif arg == "--round":
            round_ = int(next(args))
        else:
            path = Path(arg)
    return path, round_, misses, knn


def main(argv: list[str]) -> int:
    path, round_, show_misses, knn = _options(argv)
    knowledge = load_knowledge(REPO_KNOWLEDGE_DIR)
    screen = Screener(knowledge.safety, knowledge.languages).screen
    if knn:
        from bot.engine import Engine
        from bot.semantic import load_semantic

        screen = Engine(knowledge, semantic=load_semantic(Path("data"))).screen
    # n, flagged or alarms, right tier or notes, risk replies in the message's language
    table: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    kinds: dict[tuple[str, str], str] = {}
    misses: list[str] = []
    cases = [case for case in load_cases(path) if round_ is None or case.get("round") == round_]
    for case in cases:
        screening = screen(case["q"])
        family = case["family"] if "lang" not in case else f"lang-{case['lang']}"
        if "lang" in case and is_look_alike(case):
            family += "-look"
        half = case.get("half", "-")
        key = (family, half)
        kinds[key] = "look" if is_look_alike(case) else "risk"
        row = table[key]
        row[0] += 1
        if is_look_alike(case):
            row[1] += screening.risk is Risk.CRISIS
            row[2] += screening.risk is Risk.POSSIBLE
        else:
            row[1] += screening.risk is not Risk.NONE
            row[2] += right_tier(case, screening)
            row[3] += screening.risk is not Risk.NONE and screening.language == case.get("lang")
        if not right_tier(case, screening):
            got = screening.risk.value + (" (other)" if screening.about_other else "")
            misses.append(f"  [{half}] {family}: want {case['tier']}, got {got}: {case['q']}")
    print("family          half  n   risk: flagged / right tier | look-alikes: alarms / notes")
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for key, row in sorted(table.items()):
        family, half = key
        kind = kinds[key]
        group = "foreign" if family.startswith("lang-") else "english"
        total = totals[(f"{kind} {group}", half)]
        for index in range(4):
            total[index] += row[index]
        language = f" / {row[3]:3}" if family.startswith("lang-") and kind == "risk" else ""
        print(f"{family:15} {half:4} {row[0]:3}   {kind}: {row[1]:3} / {row[2]:3}{language}")
    for (kind, half), row in sorted(totals.items()):
        what = "flagged / right tier" if kind.startswith("risk") else "alarms / notes"
        extra = f" / right language {row[3]}" if kind == "risk foreign" else ""
        print(f"ALL {kind:12} {half:4} {row[0]:3}   {what}: {row[1]} / {row[2]}{extra}")
    if show_misses:
        print("\n".join(misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
