"""A background task of the bot: woken when there is work, resting between rounds, stopped with the bot."""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger(__name__)

ERROR_REST = 5.0  # after an unexpected error, the next round comes this many seconds later


class Worker:
    """Runs `step()` again and again; `wake()` cuts its rest short (something was queued, or time moved)."""

    name = "worker"

    def __init__(self) -> None:
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def first(self) -> None:
        """Done once, before the first round."""

    async def step(self) -> float:
        """One round of work; returns how many seconds to rest before the next."""
        raise NotImplementedError

    async def _run(self) -> None:
        await self.first()
        while True:
            # Cleared before the round, so that a wake-up during the round is not lost.
            self._wake.clear()
            try:
                delay = await self.step()
            except Exception:  # a worker outlives a hiccup (database busy, server down); it tries again
                log.exception("%s: unexpected error", self.name)
                delay = ERROR_REST
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=delay)
