"""`entbot doctor`: every thing a deployment needs, checked once, as a checklist the IT referent can act on."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
import aiosmtplib
import httpx
from telegram import Bot, ChatFullInfo
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import InvalidToken, TelegramError

from bot.form_settings import FormSettings
from bot.settings import Settings
from bot.transport import AiohttpRequest
from bot.webhook_settings import DOCTOR_WEBHOOK, doctor_webhook_failing, doctor_webhook_ok, doctor_webhook_other
from conversations import form_texts
from conversations import texts as t
from storage.db import migrations
from storage.ldap_directory import DirectoryProblem
from storage.ldap_directory import check_directory as ldap_check

CLOCK_TOLERANCE = 60  # seconds between this server's clock and Telegram's before codes and schedules go wrong
TIMEOUT = 15.0
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@dataclass(frozen=True)
class Check:
    """One line of the checklist: passed (True), failed (False) or not configured (None), and what to do."""

    name: str
    ok: bool | None
    detail: str

    def line(self) -> str:
        mark = {True: "✓", False: "✗", None: "–"}[self.ok]
        return f"{mark} {self.name} : {self.detail}"




def printable(text: str) -> str:
    """A name typed by someone on Telegram (a group's title, a user's name), safe to print on a terminal or log."""
    return "".join(c if c.isprintable() else "?" for c in text)


def _title(chat: ChatFullInfo) -> str:
    return printable(chat.title or str(chat.id))


def passed(checks: list[Check]) -> bool:
    return all(c.ok is not False for c in checks)


# -- the database ------------------------------------------------------------------------------------


def database_facts(path: Path) -> tuple[int, int]:
    """(schema version of the file, schema version of the code); opens the file read-only, never creates it."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    finally:
        conn.close()
    known = migrations()
    return int(row[0] or 0), known[-1][0] if known else 0


def check_postgresql(url: str) -> Check:
    """ENTBOT_DATABASE=postgresql://…: the server answers, and its schema is the code's."""
    from storage.postgres import Unreachable, facts, shown

    where = shown(url)
    try:
        version, size = facts(url)
    except Unreachable as exc:
        return Check(t.DOCTOR_DATABASE, False, t.doctor_postgresql_unreachable(where, str(exc)))
    known = migrations()
    latest = known[-1][0] if known else 0
    if version != latest:
        return Check(t.DOCTOR_DATABASE, False, t.doctor_database_schema(where, version, latest))
    return Check(t.DOCTOR_DATABASE, True, t.doctor_postgresql_ok(where, version, size))


def check_database(path: Path, url: str | None = None) -> Check:
    if url is not None:
        return check_postgresql(url)
    where = path.resolve()
    if not path.is_file():
        return Check(t.DOCTOR_DATABASE, False, t.doctor_no_database(str(where)))
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        return Check(t.DOCTOR_DATABASE, False, t.doctor_database_read_only(str(where)))
    try:
        version, latest = database_facts(path)
    except sqlite3.Error as exc:
        return Check(t.DOCTOR_DATABASE, False, t.doctor_database_unreadable(str(where), str(exc)))
    if version != latest:
        return Check(t.DOCTOR_DATABASE, False, t.doctor_database_schema(str(where), version, latest))
    size = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    return Check(t.DOCTOR_DATABASE, True, t.doctor_database_ok(str(where), version, size))


def check_school_data(path: Path, uais: tuple[str, ...], url: str | None = None) -> Check | None:
    """A line only when the database holds accounts of a UAI the configuration does not list: no school's staff
    reach them (a single school later described in SCHOOLS_FILE under another UAI, say). Read-only."""
    count = "SELECT uai, COUNT(*) FROM account_schools GROUP BY uai"
    if url is not None:
        from storage.postgres import Unreachable, read_only

        try:
            rows = read_only(url, count)
        except Unreachable:  # check_database says so
            return None
    else:
        if not path.is_file():
            return None
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = conn.execute(count).fetchall()
        except sqlite3.Error:  # a database from before many schools: its rows get the school at the next start
            return None
        finally:
            conn.close()
    strays = {str(uai): int(n) for uai, n in rows if uai and uai not in uais}
    if not strays:
        return None
    return Check(t.DOCTOR_SCHOOL_DATA, False, t.doctor_stray_schools(sorted(strays.items()), uais[0]))


