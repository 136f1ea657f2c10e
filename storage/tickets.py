"""Help-desk tickets: a parent's messages to the school, staff answers, and which group message shows which."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from storage.db import Database, from_text, marks, to_text
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
    proven: int  # 1 if the parent proved they hold the account, 0 if they only typed its identifier
    uai: str = ""  # the school the ticket is for: its staff group and its address only


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
    language: str = "fr"  # the language the family read the bot in when it wrote (staff: French)


@dataclass(frozen=True)
class NewMessage:
    kind: str
    text: str | None
    source_chat_id: int | None = None
    source_message_id: int | None = None
    language: str = "fr"  # the family's language at that moment: staff read « écrit en ukrainien »


@dataclass(frozen=True)
class StaffPost:
    """One thing the staff group is to receive: a ticket's header, or one of the parent's later messages."""

    id: int
    ticket_id: int
    kind: str  # header, message
    message_id: int | None  # the ticket message, for kind 'message'
    attempts: int
    uai: str = ""  # the ticket's school: whose staff group the post goes to


FIRST_POST_RETRY = timedelta(seconds=5)
LONGEST_POST_RETRY = timedelta(minutes=1)  # the group comes back (the bot re-added): within a minute
MAX_REFUSED_POSTS = 5  # a message Telegram keeps refusing (a photo its sender deleted) is given up


_TICKET = [f.name for f in fields(Ticket)]
_MESSAGE = [f.name for f in fields(TicketMessage)]


def _ticket(row: Any) -> Ticket:
    return Ticket(**{k: row[k] for k in _TICKET})


def _message(row: Any) -> TicketMessage:
    return TicketMessage(**{k: row[k] for k in _MESSAGE})


async def _queue_post(conn: Any, ticket_id: int, kind: str, message_id: int | None, now: str) -> None:
    await conn.execute("INSERT INTO staff_posts (ticket_id, kind, message_id, next_attempt_at, created_at)"
                       " VALUES (?, ?, ?, ?, ?)", (ticket_id, kind, message_id, now, now))


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

    async def waiting_posts(self, to_group: bool, uai: str | None = None, recipient: str | None = None) -> int:
        """What the help desk has not delivered yet: posts for the staff group, or (no group) tickets' mails.

        With `uai`, the posts of that school's tickets only; with `recipient`, the mails to that address only
        (each school's backlog is its own: a flood at one school never closes another's door)."""
        if to_group:
            query = "SELECT COUNT(*) FROM staff_posts WHERE state = 'pending'"
            args: tuple[str, ...] = ()
            if uai is not None:
                query = ("SELECT COUNT(*) FROM staff_posts p JOIN tickets t ON t.id = p.ticket_id"
                         " WHERE p.state = 'pending' AND t.uai = ?")
                args = (uai,)
        else:
            query = "SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND kind = 'ticket'"
            args = ()
            if recipient is not None:
                query += " AND recipient = ?"
                args = (recipient,)
        async with self.db.read() as conn:  # both counts read an index on (state, …)
            rows = list(await conn.execute_fetchall(query, args))
        return int(rows[0][0])

    async def submit(self, telegram_user_id: int, user_name: str, account_id: int | None, identifier: str | None,
                     context: str, proven: bool, message: NewMessage,
                     compose: Callable[[Ticket, bool], OutgoingMail] | None,
                     to_group: bool = False, uai: str = "") -> tuple[Ticket, bool]:
        """Adds the parent's message to their open ticket, or opens one; its mail, and its post to the staff
        group (to_group), are queued in the same step: a worker sends them, the parent does not wait.

        A new ticket is `uai`'s; a message joining an open ticket stays with that ticket's school.
        Returns the ticket and whether it is new.
        """
        moment = self.db.clock.now()
        now = to_text(moment)
        async with self.db.transaction() as conn:
            rows = list(await conn.execute_fetchall(
                "SELECT * FROM tickets WHERE telegram_user_id = ? AND state = 'open'", (telegram_user_id,)))
            if rows and uai and rows[0]["uai"] != uai:
                # The open ticket is of a school the deployment no longer serves (the caller writes to an open
                # ticket's own school otherwise): closed, and the message opens one at its new school.
                await conn.execute("UPDATE tickets SET state = 'closed', closed_at = ?, updated_at = ? WHERE id = ?",
                                   (now, now, rows[0]["id"]))
                rows = []
            new = not rows
            if new:
                rows = list(await conn.execute_fetchall(
                    "INSERT INTO tickets (telegram_user_id, user_name, account_id, identifier, context, proven,"
                    " opened_at, updated_at, uai) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                    (telegram_user_id, user_name, account_id, identifier, context, int(proven), now, now, uai)))
            else:
                rows = list(await conn.execute_fetchall(
                    "UPDATE tickets SET updated_at = ? WHERE id = ? RETURNING *", (now, rows[0]["id"])))
            ticket = _ticket(rows[0])
            inserted = await conn.execute_fetchall(
                "INSERT INTO ticket_messages (ticket_id, author, author_name, kind, text, source_chat_id,"
                " source_message_id, at, language) VALUES (?, 'parent', ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (ticket.id, user_name, message.kind, message.text, message.source_chat_id, message.source_message_id,
                 now, message.language))
            message_id = int(list(inserted)[0][0])
            if to_group:
                if new:
                    await _queue_post(conn, ticket.id, "header", None, now)
                # Every message has its row; the worker knows a first text the header shows already.
                await _queue_post(conn, ticket.id, "message", message_id, now)
            if compose is not None:
                mail = compose(ticket, new)
                await enqueue(conn, moment, mail.kind, mail.recipient, mail.subject, mail.body, mail.domain,
                              telegram_user_id=telegram_user_id)
        return ticket, new

    async def due_posts(self, limit: int = 20, skip: Collection[str] = ()) -> list[StaffPost]:
        """What the staff groups are to receive now, oldest first, at most `limit` per school (a backlog at one
        school never hides another's new ticket), none of the schools in `skip` (their group is full)."""
        skipped = sorted(skip)
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT id, ticket_id, kind, message_id, attempts, uai FROM ("
                " SELECT p.id, p.ticket_id, p.kind, p.message_id, p.attempts, t.uai,"
                " ROW_NUMBER() OVER (PARTITION BY t.uai ORDER BY p.id) AS rank"
                " FROM staff_posts p JOIN tickets t ON t.id = p.ticket_id"
                " WHERE p.state = 'pending' AND p.next_attempt_at <= ?"
                + (f" AND t.uai NOT IN ({marks(len(skipped))})" if skipped else "") + ") AS due"
                " WHERE rank <= ? ORDER BY id",
                (to_text(self.db.clock.now()), *skipped, limit))
        return [StaffPost(*r) for r in rows]

    async def next_post_at(self, skip: Collection[str] = ()) -> datetime | None:
        """When the next post is due, the schools in `skip` left out (their group is full: the worker knows when)."""
        skipped = sorted(skip)
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall(
                "SELECT MIN(p.next_attempt_at) FROM staff_posts p JOIN tickets t ON t.id = p.ticket_id"
                " WHERE p.state = 'pending'" + (f" AND t.uai NOT IN ({marks(len(skipped))})" if skipped else ""),
                skipped))
        return from_text(str(rows[0][0])) if rows and rows[0][0] else None

    async def post_done(self, post: StaffPost) -> None:
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE staff_posts SET state = 'sent', attempts = attempts + 1, last_error = NULL"
                               " WHERE id = ?", (post.id,))

    async def post_failed(self, post: StaffPost, error: str, refused: bool, final: bool = False) -> datetime | None:
        """Tried again later (5 s, 10 s… up to a minute); None when given up: Telegram refused it too often, or
        for good (`final`: the parent's message to copy is gone)."""
        now = self.db.clock.now()
        if final or (refused and post.attempts + 1 >= MAX_REFUSED_POSTS):
            async with self.db.transaction() as conn:
                await conn.execute("UPDATE staff_posts SET state = 'failed', attempts = attempts + 1, last_error = ?"
                                   " WHERE id = ?", (error[:500], post.id))
            return None
        delay: timedelta = FIRST_POST_RETRY * (2 ** min(post.attempts, 8))
        later = now + min(delay, LONGEST_POST_RETRY)
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE staff_posts SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?"
                               " WHERE id = ?", (error[:500], to_text(later), post.id))
        return later

    async def post_waits(self, post: StaffPost) -> None:
        """The post waits behind its ticket's header: tried again shortly, without counting as a failure."""
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE staff_posts SET next_attempt_at = ? WHERE id = ?",
                               (to_text(self.db.clock.now() + FIRST_POST_RETRY), post.id))

    async def retry_posts_now(self) -> int:
        """Every post waiting for its next try is due now (the minute job: the group may be back)."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute("UPDATE staff_posts SET next_attempt_at = ? WHERE state = 'pending'",
                                        (to_text(self.db.clock.now()),))
        return cursor.rowcount

    async def queue_unposted(self, uais: Collection[str] | None = None) -> int:
        """Open tickets of these schools (those with a staff group; None: every ticket) the group never got and
        nothing queued for (opened before the queue existed, or before their school had a group): queued."""
        now = to_text(self.db.clock.now())
        listed = sorted(uais) if uais is not None else []
        among = f" AND uai IN ({marks(len(listed))})" if uais is not None else ""
        async with self.db.transaction() as conn:
            tickets = list(await conn.execute_fetchall(
                "SELECT id FROM tickets t WHERE state = 'open' AND header_message_id IS NULL AND NOT EXISTS"
                " (SELECT 1 FROM staff_posts p WHERE p.ticket_id = t.id AND p.kind = 'header')" + among, listed))
            for (ticket_id,) in tickets:
                await _queue_post(conn, ticket_id, "header", None, now)
                messages = list(await conn.execute_fetchall(
                    "SELECT id FROM ticket_messages WHERE ticket_id = ? AND author = 'parent' ORDER BY id",
                    (ticket_id,)))
                for (message_id,) in messages:
                    await _queue_post(conn, ticket_id, "message", message_id, now)
        return len(tickets)

    async def message(self, message_id: int) -> TicketMessage | None:
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall("SELECT * FROM ticket_messages WHERE id = ?", (message_id,)))
        return _message(rows[0]) if rows else None

    async def add_staff_message(self, ticket_id: int, author_name: str, kind: str, text: str | None) -> None:
        now = to_text(self.db.clock.now())
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO ticket_messages (ticket_id, author, author_name, kind, text, at)"
                " VALUES (?, 'staff', ?, ?, ?, ?)", (ticket_id, author_name, kind, text, now))
            await conn.execute("UPDATE tickets SET updated_at = ? WHERE id = ?", (now, ticket_id))

    async def latest_language(self, telegram_user_id: int) -> str | None:
        """The language the family read the bot in when it last wrote to its school (None: it never wrote)."""
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall(
                "SELECT m.language FROM ticket_messages m JOIN tickets t ON t.id = m.ticket_id"
                " WHERE t.telegram_user_id = ? AND m.author = 'parent' ORDER BY m.id DESC LIMIT 1",
                (telegram_user_id,)))
        return str(rows[0][0]) if rows else None

    async def messages(self, ticket_id: int) -> list[TicketMessage]:
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT * FROM ticket_messages WHERE ticket_id = ? ORDER BY id", (ticket_id,))
        return [_message(r) for r in rows]

    async def record_post(self, chat_id: int, message_id: int, ticket_id: int, header: bool = False) -> None:
        async with self.db.transaction() as conn:
            await conn.execute("INSERT INTO ticket_posts (chat_id, message_id, ticket_id) VALUES (?, ?, ?)"
                               " ON CONFLICT (chat_id, message_id) DO UPDATE SET ticket_id = excluded.ticket_id",
                               (chat_id, message_id, ticket_id))
            if header:
                await conn.execute("UPDATE tickets SET header_message_id = ? WHERE id = ?", (message_id, ticket_id))

    async def shows(self, chat_id: int, message_id: int, ticket_id: int) -> bool:
        """Whether this message of this chat is one the bot posted for this ticket (its header, say)."""
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall(
                "SELECT 1 FROM ticket_posts WHERE chat_id = ? AND message_id = ? AND ticket_id = ?",
                (chat_id, message_id, ticket_id)))
        return bool(rows)

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

    async def open_tickets(self, uai: str | None = None) -> list[Ticket]:
        """The open tickets, or one school's (`uai`)."""
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT * FROM tickets WHERE state = 'open'" + ("" if uai is None else " AND uai = ?") + " ORDER BY id",
                () if uai is None else (uai,))
        return [_ticket(r) for r in rows]

    async def purge_closed(self, before: datetime) -> int:
        """Forgets tickets closed before `before`, with their messages and group posts."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM tickets WHERE state = 'closed' AND closed_at < ?",
                                        (to_text(before),))
        return cursor.rowcount
