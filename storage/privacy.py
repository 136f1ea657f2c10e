"""Personal data: how long each table keeps it, the nightly purge, and a family's access and erasure."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from storage.attempts import PROBE_WINDOW, QUIET_RESET
from storage.db import Database, to_text
from storage.outbox import CODE_WINDOW

# A copy Telegram refused to delete, recorded (again: its reason and time replaced).
UNDELETED = ("INSERT INTO undeleted_copies (chat_id, message_id, ticket_id, reason, recorded_at) VALUES (?, ?, ?, ?, ?)"
             " ON CONFLICT (chat_id, message_id) DO UPDATE SET ticket_id = excluded.ticket_id,"
             " reason = excluded.reason, recorded_at = excluded.recorded_at")
BATCH = 500  # rows per transaction: between two, the bot answers parents
ERASED_ACTOR = "famille (données effacées)"


@dataclass(frozen=True)
class Retention:
    """Days each kind of row is kept; every one a setting (see bot/settings.py)."""

    progress_days: int = 30  # after the last step of an abandoned activation or recovery
    attempts_days: int = 30  # after the last failure, once any lock is lifted
    audit_days: int = 365  # the CNIL's range for authentication logs: 6 months to 1 year
    tickets_days: int = 90  # after a ticket is closed; its mail too
    notices_days: int = 365  # notices and their deliveries
    unsubscribed_days: int = 0  # an unsubscribed parent's row: at the next purge
    # Not a setting: a bot may delete a message only within 48 hours, so a row to delete one is useless after.
    telegram_days: int = 2


@dataclass(frozen=True)
class Rule:
    """One table's retention: rows matching `where` (`:cutoff` is now minus the retention) are deleted."""

    table: str
    setting: str  # the Retention field giving the days
    where: str
    # The bot's own Telegram messages showing these rows: (chat_id, message_id, ticket id) for keys `{ids}`.
    copies: str | None = None
    # What names a row between its reading and its deletion: SQLite's rowid (PostgreSQL's ctid, storage/postgres.py),
    # or the table's id where `copies` needs it.
    key: str = "rowid"


# Adding a table's retention is one entry here (and a line of the README's table).
RULES: list[Rule] = [
    Rule("activation_progress", "progress_days", "updated_at < :cutoff"),
    Rule("recovery_progress", "progress_days", "updated_at < :cutoff"),
    Rule("helpdesk_writing", "progress_days", "started_at < :cutoff"),
    Rule("attempts", "attempts_days",
         "COALESCE(last_failure_at, '') < :cutoff AND (locked_until IS NULL OR locked_until < :now)"),
    Rule("audit", "audit_days", "at < :cutoff"),
    # ticket_messages and ticket_posts go with their ticket (ON DELETE CASCADE).
    Rule("tickets", "tickets_days", "state = 'closed' AND closed_at < :cutoff",
         copies="SELECT chat_id, message_id, ticket_id FROM ticket_posts WHERE ticket_id IN ({ids})", key="id"),
    Rule("outbox", "tickets_days", "state != 'pending' AND created_at < :cutoff"),
    Rule("notices", "notices_days", "state IN ('done', 'cancelled') AND updated_at < :cutoff"),
    Rule("deliveries", "notices_days", "state IN ('sent', 'failed') AND COALESCE(sent_at, next_attempt_at) < :cutoff"),
    # A family's subscription to one school's notices, once it unsubscribed from it (it may still get another's).
    Rule("subscriber_schools", "unsubscribed_days", "active = 0 AND changed_at <= :cutoff"),
    Rule("subscribers", "unsubscribed_days", "active = 0 AND unsubscribed_at <= :cutoff"),
    Rule("account_failures", "attempts_days", "last_failure_at < :cutoff"),
    # The accounts a user looked up count for a day only (storage/attempts.py): kept two days at most.
    Rule("identifier_probes", "telegram_days", "probed_at < :cutoff"),
    # The code mails asked for count for a day only (storage/outbox.py): kept two days at most.
    Rule("code_mails", "telegram_days", "queued_at < :cutoff"),
    # A letter's token once used, revoked or expired proves nothing any more.
    Rule("letter_tokens", "progress_days", "(state != 'valid' AND ended_at < :cutoff) OR expires_at < :cutoff"),
    # staff_posts, ticket_messages and ticket_posts go with their ticket (ON DELETE CASCADE).
    Rule("ephemeral_messages", "telegram_days", "delete_at < :cutoff"),
    Rule("pending_deletions", "telegram_days", "sent_at < :cutoff"),
    # The secure form's links live minutes (bot/webform.py): an expired one proves nothing.
    Rule("form_tokens", "telegram_days", "expires_at < :cutoff"),
    Rule("undeleted_copies", "audit_days", "recorded_at < :cutoff"),
    # The language a family reads the bot in: kept while it has anything else with the bot (an account linked, a
    # subscription, a dialogue or a ticket), then as long as an abandoned activation.
    Rule("family_languages", "progress_days",
         "chosen_at < :cutoff"
         " AND telegram_user_id NOT IN (SELECT telegram_user_id FROM accounts WHERE telegram_user_id IS NOT NULL)"
         " AND telegram_user_id NOT IN (SELECT telegram_user_id FROM subscribers WHERE active = 1)"
         " AND telegram_user_id NOT IN (SELECT telegram_user_id FROM activation_progress)"
         " AND telegram_user_id NOT IN (SELECT telegram_user_id FROM recovery_progress)"
         " AND telegram_user_id NOT IN (SELECT telegram_user_id FROM tickets WHERE state != 'closed')"),
    # The directory's entries looked up in LDAP mode (names copied from the ENT), never used since.
    Rule("accounts", "progress_days",
         "state = 'pending' AND provisional_hash IS NULL AND telegram_user_id IS NULL AND activated_at IS NULL"
         " AND updated_at < :cutoff"
         " AND id NOT IN (SELECT account_id FROM activation_progress WHERE account_id IS NOT NULL)"
         " AND id NOT IN (SELECT account_id FROM recovery_progress WHERE account_id IS NOT NULL)"),
]

