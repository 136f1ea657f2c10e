"""The school's account tools in Telegram: /compte, /debloquer, /reinitialiser, /stats, for staff only."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Coroutine
from datetime import timedelta
from html import escape
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from conversations import helpdesk, language, notices, texts
from conversations.common import (
    School,
    answer_query,
    deps,
    drop_keyboard,
    edit_or_send,
    keyboard,
    pressed,
    retry_deletions,
    send,
    user_id,
)
from conversations.roles import picked, school_for, staff_only, staff_schools
from i18n import using
from render import charts
from storage.accounts import Account, identifier_key

log = logging.getLogger(__name__)
Ctx = ContextTypes.DEFAULT_TYPE
Handler = Callable[[Update, Ctx], Coroutine[Any, Any, object]]


def _actor(update: Update) -> str:
    return f"staff:{user_id(update)}"


# The commands about an account whose identifier waits, in the staff member's memory, for the school they pick.
PICKING = "staff_picking"
# The commands a member of several schools picks a school for (`pick:<command>:<uai>` buttons).
PICKED_COMMANDS = ("compte", "debloquer", "reinitialiser", "lettre", "stats", "tickets")


async def school_of(update: Update, context: Ctx, account: Account, uai: str | None = None) -> School | None:
    """The school this staff member acts for on this account: one of theirs the account belongs to (`uai`, when
    given, if it is one), else None: another school's account is, to them, an unknown one."""
    theirs = deps(context).schools.of_account(account)
    common = [s for s in await staff_schools(update, context) if s in theirs]
    if uai is not None:
        return next((s for s in common if s.uai == uai), None)
    return common[0] if common else None


async def _account_from_args(update: Update, context: Ctx, command: str) -> tuple[Account, School] | None:
    """The account a command names, and the school it is done for; None when told why not: exactly as for an
    unknown identifier when the account is of none of their schools. A member of several schools the account
    belongs to picks one first (its identifier waits in their memory; after a restart the buttons are stale)."""
    chosen = picked(update, command)
    waiting: dict[str, str] = context.user_data.setdefault(PICKING, {}) if context.user_data is not None else {}
    if chosen is not None:
        typed = waiting.pop(command, "")
        if not typed:
            await answer_query(update, texts.STALE_BUTTON)
            return None
        await answer_query(update)
    else:
        typed = " ".join(context.args or []).strip()
        waiting.pop(command, None)
    if not typed:
        await send(update, context, texts.STAFF_USAGE.format(command=command))
        return None
    account = await deps(context).store.accounts.find(typed)
    theirs = deps(context).schools.of_account(account) if account is not None else ()
    common = tuple(s for s in await staff_schools(update, context) if s in theirs)
    if chosen is None and len(common) > 1:
        waiting[command] = typed
        await school_for(update, context, command, among=common)  # the buttons; the command goes on when pressed
        return None
    school = next((s for s in common if s.uai == chosen), None) if chosen is not None else next(iter(common), None)
    if account is None or school is None:
        await send(update, context, texts.no_account(typed[:64]))
        return None
    if chosen is not None:
        await edit_or_send(update, context, texts.picked_school(school.name))
    return account, school


# -- /compte ---------------------------------------------------------------------------------------


async def account_card(context: Ctx, account: Account, school: School) -> tuple[str, Any]:
    """What staff may know of an account: never a secret. Its events: the family's, and `school`'s staff's (with
    several schools, another school's staff actions, tickets and views stay theirs); its buttons act for `school`."""
    store = deps(context).store
    lock = await store.attempts.account_state(identifier_key(account.identifier))
    progress = await store.progress.touching(account.id, identifier_key(account.identifier))
    events = await store.audit.for_account(account.id, limit=8, uai=school.uai if deps(context).schools.several else None)
    step = progress[0] if progress else None
    text = texts.account_card(
        identifier=account.identifier, name=account.display_name, profile=account.profile,
        class_name=account.class_name, state=account.state,
        activated=texts.paris(account.activated_at) if account.activated_at else None,
        step=texts.step_label(step.step) if step else None, step_at=texts.paris(step.updated_at) if step else None,
        last_error=step.last_error if step else None, cgu_version=account.cgu_version, has_email=bool(account.email),
        lock_until=texts.paris(lock.until, "%H:%M") if lock.until else None, failing_users=lock.failing_users,
        events=[(texts.paris(at), event, actor, detail) for at, actor, event, detail in events])
    # Only a family's account may be reset by the bot: a staff member's ENT account is never touched.
    buttons = [(texts.RESET_BUTTON, f"staff:reset:{account.id}:{school.uai}")] if account.is_family else []
    if lock.until:
        buttons.insert(0, (texts.UNLOCK_BUTTON, f"staff:unlock:{account.id}:{school.uai}"))
    return text, keyboard(buttons)


