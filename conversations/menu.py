"""The main menu, help, the ENT's services and how to log in; and the answer to whatever fits nowhere."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes

from conversations import language, notices, texts
from conversations.common import (
    School,
    answer_query,
    contact_of,
    deps,
    edit_or_send,
    family_schools,
    first_name,
    keyboard,
    send,
    user_id,
    write_to_school,
)
from storage.progress import Progress

Ctx = ContextTypes.DEFAULT_TYPE


async def menu_keyboard(context: Ctx, uid: int, progress: Progress | None = None,
                        family: tuple[School, ...] | None = None) -> InlineKeyboardMarkup:
    """The menu, "Reprendre" first when an activation is saved (`progress`, `family`: as the caller just read them)."""
    d = deps(context)
    if progress is None:
        progress = await d.store.progress.get(uid)
    rows: list[list[tuple[str, str]]] = []
    if progress is not None and progress.step in texts.STEP_NUMBER:
        rows.append([(texts.menu_resume(texts.STEP_NUMBER[progress.step]), "menu:resume")])
        rows.append([(texts.MENU_RESTART, "menu:activate")])
    else:
        rows.append([(texts.MENU_ACTIVATE, "menu:activate")])
    rows += [[(texts.MENU_RESET, "menu:reset")], [(texts.MENU_FORGOT, "menu:forgot")], [(texts.MENU_TEST, "menu:test")],
             [(texts.MENU_LOGIN, "menu:login")], [(texts.MENU_SERVICES, "menu:services")],
             *await notices.subscription_rows(context, uid, family), write_to_school()]
    if len(deps(context).languages) > 1:
        rows.append([(texts.MENU_LANGUAGE, "lang:ask")])
    return keyboard(*rows)


async def start(update: Update, context: Ctx) -> None:
    d = deps(context)
    uid = user_id(update)
    progress = await d.store.progress.get(uid)
    family = await family_schools(context, uid)  # once, for the welcome and the subscription buttons
    markup = await menu_keyboard(context, uid, progress, family)
    text = _welcome(family, first_name(update))
    if not await d.store.privacy.known(uid):  # a first visit: where to read about their data
        text += texts.PRIVACY_LINE
    if progress is not None and progress.step in texts.STEP_NUMBER:  # /start midway: the menu, resuming first
        text = texts.start_mid_flow(texts.STEP_NUMBER[progress.step]) + "\n\n" + text
    await send(update, context, text, markup)
    # Last: the stored language would make the bot "know" them (the privacy line above), and a bot stopped before
    # this reply would otherwise show the /start it gets again without that line.
    await language.remember_first(update, context)


async def home(update: Update, context: Ctx) -> None:
    await answer_query(update)
    family = await family_schools(context, user_id(update))
    markup = await menu_keyboard(context, user_id(update), family=family)
    await edit_or_send(update, context, _welcome(family, first_name(update)), markup)


def _welcome(family: tuple[School, ...], name: str) -> str:
    """Named for the family's school when it has one; for the ENT's collèges while a deployment of several does not
    know the family yet."""
    return texts.welcome(family[0].name if len(family) == 1 else None, name)


async def services(update: Update, context: Ctx) -> None:
    await answer_query(update)
    d = deps(context)
    # The family's school's list (SERVICES_FILE, or its own services_file); the first school's while not known.
    school = (await family_schools(context, user_id(update)) or d.schools.all)[0]
    listed = [(service.name, service.line) for service in school.services]
    links = [[(texts.service_link(s.name), s.link)] for s in school.services if s.link]
    await edit_or_send(update, context, texts.services_text(listed),
                       keyboard(*links, [(texts.OPEN_ENT, school.ent_url)], [(texts.BACK, "menu:home")]))


async def login(update: Update, context: Ctx) -> None:
    await answer_query(update)
    d = deps(context)
    ent = d.schools.first.ent_url  # ENT_URL: the one ENT of every school
    await edit_or_send(update, context, texts.login_text(ent),
                       keyboard([(texts.OPEN_ENT, ent)], [(texts.MENU_TEST, "menu:test")],
                                [(texts.MENU_FORGOT, "menu:forgot")], [(texts.BACK, "menu:home")]))


async def contact(update: Update, context: Ctx) -> None:
    await answer_query(update)
    contact = contact_of(await family_schools(context, user_id(update)))
    await edit_or_send(update, context, texts.contact_text(contact),
                       keyboard(write_to_school(), [(texts.BACK, "menu:home")]))


async def not_understood(update: Update, context: Ctx) -> None:
    await send(update, context, texts.NOT_UNDERSTOOD)


def menu_handlers() -> list[BaseHandler[Update, Ctx, object]]:
    """Menu buttons work at any moment, even mid-activation: they only show information."""
    return [
        CallbackQueryHandler(home, pattern=r"^menu:home$"),
        CallbackQueryHandler(services, pattern=r"^menu:services$"),
        CallbackQueryHandler(login, pattern=r"^menu:login$"),
        CallbackQueryHandler(contact, pattern=r"^menu:contact$"),
    ]
