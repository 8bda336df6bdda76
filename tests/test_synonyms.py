"""synonyms.yaml: words the matcher treats as one, checked like every other knowledge file."""

from __future__ import annotations

from pathlib import Path

from bot.engine import Engine
from bot.knowledge import load_knowledge
from bot.reply import ReplyKind
from bot.validate import validate


def test_a_synonym_reaches_the_entry(knowledge_copy: Path) -> None:
    before = Engine(load_knowledge(knowledge_copy)).answer("sedation drug ketamine")
    (knowledge_copy / "synonyms.yaml").write_text(
        "synonyms:\n  - [anesthetic, sedation, sedative]\n  - [esketamine, s-ketamine, spravato]\n"
    )
    engine = Engine(load_knowledge(knowledge_copy))
    after = engine.answer("sedation drug ketamine")
    assert (before.kind, before.entry_id) != (ReplyKind.ANSWER, "what-is-ketamine")
    assert (after.kind, after.entry_id) == (ReplyKind.ANSWER, "what-is-ketamine")
    # Both sides are mapped: "s-ketamine" now names the same word as "esketamine".
    assert engine.answer("s-ketamine?").entry_id == "what-is-esketamine"
    assert validate(knowledge_copy).ok


def test_problems_name_their_line(knowledge_copy: Path) -> None:
    path = knowledge_copy / "synonyms.yaml"
    path.write_text(
        "synonyms:\n"
        "  - [mouse, mice]\n"  # line 2: fine
        "  - [rat, mice]\n"  # line 3: mice is already in a group
        "  - [lonely]\n"  # line 4: one word is no group
        "  - [dose, how much]\n"  # line 5: a phrase
        "  - [the, a]\n"  # line 6: stopwords
    )
    problems = [str(p) for p in validate(knowledge_copy).problems]
    assert any(
        "synonyms.yaml:3:" in p and "'mice' is already in the group at line 2" in p
        for p in problems
    )
    assert any("synonyms.yaml:4:" in p and "at least two words" in p for p in problems)
    assert any(
        "synonyms.yaml:5:" in p and "'how much' must be one meaningful word" in p for p in problems
    )
    assert any(
        "synonyms.yaml:6:" in p and "'the' must be one meaningful word" in p for p in problems
    )


def test_the_file_is_optional(knowledge_copy: Path) -> None:
    assert not (knowledge_copy / "synonyms.yaml").exists()
    assert load_knowledge(knowledge_copy).synonyms == {}


def test_shipped_synonyms_help_lay_words(shipped_engine: Engine) -> None:
    assert shipped_engine.knowledge.synonyms
    # "hooked" and "errors" stand in no phrasing: their groups carry them to the right entry.
    assert (
        shipped_engine.answer("can you get hooked on esketamine").entry_id == "addiction-and-misuse"
    )
    assert (
        shipped_engine.answer("any errors in the ketamine news article").entry_id
        == "what-the-article-gets-wrong"
    )
