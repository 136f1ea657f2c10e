"""Handles updates of different users concurrently while each user's updates keep their order."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from storage import metering

log = logging.getLogger(__name__)

# Updates of one user taken in and not yet handled: beyond, theirs are dropped until they catch up.
# A parent's album or a few quick messages stay far below; a flood from one account does not.
MAX_QUEUED_PER_USER = 30


def _key(update: object) -> tuple[str, int | None]:
    if isinstance(update, Update):
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
    return ("other", None)


@dataclass
class _Queue:
    """One user's updates: the lock that keeps them in order, how many wait, how many were dropped."""

    lock: asyncio.Lock
    waiting: int = 0
    dropped: int = 0


class PerUserProcessor(BaseUpdateProcessor):
    """A slow step of one parent (Argon2) never holds up another parent's replies.

    PTB's `process_update` takes one of the global slots first and only then runs `do_process_update`;
    with the per-user lock taken in there, one user's hundreds of queued updates held every slot while
    waiting for each other, and everybody else waited behind them. Here a user's update waits on its
    own user's lock first, and takes a global slot only when it is that update's turn.
    """

    def __init__(self, max_concurrent_updates: int = 256, max_queued_per_user: int = MAX_QUEUED_PER_USER) -> None:
        super().__init__(max_concurrent_updates)
        self.max_queued_per_user = max_queued_per_user
        self._queues: dict[tuple[str, int | None], _Queue] = {}
        self._handled: set[int] = set()
        self._handled_order: list[int] = []
        self._changed = asyncio.Condition()

    # PTB marks process_update final; the order of the two waits is the whole point of this class.
    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:  # type: ignore[misc]
        key = _key(update)
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = _Queue(asyncio.Lock())
        if key[0] != "other" and queue.waiting >= self.max_queued_per_user:
            self._drop(key, queue, coroutine)
            await self._mark_handled(update)
            return
        queue.waiting += 1
        try:
            async with queue.lock, self._semaphore:
                await self.do_process_update(update, coroutine)
        finally:
            queue.waiting -= 1
            if queue.waiting == 0:
                del self._queues[key]
                if queue.dropped:
                    log.warning("%s %s caught up; %d update(s) dropped in that burst", key[0], key[1], queue.dropped)
            await self._mark_handled(update)

    def _drop(self, key: tuple[str, int | None], queue: _Queue, coroutine: Awaitable[Any]) -> None:
        """Beyond the cap: the update is not handled; said once per burst, not once per update."""
        if inspect.iscoroutine(coroutine):
            coroutine.close()  # never awaited on purpose
        if queue.dropped == 0:
            log.warning("%s %s has %d updates waiting: dropping the next ones until they are handled",
                        key[0], key[1], queue.waiting)
        queue.dropped += 1

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if metering.ENABLED and isinstance(update, Update):
            metering.count_update()
            metering.CURRENT_UPDATE.set(update.update_id)  # this task's context: the handlers' SQLite calls
        await coroutine

    async def _mark_handled(self, update: object) -> None:
        if not isinstance(update, Update):
            return
        async with self._changed:
            self._handled.add(update.update_id)
            self._handled_order.append(update.update_id)
            if len(self._handled_order) > 10_000:
                for old in self._handled_order[:5_000]:
                    self._handled.discard(old)
                del self._handled_order[:5_000]
            self._changed.notify_all()

    async def wait_handled(self, update_id: int, timeout: float = 30.0) -> None:
        """Returns once the update was handled by every handler, or dropped (what tests wait on)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: update_id in self._handled), timeout)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
