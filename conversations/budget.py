"""A per-user budget of hashing steps (answers, passwords): Argon2 is costly, one person must not take it all."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from conversations import activation, parent, recovery, texts
from conversations.common import HASHES_PER_MINUTE, FormMessage, delete_secret, deps, hash_budget, send

Ctx = ContextTypes.DEFAULT_TYPE
__all__ = ["HASHES_PER_MINUTE", "guard"]


async def _will_hash(update: Update, context: Ctx) -> bool:
    """Whether the parent's saved state checks or hashes what they type (a message to the school has its own limit)."""
    state = await parent.saved_state(update, context)
    return state in recovery.SECRET_STEPS or state in activation.SECRET_STEPS


async def guard(update: Update, context: Ctx) -> None:
    """Runs before the dialogues: past the budget, a polite word, the message (a secret) deleted, the step as it was."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None or chat.type != "private":
        return
    # A value from the secure form is never a command, whatever it starts with: it is counted too.
    command = message.text is not None and message.text.startswith("/") and not isinstance(message, FormMessage)
    if message.text is None or command or not await _will_hash(update, context):
        return
    if hash_budget(context).spend(user.id, deps(context).store.clock.now()):
        return
    await delete_secret(update, context)
    await send(update, context, texts.TOO_FAST)
    raise ApplicationHandlerStop
