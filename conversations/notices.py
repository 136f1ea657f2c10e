"""Announcements: parents subscribe; staff write a notice, preview it, publish it now or at a set time."""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from conversations import texts, when
from conversations.common import answer_query, button_id, deps, edit_or_send, keyboard, send, user_id
from conversations.roles import is_staff
from storage.notices import Figures, Notice
from storage.store import Store

log = logging.getLogger(__name__)
Ctx = ContextTypes.DEFAULT_TYPE

MAX_TEXT, MAX_CAPTION = 4096, 1024


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# -- parents: subscribing ------------------------------------------------------------------------------


async def subscription_row(context: Ctx, uid: int) -> list[tuple[str, str]]:
    subscribed = await deps(context).store.subscribers.is_active(uid)
    return [(texts.MENU_UNSUBSCRIBE, "sub:off")] if subscribed else [(texts.MENU_SUBSCRIBE, "sub:on")]


async def subscribe(update: Update, context: Ctx) -> None:
    await answer_query(update)
    user = update.effective_user
    assert user is not None
    await deps(context).store.subscribers.subscribe(user.id, user.first_name)
    await send(update, context, texts.subscribed(deps(context).quiet_hours))


async def unsubscribe(update: Update, context: Ctx) -> None:
    await answer_query(update)
    await deps(context).store.subscribers.unsubscribe(user_id(update), "asked")
    await send(update, context, texts.UNSUBSCRIBED)


# -- staff: writing a notice ---------------------------------------------------------------------------


async def start_notice(update: Update, context: Ctx) -> None:
    """/annonce, from staff (checked by the caller): the next message will be the notice."""
    chat = update.effective_chat
    user = update.effective_user
    assert chat is not None and user is not None
    if chat.type != "private":
        await send(update, context, texts.NOTICE_IN_GROUP)
        return
    await deps(context).store.notices.start(user.id, user.full_name)
    await send(update, context, texts.NOTICE_ASK)


async def catch_typed(update: Update, context: Ctx) -> None:
    """Runs before every dialogue: what an author types while a notice waits for it is the notice's.

    Anyone else's message goes on to the dialogues untouched.
    """
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or update.effective_chat is None or update.effective_chat.type != "private":
        return
    store = deps(context).store
    notice = await store.notices.being_written(user.id)
    if notice is None:
        return
    if message.text is not None and message.text.startswith("/"):
        if message.text.split()[0].split("@")[0] == "/annuler":
            await store.notices.change(notice.id, ("awaiting", "asking_time"), state="cancelled")
            await send(update, context, texts.NOTICE_CANCELLED)
            raise ApplicationHandlerStop
        return  # another command: the notice keeps waiting
    if not await is_staff(update, context):
        await store.notices.change(notice.id, ("awaiting", "asking_time"), state="cancelled")
        return
    if notice.state == "awaiting":
        await _content(update, context, notice, message)
    else:
        await _time_typed(update, context, notice, message)
    raise ApplicationHandlerStop


async def _content(update: Update, context: Ctx, notice: Notice, message: Message) -> None:
    d = deps(context)
    kind = "photo" if message.photo else "document" if message.document else "text" if message.text is not None else None
    if kind is None:
        await send(update, context, texts.NOTICE_UNSUPPORTED)
        return
    body = message.text if kind == "text" else message.caption
    if kind == "text" and not (body or "").strip():
        await send(update, context, texts.NOTICE_EMPTY)
        return
    limit = MAX_TEXT if kind == "text" else MAX_CAPTION
    if body and _utf16(body) > limit:
        await send(update, context, texts.notice_too_long(_utf16(body), limit, caption=kind != "text"))
        return
    summary = (body or {"photo": "photo", "document": "document"}[kind]).strip().replace("\n", " ")
    saved = await d.store.notices.change(notice.id, ("awaiting",), state="draft", kind=kind, summary=texts.shorten(summary, 60),
                                         source_chat_id=message.chat_id, source_message_id=message.message_id)
    if saved is None:
        return
    # The preview is a copy made the very way parents' copies will be made.
    await context.bot.copy_message(message.chat_id, message.chat_id, message.message_id)
    await _show_draft(context, saved, None)


async def _show_draft(context: Ctx, notice: Notice, warning: str | None, uncertain: bool = False) -> None:
    d = deps(context)
    channel, problem = await _channel_check(context)
    text = texts.notice_draft(notice.id, await d.store.subscribers.count(), channel)
    if problem and not warning:
        text += "\n\n" + texts.channel_warning(problem)
    buttons: list[list[tuple[str, str]]]
    if warning and uncertain:  # only the author can look at the channel: they say whether it is there
        text = f"{warning}\n\n{text}"
        buttons = [[(texts.CHANNEL_THERE_BUTTON, f"notice:channel_there:{notice.id}")],
                   [(texts.CHANNEL_AGAIN_BUTTON, f"notice:channel_again:{notice.id}")],
                   [(texts.CANCEL_NOTICE_BUTTON, f"notice:cancel:{notice.id}")]]
    elif warning:
        text = f"{warning}\n\n{text}"
        buttons = [[(texts.PARENTS_ONLY_BUTTON, f"notice:parents_only:{notice.id}")],
                   [(texts.CANCEL_NOTICE_BUTTON, f"notice:cancel:{notice.id}")]]
    else:
        buttons = [[(texts.PUBLISH_BUTTON, f"notice:publish:{notice.id}")],
                   [(texts.SCHEDULE_BUTTON, f"notice:schedule:{notice.id}")],
                   [(texts.CANCEL_NOTICE_BUTTON, f"notice:cancel:{notice.id}")]]
    await _control(context, notice, text, keyboard(*buttons), new=warning is None)


