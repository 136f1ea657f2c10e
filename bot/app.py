"""The Application factory: handlers, dependencies, command menu, logging of each update."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from datetime import time
from typing import Any

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ContextTypes,
    ExtBot,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.api_calls import ReplyCalls
from bot.broadcaster import Broadcaster, Pace, PacedLimiter
from bot.mailer import Mailer
from bot.processor import PerUserProcessor
from bot.settings import Settings
from bot.staff_poster import StaffPoster
from bot.transport import AiohttpRequest
from bot.webform import WebForm
from bot.webhook import Webhook
from bot.webserver import WebServer
from conversations import budget, helpdesk, language, letters, menu, notices, parent, privacy, staff, texts
from conversations.common import DEPS_KEY, LATEST_KEY, Deps, MailConfig, PrivacyConfig, Schools, delete_secret
from conversations.form_button import FORM_KEY, FormLinks
from conversations.password_rules import PasswordRule
from conversations.when import quiet_end
from i18n import SOURCE, using
from storage import backup as backups
from storage import secrets
from storage.accounts import DirectoryUnavailable
from storage.db import Clock
from storage.notices import Figures, Notice
from storage.secrets import ArgonBusy
from storage.store import Store

log = logging.getLogger("entbot")

App = Application[Any, Any, Any, Any, Any, Any]
MAILER_KEY = "mailer"
STAFF_POSTER_KEY = "staff_poster"
BROADCASTER_KEY = "broadcaster"
WEBHOOK_KEY = "webhook"


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    # httpx logs every URL, and the Bot API's URL carries the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("aiohttp").setLevel(logging.WARNING)  # the Bot API's client now (bot/transport.py): the same
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # PTB's debug lines print whole updates, and so what parents type: never below INFO.
    logging.getLogger("telegram").setLevel(max(logging.getLevelName(level), logging.INFO))
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
    # ldap3's own lines (off unless asked) would carry search filters, so typed identifiers.
    logging.getLogger("ldap3").setLevel(logging.WARNING)


def _kind(update: Update) -> str:
    if update.callback_query is not None:
        # Only a known shape of prefix: the data is the sender's, and a newline in it would forge a log line.
        prefix = (update.callback_query.data or "").split(":", 1)[0]
        return f"button:{prefix}" if re.fullmatch(r"[a-z_0-9]{1,20}", prefix) else "button:?"
    message = update.effective_message
    if message is not None:
        if message.text is not None:
            return "command" if message.text.startswith("/") else "text"
        for kind in ("photo", "document", "sticker", "voice", "video", "contact", "location", "audio"):
            if getattr(message, kind, None):
                return kind
        return "message"
    return "other"


async def log_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user
    chat = update.effective_chat
    log.info("update %s user=%s chat=%s kind=%s", update.update_id, user.id if user else "-",
             chat.id if chat else "-", _kind(update))


async def _tell(update: object, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    """Says why an update was not handled, where it came from; the person may be unreachable (logged, not raised)."""
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(update.effective_chat.id, text)
        except TelegramError:
            log.warning("could not tell chat %s why update %s failed", update.effective_chat.id, update.update_id)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    error = context.error
    update_id = getattr(update, "update_id", "-")
    if isinstance(error, Forbidden):
        log.info("user has blocked the bot: %s", error)
        return
    if isinstance(error, ArgonBusy):  # refused before anything was saved: the same message again in a minute works
        log.warning("Argon2 queue full (ARGON2_MAX_WAITING), update %s refused", update_id)
        private = isinstance(update, Update) and update.effective_chat is not None \
            and update.effective_chat.type == "private"
        if private and isinstance(update, Update):
            # Its secrets could not be looked for (a message to the school): it does not stay in the chat either.
            await delete_secret(update, context)
        await _tell(update, context, texts.BUSY if private else texts.BUSY_GROUP)
        return
    if isinstance(error, DirectoryUnavailable):  # nothing was changed: the parent sends the same answer later
        log.warning("directory unavailable while handling update %s", update_id)
        await _tell(update, context, texts.DIRECTORY_DOWN)
        return
    log.error("error while handling update %s", update_id, exc_info=error)
    await _tell(update, context, texts.ERROR)


async def _warn_if_staff_group_open(app: App, chat_id: int | None) -> None:
    """Anyone in a staff group is staff: a group anyone can find or join must be said loudly at start."""
    if chat_id is None:
        return
    try:
        chat = await app.bot.get_chat(chat_id)
    except TelegramError as exc:
        log.warning("could not read the staff group %s to check who can join it: %s", chat_id, exc)
        return
    if chat.username:
        log.warning("the staff group %s is public (@%s): anyone can join it, and anyone in it is staff. "
                    "Make it private in Telegram.", chat_id, chat.username)
    if chat.invite_link:  # the link itself is not logged: it is the way in
        log.warning("the staff group %s has an invite link the bot can see: anyone who gets it joins the staff. "
                    "Revoke it in Telegram (group settings, invite links).", chat_id)


def _family_commands() -> list[BotCommand]:
    """The command menu in the language at hand (i18n.using)."""
    described = {**texts.commands(), "langue": texts.LANGUAGE_COMMAND, **texts.privacy_commands()}
    return [BotCommand(name, description) for name, description in described.items()]


async def _staff_command_menus(app: App, schools: Schools, commands: list[BotCommand]) -> None:
    """Staff see their commands in Telegram's menu; parents never do (the commands are checked anyway)."""
    staff_commands = commands + [BotCommand(name, text) for name, text in texts.STAFF_COMMANDS.items()]
    users = sorted({uid for school in schools.all for uid in school.staff.user_ids})
    groups = [school.staff.chat_id for school in schools.all if school.staff.chat_id is not None]
    for chat_id in [*users, *groups]:
        try:
            await app.bot.set_my_commands(staff_commands, scope=BotCommandScopeChat(chat_id))
        except TelegramError as exc:  # a staff member who never opened the bot: their menu stays plain
            log.info("no staff command menu for chat %s: %s", chat_id, exc)


