"""Failed attempts and growing locks, per account and per Telegram user."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from weakref import WeakValueDictionary

import aiosqlite

from storage.audit import STILL_PROVES, write_event
from storage.db import Database, from_text, to_text

MAX_FAILURES = 5
FIRST_LOCK = timedelta(minutes=15)
# A key with neither a failure nor a running lock for this long starts afresh: no failures, no lock count.
QUIET_RESET = timedelta(hours=24)
# An account's lock doubles only with the number of distinct Telegram users failing on it, once per doubling
# of that number (2 users: 30 min, 4: 1 h, 8: 2 h… 32: 8 h at most): one stranger keeps the family out 15
# minutes at a time, and less and less often, since that stranger's own lock doubles each time; a handful
# of strangers, an hour at most. Locks grow per sender first. And the account's lock never holds back a
# Telegram user who proved the account (see `locked_until`), nor the letter's link or a mail code.
MAX_ACCOUNT_DOUBLINGS = 5
# One Telegram user's own lock doubles at each lock, at most 7 times (15 min → 32 h).
MAX_USER_DOUBLINGS = 7
# "Mot de passe oublié": activated accounts one Telegram user may look up in 24 hours.
MAX_PROBED_IDENTIFIERS = 3
PROBE_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Lock:
    until: datetime
    scope: str


@dataclass(frozen=True)
class LockState:
    """What staff may know of an account's lock: never who, only how many Telegram users failed on it."""

    until: datetime | None
    locks: int
    failing_users: int


def _user_of(keys: tuple[tuple[str, str], ...]) -> int | None:
    for scope, key in keys:
        if scope == "user" and key.lstrip("-").isdigit():
            return int(key)
    return None


async def _proved(conn: aiosqlite.Connection, key: str, user: int) -> bool:
    """Whether this Telegram user proved the account of identifier key `key`, and that proof still holds.

    Read from the audit trail (storage.audit.STILL_PROVES): what the bot already records when someone
    types the provisional password right, scans the letter, answers the questions, types a mail code, tests
    the password or activates. A staff reset starts the account afresh, and once the account is activated
    the old provisional password proves nothing more.
    """
    rows = await conn.execute_fetchall(
        "SELECT 1 FROM accounts c JOIN audit a ON a.account_id = c.id WHERE c.identifier_key = ? AND a.actor = ?"
        f" AND {STILL_PROVES} LIMIT 1", (key, f"telegram:{user}"))
    return bool(list(rows))


