"""Webhook mode: WEBHOOK_URL set, updates arrive by HTTP POST carrying the secret token."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.botharness import bot_process, stop_process
from tests.conftest import FIXTURE_KNOWLEDGE
from tests.fakebotapi import FakeBotAPI

SECRET = "test-secret_123"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _post(url: str, update: dict, secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(
        url, data=json.dumps(update).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_webhook_mode_checks_the_secret_and_answers(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    port = _free_port()
    webhook = {
        "WEBHOOK_URL": "https://bot.example.invalid/telegram-hook",  # only told to the fake API
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_LISTEN": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
    }
    with bot_process(fake_api, tmp_path, FIXTURE_KNOWLEDGE, **webhook) as process:
        [registered] = fake_api.wait_for("setWebhook", timeout=30)
        assert registered["url"] == "https://bot.example.invalid/telegram-hook"
        assert registered["secret_token"] == SECRET
        url = f"http://127.0.0.1:{port}/telegram-hook"
        message = {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": 1001, "type": "private"},
            "from": {"id": 1001, "is_bot": False, "first_name": "Ann"},
            "text": "what is esketamine",
        }
        deadline = time.monotonic() + 20
        while True:  # the server needs a moment after setWebhook
            try:
                status = _post(url, {"update_id": 7, "message": message}, "wrong-secret")
                break
            except (ConnectionError, urllib.error.URLError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert status == 403
        assert _post(url, {"update_id": 8, "message": message}, SECRET) == 200
        [sent] = fake_api.wait_for("sendMessage", timeout=20)
        assert sent["text"].startswith("<b>What is esketamine")
        stderr = stop_process(process)
    assert process.returncode == 0, stderr
    assert len(fake_api.sent_messages()) == 1  # the update with the wrong secret was refused
    assert SECRET not in stderr and fake_api.token not in stderr
