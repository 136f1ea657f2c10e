"""Who is writing to the school right now ("Écrire au collège"): a dialogue state kept in SQLite like the others."""

from __future__ import annotations

from datetime import datetime

from storage.db import Database, from_text, to_text


class HelpdeskWriting:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def start(self, telegram_user_id: int) -> None:
        async with self.db.transaction() as conn:
            await conn.execute("INSERT OR REPLACE INTO helpdesk_writing (telegram_user_id, started_at) VALUES (?, ?)",
                               (telegram_user_id, to_text(self.db.clock.now())))

    async def is_writing(self, telegram_user_id: int) -> bool:
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall(
                "SELECT 1 FROM helpdesk_writing WHERE telegram_user_id = ?", (telegram_user_id,)))
        return bool(rows)

    async def since(self, telegram_user_id: int) -> datetime | None:
        """When the parent started writing; None if they are not."""
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall(
                "SELECT started_at FROM helpdesk_writing WHERE telegram_user_id = ?", (telegram_user_id,)))
        return from_text(rows[0][0]) if rows else None

    async def stop(self, telegram_user_id: int) -> None:
        await self.db.write("DELETE FROM helpdesk_writing WHERE telegram_user_id = ?", (telegram_user_id,))
