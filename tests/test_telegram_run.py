"""`python -m bot run` as a process: it answers, and SIGINT / SIGTERM stop it with exit code 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_KNOWLEDGE
from tests.fakebotapi import FakeBotAPI

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_run_answers_and_stops_cleanly(
    fake_api: FakeBotAPI, tmp_path: Path, stop_signal: int
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("KNOWLEDGE_DIR", "WEBHOOK_URL")}
    env.update(
        TELEGRAM_BOT_TOKEN=fake_api.token,
        TELEGRAM_API_BASE_URL=fake_api.base_url,
        DATA_DIR=str(tmp_path / "data"),
        LOG_LEVEL="INFO",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        fake_api.wait_for("getUpdates", timeout=30, include_failed=True)
        fake_api.private_text("what is esketamine")
        [sent] = fake_api.wait_for("sendMessage", timeout=30)
        assert "esketamine" in sent["text"].lower() and "https://" in sent["text"]
        time.sleep(0.2)
        process.send_signal(stop_signal)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert fake_api.token not in stderr
    assert fake_api.token.split(":")[1] not in stderr
    assert "Traceback" not in stderr
    assert fake_api.confirmed_offset >= 2  # the answered update was confirmed before exit


def test_bare_server_url_works_too(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    """TELEGRAM_API_BASE_URL may be given with or without the trailing /bot."""
    env = {k: v for k, v in os.environ.items() if k != "KNOWLEDGE_DIR"}
    env.update(
        TELEGRAM_BOT_TOKEN=fake_api.token,
        TELEGRAM_API_BASE_URL=fake_api.base_url.removesuffix("/bot"),
        DATA_DIR=str(tmp_path / "data"),
        KNOWLEDGE_DIR=str(FIXTURE_KNOWLEDGE),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], cwd=REPO, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        fake_api.private_text("spravato?")
        [sent] = fake_api.wait_for("sendMessage", timeout=30)
        assert "Spravato" in sent["text"]
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
