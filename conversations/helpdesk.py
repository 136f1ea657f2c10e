"""The help desk: a stuck parent writes to the school; the ticket reaches the staff group and the school's mail."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import timedelta
from html import escape

from telegram import InlineKeyboardMarkup, Message, ReplyParameters, Update, User
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes, ConversationHandler, filters

from conversations import recovery, texts
from conversations.common import Deps, answer_query, delete_secret, deps, edit_or_send, keyboard, send, user_id
from storage.accounts import Account, DirectoryUnavailable, identifier_key
from storage.outbox import OutgoingMail
from storage.secrets import verify_secret
from storage.tickets import NewMessage, Ticket

log = logging.getLogger(__name__)
Ctx = ContextTypes.DEFAULT_TYPE
END = ConversationHandler.END

HELPDESK = "helpdesk"  # the parent is writing their message to the school
RATE_WINDOW = timedelta(minutes=5)
RATE_LIMIT = 5  # messages into tickets per parent per window
MAX_TEXT = 3500  # leaves room for the ticket's header within Telegram's 4096
SUPPORTED = filters.UpdateType.MESSAGE & (filters.TEXT | filters.PHOTO | filters.Document.ALL) & ~filters.COMMAND
UNSUPPORTED = filters.UpdateType.MESSAGE & ~filters.COMMAND & ~(filters.TEXT | filters.PHOTO | filters.Document.ALL)


def _name(user: User) -> str:
    return user.full_name + (f" (@{user.username})" if user.username else "")


# -- the parent's side -----------------------------------------------------------------------------


async def start_writing(update: Update, context: Ctx) -> object:
    await answer_query(update)
    # Saved, so that after a restart the next message still goes to the school, not to a step.
    await deps(context).store.writing.start(user_id(update))
    ticket = await deps(context).store.tickets.open_for(user_id(update))
    prompt = texts.helpdesk_prompt(deps(context).school.contact_email, ticket.id if ticket else None)
    await send(update, context, prompt, keyboard([(texts.BACK, "helpdesk:cancel")]))
    return HELPDESK


async def cancel_writing(update: Update, context: Ctx) -> object:
    await answer_query(update)
    store = deps(context).store
    uid = user_id(update)
    started = await store.writing.since(uid)
    await store.writing.stop(uid)
    ticket = await store.tickets.open_for(uid)
    # Follow-ups already went (mid-activation the parent keeps writing): never say that nothing was sent.
    if started is not None and ticket is not None and await store.tickets.parent_messages_since(uid, started):
        await edit_or_send(update, context, texts.helpdesk_done(ticket.id))
    else:
        await edit_or_send(update, context, texts.HELPDESK_CANCELLED)
    return END


async def written(update: Update, context: Ctx) -> object:
    """The message to the school, in the writing state.

    In the middle of an activation the parent keeps writing to the school (follow-ups, a photo) until
    they press "Reprendre l'activation": a step is never fed a message meant for the school.
    """
    store = deps(context).store
    uid = user_id(update)
    mid_activation = await store.progress.get(uid) is not None and await store.recovery.get(uid) is None
    resume = keyboard([(texts.HELPDESK_RESUME, "helpdesk:resume")]) if mid_activation else None
    if not await submit(update, context, resume):
        return None
    if mid_activation:
        return None
    await store.writing.stop(uid)
    return END


async def unsupported(update: Update, context: Ctx) -> object:
    await send(update, context, texts.HELPDESK_EXPECTS)
    return None


async def follow_up(update: Update, context: Ctx) -> bool:
    """A message outside any dialogue: it joins the parent's open ticket, if there is one."""
    if await deps(context).store.tickets.open_for(user_id(update)) is None:
        return False
    if SUPPORTED.check_update(update):
        await submit(update, context)
    else:
        await send(update, context, texts.HELPDESK_EXPECTS)
    return True


