"""SQLite storage for the maintainers' loop: unanswered questions and per-entry counts.

Privacy by design: no user id, chat id, name or username is ever written. A question is kept
with the hour it was asked (not the second), and nothing else about it (the nearest entry is
worked out again when the report is read, against the knowledge of that day); obvious
personal details in the text (e-mail addresses, phone numbers, @usernames, links)
are masked before it is stored. Rows older than the retention period are deleted.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS unanswered (
    id INTEGER PRIMARY KEY,
    asked_hour TEXT NOT NULL,      -- UTC, truncated to the hour
    question TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS unanswered_hour ON unanswered(asked_hour);
CREATE TABLE IF NOT EXISTS votes_seen (  -- a keyed hash per voted answer message, never a chat id
    vote_key TEXT PRIMARY KEY,
    seen_hour TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS votes_seen_hour ON votes_seen(seen_hour);
CREATE TABLE IF NOT EXISTS entry_counts (
    entry_id TEXT PRIMARY KEY,
    answered INTEGER NOT NULL DEFAULT 0,
    helpful INTEGER NOT NULL DEFAULT 0,
    not_helpful INTEGER NOT NULL DEFAULT 0
);
"""

_MASKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b"), "[email]"),
    (re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE), "[link]"),
    (re.compile(r"(?<!\w)@\w{3,}"), "[user]"),
    (re.compile(r"\+?\d[\d\s().-]{6,}\d"), "[number]"),
)
MAX_STORED_CHARS = 500
DATABASE_FILE = "bot.sqlite3"  # inside DATA_DIR
LOG_OFF = "The question log is off (QUESTION_LOG=off): no questions or counts are kept."