# -- Telegram ---------------------------------------------------------------------------------------


async def _check_token(bot: Bot, settings: Settings) -> Check:
    try:
        me = await bot.get_me()
    except InvalidToken:
        return Check(t.DOCTOR_TOKEN, False, t.DOCTOR_TOKEN_REFUSED)
    except TelegramError as exc:
        return Check(t.DOCTOR_TOKEN, False, t.doctor_telegram_unreachable(settings.api_url, str(exc)))
    return Check(t.DOCTOR_TOKEN, True, t.doctor_token_ok(me.username or str(me.id)))


async def _bot_status(bot: Bot, chat_id: int) -> tuple[ChatFullInfo, str, object]:
    chat = await bot.get_chat(chat_id)
    member = await bot.get_chat_member(chat_id, bot.id)
    return chat, member.status, member


async def _check_staff_group(bot: Bot, chat_id: int | None) -> Check:
    if chat_id is None:
        return Check(t.DOCTOR_STAFF, False, t.DOCTOR_STAFF_UNSET)
    try:
        chat, status, member = await _bot_status(bot, chat_id)
    except TelegramError as exc:
        return Check(t.DOCTOR_STAFF, False, t.doctor_chat_unreachable(chat_id, str(exc)))
    if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return Check(t.DOCTOR_STAFF, False, t.doctor_staff_not_group(chat_id))
    if status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
        return Check(t.DOCTOR_STAFF, False, t.doctor_not_member(_title(chat)))
    can_post = (status in (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)
                or (status == ChatMemberStatus.MEMBER
                    and (chat.permissions is None or chat.permissions.can_send_messages is not False))
                or (status == ChatMemberStatus.RESTRICTED and bool(getattr(member, "can_send_messages", False))))
    if not can_post:
        return Check(t.DOCTOR_STAFF, False, t.doctor_staff_cannot_post(_title(chat)))
    # A public group, or a link the bot can see, lets strangers in: and its members are staff.
    if chat.username:
        return Check(t.DOCTOR_STAFF, False, t.doctor_staff_public(_title(chat), chat.username))
    if chat.invite_link:
        return Check(t.DOCTOR_STAFF, False, t.doctor_staff_link(_title(chat)))
    return Check(t.DOCTOR_STAFF, True, t.doctor_staff_ok(_title(chat), chat_id))


async def _check_channel(bot: Bot, chat_id: int | None) -> Check:
    if chat_id is None:
        return Check(t.DOCTOR_CHANNEL, None, t.DOCTOR_CHANNEL_UNSET)
    try:
        chat, status, member = await _bot_status(bot, chat_id)
    except TelegramError as exc:
        return Check(t.DOCTOR_CHANNEL, False, t.doctor_chat_unreachable(chat_id, str(exc)))
    if chat.type != ChatType.CHANNEL:
        return Check(t.DOCTOR_CHANNEL, False, t.doctor_channel_not_channel(chat_id))
    allowed = status == ChatMemberStatus.OWNER or (
        status == ChatMemberStatus.ADMINISTRATOR and bool(getattr(member, "can_post_messages", False)))
    if not allowed:
        return Check(t.DOCTOR_CHANNEL, False, t.doctor_channel_not_admin(_title(chat)))
    return Check(t.DOCTOR_CHANNEL, True, t.doctor_channel_ok(_title(chat), chat_id))


async def _check_clock(settings: Settings) -> Check:
    try:
        paris = ZoneInfo("Europe/Paris")
    except ZoneInfoNotFoundError:
        return Check(t.DOCTOR_CLOCK, False, t.DOCTOR_NO_ZONE)
    now = datetime.now(UTC)
    # Telegram's answer carries its own time (the HTTP Date header): a drifting server clock shows here.
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            response = await client.get(f"{settings.api_url}{settings.token}/getMe")
        told = parsedate_to_datetime(response.headers["date"])
    except (httpx.HTTPError, KeyError, TypeError, ValueError):
        return Check(t.DOCTOR_CLOCK, False, t.DOCTOR_CLOCK_UNKNOWN)
    drift = (now - told).total_seconds()
    shown = now.astimezone(paris).strftime("%d/%m/%Y %H:%M")
    if abs(drift) > CLOCK_TOLERANCE:
        return Check(t.DOCTOR_CLOCK, False, t.doctor_clock_drift(shown, round(drift)))
    return Check(t.DOCTOR_CLOCK, True, t.doctor_clock_ok(shown, round(drift)))