class Attempts:
    """Five failures lock for 15 minutes; further locks double (see the constants above for how far)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._turns: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()

    @asynccontextmanager
    async def turn(self, *keys: tuple[str, str]) -> AsyncIterator[None]:
        """One guess at a time per account, from its lock check to its failure counted.

        Without it, guesses sent at once by several Telegram users all pass the lock check before any of
        them is counted: more guesses than the lock allows, each of them a bind to the ENT's directory with
        LDAP_PROVISIONAL=bind or a login test, which counts them against the family's own account there.
        """
        locks = []
        for scope, key in sorted(set(keys)):  # always in the same order: two turns never wait on each other
            if scope == "account":
                lock = self._turns.get(key)
                if lock is None:
                    lock = self._turns[key] = asyncio.Lock()
                locks.append(lock)
        for lock in locks:
            await lock.acquire()
        try:
            yield
        finally:
            for lock in reversed(locks):
                lock.release()

    async def locked_until(self, *keys: tuple[str, str]) -> Lock | None:
        """The latest lock still running among (scope, key) pairs.

        An account's lock does not hold back a Telegram user among `keys` who proved that account before
        (the family): strangers failing on its identifier must not keep the family out. That user's own
        lock still holds.
        """
        now = self.db.clock.now()
        found: Lock | None = None
        if not keys:
            return None
        user = _user_of(keys)
        pairs = " OR ".join(["(scope = ? AND key = ?)"] * len(keys))  # one round trip for all the keys
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall(
                f"SELECT scope, key, locked_until FROM attempts WHERE locked_until IS NOT NULL AND ({pairs})",
                [value for pair in keys for value in pair]))
            for scope, key, raw in rows:
                until = from_text(raw)
                if until <= now or (found is not None and until <= found.until):
                    continue
                if scope == "account" and user is not None and await _proved(conn, key, user):
                    continue
                found = Lock(until, scope)
        return found

    async def running_locks(self, scope: str) -> dict[str, datetime]:
        """Every lock of one scope still running, by key."""
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT key, locked_until FROM attempts WHERE scope = ? AND locked_until > ?",
                (scope, to_text(self.db.clock.now())))
        return {r[0]: from_text(r[1]) for r in rows}

    async def account_state(self, key: str) -> LockState:
        """The account's running lock (if any), its lock count and how many Telegram users failed on it."""
        now = self.db.clock.now()
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall(
                "SELECT locks, locked_until, last_failure_at FROM attempts WHERE scope = 'account' AND key = ?",
                (key,)))
            users = list(await conn.execute_fetchall(
                "SELECT COUNT(*) FROM account_failures WHERE key = ?", (key,)))[0][0]
        if not rows or _quiet(rows[0][1], rows[0][2], now):
            return LockState(None, 0, 0)
        until = from_text(rows[0][1]) if rows[0][1] else None
        return LockState(until if until and until > now else None, rows[0][0], users)

    async def failure(self, *keys: tuple[str, str], actor: str, account_id: int | None, event: str) -> Lock | None:
        """Counts one failure on each key; returns the lock if this failure starts one."""
        now = self.db.clock.now()
        user = _user_of(keys)
        new_lock: Lock | None = None
        locked: list[str] = []
        async with self.db.transaction() as conn:
            await write_event(conn, now, actor, event, account_id)
            for scope, key in keys:
                until = await self._count(conn, scope, key, user, now)
                if until is not None:
                    locked.append(f"{scope} jusqu'à {to_text(until)}")
                    if new_lock is None or until > new_lock.until:
                        new_lock = Lock(until, scope)
            if locked:  # one event however many keys locked at once: figures count people, not keys
                await write_event(conn, now, actor, "locked", account_id, ", ".join(locked))
        return new_lock

    async def _count(self, conn: aiosqlite.Connection, scope: str, key: str, user: int | None,
                     now: datetime) -> datetime | None:
        """One more failure on (scope, key); the end of the lock it starts, if it starts one."""
        await conn.execute("INSERT INTO attempts (scope, key) VALUES (?, ?) ON CONFLICT DO NOTHING", (scope, key))
        rows = list(await conn.execute_fetchall(
            "SELECT failures, locks, locked_until, last_failure_at FROM attempts WHERE scope = ? AND key = ?",
            (scope, key)))
        failures, locks, locked_until, last_failure = rows[0]
        if _quiet(locked_until, last_failure, now):
            failures, locks = 0, 0
            if scope == "account":
                await conn.execute("DELETE FROM account_failures WHERE key = ?", (key,))
        failures += 1
        doublings = min(locks, MAX_USER_DOUBLINGS)
        if scope == "account":
            if user is not None:
                await conn.execute(
                    "INSERT INTO account_failures (key, telegram_user_id, last_failure_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (key, telegram_user_id) DO UPDATE SET last_failure_at = excluded.last_failure_at",
                    (key, user, to_text(now)))
            users = list(await conn.execute_fetchall(
                "SELECT COUNT(*) FROM account_failures WHERE key = ?", (key,)))[0][0]
            doublings = min(locks, max(0, users.bit_length() - 1), MAX_ACCOUNT_DOUBLINGS)
        if failures < MAX_FAILURES:
            await conn.execute(
                "UPDATE attempts SET failures = ?, locks = ?, last_failure_at = ? WHERE scope = ? AND key = ?",
                (failures, locks, to_text(now), scope, key))
            return None
        until: datetime = now + FIRST_LOCK * (2**doublings)
        await conn.execute(
            "UPDATE attempts SET failures = 0, locks = ?, locked_until = ?, last_failure_at = ?"
            " WHERE scope = ? AND key = ?", (locks + 1, to_text(until), to_text(now), scope, key))
        return until

    async def success(self, *keys: tuple[str, str]) -> None:
        """Someone proved the account: its count starts afresh.

        A Telegram user's own count is left alone: proving one's own account between guesses at another
        must not wipe the guesses.
        """
        statements: list[tuple[str, tuple[Any, ...]]] = []
        for scope, key in keys:
            if scope == "account":
                statements += [("UPDATE attempts SET failures = 0, locks = 0 WHERE scope = ? AND key = ?", (scope, key)),
                               ("DELETE FROM account_failures WHERE key = ?", (key,))]
        if statements:
            await self.db.atomic(statements)

    async def unlock(self, *keys: tuple[str, str]) -> None:
        """Lifts the locks and clears the counts of these keys (and, for an account, who failed on it)."""
        async with self.db.transaction() as conn:
            for scope, key in keys:
                await conn.execute(
                    "UPDATE attempts SET failures = 0, locks = 0, locked_until = NULL WHERE scope = ? AND key = ?",
                    (scope, key))
                if scope == "account":
                    await conn.execute("DELETE FROM account_failures WHERE key = ?", (key,))

    async def failed_elsewhere(self, telegram_user_id: int, key: str) -> bool:
        """Whether this Telegram user has failures counted on another identifier than `key` (a guesser's trace)."""
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT 1 FROM account_failures WHERE telegram_user_id = ? AND key != ? LIMIT 1", (telegram_user_id, key))
        return bool(list(rows))

    async def may_look_up(self, telegram_user_id: int, key: str) -> bool:
        """Whether this user may look up this activated account: one already looked up in the window, or a new
        one while under MAX_PROBED_IDENTIFIERS (then recorded). A refused one is not recorded."""
        now = self.db.clock.now()
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM identifier_probes WHERE probed_at < ?", (to_text(now - PROBE_WINDOW),))
            known = list(await conn.execute_fetchall(
                "SELECT key FROM identifier_probes WHERE telegram_user_id = ?", (telegram_user_id,)))
            if key not in {r[0] for r in known} and len(known) >= MAX_PROBED_IDENTIFIERS:
                return False
            await conn.execute(
                "INSERT INTO identifier_probes (telegram_user_id, key, probed_at) VALUES (?, ?, ?)"
                " ON CONFLICT (telegram_user_id, key) DO NOTHING", (telegram_user_id, key, to_text(now)))
        return True


def _quiet(locked_until: str | None, last_failure: str | None, now: datetime) -> bool:
    """No failure and no running lock for QUIET_RESET: the key's past no longer counts."""
    moments = [from_text(m) for m in (locked_until, last_failure) if m]
    return bool(moments) and now - max(moments) >= QUIET_RESET
