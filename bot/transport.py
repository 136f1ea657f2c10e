"""The Bot API over aiohttp instead of httpx: the same requests and errors for PTB, for less CPU per call."""

from __future__ import annotations

import re
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


def _masked(text: str) -> str:
    """The text with the bot's token (`/bot<token>/` in a Bot API URL) hidden."""
    return re.sub(r"/(file/)?bot[^/\s'\"]+", r"/\1bot…", text)


def _value(given: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(given, DefaultValue) else given


class AiohttpRequest(BaseRequest):
    """PTB's `BaseRequest` on an aiohttp session (aiohttp is already the sandbox's and the tests' client).

    Under load most of the event loop's time went to Bot API calls, and most of that to httpx, httpcore
    and anyio's layers (py-spy, bench/activation.py); aiohttp's client does the same HTTP/1.1 keep-alive
    requests for about half the CPU (the benchmark's "main thread per update" before and after).
    Timeouts keep PTB's meaning: connect, read (getUpdates adds its long-poll time), pool (waiting for a
    free connection); a timeout becomes `TimedOut` and any other client error `NetworkError`, as with httpx.
    """

    def __init__(self, connections: int = 16, read_timeout: float | None = 5.0, connect_timeout: float | None = 5.0,
                 pool_timeout: float | None = 1.0, media_write_timeout: float | None = 20.0) -> None:
        self.connections = connections
        self._read_timeout, self._connect_timeout = read_timeout, connect_timeout
        self._pool_timeout, self._media_write_timeout = pool_timeout, media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        await self._opened()

    async def _opened(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # No cookies (the Bot API sets none). HTTPS_PROXY / HTTP_PROXY / NO_PROXY are read as httpx, PTB's own
            # client, reads them: a school's network often reaches Telegram only through its proxy.
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self.connections),
                                                  cookie_jar=aiohttp.DummyCookieJar(), trust_env=True,
                                                  headers={"User-Agent": self.USER_AGENT})
        return self._session

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
                         write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
                         connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
                         pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        session = await self._opened()  # as PTB's httpx client, usable before `initialize` (entbot doctor's first call)
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        data: Any = fields
        read = _value(read_timeout, self._read_timeout)
        if files:
            form = aiohttp.FormData(quote_fields=False)
            for name, value in (fields or {}).items():
                form.add_field(name, value)
            for name, part in files.items():
                filename, content, *rest = part
                form.add_field(name, content, filename=filename or name,
                               content_type=rest[0] if rest else "application/octet-stream")
            data = form
            write = _value(write_timeout, self._media_write_timeout)
            read = None if read is None or write is None else read + write  # aiohttp has no write timeout
        connect, pool = _value(connect_timeout, self._connect_timeout), _value(pool_timeout, self._pool_timeout)
        timeout = aiohttp.ClientTimeout(total=None, sock_read=read, sock_connect=connect,
                                        connect=None if connect is None or pool is None else connect + pool)
        try:
            async with session.request(method, url, data=data, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            # Some of aiohttp's errors print the URL, and the Bot API's URL carries the token: never chained
            # (a traceback would print the cause), and the message with the token masked.
            raise NetworkError(f"aiohttp.{type(err).__name__}: {_masked(str(err))}") from None
