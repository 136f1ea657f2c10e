"""The bot's one web server (WEB_LISTEN): the secure form's routes, Telegram's webhook, or both, behind the proxy."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from bot.form_policy import HEADERS
from bot.form_settings import is_loopback
from conversations import form_texts
from i18n import SOURCE, using

log = logging.getLogger(__name__)

# The secure form's bodies are a token, initData (~1 KB) and two 128-character values: far below. The webhook reads
# Telegram's larger updates from the stream itself, under its own bound (bot/webhook.py).
MAX_BODY = 8 * 1024


# The request's key holding the language its answers speak: the family's, once its link or person is known.
LANGUAGE = web.RequestKey("language", str)


@web.middleware
async def strict_headers(request: web.Request, handler: Any) -> web.StreamResponse:
    """Every answer, errors included, carries the strict headers; no answer is ever cached."""
    try:
        response: web.StreamResponse = await handler(request)
    except web.HTTPException as exc:  # a 404, a 405, a body too large: raised again, with the headers
        exc.headers.update(HEADERS)
        raise
    except Exception:  # a fault of ours: one line, and the strict headers still (aiohttp's bare 500 has none)
        log.error("web server: error while answering %s", request.path, exc_info=True)
        with using(request.get(LANGUAGE, SOURCE)):  # the family's, once the request said whose it is
            response = web.json_response({"ok": False, "code": "error", "message": form_texts.refused("error")},
                                         status=500)
    response.headers.update(HEADERS)
    return response


class WebServer:
    """Listens on WEB_LISTEN once the bot is ready; whoever needs it (the form, the webhook) adds its routes first."""

    def __init__(self, host: str, port: int, serves: str) -> None:
        self.host, self.port = host, port
        self.serves = serves  # what it is for, in its log lines: "secure form", "webhook", "secure form and webhook"
        self.web = web.Application(client_max_size=MAX_BODY, middlewares=[strict_headers])
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(self.web, access_log=None)  # an access log would keep each form page's link
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:  # one line the IT referent can act on, before the traceback
            log.error("%s: cannot listen on WEB_LISTEN=%s:%s (%s): choose a free port", self.serves, self.host,
                      self.port, exc.strerror or exc)
            await self._runner.cleanup()
            self._runner = None
            raise
        log.info("%s listening on %s:%s", self.serves, self.host, self.port)
        if not is_loopback(self.host):
            # Nothing here limits a source's requests or a half-sent request's time: the proxy's job.
            log.warning("%s: WEB_LISTEN=%s:%s is not a loopback address; keep it behind the reverse proxy "
                        "(its rate and connection limits protect the bot's process)", self.serves, self.host, self.port)

    async def stop(self) -> None:
        """Stops listening; requests under way are given a few seconds to finish (aiohttp's graceful shutdown)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
