"""The generated paraphrase set (bench/paraphrases.py -> bench/generated_paraphrases.yaml)."""

from __future__ import annotations

import importlib.util
import os
import random
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from bot.knowledge import CRISIS_EXPECTATION, Knowledge, load_eval, load_knowledge

REPO = Path(__file__).resolve().parent.parent


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("paraphrases", REPO / "bench" / "paraphrases.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("paraphrases", module)
    spec.loader.exec_module(module)
    return module


paraphrases = _load()


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return load_knowledge(REPO / "knowledge")


@pytest.fixture(scope="module")
def made(knowledge: Knowledge) -> list[Any]:
    return list(paraphrases.generate(knowledge))


def test_the_same_paraphrases_on_every_run(knowledge: Knowledge, made: list[Any]) -> None:
    assert paraphrases.generate(knowledge) == made
    # Another process with another string-hash seed: nothing depends on set or dict order.
    text = paraphrases.render(made)
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run(
            [sys.executable, "-c", _RENDER],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            check=True,
        )
        assert run.stdout == text


_RENDER = (
    "import sys; sys.path.insert(0, 'bench'); import paraphrases; "
    "sys.stdout.write(paraphrases.render(paraphrases.generate()))"
)


def test_the_committed_set_names_its_seed_and_how_it_was_made() -> None:
    head = paraphrases.OUTPUT.read_text()[:1500]
    assert f"seed {paraphrases.SEED}" in head
    assert "bench/paraphrases.py" in head and "knowledge/synonyms.yaml" in head


def test_no_case_repeats_a_phrasing_its_source_or_another_case(
    knowledge: Knowledge, made: list[Any]
) -> None:
    phrasings = {paraphrases.key(p) for entry in knowledge.entries for p in entry.phrasings}
    # The committed file too: a variant added later that equals one of its cases is caught.
    committed = load_eval(paraphrases.OUTPUT).cases
    assert not [c.question for c in committed if paraphrases.key(c.question) in phrasings]
    seen: set[str] = set()
    for item in made:
        text = paraphrases.key(item.question)
        assert text not in phrasings, item
        assert text != paraphrases.key(item.origin), item
        assert text not in seen, item
        seen.add(text)
    # Not even with other capitals or punctuation: "What is ketamine?" is "what is ketamine".
    assert paraphrases.key("What's ketamine?") == paraphrases.key("whats ketamine")


def test_every_case_expects_an_existing_entry(knowledge: Knowledge) -> None:
    cases = load_eval(paraphrases.OUTPUT, known_ids=set(knowledge.entry_by_id)).cases
    assert len(cases) >= 500
    for case in cases:
        assert case.expect not in (None, CRISIS_EXPECTATION), case
        assert set(case.accepted) <= set(knowledge.entry_by_id)


def test_every_rule_is_used_and_each_source_gets_its_paraphrases(made: list[Any]) -> None:
    used = {rule for item in made for rule in item.rules}
    assert used == {name for name, _ in paraphrases.RULES}
    per_origin: dict[str, int] = {}
    for item in made:
        per_origin[item.origin] = per_origin.get(item.origin, 0) + 1
    assert max(per_origin.values()) == paraphrases.PER_SOURCE
    # Almost every source gets its full share; a short one may run out of new wordings.
    full = sum(1 for n in per_origin.values() if n == paraphrases.PER_SOURCE)
    assert full >= 0.95 * len(per_origin)


def test_a_typo_changes_one_content_word_by_one_letter() -> None:
    question = "does ketamine damage memory"
    for seed in range(30):
        slipped = paraphrases.typo(question, random.Random(seed))
        assert slipped is not None
        before, after = question.split(), slipped.split()
        changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
        assert len(changed) == 1
        old, new = changed[0]
        assert len(old) >= 5 and abs(len(old) - len(new)) <= 1 and old[0] == new[0]
