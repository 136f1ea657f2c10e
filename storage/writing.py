"""Who is writing to the school right now ("Écrire au collège"): a dialogue state kept in SQLite like the others."""

from __future__ import annotations

from datetime import datetime

from storage.db import Database, from_text, to_text


class HelpdeskWriting:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def start(self, telegram_user_id: int, uai: str | None = None) -> None:
        """Writing to school `uai`; None: the school is still to be found (the parent types part of its name)."""
        async with self.db.transaction() as conn:
            await conn.execute("INSERT INTO helpdesk_writing (telegram_user_id, started_at, uai) VALUES (?, ?, ?)"
                               " ON CONFLICT (telegram_user_id) DO UPDATE SET started_at = excluded.started_at,"
                               " uai = excluded.uai", (telegram_user_id, to_text(self.db.clock.now()), uai))

    async def choose(self, telegram_user_id: int, uai: str) -> bool:
        """The parent picked their school: their next message goes to it. False if they are not writing any more."""
        rows = await self.db.write("UPDATE helpdesk_writing SET uai = ? WHERE telegram_user_id = ? RETURNING 1",
                                   (uai, telegram_user_id))
        return bool(rows)

    async def school(self, telegram_user_id: int) -> tuple[bool, str | None]:
        """Whether the parent is writing, and to which school (None: not chosen yet)."""
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall(
                "SELECT uai FROM helpdesk_writing WHERE telegram_user_id = ?", (telegram_user_id,)))
        return (True, rows[0][0]) if rows else (False, None)

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

    async def letter_school(self, account_id: int) -> str | None:
        """The school of the letter whose QR code last opened this account's activation (None: no letter used)."""
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall(
                "SELECT uai FROM letter_tokens WHERE account_id = ? AND state = 'used' AND ended_by = 'scanned'"
                " AND uai != '' ORDER BY ended_at DESC, rowid DESC LIMIT 1", (account_id,)))
        return str(rows[0][0]) if rows else None