# Deletes one bot message in Telegram: None when done, else why not (Telegram's words).
DeleteCopy = Callable[[int, int], Awaitable[str | None]]


@dataclass
class PurgeReport:
    removed: dict[str, int] = field(default_factory=dict)
    copies_deleted: int = 0
    copies_left: list[tuple[int, int, int, str]] = field(default_factory=list)  # chat, message, ticket, why


@dataclass
class Erasure:
    """What erasing a Telegram user's data did, table by table, and what it kept."""

    removed: dict[str, int] = field(default_factory=dict)
    tickets: list[int] = field(default_factory=list)  # their contents replaced
    accounts_unlinked: list[int] = field(default_factory=list)
    audit_lines: int = 0  # kept, their Telegram number replaced
    # Failures or a lock that still count against this user: kept, they protect the accounts it tried.
    lock_kept: bool = False
    copies: list[tuple[int, int, int]] = field(default_factory=list)  # the tickets' copies in the staff group

    @property
    def anything(self) -> bool:
        return bool(sum(self.removed.values()) or self.tickets or self.accounts_unlinked or self.audit_lines)


def _rows(rows: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in rows]


class Privacy:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- retention -------------------------------------------------------------------------------

    async def purge(self, retention: Retention, delete_copy: DeleteCopy | None, batch: int = BATCH,
                    rules: list[Rule] | None = None) -> PurgeReport:
        """Deletes, rule by rule and in batches, every row older than its retention.

        The bot's copies in the staff group are deleted first; those Telegram refuses are recorded.
        """
        report = PurgeReport()
        now = self.db.clock.now()
        for rule in RULES if rules is None else rules:
            params = {"cutoff": to_text(now - timedelta(days=getattr(retention, rule.setting))), "now": to_text(now)}
            total = 0
            while True:
                async with self.db.read() as conn:
                    found = [r[0] for r in await conn.execute_fetchall(
                        f"SELECT {rule.key} FROM {rule.table} WHERE {rule.where} LIMIT {batch}", params)]
                if not found:
                    break
                left = await self._delete_copies(rule, found, delete_copy, report) if rule.copies else []
                async with self.db.transaction() as conn:
                    for chat_id, message_id, ticket_id, why in left:
                        await conn.execute(
                            UNDELETED, (chat_id, message_id, ticket_id, why, params["now"]))
                    # The condition again: a row may have changed since it was read.
                    ids = {f"id{i}": rowid for i, rowid in enumerate(found)}
                    cursor = await conn.execute(
                        f"DELETE FROM {rule.table} WHERE {rule.key} IN ({', '.join(':' + name for name in ids)})"
                        f" AND {rule.where}", {**params, **ids})
                total += cursor.rowcount
                if len(found) < batch:
                    break
                await asyncio.sleep(0)  # the bot's handlers take the database between two batches
            report.removed[rule.table] = total
        return report

    async def _delete_copies(self, rule: Rule, rowids: list[int], delete_copy: DeleteCopy | None,
                             report: PurgeReport) -> list[tuple[int, int, int, str]]:
        assert rule.copies is not None
        async with self.db.read() as conn:
            copies = [(r[0], r[1], r[2]) for r in await conn.execute_fetchall(
                rule.copies.format(ids=", ".join("?" * len(rowids))), rowids)]
        left = []
        for chat_id, message_id, ticket_id in copies:
            why = await delete_copy(chat_id, message_id) if delete_copy is not None else "pas de connexion à Telegram"
            if why is None:
                report.copies_deleted += 1
            else:
                left.append((chat_id, message_id, ticket_id, why[:200]))
        report.copies_left.extend(left)
        return left

    async def record_undeleted(self, left: list[tuple[int, int, int, str]]) -> None:
        now = to_text(self.db.clock.now())
        async with self.db.transaction() as conn:
            for chat_id, message_id, ticket_id, why in left:
                await conn.execute(
                    UNDELETED, (chat_id, message_id, ticket_id, why[:200], now))

    async def undeleted(self) -> list[tuple[int, int, int, str]]:
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT chat_id, message_id, ticket_id, reason FROM undeleted_copies ORDER BY ticket_id, message_id")
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    # -- a family's own data ------------------------------------------------------------------------

    async def known(self, telegram_user_id: int) -> bool:
        """Whether the bot holds anything about this Telegram user."""
        uid = telegram_user_id
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall(
                "SELECT EXISTS (SELECT 1 FROM activation_progress WHERE telegram_user_id = :u)"
                " OR EXISTS (SELECT 1 FROM recovery_progress WHERE telegram_user_id = :u)"
                " OR EXISTS (SELECT 1 FROM subscribers WHERE telegram_user_id = :u)"
                " OR EXISTS (SELECT 1 FROM tickets WHERE telegram_user_id = :u)"
                " OR EXISTS (SELECT 1 FROM accounts WHERE telegram_user_id = :u)"
                " OR EXISTS (SELECT 1 FROM family_languages WHERE telegram_user_id = :u)", {"u": uid}))
        return bool(rows[0][0])

    async def export(self, telegram_user_id: int) -> dict[str, Any]:
        """Everything held about this Telegram user, never a secret nor a hash; e-mail addresses in full."""
        params = {"u": telegram_user_id, "k": str(telegram_user_id), "a": f"telegram:{telegram_user_id}"}
        async with self.db.read() as conn:
            accounts = _rows(await conn.execute_fetchall(
                "SELECT id, identifier, last_name, first_name, profile, class_name, state, email, cgu_version,"
                " cgu_accepted_at, activated_at FROM accounts WHERE telegram_user_id = :u ORDER BY id", params))
            progress = _rows(await conn.execute_fetchall(
                "SELECT identifier, step, email, email_skipped, email_verified, cgu_version, cgu_accepted_at,"
                " question1, question2, last_error, started_at, updated_at FROM activation_progress"
                " WHERE telegram_user_id = :u", params))
            recovery = _rows(await conn.execute_fetchall(
                "SELECT flow, step, identifier, started_at, updated_at FROM recovery_progress WHERE telegram_user_id = :u",
                params))
            subscriber = _rows(await conn.execute_fetchall(
                "SELECT first_name, active, subscribed_at, unsubscribed_at FROM subscribers WHERE telegram_user_id = :u",
                params))
            if subscriber:  # school by school: each school's notices the family gets, or stopped getting
                subscriber[0]["schools"] = _rows(await conn.execute_fetchall(
                    "SELECT uai, active, changed_at FROM subscriber_schools WHERE telegram_user_id = :u ORDER BY uai",
                    params))
            tickets = _rows(await conn.execute_fetchall(
                "SELECT id, user_name, identifier, context, state, opened_at, closed_at FROM tickets"
                " WHERE telegram_user_id = :u ORDER BY id", params))
            for ticket in tickets:
                ticket["messages"] = _rows(await conn.execute_fetchall(
                    "SELECT author, author_name, kind, text, language, at FROM ticket_messages WHERE ticket_id = ? ORDER BY id",
                    (ticket["id"],)))
            attempts = _rows(await conn.execute_fetchall(
                "SELECT failures, locks, locked_until, last_failure_at FROM attempts WHERE scope = 'user' AND key = :k",
                params))
            audit = _rows(await conn.execute_fetchall(
                "SELECT at, event, account_id FROM audit WHERE actor = :a ORDER BY id", params))
            deliveries = _rows(await conn.execute_fetchall(
                "SELECT notice_id, state, sent_at FROM deliveries WHERE telegram_user_id = :u ORDER BY notice_id", params))
            writing = list(await conn.execute_fetchall(
                "SELECT started_at FROM helpdesk_writing WHERE telegram_user_id = :u", params))
            language = _rows(await conn.execute_fetchall(
                "SELECT language, source, chosen_at FROM family_languages WHERE telegram_user_id = :u", params))
        return {"telegram_user_id": telegram_user_id, "accounts": accounts,
                "activation": progress[0] if progress else None, "recovery": recovery[0] if recovery else None,
                "subscription": subscriber[0] if subscriber else None, "tickets": tickets,
                "attempts": attempts[0] if attempts else None, "audit": audit, "deliveries": deliveries,
                "writing_to_school_since": writing[0][0] if writing else None,
                "language": language[0] if language else None}

    async def by_school(self, telegram_user_id: int) -> dict[str, dict[str, Any]]:
        """What this Telegram user has with each school (by UAI): the identifiers of its accounts (linked, or the one
        its activation is at), its subscription to the school's notices (True, False, or None: never), its tickets."""
        params = {"u": telegram_user_id}
        async with self.db.read() as conn:
            accounts = await conn.execute_fetchall(
                "SELECT s.uai, a.identifier FROM accounts a JOIN account_schools s ON s.account_id = a.id"
                " WHERE a.telegram_user_id = :u OR a.id IN (SELECT account_id FROM activation_progress"
                " WHERE telegram_user_id = :u AND account_id IS NOT NULL) ORDER BY s.uai, a.identifier_key", params)
            subscriptions = await conn.execute_fetchall(
                "SELECT uai, active FROM subscriber_schools WHERE telegram_user_id = :u ORDER BY uai", params)
            tickets = await conn.execute_fetchall(
                "SELECT uai, id FROM tickets WHERE telegram_user_id = :u ORDER BY id", params)
        found: dict[str, dict[str, Any]] = {}

        def entry(uai: str) -> dict[str, Any]:
            return found.setdefault(uai, {"accounts": [], "subscribed": None, "tickets": []})

        for uai, identifier in accounts:
            entry(uai)["accounts"].append(identifier)
        for uai, active in subscriptions:
            entry(uai)["subscribed"] = bool(active)
        for uai, ticket_id in tickets:
            entry(uai)["tickets"].append(ticket_id)
        return found

    async def erase(self, telegram_user_id: int, erased: str, actor: str) -> Erasure:
        """Erases what can be, in one transaction; keeps the activation and the audit, unlinked from this user.

        `erased` replaces the tickets' contents. The staff group's copies of the tickets are returned
        for the caller to delete in Telegram (storage knows nothing of it). Every row is found by this
        user's own keys, through an index (migration 0013), and the whole transaction runs in one hop on
        SQLite's thread: the database is held for the statements' own time, not for round trips.
        """
        uid = telegram_user_id
        now = self.db.clock.now()
        params = {"u": uid, "k": str(uid), "a": f"telegram:{uid}", "now": to_text(now), "erased": erased,
                  "actor": ERASED_ACTOR, "quiet": to_text(now - QUIET_RESET), "day": to_text(now - PROBE_WINDOW),
                  "codes": to_text(now - CODE_WINDOW)}

        def work(conn: sqlite3.Connection) -> Erasure:
            done = Erasure()
            for table in ("activation_progress", "recovery_progress", "helpdesk_writing", "subscriber_schools",
                          "subscribers", "deliveries", "form_tokens", "family_languages"):
                done.removed[table] = conn.execute(f"DELETE FROM {table} WHERE telegram_user_id = :u", params).rowcount
            # What protects accounts from a guesser is about the accounts, not the guesser's private life: a
            # failure or a lock that still counts (QUIET_RESET) stays, or erasing would hand out a fresh budget
            # of guesses. What no longer counts goes now; the rest goes with everyone's at the retention's end.
            done.removed["attempts"] = conn.execute(
                "DELETE FROM attempts WHERE scope = 'user' AND key = :k"
                " AND COALESCE(locked_until, '') <= :quiet AND COALESCE(last_failure_at, '') <= :quiet",
                params).rowcount
            # fetchall: a statement left unfinished would make the COMMIT fail ("SQL statements in progress").
            done.lock_kept = bool(conn.execute(
                "SELECT 1 FROM attempts WHERE scope = 'user' AND key = :k", params).fetchall())
            # Who failed on an account makes its lock grow, as long as that account's count still runs.
            done.removed["account_failures"] = conn.execute(
                "DELETE FROM account_failures WHERE telegram_user_id = :u AND NOT EXISTS ("
                " SELECT 1 FROM attempts a WHERE a.scope = 'account' AND a.key = account_failures.key"
                " AND (COALESCE(a.locked_until, '') > :quiet OR COALESCE(a.last_failure_at, '') > :quiet))",
                params).rowcount
            # The accounts looked up and the code mails asked for in the last day are limits too.
            done.removed["identifier_probes"] = conn.execute(
                "DELETE FROM identifier_probes WHERE telegram_user_id = :u AND probed_at < :day", params).rowcount
            done.removed["code_mails"] = conn.execute(
                "DELETE FROM code_mails WHERE telegram_user_id = :u AND queued_at <= :codes", params).rowcount
            # The mail queued for this user (its tickets', its codes'), by the key each mail was queued with.
            done.removed["outbox"] = conn.execute("DELETE FROM outbox WHERE telegram_user_id = :u", params).rowcount
            done.tickets = [r[0] for r in conn.execute(
                "SELECT id FROM tickets WHERE telegram_user_id = :u ORDER BY id", params).fetchall()]
            for ticket_id in done.tickets:
                done.copies += [(r[0], r[1], ticket_id) for r in conn.execute(
                    "SELECT chat_id, message_id FROM ticket_posts WHERE ticket_id = ?", (ticket_id,)).fetchall()]
                conn.execute(
                    "UPDATE ticket_messages SET text = :erased, source_chat_id = NULL, source_message_id = NULL, language = 'fr',"
                    " author_name = CASE WHEN author = 'parent' THEN NULL ELSE author_name END WHERE ticket_id = :t",
                    {**params, "t": ticket_id})
                # Closed as well: nobody can answer it now. 0 is no Telegram user.
                conn.execute(
                    "UPDATE tickets SET telegram_user_id = 0, user_name = :erased, context = :erased, state = 'closed',"
                    " closed_at = COALESCE(closed_at, :now), closed_by_name = COALESCE(closed_by_name, :erased),"
                    " updated_at = :now WHERE id = :t", {**params, "t": ticket_id})
            done.accounts_unlinked = [r[0] for r in conn.execute(
                "SELECT id FROM accounts WHERE telegram_user_id = :u ORDER BY id", params).fetchall()]
            conn.execute("UPDATE accounts SET telegram_user_id = NULL WHERE telegram_user_id = :u", params)
            done.audit_lines = conn.execute("UPDATE audit SET actor = :actor WHERE actor = :a", params).rowcount
            if done.anything:
                targets: list[int | None] = [*done.accounts_unlinked] or [None]
                for account_id in targets:
                    conn.execute("INSERT INTO audit (at, actor, event, account_id) VALUES (?, ?, 'data_erased', ?)",
                                 (params["now"], actor, account_id))
            return done

        done = await self.db.in_thread(work)
        # The erased rows' old pages must not linger in the WAL (secure_delete zeroes them in the file).
        if self.db.engine == "sqlite":
            async with self.db.read() as conn:
                await conn.execute_fetchall("PRAGMA wal_checkpoint(TRUNCATE)")
        return done

