"""`python -m bot run` as a process: it answers, and SIGINT / SIGTERM stop it with exit code 0."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.botharness import bot_process, stop_process
from tests.conftest import FIXTURE_KNOWLEDGE
from tests.fakebotapi import FakeBotAPI


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_run_answers_and_stops_cleanly(
    fake_api: FakeBotAPI, tmp_path: Path, stop_signal: int
) -> None:
    with bot_process(fake_api, tmp_path / "data", LOG_LEVEL="INFO") as process:
        fake_api.wait_for("getUpdates", timeout=30, include_failed=True)
        fake_api.private_text("what is esketamine")
        [sent] = fake_api.wait_for("sendMessage", timeout=30)
        assert "esketamine" in sent["text"].lower() and "https://" in sent["text"]
        time.sleep(0.2)
        stderr = stop_process(process, stop_signal)
    assert process.returncode == 0, stderr
    assert fake_api.token not in stderr
    assert fake_api.token.split(":")[1] not in stderr
    assert "Traceback" not in stderr
    assert fake_api.confirmed_offset >= 2  # the answered update was confirmed before exit


def test_bare_server_url_works_too(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    """TELEGRAM_API_BASE_URL may be given with or without the trailing /bot."""
    bare = fake_api.base_url.removesuffix("/bot")
    with bot_process(fake_api, tmp_path, FIXTURE_KNOWLEDGE, TELEGRAM_API_BASE_URL=bare) as process:
        fake_api.private_text("spravato?")
        [sent] = fake_api.wait_for("sendMessage", timeout=30)
        assert "Spravato" in sent["text"]
        stop_process(process)
    assert process.returncode == 0
