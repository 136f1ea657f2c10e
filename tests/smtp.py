"""A real SMTP server (aiosmtpd) on loopback that tests can slow down, make refuse, stop and start again."""

from __future__ import annotations

import asyncio
import email
import email.policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.waiting import eventually, free_port


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.server.delay:
            await asyncio.sleep(self.server.delay)
        if self.server.refusing > 0:
            self.server.refusing -= 1
            self.server.refused += 1
            return "550 5.7.1 Message refused for this test"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.server.received.append(message)
        self.server.rcpt_tos.append(list(envelope.rcpt_tos))
        return "250 OK"


class SmtpServer:
    """What it received, in order; `stop()` and `start()` make it go away and come back on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[EmailMessage] = []
        self.rcpt_tos: list[list[str]] = []  # each received mail's envelope recipients
        self.refusing = 0  # refuse this many messages with a 550
        self.refused = 0
        self.delay = 0.0  # seconds before answering DATA
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    async def wait_for(self, count: int, timeout: float = 15.0) -> list[EmailMessage]:
        """Waits until `count` mails arrived in all; returns them."""
        await eventually(lambda: len(self.received) >= count, timeout)
        return list(self.received)

    def bodies(self) -> list[str]:
        return [str(m.get_content()) for m in self.received]
