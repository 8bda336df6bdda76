"""Two replicas in webhook mode behind one balancer share one PostgreSQL: nothing is counted
twice or lost, and either replica's maintainers' reports are the same."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
from pathlib import Path

from tests.botharness import REPO, bot_process, stop_process
from tests.conftest import FIXTURE_KNOWLEDGE
from tests.fakebotapi import FakeBotAPI
from tests.postgres import database_url
from tests.test_webhook import SECRET, _free_port, _post

__all__ = ["database_url"]  # the fixture, used by name


def _post_when_up(url: str, update: dict) -> int:
    deadline = time.monotonic() + 30
    while True:  # each server needs a moment after setWebhook
        try:
            return _post(url, update, SECRET)
        except (ConnectionError, urllib.error.URLError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _report(command: str, url: str, data_dir: Path) -> str:
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "DATA_DIR": str(data_dir),
        "KNOWLEDGE_DIR": str(FIXTURE_KNOWLEDGE),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", command],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_two_webhook_replicas_share_counts_and_the_question_log(
    fake_api: FakeBotAPI, tmp_path: Path, database_url: str
) -> None:
    ports = [_free_port(), _free_port()]
    replicas = []
    with (
        bot_process(
            fake_api, tmp_path / "a", FIXTURE_KNOWLEDGE, **_env(ports[0], database_url)
        ) as first,
        bot_process(
            fake_api, tmp_path / "b", FIXTURE_KNOWLEDGE, **_env(ports[1], database_url)
        ) as second,
    ):
        replicas = [first, second]
        fake_api.wait_for("setWebhook", count=2, timeout=30)
        urls = [f"http://127.0.0.1:{port}/telegram-hook" for port in ports]
        # Six users; the balancer sends each update to the next replica in turn.
        questions = ["what is esketamine", "is ketamine vegan", "what is esketamine"] * 2
        for number, question in enumerate(questions):
            update = fake_api.private_text(question, user_id=2000 + number)
            assert _post_when_up(urls[number % 2], update) == 200
        fake_api.wait_for("sendMessage", count=len(questions), timeout=30)
        answers = [m for m in fake_api.sent_messages() if "esketamine" in m["text"].lower()]
        # Every answer voted on once, and the first one pressed twice, on both replicas.
        votes = [(answers[0], urls[0]), (answers[0], urls[1])]
        votes += [(answer, urls[n % 2]) for n, answer in enumerate(answers[1:])]
        for answer, url in votes:
            chat = answer["chat"]["id"]
            press = fake_api.callback_query("v:what-is-esketamine:1", answer, user_id=chat)
            assert _post_when_up(url, press) == 200
        fake_api.wait_for("answerCallbackQuery", count=len(votes), timeout=30)
        for process in replicas:
            stderr = stop_process(process)
            assert process.returncode == 0, stderr
    stats = [_report("stats", database_url, tmp_path / name) for name in ("a", "b")]
    assert stats[0] == stats[1]
    [row] = [line for line in stats[0].splitlines() if line.startswith("what-is-esketamine ")]
    answered = len([q for q in questions if "esketamine" in q])
    assert row.split()[1:4] == [str(answered), str(len(answers)), "0"], stats[0]
    unanswered = [_report("unanswered", database_url, tmp_path / name) for name in ("a", "b")]
    assert unanswered[0] == unanswered[1]
    # One group, asked twice (once on each replica), each question stored once.
    assert unanswered[0].startswith("2 x ")
    assert unanswered[0].count("is ketamine vegan") == 1


def _env(port: int, url: str) -> dict[str, str]:
    return {
        "WEBHOOK_URL": "https://bot.example.invalid/telegram-hook",
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_LISTEN": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
        "DATABASE_URL": url,
    }
