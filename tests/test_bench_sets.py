"""The hand-written tuning and held-out sets under bench/ name only entries that exist, so an
entry renamed in knowledge/ cannot silently turn their cases into misses."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge import load_eval, load_knowledge

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ["rephrased.yaml", "chatty.yaml", "practical_heldout.yaml"])
def test_a_bench_set_names_only_entries_that_exist(name: str) -> None:
    known = set(load_knowledge(REPO / "knowledge").entry_by_id)
    cases = load_eval(REPO / "bench" / name, known_ids=known).cases
    assert cases
    # Each also holds questions the FAQ must not answer: the tuning pays for answers it adds.
    assert any(case.expect is None for case in cases)
