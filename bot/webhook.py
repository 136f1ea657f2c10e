"""Webhook mode (`entbot run --webhook`): Telegram POSTs each update to the bot's web server, answered once handled.

Telegram keeps an update and sends it again until the bot answers 2xx. So the answer is given only after
the update went through every handler, under its person's turn of the update processor (bot/processor.py),
as a polled update does: a process that dies while handling it never said 200, and Telegram redelivers it
to the restarted process. What reaches this route without Telegram's secret is refused before its body is
read, and logged without it; a duplicate of an update handled (or being handled) here is not handled twice.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
import time
from collections import OrderedDict
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.error import BadRequest, NetworkError, TelegramError

from bot.webhook_settings import WebhookSettings
from bot.webserver import WebServer

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# A message of 4096 characters, its entities, the message it answers and its quote stay well under 100 KB.
MAX_UPDATE = 1024 * 1024
# Concurrent deliveries Telegram may make (setWebhook's max_connections): the updates of different people.
MAX_CONNECTIONS = 40
REMEMBERED = 10_000  # update ids handled here, kept to answer a redelivery without handling it again
REFUSALS_EVERY = 60.0  # seconds between two log lines about refused requests (a flood is counted, not echoed)
DRAIN_TIMEOUT = 25.0  # seconds a stopping bot gives the updates under way (deploy/entbot.service: TimeoutStopSec=30)

# French, for the IT referent (bot/cli.py prints it as the one line of a failed start).
NEEDS_URL = ("--webhook demande WEBHOOK_URL (l'adresse publique https:// où Telegram envoie les messages) et "
             "WEBHOOK_SECRET ; sans --webhook, le bot va chercher ses messages lui-même (long polling).")

# `entbot chats` while a webhook is set: getUpdates is refused, but the running bot logs each update's chat.
CHATS_IN_WEBHOOK_MODE = ("le bot reçoit ses messages par webhook (entbot run --webhook) : Telegram ne les donne pas "
                         "à « entbot chats ». Le journal du bot note la conversation de chaque message reçu : "
                         "journalctl -u entbot | grep chat=")


def set_webhook_refused(url: str, description: str) -> str:
    return (f"Telegram refuse le webhook {url} : {description}. Vérifiez WEBHOOK_URL (adresse publique en https://, "
            "certificat valide, port 443, 80, 88 ou 8443) et que le proxy transmet vers WEB_LISTEN.")


def set_webhook_unreachable(description: str) -> str:
    return (f"Telegram injoignable pour enregistrer le webhook ({description}) : le service réessaie à son prochain "
            "démarrage (Restart=on-failure) ; vérifiez l'accès du serveur à api.telegram.org.")


class WebhookRefused(Exception):
    """setWebhook failed at start: `str()` is the French line to show."""


class Webhook:
    """The webhook's route on the bot's web server; `app` is the PTB Application the updates are handed to."""

    def __init__(self, app: Any, settings: WebhookSettings, server: WebServer) -> None:
        self.app = app
        self.settings = settings
        self._secret = settings.secret.encode()
        self.ready = False  # between start and stop only: before and after, Telegram is told to come back (503)
        self._cut = False  # stopping before the updates under way were done: theirs are not acknowledged
        self._done: OrderedDict[int, None] = OrderedDict()
        self._under_way: dict[int, asyncio.Event] = {}
        self._refused = 0
        self._refusal_said = -REFUSALS_EVERY
        server.web.add_routes([web.post(settings.path, self.receive)])

    # -- one delivery ----------------------------------------------------------------------------------

    async def receive(self, request: web.Request) -> web.Response:
        if not self._from_telegram(request):
            self._say_refused(request)
            return web.Response(status=403, text="forbidden")
        if not self.ready:
            return web.Response(status=503, text="starting or stopping", headers={"Retry-After": "1"})
        body = await _read(request)
        if body is None:
            log.warning("webhook: update refused, body larger than %d bytes", MAX_UPDATE)
            return web.Response(status=413, text="too large")
        update = self._update(body)
        if update is None:
            log.warning("webhook: request refused, its body (%d bytes) is not a Telegram update", len(body))
            return web.Response(status=400, text="not an update")
        await self._handle(update)
        if self._cut:  # finished after the bot began closing its connections: perhaps not whole, so sent again
            return web.Response(status=503, text="stopping", headers={"Retry-After": "1"})
        return web.Response(text="ok")

    def _from_telegram(self, request: web.Request) -> bool:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        return hmac.compare_digest(given, self._secret)  # constant time: the answer's delay tells nothing

    def _say_refused(self, request: web.Request) -> None:
        """Logged without the body (never read) nor the header's value; a flood is one line a minute."""
        self._refused += 1
        now = time.monotonic()
        if now - self._refusal_said >= REFUSALS_EVERY:
            reason = "wrong" if SECRET_HEADER in request.headers else "no"
            log.warning("webhook: %d request(s) refused without Telegram's secret (last: %s secret, from %s)",
                        self._refused, reason, request.remote or "?")
            self._refused, self._refusal_said = 0, now

    def _update(self, body: bytes) -> Update | None:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return None
        if not isinstance(data, dict) or type(data.get("update_id")) is not int:
            return None
        try:
            return Update.de_json(data, self.app.bot)
        except (TypeError, ValueError, KeyError, AttributeError):  # a field of the wrong shape
            return None

    async def _handle(self, update: Update) -> None:
        """Returns once the update went through its handlers (or was dropped by the processor on purpose)."""
        uid = update.update_id
        if uid in self._done:
            log.info("webhook: update %s delivered again, already handled", uid)
            return
        running = self._under_way.get(uid)
        if running is not None:  # Telegram gave up waiting and sent it again: answered once the first is done
            await running.wait()
            if uid in self._done:
                return
            raise RuntimeError(f"update {uid} failed")  # a 500: Telegram sends it again
        finished = self._under_way[uid] = asyncio.Event()
        try:
            # As PTB's own fetcher does for a polled update: under the person's turn, kept in order.
            await self.app.update_processor.process_update(update, self.app.process_update(update))
            self._done[uid] = None
            if len(self._done) > REMEMBERED:
                self._done.popitem(last=False)
        finally:
            del self._under_way[uid]
            finished.set()

    async def drain(self, timeout: float = DRAIN_TIMEOUT) -> None:
        """New deliveries are turned away (Telegram keeps them); those under way are given `timeout` s to finish."""
        self.ready = False
        waiting = [event.wait() for event in self._under_way.values()]
        if waiting:
            log.info("webhook: waiting for %d update(s) under way", len(waiting))
            try:
                await asyncio.wait_for(asyncio.gather(*waiting), timeout)
            except TimeoutError:
                self._cut = True
                log.warning("webhook: stopping with updates under way; Telegram will send them again")


