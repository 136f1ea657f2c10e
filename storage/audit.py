"""The audit trail: who did what to which account, and when (never a secret)."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from storage.db import Database, to_text

# The events by which a Telegram user proved they hold an account: the provisional password or the letter
# ("identified"), the activation, the secret answers, a mail code, the password (a login test, a change).
PROVING_EVENTS = ("identified", "activated", "answers_verified", "code_verified", "login_ok", "password_changed")
# The condition on an audit row `a` of account `a.account_id` for it to still prove something: a proving event
# since the account's last reset; the provisional password or the letter only while nobody activated it since.
STILL_PROVES = (f"a.event IN ({', '.join(repr(e) for e in PROVING_EVENTS)})"
                " AND a.id > COALESCE((SELECT MAX(r.id) FROM audit r WHERE r.account_id = a.account_id"
                " AND r.event = 'reset'), 0)"
                " AND (a.event != 'identified' OR a.id > COALESCE((SELECT MAX(r.id) FROM audit r"
                " WHERE r.account_id = a.account_id AND r.event = 'activated'), 0))")


async def write_event(conn: aiosqlite.Connection, at: datetime, actor: str, event: str,
                      account_id: int | None = None, detail: str | None = None, uai: str | None = None) -> None:
    """Adds one event inside the caller's transaction, so that it lands with what it records; `uai`: the school
    it concerns (a staff member's action names the school they acted for)."""
    await conn.execute("INSERT INTO audit (at, actor, event, account_id, detail, uai) VALUES (?, ?, ?, ?, ?, ?)",
                       (to_text(at), actor, event, account_id, detail, uai))


class Audit:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, actor: str, event: str, account_id: int | None = None, detail: str | None = None,
                     uai: str | None = None) -> None:
        await self.db.write("INSERT INTO audit (at, actor, event, account_id, detail, uai) VALUES (?, ?, ?, ?, ?, ?)",
                            (to_text(self.db.clock.now()), actor, event, account_id, detail, uai))

    async def for_account(self, account_id: int, limit: int = 10,
                          uai: str | None = None) -> list[tuple[str, str, str, str | None]]:
        """The account's last events; with `uai`, those about no one school and that school's only: another
        school's staff, tickets and views are theirs to know."""
        where = "account_id = ?" + (" AND (uai IS NULL OR uai = ?)" if uai is not None else "")
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                f"SELECT at, actor, event, detail FROM audit WHERE {where} ORDER BY id DESC LIMIT ?",
                (account_id, *([uai] if uai is not None else []), limit))
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    async def proving_users(self, account_id: int) -> set[int]:
        """The Telegram users whose proof that they hold this account still holds (STILL_PROVES): the family."""
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                f"SELECT DISTINCT a.actor FROM audit a WHERE a.account_id = ? AND a.actor LIKE 'telegram:%' AND {STILL_PROVES}",
                (account_id,))
        return {int(r[0].removeprefix("telegram:")) for r in rows if r[0].removeprefix("telegram:").lstrip("-").isdigit()}
