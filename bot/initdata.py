"""Telegram Mini Apps' `initData`: checked (and, for tests and the demo, made) as Telegram documents it; no Telegram import.

https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app — the fields but `hash`,
sorted, as `key=value` lines joined by a newline; the key is HMAC-SHA-256 of the bot token keyed by
"WebAppData"; `hash` is the hex HMAC-SHA-256 of those lines with that key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

MAX_LENGTH = 4096  # Telegram's initData is a few hundred characters; more is someone else's
_KEY_SALT = b"WebAppData"


class InvalidInitData(Exception):
    """Not signed with this bot's token, malformed, or missing what the form needs; the reason is for the log."""


@dataclass(frozen=True)
class InitData:
    """What the form trusts of a checked initData: who, and when Telegram signed it."""

    user_id: int
    first_name: str
    auth_date: datetime


def _secret(bot_token: str) -> bytes:
    return hmac.new(_KEY_SALT, bot_token.encode(), hashlib.sha256).digest()


def _check_string(fields: dict[str, str]) -> bytes:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash").encode()


def verify(raw: str, bot_token: str) -> InitData:
    """The initData's user and signing time, if `raw` was signed for this bot; InvalidInitData otherwise."""
    if not raw or len(raw) > MAX_LENGTH:
        raise InvalidInitData("empty or too long")
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InvalidInitData("not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InvalidInitData("a field given twice")
    given = fields.get("hash", "")
    expected = hmac.new(_secret(bot_token), _check_string(fields), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise InvalidInitData("bad signature")
    try:
        user = json.loads(fields["user"])
        user_id = user["id"]
        auth_date = datetime.fromtimestamp(int(fields["auth_date"]), UTC)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        raise InvalidInitData("signed, but without a user or a date") from None
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise InvalidInitData("signed, but the user's id is not a number")
    first_name = user.get("first_name") if isinstance(user.get("first_name"), str) else ""
    return InitData(user_id, first_name, auth_date)


def sign(fields: dict[str, str], bot_token: str) -> str:
    """An initData as Telegram would make it for this bot (the tests' and the demo's stand-in for Telegram)."""
    signed = {key: value for key, value in fields.items() if key != "hash"}
    signed["hash"] = hmac.new(_secret(bot_token), _check_string(signed), hashlib.sha256).hexdigest()
    return urlencode(signed)


def for_user(user_id: int, first_name: str, bot_token: str, auth_date: datetime) -> str:
    """The initData of a web_app button pressed by this user at `auth_date`."""
    user = json.dumps({"id": user_id, "first_name": first_name, "language_code": "fr"}, separators=(",", ":"))
    return sign({"query_id": f"AAE{user_id}", "user": user, "auth_date": str(int(auth_date.timestamp()))}, bot_token)