async def _channel_check(context: Ctx) -> tuple[str | None, str | None]:
    """The channel's title, and why it cannot take the notice if it cannot (told before publishing)."""
    channel_id = deps(context).annonces_channel_id
    if channel_id is None:
        return None, None
    try:
        chat = await context.bot.get_chat(channel_id)
        member = await context.bot.get_chat_member(channel_id, context.bot.id)
    except TelegramError as exc:
        return str(channel_id), str(exc)
    if member.status != ChatMemberStatus.ADMINISTRATOR or not getattr(member, "can_post_messages", False):
        return chat.title or str(channel_id), texts.NOT_CHANNEL_ADMIN
    return chat.title or str(channel_id), None


async def _control(context: Ctx, notice: Notice, text: str, markup: InlineKeyboardMarkup | None,
                   new: bool = False) -> None:
    """The message under the preview that carries the buttons, then the live count: edited, or sent anew."""
    await show_control(context.bot, deps(context).store, notice, text, markup, new)


async def show_control(bot: Bot, store: Store, notice: Notice, text: str, markup: InlineKeyboardMarkup | None,
                       new: bool = False) -> None:
    if not new and notice.control_message_id is not None:
        try:
            await bot.edit_message_text(text, notice.author_id, notice.control_message_id, parse_mode=ParseMode.HTML,
                                        reply_markup=markup)
            return
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return
            log.info("control message of notice %s not edited: %s", notice.id, exc)
    try:
        sent = await bot.send_message(notice.author_id, text, parse_mode=ParseMode.HTML, reply_markup=markup)
    except Forbidden:
        log.info("author of notice %s unreachable", notice.id)
        return
    await store.notices.set_control(notice.id, sent.message_id)


async def _time_typed(update: Update, context: Ctx, notice: Notice, message: Message) -> None:
    d = deps(context)
    if message.text is None:
        await send(update, context, texts.NOTICE_TIME_UNREADABLE)
        return
    now = d.store.clock.now()
    moment = when.parse(message.text, now, texts.PARIS)
    if moment is None:
        await send(update, context, texts.NOTICE_TIME_UNREADABLE)
        return
    if moment <= now:
        await send(update, context, texts.NOTICE_TIME_PAST.format(when=moment.strftime(texts.WHEN)))
        return
    saved = await d.store.notices.change(notice.id, ("asking_time",), state="scheduled", scheduled_at=moment)
    if saved is None:
        return
    quiet = when.in_quiet_hours(moment, d.quiet_hours)
    await _control(context, saved, texts.notice_scheduled(saved.id, moment.strftime(texts.WHEN), quiet),
                   keyboard([(texts.UNSCHEDULE_BUTTON, f"notice:unschedule:{saved.id}")]), new=True)


# -- staff: the buttons under a notice ------------------------------------------------------------------


async def notice_button(update: Update, context: Ctx) -> None:
    query = update.callback_query
    assert query is not None
    parts = (query.data or "").split(":")
    d = deps(context)
    number = button_id(parts[2]) if len(parts) == 3 else None
    notice = await d.store.notices.get(number) if number is not None else None
    action = parts[1]
    # A draft is its author's; a scheduled notice may be called off by any staff member.
    if notice is None or (action != "unschedule" and notice.author_id != user_id(update)):
        await answer_query(update, texts.STALE_BUTTON)
        return
    if action == "cancel":
        done = await d.store.notices.change(notice.id, ("awaiting", "draft", "asking_time"), state="cancelled")
        await answer_query(update, None if done else texts.NOTICE_STALE)
        if done:
            await edit_or_send(update, context, texts.NOTICE_CANCELLED)
    elif action == "unschedule":
        done = await d.store.notices.change(notice.id, ("scheduled",), state="cancelled")
        await answer_query(update, None if done else texts.NOTICE_STALE)
        if done:
            await edit_or_send(update, context, texts.NOTICE_UNSCHEDULED.format(notice_id=notice.id))
    elif action == "schedule":
        asking = await d.store.notices.change(notice.id, ("draft",), state="asking_time")
        await answer_query(update, None if asking else texts.NOTICE_STALE)
        if asking:
            await _control(context, asking, texts.NOTICE_ASK_TIME,
                           keyboard([(texts.CANCEL_NOTICE_BUTTON, f"notice:cancel:{notice.id}")]))
    elif action in ("publish", "parents_only"):
        await answer_query(update)
        await publish_now(context, notice, with_channel=action == "publish")
    elif action in ("channel_there", "channel_again") and notice.channel_intent == "posting":
        await answer_query(update)
        # The author looked at the channel: it has the notice (posted, once), or it has not (posted again).
        await d.store.notices.channel_outcome(notice.id, posted=action == "channel_there")
        await publish_now(context, notice, with_channel=True)
    else:
        await answer_query(update, texts.STALE_BUTTON)


