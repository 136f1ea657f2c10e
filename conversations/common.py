"""What every dialogue shares: its dependencies, and safe ways to show, edit and delete messages."""

from __future__ import annotations

import asyncio
import logging
import re
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, TypeVar, cast

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import BaseHandler, ContextTypes

from conversations import texts
from conversations.password_rules import DEFAULT_RULE, PasswordRule
from i18n import SHIPPED
from render.documents import Cgu, Service, guide_cgu, shipped_services
from storage.accounts import IDENTIFIER_MAX, Account, is_identifier
from storage.deletions import DELETABLE_FOR
from storage.privacy import Retention
from storage.progress import Dialogue
from storage.schools import DEFAULT_UAI
from storage.secrets import looks_provisional
from storage.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")

Keyboard = InlineKeyboardMarkup | None


@dataclass(frozen=True)
class StaffConfig:
    """Who is staff: these Telegram users, and the members of the staff group."""

    user_ids: frozenset[int] = frozenset()
    chat_id: int | None = None


@dataclass(frozen=True)
class School:
    """One school of the deployment: who it is, where families write, its staff, its channel."""

    name: str
    contact_email: str
    ent_url: str
    cgu: Cgu = field(default_factory=lambda: guide_cgu(texts.CGU_GUIDE_EXCERPT))
    cgu_url: str | None = None  # CGU_URL: the ENT's full terms of use
    services: tuple[Service, ...] = field(default_factory=shipped_services)
    uai: str = DEFAULT_UAI
    staff: StaffConfig = StaffConfig()
    annonces_channel_id: int | None = None
    quiet_hours: tuple[time, time] | None = None
    postal_address: str | None = None


@dataclass(frozen=True)
class Schools:
    """The deployment's schools, in the order of their configuration (one for a single-school install)."""

    all: tuple[School, ...]

    def __post_init__(self) -> None:
        assert self.all, "a deployment has one school at least"

    @property
    def several(self) -> bool:
        return len(self.all) > 1

    @property
    def first(self) -> School:
        return self.all[0]

    def get(self, uai: str) -> School | None:
        return next((s for s in self.all if s.uai == uai), None)

    def of(self, uais: Sequence[str]) -> tuple[School, ...]:
        """The configured schools among these UAIs (an account's, say), in the configuration's order."""
        return tuple(s for s in self.all if s.uai in uais)

    def of_account(self, account: Account) -> tuple[School, ...]:
        """The schools an account belongs to. With one school, every account is that school's (its directory's
        entries are not asked for their school); with several, the configured ones among the account's UAIs."""
        return self.of(account.schools) if self.several else (self.first,)

    def owning(self, uai: str) -> School | None:
        """The school a row marked `uai` (a ticket, say) belongs to. With one school, every row is its (as
        of_account: a SCHOOL_UAI changed since leaves no row orphaned); with several, the configured one or None."""
        return self.get(uai) if self.several else self.first

    def of_staff_chat(self, chat_id: int) -> School | None:
        """The school whose staff group this chat is."""
        return next((s for s in self.all if s.staff.chat_id == chat_id), None)

    def listing(self, user_id: int) -> tuple[School, ...]:
        """The schools whose settings name this Telegram user as staff (STAFF_USER_IDS, `staff_user_ids`)."""
        return tuple(s for s in self.all if user_id in s.staff.user_ids)


@dataclass(frozen=True)
class MailConfig:
    """Mail is on: where tickets go, and the domain of the sender's address (for Message-IDs)."""

    school_address: str
    domain: str


@dataclass(frozen=True)
class PrivacyConfig:
    """What the privacy notice is made of besides the school: the retention settings, the controller's details."""

    retention: Retention = field(default_factory=Retention)
    postal_address: str | None = None
    dpo: str | None = None


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class Deps:
    store: Store
    schools: Schools
    mail: MailConfig | None = None  # None: mail is off, tickets stay in Telegram
    wake_mailer: Callable[[], None] = _nothing  # tells the mail worker something was queued
    wake_broadcaster: Callable[[], None] = _nothing  # tells the delivery worker a notice went out
    wake_staff_poster: Callable[[], None] = _nothing  # tells the staff group's worker a post was queued
    letter_validity_days: int = 90  # how long a letter's link works
    privacy: PrivacyConfig = PrivacyConfig()
    password_rule: PasswordRule = DEFAULT_RULE
    languages: tuple[str, ...] = SHIPPED  # the families' languages offered (LANGUAGES), French first


