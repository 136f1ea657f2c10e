"""The language a family reads: its stored choice, else its Telegram app's language when offered, else French."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from telegram import Update
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    filters,
)

from conversations import texts
from conversations.common import answer_query, deps, edit_or_send, keyboard, send, user_id
from i18n import SOURCE, from_telegram, set_current

log = logging.getLogger(__name__)
Ctx = ContextTypes.DEFAULT_TYPE

# Each family's stored language, kept a few minutes by the running bot: every update needs it, a choice is rare. Not
# longer: an erasure or the purge made by another process (`entbot privacy erase`) reaches this one within that time.
KNOWN_KEY = "family_languages"
KNOWN_MAX = 200_000  # families; beyond, the memory starts again (a read each)
KNOWN_FOR = timedelta(minutes=5)


def _known(context: Ctx) -> dict[int, tuple[str | None, datetime]]:
    known: dict[int, tuple[str | None, datetime]] = context.bot_data.setdefault(KNOWN_KEY, {})
    if len(known) >= KNOWN_MAX:
        known.clear()
    return known


async def family_language(context: Ctx, uid: int) -> str | None:
    """The family's stored language if it is still offered (a language a deployment dropped is not kept on)."""
    known = _known(context)
    now = deps(context).store.clock.now()
    stored, until = known.get(uid, (None, now))
    if until <= now:
        stored = await deps(context).store.languages.get(uid)
        known[uid] = (stored, now + KNOWN_FOR)
    return stored if stored in deps(context).languages else None


def forget_all(context: Ctx) -> None:
    """After the nightly purge: what it removed is read again."""
    _known(context).clear()


async def language_of(context: Ctx, uid: int) -> str:
    """The language to write to this family in outside its own update (a staff reply, a reset): its stored one,
    else the one it wrote to its school in last (its app's, when it never chose), else French."""
    found = await family_language(context, uid) or await deps(context).store.tickets.latest_language(uid)
    return found if found in deps(context).languages else SOURCE


def _from_app(update: Update, context: Ctx) -> str | None:
    user = update.effective_user
    return from_telegram(user.language_code if user else None, deps(context).languages)


async def apply(update: object, context: Ctx) -> None:
    """Runs first for every update: the texts read while handling it are in this person's language."""
    if not isinstance(update, Update) or update.effective_user is None:
        return
    chat = update.effective_chat
    if chat is not None and chat.type != chat.PRIVATE:
        return  # groups and channels are the staff's and the school's: French
    set_current(await family_language(context, update.effective_user.id) or _from_app(update, context) or SOURCE)


async def remember_first(update: Update, context: Ctx) -> None:
    """At /start: the app's language becomes the family's, unless it chose one already (called after the menu
    looked whether the bot knew this person, which the stored language would otherwise answer)."""
    uid = user_id(update)
    if await family_language(context, uid) is not None:
        return
    found = _from_app(update, context)
    if found is not None and found != SOURCE:
        if await deps(context).store.languages.set_first(uid, found):
            _known(context)[uid] = (found, deps(context).store.clock.now() + KNOWN_FOR)


def forget(context: Ctx, uid: int) -> None:
    """The family erased its data (/mesdonnees): its stored language with it, here too."""
    _known(context).pop(uid, None)


def _choices(current: str, offered: tuple[str, ...]) -> list[list[tuple[str, str]]]:
    return [[(texts.language_button(code, code == current), f"lang:set:{code}")] for code in offered]


def _private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == update.effective_chat.PRIVATE


async def ask(update: Update, context: Ctx) -> None:
    """/langue, or the menu's button: each offered language in its own name and script."""
    if not _private(update):  # a family's choice, made in its own chat: never a group's button
        await answer_query(update, texts.STALE_BUTTON)
        raise ApplicationHandlerStop
    await answer_query(update)
    d = deps(context)
    current = await family_language(context, user_id(update)) or _from_app(update, context) or SOURCE
    markup = keyboard(*_choices(current, d.languages))
    if update.callback_query is not None:
        await edit_or_send(update, context, texts.LANGUAGE_PROMPT, markup)
    else:
        await send(update, context, texts.LANGUAGE_PROMPT, markup)
    raise ApplicationHandlerStop  # no dialogue sees /langue: an activation under way stays at its step


async def chosen(update: Update, context: Ctx) -> None:
    """`lang:set:<code>`: stored, and this very reply already in the new language."""
    query = update.callback_query
    assert query is not None and query.data is not None
    code = query.data.removeprefix("lang:set:")
    d = deps(context)
    if code not in d.languages or not _private(update):  # a forged button, or a language the deployment no longer offers
        await answer_query(update, texts.LANGUAGE_NOT_OFFERED)
        raise ApplicationHandlerStop
    uid = user_id(update)
    await d.store.languages.set(uid, code, "chosen")
    _known(context)[uid] = (code, deps(context).store.clock.now() + KNOWN_FOR)
    set_current(code)
    await answer_query(update)
    await edit_or_send(update, context, texts.LANGUAGE_SET, None)
    raise ApplicationHandlerStop


def handlers() -> list[BaseHandler[Update, Ctx, object]]:
    """Before every dialogue (the caller's group), so that a choice mid-activation changes nothing else."""
    private = filters.ChatType.PRIVATE
    return [CommandHandler("langue", ask, filters=private),
            CallbackQueryHandler(ask, pattern=r"^lang:ask$"),
            CallbackQueryHandler(chosen, pattern=r"^lang:set:[a-z]{2}$")]
