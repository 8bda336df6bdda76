"""The knowledge is read with libyaml, fast, and every value still knows its line."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot import yamlsource
from bot.yamlsource import LineDict, LineList, Problem, read_yaml
from tests.conftest import FIXTURE_KNOWLEDGE

SAMPLE = """\
entries:
  - id: first
    count: 3
    ratio: 2.5
    flag: true
    empty:
    quoted: "12"
    variants:
      - one
      - >-
        folded
        text
  - id: second
"""


def _read(tmp_path: Path, text: str) -> tuple[object, list[Problem]]:
    path = tmp_path / "sample.yaml"
    path.write_text(text, encoding="utf-8")
    problems: list[Problem] = []
    return read_yaml(path, "sample.yaml", problems), problems


def test_libyaml_parses_when_pyyaml_has_it() -> None:
    if yaml.__with_libyaml__:
        assert yamlsource._Loader is yaml.CSafeLoader


def test_values_and_lines_come_through(tmp_path: Path) -> None:
    data, problems = _read(tmp_path, SAMPLE)
    assert not problems
    assert isinstance(data, LineDict)
    entries = data["entries"]
    assert isinstance(entries, LineList) and entries.item_lines == [2, 13]
    first = entries[0]
    assert first.line == 2 and first.line_of("variants") == 8
    assert (first["count"], first["ratio"], first["flag"], first["empty"]) == (3, 2.5, True, None)
    assert first["quoted"] == "12"
    assert first["variants"] == ["one", "folded text"]
    assert first["variants"].item_lines == [9, 10]


def test_same_values_as_pyyaml_for_every_fixture_file() -> None:
    for path in sorted(FIXTURE_KNOWLEDGE.rglob("*.yaml")):
        data = read_yaml(path, path.name, [])
        assert data == yaml.safe_load(path.read_text(encoding="utf-8")), path


def test_duplicate_key_is_reported_with_its_line(tmp_path: Path) -> None:
    _, problems = _read(tmp_path, "a: 1\nb: 2\na: 3\n")
    assert [str(p) for p in problems] == ["sample.yaml:3: duplicate key 'a'"]


def test_syntax_error_names_the_line_in_plain_words(tmp_path: Path) -> None:
    data, problems = _read(tmp_path, "a: [1, 2\nb: c\n")
    assert data is None
    assert [str(p) for p in problems] == [
        "sample.yaml:2: YAML syntax error: expected ',' or ']', but got ':'"
    ]