async def submit(update: Update, context: Ctx, resume: InlineKeyboardMarkup | None = None) -> bool:
    """Opens the ticket or adds to it, mail queued with it; tells staff and the parent. False if refused."""
    d = deps(context)
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return False
    text = message.text if message.text is not None else message.caption
    if text is not None and len(text) > MAX_TEXT:
        await send(update, context, texts.HELPDESK_TOO_LONG.format(length=len(text), limit=MAX_TEXT))
        return False
    if message.text is not None and not message.text.strip():
        await send(update, context, texts.ONLY_SPACES)
        return False
    if await d.store.tickets.parent_messages_since(user.id, d.store.clock.now() - RATE_WINDOW) >= RATE_LIMIT:
        await send(update, context, texts.HELPDESK_SLOW_DOWN)
        return False
    kind = "photo" if message.photo else "document" if message.document else "text"
    account, identifier, context_text = await _context(d, user.id)
    if text and account is not None and await _holds_a_password(d, account, text):
        await delete_secret(update, context)
        await send(update, context, texts.HELPDESK_PASSWORD_SEEN)
        return False
    name = _name(user)

    def compose(ticket: Ticket, new: bool) -> OutgoingMail:
        assert d.mail is not None
        subject, body = texts.ticket_mail(ticket.id, new, name, user.id, ticket.identifier, ticket.context, kind, text)
        return OutgoingMail("ticket", d.mail.school_address, subject, body, d.mail.domain)

    ticket, new = await d.store.tickets.submit(
        user.id, name, account.id if account else None, identifier, context_text,
        NewMessage(kind, text, message.chat_id, message.message_id), compose if d.mail else None)
    d.wake_mailer()
    await send(update, context, texts.ticket_received(ticket.id, new, resume is not None), resume)
    if new or ticket.header_message_id is None:
        await post_ticket(context, ticket)
    else:
        await _relay_follow_up(context, ticket, kind, text, message)
    return True


# Words of a message that could be a password: checked against the account's hashes before anything is kept.
_CANDIDATE = re.compile(r"^(?=.*[\d\W_])\S{6,128}$")
MAX_CANDIDATES = 6


async def _holds_a_password(d: Deps, account: Account, text: str) -> bool:
    """Whether the parent wrote their provisional or current password in a message to the school.

    Families are told never to; some will all the same, and the message would then sit in the
    staff group, the school's mailbox and the database.
    """
    credentials = await d.store.accounts.credentials(account.id)  # None unless active: no password yet
    hashes = [h for h in (account.provisional_hash, credentials.password_hash if credentials else None) if h]
    words = {w.strip(".,;:!?«»\"'()") for w in text.split()} | set(text.split())
    candidates = [w for w in words if _CANDIDATE.match(w)][:MAX_CANDIDATES]
    for word in candidates:
        for digest in hashes:
            if await verify_secret(digest, word):
                return True
    return False


async def _context(d: Deps, uid: int) -> tuple[Account | None, str | None, str]:
    """What staff need to know without asking: identifier, account state, step, last error, lock."""
    store = d.store
    progress = await store.progress.get(uid)
    saved = await store.recovery.get(uid)
    identifier = (saved.identifier if saved else None) or (progress.identifier if progress else None)
    try:
        account = await store.accounts.find(identifier) if identifier else await store.accounts.by_telegram_user(uid)
    except DirectoryUnavailable:  # the help desk works on while the ENT's directory is down
        account = None
    if account is not None:
        identifier = account.identifier
    where = (recovery.where(saved) if saved else
             texts.where(progress.step) if progress and progress.step in texts.STEP_NUMBER else None)
    keys = [("user", str(uid))] + ([("account", identifier_key(identifier))] if identifier else [])
    lock = await store.attempts.locked_until(*keys)
    lock_until = texts.paris(lock.until) if lock else None
    context_text = texts.ticket_context(identifier, account.state if account else None, where,
                                        progress.last_error if progress else None, lock_until)
    return account, identifier, context_text


# -- the staff group ---------------------------------------------------------------------------------


def _header(ticket: Ticket, first_message: str) -> tuple[str, InlineKeyboardMarkup | None]:
    text = texts.ticket_header(ticket.id, texts.paris(ticket.opened_at), ticket.user_name, ticket.telegram_user_id,
                               ticket.context, ticket.taken_by_name, ticket.closed_by_name, first_message)
    if ticket.state == "closed":
        return text, None
    buttons = [[(texts.TAKE_BUTTON, f"ticket:take:{ticket.id}"), (texts.CLOSE_BUTTON, f"ticket:close:{ticket.id}")]]
    if ticket.account_id is not None:  # the school's account tools, beside the ticket (unlock only if locked)
        unlock = [(texts.UNLOCK_BUTTON, f"staff:unlock:{ticket.account_id}")] if texts.NO_LOCK not in ticket.context else []
        buttons.append([*unlock, (texts.RESET_BUTTON, f"staff:reset:{ticket.account_id}")])
    return text, keyboard(*buttons)


def _first_text(kind: str, text: str | None) -> str:
    placeholder = {"photo": texts.PHOTO_PLACEHOLDER, "document": texts.DOCUMENT_PLACEHOLDER}.get(kind)
    if placeholder is None:
        return text or ""
    return placeholder + (f"\n{text}" if text else "")


