"""Help-desk tickets: a parent's messages to the school, staff answers, and which group message shows which."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from storage.db import Database, to_text
from storage.outbox import OutgoingMail, enqueue


@dataclass(frozen=True)
class Ticket:
    id: int
    telegram_user_id: int
    user_name: str
    account_id: int | None
    identifier: str | None
    context: str
    state: str  # open, closed
    taken_by: int | None
    taken_by_name: str | None
    header_message_id: int | None
    opened_at: str
    updated_at: str
    closed_at: str | None
    closed_by_name: str | None


@dataclass(frozen=True)
class TicketMessage:
    id: int
    ticket_id: int
    author: str  # parent, staff
    author_name: str | None
    kind: str  # text, photo, document
    text: str | None
    source_chat_id: int | None
    source_message_id: int | None
    at: str


@dataclass(frozen=True)
class NewMessage:
    kind: str
    text: str | None
    source_chat_id: int | None = None
    source_message_id: int | None = None


_TICKET = [f.name for f in fields(Ticket)]
_MESSAGE = [f.name for f in fields(TicketMessage)]


def _ticket(row: Any) -> Ticket:
    return Ticket(**{k: row[k] for k in _TICKET})


def _message(row: Any) -> TicketMessage:
    return TicketMessage(**{k: row[k] for k in _MESSAGE})


class Tickets:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, ticket_id: int) -> Ticket | None:
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall("SELECT * FROM tickets WHERE id = ?", (ticket_id,)))
        return _ticket(rows[0]) if rows else None

    async def open_for(self, telegram_user_id: int) -> Ticket | None:
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall(
                "SELECT * FROM tickets WHERE telegram_user_id = ? AND state = 'open'", (telegram_user_id,)))
        return _ticket(rows[0]) if rows else None

    async def parent_messages_since(self, telegram_user_id: int, since: datetime) -> int:
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall(
                "SELECT COUNT(*) FROM ticket_messages m JOIN tickets t ON t.id = m.ticket_id"
                " WHERE t.telegram_user_id = ? AND m.author = 'parent' AND m.at >= ?",
                (telegram_user_id, to_text(since))))
        return int(rows[0][0])

    async def submit(self, telegram_user_id: int, user_name: str, account_id: int | None, identifier: str | None,
                     context: str, message: NewMessage,
                     compose: Callable[[Ticket, bool], OutgoingMail] | None) -> tuple[Ticket, bool]:
        """Adds the parent's message to their open ticket, or opens one; its mail is queued in the same step.

        Returns the ticket and whether it is new.
        """
        moment = self.db.clock.now()
        now = to_text(moment)
        async with self.db.transaction() as conn:
            rows = list(await conn.execute_fetchall(
                "SELECT * FROM tickets WHERE telegram_user_id = ? AND state = 'open'", (telegram_user_id,)))
            new = not rows
            if new:
                rows = list(await conn.execute_fetchall(
                    "INSERT INTO tickets (telegram_user_id, user_name, account_id, identifier, context, opened_at,"
                    " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *",
                    (telegram_user_id, user_name, account_id, identifier, context, now, now)))
            else:
                rows = list(await conn.execute_fetchall(
                    "UPDATE tickets SET updated_at = ? WHERE id = ? RETURNING *", (now, rows[0]["id"])))
            ticket = _ticket(rows[0])
            await conn.execute(
                "INSERT INTO ticket_messages (ticket_id, author, author_name, kind, text, source_chat_id,"
                " source_message_id, at) VALUES (?, 'parent', ?, ?, ?, ?, ?, ?)",
                (ticket.id, user_name, message.kind, message.text, message.source_chat_id, message.source_message_id,
                 now))
            if compose is not None:
                mail = compose(ticket, new)
                await enqueue(conn, moment, mail.kind, mail.recipient, mail.subject, mail.body, mail.domain)
        return ticket, new

    async def add_staff_message(self, ticket_id: int, author_name: str, kind: str, text: str | None) -> None:
        now = to_text(self.db.clock.now())
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO ticket_messages (ticket_id, author, author_name, kind, text, at)"
                " VALUES (?, 'staff', ?, ?, ?, ?)", (ticket_id, author_name, kind, text, now))
            await conn.execute("UPDATE tickets SET updated_at = ? WHERE id = ?", (now, ticket_id))

    async def messages(self, ticket_id: int) -> list[TicketMessage]:
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT * FROM ticket_messages WHERE ticket_id = ? ORDER BY id", (ticket_id,))
        return [_message(r) for r in rows]

    async def record_post(self, chat_id: int, message_id: int, ticket_id: int, header: bool = False) -> None:
        async with self.db.transaction() as conn:
            await conn.execute("INSERT OR REPLACE INTO ticket_posts (chat_id, message_id, ticket_id) VALUES (?, ?, ?)",
                               (chat_id, message_id, ticket_id))
            if header:
                await conn.execute("UPDATE tickets SET header_message_id = ? WHERE id = ?", (message_id, ticket_id))

    async def by_post(self, chat_id: int, message_id: int) -> Ticket | None:
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall(
                "SELECT t.* FROM ticket_posts p JOIN tickets t ON t.id = p.ticket_id"
                " WHERE p.chat_id = ? AND p.message_id = ?", (chat_id, message_id)))
        return _ticket(rows[0]) if rows else None

    async def take(self, ticket_id: int, staff_id: int, staff_name: str) -> Ticket | None:
        """The staff member takes the open ticket (or takes it over); None if it is closed."""
        async with self.db.transaction() as conn:
            rows = list(await conn.execute_fetchall(
                "UPDATE tickets SET taken_by = ?, taken_by_name = ?, updated_at = ? WHERE id = ? AND state = 'open'"
                " RETURNING *", (staff_id, staff_name, to_text(self.db.clock.now()), ticket_id)))
        return _ticket(rows[0]) if rows else None

    async def close(self, ticket_id: int, staff_name: str) -> Ticket | None:
        """Closes the ticket; None if it was closed already (two staff pressing at once: one closes it)."""
        now = to_text(self.db.clock.now())
        async with self.db.transaction() as conn:
            rows = list(await conn.execute_fetchall(
                "UPDATE tickets SET state = 'closed', closed_at = ?, closed_by_name = ?, updated_at = ?"
                " WHERE id = ? AND state = 'open' RETURNING *", (now, staff_name, now, ticket_id)))
        return _ticket(rows[0]) if rows else None

    async def set_context(self, ticket_id: int, context: str) -> Ticket | None:
        """What staff see of the parent's situation, as it is now (after an unlock, say)."""
        async with self.db.transaction() as conn:
            rows = list(await conn.execute_fetchall(
                "UPDATE tickets SET context = ?, updated_at = ? WHERE id = ? AND state = 'open' RETURNING *",
                (context, to_text(self.db.clock.now()), ticket_id)))
        return _ticket(rows[0]) if rows else None

    async def open_tickets(self) -> list[Ticket]:
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall("SELECT * FROM tickets WHERE state = 'open' ORDER BY id")
        return [_ticket(r) for r in rows]

    async def purge_closed(self, before: datetime) -> int:
        """Forgets tickets closed before `before`, with their messages and group posts."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM tickets WHERE state = 'closed' AND closed_at < ?",
                                        (to_text(before),))
        return cursor.rowcount
