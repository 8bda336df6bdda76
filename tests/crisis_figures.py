"""Figures of the crisis screen on tests/data/crisis_cases.yaml, by family and half.

    .venv/bin/python -m tests.crisis_figures [--misses] [--knn]

--knn: the screen as the engine runs it, with the nearest-neighbour layer (bot/crisis_knn.py;
needs the semantic extra); its tuning and held-out figures are tests/crisis_knn_cv.py's.

For risk cases: "flagged" (crisis or possible) and "right tier" (crisis for crisis cases, crisis
with the helpers' version for someone else, at least possible for possible cases). For
look-alikes: crisis replies ("alarms") and possible-risk notes."""

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


def load_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = yaml.safe_load(CASES.read_text(encoding="utf-8"))["cases"]
    return cases


def right_tier(case: dict[str, Any], screening: Screening) -> bool:
    tier = case["tier"]
    if tier == "crisis":
        return screening.risk is Risk.CRISIS and not screening.about_other
    if tier == "other":
        return screening.risk is Risk.CRISIS and screening.about_other
    if tier == "possible":
        return screening.risk is not Risk.NONE
    return screening.risk is Risk.NONE


def main(argv: list[str]) -> int:
    knowledge = load_knowledge(REPO_KNOWLEDGE_DIR)
    screen = Screener(knowledge.safety, knowledge.languages).screen
    if "--knn" in argv:
        from bot.engine import Engine
        from bot.semantic import load_semantic

        screen = Engine(knowledge, semantic=load_semantic(Path("data"))).screen
    table: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    misses: list[str] = []
    for case in load_cases():
        screening = screen(case["q"])
        row = table[(case["family"], case["half"])]
        row[0] += 1
        if case["tier"] == "none":
            row[1] += screening.risk is Risk.CRISIS
            row[2] += screening.risk is Risk.POSSIBLE
        else:
            row[1] += screening.risk is not Risk.NONE
            row[2] += right_tier(case, screening)
        if not right_tier(case, screening):
            got = screening.risk.value + (" (other)" if screening.about_other else "")
            misses.append(
                f"  [{case['half']}] {case['family']}: want {case['tier']}, got {got}: {case['q']}"
            )
    print(
        "family          half  n   risk cases: flagged / right tier | look-alikes: alarms / notes"
    )
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for (family, half), row in sorted(table.items()):
        kind = "look" if family in LOOK_ALIKES else "risk"
        total = totals[(kind, half)]
        for index in range(3):
            total[index] += row[index]
        print(f"{family:15} {half:4} {row[0]:3}   {kind}: {row[1]:3} / {row[2]:3}")
    for (kind, half), row in sorted(totals.items()):
        what = "flagged / right tier" if kind == "risk" else "alarms / notes"
        print(f"ALL {kind:11} {half:4} {row[0]:3}   {what}: {row[1]} / {row[2]}")
    if "--misses" in argv:
        print("\n".join(misses))
    return 0


LOOK_ALIKES = {"definition", "news", "negation", "idiom", "research", "distress"}

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
