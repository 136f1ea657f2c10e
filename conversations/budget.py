"""A per-user budget of hashing steps (answers, passwords): Argon2 is costly, one person must not take it all."""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from conversations import activation, parent, recovery, texts
from conversations.common import delete_secret, deps, send

Ctx = ContextTypes.DEFAULT_TYPE
BUDGET_KEY = "hash_budget"
# Typed answers and passwords checked or hashed for one person in a rolling minute. The whole activation
# takes five; a quick typist retrying refused passwords and then testing the login stays below. Argon2id
# (19 MiB, t=2) at this pace is about a second of one core per person and minute.
HASHES_PER_MINUTE = 20
WINDOW = timedelta(minutes=1)


class HashBudget:
    """The moments of each person's recent hashing steps, forgotten after a minute."""

    def __init__(self, per_window: int = HASHES_PER_MINUTE) -> None:
        self.per_window = per_window
        self._spent: dict[int, deque[datetime]] = {}

    def spend(self, user_id: int, now: datetime) -> bool:
        """Takes one step from the person's budget; False (nothing taken) when it is spent."""
        if len(self._spent) > 10_000:  # people who stopped typing long ago
            self._spent = {u: d for u, d in self._spent.items() if d and now - d[-1] < WINDOW}
        moments = self._spent.setdefault(user_id, deque())
        while moments and now - moments[0] >= WINDOW:
            moments.popleft()
        if len(moments) >= self.per_window:
            return False
        moments.append(now)
        return True


async def _will_hash(update: Update, context: Ctx) -> bool:
    """Whether the parent's saved state checks or hashes what they type (a message to the school has its own limit)."""
    state = await parent.saved_state(update, context)
    return state in recovery.SECRET_STEPS or state in activation.SECRET_STEPS


async def guard(update: Update, context: Ctx) -> None:
    """Runs before the dialogues: past the budget, a polite word, the message (a secret) deleted, the step as it was."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None or chat.type != "private":
        return
    if message.text is None or message.text.startswith("/") or not await _will_hash(update, context):
        return
    budget = context.bot_data.setdefault(BUDGET_KEY, HashBudget())
    assert isinstance(budget, HashBudget)
    if budget.spend(user.id, deps(context).store.clock.now()):
        return
    await delete_secret(update, context)
    await send(update, context, texts.TOO_FAST)
    raise ApplicationHandlerStop
