"""Health: `GET /healthz` in webhook mode and `python -m bot health` (Docker's HEALTHCHECK)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

from bot.health import Health, verdict_from_file
from tests.botharness import bot_process, stop_process
from tests.conftest import FIXTURE_KNOWLEDGE
from tests.fakebotapi import FakeBotAPI
from tests.test_cli import run_cli
from tests.test_webhook import SECRET, _free_port, _post


def _get(url: str) -> tuple[int, dict[str, object]]:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return int(response.status), json.loads(response.read())
        except urllib.error.HTTPError as error:
            return int(error.code), json.loads(error.read())
        except (ConnectionError, urllib.error.URLError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _wait_status(url: str, status: int) -> dict[str, object]:
    deadline = time.monotonic() + 30
    while True:
        code, body = _get(url)
        if code == status or time.monotonic() > deadline:
            assert code == status, body
            return body
        time.sleep(0.1)


def test_healthz_follows_the_bot_api_and_the_health_command_agrees(
    fake_api: FakeBotAPI, tmp_path: Path
) -> None:
    port = _free_port()
    env = {
        "WEBHOOK_URL": "https://bot.example.invalid/telegram-hook",
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_LISTEN": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
    }
    health = f"http://127.0.0.1:{port}/healthz"
    hook = f"http://127.0.0.1:{port}/telegram-hook"
    with bot_process(fake_api, tmp_path, FIXTURE_KNOWLEDGE, **env) as process:
        fake_api.wait_for("setWebhook", timeout=30)
        body = _wait_status(health, 200)
        assert body["healthy"] is True and body["entries"] == 4
        cli_env = {**env, "DATA_DIR": str(tmp_path)}
        assert run_cli("health", env=cli_env).returncode == 0
        # Telegram starts failing: every try of sendMessage gets a 500.
        fake_api.inject("sendMessage", "500", times=20)
        assert _post(hook, fake_api.private_text("what is esketamine"), SECRET) == 200
        body = _wait_status(health, 503)
        assert body["last_api_call_ok"] is False
        assert run_cli("health", env=cli_env).returncode == 1
        # ...and recovers: the next successful call makes the bot healthy again.
        fake_api.clear_faults()
        assert _post(hook, fake_api.private_text("what is ketamine"), SECRET) == 200
        _wait_status(health, 200)
        stderr = stop_process(process)
    assert process.returncode == 0, stderr


def test_health_command_in_polling_mode_reads_the_state_the_bot_writes(tmp_path: Path) -> None:
    env = {"DATA_DIR": str(tmp_path)}
    missing = run_cli("health", env=env)
    assert missing.returncode == 1 and "is the bot running" in missing.stderr
    state = Health(path=tmp_path / "health.json")
    state.knowledge_loaded(12)
    state.api_call(ok=True)
    assert run_cli("health", env=env).returncode == 0
    state.api_call(ok=False)
    assert run_cli("health", env=env).returncode == 1
    # A bot that stopped calling Telegram (hung) is unhealthy too, even if its last call was ok.
    state.api_call(ok=True)
    healthy, why = verdict_from_file(tmp_path / "health.json", now=time.time() + 600)
    assert not healthy and "no Bot API call" in why
