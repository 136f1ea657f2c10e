"""Failed attempts and growing locks, per account and per Telegram user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.audit import write_event
from storage.db import Database, from_text, to_text

MAX_FAILURES = 5
FIRST_LOCK = timedelta(minutes=15)


@dataclass(frozen=True)
class Lock:
    until: datetime
    scope: str


class Attempts:
    """Five failures lock for 15 minutes; each further lock lasts twice as long as the one before."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def locked_until(self, *keys: tuple[str, str]) -> Lock | None:
        """The latest lock still running among (scope, key) pairs."""
        now = self.db.clock.now()
        found: Lock | None = None
        async with self.db.read() as conn:
            for scope, key in keys:
                rows = list(await conn.execute_fetchall(
                    "SELECT locked_until FROM attempts WHERE scope = ? AND key = ?", (scope, key)))
                if rows and rows[0][0]:
                    until = from_text(rows[0][0])
                    if until > now and (found is None or until > found.until):
                        found = Lock(until, scope)
        return found

    async def running_locks(self, scope: str) -> dict[str, datetime]:
        """Every lock of one scope still running, by key."""
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT key, locked_until FROM attempts WHERE scope = ? AND locked_until > ?",
                (scope, to_text(self.db.clock.now())))
        return {r[0]: from_text(r[1]) for r in rows}

    async def failure(self, *keys: tuple[str, str], actor: str, account_id: int | None, event: str) -> Lock | None:
        """Counts one failure on each key; returns the lock if this failure starts one."""
        now = self.db.clock.now()
        new_lock: Lock | None = None
        locked: list[str] = []
        async with self.db.transaction() as conn:
            await write_event(conn, now, actor, event, account_id)
            for scope, key in keys:
                await conn.execute("INSERT OR IGNORE INTO attempts (scope, key) VALUES (?, ?)", (scope, key))
                rows = list(await conn.execute_fetchall(
                    "SELECT failures, locks FROM attempts WHERE scope = ? AND key = ?", (scope, key)))
                failures, locks = rows[0][0] + 1, rows[0][1]
                if failures >= MAX_FAILURES:
                    until = now + FIRST_LOCK * (2**locks)
                    await conn.execute(
                        "UPDATE attempts SET failures = 0, locks = ?, locked_until = ?, last_failure_at = ?"
                        " WHERE scope = ? AND key = ?", (locks + 1, to_text(until), to_text(now), scope, key))
                    locked.append(f"{scope} jusqu'à {to_text(until)}")
                    if new_lock is None or until > new_lock.until:
                        new_lock = Lock(until, scope)
                else:
                    await conn.execute(
                        "UPDATE attempts SET failures = ?, last_failure_at = ? WHERE scope = ? AND key = ?",
                        (failures, to_text(now), scope, key))
            if locked:  # one event however many keys locked at once: figures count people, not keys
                await write_event(conn, now, actor, "locked", account_id, ", ".join(locked))
        return new_lock

    async def success(self, *keys: tuple[str, str]) -> None:
        async with self.db.transaction() as conn:
            for scope, key in keys:
                await conn.execute("UPDATE attempts SET failures = 0 WHERE scope = ? AND key = ?", (scope, key))

    async def unlock(self, *keys: tuple[str, str]) -> None:
        async with self.db.transaction() as conn:
            for scope, key in keys:
                await conn.execute(
                    "UPDATE attempts SET failures = 0, locks = 0, locked_until = NULL WHERE scope = ? AND key = ?",
                    (scope, key))

