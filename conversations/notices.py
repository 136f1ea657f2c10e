"""Announcements: parents subscribe; staff write a notice, preview it, publish it now or at a set time."""

from __future__ import annotations

import logging
import re
import unicodedata

from telegram import Bot, InlineKeyboardMarkup, Message, MessageId, Update
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.ext import ApplicationHandlerStop, BaseHandler, CallbackQueryHandler, ContextTypes

from conversations import texts, when
from conversations.common import (
    School,
    Schools,
    answer_query,
    button_id,
    deps,
    edit_or_send,
    family_schools,
    keyboard,
    pressed,
    send,
    user_id,
)
from conversations.roles import Handler, on_pick, school_for, staff_only, staff_schools
from storage.notices import Figures, Notice
from storage.store import Store

log = logging.getLogger(__name__)
Ctx = ContextTypes.DEFAULT_TYPE

MAX_TEXT, MAX_CAPTION = 4096, 1024


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _folded(name: str) -> str:
    """A name as the alphabetical order reads it: without accents nor case (É with the E)."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()


# -- parents: subscribing ------------------------------------------------------------------------------
#
# With one school, one button, as always: `sub:on` / `sub:off`. With several, a family subscribes to each school's
# notices (`sub:on:<uai>` / `sub:off:<uai>`): the family's own schools (its account's) when it is known; before
# that, the school it picks in a list. An old `sub:on` subscribes to the family's schools, or shows the list; an old
# `sub:off` unsubscribes from every school.

SUB = re.compile(r"^sub:(on|off)(?::([0-9]{7}[A-Z]))?$")
SUB_LIST = re.compile(r"^sub:list:([0-9]{1,3})$")
PAGE = 8  # schools per page of the list


async def subscription_rows(context: Ctx, uid: int,
                            family: tuple[School, ...] | None = None) -> list[list[tuple[str, str]]]:
    """The menu's subscription buttons: one with one school; with several, one per school the family is
    subscribed to or belongs to (`family`: its schools, if the caller has them), and the list for a family not yet
    known."""
    d = deps(context)
    if not d.schools.several:
        return [await subscription_row(context, uid)]
    active = set(await d.store.subscribers.schools(uid))
    if family is None:
        family = await family_schools(context, uid)
    rows = []
    for school in d.schools.all:
        if school.uai in active:
            rows.append([(texts.menu_unsubscribe_from(school.name), f"sub:off:{school.uai}")])
        elif school in family:
            rows.append([(texts.menu_subscribe_to(school.name), f"sub:on:{school.uai}")])
    if not family:
        rows.append([(texts.MENU_SUBSCRIBE_OTHER if active else texts.MENU_SUBSCRIBE, "sub:on")])
    return rows


async def subscription_row(context: Ctx, uid: int) -> list[tuple[str, str]]:
    """The one school's button (a single-school deployment)."""
    subscribed = await deps(context).store.subscribers.is_active(uid)
    return [(texts.MENU_UNSUBSCRIBE, "sub:off")] if subscribed else [(texts.MENU_SUBSCRIBE, "sub:on")]


def _school_list(schools: Schools, page: int) -> InlineKeyboardMarkup:
    ordered = sorted(schools.all, key=lambda s: _folded(s.name))
    shown = ordered[page * PAGE:(page + 1) * PAGE]
    rows = [[(s.name, f"sub:on:{s.uai}")] for s in shown]
    turn = ([(texts.SCHOOLS_BEFORE, f"sub:list:{page - 1}")] if page > 0 else []) + \
        ([(texts.SCHOOLS_NEXT, f"sub:list:{page + 1}")] if (page + 1) * PAGE < len(ordered) else [])
    return keyboard(*rows, *([turn] if turn else []), [(texts.BACK, "menu:home")])


async def subscribe(update: Update, context: Ctx) -> None:
    """`sub:on` (the family's schools, or the list) or `sub:on:<uai>` (that school; an unknown UAI is stale)."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    d = deps(context)
    match = SUB.match(query.data or "")
    chosen: tuple[School, ...]
    if match is None or match.group(1) != "on":
        await answer_query(update, texts.STALE_BUTTON)
        return
    if match.group(2) is not None:
        school = d.schools.get(match.group(2))
        if school is None:
            await answer_query(update, texts.STALE_BUTTON)
            return
        chosen = (school,)
    elif not d.schools.several:
        chosen = (d.schools.first,)
    else:
        chosen = await family_schools(context, user.id)
        if not chosen:  # not known yet: it says which school it is
            await answer_query(update)
            await edit_or_send(update, context, texts.SUBSCRIBE_PICK, _school_list(d.schools, 0))
            return
    await answer_query(update)
    await d.store.subscribers.subscribe(user.id, user.first_name, [s.uai for s in chosen])
    if d.schools.several:
        await send(update, context, texts.subscribed_to([(s.name, s.quiet_hours) for s in chosen]))
    else:
        await send(update, context, texts.subscribed(chosen[0].quiet_hours))


async def school_page(update: Update, context: Ctx) -> None:
    """Another page of the schools' list."""
    match = await pressed(update, SUB_LIST)
    if match is None:
        return
    d = deps(context)
    page = int(match.group(1))
    if not d.schools.several or page * PAGE >= len(d.schools.all):
        await answer_query(update, texts.STALE_BUTTON)
        return
    await answer_query(update)
    await edit_or_send(update, context, texts.SUBSCRIBE_PICK, _school_list(d.schools, page))