# Argon2 checks and hashes one person may cause in a rolling minute, whatever asks for them: a step of the
# activation, of a forgotten password or of a login test takes one; the help desk's secret filter takes one
# per check it makes. The whole activation takes five; a quick typist retrying refused passwords and then
# testing the login stays below. Argon2id (19 MiB, t=2) at this pace is about a second of one core per
# person and minute.
HASHES_PER_MINUTE = 20
HASH_WINDOW = timedelta(minutes=1)
BUDGET_KEY = "hash_budget"


class HashBudget:
    """The moments of each person's recent Argon2 work, forgotten after a minute."""

    def __init__(self, per_window: int = HASHES_PER_MINUTE) -> None:
        self.per_window = per_window
        self._spent: dict[int, deque[datetime]] = {}

    def spend(self, user_id: int, now: datetime, count: int = 1) -> bool:
        """Takes `count` from the person's budget, all or nothing; False (nothing taken) when it cannot."""
        if len(self._spent) > 10_000:  # people who stopped typing long ago
            self._spent = {u: d for u, d in self._spent.items() if d and now - d[-1] < HASH_WINDOW}
        moments = self._spent.setdefault(user_id, deque())
        while moments and now - moments[0] >= HASH_WINDOW:
            moments.popleft()
        if len(moments) + count > self.per_window:
            return False
        moments.extend([now] * count)
        return True


def hash_budget(context: ContextTypes.DEFAULT_TYPE) -> HashBudget:
    """The one budget of the process, shared by the steps' guard and the help desk's filter."""
    budget = context.bot_data.setdefault(BUDGET_KEY, HashBudget())
    assert isinstance(budget, HashBudget)
    return budget


DEPS_KEY = "deps"


async def family_schools(context: ContextTypes.DEFAULT_TYPE, uid: int, account: Account | None = None) -> tuple[School, ...]:
    """The schools of this family: with one school, that one; with several, those of `account`, else of the account
    the user activated, else of the one their activation proved; none while the family is not known."""
    d = deps(context)
    if not d.schools.several:
        return (d.schools.first,)
    if account is None:
        account = await d.store.accounts.by_telegram_user(uid)
    if account is None:
        progress = await d.store.progress.get(uid)
        if progress is not None and progress.account_id is not None:  # set once the provisional password is proven
            account = await d.store.accounts.get(progress.account_id)
    return d.schools.of_account(account) if account is not None else ()


def contact_of(schools: Sequence[School]) -> str | None:
    """What a family is told to write to (texts.school_contacts)."""
    return texts.school_contacts([(s.name, s.contact_email) for s in schools])


def deps(context: ContextTypes.DEFAULT_TYPE) -> Deps:
    value = context.bot_data[DEPS_KEY]
    assert isinstance(value, Deps)
    return value


NOT_HANDLED = object()


class FormMessage(Message):
    """A value typed in the secure form (bot/webform.py), handed to the dialogue as if typed in the chat.

    It never was in the chat: there is nothing to delete, and the prompt above may be replaced in place.
    """

    __slots__ = ()


_DIALOGUE_KEY = "entbot_dialogue"  # on the update's CallbackContext (one per update, shared by every group)
_DELETED_KEY = "entbot_deleted"


