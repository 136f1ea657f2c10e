"""The secure form's links: a random token per page, bound to a chat and a step, stored hashed, spent once.

SHA-256 rather than Argon2 for the same reason as the letters' tokens (storage/letters.py): 192 random
bits nobody can guess, looked up by their hash in one step.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from i18n import SOURCE
from storage.db import Database, from_text, to_text

TOKEN_BYTES = 24  # 192 bits; 32 characters of base64url
# What a token may look like when it comes back in a request: anything else is refused before any lookup.
TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
TOKEN_LENGTH = 32


def looks_like_token(raw: str) -> bool:
    return len(raw) == TOKEN_LENGTH and set(raw) <= TOKEN_CHARS


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


@dataclass(frozen=True)
class FormToken:
    """A page's link as stored: whose, which step, since when and until when; spent or not."""

    telegram_user_id: int
    chat_id: int
    step: str
    created_at: datetime
    expires_at: datetime
    spent: bool
    renewable: bool  # spent by a value the step refused: the owner, checked again, gets a new link for the step
    language: str = SOURCE  # the family's language when the link was made: its page speaks it


class FormTokens:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def mint(self, telegram_user_id: int, chat_id: int, step: str, validity: timedelta,
                   issued_at: datetime | None = None, language: str = SOURCE) -> str:
        """A new link for this step; the user's earlier links stop working (one open page per person).

        `issued_at`: a link renewed in the same page keeps its first link's moment, which the page's Telegram
        signature (made when the button was pressed) is checked against. Expired links of others go with the
        nightly purge (storage/privacy.py RULES). `language`: the family's, which the page will speak."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        moment = issued_at or self.db.clock.now()
        await self.db.atomic([
            ("DELETE FROM form_tokens WHERE telegram_user_id = ?", (telegram_user_id,)),
            ("INSERT INTO form_tokens (token_hash, telegram_user_id, chat_id, step, created_at, expires_at, language)"
             " VALUES (?, ?, ?, ?, ?, ?, ?)",
             (_digest(token), telegram_user_id, chat_id, step, to_text(moment), to_text(moment + validity),
              language)),
        ])
        return token

    async def find(self, token: str) -> FormToken | None:
        """The token's row, spent or not, expired or not (the caller says which to the person); None if unknown."""
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall(
                "SELECT telegram_user_id, chat_id, step, created_at, expires_at, spent_at, renewable, language"
                " FROM form_tokens"
                " WHERE token_hash = ?", (_digest(token),)))
        if not rows:
            return None
        uid, chat, step, created, expires, spent, renewable, language = rows[0]
        return FormToken(uid, chat, step, from_text(created), from_text(expires), spent is not None, bool(renewable),
                         language)

    async def spend(self, token: str) -> bool:
        """Marks the token used if it still works; False when it was spent, expired or replaced meanwhile."""
        now = to_text(self.db.clock.now())
        rows = await self.db.write(
            "UPDATE form_tokens SET spent_at = ? WHERE token_hash = ? AND spent_at IS NULL AND expires_at > ?"
            " RETURNING 1", (now, _digest(token), now))
        return bool(rows)

    async def refused(self, token: str) -> None:
        """The step refused the value this token carried: it stays spent, and may be renewed by its owner."""
        await self.db.write("UPDATE form_tokens SET renewable = 1 WHERE token_hash = ?", (_digest(token),))

    async def withdraw(self, token: str) -> None:
        """A link someone else is using (a signature that is not Telegram's came with it): it works no more; its
        owner gets a new one with the next prompt."""
        await self.db.write("DELETE FROM form_tokens WHERE token_hash = ?", (_digest(token),))

    async def forget(self, telegram_user_id: int) -> None:
        await self.db.write("DELETE FROM form_tokens WHERE telegram_user_id = ?", (telegram_user_id,))