async def publish_now(context: Ctx, notice: Notice, with_channel: bool) -> None:
    """The channel first: if it cannot take the notice, nothing goes to parents and the author chooses."""
    d = deps(context)
    if notice.state != "draft":
        await _control(context, notice, texts.NOTICE_STALE, None)
        return
    channel_state, error = "none", None
    if with_channel and d.annonces_channel_id is not None:
        channel_state, error = await post_to_channel(context.bot, d.store, d.annonces_channel_id, notice)
        if channel_state == "failed":
            await _show_draft(context, notice, texts.channel_unreachable(error or ""))
            return
        if channel_state == "unknown":
            await _show_draft(context, notice, texts.CHANNEL_UNCERTAIN, uncertain=True)
            return
    published = await d.store.notices.publish(notice.id, ("draft",), channel_state, error)
    if published is None:
        await _control(context, notice, texts.NOTICE_STALE, None)
        return
    await show_progress(context.bot, d.store, published, await d.store.notices.figures(notice.id), None)
    d.wake_broadcaster()


# Telegram answered, and said no: nothing was posted, so trying again cannot make a second copy.
_REFUSED = (BadRequest, Forbidden, RetryAfter, ChatMigrated, InvalidToken)


async def post_to_channel(bot: Bot, store: Store, channel_id: int, notice: Notice) -> tuple[str, str | None]:
    """Posts the notice to the channel at most once, whatever the retries, double clicks and restarts.

    The intent is recorded before the request, as deliveries are. Returns ('sent', None), ('failed', why)
    when Telegram refused (nothing posted: it may be tried again), or ('unknown', why) when a request went
    out and its answer was lost (a network fault, a crash): the notice may be in the channel, and is
    never posted again without the author saying it is not there.
    """
    assert notice.source_chat_id is not None and notice.source_message_id is not None
    claim = await store.notices.claim_channel_post(notice.id)
    if claim == "posted":
        return "sent", None
    if claim == "posting":
        return "unknown", None
    try:
        await bot.copy_message(channel_id, notice.source_chat_id, notice.source_message_id)
    except _REFUSED as exc:
        log.warning("notice %s refused by the channel: %s", notice.id, exc)
        await store.notices.channel_outcome(notice.id, posted=False)
        return "failed", str(exc)
    except TelegramError as exc:
        log.warning("notice %s: the channel's answer was lost, it may have the post: %s", notice.id, exc)
        return "unknown", str(exc)
    await store.notices.channel_outcome(notice.id, posted=True)
    return "sent", None


async def show_progress(bot: Bot, store: Store, notice: Notice, figures: Figures, quiet_until: str | None) -> None:
    done = notice.state == "done"
    text = texts.notice_progress(notice.id, figures.sent, figures.failed, figures.left, figures.reasons,
                                 notice.channel_state, quiet_until, done)
    await show_control(bot, store, notice, text, None)


async def publish_scheduled(bot: Bot, store: Store, channel_id: int | None, notice: Notice) -> None:
    """A scheduled notice came due: the channel, then every subscriber; the author is told of a channel failure."""
    channel_state, error = "none", None
    if channel_id is not None:
        channel_state, error = await post_to_channel(bot, store, channel_id, notice)
        if channel_state == "unknown":  # nobody to ask at this hour: families get it, the author checks the channel
            channel_state, error = "failed", texts.CHANNEL_UNCERTAIN_REASON
    published = await store.notices.publish(notice.id, ("scheduled",), channel_state, error)
    if published is None:
        return
    if channel_state == "failed":
        try:
            await bot.send_message(notice.author_id, texts.scheduled_channel_failed(notice.id, error or ""),
                                   parse_mode=ParseMode.HTML)
        except Forbidden:
            log.info("author of notice %s unreachable", notice.id)
    await show_progress(bot, store, published, await store.notices.figures(notice.id), None)


# -- staff: following up ----------------------------------------------------------------------------------


async def list_notices(update: Update, context: Ctx) -> None:
    store = deps(context).store
    notices = await store.notices.recent()
    if not notices:
        await send(update, context, texts.NO_NOTICES)
        return
    lines, buttons = [], []
    for n in notices:
        moment = n.scheduled_at if n.state in ("scheduled", "cancelled") else n.published_at
        figures = ""
        if n.state in ("publishing", "done"):
            f = await store.notices.figures(n.id)
            figures = texts.notice_figures(f.sent, f.failed, f.left)
        shown = texts.paris(moment, texts.WHEN) if moment else ""
        lines.append(texts.notice_line(n.id, n.summary or "", n.state, shown, figures))
        if n.state == "scheduled":
            buttons.append([(texts.cancel_scheduled_button(n.id), f"notice:unschedule:{n.id}")])
    await send(update, context, texts.notices_list(lines), keyboard(*buttons) if buttons else None)
