"""The docs cannot drift: commands they show exist, settings are documented, Dockerfile lints."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import build_parser

REPO = Path(__file__).resolve().parent.parent
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def _documented_commands() -> list[tuple[Path, str]]:
    found = []
    for doc in DOCS:
        for match in re.finditer(r"python -m bot(?: [^`\n|]*)?", doc.read_text()):
            found.append((doc, match.group(0).strip()))
    return found


def test_docs_show_commands() -> None:
    assert len(_documented_commands()) >= 8


@pytest.mark.parametrize(("doc", "command"), _documented_commands(), ids=lambda v: str(v)[-60:])
def test_every_documented_command_parses(doc: Path, command: str) -> None:
    if command.endswith("bot ..."):
        return  # prose: "python -m bot ..." stands for any command
    # Placeholders as the docs write them: [optional], N for a number, ... for text.
    words = shlex.split(
        command.replace("[", "").replace("]", "").replace("...", "x"), comments=True
    )[3:]
    words = ["7" if w == "N" else w for w in words]
    try:
        build_parser().parse_args(words)
    except SystemExit as error:
        raise AssertionError(f"{doc.name}: `{command}` is not a valid command") from error


def test_readme_quick_start_matches_makefile_and_ci() -> None:
    readme = (REPO / "README.md").read_text()
    makefile = (REPO / "Makefile").read_text()
    assert "make run" in readme and "make test" in readme
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (REPO / ".ci" / "run").read_text()
    # `make run` must fall back to the console chat without a token, so it runs plain `-m bot`
    # (the `run` subcommand insists on a token).
    run_recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert run_recipe and re.search(r"-m bot\s*$", run_recipe.group(1), re.M), makefile


def test_every_setting_is_documented() -> None:
    names = set(
        re.findall(
            r'(?:env\.get\(|env, )"([A-Z][A-Z_]+)"', (REPO / "bot" / "config.py").read_text()
        )
    )
    example = (REPO / ".env.example").read_text()
    readme = (REPO / "README.md").read_text()
    assert names, "no settings found"
    for name in names:
        assert re.search(rf"^{name}=", example, re.M), f"{name} missing from .env.example"
        assert name in readme, f"{name} missing from README.md"


def test_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    result = subprocess.run(
        [hadolint, str(REPO / "Dockerfile")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    dockerfile = (REPO / "Dockerfile").read_text()
    assert 'CMD ["python", "-m", "bot", "run"]' in dockerfile
    assert re.search(r"^USER (?!root|0\b)", dockerfile, re.M)
    assert "COPY knowledge" in dockerfile


def test_no_secrets_in_the_repo() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True
    ).stdout.split()
    assert ".env" not in tracked
    token = re.compile(r"\b\d{8,10}:[A-Za-z0-9_-]{35}\b")
    for name in tracked:
        path = REPO / name
        if path.is_file() and path.suffix in (".py", ".md", ".yaml", ".toml", ".example", ""):
            assert not token.search(path.read_text(errors="ignore")), (
                f"something like a bot token in {name}"
            )
