"""The language a family reads: its stored choice, else its Telegram app's language when offered, else French."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from conversations.common import Deps
from i18n import SHIPPED, SOURCE, from_telegram, set_current


async def apply(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs first for every update: the texts read while handling it are in this person's language."""
    if not isinstance(update, Update) or update.effective_user is None:
        return
    chat = update.effective_chat
    if chat is not None and chat.type != chat.PRIVATE:
        return  # groups and channels are the staff's and the school's: French
    set_current(from_telegram(update.effective_user.language_code, SHIPPED) or SOURCE)


async def family_language(d: Deps, telegram_user_id: int) -> str:
    """The language of a family, for what the bot sends it outside its own update (a staff reply, a ticket taken
    or closed): sent inside `with i18n.using(await family_language(d, uid)):`.

    Until the family's stored choice (/langue) is read here: the language it read the bot in when it last wrote
    to its school, else French.
    """
    return await d.store.tickets.latest_language(telegram_user_id) or SOURCE