def build_application(settings: Settings, clock: Clock | None = None, mail_timeout: float = 30.0,
                      webhook: bool = False) -> App:
    """`webhook`: updates come from Telegram's POSTs to the web server (bot/webhook.py), settings.webhook required."""
    schools = settings.schools
    store = Store(settings.database, clock, settings.ldap, legacy_uai=settings.legacy_uai, url=settings.database_url)
    contact = schools.first.contact_email
    mailer = Mailer(store, settings.smtp, timeout=mail_timeout) if settings.smtp else None
    mail = (MailConfig(school_address=contact,
                       domain=settings.smtp.mail_from.rpartition("@")[2]) if settings.smtp else None)

    async def post_init(app: App) -> None:
        await store.open()
        await broadcaster_of(app).bot.initialize()
        broadcaster_of(app).start()
        if poster is not None:
            poster.start()
        if mailer is None:
            log.warning("mail is off (no SMTP_HOST): tickets stay in Telegram, and no e-mail address is confirmed by code")
        else:
            mailer.start()
            log.info("mail on: %s:%s (%s), tickets to %s", mailer.smtp.host, mailer.smtp.port, mailer.smtp.security,
                     "each school's contact_email" if schools.several else contact)
        commands = _family_commands()
        await app.bot.set_my_commands(commands)
        for code in settings.languages:  # the menu of a parent whose Telegram is in that language
            if code != SOURCE:
                with using(code):
                    await app.bot.set_my_commands(_family_commands(), language_code=code)
        await _staff_command_menus(app, schools, commands)
        for school in schools.all:
            await _warn_if_staff_group_open(app, school.staff.chat_id)
        if server is not None:
            await server.start()
        if webform is not None:
            await webform.start()
        log.info("bot @%s ready, database %s", app.bot.username, store.db.where)

    async def post_shutdown(app: App) -> None:
        try:
            if webform is not None:
                await webform.stop()
            if server is not None:
                await server.stop()
            if poster is not None:
                await poster.stop()
            await broadcaster_of(app).stop()
            await broadcaster_of(app).bot.shutdown()
            if mailer is not None:
                await mailer.stop()
        finally:  # Telegram or the mail server gone while stopping: the database is closed all the same
            await store.close()

    secrets.configure(settings.argon2_threads, settings.argon2_max_waiting)
    calls = ReplyCalls(latest={})
    app = (
        ApplicationBuilder()
        .token(settings.require_token())
        .base_url(settings.api_url)
        .base_file_url(settings.api_url.replace("/bot", "/file/bot"))
        .concurrent_updates(PerUserProcessor(256))
        # aiohttp rather than httpx (bot/transport.py). 16 connections still carry ~150 calls/s at 100 ms a
        # call to Telegram; more open connections cost more per request to manage.
        .request(AiohttpRequest(connections=16, pool_timeout=30))
        .get_updates_request(AiohttpRequest(connections=1, read_timeout=settings.poll_timeout + 10))
        # Replies wait out a 429 and try again; no overall cap (Telegram has none for answers in private chats).
        # No group cap either: PTB's would count every call naming the staff group, the getChatMember of each
        # parent's staff check included, and make parents wait behind it. The staff group's worker paces the
        # posts themselves (bot/staff_poster.py).
        .rate_limiter(calls)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    worker = _broadcaster(app, store, settings, calls.latest)
    groups = [s.staff.chat_id for s in schools.all if s.staff.chat_id is not None]
    poster = StaffPoster(app.bot, store, schools) if groups else None
    app.bot_data[STAFF_POSTER_KEY] = poster
    app.bot_data[BROADCASTER_KEY] = worker
    app.bot_data[DEPS_KEY] = Deps(store=store, schools=schools, mail=mail,
                                  wake_mailer=mailer.wake if mailer else (lambda: None),
                                  wake_broadcaster=worker.published,
                                  wake_staff_poster=poster.wake if poster else (lambda: None),
                                  letter_validity_days=settings.letter_validity_days,
                                  privacy=PrivacyConfig(settings.retention, settings.school_postal_address,
                                                        settings.dpo_contact),
                                  password_rule=PasswordRule(settings.password_min_length,
                                                             settings.password_min_kinds),
                                  languages=settings.languages)
    app.bot_data[MAILER_KEY] = mailer
    # One web server in this process (WEB_LISTEN) for the secure form (WEBAPP_URL), Telegram's webhook, or both.
    hook_settings = settings.webhook if webhook else None
    if webhook and hook_settings is None:
        raise ValueError("webhook mode needs settings.webhook (WEBHOOK_URL, WEBHOOK_SECRET)")
    listen = settings.form or hook_settings  # both read WEB_LISTEN: the same address
    serves = " and ".join(name for name, on in (("secure form", settings.form), ("webhook", hook_settings)) if on)
    server = WebServer(listen.host, listen.port, serves) if listen is not None else None
    # The secure form: its routes on that server, its button on every secret step's prompt.
    webform = WebForm(app, settings.form, settings.require_token(), server) \
        if settings.form is not None and server is not None else None
    app.bot_data[WEBHOOK_KEY] = Webhook(app, hook_settings, server) \
        if hook_settings is not None and server is not None else None
    if settings.form is not None:
        app.bot_data[FORM_KEY] = FormLinks(settings.form.public_url)
    app.bot_data[LATEST_KEY] = calls.latest  # the dialogues read and complete what the calls noted
    # First of all: the language the texts of this update are read in (conversations/language.py).
    app.add_handler(TypeHandler(Update, language.apply), group=-20)
    app.add_handler(TypeHandler(Update, log_update), group=-10)
    # Before every dialogue: a staff member's notice, typed after /annonce, goes no further.
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE, notices.catch_typed),
                    group=-5)
    # Before the dialogues: one person's answers and passwords are checked at a bounded pace.
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & filters.TEXT,
                                   budget.guard), group=-1)
    # /langue and its buttons, before the dialogues: a choice mid-activation leaves the activation where it was.
    for handler in language.handlers():
        app.add_handler(handler, group=-3)
    # Staff tools come first: their commands and buttons never reach the parent's conversation.
    for handler in staff.handlers(parent.unknown_command, parent.stale_button, tuple(groups),
                                  {"lettre": letters.letter_command}, {"letter": letters.letter_button}):
        app.add_handler(handler)
    for handler in notices.handlers(parent.stale_button):  # subscribing, and a staff member's pick of a school
        app.add_handler(handler)
    for handler in menu.menu_handlers():
        app.add_handler(handler)
    for handler in privacy.handlers():
        app.add_handler(handler)
    app.add_handler(parent.conversation())
    for handler in parent.fallback_handlers():
        app.add_handler(handler)
    assert app.job_queue is not None
    app.job_queue.run_repeating(staff.sweep_secrets, interval=60, first=5, name="sweep_secrets")
    app.job_queue.run_repeating(helpdesk.repost_tickets, interval=60, first=10, name="repost_tickets")
    # Every table's retention (storage/privacy.py RULES), tickets' staff-group copies included.
    app.job_queue.run_daily(privacy.purge, time=time(3, 30, tzinfo=texts.PARIS), name="purge")

    async def nightly_backup(context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            copy = await asyncio.to_thread(backups.nightly, settings.database, settings.backups, settings.backup_keep,
                                           store.clock.now().astimezone(texts.PARIS))
        except (OSError, sqlite3.Error) as exc:
            log.error("nightly backup into %s failed: %s", settings.backups, exc)
            return
        log.info("nightly backup written: %s (the last %s kept)", copy, settings.backup_keep)

    if settings.database_url is None:  # PostgreSQL is backed up by its own tools (pg_dump), not by the bot
        app.job_queue.run_daily(nightly_backup, time=time(2, 30, tzinfo=texts.PARIS), name="nightly_backup")
    app.add_error_handler(on_error)
    return app


async def start_in_loop(app: App, poll_timeout: int = 1) -> None:
    """Starts the bot inside an event loop that is already running (tests, benchmarks), as run_polling does."""
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    assert app.updater is not None
    await app.updater.start_polling(timeout=poll_timeout, poll_interval=0.0)
    await app.start()


async def stop_in_loop(app: App) -> None:
    """The reverse of start_in_loop; safe on an application already stopped."""
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)