async def show_account(update: Update, context: Ctx) -> None:
    found = await _account_from_args(update, context, "compte")
    if found is None:
        return
    account, school = found
    text, markup = await account_card(context, account, school)
    await deps(context).store.audit.record(_actor(update), "account_viewed", account.id, uai=school.uai)
    await send(update, context, text, markup)


# -- /debloquer ------------------------------------------------------------------------------------


async def _unlock(update: Update, context: Ctx, account: Account, school: School, ticket_id: int | None = None) -> str:
    """Lifts the account's lock and the family's; from under a ticket, its writer's own lock too."""
    store = deps(context).store
    ticket = await store.tickets.get(ticket_id) if ticket_id is not None else None
    # The ticket's writer only for a ticket of the school acted for: a forged ticket number of another school
    # (the button's data are the sender's) lifts no one's lock there.
    writer = (ticket.telegram_user_id if ticket is not None and ticket.account_id == account.id
              and ticket.uai == school.uai else None)
    # Who was trying this account: told once the lock is lifted, so that they do not wait for nothing.
    trying = {p.telegram_user_id for p in await store.progress.touching(account.id, identifier_key(account.identifier))}
    trying |= set(await store.recovery.users_of(account.id))
    trying |= {t.telegram_user_id for t in await store.tickets.open_tickets() if t.account_id == account.id}
    was_locked = await store.unlock(account, _actor(update), writer, ticket.id if writer is not None and ticket else None,
                                    uai=school.uai)
    # Someone who failed on it without ever proving it keeps their own lock: told nothing, counted for staff.
    still_locked = [uid for uid in sorted(trying) if await store.attempts.locked_until(("user", str(uid))) is not None]
    if was_locked:
        for uid in sorted(trying - set(still_locked)):
            await _tell_unlocked(context, uid)
        await helpdesk.after_unlock(context, account.id)
    return texts.unlocked(account.identifier, was_locked, len(still_locked))


async def _tell_unlocked(context: Ctx, uid: int) -> None:
    """"Le collège a levé le blocage", with the button that takes the parent back to their step."""
    progress = await deps(context).store.progress.get(uid)
    with using(await language.language_of(context, uid)):  # the family's words, not the staff member's
        if progress is not None and progress.step in texts.STEP_NUMBER:
            text = texts.UNLOCKED_PARENT
            markup = keyboard([(texts.menu_resume(texts.STEP_NUMBER[progress.step]), "menu:resume")])
        else:
            text, markup = texts.UNLOCKED_PARENT_NO_STEP, None
    try:
        await context.bot.send_message(uid, text, parse_mode=ParseMode.HTML, reply_markup=markup)
    except (Forbidden, BadRequest):
        log.info("parent %s not told of the unlock: unreachable", uid)


async def unlock_command(update: Update, context: Ctx) -> None:
    found = await _account_from_args(update, context, "debloquer")
    if found is not None:
        await send(update, context, await _unlock(update, context, *found))


# -- /reinitialiser --------------------------------------------------------------------------------


