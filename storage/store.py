"""The storage facade that conversations receive: the directory and the repositories over one file."""

from __future__ import annotations

from pathlib import Path

import aiosqlite

from storage.accounts import Account, AccountDirectory, SqliteDirectory, identifier_key, unknown_identifier
from storage.attempts import Attempts
from storage.audit import Audit, write_event
from storage.db import Clock, Database
from storage.deletions import PendingDeletions
from storage.ephemeral import EphemeralMessages
from storage.form_tokens import FormTokens
from storage.languages import FamilyLanguages
from storage.ldap_directory import LdapConfig, LdapDirectory
from storage.letters import LetterTokens
from storage.notices import Deliveries, Notices, Subscribers
from storage.outbox import Outbox
from storage.privacy import Privacy
from storage.progress import ProgressStore
from storage.recovery import RecoveryStore
from storage.schools import DEFAULT_UAI, LEGACY
from storage.secrets import hash_secret, installation_key, new_provisional
from storage.stats import Stats
from storage.tickets import Tickets
from storage.writing import HelpdeskWriting


def open_database(path: Path, clock: Clock | None = None, url: str | None = None) -> Database:
    """SQLite at `path`, or PostgreSQL at `url` (psycopg is imported only then: a school installs SQLite alone).

    `path` names the SQLite file; on PostgreSQL, the data directory's files beside it (the installation's key).
    """
    if url is None:
        return Database(path, clock)
    from storage.postgres import PostgresDatabase

    return PostgresDatabase(url, path, clock)


class Store:
    def __init__(self, path: Path, clock: Clock | None = None, ldap: LdapConfig | None = None,
                 legacy_uai: str | None = None, url: str | None = None) -> None:
        self.db = open_database(path, clock, url)
        # The school of the rows written before many schools (storage/schools.py LEGACY), given to them at open; and
        # the school of a caller that names none (a single school's, by default the default UAI).
        self.legacy_uai = legacy_uai
        self.single_uai = legacy_uai or DEFAULT_UAI
        # The accounts live in the ENT's LDAP when it is configured; everything else stays in SQLite.
        self.ldap = LdapDirectory(self.db, ldap) if ldap is not None else None
        self.accounts: AccountDirectory = self.ldap if self.ldap is not None else SqliteDirectory(self.db)
        self.progress = ProgressStore(self.db)
        self.recovery = RecoveryStore(self.db)
        self.attempts = Attempts(self.db)
        self.audit = Audit(self.db)
        self.ephemeral = EphemeralMessages(self.db)
        self.pending_deletions = PendingDeletions(self.db)
        self.writing = HelpdeskWriting(self.db)
        self.stats = Stats(self.db)
        self.tickets = Tickets(self.db)
        self.outbox = Outbox(self.db)
        self.subscribers = Subscribers(self.db, self.single_uai)
        self.notices = Notices(self.db)
        self.deliveries = Deliveries(self.db)
        self.letters = LetterTokens(self.db)
        self.form_tokens = FormTokens(self.db)
        self.languages = FamilyLanguages(self.db)
        self.privacy = Privacy(self.db)
        self._key: bytes | None = None

    @property
    def clock(self) -> Clock:
        return self.db.clock

    def unknown_identifier(self, typed: str) -> str:
        """What is kept of a typed identifier that names no account (storage.accounts.unknown_identifier), keyed
        by the installation's key, a file beside the database (`<database>.key`), made at its first use."""
        if self._key is None:
            self._key = installation_key(self.db.path.with_name(self.db.path.name + ".key"))
        return unknown_identifier(typed, self._key)

    async def open(self) -> None:
        await self.db.open()
        if self.legacy_uai:
            await self._name_legacy_school(self.legacy_uai)

    async def _name_legacy_school(self, uai: str) -> None:
        """Rows from before many schools become this school's, once (nothing to do at later starts)."""
        async with self.db.transaction() as conn:
            await _move_school(conn, LEGACY, uai)

    async def close(self) -> None:
        if self.ldap is not None:
            self.ldap.close()
        await self.db.close()

    async def reset(self, account: Account, revision: int, actor: str, uai: str | None = None) -> str | None:
        """A new random provisional password for the account, returned once and kept only as a hash.

        None if the account changed since `revision` was read (another reset, an activation). `uai`: the school
        the reset was done for (its audit row names it).
        """
        password = new_provisional()
        done = await self.accounts.reset(account.id, revision, await hash_secret(password), actor, uai)
        if done:  # the letter printed with the old provisional password opens nothing any more
            await self.letters.revoke(account.id, "reset")
        return password if done else None

    async def unlock(self, account: Account, actor: str, writer: int | None = None, ticket_id: int | None = None,
                     uai: str | None = None) -> bool:
        """Lifts the account's lock, and the family's own; True if the account was locked.

        The family is the Telegram users who proved the account since its last reset. Anyone else who failed
        on it keeps their own lock and counts: a stranger guessing is not forgiven because the family called
        the school. Nor is a family member who failed on other identifiers too (a guesser's trace). The one
        exception is staff's choice: `writer`, the author of the ticket the unlock was pressed under.
        """
        key = identifier_key(account.identifier)
        was_locked = await self.attempts.locked_until(("account", key)) is not None
        family = [uid for uid in sorted(await self.audit.proving_users(account.id))
                  if not await self.attempts.failed_elsewhere(uid, key)]
        if writer is not None and writer not in family:
            family.append(writer)
        await self.attempts.unlock(("account", key), *(("user", str(uid)) for uid in family))
        await self.audit.record(actor, "unlocked", account.id,
                                f"et l'auteur de la demande n°{ticket_id}" if writer is not None else None, uai=uai)
        return was_locked

    async def move_school(self, old: str, new: str, actor: str) -> dict[str, int]:
        """Everything of school `old` becomes `new`'s (its accounts, tickets, notices, letters, subscriptions, a
        message being written), in one transaction; the audit keeps its history as it was. Rows per table."""
        async with self.db.transaction() as conn:
            moved = await _move_school(conn, old, new)
            await write_event(conn, self.db.clock.now(), actor, "school_moved", None,
                              f"{old} → {new} : {moved['account_schools']} compte(s)", uai=new)
        return moved


async def _move_school(conn: aiosqlite.Connection, old: str, new: str) -> dict[str, int]:
    moved: dict[str, int] = {}
    for table, columns in (("account_schools", "account_id"), ("subscriber_schools", "telegram_user_id")):
        extra = ", active, changed_at" if table == "subscriber_schools" else ""
        # The WHERE is needed: without it SQLite would read ON CONFLICT as a join's ON.
        cursor = await conn.execute(f"INSERT INTO {table} ({columns}, uai{extra})"
                                    f" SELECT {columns}, ?{extra} FROM {table} WHERE uai = ? ON CONFLICT DO NOTHING",
                                    (new, old))
        moved[table] = cursor.rowcount
        await conn.execute(f"DELETE FROM {table} WHERE uai = ?", (old,))
    for table in ("tickets", "notices", "letter_tokens", "helpdesk_writing"):
        cursor = await conn.execute(f"UPDATE {table} SET uai = ? WHERE uai = ?", (new, old))
        moved[table] = cursor.rowcount
    return moved
