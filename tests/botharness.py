"""Runs the real bot (python-telegram-bot and all) against the fake Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.config import Settings, load_settings
from bot.telegram.app import build_application
from bot.telegram.state import BotApplication, BotState
from tests.conftest import REPO_KNOWLEDGE_DIR
from tests.fakebotapi import FakeBotAPI

ADMIN_ID = 4242
REPO = Path(__file__).resolve().parent.parent
# Settings a developer's shell may have set; a bot started by a test gets only the test's own.
_BOT_VARIABLES = {
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_BASE_URL",
    "KNOWLEDGE_DIR",
    "DATA_DIR",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "WEBHOOK_LISTEN",
    "WEBHOOK_PORT",
    "ADMIN_USER_IDS",
}


def bot_settings(
    api: FakeBotAPI, data_dir: Path, knowledge: Path = REPO_KNOWLEDGE_DIR, **env: str
) -> Settings:
    environ = {
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "DATA_DIR": str(data_dir),
        "KNOWLEDGE_DIR": str(knowledge),
        "ADMIN_USER_IDS": str(ADMIN_ID),
        **env,
    }
    return load_settings(environ=environ, dotenv=None)


@contextlib.asynccontextmanager
async def running_bot(settings: Settings) -> AsyncIterator[Application]:
    """Start the bot as run_polling would (post_init included), stop it cleanly afterwards."""
    application = build_application(settings)
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)  # initialize() does not run it
    assert application.updater is not None
    await application.updater.start_polling(
        poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES
    )
    await application.start()
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)


def state_of(application: Application | BotApplication) -> BotState:
    state = application.bot_data.state  # type: ignore[union-attr]
    assert isinstance(state, BotState)
    return state


def run_with_bot(
    api: FakeBotAPI,
    settings: Settings,
    scenario: Callable[[Application], Coroutine[Any, Any, None]],
) -> None:
    """asyncio.run a scenario with the bot running (no pytest-asyncio needed)."""

    async def main() -> None:
        async with running_bot(settings) as application:
            await scenario(application)

    asyncio.run(main())


@contextlib.contextmanager
def bot_process(
    api: FakeBotAPI, data_dir: Path, knowledge: Path = REPO_KNOWLEDGE_DIR, **env: str
) -> Iterator[subprocess.Popen[str]]:
    """`python -m bot run` as an operator starts it, pointed at the fake Bot API."""
    environment = {k: v for k, v in os.environ.items() if k not in _BOT_VARIABLES}
    environment.update(
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_API_BASE_URL=api.base_url,
        DATA_DIR=str(data_dir),
        KNOWLEDGE_DIR=str(knowledge),
    )
    environment.update(env)  # the test's own settings win
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=REPO,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def stop_process(process: subprocess.Popen[str], stop_signal: int = signal.SIGTERM) -> str:
    """Send the signal, wait for the exit, return what the bot wrote to stderr."""
    process.send_signal(stop_signal)
    _, stderr = process.communicate(timeout=30)
    return stderr


async def until(condition: Callable[[], object], timeout: float) -> bool:
    """Wait, without blocking the bot's event loop, until `condition()` holds; False on timeout."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True
