"""Bot messages that carry a secret for staff, to be deleted when read or when their time is up."""

from __future__ import annotations

from datetime import datetime

from storage.db import Database, to_text


class EphemeralMessages:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, chat_id: int, message_id: int, delete_at: datetime) -> None:
        async with self.db.transaction() as conn:
            await conn.execute("INSERT INTO ephemeral_messages (chat_id, message_id, delete_at) VALUES (?, ?, ?)"
                               " ON CONFLICT (chat_id, message_id) DO UPDATE SET delete_at = excluded.delete_at",
                               (chat_id, message_id, to_text(delete_at)))

    async def due(self) -> list[tuple[int, int]]:
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall("SELECT chat_id, message_id FROM ephemeral_messages WHERE delete_at <= ?",
                                               (to_text(self.db.clock.now()),))
        return [(r[0], r[1]) for r in rows]

    async def remove(self, chat_id: int, message_id: int) -> bool:
        async with self.db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM ephemeral_messages WHERE chat_id = ? AND message_id = ?",
                                        (chat_id, message_id))
        return cursor.rowcount == 1
