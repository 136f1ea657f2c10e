"""The staff group's worker: posts the queued tickets and parents' messages, in order, at the group's pace."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque

from telegram import Bot
from telegram.error import BadRequest, RetryAfter

from bot.api_calls import retry_after
from bot.worker import Worker
from conversations import helpdesk
from storage.store import Store

log = logging.getLogger(__name__)

# When nothing is due, look again at least this often (a post queued by another process, say).
IDLE_CHECK = 60.0
# Telegram takes 20 messages a minute in a group; the worker keeps 2 of them for the bot's own words
# to staff there (an answer relayed, a reset done), which are not queued.
GROUP_MESSAGES = 18
GROUP_WINDOW = 60.0


class StaffPoster(Worker):
    """Drains the staff_posts queue, oldest first, at most GROUP_MESSAGES a minute; a restart or a crash loses
    nothing (the queue is in SQLite)."""

    name = "staff_poster"

    def __init__(self, bot: Bot, store: Store, chat_id: int) -> None:
        super().__init__()
        self.bot = bot
        self.store = store
        self.chat_id = chat_id
        self._sent: deque[float] = deque()  # when the last messages went to the group (monotonic seconds)

    async def pace(self) -> None:
        """Waits, before each message to the group, until the last minute holds fewer than GROUP_MESSAGES."""
        while True:
            now = time.monotonic()
            while self._sent and now - self._sent[0] >= GROUP_WINDOW:
                self._sent.popleft()
            if len(self._sent) < GROUP_MESSAGES:
                self._sent.append(now)
                return
            await asyncio.sleep(GROUP_WINDOW - (now - self._sent[0]))

    async def first(self) -> None:
        # At a start everything still queued is tried at once: the group may be back (as the mailer does).
        await self.store.tickets.retry_posts_now()

    async def step(self) -> float:
        waiting: set[int] = set()  # tickets with a post that failed this round: their later posts wait behind it
        for post in await self.store.tickets.due_posts():
            if post.ticket_id in waiting:
                continue
            try:
                await helpdesk.deliver_post(self.bot, self.store, self.chat_id, post, self.pace)
            except RetryAfter as exc:  # the group's flood limit despite the pacing: everything waits
                log.warning("staff group: flood limit, waiting %s s", exc.retry_after)
                await self.store.tickets.post_failed(post, "RetryAfter", refused=False)
                return retry_after(exc)
            except helpdesk.HeaderFirst:
                waiting.add(post.ticket_id)
                await self.store.tickets.post_waits(post)
                continue
            except Exception as exc:  # one post's trouble never stops the others'
                waiting.add(post.ticket_id)
                # Telegram refusing a parent's photo (deleted by its sender) for good: given up after a few tries.
                refused = isinstance(exc, BadRequest) and post.kind == "message"
                # A message its sender deleted will never be found again: no retries to hold the queue with.
                gone = refused and "not found" in str(exc).lower()
                later = await self.store.tickets.post_failed(post, f"{type(exc).__name__}: {exc}", refused, final=gone)
                log.warning("staff group: post %s of ticket %s not sent (%s)%s", post.id, post.ticket_id,
                            type(exc).__name__, "; given up" if later is None else "; tried again later")
                continue
            await self.store.tickets.post_done(post)
        upcoming = await self.store.tickets.next_post_at()
        if upcoming is None:
            return IDLE_CHECK
        return max(0.05, min(IDLE_CHECK, (upcoming - self.store.clock.now()).total_seconds()))
