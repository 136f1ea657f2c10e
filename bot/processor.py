"""Handles updates of different users concurrently while each user's updates keep their order."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def _key(update: object) -> object:
    if isinstance(update, Update):
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
    return ("other", None)


class PerUserProcessor(BaseUpdateProcessor):
    """A slow step of one parent (Argon2) never holds up another parent's replies."""

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[object, tuple[asyncio.Lock, int]] = {}
        self._handled: set[int] = set()
        self._handled_order: list[int] = []
        self._changed = asyncio.Condition()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _key(update)
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)
            await self._mark_handled(update)

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
        """Returns once the update was handled by every handler (what tests wait on)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: update_id in self._handled), timeout)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
