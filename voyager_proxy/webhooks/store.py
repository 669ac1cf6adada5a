"""
The SQLite file behind the outbox (stdlib C{sqlite3}, WAL mode): blocking
calls, made only from the outbox's writer thread.
"""

from __future__ import annotations

import enum
import os
import sqlite3
from collections.abc import Iterable
from typing import Any

import attrs

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    body BLOB NOT NULL,
    created_at REAL NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL,
    last_attempt_at REAL,
    last_status INTEGER,
    last_outcome TEXT,
    last_error TEXT,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS messages_by_status ON messages (status, seq);
CREATE TABLE IF NOT EXISTS endpoint (name TEXT PRIMARY KEY, value TEXT);
"""
COLUMNS = (
    "seq, id, type, body, created_at, status, attempts, next_attempt_at,"
    " last_attempt_at, last_status, last_outcome, last_error, finished_at"
)


class Status(enum.Enum):
    """Where a message stands."""

    PENDING = "pending"  # waiting for its next attempt (or for the endpoint to be enabled)
    DELIVERED = "delivered"
    FAILED = "failed"  # the retry schedule is spent
    DROPPED = "dropped"  # made room under webhooks.max_pending


@attrs.define(eq=False)
class Message:
    """One event to deliver; its C{id} is the C{webhook-id} of every attempt."""

    id: str
    type: str
    body: bytes
    created_at: float
    status: Status = Status.PENDING
    attempts: int = 0
    next_attempt_at: float | None = None
    last_attempt_at: float | None = None
    last_status: int | None = None  # HTTP status of the last answer; None when there was none
    last_outcome: str | None = None  # delivered, gone, retry or rejected
    last_error: str | None = None
    finished_at: float | None = None
    seq: int | None = None  # the database's order of arrival

    def as_dict(self) -> dict[str, Any]:
        """What the operator routes show (the body as the JSON text sent)."""
        return {
            "id": self.id,
            "type": self.type,
            "status": self.status.value,
            "createdAt": self.created_at,
            "attempts": self.attempts,
            "nextAttemptAt": self.next_attempt_at if self.status is Status.PENDING else None,
            "lastAttemptAt": self.last_attempt_at,
            "lastStatus": self.last_status,
            "lastOutcome": self.last_outcome,
            "lastError": self.last_error,
            "finishedAt": self.finished_at,
            "payload": self.body.decode("utf-8"),
        }


def _message(row: tuple[Any, ...]) -> Message:
    seq, id_, type_, body, created, status, attempts, next_at, last_at, last_status, outcome, error, finished = row
    return Message(
        id_, type_, bytes(body), created, Status(status), attempts, next_at, last_at, last_status, outcome, error,
        finished, seq,
    )  # fmt: skip


class Store:
    """The outbox table, the endpoint's state, and their queries."""

    def __init__(self, path: str) -> None:
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def write(self, messages: Iterable[Message]) -> None:
        """Insert or update (by id) each message, all in one transaction."""
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "INSERT INTO messages (id, type, body, created_at, status, attempts, next_attempt_at,"
                " last_attempt_at, last_status, last_outcome, last_error, finished_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                " status = excluded.status, attempts = excluded.attempts,"
                " next_attempt_at = excluded.next_attempt_at, last_attempt_at = excluded.last_attempt_at,"
                " last_status = excluded.last_status, last_outcome = excluded.last_outcome,"
                " last_error = excluded.last_error, finished_at = excluded.finished_at",
                [
                    (
                        m.id,
                        m.type,
                        m.body,
                        m.created_at,
                        m.status.value,
                        m.attempts,
                        m.next_attempt_at,
                        m.last_attempt_at,
                        m.last_status,
                        m.last_outcome,
                        m.last_error,
                        m.finished_at,
                    )  # fmt: skip
                    for m in messages
                ],
            )

    def pending(self) -> list[Message]:
        """Every pending message, oldest first (what a restart resumes)."""
        cursor = self._db.execute(f"SELECT {COLUMNS} FROM messages WHERE status = 'pending' ORDER BY seq")
        return [_message(row) for row in cursor]

    def listed(self, status: Status | None, limit: int) -> list[Message]:
        """The latest C{limit} messages, newest first, of one status or any."""
        where, args = ("WHERE status = ?", (status.value,)) if status is not None else ("", ())
        cursor = self._db.execute(f"SELECT {COLUMNS} FROM messages {where} ORDER BY seq DESC LIMIT ?", (*args, limit))
        return [_message(row) for row in cursor]

    def get(self, message_id: str) -> Message | None:
        row = self._db.execute(f"SELECT {COLUMNS} FROM messages WHERE id = ?", (message_id,)).fetchone()
        return None if row is None else _message(row)

    def counts(self) -> dict[str, int]:
        """How many messages of each status the file holds."""
        rows = self._db.execute("SELECT status, COUNT(*) FROM messages GROUP BY status")
        return {status.value: 0 for status in Status} | dict(rows.fetchall())

    def purge(self, before: float) -> int:
        """Delete finished messages that ended before C{before}; how many went."""
        with self._db:
            cursor = self._db.execute("DELETE FROM messages WHERE status != 'pending' AND finished_at < ?", (before,))
        return cursor.rowcount

    def disabled_reason(self) -> str | None:
        """Why the endpoint is disabled (a 410 answer), or None while it is enabled."""
        row = self._db.execute("SELECT value FROM endpoint WHERE name = 'disabled'").fetchone()
        return None if row is None else str(row[0])

    def set_disabled(self, reason: str | None) -> None:
        with self._db:
            if reason is None:
                self._db.execute("DELETE FROM endpoint WHERE name = 'disabled'")
            else:
                self._db.execute("INSERT OR REPLACE INTO endpoint (name, value) VALUES ('disabled', ?)", (reason,))