async def unsubscribe(update: Update, context: Ctx) -> None:
    """`sub:off` (every school's notices) or `sub:off:<uai>` (that school's; an unknown UAI is stale)."""
    query = update.callback_query
    assert query is not None
    d = deps(context)
    match = SUB.match(query.data or "")
    if match is None or match.group(1) != "off":
        await answer_query(update, texts.STALE_BUTTON)
        return
    school = d.schools.get(match.group(2)) if match.group(2) is not None else None
    if match.group(2) is not None and school is None:
        await answer_query(update, texts.STALE_BUTTON)
        return
    await answer_query(update)
    await d.store.subscribers.unsubscribe(user_id(update), "asked", None if school is None else [school.uai])
    await send(update, context, texts.UNSUBSCRIBED if school is None else texts.unsubscribed_from(school.name))


def handlers(unknown_button: Handler) -> list[BaseHandler[Update, Ctx, object]]:
    """Subscribing (anyone), and a staff member of several schools picking the school of /annonce, /annonces."""
    return [CallbackQueryHandler(subscribe, pattern=r"^sub:on(:|$)"),
            CallbackQueryHandler(unsubscribe, pattern=r"^sub:off(:|$)"),
            CallbackQueryHandler(school_page, pattern=r"^sub:list:"),
            # A member of several schools picked one: /annonce or /annonces goes on for it.
            CallbackQueryHandler(staff_only(on_pick("annonce", _begin), unknown_button), pattern=r"^pick:annonce:"),
            CallbackQueryHandler(staff_only(on_pick("annonces", _list), unknown_button), pattern=r"^pick:annonces:")]


# -- staff: writing a notice ---------------------------------------------------------------------------


async def start_notice(update: Update, context: Ctx) -> None:
    """/annonce, from staff (checked by the caller): the next message will be the notice, of their school (a
    member of several schools picks it first)."""
    chat = update.effective_chat
    assert chat is not None
    if chat.type != "private":
        await send(update, context, texts.NOTICE_IN_GROUP)
        return
    school = await school_for(update, context, "annonce")
    if school is not None:
        await _begin(update, context, school)


async def _begin(update: Update, context: Ctx, school: School) -> None:
    user = update.effective_user
    assert user is not None
    await deps(context).store.notices.start(user.id, user.full_name, school.uai)
    await send(update, context, texts.NOTICE_ASK)


def _school(context: Ctx, notice: Notice) -> School | None:
    """The notice's school, as configured now (None: gone from the settings)."""
    return deps(context).schools.get(notice.uai)


async def _staff_of(update: Update, context: Ctx, notice: Notice) -> bool:
    """Whether the person acts now for the notice's school: another school's notice is as an unknown one."""
    return any(s.uai == notice.uai for s in await staff_schools(update, context))


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
    if not await _staff_of(update, context, notice):  # no longer staff of the notice's school
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
    school = _school(context, notice)
    named = d.schools.several and school is not None
    limit = (MAX_TEXT if kind == "text" else MAX_CAPTION) - (texts.notice_from_length(school.name)
                                                             if named and school is not None else 0)
    if body and _utf16(body) > limit:
        await send(update, context, texts.notice_too_long(_utf16(body), limit, caption=kind != "text"))
        return
    summary = (body or {"photo": "photo", "document": "document"}[kind]).strip().replace("\n", " ")
    if named and school is not None:
        # With several schools, the preview names the school, and parents' copies are copies of the preview.
        source_id = await _named_preview(context, message, kind, school)
    else:
        source_id = message.message_id
    saved = await d.store.notices.change(notice.id, ("awaiting",), state="draft", kind=kind, summary=texts.shorten(summary, 60),
                                         source_chat_id=message.chat_id, source_message_id=source_id)
    if saved is None:
        return
    if not named:  # the preview is a copy made the very way parents' copies will be made
        await context.bot.copy_message(message.chat_id, message.chat_id, message.message_id)
    await _show_draft(context, saved, None)


async def _named_preview(context: Ctx, message: Message, kind: str, school: School) -> int:
    """The notice as families will get it, opened by the school's name: the message their copies are made of."""
    head = texts.notice_from(school.name)
    if kind == "text":
        sent: Message | MessageId = await context.bot.send_message(
            message.chat_id, head + message.text_html, parse_mode=ParseMode.HTML, link_preview_options=None)
    else:
        caption = head + message.caption_html if message.caption else head.rstrip()
        sent = await context.bot.copy_message(message.chat_id, message.chat_id, message.message_id, caption=caption,
                                              parse_mode=ParseMode.HTML)
    return sent.message_id


async def _show_draft(context: Ctx, notice: Notice, warning: str | None, uncertain: bool = False) -> None:
    d = deps(context)
    channel, problem = await _channel_check(context, _school(context, notice))
    text = texts.notice_draft(notice.id, await d.store.subscribers.count(notice.uai), channel)
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


async def _channel_check(context: Ctx, school: School | None) -> tuple[str | None, str | None]:
    """The school's channel's title, and why it cannot take the notice if it cannot (told before publishing)."""
    channel_id = school.annonces_channel_id if school is not None else None
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
    school = _school(context, notice)
    quiet = when.in_quiet_hours(moment, school.quiet_hours if school is not None else None)
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
    # A draft is its author's; a scheduled notice may be called off by any staff member of its school. Another
    # school's notice is answered as an unknown one.
    if notice is None or (action != "unschedule" and notice.author_id != user_id(update)) \
            or not await _staff_of(update, context, notice):
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
    school = _school(context, notice)
    channel_id = school.annonces_channel_id if school is not None else None  # its own school's channel only
    if with_channel and channel_id is not None:
        channel_state, error = await post_to_channel(context.bot, d.store, channel_id, notice)
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
    """/annonces: the school's recent notices (a member of several schools picks the school first)."""
    school = await school_for(update, context, "annonces")
    if school is not None:
        await _list(update, context, school)


async def _list(update: Update, context: Ctx, school: School) -> None:
    store = deps(context).store
    notices = await store.notices.recent(school.uai)
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
