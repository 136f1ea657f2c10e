"""The delivery worker: each subscriber's copy of a notice, within Telegram's limits, resumed after a crash."""

from __future__ import annotations

import asyncio
import heapq
import logging
import time as monotonic_time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import time, timedelta
from typing import Any

from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter, ExtBot

from bot.api_calls import note_new_message, retry_after
from bot.worker import Worker
from conversations.when import in_quiet_hours, quiet_end
from storage.notices import Delivery, Figures, Notice
from storage.store import Store

log = logging.getLogger(__name__)

Progress = Callable[[Notice, Figures, bool], Awaitable[None]]  # notice, figures, waiting for quiet hours to end
Scheduled = Callable[[Notice], Awaitable[None]]
QuietHours = Callable[[str], tuple[time, time] | None]  # a school's (by its UAI), None for none

MAX_ATTEMPTS = 8  # network errors on one delivery before it is recorded as failed
IDLE_CHECK = 30.0  # when nothing is under way: a scheduled notice may come due
BATCH = 200  # deliveries read at a time: 8 s of sending, so that reading them again leaves no gap worth counting
MESSAGES = ("send", "copy", "forward", "edit")  # the Bot API methods that count against the bulk limit
CATCH_UP = 4  # starts the even spread may make up after the event loop was busy (0.16 s at 25 a second)
HOLDS_SLOT = True  # rate_limit_args of a call whose caller already took its slot


