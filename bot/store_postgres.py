"""PostgreSQL storage, for several replicas sharing one question log and one set of counts.

The same tables, retention and privacy rules as the SQLite store (bot/store.py): no user id,
chat id, name or username; questions masked and kept by the hour. Chosen by DATABASE_URL.
Tables are created, or migrated, at start; every write is one short autocommitted statement,
so replicas never see half a vote.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import psycopg

from bot.store import (
    EntryCounts,
    Store,
    UnansweredRow,
    _hour,
    mask_personal_details,
    unanswered_query,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

# Each step runs once, in order; the number of steps done is kept in schema_version. A later
# change of the schema is a new step at the end, never an edit of an old one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE IF NOT EXISTS unanswered (
        id BIGSERIAL PRIMARY KEY,
        asked_hour TEXT NOT NULL,
        question TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS unanswered_hour ON unanswered(asked_hour);
    CREATE TABLE IF NOT EXISTS entry_counts (
        entry_id TEXT PRIMARY KEY,
        answered BIGINT NOT NULL DEFAULT 0,
        helpful BIGINT NOT NULL DEFAULT 0,
        not_helpful BIGINT NOT NULL DEFAULT 0
    );
    """,
    # Which answer messages were voted on, as a keyed hash (never a chat id), so that a second
    # press on another replica is not counted again. Kept as long as the question log.
    """
    CREATE TABLE IF NOT EXISTS votes_seen (
        vote_key TEXT PRIMARY KEY,
        seen_hour TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS votes_seen_hour ON votes_seen(seen_hour);
    """,
)
_LOCK_ID = 727_001  # pg_advisory_xact_lock: two replicas starting at once migrate one at a time


class PostgresStore(Store):
    """One connection, reopened after a failure; calls are serialised like the SQLite store's."""

    def __init__(self, url: str, retention_days: int = 30) -> None:  # no file: a server
        self.url = url
        self.retention_days = retention_days
        self._lock = threading.Lock()
        self._pg: psycopg.Connection[Any] | None = None
        with self._lock:
            self._migrate(self._connection())

    def _connection(self) -> psycopg.Connection[Any]:
        if self._pg is None or self._pg.closed or self._pg.broken:
            self._pg = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        return self._pg

    def _migrate(self, db: psycopg.Connection[Any]) -> None:
        with db.transaction():
            db.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (steps INTEGER NOT NULL)")
            row = db.execute("SELECT steps FROM schema_version").fetchone()
            done = row[0] if row else 0
            if row is None:
                db.execute("INSERT INTO schema_version (steps) VALUES (0)")
            for step in MIGRATIONS[done:]:
                db.execute(step)
            if done < len(MIGRATIONS):
                db.execute("UPDATE schema_version SET steps = %s", (len(MIGRATIONS),))
                log.info("database schema at step %d", len(MIGRATIONS))

    def _run(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        """Run `work` on the connection, opening it first if the last one broke. A failure is not
        retried: the statement may have reached the server before the connection dropped, and a
        count must never be taken twice. The next call opens a fresh connection."""
        with self._lock:
            try:
                return work(self._connection())
            except psycopg.OperationalError:
                if self._pg is not None and self._pg.broken:
                    self._pg = None
                raise

    def close(self) -> None:
        with self._lock:
            if self._pg is not None:
                self._pg.close()

    def record_unanswered(self, question: str, when: datetime | None = None) -> None:
        text = mask_personal_details(question)
        if not text:
            return
        hour = _hour(when or datetime.now(UTC))
        self._run(
            lambda db: db.execute(
                "INSERT INTO unanswered (asked_hour, question) VALUES (%s, %s)", (hour, text)
            )
        )

    def purge_old(self, now: datetime | None = None) -> int:
        cutoff = _hour((now or datetime.now(UTC)) - timedelta(days=self.retention_days))

        def purge(db: psycopg.Connection[Any]) -> int:
            with db.transaction():
                db.execute("DELETE FROM votes_seen WHERE seen_hour < %s", (cutoff,))
                return db.execute(
                    "DELETE FROM unanswered WHERE asked_hour < %s", (cutoff,)
                ).rowcount

        return self._run(purge)

    def unanswered(
        self, days: int | None = None, now: datetime | None = None
    ) -> list[UnansweredRow]:
        query, params = unanswered_query(days, now, placeholder="%s")
        rows = self._run(lambda db: db.execute(query, params).fetchall())
        return [UnansweredRow(*row) for row in rows]

    def _bump(self, entry_id: str, column: str) -> None:
        self._run(lambda db: db.execute(_BUMP[column], (entry_id,)))

    def count_vote(self, entry_id: str, helpful: bool, vote_key: str | None = None) -> bool:
        """Count one vote; with `vote_key`, only the first vote under that key counts (True)."""
        column = "helpful" if helpful else "not_helpful"

        def vote(db: psycopg.Connection[Any]) -> bool:
            with db.transaction():
                if vote_key is not None:
                    first = db.execute(
                        "INSERT INTO votes_seen (vote_key, seen_hour) VALUES (%s, %s)"
                        " ON CONFLICT DO NOTHING",
                        (vote_key, _hour(datetime.now(UTC))),
                    ).rowcount
                    if not first:
                        return False
                db.execute(_BUMP[column], (entry_id,))
                return True

        return self._run(vote)

    def entry_counts(self) -> dict[str, EntryCounts]:
        rows = self._run(
            lambda db: db.execute(
                "SELECT entry_id, answered, helpful, not_helpful FROM entry_counts"
            ).fetchall()
        )
        return {row[0]: EntryCounts(row[0], int(row[1]), int(row[2]), int(row[3])) for row in rows}


_BUMP = {
    column: (
        f"INSERT INTO entry_counts (entry_id, {column}) VALUES (%s, 1) "
        f"ON CONFLICT (entry_id) DO UPDATE SET {column} = entry_counts.{column} + 1"
    )
    for column in ("answered", "helpful", "not_helpful")
}
