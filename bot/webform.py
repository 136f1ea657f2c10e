"""The secure form's web server, in the bot's process: its page, its two static files, and submissions fed to the dialogue.

A submission is trusted only with its page's link (single-use, bound to a chat and a step, stored hashed)
and Telegram's signed `initData` of that same person; its value then goes to the very step function a
typed message would reach, as a message of the person's own, under the person's turn of the update
processor (bot/processor.py): same checks, same locks, same Argon2 budget, never interleaved with a
message typed meanwhile. The step saves its progress before the page is answered.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from html import escape
from pathlib import Path
from typing import Any

from aiohttp import web
from telegram import Chat, Update, User

from bot import doctor, initdata
from bot.api_calls import FORM_REPLIES
from bot.form_policy import TELEGRAM_JS
from bot.form_settings import FormSettings
from bot.webserver import LANGUAGE, MAX_BODY, WebServer
from conversations import form, form_button, form_texts
from conversations.common import DEPS_KEY, Deps, FormMessage
from i18n import RIGHT_TO_LEFT, SOURCE, using
from storage.form_tokens import FormToken, looks_like_token

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("form_static")
STATIC_FILES = {"form.js": "text/javascript", "form.css": "text/css"}
SKEW = timedelta(seconds=60)  # clocks of Telegram and the school's server may differ a little
_update_ids = itertools.count(-1, -1)  # negative: never one of Telegram's


class Refused(Exception):
    """A request the form turns down: the page shows the text of `code` (form_texts.refused), in the family's
    language when the request says whose it is; nothing in the dialogue changed."""

    def __init__(self, code: str, status: int = 403, counted_on: int | None = None) -> None:
        super().__init__(code)
        self.code, self.status, self.counted_on = code, status, counted_on


@dataclass(frozen=True)
class Trusted:
    token: str
    row: FormToken
    who: initdata.InitData


class WebForm:
    """The form's routes on the bot's web server (bot/webserver.py); `app` is the running PTB Application the values
    are fed to."""

    def __init__(self, app: Any, settings: FormSettings, bot_token: str, server: WebServer) -> None:
        self.app = app
        self.settings = settings
        self._bot_token = bot_token
        self._probe: asyncio.Task[None] | None = None
        server.web.add_routes([web.get("/form", self.page), web.get("/form/static/{name}", self.static),
                               web.get("/form/health", self.health), web.post("/form/api/open", self.open),
                               web.post("/form/api/submit", self.submit)])

    @property
    def deps(self) -> Deps:
        found = self.app.bot_data[DEPS_KEY]
        assert isinstance(found, Deps)
        return found

    async def start(self) -> None:
        """Once the server listens: says the form's public address, and checks it reaches this process."""
        log.info("secure form: public address %s", self.settings.public_url)
        self._probe = asyncio.create_task(self._say_if_reachable())

    async def _say_if_reachable(self) -> None:
        """As `entbot doctor` would: the public address reaches this process (else the IT referent reads why)."""
        check = await doctor.check_form(self.settings)
        (log.info if check.ok else log.warning)("%s", check.line())

    async def stop(self) -> None:
        if self._probe is not None and not self._probe.done():
            self._probe.cancel()

    # -- what a browser gets ------------------------------------------------------------------------------

    async def page(self, request: web.Request) -> web.Response:
        """The page's frame, in the language of its link's family; its script asks for the step's fields once
        Telegram vouched for the person. An unknown link's page is French (its script's request may tell more)."""
        token = request.query.get("t", "")
        row = await self.deps.store.form_tokens.find(token) if looks_like_token(token) else None
        language = await self._language(row.telegram_user_id, row.language) if row is not None else SOURCE
        with using(language):
            html = render_page(language)
        return web.Response(text=html, content_type="text/html", charset="utf-8")

    async def static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in STATIC_FILES:
            raise web.HTTPNotFound()
        return web.Response(body=(STATIC / name).read_bytes(), content_type=STATIC_FILES[name], charset="utf-8")

    async def health(self, request: web.Request) -> web.Response:
        """What `entbot doctor` asks through the public address: the proxy reaches this process."""
        return web.Response(text="ok")

    # -- the two calls of the page's script -------------------------------------------------------------

    async def open(self, request: web.Request) -> web.Response:
        """The page of the link's step, for the person Telegram vouches for (a link spent by a refused value is
        renewed for its owner)."""
        try:
            body = await _body(request)
            trusted = await self._trust(request, body, renewing=True)
            token = trusted.token
            if trusted.row.spent:  # renewable (checked in _trust): a new link for the same step
                token = await self.deps.store.form_tokens.mint(trusted.row.telegram_user_id, trusted.row.chat_id,
                                                               trusted.row.step, self._validity(),
                                                               issued_at=trusted.row.created_at,
                                                               language=trusted.row.language)
            with using(request[LANGUAGE]):
                described = await form.page(self.deps, trusted.row.telegram_user_id, trusted.row.step)
            if described is None:
                raise Refused("other_step", 409)
        except Refused as refused:
            return await self._refuse(request, refused)
        return web.json_response({"ok": True, "token": token, "page": described.as_json()})

    async def submit(self, request: web.Request) -> web.Response:
        try:
            body = await _body(request)
            trusted = await self._trust(request, body, renewing=False)
            values = body.get("values")
            if not isinstance(values, dict) or not set(values) <= {"value", "confirm", "question"}:
                raise Refused("bad_request", 400)
            value, confirm = values.get("value"), values.get("confirm")
            limit = form.LIMITS.get(trusted.row.step, 128)
            for item in (value, confirm):
                if item is not None and not isinstance(item, str):
                    raise Refused("bad_request", 400)
                if isinstance(item, str) and len(item) > limit:
                    raise Refused("too_big", 400)
                if isinstance(item, str) and not _typable(item):
                    raise Refused("bad_request", 400)
            if not isinstance(value, str) or not value.strip():
                raise Refused("bad_request", 400)
            with using(request[LANGUAGE]):
                outcome = await self._feed(trusted, value, confirm, values.get("question"), request[LANGUAGE])
        except Refused as refused:
            return await self._refuse(request, refused)
        return web.json_response(outcome)

    # -- trust ---------------------------------------------------------------------------------------------

    def _validity(self) -> timedelta:
        links = self.app.bot_data.get(form_button.FORM_KEY)
        return links.validity if isinstance(links, form_button.FormLinks) else form_button.LINK_VALIDITY

    async def _language(self, telegram_user_id: int, fallback: str | None) -> str:
        """The language the family reads (its stored one: it may have changed it since the link was made), else the
        one its link was made in (that of the family's update), else French."""
        found = await form.family_language(self.deps, telegram_user_id) or fallback
        return found if found in self.deps.languages else SOURCE

    async def _trust(self, request: web.Request, body: dict[str, Any], renewing: bool) -> Trusted:
        """The link and the person, or Refused; each refusal with a known culprit counts as a failed attempt.

        Sets the request's LANGUAGE as soon as it knows whose request it is: the link's family, or the person
        Telegram vouches for when the link is not theirs (or no longer exists)."""
        request[LANGUAGE] = SOURCE
        token, raw = body.get("token"), body.get("init_data")
        if not isinstance(token, str) or not looks_like_token(token) or not isinstance(raw, str):
            raise Refused("bad_request", 400)
        store = self.deps.store
        row = await store.form_tokens.find(token)
        if row is not None:
            request[LANGUAGE] = await self._language(row.telegram_user_id, row.language)
        if not raw:
            raise Refused("not_signed", 401)
        try:
            who = initdata.verify(raw, self._bot_token)
        except initdata.InvalidInitData as exc:
            # Telegram signs the owner's pages: a signature that is not Telegram's says someone else holds the
            # link. Counting it on the owner would let that stranger lock the family out; it guesses nothing
            # (192 random bits, an HMAC). The link is withdrawn instead: the next prompt brings a new one.
            log.warning("secure form: initData refused (%s); the link of user %s is withdrawn", exc,
                        row.telegram_user_id if row else "-")
            if row is not None:
                await store.form_tokens.withdraw(token)
            raise Refused("not_signed", 401) from None
        if row is None or who.user_id != row.telegram_user_id:  # the reader is someone else than the link's family
            request[LANGUAGE] = await self._language(who.user_id, None)
        now = store.clock.now()
        if await store.attempts.locked_until(("user", str(who.user_id))) is not None:
            raise Refused("locked", 429)  # refused, and nothing counted: a lock is not made longer from here
        if row is None:  # reopening an older prompt's page is no attack; sending through it counts
            raise Refused("unknown", 410, None if renewing else who.user_id)
        if who.user_id != row.telegram_user_id or row.chat_id != who.user_id:
            log.warning("secure form: user %s sent a link of user %s", who.user_id, row.telegram_user_id)
            raise Refused("other_user", 403, who.user_id)
        if who.auth_date < row.created_at - SKEW or who.auth_date > now + SKEW:
            raise Refused("old_signature", 401, who.user_id)
        if row.expires_at <= now:
            raise Refused("expired", 410, None if renewing else who.user_id)
        if row.spent and not (renewing and row.renewable):
            raise Refused("spent", 409, None if renewing else who.user_id)
        if await form.current_step(store, who.user_id) != row.step:
            raise Refused("other_step", 409)
        return Trusted(token, row, who)

    async def _refuse(self, request: web.Request, refused: Refused) -> web.Response:
        if refused.counted_on is not None:
            uid = refused.counted_on
            # The same counter as wrong answers in the chat: five in a row lock this person (storage/attempts.py).
            lock = await self.deps.store.attempts.failure(("user", str(uid)), actor=f"telegram:{uid}", account_id=None,
                                                          event=f"form_{refused.code}")
            if lock is not None:
                log.warning("secure form: user %s locked after refused submissions", uid)
        log.info("secure form: refused (%s)", refused.code)
        with using(request.get(LANGUAGE, SOURCE)):
            message = form_texts.refused(refused.code)
        return web.json_response({"ok": False, "code": refused.code, "message": message}, status=refused.status)

    # -- the value, handed to the dialogue --------------------------------------------------------------

    def _update(self, trusted: Trusted, text: str, language: str) -> Update:
        """The value as a message of the person's own; its language is the family's (the bot answers in it)."""
        message = FormMessage(message_id=0, date=self.deps.store.clock.now(),
                              chat=Chat(id=trusted.row.chat_id, type=Chat.PRIVATE),
                              from_user=User(id=trusted.who.user_id, first_name=trusted.who.first_name or "-",
                                             is_bot=False, language_code=language),
                              text=text)
        message.set_bot(self.app.bot)
        return Update(update_id=next(_update_ids), message=message)

    async def _feed(self, trusted: Trusted, value: str, confirm: str | None, question: object,
                    language: str) -> dict[str, Any]:
        """Under the person's turn: spends the link, feeds the value (and the confirmation), says how the step took it."""
        store = self.deps.store
        step = trusted.row.step
        first = self._update(trusted, value, language)
        outcome: dict[str, Any] = {}
        replies: list[str] = []

        async def work() -> None:
            # Checked again in the person's turn: a message typed in the chat may have moved the dialogue.
            if await form.current_step(store, trusted.who.user_id) != step:
                raise Refused("other_step", 409)
            if not await store.form_tokens.spend(trusted.token):
                raise Refused("spent", 409, trusted.who.user_id)
            described = await form.page(self.deps, trusted.who.user_id, step)
            chosen = form.chosen_question(described, question) if described is not None else None
            if chosen is not None:  # another question picked in the page's list: saved as its button would
                await store.progress.update(trusted.who.user_id, **{form.QUESTION_COLUMN[step]: chosen})
            token = FORM_REPLIES.set(replies)
            try:
                await self.app.process_update(first)
                after = await form.current_step(store, trusted.who.user_id)
                if after == step:  # the step refused the value, in the chat's own words
                    await store.form_tokens.refused(trusted.token)
                    outcome.update(ok=False, code="step", retry=True,
                                   message="\n\n".join([form_texts.STEP_REFUSED, *map(form.plain, replies)]))
                    return
                if confirm is not None and after == form.CONFIRMED_BY.get(step):
                    await self.app.process_update(self._update(trusted, confirm, language))
            finally:
                FORM_REPLIES.reset(token)
            outcome.update(ok=True, message=form_texts.DONE)

        failure: list[Refused] = []

        async def guarded() -> None:
            try:
                await work()
            except Refused as refused:
                failure.append(refused)

        await self.app.update_processor.process_update(first, guarded())
        if failure:
            raise failure[0]
        if not outcome:  # dropped by the processor (a flood of this person's updates): nothing was done
            raise Refused("busy", 503)
        log.info("secure form: step %s of user %s %s", step, trusted.who.user_id,
                 "went through" if outcome["ok"] else "refused the value")
        return outcome


