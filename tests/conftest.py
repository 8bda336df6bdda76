"""Shared fixtures: the small fixture knowledge, the shipped knowledge, and engines over them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.knowledge import load_knowledge
from tests.fakebotapi import FakeBotAPI

REPO_KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"

FIXTURE_KNOWLEDGE = Path(__file__).parent / "fixtures" / "knowledge"


@pytest.fixture(scope="session")
def fixture_engine() -> Engine:
    return Engine(load_knowledge(FIXTURE_KNOWLEDGE))


@pytest.fixture(scope="session")
def shipped_engine() -> Engine:
    return Engine(load_knowledge(REPO_KNOWLEDGE_DIR))


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A writable copy of the fixture knowledge, for tests that break it on purpose."""
    target = tmp_path / "knowledge"
    shutil.copytree(FIXTURE_KNOWLEDGE, target)
    return target


@pytest.fixture
def shipped_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped knowledge."""
    target = tmp_path / "knowledge"
    shutil.copytree(REPO_KNOWLEDGE_DIR, target)
    return target


@pytest.fixture
def fake_api() -> Iterator[FakeBotAPI]:
    """A fake Telegram Bot API on 127.0.0.1, stopped after the test."""
    with FakeBotAPI() as api:
        yield api
