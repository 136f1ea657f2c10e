"""Announcements: subscribed parents, the notices staff write, and each recipient's delivery, kept step by step."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from itertools import zip_longest
from typing import Any

from storage.db import Database, from_text, marks, set_clause, to_text
from storage.schools import DEFAULT_UAI

WAIT_FOR_AUTHOR = timedelta(hours=1)


@dataclass(frozen=True)
class Notice:
    id: int
    author_id: int
    author_name: str
    state: str
    kind: str | None
    summary: str | None
    source_chat_id: int | None
    source_message_id: int | None
    control_message_id: int | None
    with_channel: int
    scheduled_at: str | None
    published_at: str | None
    channel_state: str | None  # None: to post; sent, failed, or none (no channel for this notice)
    channel_error: str | None
    created_at: str
    updated_at: str
    channel_intent: str | None  # None: not tried; posting: the request went out, outcome unknown; posted
    uai: str = DEFAULT_UAI  # the author's school: its subscribers, its channel, its quiet hours


@dataclass(frozen=True)
class Figures:
    sent: int
    failed: int
    left: int
    reasons: dict[str, int]


@dataclass(frozen=True)
class Delivery:
    notice_id: int
    telegram_user_id: int
    attempts: int
    source_chat_id: int
    source_message_id: int


_NOTICE = [f.name for f in fields(Notice)]


def _notice(row: Any) -> Notice:
    return Notice(**{k: row[k] for k in _NOTICE})


class Subscribers:
    """Who gets notices: a family subscribes to one school's notices or more (`subscriber_schools`); its
    `subscribers` row says who it is and whether it gets any school's at all."""

    def __init__(self, db: Database, default_uai: str = DEFAULT_UAI) -> None:
        self.db = db
        self.default_uai = default_uai  # the school of a single-school deployment, when a caller names none

    async def subscribe(self, telegram_user_id: int, first_name: str | None, uais: Sequence[str] = ()) -> None:
        """Subscribes the family to these schools' notices (none named: the deployment's single school)."""
        now = to_text(self.db.clock.now())
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO subscribers (telegram_user_id, first_name, active, subscribed_at) VALUES (?, ?, 1, ?)"
                " ON CONFLICT (telegram_user_id) DO UPDATE SET active = 1, first_name = excluded.first_name,"
                " subscribed_at = excluded.subscribed_at, unsubscribed_at = NULL, unsubscribe_reason = NULL",
                (telegram_user_id, first_name, now))
            for uai in uais or (self.default_uai,):
                await conn.execute(
                    "INSERT INTO subscriber_schools (telegram_user_id, uai, active, changed_at) VALUES (?, ?, 1, ?)"
                    " ON CONFLICT (telegram_user_id, uai) DO UPDATE SET active = 1, changed_at = excluded.changed_at",
                    (telegram_user_id, uai, now))

    async def unsubscribe(self, telegram_user_id: int, reason: str, uais: Sequence[str] | None = None) -> None:
        """Unsubscribes the family from these schools' notices (None: from every school's, as when it blocked
        the bot); its `subscribers` row goes inactive when no school's are left."""
        now = to_text(self.db.clock.now())
        only = "" if uais is None else f" AND uai IN ({marks(len(uais))})"
        async with self.db.transaction() as conn:
            await conn.execute(
                f"UPDATE subscriber_schools SET active = 0, changed_at = ? WHERE telegram_user_id = ? AND active = 1{only}",
                (now, telegram_user_id, *(uais or ())))
            await conn.execute(
                "UPDATE subscribers SET active = 0, unsubscribed_at = ?, unsubscribe_reason = ?"
                " WHERE telegram_user_id = ? AND active = 1 AND NOT EXISTS (SELECT 1 FROM subscriber_schools"
                " WHERE telegram_user_id = ? AND active = 1)", (now, reason, telegram_user_id, telegram_user_id))

    async def is_active(self, telegram_user_id: int) -> bool:
        """Whether the family gets any school's notices."""
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall(
                "SELECT active FROM subscribers WHERE telegram_user_id = ?", (telegram_user_id,)))
        return bool(rows and rows[0][0])

    async def schools(self, telegram_user_id: int) -> tuple[str, ...]:
        """The UAIs of the schools whose notices the family gets."""
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT uai FROM subscriber_schools WHERE telegram_user_id = ? AND active = 1 ORDER BY uai",
                (telegram_user_id,))
        return tuple(r[0] for r in rows)

    async def count(self, uai: str | None = None) -> int:
        """The families subscribed to this school's notices (None: to any school's)."""
        async with self.db.read() as conn:
            if uai is None:
                rows = list(await conn.execute_fetchall("SELECT COUNT(*) FROM subscribers WHERE active = 1"))
            else:
                rows = list(await conn.execute_fetchall(
                    "SELECT COUNT(*) FROM subscriber_schools WHERE uai = ? AND active = 1", (uai,)))
        return int(rows[0][0])


