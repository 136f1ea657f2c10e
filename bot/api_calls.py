"""Every Bot API call of the replies passes here: a 429 waited out and tried again, each chat's newest message noted."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

# The calls that put a new message at the bottom of a chat; their answer is that message.
_NEW_MESSAGE = frozenset({"sendMessage", "sendPhoto", "sendDocument", "sendVoice", "sendAudio", "sendVideo",
                          "sendAnimation", "sendSticker", "sendLocation", "sendContact", "copyMessage",
                          "forwardMessage"})

# The texts the bot sends or edits while handling a value from the secure form (bot/webform.py): the page shows
# the dialogue's own words when the step refused it. None outside the form's submissions.
FORM_REPLIES: ContextVar[list[str] | None] = ContextVar("form_replies", default=None)
_TEXT_CALLS = frozenset({"sendMessage", "editMessageText"})


def retry_after(exc: RetryAfter) -> float:
    """The seconds a 429 asks to wait: PTB gives a timedelta or a number (PTB_TIMEDELTA, see bot/__init__.py)."""
    value: object = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)  # type: ignore[arg-type]


class ReplyCalls(BaseRateLimiter[None]):
    """In place of PTB's AIORateLimiter, which with no overall or group cap only waited out 429s — for every chat.

    A reply in a private chat has no cap to respect (Telegram has none there); a 429 is waited out for
    that call alone, so one flooded chat does not hold up the others. The answers of the calls that post
    a message say which message is now the newest of its chat (`latest`, shared with the dialogues):
    a prompt is edited in place only when nothing was posted below it, whatever code posted it.
    """

    def __init__(self, latest: dict[int, int], max_retries: int = 3) -> None:
        self.latest = latest
        self.max_retries = max_retries

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def process_request(self, callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any]
                                                                       | list[dict[str, Any]]]],
                              args: Any, kwargs: dict[str, Any], endpoint: str, data: dict[str, Any],
                              rate_limit_args: None) -> bool | dict[str, Any] | list[dict[str, Any]]:
        attempt = 0
        while True:
            try:
                result = await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt >= self.max_retries:
                    raise
                attempt += 1
                wait = retry_after(exc) + 0.1
                log.info("%s: Telegram asks to wait %.1f s (try %d of %d)", endpoint, wait, attempt, self.max_retries)
                await asyncio.sleep(wait)
                continue
            note_new_message(self.latest, endpoint, result)
            replies = FORM_REPLIES.get()
            if replies is not None and endpoint in _TEXT_CALLS and isinstance(data.get("text"), str):
                replies.append(data["text"])
            return result


def note_new_message(latest: dict[int, int], endpoint: str, result: object) -> None:
    """When `endpoint` posted a message (`result`), it is now the newest of its chat."""
    if endpoint not in _NEW_MESSAGE or not isinstance(result, dict):
        return
    chat, message_id = result.get("chat"), result.get("message_id")
    if isinstance(chat, dict) and isinstance(chat.get("id"), int) and isinstance(message_id, int):
        latest[chat["id"]] = max(latest.get(chat["id"], 0), message_id)
