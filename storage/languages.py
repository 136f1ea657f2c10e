"""The language each family reads the bot in: one row a family, written only when it is first set or changed."""

from __future__ import annotations

from storage.db import Database, to_text


class FamilyLanguages:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, telegram_user_id: int) -> str | None:
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall(
                "SELECT language FROM family_languages WHERE telegram_user_id = ?", (telegram_user_id,)))
        return str(rows[0][0]) if rows else None

    async def set(self, telegram_user_id: int, language: str, source: str) -> None:
        await self.db.write(
            "INSERT INTO family_languages (telegram_user_id, language, source, chosen_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (telegram_user_id) DO UPDATE SET language = excluded.language, source = excluded.source,"
            " chosen_at = excluded.chosen_at", (telegram_user_id, language, source, to_text(self.db.clock.now())))

    async def set_first(self, telegram_user_id: int, language: str) -> bool:
        """The app's language at a first /start: kept only if nothing is stored yet (a choice is never overwritten)."""
        rows = await self.db.write(
            "INSERT INTO family_languages (telegram_user_id, language, source, chosen_at) VALUES (?, ?, 'telegram', ?)"
            " ON CONFLICT (telegram_user_id) DO NOTHING RETURNING 1",
            (telegram_user_id, language, to_text(self.db.clock.now())))
        return bool(rows)
