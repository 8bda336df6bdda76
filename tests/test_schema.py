"""The JSON Schemas in knowledge/schema/ agree with the loader, the real validator.

Editors validate the knowledge files as you type with these schemas (through the
yaml-language-server modeline at the top of each file); `python -m bot validate` checks them
with bot/knowledge.py and bot/validate.py. The two must not disagree: what the schema rejects
the loader rejects, and the shipped and fixture knowledge pass both. What a schema cannot see
(ids across files, source keys, regex validity, ...) is left to the loader, and tested as such.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from bot import knowledge as loader
from bot.validate import MAX_ANSWER_CHARS, validate
from tests.conftest import REPO_KNOWLEDGE_DIR

SCHEMA_DIR = REPO_KNOWLEDGE_DIR / "schema"
FIXTURE_KNOWLEDGE = Path(__file__).parent / "fixtures" / "knowledge"
KINDS = (
    "faq",
    "sources",
    "messages",
    "safety",
    "eval",
    "synonyms",
    "crisis_exemplars",
    "language",
)
MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)\s*$")

Mutation = Callable[[Any], None]


def knowledge_files(root: Path) -> list[Path]:
    """Every YAML file the loader reads, relative to the knowledge folder."""
    found = [*root.glob("*.yaml"), *root.glob("*.yml"), *root.glob("faq/*.yaml")]
    found += [*root.glob("faq/*.yml"), *root.glob("languages/*.yaml")]
    return sorted(path.relative_to(root) for path in found)


def kind_of(relative: Path) -> str:
    if relative.parent == Path("faq"):
        return "faq"
    if relative.parent == Path("languages"):
        return "language"
    if relative.parent == Path(".") and relative.stem in KINDS[1:-1]:
        return relative.stem
    raise AssertionError(f"{relative}: no schema covers this file")


def expected_modeline_target(relative: Path) -> str:
    kind = kind_of(relative)
    nested = kind in ("faq", "language")
    return f"../schema/{kind}.schema.json" if nested else f"schema/{kind}.schema.json"


@functools.cache
def schema(kind: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8"))


@functools.cache
def validator(kind: str) -> Draft202012Validator:
    return Draft202012Validator(schema(kind))


def schema_errors(kind: str, document: Any) -> list[str]:
    return [
        f"/{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator(kind).iter_errors(document)
    ]


def read(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def fixture_copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(FIXTURE_KNOWLEDGE, target)
    return target


# libyaml's safe loader and dumper where installed: the same documents, several times faster.
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
FAST_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def rewrite(root: Path, relative: str, mutate: Mutation) -> Any:
    """Load one file of the copy, change it, write it back as YAML; the document as written."""
    path = root / relative
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=FAST_LOADER)
    mutate(document)
    text = yaml.dump(document, Dumper=FAST_DUMPER, sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return yaml.load(text, Loader=FAST_LOADER)


def setting(*keys: str | int, value: Any) -> Mutation:
    def mutate(document: Any) -> None:
        *parents, last = keys
        for key in parents:
            document = document[key]
        document[last] = value

    return mutate


def deleting(*keys: str | int) -> Mutation:
    def mutate(document: Any) -> None:
        *parents, last = keys
        for key in parents:
            document = document[key]
        del document[last]

    return mutate


def appending(*keys: str | int, value: Any) -> Mutation:
    def mutate(document: Any) -> None:
        for key in keys:
            document = document[key]
        document.append(value)

    return mutate


# (a) the shipped knowledge ------------------------------------------------------------------


@pytest.mark.parametrize("relative", knowledge_files(REPO_KNOWLEDGE_DIR), ids=str)
def test_shipped_file_matches_its_schema(relative: Path) -> None:
    document = read(REPO_KNOWLEDGE_DIR / relative)
    assert schema_errors(kind_of(relative), document) == []


# (b) the schemas themselves ------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_schema_is_a_valid_draft_2020_12_schema(kind: str) -> None:
    assert schema(kind)["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema(kind))


def test_schema_folder_holds_one_schema_per_kind() -> None:
    names = sorted(path.name for path in SCHEMA_DIR.iterdir())
    assert names == sorted(f"{kind}.schema.json" for kind in KINDS)


def test_schemas_use_the_loaders_constants() -> None:
    entry = schema("faq")["$defs"]["entry"]
    fields = entry["properties"]
    assert set(fields) == set(loader.ENTRY_FIELDS)
    assert set(entry["required"]) == {
        name for name, needed in loader.ENTRY_FIELDS.items() if needed
    }
    assert fields["id"]["pattern"] == loader._ID_PATTERN.pattern
    assert fields["id"]["maxLength"] == loader.MAX_ID_CHARS
    assert fields["id"]["not"] == {"const": loader.CRISIS_EXPECTATION}
    assert fields["question"]["maxLength"] == loader.MAX_QUESTION_CHARS
    # Too few variants is a warning of `validate`, which a JSON Schema cannot express: the
    # schema accepts any number and says what validate recommends.
    assert "minItems" not in fields["variants"]
    assert f"at least {loader.MIN_VARIANTS}" in fields["variants"]["description"]
    assert fields["answer"]["maxLength"] == MAX_ANSWER_CHARS
    assert tuple(fields["evidence"]["enum"]) == loader.EVIDENCE_LEVELS
    assert fields["related"]["items"]["pattern"] == loader._ID_PATTERN.pattern
    source_keys = schema("sources")["properties"]["sources"]["propertyNames"]["pattern"]
    assert source_keys == loader._SOURCE_KEY_PATTERN.pattern
    assert fields["sources"]["items"]["pattern"] == loader._SOURCE_KEY_PATTERN.pattern
    assert "crisis" in schema("eval")["$defs"]["case"]["properties"]["expect"]["examples"]


# (c) modelines -------------------------------------------------------------------------------


# Language files open with a comment on how their helplines were checked; their schema is
# checked above all the same.
@pytest.mark.parametrize(
    "relative",
    [path for path in knowledge_files(REPO_KNOWLEDGE_DIR) if kind_of(path) != "language"],
    ids=str,
)
def test_shipped_file_starts_with_a_modeline_to_its_schema(relative: Path) -> None:
    path = REPO_KNOWLEDGE_DIR / relative
    first_line = path.read_text(encoding="utf-8").split("\n", 1)[0]
    match = MODELINE.match(first_line)
    assert match, f"{relative}: first line is not a yaml-language-server modeline: {first_line!r}"
    target = match.group(1)
    assert target == expected_modeline_target(relative)
    assert (path.parent / target).resolve().is_file(), f"{relative}: {target} does not exist"


# (d) broken documents: the schema and the loader both reject them ----------------------------

FAQ, SOURCES, MESSAGES, SAFETY, EVAL = (
    "faq/basics.yaml",
    "sources.yaml",
    "messages.yaml",
    "safety.yaml",
    "eval.yaml",
)
ENTRY = ("entries", 0)
A_SOURCE = {"title": "A study", "url": "https://doi.org/10.1000/x"}


def new_entry(entry_id: str, like: str | None = None) -> dict[str, Any]:
    """An entry unlike the fixture's four (no collisions), or with the phrasings of `like`."""
    if like is not None:
        fixture = read(FIXTURE_KNOWLEDGE / "faq" / "basics.yaml")["entries"]
        original = next(entry for entry in fixture if entry["id"] == like)
        return {**original, "id": entry_id, "related": []}
    return {
        "id": entry_id,
        "topic": "Access",
        "question": "What does a course of treatment cost?",
        "variants": [
            "price",
            "is it expensive",
            "insurance coverage",
            "cost per session",
            "who pays",
        ],
        "answer": "Prices vary by country and clinic.",
        "sources": ["rems"],
        "evidence": "regulatory",
    }