def school_chats(settings: Settings) -> list[tuple[str, int | None, int | None]]:
    """(name shown beside a check, staff group, channel) for each school: the bare names with one school."""
    if not settings.school_list:
        return [("", settings.staff_chat_id, settings.annonces_channel_id)]
    return [(f" — {s.uai} {s.name}", s.staff.chat_id, s.annonces_channel_id) for s in settings.school_list]


async def check_school_chats(bot: Bot, settings: Settings) -> list[Check]:
    """Each school's staff group and channel, as Telegram sees them."""
    checks: list[Check] = []
    for label, staff_chat, channel in school_chats(settings):
        staff, announcements = await _check_staff_group(bot, staff_chat), await _check_channel(bot, channel)
        checks += [replace(staff, name=staff.name + label), replace(announcements, name=announcements.name + label)]
    return checks


def _not_yet(settings: Settings) -> list[Check]:
    return [Check(name + label, None, t.DOCTOR_AFTER_TOKEN)
            for label, _, _ in school_chats(settings) for name in (t.DOCTOR_STAFF, t.DOCTOR_CHANNEL)]


async def check_telegram(settings: Settings) -> list[Check]:
    """The token, each school's staff group and channel, and the clock: what Telegram says of them."""
    if not settings.token:
        return [Check(t.DOCTOR_TOKEN, False, t.DOCTOR_TOKEN_MISSING), *_not_yet(settings), await _check_clock(settings)]
    request = AiohttpRequest(connections=1, connect_timeout=TIMEOUT, read_timeout=TIMEOUT)  # the bot's own client
    bot = Bot(settings.token, base_url=settings.api_url, request=request)
    try:
        token = await _check_token(bot, settings)
        if not token.ok:
            return [token, *_not_yet(settings), await _check_clock(settings)]
        return [token, *await check_school_chats(bot, settings), await _check_clock(settings)]
    finally:
        await request.shutdown()  # its connections closed, the token refused or not


async def check_schools(settings: Settings) -> list[Check]:
    """`entbot schools check`: the file (already read whole by the settings), the data of schools it does not list,
    then, with a token, each school's staff group and channel (the Telegram part of doctor, without its clock)."""
    listed = ", ".join(f"{s.uai} {s.name}" for s in settings.school_list)
    checks = [Check(t.SCHOOLS_FILE_CHECK, True, t.schools_file_ok(str(settings.schools_file), len(settings.school_list),
                                                                  listed))]
    if (strays := await asyncio.to_thread(check_school_data, settings.database, settings.school_uais,
                                          settings.database_url)) is not None:
        checks.append(strays)
    if not settings.token:
        return [*checks, Check(t.DOCTOR_TOKEN, None, t.SCHOOLS_NO_TOKEN)]
    return [*checks, *(await check_telegram(settings))[:-1]]


# -- mail and directory ------------------------------------------------------------------------------


async def check_mail(settings: Settings, test_address: str | None = None) -> Check:
    smtp = settings.smtp
    if smtp is None:
        if test_address:
            return Check(t.DOCTOR_MAIL, False, t.DOCTOR_MAIL_TEST_OFF)
        return Check(t.DOCTOR_MAIL, None, t.DOCTOR_MAIL_OFF)
    if smtp.security == "none" and smtp.username and smtp.host not in LOOPBACK:
        # The password would cross the network in clear at every login: refused before any connection.
        return Check(t.DOCTOR_MAIL, False, t.doctor_mail_clear(f"{smtp.host}:{smtp.port}"))
    client = aiosmtplib.SMTP(hostname=smtp.host, port=smtp.port, timeout=TIMEOUT, use_tls=smtp.security == "tls",
                             start_tls=smtp.security == "starttls")
    where = f"{smtp.host}:{smtp.port} ({smtp.security})"
    try:
        await client.connect()
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        return Check(t.DOCTOR_MAIL, False, t.doctor_mail_connect(where, str(exc)))
    try:
        if smtp.username:
            try:
                await client.login(smtp.username, smtp.password or "")
            except aiosmtplib.SMTPException:
                return Check(t.DOCTOR_MAIL, False, t.doctor_mail_login(where, smtp.username))
        if test_address:
            message = EmailMessage()
            message["From"] = smtp.mail_from
            message["To"] = test_address
            message["Subject"] = t.DOCTOR_MAIL_TEST_SUBJECT
            message.set_content(t.DOCTOR_MAIL_TEST_BODY)
            try:
                await client.send_message(message)
            except aiosmtplib.SMTPException as exc:
                return Check(t.DOCTOR_MAIL, False, t.doctor_mail_refused(where, str(exc)))
            return Check(t.DOCTOR_MAIL, True, t.doctor_mail_sent(where, test_address))
        return Check(t.DOCTOR_MAIL, True, t.doctor_mail_ok(where, bool(smtp.username)))
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        return Check(t.DOCTOR_MAIL, False, t.doctor_mail_connect(where, str(exc)))
    finally:
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            client.close()


