"""The account directory: one small interface, and its SQLite implementation."""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import aiosqlite

from storage.audit import write_event
from storage.db import Database, to_text
from storage.secrets import hash_secret, verify_secret


class DirectoryUnavailable(Exception):
    """The account directory (the ENT's LDAP) cannot be reached now; nothing was changed."""

# What an identifier may be, for the import and for what a parent types: one word of letters
# (accented ones too: the school's file may hold them), digits and . _ - @ ' — never a space, a
# control character or punctuation that no login has.
IDENTIFIER_MAX = 64
IDENTIFIER_SIGNS = "._-@'"
# The profiles whose accounts the bot serves; any other (staff in the ENT's directory) is never written to.
FAMILY_PROFILES = frozenset({"parent", "eleve"})


def is_identifier(text: str) -> bool:
    """Whether `text` (surrounding spaces removed) can be an identifier: one word, as described above.

    A word that Unicode normalisation (NFKC) changes is refused: fullwidth or other look-alike letters
    name the same directory entry for the ENT's LDAP (which normalises) under another spelling.
    """
    word = text.strip()
    return (0 < len(word) <= IDENTIFIER_MAX and all(ch.isalnum() or ch in IDENTIFIER_SIGNS for ch in word)
            and unicodedata.normalize("NFKC", word) == word)


# What is kept of a typed identifier that names no account starts with this sign, which no identifier has.
UNKNOWN_MARK = "#"