def about_the_bot(entry_id: str, sources: list[str] | None) -> dict[str, Any]:
    """An entry about the bot itself: its evidence is `bot`, and it needs no research source."""
    entry: dict[str, Any] = {
        "id": entry_id,
        "topic": "About this bot",
        "question": "Hello!",
        "variants": ["hi there", "hey bot", "good morning", "good evening", "greetings"],
        "answer": "Hello! Ask me about ketamine research, or send /topics.",
        "evidence": "bot",
    }
    if sources is not None:
        entry["sources"] = sources
    return entry


BROKEN = [
    # faq/*.yaml
    pytest.param(FAQ, deleting(*ENTRY, "answer"), "missing field 'answer'", id="faq-missing-answer"),
    pytest.param(FAQ, deleting(*ENTRY, "topic"), "missing field 'topic'", id="faq-missing-topic"),
    pytest.param(FAQ, setting(*ENTRY, "tags", value=["x"]), "unknown field 'tags'", id="faq-unknown-field"),
    pytest.param(FAQ, setting("version", value=2), "unknown field 'version'", id="faq-unknown-top-level-field"),
    pytest.param(FAQ, deleting("entries"), "'entries' must be a list", id="faq-no-entries"),
    pytest.param(FAQ, setting(*ENTRY, "evidence", value="anecdote"), "evidence must be one of", id="faq-bad-evidence"),
    pytest.param(FAQ, setting(*ENTRY, "id", value="What_Is_Ketamine"), "must be kebab-case", id="faq-id-not-kebab"),
    pytest.param(FAQ, setting(*ENTRY, "id", value="what--is-ketamine"), "must be kebab-case", id="faq-id-double-hyphen"),
    pytest.param(FAQ, setting(*ENTRY, "id", value="a" * 61), "longer than 60", id="faq-id-too-long"),
    pytest.param(FAQ, setting(*ENTRY, "id", value="crisis"), "'crisis' is reserved", id="faq-id-crisis"),
    pytest.param(FAQ, setting(*ENTRY, "variants", value="ketamine?"), "'variants' must be a list", id="faq-variants-not-list"),
    pytest.param(FAQ, setting(*ENTRY, "variants", 1, value=""), "must be non-empty text", id="faq-empty-variant"),
    pytest.param(FAQ, setting(*ENTRY, "sources", value=[]), "at least one source", id="faq-no-sources"),
    pytest.param(FAQ, deleting(*ENTRY, "sources"), "missing field 'sources'", id="faq-sources-left-out"),
    pytest.param(FAQ, setting(*ENTRY, "topic", value="   "), "'topic' is empty", id="faq-blank-topic"),
    pytest.param(FAQ, setting(*ENTRY, "topic", value=42), "'topic' must be text", id="faq-topic-not-text"),
    pytest.param(FAQ, setting(*ENTRY, "question", value="why " * 51), "question is longer than 200", id="faq-question-too-long"),
    pytest.param(FAQ, setting(*ENTRY, "answer", value="word " * 201), "keep it under 1000", id="faq-answer-too-long"),
    pytest.param(FAQ, setting(*ENTRY, "note", value=""), "'note' is empty", id="faq-empty-note"),
    pytest.param(FAQ, setting(*ENTRY, "min_score", value=150), "min_score must be a number", id="faq-min-score-150"),
    pytest.param(FAQ, setting(*ENTRY, "min_score", value="high"), "min_score must be a number", id="faq-min-score-text"),
    pytest.param(FAQ, setting(*ENTRY, "min_score", value=True), "min_score must be a number", id="faq-min-score-bool"),
    # sources.yaml
    pytest.param(SOURCES, setting("sources", "review", "url", value="http://doi.org/10.3389/fnins.2021.657714"), "URL must use https", id="sources-http-url"),
    pytest.param(SOURCES, setting("sources", "review", "url", value="https://localhost/paper"), "malformed URL", id="sources-url-without-dot"),
    pytest.param(SOURCES, setting("sources", "review", "url", value="https://doi.org/10.1/a b"), "malformed URL", id="sources-url-with-space"),
    pytest.param(SOURCES, deleting("sources", "review", "title"), "missing field 'title'", id="sources-missing-title"),
    pytest.param(SOURCES, deleting("sources", "review", "url"), "missing field 'url'", id="sources-missing-url"),
    pytest.param(SOURCES, setting("sources", "review", "doi", value="10.3389/x"), "unknown field 'doi'", id="sources-unknown-field"),
    pytest.param(SOURCES, setting("sources", "review", "year", value=21), "four-digit year", id="sources-year-two-digits"),
    pytest.param(SOURCES, setting("sources", "review", "year", value="2021"), "four-digit year", id="sources-year-text"),
    pytest.param(SOURCES, setting("sources", "Bad_Key", value=A_SOURCE), "must be lower-case letters", id="sources-bad-key"),
    pytest.param(SOURCES, setting("sources", value=[A_SOURCE]), "'sources' must be a mapping", id="sources-list"),
    pytest.param(SOURCES, setting("version", value=1), "unknown field 'version'", id="sources-unknown-top-level-field"),
    # messages.yaml
    pytest.param(MESSAGES, deleting("fallback"), "missing field 'fallback'", id="messages-missing-fallback"),
    pytest.param(MESSAGES, setting("footer", value="x"), "unknown field 'footer'", id="messages-unknown-field"),
    pytest.param(MESSAGES, setting("disclaimer_short", value="Research summary."), "must say 'not medical advice'", id="messages-disclaimer-without-words"),
    pytest.param(MESSAGES, deleting("crisis"), "'crisis' must be a mapping", id="messages-missing-crisis"),
    pytest.param(MESSAGES, setting("crisis", "helplines", value=[]), "'helplines' must be a non-empty list", id="messages-no-helplines"),
    pytest.param(MESSAGES, setting("crisis", "helplines", 0, "url", value="http://988lifeline.org"), "URL must use https", id="messages-helpline-http-url"),
    pytest.param(MESSAGES, deleting("crisis", "helplines", 0, "contact"), "missing field 'contact'", id="messages-helpline-missing-contact"),
    pytest.param(MESSAGES, setting("crisis", "helplines", 0, "phone", value="988"), "unknown field 'phone'", id="messages-helpline-unknown-field"),
    pytest.param(MESSAGES, setting("crisis", "footer", value="x"), "unknown field 'footer'", id="messages-crisis-unknown-field"),
    pytest.param(MESSAGES, deleting("crisis", "text"), "missing field 'text'", id="messages-crisis-missing-text"),
    # safety.yaml
    pytest.param(SAFETY, deleting("crisis"), "'crisis' must be a mapping", id="safety-missing-crisis"),
    pytest.param(SAFETY, lambda d: [deleting("crisis", k)(d) for k in ("patterns", "always")], "no crisis rules", id="safety-missing-crisis-patterns"),
    pytest.param(SAFETY, setting("crisis", "patterns", value="suicid"), "must be a list of patterns", id="safety-patterns-not-list"),
    pytest.param(SAFETY, setting("crisis", "exclude", 0, value=""), "a pattern must be non-empty text", id="safety-empty-pattern"),
    pytest.param(SAFETY, setting("crisis", "sometimes", value=["x"]), "unknown field 'sometimes'", id="safety-crisis-unknown-field"),
    pytest.param(SAFETY, setting("version", value=1), "unknown field 'version'", id="safety-unknown-top-level-field"),
    pytest.param(SAFETY, setting("advice", value={"entry": "x"}), "'advice' must be a list", id="safety-advice-not-list"),
    pytest.param(SAFETY, deleting("advice", 0, "entry"), "missing field 'entry'", id="safety-advice-missing-entry"),
    pytest.param(SAFETY, deleting("advice", 0, "patterns"), "missing field 'patterns'", id="safety-advice-missing-patterns"),
    pytest.param(SAFETY, setting("advice", 0, "why", value="x"), "unknown field 'why'", id="safety-advice-unknown-field"),
    pytest.param(SAFETY, setting("subject", value=""), "a pattern must be non-empty text", id="safety-empty-subject"),
    # eval.yaml
    pytest.param(EVAL, setting("cases", 0, "expect", value=42), "'expect' must be an entry id", id="eval-expect-number"),
    pytest.param(EVAL, setting("cases", 0, "expect", value=[]), "'expect' must be an entry id", id="eval-expect-empty-list"),
    pytest.param(EVAL, setting("cases", 0, "expect", value=["crisis"]), "'expect' must be an entry id", id="eval-expect-list-with-crisis"),
    pytest.param(EVAL, deleting("cases", 0, "expect"), "missing field 'expect'", id="eval-missing-expect"),
    pytest.param(EVAL, deleting("cases", 0, "q"), "missing field 'q'", id="eval-missing-q"),
    pytest.param(EVAL, setting("cases", 0, "why", value="x"), "unknown field 'why'", id="eval-case-unknown-field"),
    pytest.param(EVAL, setting("min_accuracy", value=2), "min_accuracy must be a number from 0 to 1", id="eval-min-accuracy-2"),
    pytest.param(EVAL, setting("min_accuracy", value=-0.1), "min_accuracy must be a number from 0 to 1", id="eval-min-accuracy-negative"),
    pytest.param(EVAL, setting("min_accuracy", value="95%"), "min_accuracy must be a number from 0 to 1", id="eval-min-accuracy-text"),
    pytest.param(EVAL, setting("min_accuracy", value=None), "min_accuracy must be a number from 0 to 1", id="eval-min-accuracy-null"),
    pytest.param(EVAL, setting("cases", value=[]), "'cases' must be a non-empty list", id="eval-no-cases"),
    pytest.param(EVAL, setting("version", value=1), "unknown field 'version'", id="eval-unknown-top-level-field"),
]  # fmt: skip