async def check_directory(settings: Settings) -> Check | None:
    """None when the accounts live in SQLite: nothing to check. Otherwise what `entbot directory check` says."""
    if settings.ldap is None:
        return None
    try:
        figures = await ldap_check(settings.ldap)
    except DirectoryProblem as exc:
        return Check(t.DOCTOR_DIRECTORY, False, f"{settings.ldap.url} : {exc}")
    return Check(t.DOCTOR_DIRECTORY, True, t.doctor_directory_ok(settings.ldap.url, sum(figures.values())))


async def check_form(form: FormSettings | None) -> Check:
    """The secure form's public address answers, through the school's proxy, from the running bot."""
    if form is None:
        return Check(form_texts.DOCTOR_FORM, None, form_texts.DOCTOR_FORM_OFF)
    url = form.public_url
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as session, \
                session.get(f"{url}/form/health", allow_redirects=False) as response:
            body = await response.text()
            if response.status != 200 or body != "ok":
                return Check(form_texts.DOCTOR_FORM, False, form_texts.doctor_form_down(url, f"HTTP {response.status}"))
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        return Check(form_texts.DOCTOR_FORM, False, form_texts.doctor_form_down(url, type(exc).__name__))
    return Check(form_texts.DOCTOR_FORM, True, form_texts.doctor_form_ok(url))


async def check_webhook(settings: Settings) -> Check | None:
    """With WEBHOOK_URL: where Telegram sends the updates, and whether it manages to (getWebhookInfo)."""
    if settings.webhook is None or not settings.token:
        return None
    request = AiohttpRequest(connections=1, connect_timeout=TIMEOUT, read_timeout=TIMEOUT)
    try:
        info = await Bot(settings.token, base_url=settings.api_url, request=request).get_webhook_info()
    except TelegramError as exc:
        return Check(DOCTOR_WEBHOOK, False, t.doctor_telegram_unreachable(settings.api_url, exc.message))
    finally:
        await request.shutdown()
    url = settings.webhook.url
    if info.url != url:  # not started with --webhook yet (or another address): it is set at `entbot run --webhook`
        return Check(DOCTOR_WEBHOOK, None, doctor_webhook_other(url, info.url or None))
    if info.last_error_message and info.pending_update_count:
        when = info.last_error_date.astimezone(t.PARIS).strftime("%d/%m %H:%M") if info.last_error_date else "?"
        return Check(DOCTOR_WEBHOOK, False, doctor_webhook_failing(settings.webhook, info.pending_update_count, when,
                                                                   printable(info.last_error_message)))
    return Check(DOCTOR_WEBHOOK, True, doctor_webhook_ok(url, info.pending_update_count))


# -- all of it ---------------------------------------------------------------------------------------


async def run_checks(settings: Settings, mail_test: str | None = None, form: bool = True) -> list[Check]:
    """Every check; `form=False` at `entbot run`'s start, before the form's server listens (it checks itself then)."""
    telegram, mail, directory = await asyncio.gather(check_telegram(settings), check_mail(settings, mail_test),
                                                     check_directory(settings))
    strays = await asyncio.to_thread(check_school_data, settings.database, settings.school_uais, settings.database_url)
    checks = [telegram[0], await asyncio.to_thread(check_database, settings.database, settings.database_url),
              *([strays] if strays else []),
              *telegram[1:-1]]
    checks += [mail, *([directory] if directory else []), *([await check_form(settings.form)] if form else []), telegram[-1]]
    if (hook := await check_webhook(settings)) is not None:
        checks.insert(-1, hook)
    return checks
