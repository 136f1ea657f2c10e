"""Letter tokens: the random key printed in each letter's QR code, stored hashed, single-use, revocable.

Why SHA-256 and not Argon2: a token is 144 bits from the operating system's CSPRNG, not something a
person chose. Nobody can guess it or try a dictionary on its hash: finding a token from a stolen hash
means about 2**144 SHA-256 evaluations, so a slow hash would add nothing. A fast, unsalted hash also
lets the bot find the token's row by its hash (the primary key) in one lookup, which a salted Argon2
hash could not. The table never holds the token itself.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from storage.audit import write_event
from storage.db import Database, to_text

TOKEN_BYTES = 18  # 144 bits; base64url gives 24 characters of A-Z a-z 0-9 _ -, within Telegram's 64


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class NewLetter:
    account_id: int
    provisional_hash: str  # the account's at printing time: the token proves this password, no more
    token: str


@dataclass(frozen=True)
class Redeemed:
    """What a scanned token turned out to be: `ok` (now used) or why not, and its account if known."""

    status: str  # ok, used, revoked, expired, unknown
    account_id: int | None = None
    provisional_hash: str | None = None
    uai: str | None = None  # the school that issued the letter: a family that came through it is that school's


class LetterTokens:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def issue(self, letters: list[NewLetter], validity: timedelta, actor: str, uai: str | None = None) -> None:
        """Records the new letters, each revoking the account's previous one, all in one transaction; `uai`: the
        school issuing them, carried by their tokens and named in the audit."""
        moment = self.db.clock.now()
        now, expires = to_text(moment), to_text(moment + validity)
        async with self.db.transaction() as conn:
            for letter in letters:
                await conn.execute(
                    "UPDATE letter_tokens SET state = 'revoked', ended_at = ?, ended_by = ?"
                    " WHERE account_id = ? AND state = 'valid'", (now, "new_letter", letter.account_id))
                await conn.execute(
                    "INSERT INTO letter_tokens (token_hash, account_id, provisional_hash, created_at, expires_at, uai)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (token_hash(letter.token), letter.account_id, letter.provisional_hash, now, expires, uai or ""))
                await write_event(conn, moment, actor, "letter_issued", letter.account_id,
                                  f"valable jusqu'au {expires[:10]}", uai=uai)

    async def redeem(self, token: str) -> Redeemed:
        """Uses the token if it is still valid (it then never works again); otherwise says why not."""
        digest = token_hash(token)
        now = to_text(self.db.clock.now())
        async with self.db.transaction() as conn:
            rows = list(await conn.execute_fetchall(
                "UPDATE letter_tokens SET state = 'used', ended_at = ?, ended_by = 'scanned'"
                " WHERE token_hash = ? AND state = 'valid' AND expires_at > ?"
                " RETURNING account_id, provisional_hash, uai", (now, digest, now)))
            if rows:
                return Redeemed("ok", rows[0][0], rows[0][1], rows[0][2] or None)
            found = list(await conn.execute_fetchall(
                "SELECT account_id, state, expires_at, uai FROM letter_tokens WHERE token_hash = ?", (digest,)))
        if not found:
            return Redeemed("unknown")
        account_id, state, expires_at, uai = found[0]
        status = "expired" if state == "valid" and expires_at <= now else state
        return Redeemed(status, account_id, uai=uai or None)

    async def revoke(self, account_id: int, reason: str) -> int:
        """Revokes the account's valid letter (a staff reset, the activation); returns how many were."""
        rows = await self.db.write(
            "UPDATE letter_tokens SET state = 'revoked', ended_at = ?, ended_by = ?"
            " WHERE account_id = ? AND state = 'valid' RETURNING 1", (to_text(self.db.clock.now()), reason, account_id))
        return len(rows)

    async def valid_for(self, account_id: int) -> int:
        """How many valid letters the account has (0 or 1): for staff's card and the tests."""
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall(
                "SELECT COUNT(*) FROM letter_tokens WHERE account_id = ? AND state = 'valid' AND expires_at > ?",
                (account_id, to_text(self.db.clock.now()))))
        return int(rows[0][0])

    async def school_scanned(self, account_id: int) -> str | None:
        """The school of the account's letter a family last scanned (its token used), if any: such a family came
        through that school's letter, and is never asked which school it is (the help desk reads this)."""
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall(
                "SELECT uai FROM letter_tokens WHERE account_id = ? AND state = 'used' AND ended_by = 'scanned'"
                " AND uai != '' ORDER BY ended_at DESC LIMIT 1", (account_id,)))
        return str(rows[0][0]) if rows else None