def _confirmation(account: Account, school: School, unproven: bool = False) -> tuple[str, Any]:
    """The question before a reset; for someone who did not prove the account, staff must check who it is first."""
    if unproven:
        text = texts.confirm_unproven_reset(account.identifier, account.display_name, account.state)
        label = texts.CONFIRM_CHECKED_RESET_BUTTON
    else:
        text, label = texts.confirm_reset(account.identifier, account.display_name, account.state), texts.CONFIRM_RESET_BUTTON
    return text, keyboard([(label, f"staff:reset_ok:{account.id}:{account.revision}:{school.uai}")],
                          [(texts.CANCEL_BUTTON, "staff:cancel")])


async def reset_command(update: Update, context: Ctx) -> None:
    found = await _account_from_args(update, context, "reinitialiser")
    if found is None:
        return
    account, school = found
    await deps(context).store.audit.record(_actor(update), "reset_asked", account.id, uai=school.uai)
    if not account.is_family:
        await send(update, context, texts.RESET_NOT_FAMILY.format(identifier=escape(account.identifier)))
    else:
        await send(update, context, *_confirmation(account, school))


async def _reset(update: Update, context: Ctx, account_id: int, revision: int, school: School) -> str | None:
    """Resets the account if it is as the staff member saw it; returns what to say in an alert, if anything."""
    d = deps(context)
    staff = update.effective_user
    chat = update.effective_chat
    assert staff is not None and chat is not None
    account = await d.store.accounts.get(account_id)
    if account is None or account.revision != revision:
        await edit_or_send(update, context, texts.RESET_RACE.format(identifier=escape(account.identifier if account else "")))
        return None
    refusal = not_resettable(account)
    if refusal is not None:
        await edit_or_send(update, context, refusal)
        return None
    private = chat.id == staff.id
    if not private and not await reaches_privately(context, staff.id, ChatAction.TYPING):
        return texts.OPEN_PRIVATE_CHAT
    password = await d.store.reset(account, revision, _actor(update), uai=school.uai)
    if password is None:
        await edit_or_send(update, context, texts.RESET_RACE.format(identifier=escape(account.identifier)))
        return None
    await edit_or_send(update, context, texts.reset_done(account.identifier, staff.first_name, private))
    sent = await context.bot.send_message(staff.id, texts.new_provisional(account.identifier, account.display_name, password),
                                          parse_mode="HTML", reply_markup=ERASE_KEYBOARD)
    await erase_later(context, sent)
    await _tell_families(context, account)
    return None


def not_resettable(account: Account) -> str | None:
    """Why the bot must not reset this account (the ENT's directory decides), or None."""
    if not account.is_family:  # a staff member's ENT account: never the bot's to reset
        return texts.RESET_NOT_FAMILY.format(identifier=escape(account.identifier))
    if account.state == "blocked":  # BLOQUE or DELETE in the ENT's directory: the académie decides, not the bot
        return texts.RESET_BLOCKED.format(identifier=escape(account.identifier))
    return None


async def reaches_privately(context: Ctx, member_id: int, action: str) -> bool:
    """Whether the bot can write to this staff member privately: a secret goes to them alone, or nothing changes."""
    try:
        await context.bot.send_chat_action(member_id, action)
    except (Forbidden, BadRequest):
        return False
    return True


ERASE_KEYBOARD = keyboard([(texts.ERASE_BUTTON, "staff:erase")])


async def erase_later(context: Ctx, sent: Message) -> None:
    """A message holding a secret for staff deletes itself after a while, even across a restart."""
    await deps(context).store.ephemeral.add(sent.chat_id, sent.message_id,
                                            deps(context).store.clock.now() + timedelta(minutes=texts.SECRET_LIFETIME_MINUTES))


async def _tell_families(context: Ctx, account: Account) -> None:
    """Parents midway through a dialogue on this account are told at once, calmly, and their dialogue ends."""
    store = deps(context).store
    users = {p.telegram_user_id: p.prompt_message_id for p in await store.progress.for_account(account.id)}
    for uid in await store.recovery.users_of(account.id):
        saved = await store.recovery.get(uid)
        users.setdefault(uid, saved.prompt_message_id if saved else None)
        await store.recovery.forget(uid)
    for uid, prompt in users.items():
        await store.progress.forget(uid)
        await drop_keyboard(context, uid, prompt)
        with using(await language.language_of(context, uid)):
            notice = texts.ACCOUNT_RESET_NOTICE
        try:
            await context.bot.send_message(uid, notice, parse_mode="HTML")
        except Forbidden:
            log.info("user %s has blocked the bot", uid)


