"""The durable outbox: mail waits in SQLite until the server accepted it, then is marked sent once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from storage.db import Database, from_text, to_text

FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
# 30 s, 1 min… then hourly: the 80th try comes about 3 days after the first, long enough for a mail
# server down over a long weekend; a mail still refused then will not go through by waiting more.
MAX_ATTEMPTS = 80


@dataclass(frozen=True)
class OutgoingMail:
    """A mail to queue, composed by whoever knows the words (the dialogues), in French."""

    kind: str
    recipient: str
    subject: str
    body: str
    domain: str


@dataclass(frozen=True)
class Mail:
    id: int
    kind: str
    recipient: str
    subject: str
    body: str | None
    message_id: str
    attempts: int
    expires_at: str | None


@dataclass(frozen=True)
class FailedMail:
    id: int
    kind: str
    created_at: str
    attempts: int
    last_error: str | None
    total: int  # failed mails in all, beyond the few listed


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min… up to an hour: the server may be down for the night."""
    delay: timedelta = FIRST_RETRY * (2 ** min(max(0, attempts - 1), 16))  # bounded: no overflow at the 80th
    return min(delay, LONGEST_RETRY)


async def enqueue(conn: aiosqlite.Connection, now: datetime, kind: str, recipient: str, subject: str, body: str,
                  domain: str, expires_at: datetime | None = None) -> int:
    """Adds a mail inside the caller's transaction, so that it exists exactly when what it tells does."""
    # A Message-ID fixed at enqueueing: the one resend a crash could cause is recognisable as a copy.
    message_id = f"<entbot.{uuid.uuid4().hex}@{domain}>"
    cursor = await conn.execute(
        "INSERT INTO outbox (kind, recipient, subject, body, message_id, created_at, expires_at, next_attempt_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (kind, recipient, subject, body, message_id, to_text(now), to_text(expires_at) if expires_at else None,
         to_text(now)))
    assert cursor.lastrowid is not None
    return cursor.lastrowid


class Outbox:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def due(self, limit: int = 20, all_pending: bool = False) -> list[Mail]:
        """Mail whose time to try has come; or every pending one (at start: the server may be fixed now)."""
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT id, kind, recipient, subject, body, message_id, attempts, expires_at FROM outbox"
                " WHERE state = 'pending' AND (next_attempt_at <= ? OR ?) ORDER BY id LIMIT ?",
                (to_text(self.db.clock.now()), int(all_pending), limit))
        return [Mail(*r) for r in rows]

    async def next_attempt(self) -> datetime | None:
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall(
                "SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending'"))
        return from_text(rows[0][0]) if rows and rows[0][0] else None

    async def sent(self, mail: Mail, forget_body: bool) -> None:
        """Recorded the moment the server accepted it: never sent again. A code is not kept once sent."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET state = 'sent', sent_at = ?, attempts = attempts + 1, last_error = NULL,"
                " body = CASE WHEN ? THEN NULL ELSE body END WHERE id = ?",
                (to_text(self.db.clock.now()), int(forget_body), mail.id))

    async def failed(self, mail: Mail, error: str, forget_body: bool) -> datetime | None:
        """Tries again later, each time waiting longer; returns when, or None once it has given up for good.

        A mail given up ('failed') keeps its error for staff to read; a secret's text is not kept.
        """
        now = self.db.clock.now()
        if mail.attempts + 1 >= MAX_ATTEMPTS:
            async with self.db.transaction() as conn:
                await conn.execute(
                    "UPDATE outbox SET state = 'failed', failed_at = ?, attempts = attempts + 1, last_error = ?,"
                    " body = CASE WHEN ? THEN NULL ELSE body END WHERE id = ?",
                    (to_text(now), error[:500], int(forget_body), mail.id))
            return None
        later = now + retry_delay(mail.attempts + 1)
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?",
                (error[:500], to_text(later), mail.id))
        return later

    async def expired(self, mail: Mail) -> None:
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE outbox SET state = 'expired', body = NULL WHERE id = ?", (mail.id,))

    async def purge_sent(self, before: datetime) -> int:
        async with self.db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM outbox WHERE state IN ('sent', 'expired', 'failed') AND created_at < ?",
                                        (to_text(before),))
        return cursor.rowcount