async def _read(request: web.Request) -> bytes | None:
    """The body, or None beyond MAX_UPDATE (read no further than that)."""
    if request.content_length is not None and request.content_length > MAX_UPDATE:
        return None
    body = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > MAX_UPDATE:
            return None
    return bytes(body)


# -- the process ---------------------------------------------------------------------------------------


async def start(app: Any, hook: Webhook) -> None:
    """Starts the bot, then tells Telegram where to send updates; PTB's own webhook server is not used (one server)."""
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)  # the web server listens from here, answering 503 until ready
    await app.start()
    hook.ready = True
    try:
        await app.bot.set_webhook(hook.settings.url, allowed_updates=Update.ALL_TYPES,
                                  secret_token=hook.settings.secret, max_connections=MAX_CONNECTIONS)
    except TelegramError as exc:
        if isinstance(exc, NetworkError) and not isinstance(exc, BadRequest):  # a timeout, a 5xx: not the address
            raise WebhookRefused(set_webhook_unreachable(exc.message)) from None
        raise WebhookRefused(set_webhook_refused(hook.settings.url, exc.message)) from None
    log.info("webhook set: Telegram sends the updates to %s", hook.settings.url)


async def stop(app: Any, hook: Webhook) -> None:
    """The reverse of start. The webhook stays set: while the bot is away Telegram keeps the updates, and sends
    them to the next process (a restart, or another machine behind the proxy)."""
    await hook.drain()
    if app.running:
        await app.stop()
    await app.shutdown()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)


def run(app: Any, hook: Webhook) -> None:
    """`entbot run --webhook` until SIGTERM or SIGINT; raises WebhookRefused if Telegram refuses the URL."""

    async def serve() -> None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping.set)
        try:
            await start(app, hook)
            await stopping.wait()
        finally:
            await stop(app, hook)

    asyncio.run(serve())
