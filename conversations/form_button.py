"""The secure form's button on a secret step's prompt: a fresh single-use link to that step's page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo
from telegram.ext import ContextTypes

from conversations import form_texts
from conversations.common import Keyboard, deps
from i18n import current

FORM_KEY = "secure_form"  # bot_data: the FormLinks when WEBAPP_URL is set; absent, no button anywhere
LINK_VALIDITY = timedelta(minutes=15)


@dataclass(frozen=True)
class FormLinks:
    """Where the form is served (WEBAPP_URL, no trailing slash) and how long a page's link works."""

    base_url: str
    validity: timedelta = LINK_VALIDITY

    def page(self, token: str) -> str:
        return f"{self.base_url}/form?t={quote(token)}"


def links(context: ContextTypes.DEFAULT_TYPE) -> FormLinks | None:
    found = context.bot_data.get(FORM_KEY)
    return found if isinstance(found, FormLinks) else None


async def offer(context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int, step: str, text: str,
                markup: Keyboard) -> tuple[str, Keyboard]:
    """The prompt with the form's button first and a line saying it is the safer way; unchanged when the form is off.

    Each prompt mints its own link (the earlier ones of this person stop working): an old page cannot
    answer a newer step. The link keeps the family's language, that of this update: the page's own requests are
    no Telegram update and carry none the family chose.
    """
    form = links(context)
    if form is None or chat_id != user_id:  # Mini App buttons exist in private chats only
        return text, markup
    token = await deps(context).store.form_tokens.mint(user_id, chat_id, step, form.validity, language=current())
    button = InlineKeyboardButton(form_texts.BUTTON, web_app=WebAppInfo(form.page(token)))
    rows = [[button], *(markup.inline_keyboard if markup is not None else ())]
    return f"{text}\n\n{form_texts.HINT}", InlineKeyboardMarkup(rows)
