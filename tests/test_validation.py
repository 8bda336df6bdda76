"""The validator names every problem with its file and line, not only the first."""

from __future__ import annotations

from pathlib import Path

from bot.validate import validate
from tests.conftest import REPO_KNOWLEDGE_DIR


def _lines_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def _messages(directory: Path) -> list[str]:
    result = validate(directory)
    assert not result.ok
    return [str(problem) for problem in result.problems]


def test_fixture_knowledge_is_valid(knowledge_copy: Path) -> None:
    result = validate(knowledge_copy)
    assert result.ok, result.problems


def test_yaml_syntax_error_names_file_and_line(knowledge_copy: Path) -> None:
    faq = knowledge_copy / "faq" / "basics.yaml"
    text = faq.read_text().replace("    topic: How it works", "    topic: [How it works")
    faq.write_text(text)
    problems = _messages(knowledge_copy)
    assert len(problems) >= 1
    assert any("basics.yaml:" in p and "YAML syntax error" in p for p in problems)
    line = int(next(p for p in problems if "YAML syntax" in p).split(":")[1])
    assert abs(line - _lines_of(faq, "topic: [How it works")) <= 1


def test_every_problem_is_reported_with_its_line(knowledge_copy: Path) -> None:
    faq = knowledge_copy / "faq" / "basics.yaml"
    text = faq.read_text()
    text = text.replace("id: nmda-mechanism", "id: what-is-ketamine")  # duplicate id
    text = text.replace("sources: [review]", "sources: [no-such-source]")  # unknown source
    text = text.replace("evidence: regulatory\n    related", "evidence: anecdote\n    related")
    faq.write_text(text)
    problems = _messages(knowledge_copy)
    duplicate_line = [
        n for n, line in enumerate(text.splitlines(), 1) if "id: what-is-ketamine" in line
    ][1]
    assert f"basics.yaml:{duplicate_line}: duplicate id 'what-is-ketamine'" in "\n".join(problems)
    assert any(
        f"basics.yaml:{_lines_of(faq, 'no-such-source')}:" in p
        and "unknown source 'no-such-source'" in p
        for p in problems
    )
    assert any(
        f"basics.yaml:{_lines_of(faq, 'anecdote')}:" in p and "evidence must be one of" in p
        for p in problems
    )
    # The source no entry cites any more is reported too, at its line in sources.yaml.
    sources = knowledge_copy / "sources.yaml"
    assert (
        f"sources.yaml:{_lines_of(sources, 'review:')}: source 'review' is not cited by any entry"
        in "\n".join(problems)
    )


def test_missing_and_unknown_fields(knowledge_copy: Path) -> None:
    faq = knowledge_copy / "faq" / "basics.yaml"
    text = faq.read_text().replace("    topic: Safety\n", "    topik: Safety\n")
    faq.write_text(text)
    problems = "\n".join(_messages(knowledge_copy))
    assert f"basics.yaml:{_lines_of(faq, 'topik')}: unknown field 'topik' in an entry" in problems
    assert "missing field 'topic'" in problems


def test_duplicate_yaml_key(knowledge_copy: Path) -> None:
    faq = knowledge_copy / "faq" / "basics.yaml"
    text = faq.read_text().replace(
        "    evidence: review\n", "    evidence: review\n    evidence: review\n"
    )
    faq.write_text(text)
    problems = "\n".join(_messages(knowledge_copy))
    second = [n for n, line in enumerate(text.splitlines(), 1) if line == "    evidence: review"][1]
    assert f"basics.yaml:{second}: duplicate key 'evidence'" in problems


def test_urls_must_be_https_and_well_formed(knowledge_copy: Path) -> None:
    sources = knowledge_copy / "sources.yaml"
    text = sources.read_text()
    text = text.replace(
        "url: https://doi.org/10.3389/fnins.2021.657714",
        "url: http://doi.org/10.3389/fnins.2021.657714",
    )
    text = text.replace("url: https://drugcentral.org/", "url: https://drug central/")
    sources.write_text(text)
    problems = "\n".join(_messages(knowledge_copy))
    assert f"sources.yaml:{_lines_of(sources, 'http://doi')}: URL must use https" in problems
    assert f"sources.yaml:{_lines_of(sources, 'drug central')}: malformed URL" in problems