async def post_ticket(context: Ctx, ticket: Ticket) -> None:
    """Posts the ticket in the staff group: its header, then what came after the first message, media copied."""
    d = deps(context)
    chat_id = d.staff.chat_id
    if chat_id is None:
        return
    messages = [m for m in await d.store.tickets.messages(ticket.id) if m.author == "parent"]
    first = messages[0]
    text, markup = _header(ticket, _first_text(first.kind, first.text))
    try:
        header = await context.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup)
    except TelegramError as exc:
        log.warning("ticket %s not posted in the staff group yet: %s", ticket.id, exc)
        return  # the repost job tries again; the mail went anyway
    await d.store.tickets.record_post(chat_id, header.message_id, ticket.id, header=True)
    posted = replace(ticket, header_message_id=header.message_id)
    if first.kind != "text":
        await _copy_media(context, posted, first.source_chat_id, first.source_message_id, None)
    for later in messages[1:]:
        if later.kind == "text":
            await _post_text(context, posted, texts.ticket_follow_up(ticket.id, ticket.user_name, later.text or ""))
        else:
            await _copy_media(context, posted, later.source_chat_id, later.source_message_id,
                              texts.ticket_follow_up_caption(ticket.id, ticket.user_name, later.text))


async def _relay_follow_up(context: Ctx, ticket: Ticket, kind: str, text: str | None, message: Message) -> None:
    if kind == "text":
        await _post_text(context, ticket, texts.ticket_follow_up(ticket.id, ticket.user_name, text or ""))
    else:
        await _copy_media(context, ticket, message.chat_id, message.message_id,
                          texts.ticket_follow_up_caption(ticket.id, ticket.user_name, text))


def _under(ticket: Ticket) -> ReplyParameters | None:
    """Posted as a reply to the ticket's header, so that the thread reads as one in the group."""
    if ticket.header_message_id is None:
        return None
    return ReplyParameters(ticket.header_message_id, allow_sending_without_reply=True)


async def _post_text(context: Ctx, ticket: Ticket, text: str) -> None:
    d = deps(context)
    assert d.staff.chat_id is not None
    try:
        posted = await context.bot.send_message(d.staff.chat_id, text, parse_mode=ParseMode.HTML,
                                                reply_parameters=_under(ticket))
    except TelegramError as exc:
        log.warning("message of ticket %s not posted in the staff group: %s", ticket.id, exc)
        return
    await d.store.tickets.record_post(d.staff.chat_id, posted.message_id, ticket.id)


async def _copy_media(context: Ctx, ticket: Ticket, from_chat: int | None, message_id: int | None,
                      caption: str | None) -> None:
    d = deps(context)
    if d.staff.chat_id is None or from_chat is None or message_id is None:
        return
    try:
        copied = await context.bot.copy_message(d.staff.chat_id, from_chat, message_id, caption=caption,
                                                reply_parameters=_under(ticket))
    except TelegramError as exc:
        log.warning("media of ticket %s not copied to the staff group: %s", ticket.id, exc)
        return
    await d.store.tickets.record_post(d.staff.chat_id, copied.message_id, ticket.id)


async def staff_reply(update: Update, context: Ctx) -> None:
    """A staff member replied, in the group, to a message that shows a ticket: the answer goes to the parent."""
    d = deps(context)
    message, staff = update.effective_message, update.effective_user
    if message is None or staff is None or message.reply_to_message is None:
        return
    ticket = await d.store.tickets.by_post(message.chat_id, message.reply_to_message.message_id)
    if ticket is None:
        return  # a conversation between colleagues, not an answer to a ticket
    if ticket.state == "closed":
        await message.reply_text(texts.REPLY_TO_CLOSED.format(ticket_id=ticket.id))
        return
    kind = "photo" if message.photo else "document" if message.document else "text" if message.text else None
    if kind is None:
        await message.reply_text(texts.REPLY_UNSUPPORTED)
        return
    try:
        # The parent may be midway through a dialogue: a button lets them answer without leaving it.
        answer = keyboard([(texts.ANSWER_SCHOOL, "helpdesk:write")])
        if kind == "text":
            # Cut before escaping, so that no cut falls inside an HTML entity.
            chunks = [texts.reply_from_school(ticket.id, part) for part in _chunks(message.text or "")]
            for i, chunk in enumerate(chunks):
                await context.bot.send_message(ticket.telegram_user_id, chunk, parse_mode=ParseMode.HTML,
                                               reply_markup=answer if i == len(chunks) - 1 else None)
        else:
            await context.bot.copy_message(ticket.telegram_user_id, message.chat_id, message.message_id,
                                           caption=texts.reply_caption(ticket.id, message.caption)[:1024],
                                           reply_markup=answer)
    except (Forbidden, BadRequest) as exc:
        log.info("answer to ticket %s not delivered: %s", ticket.id, exc)
        await message.reply_text(texts.REPLY_BLOCKED.format(name=escape(ticket.user_name), ticket_id=ticket.id),
                                 parse_mode=ParseMode.HTML)
        return
    await d.store.tickets.add_staff_message(ticket.id, staff.full_name, kind, message.text or message.caption)
    if ticket.taken_by is None:
        await _take(context, ticket, staff, tell_parent=False)
    await message.reply_text(texts.REPLY_DELIVERED.format(name=ticket.user_name, ticket_id=ticket.id))