def _broadcaster(app: App, store: Store, settings: Settings, latest: dict[int, int]) -> Broadcaster:
    # A Bot of its own, without the replies' rate limiter: every message it sends or edits (the copies, the
    # author's live count, a scheduled notice's channel post) takes a slot of one pace, BROADCAST_RATE a second.
    pace = Pace(settings.broadcast_rate)
    sender: ExtBot[bool] = ExtBot(settings.require_token(), base_url=settings.api_url,
                                  request=AiohttpRequest(connections=settings.broadcast_rate + 4, pool_timeout=30),
                                  rate_limiter=PacedLimiter(pace, latest=latest))

    schools = settings.schools

    def quiet_hours(uai: str) -> tuple[time, time] | None:
        """A notice's school's quiet hours (its school gone from the settings: the first school's)."""
        return (schools.get(uai) or schools.first).quiet_hours

    async def progress(notice: Notice, figures: Figures, quiet: bool) -> None:
        hours = quiet_hours(notice.uai)
        until = quiet_end(store.clock.now(), hours).strftime("%H:%M") if quiet and hours else None
        await notices.show_progress(sender, store, notice, figures, until)

    async def scheduled(notice: Notice) -> None:
        school = schools.get(notice.uai)  # its own school's channel only
        await notices.publish_scheduled(sender, store, school.annonces_channel_id if school else None, notice)

    return Broadcaster(sender, pace, store, quiet_hours, progress, scheduled)


def broadcaster_of(app: App) -> Broadcaster:
    worker = app.bot_data[BROADCASTER_KEY]
    assert isinstance(worker, Broadcaster)
    return worker


def webhook_of(app: App) -> Webhook:
    hook = app.bot_data.get(WEBHOOK_KEY)
    assert isinstance(hook, Webhook), "the application was not built with webhook=True"
    return hook


def mailer_of(app: App) -> Mailer | None:
    mailer = app.bot_data.get(MAILER_KEY)
    assert mailer is None or isinstance(mailer, Mailer)
    return mailer


def store_of(app: App) -> Store:
    deps = app.bot_data[DEPS_KEY]
    assert isinstance(deps, Deps)
    return deps.store
