"""The demo's web page and its small JSON API: read a chat, type, press a button, read the caught mail."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot import initdata
from bot.form_policy import CSP as FORM_CSP
from bot.form_policy import TELEGRAM_JS
from sandbox.demo import cast
from sandbox.demo.cast import View
from sandbox.demo.mailbox import MailCatcher
from sandbox.world import MAX_TEXT, ApiError, Message, World

STATIC = Path(__file__).resolve().parent / "static"
STATIC_FILES = {"demo.css": "text/css", "render.js": "text/javascript", "demo.js": "text/javascript"}
MAX_BODY = 32 * 1024  # a message of 4096 characters fits even with every one escaped as JSON \uXXXX
SHOWN = 150  # messages of a chat sent to the page: a chat used all day does not grow each answer
LONG_POLL = 25.0  # under the 30 s or so after which a proxy or a browser may drop a quiet request
BURST = 10  # actions of one person within BURST_WINDOW seconds; more is a stuck key or a script
BURST_WINDOW = 1.0
CLICK_ANSWER_WAIT = 5.0
# After the bot answers a press, how long the person's next press waits for the screen it brings (an edit).
FOLLOW_UP_WAIT = 1.5
# What the page may open from a button or a link: never javascript:, data: and the like.
SAFE_URL = re.compile(r"^(https?://|mailto:|tg://)", re.IGNORECASE)
SECURITY_HEADERS = {
    # Everything is served by the demo itself: no CDN, no third-party font, no inline script.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; object-src 'none'; frame-src 'self'; base-uri 'none'; "
                               "form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


# The secure form, proxied to the bot's own server (WEB_LISTEN) under the page's origin, framed by the page as
# Telegram's clients frame it: its own headers, but framed by this page only.
FORM_PATHS = ("/form", "/demo-telegram.js")
FORM_HEADERS = {"Content-Security-Policy": FORM_CSP.rsplit("frame-ancestors", 1)[0] + "frame-ancestors 'self'",
                "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


@dataclass(frozen=True)
class FormBackend:
    """Where the bot's form server listens, and the demo's token that signs initData as Telegram would."""

    url: str  # http://127.0.0.1:PORT
    bot_token: str


class DemoError(Exception):
    """A request the demo refuses, with the sentence (in French) the visitor reads."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _file_type(data: bytes) -> tuple[str, str]:
    """The content type a file is served with, from its first bytes (never from what a sender claimed)."""
    if data.startswith(b"%PDF-"):
        return "application/pdf", "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", "image"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", "image"
    return "application/octet-stream", "other"


def _ascii_name(name: str | None, fallback: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name or "").strip("._")
    return cleaned[:80] or fallback


