"""SQLite storage for the maintainers' loop: unanswered questions and per-entry counts.

Privacy by design: no user id, chat id, name or username is ever written. A question is kept
with the hour it was asked (not the second), the best score and entry, and the chat type;
obvious personal details in the text (e-mail addresses, phone numbers, @usernames, links)
are masked before it is stored. Rows older than the retention period are deleted.
"""

from __future__ import annotations

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
    question TEXT NOT NULL,
    kind TEXT NOT NULL,            -- fallback | suggest
    best_score REAL,
    best_entry TEXT,
    chat_type TEXT NOT NULL        -- private | group | supergroup | console
);
CREATE INDEX IF NOT EXISTS unanswered_hour ON unanswered(asked_hour);
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


def mask_personal_details(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text.strip()[:MAX_STORED_CHARS]


@dataclass(frozen=True)
class UnansweredRow:
    asked_hour: str
    question: str
    kind: str
    best_score: float | None
    best_entry: str | None
    chat_type: str


@dataclass(frozen=True)
class EntryCounts:
    entry_id: str
    answered: int
    helpful: int
    not_helpful: int


def _hour(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:00Z")


class Store:
    """One SQLite file; safe to call from the bot's event loop (short, locked transactions)."""

    def __init__(self, path: Path, retention_days: int = 30, log_questions: bool = True) -> None:
        self.path = path
        self.retention_days = retention_days
        self.log_questions = log_questions
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL survives a crash of the bot (only a power loss can cost the last
        # writes) and saves an fsync per answer on the event loop.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    @classmethod
    def in_dir(cls, data_dir: Path, retention_days: int = 30, log_questions: bool = True) -> Store:
        return cls(data_dir / DATABASE_FILE, retention_days, log_questions)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def record_unanswered(
        self,
        question: str,
        kind: str,
        best_score: float | None,
        best_entry: str | None,
        chat_type: str,
        when: datetime | None = None,
    ) -> None:
        if not self.log_questions:
            return
        text = mask_personal_details(question)
        if not text:
            return
        moment = when or datetime.now(UTC)
        with self._lock:
            self._db.execute(
                "INSERT INTO unanswered (asked_hour, question, kind, best_score, best_entry, chat_type) VALUES (?, ?, ?, ?, ?, ?)",
                (_hour(moment), text, kind, best_score, best_entry, chat_type),
            )

    def purge_old(self, now: datetime | None = None) -> int:
        """Delete questions older than the retention period; returns how many went."""
        cutoff = _hour((now or datetime.now(UTC)) - timedelta(days=self.retention_days))
        with self._lock:
            cursor = self._db.execute("DELETE FROM unanswered WHERE asked_hour < ?", (cutoff,))
            return cursor.rowcount

    def unanswered(
        self, days: int | None = None, now: datetime | None = None
    ) -> list[UnansweredRow]:
        query = (
            "SELECT asked_hour, question, kind, best_score, best_entry, chat_type FROM unanswered"
        )
        params: tuple[str, ...] = ()
        if days is not None:
            query += " WHERE asked_hour >= ?"
            params = (_hour((now or datetime.now(UTC)) - timedelta(days=days)),)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY id", params).fetchall()
        return [UnansweredRow(*row) for row in rows]

    def count_answer(self, entry_id: str) -> None:
        self._bump(entry_id, "answered")

    def count_vote(self, entry_id: str, helpful: bool) -> None:
        self._bump(entry_id, "helpful" if helpful else "not_helpful")

    def _bump(self, entry_id: str, column: str) -> None:
        assert column in ("answered", "helpful", "not_helpful")
        with self._lock:
            self._db.execute(
                f"INSERT INTO entry_counts (entry_id, {column}) VALUES (?, 1) "
                f"ON CONFLICT(entry_id) DO UPDATE SET {column} = {column} + 1",
                (entry_id,),
            )

    def entry_counts(self) -> dict[str, EntryCounts]:
        with self._lock:
            rows = self._db.execute(
                "SELECT entry_id, answered, helpful, not_helpful FROM entry_counts"
            ).fetchall()
        return {row[0]: EntryCounts(*row) for row in rows}