@pytest.mark.parametrize(("relative", "mutate", "message"), BROKEN)
def test_broken_document_is_rejected_by_schema_and_loader(
    tmp_path: Path, relative: str, mutate: Mutation, message: str
) -> None:
    root = fixture_copy(tmp_path)
    document = rewrite(root, relative, mutate)
    assert schema_errors(kind_of(Path(relative)), document), "the schema accepts it"
    result = validate(root)
    assert not result.ok, "the loader accepts it"
    problems = [str(problem) for problem in result.problems]
    assert any(message in problem for problem in problems), problems


# What only the loader can check: the schema accepts each file, the loader rejects the folder.

LOADER_ONLY = [
    pytest.param(FAQ, setting("entries", 1, "id", value="what-is-ketamine"), "duplicate id", id="duplicate-id"),
    pytest.param(FAQ, setting(*ENTRY, "sources", value=["no-such-source"]), "unknown source 'no-such-source'", id="unknown-source"),
    pytest.param(FAQ, setting(*ENTRY, "related", value=["no-such-entry"]), "unknown related entry", id="unknown-related"),
    pytest.param(FAQ, setting(*ENTRY, "related", value=["what-is-ketamine"]), "lists itself as related", id="related-to-itself"),
    pytest.param(SOURCES, setting("sources", "uncited", value=A_SOURCE), "not cited by any entry", id="uncited-source"),
    pytest.param(SAFETY, setting("crisis", "patterns", 0, value="(unclosed"), "invalid regular expression", id="invalid-regex"),
    pytest.param(SAFETY, setting("advice", 0, "entry", value="no-such-entry"), "unknown entry 'no-such-entry'", id="advice-unknown-entry"),
    pytest.param(EVAL, setting("cases", 0, "expect", value="no-such-entry"), "unknown entry 'no-such-entry'", id="eval-unknown-entry"),
    pytest.param(FAQ, appending("entries", value=new_entry("ketamine-again", like="what-is-ketamine")), "collision", id="collision"),
]  # fmt: skip