async def dialogue(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Dialogue:
    """The person's saved dialogue, read once per update: the guards before the conversation and the step share it.

    Only what runs before the update writes anything may use it: the step takes it back (`take_dialogue`).
    """
    memo = vars(context)
    found = memo.get(_DIALOGUE_KEY)
    if isinstance(found, Dialogue):
        return found
    loaded = await deps(context).store.progress.dialogue(user_id(update))
    memo[_DIALOGUE_KEY] = loaded
    return loaded


async def take_dialogue(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Dialogue:
    """The dialogue as read for this update, after which the next reader goes to SQLite again (the step writes)."""
    found = await dialogue(update, context)
    vars(context).pop(_DIALOGUE_KEY, None)
    return found


async def hand_over(handlers: Sequence[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, object]], update: Update,
                    context: ContextTypes.DEFAULT_TYPE) -> object:
    """Gives the update to the first of `handlers` that takes it, as a conversation would; NOT_HANDLED if none.

    After a restart PTB remembers no conversation: the state saved in SQLite says which handlers apply.
    """
    for handler in handlers:
        check = handler.check_update(update)
        if check is not None and check is not False:
            return await handler.handle_update(update, cast(Any, context.application), check, context)
    return NOT_HANDLED


async def refused_text(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, limit: int) -> bool:
    """True, and the person told why, when a typed text is too long or only spaces; the step stays as it was."""
    if len(text) > limit:
        await send(update, context, texts.TOO_LONG.format(length=len(text), limit=limit))
        return True
    if not text.strip():
        await send(update, context, texts.ONLY_SPACES)
        return True
    return False


def looks_like_a_password(word: str) -> bool:
    """Whether a word typed as an identifier has a password's shape rather than an identifier's.

    The shape of a provisional password the bot makes (`Kp7m-X4tz-R9`), or a capital right after a small letter
    or a digit (`MaCle42`, `mot2Passe`) with small letters and digits, as the ENT's password rule asks and
    identifiers never need: identifiers compare without regard to case, so a family can always type theirs in
    small letters. Capitals opening a name (`Jean.Dupont12`, `JDupont12`: phones capitalise, people write
    names so) are an identifier's. Decided from the word alone, so that the answer says nothing of which
    identifiers exist.
    """
    word = word.strip()
    inner_capital = any(word[i].isupper() and (word[i - 1].islower() or word[i - 1].isdigit())
                        for i in range(1, len(word)))
    return looks_provisional(word) or (inner_capital and any(ch.islower() for ch in word)
                                       and any(ch.isdigit() for ch in word))


async def kept_identifier(context: ContextTypes.DEFAULT_TYPE, typed: str) -> tuple[str, Account | None]:
    """What is kept of a typed identifier, and its account: the account's own login when it names one; else a
    keyed digest (storage.accounts.unknown_identifier), since a word that names no account may be a password
    typed in the wrong box. The message itself is deleted by the step in every case, so that nothing the
    person sees tells whether the identifier exists."""
    store = deps(context).store
    account = await store.accounts.find(typed.strip())
    return (account.identifier if account is not None else store.unknown_identifier(typed)), account


async def refused_identifier(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> bool:
    """True, the message deleted like a secret and the person told what an identifier is, when `text` cannot be one.

    A line such as "jean.dupont12 Prov-2026a" holds the password too, and a lone word shaped like a password
    most likely is one typed in the wrong box: neither is ever echoed, kept, nor sent to the school.
    """
    if not is_identifier(text):
        await delete_secret(update, context)
        await send(update, context, texts.NOT_AN_IDENTIFIER.format(limit=IDENTIFIER_MAX))
        return True
    if looks_like_a_password(text):
        await delete_secret(update, context)
        await send(update, context, texts.IDENTIFIER_LOOKS_LIKE_A_PASSWORD)
        return True
    return False


def write_to_school() -> list[tuple[str, str]]:
    """The help desk's button, offered wherever a parent may be stuck."""
    return [(texts.MENU_WRITE, "helpdesk:write")]


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    """Rows of (label, callback data); a data starting with 'http' makes a link button."""
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(label, url=data) if data.startswith("http") else
         InlineKeyboardButton(label, callback_data=data) for label, data in row]
        for row in rows
    ])


LATEST_KEY = "latest_message"  # chat id -> the newest message id seen there, kept in memory only
BARE_KEY = "bare_message"  # chat id -> a message of the bot's known to carry no buttons, kept in memory only


def _note_bare(context: ContextTypes.DEFAULT_TYPE, chat_id: int, message_id: int, markup: Keyboard) -> None:
    bare: dict[int, int] = context.bot_data.setdefault(BARE_KEY, {})
    if markup is None:
        bare[chat_id] = message_id
    elif bare.get(chat_id) == message_id:
        del bare[chat_id]


