"""The Bot API client (aiohttp): an error never carries the token, which sits in every Bot API URL."""

from __future__ import annotations

import traceback

import pytest
from telegram.error import NetworkError

from bot.transport import AiohttpRequest
from sandbox.server import SandboxServer
from tests.conftest import TOKEN


@pytest.mark.parametrize("url", [f"htp://api.example/bot{TOKEN}/getMe", f"http://127.0.0.1:1/bot{TOKEN}/getMe"])
async def test_a_failed_call_says_why_without_the_token(url: str) -> None:
    request = AiohttpRequest(connect_timeout=2)
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as caught:
            await request.do_request(url, "POST")
    finally:
        await request.shutdown()
    printed = "".join(traceback.format_exception(caught.value))  # as a log line with exc_info would show it
    assert "aiohttp." in printed and TOKEN not in printed and TOKEN.split(":")[1] not in printed


async def test_the_schools_proxy_from_the_environment_is_used(sandbox_server: SandboxServer,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # The sandbox stands for the proxy: a name that resolves nowhere is reached only through it.
    monkeypatch.setenv("HTTP_PROXY", sandbox_server.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    request = AiohttpRequest(connect_timeout=5)
    await request.initialize()
    try:
        status, body = await request.do_request(f"http://api.telegram.invalid/bot{TOKEN}/getMe", "POST")
    finally:
        await request.shutdown()
    assert status == 200 and b'"is_bot": true' in body.replace(b'"is_bot":true', b'"is_bot": true')
