"""The staff groups' worker: posts the queued tickets and parents' messages, in order, to each school's group."""

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
from conversations.common import Schools
from storage.store import Store
from storage.tickets import StaffPost

log = logging.getLogger(__name__)

# When nothing is due, look again at least this often (a post queued by another process, say).
IDLE_CHECK = 60.0
# Telegram takes 20 messages a minute in a group; the worker keeps 2 of them for the bot's own words
# to staff there (an answer relayed, a reset done), which are not queued.
GROUP_MESSAGES = 18
GROUP_WINDOW = 60.0


class StaffPoster(Worker):
    """Drains the staff_posts queue, oldest first, each ticket's posts to its school's staff group, at most
    GROUP_MESSAGES a minute per group (Telegram's limit is per chat: a busy school's group never slows another's);
    a restart or a crash loses nothing (the queue is in SQLite)."""

    name = "staff_poster"

    def __init__(self, bot: Bot, store: Store, schools: Schools) -> None:
        super().__init__()
        self.bot = bot
        self.store = store
        self.schools = schools
        self.groups = {s.staff.chat_id for s in schools.all if s.staff.chat_id is not None}  # fixed while it runs
        self._sent: dict[int, deque[float]] = {}  # per group, when the last messages went (monotonic seconds)
        self._blocked: dict[int, float] = {}  # per group, until when Telegram asked to wait (a 429)

    def _wait(self, chat_id: int) -> float:
        """Seconds until the group can take one more message (0: now)."""
        now = time.monotonic()
        sent = self._sent.setdefault(chat_id, deque())
        while sent and now - sent[0] >= GROUP_WINDOW:
            sent.popleft()
        full = GROUP_WINDOW - (now - sent[0]) if len(sent) >= GROUP_MESSAGES else 0.0
        return max(full, self._blocked.get(chat_id, now) - now, 0.0)

    async def pace(self, chat_id: int) -> None:
        """Waits, before each message to the group, until its last minute holds fewer than GROUP_MESSAGES."""
        while True:
            wait = self._wait(chat_id)
            if wait <= 0:
                self._sent[chat_id].append(time.monotonic())
                return
            await asyncio.sleep(wait)

    async def first(self) -> None:
        # At a start everything still queued is tried at once: the group may be back (as the mailer does).
        await self.store.tickets.retry_posts_now()

    def _full(self) -> dict[int, float]:
        return {chat: wait for chat in self.groups if (wait := self._wait(chat)) > 0}

    async def step(self) -> float:
        full = self._full()
        if self.groups and set(full) == self.groups:
            return max(0.05, min(full.values()))
        # A full group's schools are not even read: their posts wait, the others' go (one school's flood of
        # tickets costs the others nothing).
        skip = {s.uai for s in self.schools.all if s.staff.chat_id in full}
        by_chat: dict[int, list[StaffPost]] = {}
        for post in await self.store.tickets.due_posts(skip=skip):
            school = self.schools.owning(post.uai)
            if school is None or school.staff.chat_id is None:  # its school left the configuration, or its group
                await self.store.tickets.post_failed(post, "no staff group for this ticket's school", refused=True,
                                                     final=True)
                log.warning("staff group: post %s of ticket %s given up: its school has no staff group",
                            post.id, post.ticket_id)
                continue
            if school.staff.chat_id not in full:
                by_chat.setdefault(school.staff.chat_id, []).append(post)
        await asyncio.gather(*(self._drain(chat_id, posts) for chat_id, posts in by_chat.items()))
        full = self._full()
        skip = {s.uai for s in self.schools.all if s.staff.chat_id in full}
        waits = list(full.values())
        upcoming = await self.store.tickets.next_post_at(skip=skip)
        if upcoming is not None:
            waits.append((upcoming - self.store.clock.now()).total_seconds())
        if not waits:
            return IDLE_CHECK
        return max(0.05, min(IDLE_CHECK, *waits))

    async def _drain(self, chat_id: int, posts: list[StaffPost]) -> None:
        """One group's due posts, in order, while the group has room; the rest wait for the next round."""
        waiting: set[int] = set()  # tickets with a post that failed this round: their later posts wait behind it

        async def pace() -> None:
            await self.pace(chat_id)

        for post in posts:
            if post.ticket_id in waiting:
                continue
            if self._wait(chat_id) > 0:
                return  # the group's minute is full: the next round, when it has room
            try:
                await helpdesk.deliver_post(self.bot, self.store, chat_id, post, pace)
            except RetryAfter as exc:  # the group's flood limit despite the pacing: this group waits
                seconds = retry_after(exc)
                log.warning("staff group %s: flood limit, waiting %s s", chat_id, seconds)
                self._blocked[chat_id] = time.monotonic() + seconds
                await self.store.tickets.post_failed(post, "RetryAfter", refused=False)
                return
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
