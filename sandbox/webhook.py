"""Telegram's side of a webhook: each pending update POSTed to the bot's URL with its secret, again until a 2xx."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram waits some time for an answer, then counts the delivery as failed and tries again later.
ANSWER_TIMEOUT = 60.0
# Telegram backs off much longer; the sandbox retries within a second, so that a test sees the redelivery.
FIRST_RETRY, LAST_RETRY = 0.1, 1.0


@dataclass
class Target:
    """What setWebhook stored."""

    url: str
    secret: str | None
    allowed_updates: list[str] = field(default_factory=list)  # empty: every kind but a few, as Telegram's default
    max_connections: int = 40


class World(Protocol):
    """What the deliverer reads and changes of sandbox/world.py's World (which imports this module)."""

    updates: list[dict[str, Any]]
    webhook: Target | None
    webhook_error: tuple[int, str] | None

    def now(self) -> int: ...

    async def notify(self, chat_id: int | None = None) -> None: ...


def sender_of(update: dict[str, Any]) -> int | None:
    """Whose update it is: Telegram delivers one person's updates one after the other, never two at once."""
    for kind, payload in update.items():
        if kind == "update_id" or not isinstance(payload, dict):
            continue
        sender = payload.get("from") or (payload.get("chat") or {})
        uid = sender.get("id")
        return int(uid) if isinstance(uid, int) else None
    return None


def kind_of(update: dict[str, Any]) -> str:
    return next((k for k in update if k != "update_id"), "")


class Deliverer:
    """POSTs the world's pending updates, oldest first, at most max_connections at once and one per person."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.attempts = 0  # every POST tried
        self.tries: dict[int, int] = {}  # update_id -> POSTs of it: what a test reads to see a redelivery
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._posting: dict[int, asyncio.Task[None]] = {}  # update_id -> its POST under way
        self._failures: dict[int, int] = {}  # update_id -> failed deliveries in a row
        self._retry_at: dict[int, float] = {}  # update_id -> time.monotonic() of its next try

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        self.poke()

    def poke(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._posting.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task, self._posting = None, {}
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            self._dispatch()
            now = time.monotonic()
            waits = [at - now for uid, at in self._retry_at.items() if uid not in self._posting]
            try:
                await asyncio.wait_for(self._wake.wait(), max(min(waits), 0.01) if waits else None)
            except TimeoutError:
                pass

    def _dispatch(self) -> None:
        target = self.world.webhook
        if target is None:
            return
        if target.allowed_updates:  # what the bot did not ask for is never sent (Telegram drops it)
            self.world.updates = [u for u in self.world.updates if kind_of(u) in target.allowed_updates]
        now = time.monotonic()
        turns: set[int | None] = set()
        for update in self.world.updates:
            uid, sender = int(update["update_id"]), sender_of(update)
            if sender is not None:
                if sender in turns:
                    continue  # an earlier update of this person is still to be delivered
                turns.add(sender)
            if uid in self._posting or self._retry_at.get(uid, 0) > now:
                continue
            if len(self._posting) >= target.max_connections:
                return
            self._posting[uid] = asyncio.get_running_loop().create_task(self._post(update, target))

    async def _post(self, update: dict[str, Any], target: Target) -> None:
        uid = int(update["update_id"])
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {SECRET_HEADER: target.secret} if target.secret else {}
        self.attempts += 1
        self.tries[uid] = self.tries.get(uid, 0) + 1
        error: str | None = None
        try:
            async with self._session.post(target.url, json=update, headers=headers,
                                          timeout=aiohttp.ClientTimeout(total=ANSWER_TIMEOUT)) as response:
                await response.read()
                if not 200 <= response.status < 300:
                    error = f"Wrong response from the webhook: {response.status} {response.reason}"
        except TimeoutError:
            error = "Read timeout expired"
        except (aiohttp.ClientError, OSError) as exc:
            error = f"Connection failed: {type(exc).__name__}"
        finally:
            self._posting.pop(uid, None)
        if error is None:
            self.world.updates = [u for u in self.world.updates if u["update_id"] != uid]
            self._failures.pop(uid, None)
            self._retry_at.pop(uid, None)
        else:
            self.world.webhook_error = (self.world.now(), error)
            failures = self._failures[uid] = self._failures.get(uid, 0) + 1
            self._retry_at[uid] = time.monotonic() + min(FIRST_RETRY * 2 ** (failures - 1), LAST_RETRY)
        self.poke()
        await self.world.notify()
