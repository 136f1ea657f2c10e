"""Parents' messages that carried a secret and could not be deleted yet: retried until gone or too old."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.db import Database, from_text, to_text

# A bot may delete a message in a private chat for 48 hours after it was sent, not later.
DELETABLE_FOR = timedelta(hours=48)


@dataclass(frozen=True)
class PendingDeletion:
    chat_id: int
    message_id: int
    sent_at: datetime
    attempts: int


class PendingDeletions:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, chat_id: int, message_id: int, sent_at: datetime, error: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO pending_deletions (chat_id, message_id, sent_at, last_error) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (chat_id, message_id) DO UPDATE SET attempts = pending_deletions.attempts + 1,"
                " last_error = excluded.last_error",
                (chat_id, message_id, to_text(sent_at), error[:200]))

    async def all(self) -> list[PendingDeletion]:
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT chat_id, message_id, sent_at, attempts FROM pending_deletions ORDER BY sent_at")
        return [PendingDeletion(r[0], r[1], from_text(r[2]), r[3]) for r in rows]

    async def failed_again(self, chat_id: int, message_id: int, error: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE pending_deletions SET attempts = attempts + 1, last_error = ?"
                               " WHERE chat_id = ? AND message_id = ?", (error[:200], chat_id, message_id))

    async def remove(self, chat_id: int, message_id: int) -> None:
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM pending_deletions WHERE chat_id = ? AND message_id = ?",
                               (chat_id, message_id))
