"""The delivery worker: each subscriber's copy of a notice, within Telegram's limits, resumed after a crash."""

from __future__ import annotations

import asyncio
import logging
import time as monotonic_time
from collections.abc import Awaitable, Callable
from datetime import time, timedelta

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.worker import Worker
from conversations.when import in_quiet_hours, quiet_end
from storage.notices import Delivery, Figures, Notice
from storage.store import Store

log = logging.getLogger(__name__)

Progress = Callable[[Notice, Figures, bool], Awaitable[None]]  # notice, figures, waiting for quiet hours to end
Scheduled = Callable[[Notice], Awaitable[None]]

MAX_ATTEMPTS = 8  # network errors on one delivery before it is recorded as failed
IDLE_CHECK = 30.0  # when nothing is under way: a scheduled notice may come due
BATCH = 200  # deliveries read at a time: 8 s of sending, so that reading them again leaves no gap worth counting


def _retry_after(exc: RetryAfter) -> float:
    value: object = exc.retry_after  # a timedelta (PTB_TIMEDELTA, see bot/__init__.py), or seconds
    return value.total_seconds() if isinstance(value, timedelta) else float(value)  # type: ignore[arg-type]


class Broadcaster(Worker):
    """Copies each pending delivery at an even pace, at most `rate` per second and one per chat per second."""

    name = "broadcaster"

    def __init__(self, bot: Bot, store: Store, quiet: tuple[time, time] | None, on_progress: Progress,
                 on_scheduled: Scheduled, rate: float = 25.0, concurrency: int = 5,
                 progress_every: float = 3.0) -> None:
        super().__init__()
        self.bot, self.store, self.quiet = bot, store, quiet
        self.on_progress, self.on_scheduled = on_progress, on_scheduled
        self.interval = 1.0 / rate
        self.concurrency = concurrency
        self.progress_every = progress_every
        self._pace = asyncio.Lock()
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._last_to_chat: dict[int, float] = {}
        self._last_progress: dict[int, float] = {}

    async def first(self) -> None:
        resent = await self.store.deliveries.in_doubt_to_pending()
        if resent:
            log.warning("%d delivery(ies) were on their way when the bot stopped: sent again", resent)

    async def step(self) -> float:
        """One round: notices that came due, then a batch of deliveries; returns how long to rest."""
        for notice in await self.store.notices.due_scheduled():
            await self.on_scheduled(notice)
        publishing = await self.store.notices.in_state("publishing")
        if not publishing:
            return IDLE_CHECK
        now = self.store.clock.now()
        if self.quiet is not None and in_quiet_hours(now, self.quiet):
            for notice in publishing:
                await self._progress(notice.id, quiet=True, force=False)
            return min(IDLE_CHECK, (quiet_end(now, self.quiet) - now).total_seconds())
        batch = self._one_per_chat(await self.store.deliveries.due(limit=BATCH))
        if batch:
            semaphore = asyncio.Semaphore(self.concurrency)

            async def one(delivery: Delivery) -> None:
                async with semaphore:
                    await self._deliver(delivery)

            await asyncio.gather(*(one(d) for d in batch))
        for notice in publishing:
            done = await self.store.notices.finish_if_complete(notice.id)
            await self._progress(notice.id, quiet=False, force=done)
        pause = self._paused_until - monotonic_time.monotonic()
        if pause > 0:
            # Nothing is on its way now: every request made has its answer recorded.
            log.info("broadcast paused %.1f s: Telegram asked to slow down (429)", pause)
            await asyncio.sleep(pause)
            return 0.0
        if batch:
            return 0.0
        upcoming = await self.store.deliveries.next_attempt()
        return IDLE_CHECK if upcoming is None else max(0.05, (upcoming - now).total_seconds())

    def _one_per_chat(self, due: list[Delivery]) -> list[Delivery]:
        """At most one message per chat per second, even when two notices go out together."""
        now = monotonic_time.monotonic()
        seen: set[int] = set()
        batch = []
        for d in due:
            if d.telegram_user_id in seen or now - self._last_to_chat.get(d.telegram_user_id, -10.0) < 1.0:
                continue
            seen.add(d.telegram_user_id)
            batch.append(d)
        if len(self._last_to_chat) > 50_000:
            self._last_to_chat = {k: v for k, v in self._last_to_chat.items() if now - v < 1.0}
        return batch

    async def _slot(self) -> bool:
        """Waits for this send's turn in an even pace; False if Telegram asked to pause meanwhile."""
        async with self._pace:
            now = monotonic_time.monotonic()
            if self._paused_until > now:
                return False
            if self._next_slot > now:
                await asyncio.sleep(self._next_slot - now)
            # A send that came late may catch up by two slots, no more: the pace stays even, below 30/s.
            self._next_slot = max(monotonic_time.monotonic() - 2 * self.interval, self._next_slot) + self.interval
            return self._paused_until <= monotonic_time.monotonic()

    async def _deliver(self, d: Delivery) -> None:
        if not await self._slot():
            return  # stays pending: sent after the pause
        deliveries = self.store.deliveries
        if not await deliveries.claim(d):
            return
        self._last_to_chat[d.telegram_user_id] = monotonic_time.monotonic()
        try:
            await self.bot.copy_message(d.telegram_user_id, d.source_chat_id, d.source_message_id)
        except RetryAfter as exc:
            self._paused_until = max(self._paused_until, monotonic_time.monotonic() + _retry_after(exc))
            await deliveries.later(d, "429", self.store.clock.now())
        except Forbidden:
            await deliveries.failed(d, "blocked")
            await self.store.subscribers.unsubscribe(d.telegram_user_id, "blocked")
        except BadRequest as exc:
            reason = "deleted" if "copy" in str(exc).lower() else "chat_not_found" if "chat" in str(exc).lower() else str(exc)
            await deliveries.failed(d, reason[:200])
            if reason == "chat_not_found":
                await self.store.subscribers.unsubscribe(d.telegram_user_id, reason)
        except (NetworkError, TelegramError) as exc:  # 5xx, timeouts: later, each time waiting longer
            if d.attempts + 1 >= MAX_ATTEMPTS:
                await deliveries.failed(d, "network")
            else:
                wait = timedelta(seconds=min(300, 2 ** (d.attempts + 1)))
                await deliveries.later(d, "network", self.store.clock.now() + wait)
                log.info("delivery of notice %s to %s retried in %s: %s", d.notice_id, d.telegram_user_id, wait, exc)
        else:
            await deliveries.sent(d)
        await self._progress(d.notice_id, quiet=False, force=False)

    async def _progress(self, notice_id: int, quiet: bool, force: bool) -> None:
        """The author's live count, edited every few seconds at most."""
        now = monotonic_time.monotonic()
        if not force and now - self._last_progress.get(notice_id, -1e9) < self.progress_every:
            return
        self._last_progress[notice_id] = now
        fresh = await self.store.notices.get(notice_id)
        if fresh is not None:
            await self.on_progress(fresh, await self.store.notices.figures(notice_id), quiet)
