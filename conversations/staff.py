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
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from conversations import helpdesk, notices, texts
from conversations.common import (
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
from conversations.roles import staff_only
from render import charts
from storage.accounts import Account, identifier_key

log = logging.getLogger(__name__)
Ctx = ContextTypes.DEFAULT_TYPE
Handler = Callable[[Update, Ctx], Coroutine[Any, Any, object]]


def _actor(update: Update) -> str:
    return f"staff:{user_id(update)}"


async def _account_from_args(update: Update, context: Ctx, command: str) -> Account | None:
    typed = " ".join(context.args or []).strip()
    if not typed:
        await send(update, context, texts.STAFF_USAGE.format(command=command))
        return None
    account = await deps(context).store.accounts.find(typed)
    if account is None:
        await send(update, context, texts.no_account(typed[:64]))
    return account


# -- /compte ---------------------------------------------------------------------------------------


async def account_card(context: Ctx, account: Account) -> tuple[str, Any]:
    """What staff may know of an account: never a secret."""
    store = deps(context).store
    lock = await store.attempts.account_state(identifier_key(account.identifier))
    progress = await store.progress.touching(account.id, identifier_key(account.identifier))
    events = await store.audit.for_account(account.id, limit=8)
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
    buttons = [(texts.RESET_BUTTON, f"staff:reset:{account.id}")] if account.is_family else []
    if lock.until:
        buttons.insert(0, (texts.UNLOCK_BUTTON, f"staff:unlock:{account.id}"))
    return text, keyboard(buttons)


async def show_account(update: Update, context: Ctx) -> None:
    account = await _account_from_args(update, context, "compte")
    if account is None:
        return
    text, markup = await account_card(context, account)
    await deps(context).store.audit.record(_actor(update), "account_viewed", account.id)
    await send(update, context, text, markup)


# -- /debloquer ------------------------------------------------------------------------------------


async def _unlock(update: Update, context: Ctx, account: Account, ticket_id: int | None = None) -> str:
    """Lifts the account's lock and the family's; from under a ticket, its writer's own lock too."""
    store = deps(context).store
    ticket = await store.tickets.get(ticket_id) if ticket_id is not None else None
    writer = ticket.telegram_user_id if ticket is not None and ticket.account_id == account.id else None
    # Who was trying this account: told once the lock is lifted, so that they do not wait for nothing.
    trying = {p.telegram_user_id for p in await store.progress.touching(account.id, identifier_key(account.identifier))}
    trying |= set(await store.recovery.users_of(account.id))
    trying |= {t.telegram_user_id for t in await store.tickets.open_tickets() if t.account_id == account.id}
    was_locked = await store.unlock(account, _actor(update), writer, ticket.id if writer is not None and ticket else None)
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
    account = await _account_from_args(update, context, "debloquer")
    if account is not None:
        await send(update, context, await _unlock(update, context, account))


# -- /reinitialiser --------------------------------------------------------------------------------


def _confirmation(account: Account, unproven: bool = False) -> tuple[str, Any]:
    """The question before a reset; for someone who did not prove the account, staff must check who it is first."""
    if unproven:
        text = texts.confirm_unproven_reset(account.identifier, account.display_name, account.state)
        label = texts.CONFIRM_CHECKED_RESET_BUTTON
    else:
        text, label = texts.confirm_reset(account.identifier, account.display_name, account.state), texts.CONFIRM_RESET_BUTTON
    return text, keyboard([(label, f"staff:reset_ok:{account.id}:{account.revision}")],
                          [(texts.CANCEL_BUTTON, "staff:cancel")])


async def reset_command(update: Update, context: Ctx) -> None:
    account = await _account_from_args(update, context, "reinitialiser")
    if account is not None:
        await deps(context).store.audit.record(_actor(update), "reset_asked", account.id)
    if account is not None and not account.is_family:
        await send(update, context, texts.RESET_NOT_FAMILY.format(identifier=escape(account.identifier)))
    elif account is not None:
        await send(update, context, *_confirmation(account))


async def _reset(update: Update, context: Ctx, account_id: int, revision: int) -> str | None:
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
    password = await d.store.reset(account, revision, _actor(update))
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
        try:
            await context.bot.send_message(uid, texts.ACCOUNT_RESET_NOTICE, parse_mode="HTML")
        except Forbidden:
            log.info("user %s has blocked the bot", uid)


# -- /stats ------------------------------------------------------------------------------------------


async def stats_command(update: Update, context: Ctx) -> None:
    store = deps(context).store
    summary = await store.stats.summary(texts.PARIS)
    await store.audit.record(_actor(update), "stats_viewed")
    # The chart first, the figures under it: the detail is what the chat shows last.
    figures = await store.stats.chart(texts.PARIS, texts.STEP_NUMBER)
    image = await asyncio.to_thread(charts.render_png, figures, deps(context).school.name,
                                    store.clock.now().astimezone(texts.PARIS))
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_photo(chat.id, image, caption=texts.CHART_CAPTION)
    await send(update, context, texts.stats_message(texts.stats_lines(summary)))


# -- /id ---------------------------------------------------------------------------------------------


async def chat_id_command(update: Update, context: Ctx) -> None:
    """The number the IT referent copies into STAFF_CHAT_ID (or ANNONCES_CHANNEL_ID), asked from the chat itself."""
    chat = update.effective_chat
    assert chat is not None
    await send(update, context, texts.chat_id_answer(chat.id, user_id(update)))


# -- buttons ---------------------------------------------------------------------------------------


BUTTON = re.compile(r"^staff:(unlock|reset|reset_check|reset_ok|cancel|erase)(?::([0-9]{1,18}))?(?::([0-9]{1,18}))?$")


async def button(update: Update, context: Ctx) -> None:
    match = await pressed(update, BUTTON)
    if match is None:
        return
    action, raw_id, raw_revision = match.groups()
    if action == "erase":
        await _erase(update, context)
        return
    if action == "cancel":
        await answer_query(update)
        await edit_or_send(update, context, texts.RESET_CANCELLED)
        return
    account = await deps(context).store.accounts.get(int(raw_id)) if raw_id else None
    if account is None:
        await answer_query(update, texts.STALE_BUTTON)
        return
    if action == "unlock":
        await answer_query(update)
        # A new message, not an edit: the button may sit under a ticket, which must stay as it is.
        text = await _unlock(update, context, account, int(raw_revision) if raw_revision else None)
        card, markup = await account_card(context, account)
        await send(update, context, f"{text}\n\n{card}", markup)
    elif action in ("reset", "reset_check") and not account.is_family:
        await deps(context).store.audit.record(_actor(update), "reset_asked", account.id)
        await answer_query(update)
        await send(update, context, texts.RESET_NOT_FAMILY.format(identifier=escape(account.identifier)))
    elif action in ("reset", "reset_check"):
        await deps(context).store.audit.record(_actor(update), "reset_asked", account.id)
        await answer_query(update)
        await send(update, context, *_confirmation(account, unproven=action == "reset_check"))
    elif raw_revision is not None:
        alert = await _reset(update, context, account.id, int(raw_revision))
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


def handlers(unknown_command: Handler, unknown_button: Handler, staff_chat_id: int | None,
             more_commands: dict[str, Handler], more_buttons: dict[str, Handler]) -> list[BaseHandler[Update, Ctx, object]]:
    """Registered before the parent's conversation: staff commands never reach it, even from non-staff.

    `more_commands` and `more_buttons` (by callback-data prefix) are other modules' staff tools, such as the
    letters' (which use this module's account tools: registered by the caller, so that neither imports the other).
    """
    where = filters.ChatType.PRIVATE | (filters.Chat(staff_chat_id) if staff_chat_id is not None else filters.ChatType.PRIVATE)
    commands: dict[str, Handler] = {"compte": show_account, "debloquer": unlock_command,
                                    "reinitialiser": reset_command, "stats": stats_command,
                                    "tickets": helpdesk.list_tickets, "annonce": notices.start_notice,
                                    "annonces": notices.list_notices, **more_commands}
    found: list[BaseHandler[Update, Ctx, object]] = [
        CommandHandler(name, staff_only(fn, unknown_command), filters=where) for name, fn in commands.items()]
    # /id answers staff in any group (the staff group's number is what is being set up); others get nothing.
    found.append(CommandHandler("id", staff_only(chat_id_command, unknown_command),
                                filters=filters.ChatType.GROUPS | filters.ChatType.PRIVATE))
    found.append(CallbackQueryHandler(staff_only(button, unknown_button), pattern=r"^staff:"))
    found.append(CallbackQueryHandler(staff_only(helpdesk.ticket_button, unknown_button), pattern=r"^ticket:"))
    found.append(CallbackQueryHandler(staff_only(notices.notice_button, unknown_button), pattern=r"^notice:"))
    found += [CallbackQueryHandler(staff_only(fn, unknown_button), pattern=rf"^{prefix}:") for prefix, fn in more_buttons.items()]
    if staff_chat_id is not None:
        # A reply in the staff group to a ticket's message is an answer to the family.
        replies = filters.Chat(staff_chat_id) & filters.REPLY & filters.UpdateType.MESSAGE & ~filters.COMMAND
        found.append(MessageHandler(replies, staff_only(helpdesk.staff_reply, _ignore)))
    return found


async def _ignore(update: Update, context: Ctx) -> None:
    return None
