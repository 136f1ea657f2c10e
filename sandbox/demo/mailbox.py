"""The demo's mail catcher: a real SMTP server (aiosmtpd) on loopback that keeps the bot's mail to show it."""

from __future__ import annotations

import asyncio
import email
import email.policy
import itertools
from collections import deque
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP

KEPT = 100  # per mailbox: a page left open all day shows the latest, and memory stays bounded


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        return str(part.get_content())
    except (LookupError, ValueError):  # a charset Python does not know: show what can be read
        raw = part.get_payload(decode=True)
        return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""


class MailCatcher:
    """Mail to the school's address goes to its box, any other to the parents' box; nothing leaves the machine."""

    def __init__(self, school_address: str, on_mail: Callable[[], Awaitable[None]]) -> None:
        self.school_address = school_address.lower()
        self.on_mail = on_mail
        self.school: deque[dict[str, Any]] = deque(maxlen=KEPT)
        self.parents: deque[dict[str, Any]] = deque(maxlen=KEPT)
        self._ids = itertools.count(1)
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        loop = asyncio.get_running_loop()
        # In this event loop rather than aiosmtpd's Controller thread: a caught mail wakes the page's long polls directly.
        self._server = await loop.create_server(lambda: SMTP(self, hostname="demo.invalid"), host, port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        recipients = [str(r) for r in envelope.rcpt_tos]
        shown = {"id": next(self._ids), "from": str(message.get("From", "")), "to": ", ".join(recipients),
                 "subject": str(message.get("Subject", "")), "date": str(message.get("Date", "")),
                 "body": _body(message).replace("\r\n", "\n")[:20_000]}
        to_school = any(r.lower() == self.school_address for r in recipients)
        (self.school if to_school else self.parents).append(shown)
        await self.on_mail()
        return "250 OK"