def note_latest(context: ContextTypes.DEFAULT_TYPE, chat_id: int, message_id: int) -> None:
    """Remembers the newest message of a chat, so that a press on an older one answers at the bottom."""
    latest: dict[int, int] = context.bot_data.setdefault(LATEST_KEY, {})
    latest[chat_id] = max(latest.get(chat_id, 0), message_id)


def _is_latest(context: ContextTypes.DEFAULT_TYPE, message: Message) -> bool:
    """Unknown (after a restart) counts as the latest: editing it is what the bot did before."""
    latest: dict[int, int] = context.bot_data.get(LATEST_KEY, {})
    return message.message_id >= latest.get(message.chat_id, 0)


def _kept(message: Message) -> bool:
    """Messages the parent must keep in the chat, whatever button under them is pressed."""
    return (message.text or "").startswith(texts.KEPT_MESSAGES)


async def send(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, markup: Keyboard = None) -> Message | None:
    chat = update.effective_chat
    if chat is None:
        return None
    incoming = update.effective_message
    if incoming is not None and update.callback_query is None:
        note_latest(context, chat.id, incoming.message_id)
    try:
        sent = await context.bot.send_message(chat.id, text, parse_mode=ParseMode.HTML, reply_markup=markup,
                                              link_preview_options=None)
    except Forbidden:
        log.info("user %s has blocked the bot", chat.id)
        return None
    _note_bare(context, chat.id, sent.message_id, markup)  # as the newest of its chat: noted by bot/api_calls
    return sent


async def edit_or_send(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str,
                       markup: Keyboard = None) -> Message | None:
    """Edits the message whose button was pressed; sends a new one when there is none to edit.

    A button of a message far up the chat answers at the bottom, where the parent is looking; and a
    message to keep (the activation's) is never replaced.
    """
    query = update.callback_query
    if query is not None and isinstance(query.message, Message) and _is_latest(context, query.message) \
            and not _kept(query.message):
        try:
            edited = await query.message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
            _note_bare(context, query.message.chat_id, query.message.message_id, markup)
            return edited if isinstance(edited, Message) else query.message
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return query.message
            if "not found" not in str(exc).lower() and "can't be edited" not in str(exc).lower():
                raise
    return await send(update, context, text, markup)


async def drop_keyboard(context: ContextTypes.DEFAULT_TYPE, chat_id: int, message_id: int | None) -> None:
    """Removes the buttons of an older prompt, so that only the current step's can be pressed.

    A message sent or edited without buttons is known to need nothing (one Bot API call saved).
    """
    bare: dict[int, int] = context.bot_data.setdefault(BARE_KEY, {})
    if message_id is None or bare.get(chat_id) == message_id:
        return
    try:
        await context.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
    except BadRequest:
        pass  # already without buttons, or gone
    bare[chat_id] = message_id


async def replace_prompt(update: Update, context: ContextTypes.DEFAULT_TYPE, prompt_id: int | None, text: str,
                         markup: Keyboard) -> Message | None:
    """After a secret was deleted, the step's prompt is the chat's last message again: edit it into the next screen.

    One call instead of two (drop the old buttons, send a new message). Only when this process knows the prompt
    is the newest message of the chat and the parent's message was just deleted; None otherwise (then send).
    """
    incoming, chat = update.effective_message, update.effective_chat
    if incoming is None or chat is None or prompt_id is None or update.callback_query is not None:
        return None
    if vars(context).get(_DELETED_KEY) != incoming.message_id:
        return None
    latest: dict[int, int] = context.bot_data.get(LATEST_KEY, {})
    if latest.get(chat.id) != prompt_id:
        return None
    try:
        edited = await context.bot.edit_message_text(text, chat.id, prompt_id, parse_mode=ParseMode.HTML,
                                                     reply_markup=markup)
    except BadRequest as exc:
        log.info("could not replace the prompt, sending a new one: %s", exc)
        return None
    except Forbidden:
        log.info("user %s has blocked the bot", chat.id)
        return None
    _note_bare(context, chat.id, prompt_id, markup)
    return edited if isinstance(edited, Message) else None