@pytest.mark.parametrize(("relative", "mutate", "message"), LOADER_ONLY)
def test_cross_file_problem_is_left_to_the_loader(
    tmp_path: Path, relative: str, mutate: Mutation, message: str
) -> None:
    root = fixture_copy(tmp_path)
    document = rewrite(root, relative, mutate)
    assert schema_errors(kind_of(Path(relative)), document) == []
    result = validate(root)
    assert not result.ok
    problems = [str(problem) for problem in result.problems]
    assert any(message in problem for problem in problems), problems


# (e) valid documents: the schema and the loader both accept them -----------------------------


@pytest.mark.parametrize("relative", knowledge_files(FIXTURE_KNOWLEDGE), ids=str)
def test_fixture_file_matches_its_schema(relative: Path) -> None:
    assert schema_errors(kind_of(relative), read(FIXTURE_KNOWLEDGE / relative)) == []


def test_fixture_knowledge_passes_the_loader() -> None:
    result = validate(FIXTURE_KNOWLEDGE)
    assert result.ok, result.problems


VALID = [
    pytest.param(FAQ, lambda document: None, id="unchanged-after-yaml-round-trip"),
    pytest.param(FAQ, setting(*ENTRY, "min_score", value=70), id="faq-min-score"),
    pytest.param(FAQ, setting(*ENTRY, "min_score", value=62.5), id="faq-min-score-float"),
    pytest.param(FAQ, setting(*ENTRY, "related", value=None), id="faq-related-null"),
    pytest.param(FAQ, setting("entries", 1, "note", value=None), id="faq-note-null"),
    pytest.param(FAQ, setting(*ENTRY, "min_score", value=None), id="faq-min-score-null"),
    pytest.param(FAQ, appending("entries", value=new_entry("cost-in-2024")), id="faq-new-entry"),
    pytest.param(FAQ, appending("entries", value=new_entry("k" * 60)), id="faq-id-60-chars"),
    pytest.param(FAQ, appending("entries", value=about_the_bot("hello", sources=None)), id="faq-bot-entry-without-sources"),
    pytest.param(FAQ, appending("entries", value=about_the_bot("hello", sources=[])), id="faq-bot-entry-empty-sources"),
    pytest.param(SOURCES, setting("sources", "review", "year", value=None), id="sources-year-null"),
    pytest.param(MESSAGES, deleting("crisis", "closing"), id="messages-no-closing"),
    pytest.param(MESSAGES, setting("crisis", "helplines", 0, "url", value=None), id="messages-helpline-url-null"),
    pytest.param(MESSAGES, setting("disclaimer_short", value="NOT Medical Advice."), id="messages-disclaimer-any-case"),
    pytest.param(SAFETY, setting("crisis", "exclude", value=None), id="safety-exclude-null"),
    pytest.param(SAFETY, deleting("crisis", "always"), id="safety-no-always"),
    pytest.param(SAFETY, deleting("subject"), id="safety-no-subject"),
    pytest.param(SAFETY, setting("advice", value=None), id="safety-advice-null"),
    pytest.param(EVAL, deleting("min_accuracy"), id="eval-no-min-accuracy"),
    pytest.param(EVAL, setting("min_accuracy", value=1), id="eval-min-accuracy-1"),
    pytest.param(EVAL, setting("cases", 0, "expect", value=None), id="eval-expect-null"),
    pytest.param(EVAL, setting("cases", 0, "expect", value=["what-is-ketamine", "what-is-esketamine"]), id="eval-expect-list"),
    pytest.param(EVAL, setting("cases", 0, "expect", value="crisis"), id="eval-expect-crisis"),
]  # fmt: skip


@pytest.mark.parametrize(("relative", "mutate"), VALID)
def test_valid_variation_is_accepted_by_schema_and_loader(
    tmp_path: Path, relative: str, mutate: Mutation
) -> None:
    root = fixture_copy(tmp_path)
    document = rewrite(root, relative, mutate)
    assert schema_errors(kind_of(Path(relative)), document) == []
    result = validate(root)
    assert result.ok, [str(problem) for problem in result.problems]
