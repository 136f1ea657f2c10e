"""What the secure form's tests share: a bot with the form on, the page's link read from a prompt, signed initData."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp

from bot import initdata
from bot.form_settings import FormSettings
from conversations import form_texts
from sandbox.driver import Person
from sandbox.server import SandboxServer
from tests.conftest import TOKEN, Harness, running_bot


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def form_bot(server: SandboxServer, tmp_path: Path, **overrides: object) -> AsyncIterator[Harness]:
    """The bot with WEBAPP_URL on loopback (plain http is allowed there, for tests)."""
    port = free_port()
    settings = FormSettings("127.0.0.1", port, f"http://127.0.0.1:{port}")
    async with running_bot(server, tmp_path, form=settings, **overrides) as harness:
        yield harness


async def form_url(person: Person, label: str | None = None) -> str:
    """The web_app URL of the form's button (labelled `label`, French by default) on the bot's latest message that
    has one."""
    for message in reversed(await person.messages()):
        button = message.button(label or form_texts.BUTTON)
        if button is not None:
            assert "callback_data" not in button and "url" not in button, button
            return str(button["web_app"]["url"])
    raise AssertionError("no secure form button in the chat")


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["t"][0]


def signed(person: Person, at: datetime | None = None, token: str = TOKEN) -> str:
    """The initData Telegram gives the page when this person opens it (now, or at `at`)."""
    return initdata.for_user(person.user_id, person.first_name, token, at or datetime.now().astimezone())


class FormClient:
    """The page's two calls, made as its script makes them (or as an attacker could)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.base = f"{parts.scheme}://{parts.netloc}"
        self.session = aiohttp.ClientSession()

    async def close(self) -> None:
        await self.session.close()

    async def post(self, path: str, body: Any, content_type: str = "application/json") -> tuple[int, dict[str, Any]]:
        import json

        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        async with self.session.post(self.base + path, data=data, headers={"Content-Type": content_type}) as response:
            return response.status, await response.json()

    async def open(self, token: str, init_data: str) -> tuple[int, dict[str, Any]]:
        return await self.post("/form/api/open", {"token": token, "init_data": init_data})

    async def submit(self, token: str, init_data: str, **values: str) -> tuple[int, dict[str, Any]]:
        return await self.post("/form/api/submit", {"token": token, "init_data": init_data, "values": values})


def an_hour_ago() -> datetime:
    return datetime.now().astimezone() - timedelta(hours=1)