# -- /stats ------------------------------------------------------------------------------------------


async def stats_command(update: Update, context: Ctx) -> None:
    """The figures of the school they act for (a member of several picks); with one school, the deployment's."""
    d = deps(context)
    school = await _picked_school(update, context, "stats")
    if school is None:
        return
    store = d.store
    only = school.uai if d.schools.several else None
    summary = await store.stats.summary(texts.PARIS, uai=only, contact=school.contact_email)
    await store.audit.record(_actor(update), "stats_viewed", uai=school.uai)
    # The chart first, the figures under it: the detail is what the chat shows last.
    figures = await store.stats.chart(texts.PARIS, texts.STEP_NUMBER, uai=only)
    image = await asyncio.to_thread(charts.render_png, figures, school.name,
                                    store.clock.now().astimezone(texts.PARIS))
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_photo(chat.id, image, caption=texts.CHART_CAPTION)
    await send(update, context, texts.stats_message(texts.stats_lines(summary)))


# -- /tickets ----------------------------------------------------------------------------------------


async def tickets_command(update: Update, context: Ctx) -> None:
    """The open tickets of the school they act for (a member of several picks): the help desk lists them."""
    school = await _picked_school(update, context, "tickets")
    if school is not None:
        await helpdesk.list_tickets(update, context, school.uai if deps(context).schools.several else None)


async def _picked_school(update: Update, context: Ctx, action: str) -> School | None:
    """The school a command without an account is for: theirs, or the one a `pick:` button names, checked again
    (a forged or no longer theirs one is a stale button); None while the pick buttons wait."""
    chosen = picked(update, action)
    school = await school_for(update, context, action, chosen)
    if chosen is not None:
        await answer_query(update, None if school is not None else texts.STALE_BUTTON)
        if school is not None:
            await edit_or_send(update, context, texts.picked_school(school.name))
    return school


# -- /id ---------------------------------------------------------------------------------------------


async def chat_id_command(update: Update, context: Ctx) -> None:
    """The number the IT referent copies into STAFF_CHAT_ID (or ANNONCES_CHANNEL_ID), asked from the chat itself."""
    chat = update.effective_chat
    assert chat is not None
    await send(update, context, texts.chat_id_answer(chat.id, user_id(update)))


# -- buttons ---------------------------------------------------------------------------------------


# staff:<action>[:<account>[:<revision or ticket>]][:<uai>]: the UAI of the school the card was shown for (none on
# the buttons of before many schools, and on a ticket's: then the first school of theirs the account is of).
BUTTON = re.compile(r"^staff:(unlock|reset|reset_check|reset_ok|cancel|erase)(?::([0-9]{1,18}))?(?::([0-9]{1,18}))?"
                    r"(?::([0-9]{7}[A-Z]))?$")


async def button(update: Update, context: Ctx) -> None:
    match = await pressed(update, BUTTON)
    if match is None:
        return
    action, raw_id, raw_revision, uai = match.groups()
    if action == "erase":
        await _erase(update, context)
        return
    if action == "cancel":
        await answer_query(update)
        await edit_or_send(update, context, texts.RESET_CANCELLED)
        return
    account = await deps(context).store.accounts.get(int(raw_id)) if raw_id else None
    # Another school's account (a forged button's id) is, to them, an unknown one.
    school = await school_of(update, context, account, uai) if account is not None else None
    if account is None or school is None:
        await answer_query(update, texts.STALE_BUTTON)
        return
    if action == "unlock":
        await answer_query(update)
        # A new message, not an edit: the button may sit under a ticket, which must stay as it is.
        text = await _unlock(update, context, account, school, int(raw_revision) if raw_revision else None)
        card, markup = await account_card(context, account, school)
        await send(update, context, f"{text}\n\n{card}", markup)
    elif action in ("reset", "reset_check") and not account.is_family:
        await deps(context).store.audit.record(_actor(update), "reset_asked", account.id, uai=school.uai)
        await answer_query(update)
        await send(update, context, texts.RESET_NOT_FAMILY.format(identifier=escape(account.identifier)))
    elif action in ("reset", "reset_check"):
        await deps(context).store.audit.record(_actor(update), "reset_asked", account.id, uai=school.uai)
        await answer_query(update)
        await send(update, context, *_confirmation(account, school, unproven=action == "reset_check"))
    elif raw_revision is not None:
        alert = await _reset(update, context, account.id, int(raw_revision), school)
        await answer_query(update, alert, alert=alert is not None)
    else:
        await answer_query(update, texts.STALE_BUTTON)


