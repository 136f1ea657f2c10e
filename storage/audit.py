"""The audit trail: who did what to which account, and when (never a secret)."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from storage.db import Database, to_text


async def write_event(conn: aiosqlite.Connection, at: datetime, actor: str, event: str,
                      account_id: int | None = None, detail: str | None = None) -> None:
    """Adds one event inside the caller's transaction, so that it lands with what it records."""
    await conn.execute("INSERT INTO audit (at, actor, event, account_id, detail) VALUES (?, ?, ?, ?, ?)",
                       (to_text(at), actor, event, account_id, detail))


class Audit:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, actor: str, event: str, account_id: int | None = None, detail: str | None = None) -> None:
        await self.db.write("INSERT INTO audit (at, actor, event, account_id, detail) VALUES (?, ?, ?, ?, ?)",
                            (to_text(self.db.clock.now()), actor, event, account_id, detail))

    async def for_account(self, account_id: int, limit: int = 10) -> list[tuple[str, str, str, str | None]]:
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT at, actor, event, detail FROM audit WHERE account_id = ? ORDER BY id DESC LIMIT ?",
                (account_id, limit))
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    async def failing_users(self, account_id: int) -> set[int]:
        """The Telegram users who failed to prove they hold this account: their locks go with its lock."""
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT DISTINCT actor FROM audit WHERE account_id = ? AND event LIKE '%\\_failed' ESCAPE '\\'"
                " AND actor LIKE 'telegram:%'", (account_id,))
        return {int(r[0].removeprefix("telegram:")) for r in rows}
