"""The forgotten-password and login-test dialogues in progress, saved at each step like the activation."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from storage.db import Database, set_clause, to_text
from storage.outbox import OutgoingMail, enqueue_code


@dataclass(frozen=True)
class Recovery:
    telegram_user_id: int
    flow: str  # forgot, login
    step: str
    identifier: str | None
    account_id: int | None
    revision: int | None  # the account's when its questions were shown: a reset meanwhile is noticed
    answer1_ok: int | None  # whether the first answer matched; told to nobody until both are in
    verified_at: str | None  # both answers matched: a new password may be chosen until some time after
    password_hash: str | None  # the new password typed once, waiting for its confirmation
    prompt_message_id: int | None
    started_at: str
    updated_at: str
    code_hash: str | None = None  # forgot by mail: the code sent, hashed
    code_expires_at: str | None = None
    code_tries: int = 0


_COLUMNS = {f.name for f in fields(Recovery)}


def _row(row: Any) -> Recovery:
    return Recovery(**{k: row[k] for k in _COLUMNS})


class RecoveryStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, telegram_user_id: int) -> Recovery | None:
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall(
                "SELECT * FROM recovery_progress WHERE telegram_user_id = ?", (telegram_user_id,)))
        return _row(rows[0]) if rows else None

    async def start(self, telegram_user_id: int, flow: str, step: str) -> Recovery:
        now = to_text(self.db.clock.now())
        async with self.db.transaction() as conn:
            # Delete then insert (SQLite's INSERT OR REPLACE, in both engines' SQL): every other column afresh.
            await conn.execute("DELETE FROM recovery_progress WHERE telegram_user_id = ?", (telegram_user_id,))
            rows = list(await conn.execute_fetchall(
                "INSERT INTO recovery_progress (telegram_user_id, flow, step, started_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?) RETURNING *", (telegram_user_id, flow, step, now, now)))
        return _row(rows[0])

    async def update(self, telegram_user_id: int, **changes: Any) -> Recovery | None:
        changes["updated_at"] = self.db.clock.now()
        assignments, values = set_clause(changes, _COLUMNS)
        async with self.db.transaction() as conn:
            rows = list(await conn.execute_fetchall(
                f"UPDATE recovery_progress SET {assignments} WHERE telegram_user_id = ? RETURNING *",
                (*values, telegram_user_id)))
        return _row(rows[0]) if rows else None

    async def new_code(self, telegram_user_id: int, code_hash: str, expires_at: datetime, mail: OutgoingMail,
                       **changes: Any) -> Recovery | None:
        """Records a new code (and `changes`) and queues its mail, both or neither (CodeCapReached: neither)."""
        now = self.db.clock.now()
        changes.update(code_hash=code_hash, code_expires_at=expires_at, code_tries=0, updated_at=now)
        assignments, values = set_clause(changes, _COLUMNS)
        async with self.db.transaction() as conn:
            rows = list(await conn.execute_fetchall(
                f"UPDATE recovery_progress SET {assignments} WHERE telegram_user_id = ? RETURNING *",
                (*values, telegram_user_id)))
            if rows:
                await enqueue_code(conn, now, mail, rows[0]["account_id"], expires_at)
        return _row(rows[0]) if rows else None

    async def forget(self, telegram_user_id: int) -> None:
        await self.db.write("DELETE FROM recovery_progress WHERE telegram_user_id = ?", (telegram_user_id,))

    async def users_of(self, account_id: int) -> list[int]:
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT telegram_user_id FROM recovery_progress WHERE account_id = ?", (account_id,))
        return [r[0] for r in rows]