def unknown_identifier(typed: str, key: bytes) -> str:
    """What is kept of a typed identifier that names no account: a keyed digest, never the text, which may be a
    password typed in the wrong box. The same text gives the same digest, so its attempts still add up."""
    return UNKNOWN_MARK + hmac.new(key, identifier_key(typed).encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def identifier_key(identifier: str) -> str:
    """Identifiers compare case-insensitively, after Unicode normalisation (NFKC), without surrounding spaces."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", identifier.strip()).casefold())


@dataclass(frozen=True)
class Account:
    id: int
    identifier: str
    last_name: str | None
    first_name: str | None
    profile: str
    class_name: str | None
    # pending, active, reset; blocked (BLOQUE or DELETE in the ENT's directory); invalidated (put back to
    # INVALIDE by the ENT after the bot activated it: only a reset by the school opens it again)
    state: str
    provisional_hash: str | None
    email: str | None
    activated_at: str | None
    cgu_version: str | None
    revision: int = 0
    dn: str | None = None  # the entry in the ENT's LDAP directory, when the accounts live there
    # The UAIs of the schools the account belongs to: the import's (account_schools), or the directory
    # entry's ESCOUAI values, read at each login, when the accounts live in the ENT's LDAP.
    schools: tuple[str, ...] = ()

    @property
    def is_family(self) -> bool:
        """A parent's or a pupil's account: the only ones the bot may activate, reset or change."""
        return self.profile in FAMILY_PROFILES

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.identifier


@dataclass(frozen=True)
class Activation:
    """Everything the parent chose, written in one transaction when the account becomes active."""

    password_hash: str
    email: str | None
    question1: int | None  # none with a confirmed address: that address is the way back
    answer1_hash: str | None
    question2: int | None
    answer2_hash: str | None
    cgu_version: str
    cgu_accepted_at: datetime
    telegram_user_id: int
    email_verified: bool = False  # confirmed by a code: only then is it written to the ENT's directory


@dataclass(frozen=True)
class Credentials:
    """What proves who holds an active account: hashes only, read when a parent has to prove it."""

    password_hash: str | None
    question1: int | None
    answer1_hash: str | None
    question2: int | None
    answer2_hash: str | None


class AccountDirectory(Protocol):
    """What the bot needs of a directory of accounts (SQLite today, the ENT's LDAP tomorrow)."""

    async def find(self, identifier: str) -> Account | None: ...

    async def get(self, account_id: int) -> Account | None: ...

    async def by_telegram_user(self, telegram_user_id: int) -> Account | None: ...

    async def all(self) -> list[Account]: ...

    async def check_provisional(self, account: Account | None, provisional: str) -> bool: ...

    async def check_password(self, account: Account | None, password: str) -> bool: ...

    # `password` is the clear password, only for a directory that hashes it itself (RFC 3062); never stored.
    async def activate(self, account_id: int, provisional_hash: str, activation: Activation,
                       password: str | None = None) -> bool: ...

    async def credentials(self, account_id: int) -> Credentials | None: ...

    async def set_password(self, account_id: int, revision: int, password_hash: str, actor: str,
                           password: str | None = None) -> bool: ...

    # `uai`: the school the reset was done for, named in its audit row.
    async def reset(self, account_id: int, revision: int, provisional_hash: str, actor: str,
                    uai: str | None = None) -> bool: ...


def _account(row: aiosqlite.Row) -> Account:
    return Account(id=row["id"], identifier=row["identifier"], last_name=row["last_name"],
                   first_name=row["first_name"], profile=row["profile"], class_name=row["class_name"],
                   state=row["state"], provisional_hash=row["provisional_hash"], email=row["email"],
                   activated_at=row["activated_at"], cgu_version=row["cgu_version"], revision=row["revision"],
                   schools=tuple(sorted((row["schools"] or "").split())))


# An account's columns and its schools (UAIs have no space), in one read.
ACCOUNT = ("SELECT accounts.*, (SELECT group_concat(uai, ' ') FROM account_schools s"
           " WHERE s.account_id = accounts.id) AS schools FROM accounts")


class SqliteDirectory:
    """The account directory kept in the bot's own SQLite file."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def find(self, identifier: str) -> Account | None:
        if not is_identifier(identifier):  # what is kept of an unknown identifier, or anything else: no account
            return None
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall(
                ACCOUNT + " WHERE identifier_key = ?", (identifier_key(identifier),)))
        return _account(rows[0]) if rows else None

    async def get(self, account_id: int) -> Account | None:
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall(ACCOUNT + " WHERE id = ?", (account_id,)))
        return _account(rows[0]) if rows else None

    async def by_telegram_user(self, telegram_user_id: int) -> Account | None:
        """The account this Telegram user activated, if any."""
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall(
                ACCOUNT + " WHERE telegram_user_id = ? ORDER BY activated_at DESC LIMIT 1",
                (telegram_user_id,)))
        return _account(rows[0]) if rows else None

    async def all(self) -> list[Account]:
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(ACCOUNT + " ORDER BY identifier_key")
        return [_account(r) for r in rows]

    async def check_provisional(self, account: Account | None, provisional: str) -> bool:
        # An unknown account is verified against a dummy hash all the same, so that the answer
        # takes as long whether the identifier exists or not. An active account keeps its last
        # provisional hash: only who holds that letter learns that the account is already active.
        return await verify_secret(account.provisional_hash if account else None, provisional)

    async def check_password(self, account: Account | None, password: str) -> bool:
        # An unknown or inactive account is checked against a dummy hash: it takes as long as a real one.
        credentials = await self.credentials(account.id) if account is not None else None
        return await verify_secret(credentials.password_hash if credentials else None, password)

    async def remember_provisional(self, account_id: int, provisional: str) -> None:
        """Keeps the hash of a provisional password proven elsewhere (by a bind to the ENT's directory)."""
        digest = await hash_secret(provisional)
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE accounts SET provisional_hash = ?, updated_at = ? WHERE id = ? AND state != 'active'",
                               (digest, to_text(self.db.clock.now()), account_id))

    async def activate(self, account_id: int, provisional_hash: str, activation: Activation,
                       password: str | None = None) -> bool:
        """Makes the account active with its password, answers and CGU, or changes nothing.

        Nothing happens if the account was activated meanwhile from another Telegram user, or
        reset by the school (its provisional password changed): the caller tells the parent.
        """
        moment = self.db.clock.now()
        now = to_text(moment)

        def write(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "UPDATE accounts SET state = 'active', password_hash = ?, email = ?, question1 = ?,"
                " answer1_hash = ?, question2 = ?, answer2_hash = ?, cgu_version = ?, cgu_accepted_at = ?,"
                " activated_at = ?, telegram_user_id = ?, updated_at = ?, revision = revision + 1"
                " WHERE id = ? AND state IN ('pending', 'reset') AND provisional_hash = ?",
                (activation.password_hash, activation.email, activation.question1, activation.answer1_hash,
                 activation.question2, activation.answer2_hash, activation.cgu_version,
                 to_text(activation.cgu_accepted_at), now, activation.telegram_user_id, now,
                 account_id, provisional_hash),
            )
            if cursor.rowcount != 1:
                return False
            # Another Telegram user midway on the same account keeps its row, to be told why it stops.
            conn.execute("DELETE FROM activation_progress WHERE telegram_user_id = ?", (activation.telegram_user_id,))
            conn.execute("INSERT INTO audit (at, actor, event, account_id, detail) VALUES (?, ?, ?, ?, ?)",
                         (now, f"telegram:{activation.telegram_user_id}", "activated", account_id,
                          f"cgu={activation.cgu_version} email={'oui' if activation.email else 'non'}"))
            return True

        return await self.db.in_thread(write)

    async def credentials(self, account_id: int) -> Credentials | None:
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall(
                "SELECT password_hash, question1, answer1_hash, question2, answer2_hash FROM accounts"
                " WHERE id = ? AND state = 'active'", (account_id,)))
        return Credentials(*rows[0]) if rows else None

    async def set_password(self, account_id: int, revision: int, password_hash: str, actor: str,
                           password: str | None = None) -> bool:
        """A new password for an active account, unless it changed since `revision` was read."""
        moment = self.db.clock.now()
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE accounts SET password_hash = ?, updated_at = ?, revision = revision + 1"
                " WHERE id = ? AND state = 'active' AND revision = ?",
                (password_hash, to_text(moment), account_id, revision))
            if cursor.rowcount != 1:
                return False
            await write_event(conn, moment, actor, "password_changed", account_id, "par les questions secrètes")
        return True

    async def reset(self, account_id: int, revision: int, provisional_hash: str, actor: str,
                    uai: str | None = None) -> bool:
        """Puts the account back to be activated with a new provisional password; its lock is lifted.

        Nothing happens if the account changed since `revision` was read (another reset, an
        activation): the caller says so rather than hand out a password that no longer holds.
        """
        moment = self.db.clock.now()
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE accounts SET state = 'reset', provisional_hash = ?, password_hash = NULL, email = NULL,"
                " question1 = NULL, answer1_hash = NULL, question2 = NULL, answer2_hash = NULL,"
                " cgu_version = NULL, cgu_accepted_at = NULL, activated_at = NULL, telegram_user_id = NULL,"
                " updated_at = ?, revision = revision + 1 WHERE id = ? AND revision = ?"
                " RETURNING identifier_key", (provisional_hash, to_text(moment), account_id, revision))
            rows = list(await cursor.fetchall())
            if not rows:
                return False
            await conn.execute("UPDATE attempts SET failures = 0, locks = 0, locked_until = NULL"
                               " WHERE scope = 'account' AND key = ?", (rows[0][0],))
            await conn.execute("DELETE FROM account_failures WHERE key = ?", (rows[0][0],))
            await write_event(conn, moment, actor, "reset", account_id, uai=uai)
        return True
