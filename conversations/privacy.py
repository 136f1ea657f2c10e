"""A family's data: /mesdonnees to see and erase it, /confidentialite to know what is kept; the nightly purge."""

from __future__ import annotations

import logging

from telegram import Bot, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from conversations import form_button, form_texts, language, texts
from conversations.common import answer_query, deps, edit_or_send, keyboard, send, user_id
from storage.privacy import DeleteCopy

log = logging.getLogger(__name__)
Ctx = ContextTypes.DEFAULT_TYPE
PRIVATE = filters.ChatType.PRIVATE


def copy_deleter(bot: Bot) -> DeleteCopy:
    """Deletes one of the bot's own messages; None when gone, else Telegram's reason (older than 48 hours…)."""

    async def delete(chat_id: int, message_id: int) -> str | None:
        try:
            await bot.delete_message(chat_id, message_id)
        except BadRequest as exc:
            if "not found" in exc.message.lower():
                return None  # a staff member deleted it already
            return exc.message
        except TelegramError as exc:
            return str(exc) or type(exc).__name__
        return None

    return delete


async def notice(update: Update, context: Ctx) -> None:
    """/confidentialite: who, why, what for how long, who receives it, the rights; from the settings."""
    d = deps(context)
    school, controller = d.schools.first, None
    if d.schools.several:  # the family's own school(s), as far as the bot knows them
        mine = d.schools.of(tuple(await d.store.privacy.by_school(user_id(update))))
        if len(mine) == 1:
            school = mine[0]
        else:
            controller = texts.privacy_controllers([(s.name, s.contact_email) for s in mine])
    text = texts.privacy_notice(school.name, school.contact_email, school.postal_address, d.privacy.dpo,
                                d.privacy.retention, controller)
    if form_button.links(context) is not None:  # the secure form is on: said how it handles what is typed there
        text += "\n\n" + form_texts.PRIVACY_NOTE
    await send(update, context, text)


async def my_data(update: Update, context: Ctx) -> None:
    """/mesdonnees: everything held about this Telegram user, and a button to erase it."""
    d = deps(context)
    data = await d.store.privacy.export(user_id(update))
    if not any(value for key, value in data.items() if key != "telegram_user_id"):
        await send(update, context, texts.MY_DATA_NOTHING_HELD)
        return
    text = texts.my_data(data)
    if d.schools.several:  # school by school, in the configuration's order; a school no longer configured by its UAI
        held = await d.store.privacy.by_school(user_id(update))
        named = [(s.name, held.pop(s.uai)) for s in d.schools.all if s.uai in held]
        if named or held:
            text += "\n\n" + texts.my_data_by_school(named + sorted(held.items()))
    await send(update, context, text, keyboard([(texts.MY_DATA_ERASE_BUTTON, "privacy:erase")]))


async def ask_erase(update: Update, context: Ctx) -> None:
    await answer_query(update)
    await edit_or_send(update, context, texts.MY_DATA_ERASE_CONFIRM,
                       keyboard([(texts.MY_DATA_ERASE_YES, "privacy:erase:yes")],
                                [(texts.MY_DATA_ERASE_NO, "privacy:erase:no")]))


async def keep(update: Update, context: Ctx) -> None:
    await answer_query(update)
    await edit_or_send(update, context, texts.MY_DATA_ERASE_CANCELLED)


async def erase(update: Update, context: Ctx) -> None:
    """Erases at once (the family confirmed); the tickets' copies in the staff group are deleted where Telegram allows."""
    await answer_query(update)
    d = deps(context)
    uid = user_id(update)
    done = await d.store.privacy.erase(uid, texts.ERASED_CONTENT, "famille")
    language.forget(context, uid)  # this reply still in its language; the next from its Telegram app's
    if not done.anything:
        await edit_or_send(update, context, texts.MY_DATA_NOTHING_TO_ERASE)
        return
    log.info("a family erased its data: %d ticket(s), %d account link(s)", len(done.tickets),
             len(done.accounts_unlinked))
    await edit_or_send(update, context, texts.erased_text(done.removed, done.tickets, len(done.accounts_unlinked),
                                                         done.audit_lines, done.lock_kept))
    await _clear_group(context, done.copies)


async def _clear_group(context: Ctx, copies: list[tuple[int, int, int]]) -> None:
    delete = copy_deleter(context.bot)
    left = []
    for copy_chat, message_id, ticket_id in copies:
        why = await delete(copy_chat, message_id)
        if why is not None:
            left.append((copy_chat, message_id, ticket_id, why))
    await deps(context).store.privacy.record_undeleted(left)
    # Each ticket's school's group is told, where its copies were: never another school's.
    for copy_chat, ticket_id in sorted({(chat, ticket) for chat, _, ticket in copies}, key=lambda c: (c[1], c[0])):
        try:
            await context.bot.send_message(copy_chat, texts.TICKET_ERASED_IN_GROUP.format(ticket_id=ticket_id),
                                           parse_mode=ParseMode.HTML)
        except TelegramError as exc:
            log.warning("staff group not told that ticket %s was erased: %s", ticket_id, exc)


async def purge(context: Ctx) -> None:
    """The nightly job: every table's rows older than their retention, in batches; the bot answers meanwhile."""
    d = deps(context)
    report = await d.store.privacy.purge(d.privacy.retention, copy_deleter(context.bot))
    language.forget_all(context)  # a language the purge removed is not spoken on from memory
    log.info("purge: %s; %d staff-group copies deleted, %d left to delete by hand",
             ", ".join(f"{table} {count}" for table, count in report.removed.items() if count) or "nothing",
             report.copies_deleted, len(report.copies_left))


def handlers() -> list[BaseHandler[Update, Ctx, object]]:
    """Registered before the parent's conversation: they work at any moment, mid-activation too."""
    return [
        CommandHandler("mesdonnees", my_data, filters=PRIVATE),
        CommandHandler("confidentialite", notice, filters=PRIVATE),
        CallbackQueryHandler(ask_erase, pattern=r"^privacy:erase$"),
        CallbackQueryHandler(erase, pattern=r"^privacy:erase:yes$"),
        CallbackQueryHandler(keep, pattern=r"^privacy:erase:no$"),
    ]
