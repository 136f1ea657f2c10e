"""The language a family reads: its stored choice, else its Telegram app's language when offered, else French."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from i18n import SHIPPED, SOURCE, from_telegram, set_current


async def apply(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs first for every update: the texts read while handling it are in this person's language."""
    if not isinstance(update, Update) or update.effective_user is None:
        return
    chat = update.effective_chat
    if chat is not None and chat.type != chat.PRIVATE:
        return  # groups and channels are the staff's and the school's: French
    set_current(from_telegram(update.effective_user.language_code, SHIPPED) or SOURCE)