class Pace:
    """At most `rate` messages in any one second as Telegram receives them, whatever the network's delays.

    There are `rate` slots. A send takes one when it starts and frees it one second after its answer came
    back (not after it started). Telegram received the request before it answered, so two sends on the
    same slot reach Telegram more than a second apart, and no second there holds more than `rate` of
    them: a late request cannot bunch with the next ones, as it can with a token bucket or a fixed
    interval. The cost is one round trip per slot per second (25 slots, 20 ms answers: 24.5 a second).
    Starts are also spread 1/rate apart, so that a second's sends do not all leave at its beginning.
    A request given up without an answer (a timeout) is taken to have arrived by then.
    """

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.interval = 1.0 / rate
        now = monotonic_time.monotonic()
        # Every slot starts one second ahead: a bot restarted at once cannot add a second's worth of sends
        # to what the stopped one sent in its last second.
        self._free_at = [now + 1.0] * rate  # a heap: when each slot not in use may be taken again
        self._next_start = now
        self._turn = asyncio.Lock()  # first come, first served
        self._freed = asyncio.Event()
        self.paused_until = 0.0

    def pause(self, seconds: float) -> None:
        """Telegram said 429: nothing starts before `seconds` from now."""
        self.paused_until = max(self.paused_until, monotonic_time.monotonic() + seconds)

    def charge(self, sends: int) -> None:
        """`sends` made outside the pace, their answers back: each holds a free slot for the coming second."""
        now = monotonic_time.monotonic()
        for _ in range(min(sends, len(self._free_at))):
            heapq.heapreplace(self._free_at, max(self._free_at[0], now + 1.0))

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Held around one request, from before it is sent until its answer (or its error) is back."""
        await self._take()
        try:
            yield
        finally:
            heapq.heappush(self._free_at, monotonic_time.monotonic() + 1.0)
            self._freed.set()

    async def _take(self) -> None:
        async with self._turn:
            while True:
                if not self._free_at:  # every slot is on a request still waiting for its answer
                    self._freed.clear()
                    await self._freed.wait()
                    continue
                now = monotonic_time.monotonic()
                ready = max(self._free_at[0], self._next_start, self.paused_until)
                if ready > now:
                    await asyncio.sleep(ready - now)
                    continue  # a pause may have come meanwhile
                heapq.heappop(self._free_at)
                # A start made late (the loop was busy) may be caught up, up to CATCH_UP intervals: the pace keeps
                # its average through the bot's own jitter, and the slots still bound every second.
                self._next_start = max(self._next_start, now - CATCH_UP * self.interval) + self.interval
                return


class PacedLimiter(BaseRateLimiter[bool]):
    """PTB's rate limiter hook for the worker's own Bot: each message it sends or edits takes a slot of the pace.

    The live count and a scheduled notice's channel post go through it; a family's copy takes its slot
    before its delivery is claimed, and says so (rate_limit_args=HOLDS_SLOT). A 429 pauses the whole pace.
    """

    def __init__(self, pace: Pace, max_retries: int = 3, latest: dict[int, int] | None = None) -> None:
        self.pace = pace
        self.max_retries = max_retries
        # A family's copy is the newest message of its chat: a dialogue's prompt above it is not edited in place.
        self.latest: dict[int, int] = {} if latest is None else latest

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def process_request(self, callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
                              args: Any, kwargs: dict[str, Any], endpoint: str, data: dict[str, Any],
                              rate_limit_args: bool | None) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if rate_limit_args or not endpoint.startswith(MESSAGES):
            result = await callback(*args, **kwargs)
            note_new_message(self.latest, endpoint, result)
            return result
        attempt = 0
        while True:
            try:
                async with self.pace.slot():
                    result = await callback(*args, **kwargs)
                note_new_message(self.latest, endpoint, result)
                return result
            except RetryAfter as exc:
                attempt += 1
                if attempt > self.max_retries:
                    raise
                self.pace.pause(retry_after(exc))


class Broadcaster(Worker):
    """Copies each pending delivery within the pace (`Pace`), and never two to one chat within a second.

    One pace for the whole token, shared fairly between schools: each batch takes the schools' deliveries in
    turns, and a notice published while a batch is under way cuts that batch short (after the sends already
    waiting for their slot), so that it joins the turns within a second or so rather than after the batch.
    """

    name = "broadcaster"

    def __init__(self, bot: ExtBot[bool], pace: Pace, store: Store, quiet: QuietHours,
                 on_progress: Progress, on_scheduled: Scheduled, progress_every: float = 3.0) -> None:
        super().__init__()
        self.bot, self.pace, self.store, self.quiet = bot, pace, store, quiet
        self.on_progress, self.on_scheduled = on_progress, on_scheduled
        self.progress_every = progress_every
        self._last_to_chat: dict[int, float] = {}
        self._last_progress: dict[int, float] = {}
        self._fresh = False  # a notice was published since the batch under way was read

    def published(self) -> None:
        """The author's click published a notice: wakes the worker, and counts what the click sent.

        The channel post and the live count's first edit were made by the click, not through the pace;
        their answers are back, so each takes a slot for the coming second as a copy would have.
        """
        self.pace.charge(2)
        self._fresh = True
        self.wake()

    async def first(self) -> None:
        resent = await self.store.deliveries.in_doubt_to_pending()
        if resent:
            log.warning("%d delivery(ies) were on their way when the bot stopped: sent again", resent)

    async def step(self) -> float:
        """One round: notices that came due, then a batch of deliveries; returns how long to rest."""
        self._fresh = False
        for notice in await self.store.notices.due_scheduled():
            await self.on_scheduled(notice)
        publishing = await self.store.notices.in_state("publishing")
        if not publishing:
            return IDLE_CHECK
        now = self.store.clock.now()
        rest = IDLE_CHECK
        sending: list[Notice] = []
        for notice in publishing:  # each school's own quiet hours
            quiet = self.quiet(notice.uai)
            if quiet is not None and in_quiet_hours(now, quiet):
                await self._progress(notice.id, quiet=True, force=False)
                rest = min(rest, (quiet_end(now, quiet) - now).total_seconds())
            else:
                sending.append(notice)
        if not sending:
            return rest
        schools = sorted({n.uai for n in sending})
        batch = self._one_per_chat(await self.store.deliveries.due(limit=BATCH, uais=schools))
        # As many at once as there are slots: enough to keep the pace, and the author's live count, which
        # takes its slot in the same queue, waits behind one second of copies at most, not the whole batch.
        semaphore = asyncio.Semaphore(self.pace.rate)

        async def one(delivery: Delivery) -> None:
            async with semaphore:
                if self._fresh:  # a new notice takes its turn from the next batch; this one stays pending
                    return
                await self._deliver(delivery)

        await asyncio.gather(*(one(d) for d in batch))
        for notice in sending:
            done = await self.store.notices.finish_if_complete(notice.id)
            await self._progress(notice.id, quiet=False, force=done)
        if batch:
            return 0.0
        upcoming = await self.store.deliveries.next_attempt(schools)
        return rest if upcoming is None else min(rest, max(0.05, (upcoming - now).total_seconds()))

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

    async def _deliver(self, d: Delivery) -> None:
        deliveries = self.store.deliveries
        error: TelegramError | None = None
        # The slot first, then the claim: a delivery waiting for its turn (or for a 429's pause) stays
        # pending, and a crash meanwhile cannot count it as on its way.
        async with self.pace.slot():
            if not await deliveries.claim(d):
                return
            try:
                await self.bot.copy_message(d.telegram_user_id, d.source_chat_id, d.source_message_id,
                                            rate_limit_args=HOLDS_SLOT)
            except TelegramError as exc:
                error = exc
            finally:
                # From the answer, as the slot: the next copy to this chat reaches Telegram a second after this one.
                self._last_to_chat[d.telegram_user_id] = monotonic_time.monotonic()
        if error is None:
            await deliveries.sent(d)
        elif isinstance(error, RetryAfter):
            self.pace.pause(retry_after(error))
            log.info("broadcast paused %.1f s: Telegram asked to slow down (429)", retry_after(error))
            await deliveries.later(d, "429", self.store.clock.now())
        elif isinstance(error, Forbidden):
            await deliveries.failed(d, "blocked")
            await self.store.subscribers.unsubscribe(d.telegram_user_id, "blocked")  # every school's
        elif isinstance(error, BadRequest):
            text = str(error).lower()
            reason = "deleted" if "copy" in text else "chat_not_found" if "chat" in text else str(error)
            await deliveries.failed(d, reason[:200])
            if reason == "chat_not_found":
                await self.store.subscribers.unsubscribe(d.telegram_user_id, reason)
        else:  # 5xx, timeouts (NetworkError and the rest): later, each time waiting longer
            if d.attempts + 1 >= MAX_ATTEMPTS:
                await deliveries.failed(d, "network")
            else:
                wait = timedelta(seconds=min(300, 2 ** (d.attempts + 1)))
                await deliveries.later(d, "network", self.store.clock.now() + wait)
                log.info("delivery of notice %s to %s retried in %s: %s", d.notice_id, d.telegram_user_id, wait, error)
        await self._progress(d.notice_id, quiet=False, force=False)

    async def _progress(self, notice_id: int, quiet: bool, force: bool) -> None:
        """The author's live count, edited every few seconds at most."""
        now = monotonic_time.monotonic()
        if not force and now - self._last_progress.get(notice_id, -1e9) < self.progress_every:
            return
        self._last_progress[notice_id] = now
        fresh = await self.store.notices.get(notice_id)
        if fresh is None:
            return
        try:  # through the worker's Bot: each edit takes a slot of the pace, as a copy does
            await self.on_progress(fresh, await self.store.notices.figures(notice_id), quiet)
        except TelegramError as exc:  # the count is shown again at the next one; the copies go on
            log.info("live count of notice %s not shown: %s", notice_id, exc)
