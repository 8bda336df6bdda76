"""YAML reading that remembers where each value came from, so problems can name path:line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the knowledge, located for a maintainer's editor. A warning is
    advice (the knowledge still loads); anything else stops it loading."""

    path: str
    line: int
    message: str
    warning: bool = False

    def __str__(self) -> str:
        kind = "warning: " if self.warning else ""
        return f"{self.path}:{self.line}: {kind}{self.message}"


class LineDict(dict[str, Any]):
    """A mapping that also knows the line of each key (1-based) and of itself."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A sequence that also knows the line of each item (1-based) and of itself."""

    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


# libyaml's parser (C) when PyYAML was built with it: it keeps every node's line mark through
# compose, as the pure-Python one does, and parses about ten times faster.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR_TAG = "tag:yaml.org,2002:str"


def read_yaml(path: Path, display: str, problems: list[Problem]) -> Any:
    """Parse one YAML file into LineDict/LineList/scalars.

    Syntax errors and duplicate keys are appended to `problems`; a file with a syntax error
    yields None so the caller can go on checking the other files.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(display, 1, f"cannot read file: {exc}"))
        return None
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        reason = exc.problem or str(exc)
        problems.append(Problem(display, line, f"YAML syntax error: {reason}"))
        return None
    except yaml.YAMLError as exc:
        problems.append(Problem(display, 1, f"YAML error: {exc}"))
        return None
    if node is None:
        return None
    return _Converter(display, problems).convert(node)


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError:
        if _Loader is yaml.SafeLoader:
            raise
    # A broken file: the pure-Python parser again, for its plainer wording of the problem
    # ("expected ',' or ']', but got ':'"); it stops at the same place.
    return yaml.compose(text, Loader=yaml.SafeLoader)


class _Converter:
    """Turns composed nodes into line-tracked values. Text scalars (nearly all of an FAQ) are
    taken as they are; only other scalars (numbers, booleans, null) go to PyYAML's constructor."""

    def __init__(self, display: str, problems: list[Problem]) -> None:
        self.display = display
        self.problems = problems
        self.constructor = yaml.constructor.SafeConstructor()

    def scalar(self, node: yaml.Node) -> Any:
        if node.tag == _STR_TAG and isinstance(node, yaml.ScalarNode):
            return node.value
        return self.constructor.construct_object(node, deep=True)

    def convert(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            result = LineDict()
            result.line = line
            result.key_lines = {}
            for key_node, value_node in node.value:
                key = self.scalar(key_node)
                key_line = key_node.start_mark.line + 1
                if not isinstance(key, str):
                    key = str(key)
                if key in result:
                    # PyYAML silently keeps the last duplicate; a maintainer needs to know.
                    self.problems.append(Problem(self.display, key_line, f"duplicate key '{key}'"))
                    continue
                result[key] = self.convert(value_node)
                result.key_lines[key] = key_line
            return result
        if isinstance(node, yaml.SequenceNode):
            items = LineList()
            items.line = line
            items.item_lines = [item.start_mark.line + 1 for item in node.value]
            items.extend(self.convert(item) for item in node.value)
            return items
        return self.scalar(node)
