"""YAML reading that remembers where each value came from, so problems can name path:line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the knowledge, located for a maintainer's editor."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


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
        node = yaml.compose(text, Loader=yaml.SafeLoader)
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
    return _convert(node, display, problems, yaml.SafeLoader(""))


def _convert(
    node: yaml.Node, display: str, problems: list[Problem], loader: yaml.SafeLoader
) -> Any:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result = LineDict()
        result.line = line
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            key_line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                key = str(key)
            if key in result:
                # PyYAML silently keeps the last duplicate; a maintainer needs to know.
                problems.append(Problem(display, key_line, f"duplicate key '{key}'"))
                continue
            result[key] = _convert(value_node, display, problems, loader)
            result.key_lines[key] = key_line
        return result
    if isinstance(node, yaml.SequenceNode):
        items = LineList()
        items.line = line
        items.item_lines = []
        for item in node.value:
            items.append(_convert(item, display, problems, loader))
            items.item_lines.append(item.start_mark.line + 1)
        return items
    return loader.construct_object(node, deep=True)