def mask_personal_details(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text.strip()[:MAX_STORED_CHARS]


# Columns written by earlier versions and never read: dropped when such a file is opened.
_UNREAD_COLUMNS = ("kind", "best_score", "best_entry", "chat_type")
_MIGRATE = """
CREATE TABLE unanswered_new (
    id INTEGER PRIMARY KEY, asked_hour TEXT NOT NULL, question TEXT NOT NULL
);
INSERT INTO unanswered_new (id, asked_hour, question) SELECT id, asked_hour, question FROM unanswered;
DROP TABLE unanswered;
ALTER TABLE unanswered_new RENAME TO unanswered;
"""


@dataclass(frozen=True)
class UnansweredRow:
    asked_hour: str
    question: str


@dataclass(frozen=True)
class EntryCounts:
    entry_id: str
    answered: int
    helpful: int
    not_helpful: int


def _hour(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:00Z")


def vote_key(secret: str, chat_id: int, message_id: int) -> str:
    """Names one voted answer message without naming the chat: an HMAC under a secret that every
    replica shares (derived from the bot token), so a second press is refused on any replica."""
    key = hashlib.sha256(b"faqbot-vote:" + secret.encode()).digest()
    return hmac.new(key, f"{chat_id}:{message_id}".encode(), hashlib.sha256).hexdigest()[:32]


def unanswered_query(
    days: int | None, now: datetime | None, placeholder: str
) -> tuple[str, tuple[str, ...]]:
    """The unanswered questions, oldest first; the last `days` only when given. The same for
    SQLite ("?") and PostgreSQL ("%s")."""
    if days is None:
        return "SELECT asked_hour, question FROM unanswered ORDER BY id", ()
    since = _hour((now or datetime.now(UTC)) - timedelta(days=days))
    query = f"SELECT asked_hour, question FROM unanswered WHERE asked_hour >= {placeholder}"
    return query + " ORDER BY id", (since,)


_BUMP = {
    column: (
        f"INSERT INTO entry_counts (entry_id, {column}) VALUES (?, 1) "
        f"ON CONFLICT(entry_id) DO UPDATE SET {column} = {column} + 1"
    )
    for column in ("answered", "helpful", "not_helpful")
}


class Store:
    """One SQLite file; safe to call from the bot's event loop (short, locked transactions)."""

    keeps_records = True

    def __init__(self, path: Path, retention_days: int = 30) -> None:
        self.path = path
        self.retention_days = retention_days
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL survives a crash of the bot (only a power loss can cost the last
        # writes) and saves an fsync per answer on the event loop.
        self._db.execute("PRAGMA synchronous=NORMAL")
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(unanswered)")}
        if columns & set(_UNREAD_COLUMNS):
            self._db.executescript(f"BEGIN;{_MIGRATE}COMMIT;")
        self._db.executescript(SCHEMA)

    @classmethod
    def in_dir(cls, data_dir: Path, retention_days: int = 30) -> Store:
        return cls(data_dir / DATABASE_FILE, retention_days)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def record_unanswered(self, question: str, when: datetime | None = None) -> None:
        text = mask_personal_details(question)
        if not text:
            return
        moment = when or datetime.now(UTC)
        with self._lock:
            self._db.execute(
                "INSERT INTO unanswered (asked_hour, question) VALUES (?, ?)",
                (_hour(moment), text),
            )

    def purge_old(self, now: datetime | None = None) -> int:
        """Delete questions older than the retention period; returns how many went."""
        cutoff = _hour((now or datetime.now(UTC)) - timedelta(days=self.retention_days))
        with self._lock:
            self._db.execute("DELETE FROM votes_seen WHERE seen_hour < ?", (cutoff,))
            cursor = self._db.execute("DELETE FROM unanswered WHERE asked_hour < ?", (cutoff,))
            return cursor.rowcount

    def unanswered(
        self, days: int | None = None, now: datetime | None = None
    ) -> list[UnansweredRow]:
        query, params = unanswered_query(days, now, placeholder="?")
        with self._lock:
            rows = self._db.execute(query, params).fetchall()
        return [UnansweredRow(*row) for row in rows]

    def count_answer(self, entry_id: str) -> None:
        self._bump(entry_id, "answered")

    def count_vote(self, entry_id: str, helpful: bool, vote_key: str | None = None) -> bool:
        """Count one vote; with `vote_key`, only the first vote under that key counts (True)."""
        column = "helpful" if helpful else "not_helpful"
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")  # the key and the count together, or neither
            try:
                first = vote_key is None or bool(
                    self._db.execute(
                        "INSERT OR IGNORE INTO votes_seen (vote_key, seen_hour) VALUES (?, ?)",
                        (vote_key, _hour(datetime.now(UTC))),
                    ).rowcount
                )
                if first:
                    self._db.execute(_BUMP[column], (entry_id,))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return first

    def _bump(self, entry_id: str, column: str) -> None:
        with self._lock:
            self._db.execute(_BUMP[column], (entry_id,))

    def entry_counts(self) -> dict[str, EntryCounts]:
        with self._lock:
            rows = self._db.execute(
                "SELECT entry_id, answered, helpful, not_helpful FROM entry_counts"
            ).fetchall()
        return {row[0]: EntryCounts(*row) for row in rows}


class NullStore(Store):
    """QUESTION_LOG=off: the same calls, nothing kept, no file opened."""

    keeps_records = False

    def __init__(self, reason: str = LOG_OFF) -> None:  # no file, no connection
        self.retention_days = 0
        self.reason = reason  # what the reports say instead of figures

    def close(self) -> None:
        pass

    def record_unanswered(self, question: str, when: datetime | None = None) -> None:
        pass

    def purge_old(self, now: datetime | None = None) -> int:
        return 0

    def unanswered(
        self, days: int | None = None, now: datetime | None = None
    ) -> list[UnansweredRow]:
        return []

    def count_vote(self, entry_id: str, helpful: bool, vote_key: str | None = None) -> bool:
        return True  # taken (and dropped): the vote buttons still go, as with a real store

    def _bump(self, entry_id: str, column: str) -> None:
        pass

    def entry_counts(self) -> dict[str, EntryCounts]:
        return {}


def open_store(
    data_dir: Path, retention_days: int, question_log: bool, database_url: str | None = None
) -> Store:
    """The bot's store: PostgreSQL when DATABASE_URL is set (replicas share it), else SQLite in
    DATA_DIR; the null store when QUESTION_LOG=off."""
    if not question_log:
        return NullStore()
    if database_url:
        try:
            from bot.store_postgres import PostgresStore  # psycopg is needed only here
        except ImportError as error:
            from bot.config import ConfigError

            raise ConfigError(
                "DATABASE_URL is set but psycopg is not installed: pip install '.[postgres]'"
            ) from error
        return PostgresStore(database_url, retention_days)
    return Store.in_dir(data_dir, retention_days)
