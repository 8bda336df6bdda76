"""The unanswered-questions queue: what is kept (and what never is), retention, grouping."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from telegram.ext import Application

from bot.engine import Engine
from bot.maintenance import group_questions, stats_text, unanswered_text
from bot.store import NullStore, Store, mask_personal_details
from tests.botharness import bot_settings, run_with_bot
from tests.conftest import FIXTURE_KNOWLEDGE
from tests.fakebotapi import FakeBotAPI

REPO = Path(__file__).resolve().parent.parent
USER_ID, GROUP_ID = 987654321, -1009876543


def _all_cells(db_path: Path) -> list[object]:
    with sqlite3.connect(db_path) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return [
            cell for table in tables for row in db.execute(f"SELECT * FROM {table}") for cell in row
        ]


def test_unanswered_question_is_listed_without_any_identifier(
    fake_api: FakeBotAPI, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"

    async def scenario(app: Application) -> None:
        fake_api.private_text(
            "does my health insurance pay for the treatment", user_id=USER_ID, first_name="Zelda"
        )
        fake_api.private_text(
            "will my health insurance pay for ketamine treatment",
            user_id=USER_ID,
            first_name="Zelda",
        )
        fake_api.group_text(
            "@KetamineFaqBot is the weather good for a walk", chat_id=GROUP_ID, user_id=USER_ID
        )
        await fake_api.await_for("sendMessage", count=3)

    settings = bot_settings(fake_api, data_dir, knowledge=FIXTURE_KNOWLEDGE)
    run_with_bot(fake_api, settings, scenario)

    env = {**os.environ, "DATA_DIR": str(data_dir), "KNOWLEDGE_DIR": str(FIXTURE_KNOWLEDGE)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "unanswered"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "does my health insurance pay for the treatment" in result.stdout
    assert "is the weather good for a walk" in result.stdout
    assert "@KetamineFaqBot" not in result.stdout  # masked before storing
    lines = result.stdout.splitlines()
    assert lines[0].startswith("2 x")  # the two insurance questions form the biggest group

    cells = _all_cells(data_dir / "bot.sqlite3")
    for identifier in (USER_ID, GROUP_ID, str(USER_ID), str(GROUP_ID), fake_api.username):
        assert identifier not in cells
    assert not any(isinstance(c, str) and ("Zelda" in c or str(USER_ID) in c) for c in cells)
    for path in data_dir.iterdir():  # the WAL and shared-memory files too
        raw = path.read_bytes()
        assert b"Zelda" not in raw and str(USER_ID).encode() not in raw

    csv_result = subprocess.run(
        [sys.executable, "-m", "bot", "unanswered", "--csv", "--days", "7"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )
    assert (
        csv_result.stdout.splitlines()[0]
        == "group,count,nearest_entry,nearest_score,advice,example"
    )


def test_answers_are_not_logged_and_log_can_be_off(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    async def scenario(app: Application) -> None:
        fake_api.private_text("what is esketamine")
        fake_api.private_text("bitcoin price")
        await fake_api.await_for("sendMessage", count=2)

    run_with_bot(
        fake_api, bot_settings(fake_api, tmp_path / "on", knowledge=FIXTURE_KNOWLEDGE), scenario
    )
    questions = [c for c in _all_cells(tmp_path / "on" / "bot.sqlite3") if isinstance(c, str)]
    assert "bitcoin price" in questions and "what is esketamine" not in questions

    with FakeBotAPI() as api:

        async def quiet(app: Application) -> None:
            api.private_text("bitcoin price")
            await api.await_for("sendMessage")

        settings = bot_settings(
            api, tmp_path / "off", knowledge=FIXTURE_KNOWLEDGE, QUESTION_LOG="off"
        )
        run_with_bot(api, settings, quiet)
    # Off means the null store: no database is even created.
    assert not (tmp_path / "off" / "bot.sqlite3").exists()


def test_retention_deletes_old_questions(tmp_path: Path) -> None:
    store = Store.in_dir(tmp_path, retention_days=30)
    now = datetime(2026, 6, 1, 12, 30, tzinfo=UTC)
    store.record_unanswered("old one", when=now - timedelta(days=31))
    store.record_unanswered("new one", when=now - timedelta(days=2))
    assert store.purge_old(now=now) == 1
    rows = store.unanswered()
    assert [r.question for r in rows] == ["new one"]
    assert rows[0].asked_hour == "2026-05-30T12:00Z"  # the hour, not the second
    store.close()


def test_personal_details_are_masked() -> None:
    text = "I'm @ann_b, mail ann@example.com or call +44 20 7946 0958, see https://x.y/z, is ketamine safe?"
    masked = mask_personal_details(text)
    assert masked == "I'm [user], mail [email] or call [number], see [link] is ketamine safe?"
    assert len(mask_personal_details("x" * 5000)) == 500


def test_grouping_suggests_variant_or_new_entry(fixture_engine: Engine, tmp_path: Path) -> None:
    store = Store.in_dir(tmp_path)
    for question in [
        "what is the nasal spray called",
        "whats the nasal spray called",
        "nasal spray name?",
        "bitcoin price",
    ]:
        store.record_unanswered(question)
    groups = group_questions(store.unanswered(), fixture_engine)
    assert [len(g.rows) for g in groups] == [3, 1]
    assert groups[0].nearest_entry == "what-is-esketamine"
    assert "variant of 'what-is-esketamine'" in groups[0].advice(fixture_engine)
    assert "new entry" in groups[1].advice(fixture_engine)
    store.close()


def test_only_the_hour_and_the_question_are_kept(tmp_path: Path) -> None:
    """A database from an earlier version loses its unread columns (score, entry, chat type)."""
    path = tmp_path / "bot.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE unanswered (id INTEGER PRIMARY KEY, asked_hour TEXT NOT NULL, "
        "question TEXT NOT NULL, kind TEXT NOT NULL, best_score REAL, best_entry TEXT, "
        "chat_type TEXT NOT NULL);"
        "INSERT INTO unanswered VALUES (1, '2026-05-30T12:00Z', 'old question', 'fallback', "
        "10.0, NULL, 'private');"
    )
    old.close()
    store = Store(path)
    assert [r.question for r in store.unanswered()] == ["old question"]
    store.record_unanswered("new question")
    store.close()
    columns = [row[1] for row in sqlite3.connect(path).execute("PRAGMA table_info(unanswered)")]
    assert columns == ["id", "asked_hour", "question"]


def test_log_off_reports_say_so(fixture_engine: Engine) -> None:
    store = NullStore()
    store.record_unanswered("bitcoin price")
    assert "QUESTION_LOG=off" in unanswered_text(fixture_engine, store)
    assert stats_text(fixture_engine, store).startswith("The question log is off")
