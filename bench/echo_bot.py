"""A bare python-telegram-bot bot, the benchmark's yardstick: what PTB itself costs per update, with no storage.

A text gets one sendMessage with one inline button; a button press gets answerCallbackQuery and one
editMessageText (with a new button, so that presses can follow each other). A text starting with
`#h<k> ` first does k Argon2 operations on the same pool and parameters as the bot (storage.secrets),
so that the benchmark can measure "a bare PTB bot doing the same Argon2 work".

Run: python bench/echo_bot.py --api-url http://127.0.0.1:PORT/bot --token 123:ABC [--poll-timeout 10]
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from storage.secrets import hash_secret

HASHING = re.compile(r"#h(\d+) ")
PRESS = re.compile(r"p(\d+)")


def button(presses: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data=f"p{presses}")]])


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.message
    if message is None or message.text is None:
        return
    if (hashing := HASHING.match(message.text)) is not None:
        for _ in range(int(hashing.group(1))):
            await hash_secret(message.text)
    await message.reply_text(f"echo {message.text}", reply_markup=button(0), do_quote=False)


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    await query.answer()
    presses = PRESS.fullmatch(query.data)
    count = int(presses.group(1)) if presses else 0
    shown = getattr(query.message, "text", None) or ""
    await query.edit_message_text(f"{shown} · p{count}", reply_markup=button(count + 1))


def build(token: str, api_url: str) -> Application:  # type: ignore[type-arg]
    app = ApplicationBuilder().token(token).base_url(api_url).concurrent_updates(True).build()
    app.add_handler(MessageHandler(filters.TEXT, on_text))
    app.add_handler(CallbackQueryHandler(on_press))
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api-url", required=True, help="the Bot API's base, e.g. http://127.0.0.1:8081/bot")
    parser.add_argument("--token", required=True)
    parser.add_argument("--poll-timeout", type=int, default=10)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = build(args.token, args.api_url)

    async def ready(app: Application) -> None:  # type: ignore[type-arg]
        logging.getLogger("echo_bot").warning("echo bot ready")

    app.post_init = ready
    app.run_polling(allowed_updates=Update.ALL_TYPES, timeout=args.poll_timeout, poll_interval=0.0)


if __name__ == "__main__":
    main()
