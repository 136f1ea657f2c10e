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
# Code mails (the activation's address, a forgotten password) over 24 hours, whatever asked for them: a
# family needs one or two; a stranger asking again and again would fill its mailbox. Per account, and
# per Telegram user (a parent of three children activates three accounts).
CODES_PER_ACCOUNT = 5
CODES_PER_USER = 8
CODE_WINDOW = timedelta(hours=24)


class CodeCapReached(Exception):
    """This account or this Telegram user had its day's share of code mails: nothing was queued."""


@dataclass(frozen=True)
class OutgoingMail:
    """A mail to queue, composed by whoever knows the words (the dialogues), in French."""

    kind: str
    recipient: str
    subject: str
    body: str
    domain: str
    # The Telegram user it is queued for (the parent writing, the one asking a code): an erasure removes
    # that user's mail by this, never by an address or a word in the body that other families share.
    telegram_user_id: int | None = None


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
                  domain: str, expires_at: datetime | None = None, telegram_user_id: int | None = None) -> int:
    """Adds a mail inside the caller's transaction, so that it exists exactly when what it tells does."""
    # A Message-ID fixed at enqueueing: the one resend a crash could cause is recognisable as a copy.
    message_id = f"<entbot.{uuid.uuid4().hex}@{domain}>"
    rows = await conn.execute_fetchall(
        "INSERT INTO outbox (kind, recipient, subject, body, message_id, created_at, expires_at, next_attempt_at,"
        " telegram_user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (kind, recipient, subject, body, message_id, to_text(now), to_text(expires_at) if expires_at else None,
         to_text(now), telegram_user_id))
    return int(list(rows)[0][0])


async def enqueue_mail(conn: aiosqlite.Connection, now: datetime, mail: OutgoingMail,
                       expires_at: datetime | None = None) -> int:
    return await enqueue(conn, now, mail.kind, mail.recipient, mail.subject, mail.body, mail.domain, expires_at,
                         mail.telegram_user_id)


async def _code_allowed(conn: aiosqlite.Connection, now: datetime, telegram_user_id: int,
                        account_id: int | None) -> bool:
    since = to_text(now - CODE_WINDOW)
    rows = list(await conn.execute_fetchall(
        "SELECT (SELECT COUNT(*) FROM code_mails WHERE telegram_user_id = ? AND queued_at > ?),"
        " (SELECT COUNT(*) FROM code_mails WHERE account_id = ? AND queued_at > ?)",
        (telegram_user_id, since, account_id, since)))
    by_user, by_account = rows[0]
    return bool(by_user < CODES_PER_USER and (account_id is None or by_account < CODES_PER_ACCOUNT))


async def enqueue_code(conn: aiosqlite.Connection, now: datetime, mail: OutgoingMail, account_id: int | None,
                       expires_at: datetime) -> int:
    """Queues a code's mail and counts it, or raises CodeCapReached (the caller's transaction then rolls back).

    Counted in SQLite, inside the transaction that queues it: a restart, a new activation ("Recommencer"),
    another path (the forgotten password) or two updates at once all meet the same count.
    """
    assert mail.telegram_user_id is not None, "a code mail is always asked for by someone"
    if not await _code_allowed(conn, now, mail.telegram_user_id, account_id):
        raise CodeCapReached()
    await conn.execute("INSERT INTO code_mails (telegram_user_id, account_id, queued_at) VALUES (?, ?, ?)",
                       (mail.telegram_user_id, account_id, to_text(now)))
    return await enqueue_mail(conn, now, mail, expires_at)


class Outbox:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def due(self, limit: int = 20, all_pending: bool = False) -> list[Mail]:
        """Mail whose time to try has come; or every pending one (at start: the server may be fixed now)."""
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT id, kind, recipient, subject, body, message_id, attempts, expires_at FROM outbox"
                " WHERE state = 'pending' AND (next_attempt_at <= ? OR ? = 1) ORDER BY id LIMIT ?",
                (to_text(self.db.clock.now()), int(all_pending), limit))
        return [Mail(*r) for r in rows]

    async def may_send_code(self, telegram_user_id: int, account_id: int | None) -> bool:
        """Whether a code mail would be queued now: asked before hashing a code that could not be sent."""
        async with self.db.read() as conn:
            return await _code_allowed(conn, self.db.clock.now(), telegram_user_id, account_id)

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
                " body = CASE WHEN ? = 1 THEN NULL ELSE body END WHERE id = ?",
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
                    " body = CASE WHEN ? = 1 THEN NULL ELSE body END WHERE id = ?",
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

    async def scrub(self) -> None:
        """Once a code's body is cleared: the page that held it must not linger in the WAL either.

        secure_delete zeroes what a row loses in the database file; the write-ahead log still holds the page
        as it was queued, code included, until a checkpoint copies the new page over and truncates it.
        """
        if self.db.engine != "sqlite":  # PostgreSQL's WAL is the server's: its retention is the operator's
            return
        async with self.db.read() as conn:
            await conn.execute_fetchall("PRAGMA wal_checkpoint(TRUNCATE)")

    async def purge_sent(self, before: datetime) -> int:
        async with self.db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM outbox WHERE state IN ('sent', 'expired', 'failed') AND created_at < ?",
                                        (to_text(before),))
        return cursor.rowcount