class DemoPage:
    """The page's API over the sandbox's world, in the same event loop: nothing per poll is kept."""

    def __init__(self, world: World, mail: MailCatcher, accounts: list[dict[str, str]],
                 form: FormBackend | None = None) -> None:
        self.world, self.mail, self.accounts = world, mail, accounts
        self.form = form
        self._recent: dict[int, deque[float]] = {}  # per person (three of them): bounded
        self._clicking: set[int] = set()

    # -- reading -------------------------------------------------------------------------------

    def _view(self, view_id: object) -> View:
        view = cast.BY_ID.get(view_id) if isinstance(view_id, str) else None
        if view is None:
            raise DemoError(404, "Personne inconnue dans cette démonstration.")
        return view

    def _file(self, file_id: str | None) -> dict[str, Any] | None:
        if file_id is None:
            return None
        stored = self.world.files.get(file_id)
        if stored is None:
            return None  # a photo a person "sent" from the page: the sandbox has no bytes for it
        name, data = stored
        content_type, kind = _file_type(data)
        if kind == "image" and not re.search(r"\.(png|jpe?g)$", name or "", re.IGNORECASE):
            name = "image.png" if content_type == "image/png" else "image.jpg"  # a chart sent as bytes has no name
        return {"url": f"/api/files/{file_id}", "name": name or "fichier", "type": kind, "size": len(data)}

    @staticmethod
    def _button(button: dict[str, Any]) -> dict[str, Any]:
        """What the page needs of a button: its text, and its link if it is one; never its callback data."""
        shown: dict[str, Any] = {"text": str(button.get("text", ""))}
        if SAFE_URL.match(str(button.get("url", ""))):
            shown["url"] = button["url"]
        web_app = button.get("web_app")
        if isinstance(web_app, dict) and SAFE_URL.match(str(web_app.get("url", ""))):
            shown["web_app"] = web_app["url"]  # the secure form's hook: the page opens it once the form exists
        return shown

    @staticmethod
    def _version(message: Message) -> str:
        """What a press is made on: the message's text and buttons as the page showed them."""
        seen = message.view()
        drawn = json.dumps([seen["text"], seen["entities"], seen["buttons"]], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(drawn.encode()).hexdigest()[:16]

    def _message(self, message: Message, view: View) -> dict[str, Any]:
        seen = message.view()
        buttons = [[self._button(b) for b in row] for row in seen["buttons"]]
        shown: dict[str, Any] = {
            "id": message.message_id, "version": self._version(message), "text": seen["text"],
            "entities": seen["entities"], "kind": seen["kind"],
            "edited": seen["edited"], "buttons": buttons,
            "out": view.actor_id is not None and seen["sender_id"] == view.actor_id,
            "sender": None if view.actor_id is None else cast.name_of(self.world, seen["sender_id"]),
            "file": self._file(seen["file_id"]),
        }
        if message.reply_to is not None:
            replied = self.world.messages.get((message.chat.id, message.reply_to))
            if replied is not None and not replied.deleted:
                shown["reply"] = {"id": replied.message_id, "sender": cast.name_of(self.world, replied.view()["sender_id"]),
                                  "excerpt": replied.view()["text"][:90]}
        if message.forward_origin:
            shown["forwarded_from"] = str(message.forward_origin.get("sender_user_name", ""))
        return shown

    def snapshot(self, view: View) -> dict[str, Any]:
        chats = {v.id: [m for m in self.world.by_chat.get(v.chat_id, []) if not m.deleted] for v in cast.VIEWS}
        return {
            "view": view.id,
            "messages": [self._message(m, view) for m in chats[view.id][-SHOWN:]],
            "latest": {vid: (messages[-1].message_id if messages else 0) for vid, messages in chats.items()},
            # The newest message id ever given in this chat: a message typed and already deleted is older than it.
            "last_id": self.world.next_message_id.get(view.chat_id, 0),
            "mail": {"school": list(self.mail.school)[-20:], "parents": list(self.mail.parents)[-20:]},
        }

    async def _changed(self, timeout: float) -> None:
        async with self.world.changed:
            try:
                await asyncio.wait_for(self.world.changed.wait(), timeout)
            except TimeoutError:
                pass

    async def state(self, request: web.Request) -> web.Response:
        """Long poll: answers when what this view shows differs from `since` (an etag), or after `wait` seconds."""
        view = self._view(request.query.get("view"))
        since = request.query.get("since", "")
        try:
            wait = min(max(float(request.query.get("wait", "0")), 0.0), LONG_POLL)
        except ValueError as exc:
            raise DemoError(400, "Paramètre « wait » illisible.") from exc
        deadline = time.monotonic() + wait
        while True:
            snapshot = self.snapshot(view)
            etag = hashlib.sha256(json.dumps(snapshot, sort_keys=True).encode()).hexdigest()[:20]
            left = deadline - time.monotonic()
            if etag != since or left <= 0:
                return web.json_response({"etag": etag, **snapshot}, headers={"Cache-Control": "no-store"})
            await self._changed(left)

    async def setup(self, request: web.Request) -> web.Response:
        return web.json_response({
            "views": [v.to_json() for v in cast.VIEWS], "accounts": self.accounts,
            "school": {"name": cast.SCHOOL_NAME, "email": cast.SCHOOL_EMAIL}, "parent_email": cast.PARENT_EMAIL,
        })

    async def file(self, request: web.Request) -> web.Response:
        stored = self.world.files.get(request.match_info["file_id"])
        if stored is None:
            raise DemoError(404, "Fichier introuvable.")
        name, data = stored
        content_type, kind = _file_type(data)
        disposition = "inline" if kind in ("pdf", "image") else "attachment"
        return web.Response(body=data, content_type=content_type, headers={
            "Content-Disposition": f'{disposition}; filename="{_ascii_name(name, "fichier")}"'})

    # -- acting ----------------------------------------------------------------------------------

    def _take_turn(self, actor_id: int) -> None:
        now = time.monotonic()
        recent = self._recent.setdefault(actor_id, deque())
        while recent and recent[0] <= now - BURST_WINDOW:
            recent.popleft()
        if len(recent) >= BURST:
            raise DemoError(429, "Trop d'actions d'un coup : attendez quelques secondes, puis recommencez.")
        recent.append(now)

    @staticmethod
    async def _body(request: web.Request) -> dict[str, Any]:
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge as exc:
            raise DemoError(413, "Requête trop volumineuse : 32 Kio au plus.") from exc
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise DemoError(400, "Requête illisible : du JSON est attendu.") from exc
        if not isinstance(data, dict):
            raise DemoError(400, "Requête illisible : un objet JSON est attendu.")
        return data

    def _actor(self, view: View) -> int:
        if view.actor_id is None:
            raise DemoError(403, "Dans le canal, seul le bot publie : écrivez une annonce depuis « Sylvie (secrétariat) ».")
        return view.actor_id

    def _visible(self, view: View, message_id: object) -> Message:
        if not isinstance(message_id, int) or isinstance(message_id, bool):
            raise DemoError(400, "Message inconnu.")
        message = self.world.messages.get((view.chat_id, message_id))
        if message is None or message.deleted:
            raise DemoError(400, "Ce message n'existe pas (ou plus) dans cette conversation.")
        return message

    async def send(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        view = self._view(body.get("view"))
        actor = self._actor(view)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise DemoError(400, "Message vide : écrivez quelque chose avant d'envoyer.")
        if len(text.encode("utf-16-le")) // 2 > MAX_TEXT:
            raise DemoError(400, f"Message trop long : {MAX_TEXT} caractères au plus, comme dans Telegram.")
        reply_to = body.get("reply_to")
        if reply_to is not None:
            self._visible(view, reply_to)
        self._take_turn(actor)
        update_id, message_id = self.world.user_sends(actor, view.chat_id, "text", text, reply_to=reply_to)
        await self.world.notify(view.chat_id)
        return web.json_response({"message_id": message_id, "update_id": update_id})

    async def click(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if "data" in body or "callback_data" in body:
            # The page names a button by its place; data chosen by the caller is a forged button.
            raise DemoError(400, "Bouton refusé : la page n'envoie jamais le contenu d'un bouton.")
        view = self._view(body.get("view"))
        actor = self._actor(view)
        message = self._visible(view, body.get("message_id"))
        row, col = body.get("row"), body.get("col")
        rows = (message.reply_markup or {}).get("inline_keyboard", [])
        if not (isinstance(row, int) and isinstance(col, int) and 0 <= row < len(rows) and 0 <= col < len(rows[row])):
            raise DemoError(400, "Ce bouton n'existe pas (ou plus) sur ce message.")
        data = rows[row][col].get("callback_data")
        if not isinstance(data, str):
            raise DemoError(400, "Ce bouton est un lien : il s'ouvre dans un nouvel onglet.")
        if actor in self._clicking:
            raise DemoError(429, "Un bouton attend déjà la réponse du bot : patientez un instant.")
        if body.get("version") != self._version(message):
            # A second press of a burst lands on the next screen: never on a button the person has not seen.
            raise DemoError(409, "Ce message vient de changer : regardez-le, puis touchez à nouveau le bouton.")
        self._take_turn(actor)
        self._clicking.add(actor)
        try:
            try:
                _, query_id = self.world.user_clicks(actor, view.chat_id, message.message_id, data)
            except ApiError as exc:
                raise DemoError(400, "Ce message n'existe plus.") from exc
            await self.world.notify(view.chat_id)
            pressed_at = self.world.chat_seq.get(view.chat_id, 0)
            # As Telegram's spinner on a pressed button: until the bot answers, with its toast if it has one.
            deadline = time.monotonic() + CLICK_ANSWER_WAIT
            query = self.world.callbacks[query_id]
            while not query["answered"] and time.monotonic() < deadline:
                await self._changed(deadline - time.monotonic())
            # Then the screen it brings (an edit or a new message), unless the bot sent it before its answer:
            # the answer is one call in the chat, the screen another.
            if query["answered"] and self.world.chat_seq.get(view.chat_id, 0) < pressed_at + 2:
                await self.world.wait_chat(view.chat_id, pressed_at + 1, FOLLOW_UP_WAIT)
        finally:
            self._clicking.discard(actor)
        return web.json_response({"answered": query["answered"], "toast": query["text"]})

    # -- the application -------------------------------------------------------------------------

    def app(self, allowed_hosts: set[str] | None) -> web.Application:
        """`allowed_hosts`: the Host headers accepted (None: any, when the demo was told to listen beyond loopback)."""

        @web.middleware
        async def guard(request: web.Request,
                        handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
            # A page elsewhere on the web must not drive the demo through this machine's browser (DNS rebinding, CSRF).
            if allowed_hosts is not None and request.host not in allowed_hosts:
                return _error(421, "Adresse non reconnue : ouvrez la démonstration par l'adresse affichée au démarrage.")
            if request.method == "POST":
                origin = request.headers.get("Origin")
                if origin is not None and origin != f"http://{request.host}":
                    return _error(403, "Requête venue d'un autre site : refusée.")
                if request.content_type != "application/json":
                    return _error(415, "Requête illisible : du JSON est attendu.")
            try:
                return await handler(request)
            except DemoError as exc:
                return _error(exc.status, exc.message)
            except web.HTTPNotFound:
                return _error(404, "Page introuvable.")
            except web.HTTPMethodNotAllowed:
                return _error(405, "Méthode non permise.")

        async def headers(request: web.Request, response: web.StreamResponse) -> None:
            response.headers.update(FORM_HEADERS if request.path.startswith(FORM_PATHS) else SECURITY_HEADERS)

        async def index(request: web.Request) -> web.FileResponse:
            return web.FileResponse(STATIC / "index.html", headers={"Content-Type": "text/html; charset=utf-8",
                                                                    "Cache-Control": "no-store"})

        async def static(request: web.Request) -> web.FileResponse:
            name = request.match_info["name"]
            if name not in STATIC_FILES:
                raise DemoError(404, "Page introuvable.")
            return web.FileResponse(STATIC / name, headers={"Content-Type": f"{STATIC_FILES[name]}; charset=utf-8",
                                                            "Cache-Control": "no-store"})

        app = web.Application(client_max_size=MAX_BODY, middlewares=[guard])
        app.on_response_prepare.append(headers)
        app.router.add_get("/", index)
        app.router.add_get("/static/{name}", static)
        app.router.add_get("/api/setup", self.setup)
        app.router.add_get("/api/state", self.state)
        app.router.add_get("/api/files/{file_id}", self.file)
        app.router.add_post("/api/send", self.send)
        app.router.add_post("/api/click", self.click)
        if self.form is not None:
            app.router.add_get("/form", self.form_page)
            app.router.add_get("/form/static/{name}", self.form_pass)
            app.router.add_get("/form/health", self.form_pass)
            app.router.add_post("/form/api/{call:(open|submit)}", self.form_pass)
            app.router.add_get("/demo-telegram.js", self.telegram_stand_in)
        return app

    # -- the secure form, as Telegram's client shows it ---------------------------------------------------

    async def _backend(self, request: web.Request) -> tuple[int, str, bytes]:
        assert self.form is not None
        body = await request.read() if request.method == "POST" else None
        headers = {"Content-Type": request.content_type} if body is not None else {}
        try:
            async with aiohttp.ClientSession() as session, session.request(
                    request.method, self.form.url + request.path, data=body, headers=headers,
                    timeout=aiohttp.ClientTimeout(total=60)) as answer:
                return answer.status, answer.content_type, await answer.read()
        except (aiohttp.ClientError, TimeoutError):
            raise DemoError(502, "Le formulaire du bot ne répond pas.") from None

    async def form_pass(self, request: web.Request) -> web.Response:
        """The form's own files and calls, passed to the bot's server as they are."""
        status, content_type, body = await self._backend(request)
        return web.Response(status=status, body=body, content_type=content_type)

    async def form_page(self, request: web.Request) -> web.Response:
        """The form's page, Telegram's script replaced by the demo's stand-in for the person who opened it."""
        view = cast.BY_ID.get(request.query.get("demo_view", ""))
        status, content_type, body = await self._backend(request)
        page = body.decode("utf-8")
        if view is not None and view.actor_id == view.chat_id:  # a private chat: Mini Apps open there only
            page = page.replace(f'<script src="{TELEGRAM_JS}"></script>',
                                f'<script src="/demo-telegram.js?view={view.id}"></script>')
        return web.Response(status=status, text=page, content_type=content_type)

    async def telegram_stand_in(self, request: web.Request) -> web.Response:
        """What Telegram's telegram-web-app.js gives the page: initData signed for this person with the bot's token
        (the demo's token, so the bot checks it exactly as it checks Telegram's), the theme, and close()."""
        assert self.form is not None
        view = self._view(request.query.get("view"))
        if view.actor_id is None or view.actor_id != view.chat_id:
            raise DemoError(404, "Personne inconnue dans cette démonstration.")
        first_name = view.label.split(" ", 1)[0]
        signed = initdata.for_user(view.actor_id, first_name, self.form.bot_token, datetime.now(UTC))
        script = (STATIC / "telegram-stand-in.js").read_text(encoding="utf-8").replace(
            "__INIT_DATA__", json.dumps(signed))
        return web.Response(text=script, content_type="text/javascript")