def _typable(text: str) -> bool:
    """What a phone's keyboard can send, as Telegram would deliver it in the chat: valid UTF-8 (JSON lets a lone
    surrogate through, which no secret holds), no control character but a tab or a newline."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return all(ch in "\t\n" or unicodedata.category(ch) != "Cc" for ch in text)


async def _body(request: web.Request) -> dict[str, Any]:
    """The JSON object of a POST, within the size and type the form allows; Refused otherwise."""
    if request.content_type != "application/json":
        raise Refused("bad_request", 415)
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise Refused("too_big", 413)
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise Refused("too_big", 413) from None
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: "[[[[…" a few thousand deep
        raise Refused("bad_request", 400) from None
    if not isinstance(body, dict):
        raise Refused("bad_request", 400)
    return body


def render_page(language: str = SOURCE) -> str:
    """The page's HTML in the language at hand (`language` names it: the page's lang and direction): its words set
    here (escaped), its behaviour in form.js; no inline script or style."""
    t = {name: escape(getattr(form_texts, name)) for name in ("PAGE_TITLE", "LOADING", "NO_SCRIPT", "FOOTER")}
    data = escape(json.dumps({"outside": form_texts.OUTSIDE_TELEGRAM, "submit": form_texts.SUBMIT,
                              "sending": form_texts.SENDING, "show": form_texts.SHOW, "hide": form_texts.HIDE,
                              "network": form_texts.NETWORK, "question": form_texts.QUESTION_LABEL,
                              "done": form_texts.DONE}, ensure_ascii=False))
    direction = "rtl" if language in RIGHT_TO_LEFT else "ltr"
    return f"""<!doctype html>
<html lang="{escape(language)}" dir="{direction}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{t["PAGE_TITLE"]}</title>
<link rel="stylesheet" href="/form/static/form.css">
<script src="{TELEGRAM_JS}"></script>
<script src="/form/static/form.js" defer></script>
</head>
<body data-texts="{data}">
<main>
<h1 id="title">{t["PAGE_TITLE"]}</h1>
<p id="status" role="status" dir="auto">{t["LOADING"]}</p>
<noscript><p class="error">{t["NO_SCRIPT"]}</p></noscript>
<form id="form" hidden novalidate></form>
<p class="footer">{t["FOOTER"]}</p>
</main>
</body>
</html>
"""