def _chunks(text: str, size: int = 3500) -> list[str]:
    """Telegram takes 4096 characters at most: a long answer goes in several messages, cut at line ends."""
    if len(text) <= size:
        return [text]
    parts, current = [], ""
    for line in text.splitlines(keepends=True):
        while len(line) > size:
            parts.append(current + line[:size - len(current)])
            line, current = line[size - len(current):], ""
        if len(current) + len(line) > size:
            parts.append(current)
            current = ""
        current += line
    return [*parts, current] if current else parts


async def _take(context: Ctx, ticket: Ticket, staff: User, tell_parent: bool) -> Ticket | None:
    d = deps(context)
    taken = await d.store.tickets.take(ticket.id, staff.id, staff.first_name)
    if taken is None:
        return None
    await _refresh_header(context, taken)
    if tell_parent:
        await _tell_parent(context, taken, texts.ticket_taken_notice(taken.id))
    return taken


async def _refresh_header(context: Ctx, ticket: Ticket) -> None:
    d = deps(context)
    if d.staff.chat_id is None or ticket.header_message_id is None:
        return
    first = next(m for m in await d.store.tickets.messages(ticket.id) if m.author == "parent")
    text, markup = _header(ticket, _first_text(first.kind, first.text))
    try:
        await context.bot.edit_message_text(text, d.staff.chat_id, ticket.header_message_id,
                                            parse_mode=ParseMode.HTML, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            log.warning("header of ticket %s not updated: %s", ticket.id, exc)


async def after_unlock(context: Ctx, account_id: int) -> None:
    """Staff lifted a lock: the account's open tickets show the parent's situation as it is now."""
    d = deps(context)
    for ticket in await d.store.tickets.open_tickets():
        if ticket.account_id != account_id:
            continue
        _, _, context_text = await _context(d, ticket.telegram_user_id)
        updated = await d.store.tickets.set_context(ticket.id, context_text)
        if updated is not None:
            await _refresh_header(context, updated)


async def _tell_parent(context: Ctx, ticket: Ticket, text: str) -> None:
    try:
        await context.bot.send_message(ticket.telegram_user_id, text, parse_mode=ParseMode.HTML)
    except (Forbidden, BadRequest):
        log.info("parent of ticket %s unreachable", ticket.id)


async def ticket_button(update: Update, context: Ctx) -> None:
    """"Je m'en occupe" and "Clore" under a ticket, for staff only (checked by the caller)."""
    query, staff = update.callback_query, update.effective_user
    assert query is not None and staff is not None
    parts = (query.data or "").split(":")
    ticket = await deps(context).store.tickets.get(int(parts[2])) if len(parts) == 3 and parts[2].isdigit() else None
    if ticket is None or parts[1] not in ("take", "close"):
        await answer_query(update, texts.STALE_BUTTON)
        return
    if parts[1] == "take":
        taken = await _take(context, ticket, staff, tell_parent=True)
        await answer_query(update, None if taken else texts.ALREADY_CLOSED)
        return
    closed = await deps(context).store.tickets.close(ticket.id, staff.first_name)
    if closed is None:
        await answer_query(update, texts.ALREADY_CLOSED)
        return
    await answer_query(update)
    await _refresh_header(context, closed)
    await _tell_parent(context, closed, texts.ticket_closed_notice(closed.id))


async def list_tickets(update: Update, context: Ctx) -> None:
    tickets = await deps(context).store.tickets.open_tickets()
    if not tickets:
        await send(update, context, texts.NO_OPEN_TICKETS)
        return
    lines = [texts.open_ticket_line(t.id, t.user_name, t.identifier, texts.paris(t.opened_at), t.taken_by_name)
             for t in tickets]
    await send(update, context, texts.open_tickets_list(lines))


# -- background jobs ---------------------------------------------------------------------------------


async def repost_tickets(context: Ctx) -> None:
    """Open tickets the staff group never got (Telegram down at the time): posted now."""
    d = deps(context)
    if d.staff.chat_id is None:
        return
    for ticket in await d.store.tickets.open_tickets():
        if ticket.header_message_id is None:
            await post_ticket(context, ticket)


async def purge_tickets(context: Ctx, retention: timedelta) -> None:
    store = deps(context).store
    before = store.clock.now() - retention
    purged = await store.tickets.purge_closed(before)
    sent = await store.outbox.purge_sent(before)
    log.info("purge: %d closed ticket(s) and %d sent mail(s) older than %d days", purged, sent, retention.days)
