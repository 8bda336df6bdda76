"""The PostgreSQL store keeps the SQLite store's promises: same rows, masks, retention, counts."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import ConfigError, load_settings
from bot.store import open_store, vote_key
from tests.postgres import database_url

__all__ = ["database_url"]  # the fixture, used by name

pytest.importorskip("psycopg", reason="pip install '.[postgres]'")
from bot.store_postgres import MIGRATIONS, PostgresStore


def test_questions_are_masked_kept_by_the_hour_and_purged(database_url: str) -> None:
    store = PostgresStore(database_url, retention_days=30)
    now = datetime(2026, 12, 1, 9, 41, tzinfo=UTC)
    store.record_unanswered(
        "mail me at ann@example.org or call +44 20 7946 0958", when=now - timedelta(days=40)
    )
    store.record_unanswered("is ketamine vegan", when=now)
    rows = store.unanswered(now=now)
    assert [row.question for row in rows] == [
        "mail me at [email] or call [number]",
        "is ketamine vegan",
    ]
    assert rows[1].asked_hour == "2026-12-01T09:00Z"  # the hour, never the second
    assert [row.question for row in store.unanswered(days=7, now=now)] == ["is ketamine vegan"]
    assert store.purge_old(now=now) == 1
    assert [row.question for row in store.unanswered(now=now)] == ["is ketamine vegan"]
    store.close()


def test_with_the_question_log_off_no_database_is_opened(database_url: str) -> None:
    settings = load_settings(
        environ={"DATABASE_URL": database_url, "QUESTION_LOG": "off"}, dotenv=None
    )
    store = open_store(
        settings.data_dir,
        settings.question_log_days,
        settings.question_log,
        settings.database_url,
    )
    assert not store.keeps_records and not isinstance(store, PostgresStore)


def test_two_replicas_count_into_the_same_rows_and_a_vote_once(database_url: str) -> None:
    first, second = PostgresStore(database_url), PostgresStore(database_url)
    key = vote_key("token", chat_id=1001, message_id=7)
    threads = [
        threading.Thread(target=store.count_answer, args=("what-is-esketamine",))
        for store in (first, second) * 10
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # The same answer message voted on both replicas (a double press split by the balancer).
    assert first.count_vote("what-is-esketamine", True, vote_key=key) is True
    assert second.count_vote("what-is-esketamine", False, vote_key=key) is False
    counts = second.entry_counts()["what-is-esketamine"]
    assert (counts.answered, counts.helpful, counts.not_helpful) == (20, 1, 0)
    first.close()
    second.close()


def test_an_older_schema_is_migrated_at_start_and_keeps_its_rows(database_url: str) -> None:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as db:
        db.execute("CREATE TABLE schema_version (steps INTEGER NOT NULL)")
        db.execute("INSERT INTO schema_version VALUES (1)")
        db.execute(MIGRATIONS[0])
        db.execute("INSERT INTO entry_counts (entry_id, answered) VALUES ('old-entry', 3)")
    store = PostgresStore(database_url)
    assert store.count_vote("old-entry", True, vote_key="k") is True  # votes_seen now exists
    assert store.entry_counts()["old-entry"].answered == 3
    with psycopg.connect(database_url) as db:
        assert db.execute("SELECT steps FROM schema_version").fetchone() == (len(MIGRATIONS),)
    store.close()


def test_database_url_picks_postgres_and_a_bad_one_is_refused(database_url: str) -> None:
    settings = load_settings(environ={"DATABASE_URL": database_url}, dotenv=None)
    store = open_store(
        settings.data_dir,
        settings.question_log_days,
        settings.question_log,
        settings.database_url,
    )
    assert isinstance(store, PostgresStore)
    store.close()
    with pytest.raises(ConfigError, match="postgresql://") as refused:
        load_settings(environ={"DATABASE_URL": "mysql://u:secret@h/db"}, dotenv=None)
    assert "secret" not in str(refused.value)