def test_empty_answer_and_too_few_variants(knowledge_copy: Path) -> None:
    faq = knowledge_copy / "faq" / "basics.yaml"
    text = faq.read_text().replace(
        "    answer: >-\n      The bot cannot advise on doses: ask your doctor or psychiatrist.\n",
        '    answer: "  "\n',
    )
    text = text.replace("      - dosage advice\n      - how often should i take it\n", "")
    faq.write_text(text)
    problems = "\n".join(_messages(knowledge_copy))
    assert "'answer' is empty" in problems
    # Too few variants is only a warning: it is listed, but it is not what stops the loading.
    assert "variant" not in problems
    warnings = [str(w) for w in validate(knowledge_copy).warnings]
    assert any(
        ": warning: entry 'dosing-ask-your-doctor': 3 variant(s); at least 5" in w for w in warnings
    ), warnings


def test_answer_too_long_for_one_message(knowledge_copy: Path) -> None:
    faq = knowledge_copy / "faq" / "basics.yaml"
    long_answer = "Ketamine & <tags> " * 300
    text = faq.read_text().replace(
        "      The bot cannot advise on doses: ask your doctor or psychiatrist.",
        f"      {long_answer}",
    )
    faq.write_text(text)
    problems = "\n".join(_messages(knowledge_copy))
    assert "renders to" in problems and "Telegram allows 4096" in problems


def test_collision_names_the_variant_line(knowledge_copy: Path) -> None:
    faq = knowledge_copy / "faq" / "basics.yaml"
    # A maintainer pastes a variant of "what is ketamine" into the mechanism entry.
    text = faq.read_text().replace(
        "      - glutamate\n", "      - glutamate\n      - what kind of drug is ketamine?\n"
    )
    faq.write_text(text)
    problems = _messages(knowledge_copy)
    pasted = next(
        n for n, line in enumerate(text.splitlines(), 1) if "what kind of drug is ketamine?" in line
    )
    assert any(
        p.startswith(f"{faq}:{pasted}: collision:") or f"basics.yaml:{pasted}: collision" in p
        for p in problems
    )


def test_eval_file_with_unknown_entry(knowledge_copy: Path) -> None:
    eval_file = knowledge_copy / "eval.yaml"
    eval_file.write_text(
        eval_file.read_text().replace("expect: nmda-mechanism", "expect: no-such-entry")
    )
    problems = "\n".join(_messages(knowledge_copy))
    assert (
        f"eval.yaml:{_lines_of(eval_file, 'no-such-entry')}: unknown entry 'no-such-entry'"
        in problems
    )


def test_bad_regex_in_safety(knowledge_copy: Path) -> None:
    safety = knowledge_copy / "safety.yaml"
    safety.write_text(safety.read_text().replace("- '\\bsuicid'", "- '(unclosed'"))
    problems = "\n".join(_messages(knowledge_copy))
    assert f"safety.yaml:{_lines_of(safety, '(unclosed')}: invalid regular expression" in problems


def test_shipped_knowledge_is_valid() -> None:
    result = validate(REPO_KNOWLEDGE_DIR)
    assert result.ok, "\n".join(str(p) for p in result.problems)


def test_syntax_error_comes_first_and_references_into_the_broken_file_are_not_unknown(
    knowledge_copy: Path,
) -> None:
    faq = knowledge_copy / "faq"
    (faq / "more.yaml").write_text(
        "entries:\n  - id: extra-entry\n    topic: [broken\n"  # a syntax error
    )
    basics = faq / "basics.yaml"
    basics.write_text(basics.read_text().replace("related: [", "related: [extra-entry, ", 1))
    problems = _messages(knowledge_copy)
    assert "YAML syntax error" in problems[0] and "more.yaml" in problems[0]
    assert not [p for p in problems if "unknown related entry 'extra-entry'" in p]


def test_duplicate_id_names_both_places_and_blames_the_later(knowledge_copy: Path) -> None:
    faq = knowledge_copy / "faq"
    basics = faq / "basics.yaml"
    first_line = _lines_of(basics, "id: what-is-ketamine")
    (faq / "zz-later.yaml").write_text(
        basics.read_text()
        .replace("id: what-is-esketamine", "id: copy-one")
        .replace("id: nmda-mechanism", "id: copy-two")
    )
    problems = [p for p in _messages(knowledge_copy) if "duplicate id 'what-is-ketamine'" in p]
    assert problems, _messages(knowledge_copy)
    assert "zz-later.yaml:" in problems[0].split(": duplicate")[0]
    assert f"basics.yaml:{first_line}" in problems[0]
