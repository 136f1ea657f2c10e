"""The activation in progress of each Telegram user, saved at every completed step."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import aiosqlite

from storage.db import Database, from_text, set_clause, to_text
from storage.outbox import OutgoingMail, enqueue_code


@dataclass(frozen=True)
class Progress:
    telegram_user_id: int
    account_id: int | None
    identifier: str | None  # as typed by the parent; the account is known once the pair is proven
    provisional_hash: str | None  # the account's, when the parent proved it: detects a reset meanwhile
    step: str
    prompt_message_id: int | None
    cgu_version: str | None
    cgu_accepted_at: str | None
    email: str | None
    email_skipped: int
    question1: int | None
    answer1_hash: str | None
    question2: int | None
    answer2_hash: str | None
    password_hash: str | None
    last_error: str | None
    started_at: str
    updated_at: str
    error_count: int = 0  # the same kind of failure in a row: from 3, the help desk is offered
    email_code_hash: str | None = None
    email_code_expires_at: str | None = None
    email_code_tries: int = 0
    email_codes_sent: int = 0
    email_verified: int = 0
    proven_at: str | None = None  # the last accepted answer; showing a step or a wrong answer leaves it
    reauth_due: int = 0  # asked to type the provisional password again: the dialogue waits for it

    @property
    def proven(self) -> datetime:
        return from_text(self.proven_at or self.started_at)


_COLUMNS = {f.name for f in fields(Progress)}


_UPDATE = "UPDATE activation_progress SET {} WHERE telegram_user_id = ? RETURNING *"


def _progress(row: Any) -> Progress:
    return Progress(**{k: row[k] for k in _COLUMNS})


@dataclass(frozen=True)
class Dialogue:
    """Everything that says which dialogue a person is in, read in one go."""

    writing_to_school: bool
    recovery_step: str | None
    progress: Progress | None


class ProgressStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, telegram_user_id: int) -> Progress | None:
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall(
                "SELECT * FROM activation_progress WHERE telegram_user_id = ?", (telegram_user_id,)))
        return _progress(rows[0]) if rows else None

    async def dialogue(self, telegram_user_id: int) -> Dialogue:
        """The person's saved dialogue state in one round trip: writing to the school, a recovery, an activation."""
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall(
                "SELECT EXISTS(SELECT 1 FROM helpdesk_writing WHERE telegram_user_id = :u) AS writing_to_school,"
                " (SELECT step FROM recovery_progress WHERE telegram_user_id = :u) AS recovery_step, p.*"
                " FROM (SELECT 1) AS one LEFT JOIN activation_progress p ON p.telegram_user_id = :u",
                {"u": telegram_user_id}))
        row = rows[0]
        progress = _progress(row) if row["telegram_user_id"] is not None else None
        return Dialogue(bool(row["writing_to_school"]), row["recovery_step"], progress)

    async def start(self, telegram_user_id: int, step: str) -> Progress:
        """Starts afresh: whatever was there for this user is forgotten."""
        now = to_text(self.db.clock.now())

        def restart(conn: sqlite3.Connection) -> Any:
            # Delete then insert (SQLite's INSERT OR REPLACE, in both engines' SQL): every other column afresh.
            conn.execute("DELETE FROM activation_progress WHERE telegram_user_id = ?", (telegram_user_id,))
            return conn.execute(
                "INSERT INTO activation_progress (telegram_user_id, step, started_at, updated_at, proven_at)"
                " VALUES (?, ?, ?, ?, ?) RETURNING *", (telegram_user_id, step, now, now, now)).fetchall()[0]

        return _progress(await self.db.in_thread(restart))

    async def update(self, telegram_user_id: int, **changes: Any) -> Progress | None:
        """Records what changed (and touches the time of last activity); returns the row as saved.

        `proven_at` is not touched here: only an accepted answer sets it, by passing it.
        """
        changes["updated_at"] = self.db.clock.now()
        assignments, values = set_clause(changes, _COLUMNS)
        if "last_error" in changes and "error_count" not in changes:
            # One more failure in a row, or none once the step went through.
            assignments += ", error_count = " + ("0" if changes["last_error"] is None else "error_count + 1")
        rows = await self.db.write(_UPDATE.format(assignments), (*values, telegram_user_id))
        return _progress(rows[0]) if rows else None

    @staticmethod
    async def _update(conn: aiosqlite.Connection, telegram_user_id: int, assignments: str,
                      values: list[Any]) -> Progress | None:
        rows = list(await conn.execute_fetchall(_UPDATE.format(assignments), (*values, telegram_user_id)))
        return Progress(**{k: rows[0][k] for k in _COLUMNS}) if rows else None

    async def new_email_code(self, telegram_user_id: int, code_hash: str, expires_at: datetime,
                             mail: OutgoingMail) -> Progress | None:
        """Records a new confirmation code and queues its mail, both or neither (CodeCapReached: neither)."""
        now = self.db.clock.now()
        async with self.db.transaction() as conn:
            saved = await self._update(
                conn, telegram_user_id, "email_code_hash = ?, email_code_expires_at = ?, email_code_tries = 0,"
                " email_codes_sent = email_codes_sent + 1, updated_at = ?",
                [code_hash, to_text(expires_at), to_text(now)])
            if saved is not None:
                await enqueue_code(conn, now, mail, saved.account_id, expires_at)
        return saved

    async def forget(self, telegram_user_id: int) -> None:
        await self.db.write("DELETE FROM activation_progress WHERE telegram_user_id = ?", (telegram_user_id,))

    async def steps_by_account(self) -> dict[int, str]:
        """The step reached on each account, by its latest activation in progress."""
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT account_id, step FROM activation_progress WHERE account_id IS NOT NULL ORDER BY updated_at")
        return {r[0]: r[1] for r in rows}

    async def touching(self, account_id: int, key: str) -> list[Progress]:
        """Activations on this account, or still trying its identifier (`key`, as `identifier_key` makes it)."""
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT * FROM activation_progress WHERE account_id = ? OR (account_id IS NULL AND identifier IS NOT NULL)"
                " ORDER BY updated_at DESC", (account_id,))
        found = [Progress(**{k: r[k] for k in _COLUMNS}) for r in rows]
        return [p for p in found if p.account_id == account_id or (p.identifier or "").strip().casefold() == key]

    async def for_account(self, account_id: int) -> list[Progress]:
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT * FROM activation_progress WHERE account_id = ? ORDER BY updated_at DESC", (account_id,))
        return [Progress(**{k: r[k] for k in _COLUMNS}) for r in rows]
