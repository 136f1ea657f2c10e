"""Who is staff, and of which schools: the users a school's settings name and its staff group's members, asked at every action."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any, cast

from telegram import Update
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from conversations import texts
from conversations.common import School, answer_query, deps, keyboard, send

log = logging.getLogger(__name__)
Ctx = ContextTypes.DEFAULT_TYPE
Handler = Callable[[Update, Ctx], Coroutine[Any, Any, object]]
MEMBER = {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.MEMBER}


async def _member(context: Ctx, chat_id: int, user_id: int) -> bool | None:
    """Whether the user is a member of the group; None when Telegram could not say (a network error, a flood
    wait): refused now, but not remembered as a "no"."""
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except BadRequest as exc:  # Telegram's answer: no such member (or no such group)
        log.info("staff group membership of %s: %s", user_id, exc)
        return False
    except TelegramError as exc:
        log.info("staff group membership of %s unknown: %s", user_id, exc)
        return None
    return member.status in MEMBER or (member.status == ChatMemberStatus.RESTRICTED and bool(getattr(member, "is_member", False)))


async def staff_schools(update: Update, context: Ctx) -> tuple[School, ...]:
    """The schools this person acts for now, asked of Telegram at every command and button: someone who left a
    school's staff group is that school's staff no more.

    In a school's staff group, that school only (a member of two schools acts there for the group's school); in
    private, the schools whose settings name them, and those whose staff group they are a member of."""
    # One update asks once: staff_only, then the command choosing its school, see the same answer (and Telegram is
    # not asked about every group twice). A CallbackContext lives for one update.
    found = vars(context).get(ASKED_KEY)
    if found is None:
        found = await _staff_schools(update, context)
        vars(context)[ASKED_KEY] = found
    return cast(tuple[School, ...], found)


ASKED_KEY = "_staff_schools"


async def _staff_schools(update: Update, context: Ctx) -> tuple[School, ...]:
    user = update.effective_user
    if user is None:
        return ()
    schools = deps(context).schools
    chat = update.effective_chat
    in_group = schools.of_staff_chat(chat.id) if chat is not None and chat.type != "private" else None
    if in_group is not None:
        if user.id in in_group.staff.user_ids or await _member(context, chat.id, user.id):  # type: ignore[union-attr]
            return (in_group,)
        return ()
    named = schools.listing(user.id)
    not_member = _not_member(context, user.id) if schools.several else set()
    others = [s for s in schools.all if s not in named and s.staff.chat_id is not None
              and s.staff.chat_id not in not_member]
    found = await asyncio.gather(*[_member(context, s.staff.chat_id, user.id) for s in others if s.staff.chat_id])
    members = {s.uai for s, yes in zip(others, found, strict=True) if yes}
    if schools.several:
        _remember_not_member(context, user.id, {s.staff.chat_id for s, yes in zip(others, found, strict=True)
                                                if yes is False})
    return tuple(s for s in schools.all if s in named or s.uai in members)


# With many schools, asking in private means asking every other school's staff group: a "no" is kept a while, so
# that a stranger typing staff commands does not cost a call per school each time (nor the bot its Telegram
# budget: 70 schools' groups are asked at most once in this while, 7 calls a minute for a stranger); a "yes" is
# asked again at every action, so someone removed from a group loses its rights at once. Someone just added to a
# group waits this long after a refused try (or acts from the group itself, which is asked at once). Telegram's
# failing to answer is no "no": it is not kept. With one school, nothing is kept.
NOT_MEMBER_FOR = timedelta(minutes=10)
NOT_MEMBER_KEY = "staff_not_member"


def _not_members(context: Ctx) -> dict[int, tuple[datetime, set[int]]]:
    found = context.bot_data.setdefault(NOT_MEMBER_KEY, {})
    assert isinstance(found, dict)
    return found


def _not_member(context: Ctx, user_id: int) -> set[int]:
    kept = _not_members(context).get(user_id)
    if kept is None or kept[0] <= deps(context).store.clock.now():
        return set()
    return kept[1]


def _remember_not_member(context: Ctx, user_id: int, chats: set[int | None]) -> None:
    kept = _not_members(context)
    now = deps(context).store.clock.now()
    if len(kept) > 10_000:  # people who tried once long ago
        for uid in [u for u, (until, _) in kept.items() if until <= now]:
            del kept[uid]
    if chats:
        kept[user_id] = (now + NOT_MEMBER_FOR, _not_member(context, user_id) | {c for c in chats if c is not None})


async def is_staff(update: Update, context: Ctx) -> bool:
    return bool(await staff_schools(update, context))


async def shows_staff_help(update: Update, context: Ctx) -> bool:
    """Whether /aide lists the staff commands. With several schools, without asking every school's group (a
    parent's /aide would cost a call per school): to those the settings name, and in a staff group."""
    user, chat = update.effective_user, update.effective_chat
    schools = deps(context).schools
    if not schools.several:
        return await is_staff(update, context)
    if user is None:
        return False
    in_group = chat is not None and schools.of_staff_chat(chat.id) is not None
    return bool(schools.listing(user.id)) or (in_group and await is_staff(update, context))


# -- a member of several schools picks the one a command is for ----------------------------------------

PICK = re.compile(r"^pick:([a-z_]{1,20}):([0-9]{7}[A-Z])$")


async def school_for(update: Update, context: Ctx, action: str, uai: str | None = None,
                     among: tuple[School, ...] | None = None) -> School | None:
    """The school a staff command is for: the only one they act for, or `uai` when it is one of theirs (a
    `pick:` button's, checked again now); else the buttons to pick one (`pick:<action>:<uai>`), and None.
    `among`: only these schools count (an account's, when the command is about one).

    The caller registers a CallbackQueryHandler for `^pick:<action>:` that calls it again with the pressed UAI."""
    mine = tuple(s for s in await staff_schools(update, context) if among is None or s in among)
    if uai is not None:
        return next((s for s in mine if s.uai == uai), None)
    if len(mine) == 1:
        return mine[0]
    if not mine:
        return None
    rows = [[(s.name, f"pick:{action}:{s.uai}")] for s in mine]
    await send(update, context, texts.PICK_SCHOOL, keyboard(*rows))
    return None


def picked(update: Update, action: str) -> str | None:
    """The UAI a `pick:<action>:<uai>` button carries, or None for another action or a malformed one."""
    query = update.callback_query
    match = PICK.match(query.data or "") if query is not None else None
    return match.group(2) if match is not None and match.group(1) == action else None


def on_pick(action: str, then: Callable[[Update, Ctx, School], Coroutine[Any, Any, object]]) -> Handler:
    """The handler of `pick:<action>:<uai>` buttons: the school checked again (one of theirs now; else a stale
    button), then `then` for it."""

    async def handle(update: Update, context: Ctx) -> None:
        uai = picked(update, action)
        school = await school_for(update, context, action, uai=uai) if uai is not None else None
        if school is None:
            await answer_query(update, texts.STALE_BUTTON)
            return
        await answer_query(update)
        await then(update, context, school)

    return handle


def staff_only(fn: Handler, otherwise: Handler) -> Handler:
    """Staff get `fn`; anyone else gets what an unknown command or an unknown button gets."""

    async def guarded(update: Update, context: Ctx) -> None:
        if await is_staff(update, context):
            await fn(update, context)
        else:
            await otherwise(update, context)

    return guarded