async def next_screen(update: Update, context: ContextTypes.DEFAULT_TYPE, prompt_id: int | None, text: str,
                      markup: Keyboard, in_place: bool = True) -> Message | None:
    """The next screen after a typed answer: the prompt above replaced in place when the chat allows it
    (`replace_prompt`), otherwise a new message below and the old prompt's buttons dropped."""
    if in_place and (replaced := await replace_prompt(update, context, prompt_id, text, markup)) is not None:
        return replaced
    chat = update.effective_chat
    if chat is not None:
        await drop_keyboard(context, chat.id, prompt_id)
    return await send(update, context, text, markup)


def _already_gone(exc: TelegramError) -> bool:
    return isinstance(exc, BadRequest) and "not found" in str(exc).lower()


async def delete_secret(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Deletes the parent's message that carried a secret, before anything else is done with it.

    When Telegram fails to (5xx, timeout, network), the deletion is recorded and retried by the sweep
    job; the step goes on meanwhile.
    """
    message = update.effective_message
    if message is None:
        return
    if isinstance(message, FormMessage):  # came through the form: never in the chat
        vars(context)[_DELETED_KEY] = message.message_id
        return
    try:
        await message.delete()
        vars(context)[_DELETED_KEY] = message.message_id
    except TelegramError as exc:
        if _already_gone(exc):
            return
        log.warning("could not delete a secret message yet, will retry: %s", exc)
        store = deps(context).store
        sent_at = message.date if message.date is not None else store.clock.now()
        await store.pending_deletions.add(message.chat_id, message.message_id, sent_at, type(exc).__name__)


async def retry_deletions(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Deletes the secret messages Telegram refused to delete at the time (part of the minute sweep job)."""
    store = deps(context).store
    now = store.clock.now()
    for pending in await store.pending_deletions.all():
        if now - pending.sent_at > DELETABLE_FOR:
            log.warning("gave up deleting a secret message after %d attempts: too old for Telegram", pending.attempts)
            await store.pending_deletions.remove(pending.chat_id, pending.message_id)
            continue
        try:
            await context.bot.delete_message(pending.chat_id, pending.message_id)
        except TelegramError as exc:
            if not _already_gone(exc):
                await store.pending_deletions.failed_again(pending.chat_id, pending.message_id, type(exc).__name__)
                continue
        await store.pending_deletions.remove(pending.chat_id, pending.message_id)


PATIENCE = 2.0  # seconds a step may take before the parent sees "…est en train d'écrire"


async def patiently(update: Update, context: ContextTypes.DEFAULT_TYPE, work: Coroutine[Any, Any, T]) -> T:
    """Runs a step that hashes; if it has not answered within PATIENCE (others' hashing queued ahead of it),
    Telegram shows the parent that the bot is writing, once (a call per step would add to the load that
    caused the wait). No call when the step is quick."""
    task = asyncio.ensure_future(work)
    chat = update.effective_chat
    try:
        done, _ = await asyncio.wait({task}, timeout=PATIENCE)
        if not done and chat is not None:
            try:
                await context.bot.send_chat_action(chat.id, ChatAction.TYPING)
            except TelegramError:
                pass  # only a courtesy
        return await task
    finally:
        if not task.done():
            task.cancel()


async def answer_query(update: Update, text: str | None = None, alert: bool = False) -> None:
    query = update.callback_query
    if query is None:
        return
    try:
        await query.answer(text, show_alert=alert)
    except BadRequest:
        pass  # too old to answer: nothing the parent can see


async def pressed(update: Update, pattern: re.Pattern[str]) -> re.Match[str] | None:
    """The pressed button's data matched against the handler's pattern; a forged or unknown one is answered as
    stale and gives None."""
    query = update.callback_query
    match = pattern.match(query.data or "") if query is not None else None
    if match is None:
        await answer_query(update, texts.STALE_BUTTON)
    return match


def button_id(raw: str) -> int | None:
    """A number carried by a button's data, or None: ASCII digits only, small enough for SQLite's integers (a forged
    "²" or thirty nines is a stale button, not an error)."""
    return int(raw) if re.fullmatch(r"[0-9]{1,18}", raw) else None


def first_name(update: Update) -> str:
    user = update.effective_user
    return user.first_name if user else ""


def user_id(update: Update) -> int:
    user = update.effective_user
    assert user is not None
    return user.id