async def _erase(update: Update, context: Ctx) -> None:
    query = update.callback_query
    assert query is not None
    await answer_query(update)
    if isinstance(query.message, Message):
        await deps(context).store.ephemeral.remove(query.message.chat.id, query.message.message_id)
        try:
            await query.message.delete()
        except BadRequest:
            pass  # already gone


async def sweep_secrets(context: Ctx) -> None:
    """Deletes the staff's password messages whose time is up, and the parents' secrets Telegram failed to delete.

    A repeating job, every minute; both lists are in SQLite, so it survives restarts.
    """
    store = deps(context).store
    await retry_deletions(context)
    for chat_id, message_id in await store.ephemeral.due():
        try:
            await context.bot.delete_message(chat_id, message_id)
        except BadRequest:
            pass  # deleted by hand already
        except TelegramError as exc:
            log.warning("could not delete a secret message yet: %s", exc)
            continue
        await store.ephemeral.remove(chat_id, message_id)


def handlers(unknown_command: Handler, unknown_button: Handler, school_chats: tuple[int, ...],
             more_commands: dict[str, Handler], more_buttons: dict[str, Handler]) -> list[BaseHandler[Update, Ctx, object]]:
    """Registered before the parent's conversation: staff commands never reach it, even from non-staff.

    `more_commands` and `more_buttons` (by callback-data prefix) are other modules' staff tools, such as the
    letters' (which use this module's account tools: registered by the caller, so that neither imports the other).
    `school_chats`: every school's staff group, where the commands work too (for that group's school only), and where
    a reply to a ticket's message is an answer to the family.
    """
    where = filters.ChatType.PRIVATE | (filters.Chat(school_chats) if school_chats else filters.ChatType.PRIVATE)
    commands: dict[str, Handler] = {"compte": show_account, "debloquer": unlock_command,
                                    "reinitialiser": reset_command, "stats": stats_command,
                                    "tickets": tickets_command, "annonce": notices.start_notice,
                                    "annonces": notices.list_notices, **more_commands}
    found: list[BaseHandler[Update, Ctx, object]] = [
        CommandHandler(name, staff_only(fn, unknown_command), filters=where) for name, fn in commands.items()]
    # /id answers staff in any group (the staff group's number is what is being set up); others get nothing.
    found.append(CommandHandler("id", staff_only(chat_id_command, unknown_command),
                                filters=filters.ChatType.GROUPS | filters.ChatType.PRIVATE))
    found.append(CallbackQueryHandler(staff_only(button, unknown_button), pattern=r"^staff:"))
    # A member of several schools picked one: the command goes on (roles.school_for checks the school again).
    found += [CallbackQueryHandler(staff_only(commands[name], unknown_button), pattern=rf"^pick:{name}:")
              for name in PICKED_COMMANDS if name in commands]
    found.append(CallbackQueryHandler(staff_only(helpdesk.ticket_button, unknown_button), pattern=r"^ticket:"))
    found.append(CallbackQueryHandler(staff_only(notices.notice_button, unknown_button), pattern=r"^notice:"))
    found += [CallbackQueryHandler(staff_only(fn, unknown_button), pattern=rf"^{prefix}:") for prefix, fn in more_buttons.items()]
    return found + helpdesk.reply_handlers(list(school_chats), _ignore)


async def _ignore(update: Update, context: Ctx) -> None:
    return None
