"""Prometheus metrics on their own port: replies by kind, latency, Telegram errors, reloads,
entries; never a question's text or anything about a user."""

from __future__ import annotations

import re
import shutil
import time
import urllib.request
from pathlib import Path

import pytest

from tests.botharness import bot_process, stop_process
from tests.conftest import FIXTURE_KNOWLEDGE
from tests.fakebotapi import FakeBotAPI
from tests.test_webhook import _free_port

pytest.importorskip("prometheus_client", reason="pip install '.[metrics]'")


def _scrape(port: int) -> str:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
                return response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _value(metrics: str, series: str) -> float:
    """The value of one series, e.g. 'faqbot_replies_total{kind="answer"}'; 0 when absent."""
    values = dict(line.rsplit(" ", 1) for line in metrics.splitlines() if not line.startswith("#"))
    return float(values.get(series, 0.0))


def test_metrics_count_replies_errors_and_reloads_and_hold_no_text(
    fake_api: FakeBotAPI, tmp_path: Path
) -> None:
    port = _free_port()
    knowledge = tmp_path / "knowledge"
    shutil.copytree(FIXTURE_KNOWLEDGE, knowledge)
    secret_question = "zebra quartz umbrella"  # nothing the FAQ knows: a fallback
    with bot_process(
        fake_api, tmp_path / "data", knowledge, METRICS_PORT=str(port), ADMIN_USER_IDS="4242"
    ) as process:
        fake_api.private_text("what is esketamine")
        fake_api.wait_for("sendMessage", timeout=30)
        fake_api.inject("sendMessage", "429", times=1, retry_after=1)  # retried, then sent
        fake_api.private_text(secret_question, user_id=1002)
        fake_api.wait_for("sendMessage", count=2, timeout=30)
        fake_api.private_text("/reload", user_id=4242)
        fake_api.wait_for("sendMessage", count=3, timeout=30)
        metrics = _scrape(port)
        stderr = stop_process(process)
    assert process.returncode == 0, stderr
    assert _value(metrics, 'faqbot_replies_total{kind="answer"}') == 1
    assert _value(metrics, 'faqbot_replies_total{kind="fallback"}') == 1
    assert _value(metrics, "faqbot_answer_seconds_count") == 2
    assert _value(metrics, 'faqbot_reloads_total{result="ok"}') == 1
    assert _value(metrics, 'faqbot_telegram_errors_total{type="http_429"}') == 1
    assert _value(metrics, "faqbot_entries") == 4
    # Nothing a user wrote, and no ids, anywhere in the metrics.
    for private in (secret_question, "zebra", "esketamine", fake_api.token):
        assert private not in metrics
    # An id as a number of its own: a timestamp such as 1.796139491001e+09 may hold its digits.
    numbers = set(re.findall(r"[\w.+-]+", metrics))
    assert not numbers & {"1001", "1002"}
