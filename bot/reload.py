"""Knowing when the knowledge files changed, and loading them without trusting a broken edit."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bot.engine import Engine
from bot.semantic import SemanticModel
from bot.validate import validate
from bot.yamlsource import Problem

Signature = tuple[tuple[str, int, int], ...]


def knowledge_signature(directory: Path) -> Signature:
    """Names, sizes and modification times of every file under the folder: cheap to compare."""
    entries: list[tuple[str, int, int]] = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or name.endswith(("~", ".swp", ".tmp")):
                continue  # editors' scratch files are not knowledge
            path = Path(root, name)
            try:
                stat = path.stat()
            except OSError:
                continue  # removed between listing and stat: the next look sees it
            entries.append((str(path.relative_to(directory)), stat.st_mtime_ns, stat.st_size))
    return tuple(entries)


@dataclass(frozen=True)
class ReloadResult:
    engine: Engine | None  # the new engine, or None when the edit is rejected
    problems: list[Problem]


def load_engine(directory: Path, semantic: SemanticModel | None = None) -> ReloadResult:
    """A new engine when the folder validates (collisions included); otherwise the problems."""
    result = validate(directory, semantic=semantic)
    if not result.ok:
        return ReloadResult(None, result.problems)
    return ReloadResult(result.engine, [])