class Notices:
    def __init__(self, db: Database) -> None:
        self.db = db
        # Who has a notice waiting for something typed. Every private message asks, so the answer
        # "nobody" must cost no query; this process is the only writer of notices.
        self._writers: set[int] | None = None

    async def get(self, notice_id: int) -> Notice | None:
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall("SELECT * FROM notices WHERE id = ?", (notice_id,)))
        return _notice(rows[0]) if rows else None

    async def start(self, author_id: int, author_name: str, uai: str = DEFAULT_UAI) -> Notice:
        """A new notice of the school `uai` awaits its content; one being written before by the same author is
        dropped."""
        now = to_text(self.db.clock.now())
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE notices SET state = 'cancelled', updated_at = ? WHERE author_id = ?"
                " AND state IN ('awaiting', 'draft', 'asking_time')", (now, author_id))
            rows = list(await conn.execute_fetchall(
                "INSERT INTO notices (author_id, author_name, state, created_at, updated_at, uai)"
                " VALUES (?, ?, 'awaiting', ?, ?, ?) RETURNING *", (author_id, author_name, now, now, uai)))
        if self._writers is not None:
            self._writers.add(author_id)
        return _notice(rows[0])

    async def being_written(self, author_id: int) -> Notice | None:
        """The author's notice waiting for something typed (its content, or its time), if not left for an hour.

        Someone who typed /annonce yesterday and writes to the bot today is not writing a notice.
        """
        if self._writers is None:
            async with self.db.read() as conn:
                rows = await conn.execute_fetchall(
                    "SELECT DISTINCT author_id FROM notices WHERE state IN ('awaiting', 'asking_time')")
            self._writers = {r[0] for r in rows}
        if author_id not in self._writers:
            return None
        since = to_text(self.db.clock.now() - WAIT_FOR_AUTHOR)
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall(
                "SELECT * FROM notices WHERE author_id = ? AND state IN ('awaiting', 'asking_time') AND updated_at >= ?"
                " ORDER BY id DESC LIMIT 1", (author_id, since)))
        return _notice(rows[0]) if rows else None

    async def change(self, notice_id: int, from_states: tuple[str, ...], **changes: Any) -> Notice | None:
        """Changes the notice only if it is in one of `from_states` (a stale button changes nothing)."""
        changes["updated_at"] = self.db.clock.now()
        assignments, values = set_clause(changes, _NOTICE)
        marks = ",".join("?" * len(from_states))
        async with self.db.transaction() as conn:
            rows = list(await conn.execute_fetchall(
                f"UPDATE notices SET {assignments} WHERE id = ? AND state IN ({marks}) RETURNING *",
                (*values, notice_id, *from_states)))
        self._writers = None  # a state changed: asked again at the next message
        return _notice(rows[0]) if rows else None

    async def claim_channel_post(self, notice_id: int) -> str:
        """Records the intent to post to the channel before the request goes: 'claimed' if this caller may post
        now; otherwise what is known already ('posting': a request went out and its outcome is unknown; 'posted')."""
        async with self.db.transaction() as conn:
            rows = list(await conn.execute_fetchall(
                "UPDATE notices SET channel_intent = 'posting', updated_at = ? WHERE id = ? AND channel_intent IS NULL"
                " RETURNING id", (to_text(self.db.clock.now()), notice_id)))
            if rows:
                return "claimed"
            current = list(await conn.execute_fetchall("SELECT channel_intent FROM notices WHERE id = ?",
                                                       (notice_id,)))
        return str(current[0][0]) if current else "posted"

    async def channel_outcome(self, notice_id: int, posted: bool | None) -> None:
        """The channel took the post (True), surely refused it (False: it may be tried again), or nobody knows (None)."""
        intent = {True: "posted", False: None, None: "posting"}[posted]
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE notices SET channel_intent = ?, updated_at = ? WHERE id = ?",
                               (intent, to_text(self.db.clock.now()), notice_id))

    async def set_control(self, notice_id: int, message_id: int) -> None:
        """The author's message that carries the notice's buttons, then its live count."""
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE notices SET control_message_id = ? WHERE id = ?", (message_id, notice_id))

    async def publish(self, notice_id: int, from_states: tuple[str, ...], channel_state: str,
                      channel_error: str | None = None) -> Notice | None:
        """One step: the notice goes out, and every family subscribed now to its school's notices gets a pending
        delivery."""
        moment = self.db.clock.now()
        now = to_text(moment)
        marks = ",".join("?" * len(from_states))
        async with self.db.transaction() as conn:
            rows = list(await conn.execute_fetchall(
                f"UPDATE notices SET state = 'publishing', published_at = ?, updated_at = ?, channel_state = ?,"
                f" channel_error = ? WHERE id = ? AND state IN ({marks}) RETURNING *",
                (now, now, channel_state, channel_error, notice_id, *from_states)))
            if not rows:
                return None
            await conn.execute(
                "INSERT INTO deliveries (notice_id, telegram_user_id, next_attempt_at)"
                " SELECT ?, telegram_user_id, ? FROM subscriber_schools WHERE uai = ? AND active = 1",
                (notice_id, now, rows[0]["uai"]))
        return _notice(rows[0])

    async def due_scheduled(self) -> list[Notice]:
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT * FROM notices WHERE state = 'scheduled' AND scheduled_at <= ? ORDER BY scheduled_at",
                (to_text(self.db.clock.now()),))
        return [_notice(r) for r in rows]

    async def in_state(self, state: str) -> list[Notice]:
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall("SELECT * FROM notices WHERE state = ? ORDER BY id", (state,))
        return [_notice(r) for r in rows]

    async def recent(self, uai: str, limit: int = 10) -> list[Notice]:
        """The school's latest notices published, under way or scheduled (and scheduled ones called off)."""
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT * FROM notices WHERE uai = ? AND (state NOT IN ('awaiting', 'draft', 'asking_time', 'cancelled')"
                " OR (state = 'cancelled' AND scheduled_at IS NOT NULL)) ORDER BY id DESC LIMIT ?", (uai, limit))
        return [_notice(r) for r in rows]

    async def figures(self, notice_id: int) -> Figures:
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT state, reason, COUNT(*) FROM deliveries WHERE notice_id = ? GROUP BY state, reason",
                (notice_id,))
        sent = failed = left = 0
        reasons: dict[str, int] = {}
        for state, reason, count in rows:
            if state == "sent":
                sent += count
            elif state == "failed":
                failed += count
                reasons[reason or "?"] = reasons.get(reason or "?", 0) + count
            else:
                left += count
        return Figures(sent, failed, left, reasons)

    async def finish_if_complete(self, notice_id: int) -> bool:
        """The notice is done once no delivery is left to make."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE notices SET state = 'done', updated_at = ? WHERE id = ? AND state = 'publishing'"
                " AND channel_state IS NOT NULL AND NOT EXISTS (SELECT 1 FROM deliveries WHERE notice_id = ?"
                " AND state IN ('pending', 'sending'))", (to_text(self.db.clock.now()), notice_id, notice_id))
        return cursor.rowcount == 1


class Deliveries:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def in_doubt_to_pending(self) -> int:
        """At start: a request that was out when the bot stopped is sent again rather than skipped."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute("UPDATE deliveries SET state = 'pending' WHERE state = 'sending'")
        return cursor.rowcount

    async def due(self, limit: int, uais: Sequence[str] | None = None) -> list[Delivery]:
        """Pending deliveries whose time has come, at most `limit`.

        `uais`: only these schools' notices, taken in turns (A, B, A, B…), so that a school's small notice is not
        queued behind another school's big one: one pace (BROADCAST_RATE) shared fairly between schools.
        Within a school, its notices go in the order they were published.
        """
        query = ("SELECT d.notice_id, d.telegram_user_id, d.attempts, n.source_chat_id, n.source_message_id"
                 " FROM deliveries d JOIN notices n ON n.id = d.notice_id"
                 " WHERE d.state = 'pending' AND d.next_attempt_at <= ? AND n.state = 'publishing'{school}"
                 " ORDER BY d.notice_id, d.rowid LIMIT ?")
        now = to_text(self.db.clock.now())
        async with self.db.read() as conn:
            if uais is None:
                rows = await conn.execute_fetchall(query.format(school=""), (now, limit))
                return [Delivery(*r) for r in rows]
            each = max(1, -(-limit // max(1, len(uais))))
            queues = [[Delivery(*r) for r in await conn.execute_fetchall(query.format(school=" AND n.uai = ?"),
                                                                          (now, uai, each))] for uai in uais]
        turns = [d for round_ in zip_longest(*queues) for d in round_ if d is not None]
        return turns[:limit]

    async def next_attempt(self, uais: Sequence[str] | None = None) -> datetime | None:
        """When the next pending delivery comes due (only these schools' notices, when given)."""
        only = "" if uais is None else f" AND n.uai IN ({marks(len(uais))})"
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall(
                "SELECT MIN(d.next_attempt_at) FROM deliveries d JOIN notices n ON n.id = d.notice_id"
                f" WHERE d.state = 'pending' AND n.state = 'publishing'{only}", tuple(uais or ())))
        return from_text(rows[0][0]) if rows and rows[0][0] else None

    async def _set(self, d: Delivery, sql: str, values: tuple[Any, ...]) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(f"UPDATE deliveries SET {sql} WHERE notice_id = ? AND telegram_user_id = ?",
                               (*values, d.notice_id, d.telegram_user_id))

    async def claim(self, d: Delivery) -> bool:
        """Marks the delivery as on its way; False if it was not pending any more (another round took it)."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE deliveries SET state = 'sending', attempts = attempts + 1"
                " WHERE notice_id = ? AND telegram_user_id = ? AND state = 'pending'", (d.notice_id, d.telegram_user_id))
        return cursor.rowcount == 1

    async def sent(self, d: Delivery) -> None:
        await self._set(d, "state = 'sent', sent_at = ?, reason = NULL", (to_text(self.db.clock.now()),))

    async def failed(self, d: Delivery, reason: str) -> None:
        await self._set(d, "state = 'failed', reason = ?", (reason,))

    async def later(self, d: Delivery, reason: str, at: datetime) -> None:
        await self._set(d, "state = 'pending', reason = ?, next_attempt_at = ?", (reason, to_text(at)))
