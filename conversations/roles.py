"""Who is staff: the users named in the settings and the members of the staff group, asked at every action."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from conversations.common import deps

log = logging.getLogger(__name__)
Ctx = ContextTypes.DEFAULT_TYPE
Handler = Callable[[Update, Ctx], Coroutine[Any, Any, object]]
MEMBER = {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.MEMBER}


async def is_staff(update: Update, context: Ctx) -> bool:
    """Asked of Telegram at every command and button: someone who left the staff group is staff no more."""
    user = update.effective_user
    if user is None:
        return False
    staff = deps(context).staff
    if user.id in staff.user_ids:
        return True
    if staff.chat_id is None:
        return False
    try:
        member = await context.bot.get_chat_member(staff.chat_id, user.id)
    except TelegramError as exc:
        log.info("staff group membership of %s unknown: %s", user.id, exc)
        return False
    return member.status in MEMBER or (member.status == ChatMemberStatus.RESTRICTED and bool(getattr(member, "is_member", False)))


def staff_only(fn: Handler, otherwise: Handler) -> Handler:
    """Staff get `fn`; anyone else gets what an unknown command or an unknown button gets."""

    async def guarded(update: Update, context: Ctx) -> None:
        if await is_staff(update, context):
            await fn(update, context)
        else:
            await otherwise(update, context)

    return guarded
