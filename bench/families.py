"""The simulated families of the benchmarks: each a sandbox person walking a script of steps, timed from outside.

A step is a text to send or a button to press, and the screen the family knows will follow (a text on a
bot's message, a button). After each step the family waits for that screen with the sandbox's per-chat
long-poll, so that hundreds of families never wake each other. A step's reply latency runs from just
before the family sends to the sandbox's time of the bot's last call on that chat before the screen was
seen: what Telegram would have shown, not when this (busy) process got round to looking.
"""

from __future__ import annotations

import asyncio
import bisect
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp

from conversations import texts
from conversations.texts import question
from sandbox.driver import Sandbox, SandboxError

# Replies that refuse a step and change nothing (the Argon2 queue full, the directory down): the family,
# as the reply asks, sends the same again after a pause. The bot's error message ends the family.
REFUSALS = tuple(text[:50] for text in (getattr(texts, "BUSY", ""), texts.DIRECTORY_DOWN) if text)


class StepFailed(Exception):
    """A family could not go on: the screen it expected never came, or the button it wanted is not there."""


@dataclass(frozen=True)
class ChatState:
    messages: list[dict[str, Any]]
    seq: int  # how many calls of the bot touched this chat
    changed_at: float | None  # time.time() of the last of them, as the sandbox recorded it


class Client(Sandbox):
    """The families' side of the sandbox's control API (`sandbox.driver.Sandbox`), on one HTTP session with no
    cap on connections: aiohttp's default of 100 would queue the 101st family's long-poll behind the others.
    """

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                                  timeout=aiohttp.ClientTimeout(total=None, sock_connect=30))
        return self._session

    async def send(self, user_id: int, text: str) -> int:
        """Sends a text in the person's chat with the bot; returns the update's id."""
        data = await self._post("send", {"user_id": user_id, "chat_id": user_id, "kind": "text", "text": text})
        return int(data["update_id"])

    async def click(self, user_id: int, message_id: int, data: str) -> int:
        found = await self._post("click", {"user_id": user_id, "chat_id": user_id, "message_id": message_id, "data": data})
        return int(found["update_id"])

    async def chat(self, chat_id: int) -> ChatState:
        data = await self._get(f"chats/{chat_id}")
        return ChatState(data["messages"], int(data["chat_seq"]), data.get("changed_at"))

    async def call_counts(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in (await self.stats())["calls"].items()}


@dataclass(frozen=True)
class Screen:
    """What a family knows it will see: one of the bot's messages holding all these texts, and this button."""

    texts: tuple[str, ...] = ()
    button: str | None = None

    def shown(self, messages: list[dict[str, Any]]) -> bool:
        for m in messages:
            if not m["from_bot"] or not all(t in m["text"] for t in self.texts):
                continue
            if self.button is None or any(b["text"] == self.button for row in m["buttons"] for b in row):
                return True
        return False

    def __str__(self) -> str:
        wanted = [repr(t) for t in self.texts] + ([f"button {self.button!r}"] if self.button else [])
        return " and ".join(wanted)


@dataclass(frozen=True)
class Step:
    name: str
    kind: Literal["text", "click"]
    payload: str  # the text sent, or the label of the button pressed
    expect: Screen
    hashes: int = 0  # Argon2 operations the bot does for this step


PASSWORD = "Bench-Mot2passe!"


def identifier(n: int) -> str:
    return f"bench.{n:05d}"


def provisional(n: int) -> str:
    return f"Prov-{n:05d}a"


def activation_script(n: int, token: str | None = None) -> list[Step]:
    """Family n's activation, as bench/activation.py has always walked it; from its letter if given its token.

    Argon2 per step (conversations/activation.py): the provisional password verified, each answer hashed,
    the new password verified against the provisional one then hashed, its confirmation verified.
    """
    q1, q2 = question(n % 8 + 1), question((n + 1) % 8 + 1)  # both on the first page of questions
    accept = "✅ J'ai lu et j'accepte"
    if token is not None:
        start = [Step("/start <token>", "text", f"/start {token}", Screen(button=accept))]
    else:
        start = [
            Step("/start", "text", "/start", Screen(button="🔑 Activer mon compte")),
            Step("activate", "click", "🔑 Activer mon compte", Screen(button="👪 Élève ou parent")),
            Step("profile", "click", "👪 Élève ou parent", Screen(texts=("Tapez l'identifiant",))),
            Step("identifier", "text", identifier(n), Screen(texts=("mot de passe provisoire",), button="↩ Retour")),
            Step("provisional password", "text", provisional(n), Screen(button=accept), hashes=1),
        ]
    return [
        *start,
        Step("accept CGU", "click", accept, Screen(button="⏭ Passer (recommandé)")),
        Step("skip e-mail", "click", "⏭ Passer (recommandé)", Screen(texts=("Première question secrète",), button=q1)),
        Step("question 1", "click", q1, Screen(texts=("Première question secrète", "Tapez votre réponse"))),
        Step("answer 1", "text", "réponse une", Screen(texts=("Seconde question secrète",), button=q2), hashes=1),
        Step("question 2", "click", q2, Screen(texts=("Seconde question secrète", "Tapez votre réponse"))),
        Step("answer 2", "text", "réponse deux", Screen(texts=("Votre mot de passe", "Tapez-le")), hashes=1),
        Step("password", "text", PASSWORD, Screen(texts=("une seconde fois",)), hashes=2),
        Step("confirmation", "text", PASSWORD, Screen(texts=("Compte activé",)), hashes=1),
    ]


def echo_script(steps: Sequence[Step], argon2: bool) -> list[Step]:
    """The same number and mix of texts and presses for bench/echo_bot.py; with `argon2`, the same hashing too."""
    if steps and steps[0].kind != "text":
        raise ValueError("an echo script starts with a text: there is no button to press before")
    echoed: list[Step] = []
    shown, presses = "", 0
    for i, step in enumerate(steps):
        if step.kind == "text":
            text = f"#h{step.hashes} [s{i}]" if argon2 and step.hashes else f"[s{i}]"
            shown, presses = f"echo {text}", 0
            echoed.append(Step(step.name, "text", text, Screen(texts=(shown,)), step.hashes))
        else:
            shown, presses = f"{shown} · p{presses}", presses + 1
            echoed.append(Step(step.name, "click", "OK", Screen(texts=(shown,)), step.hashes))
    return echoed


@dataclass(frozen=True)
class StepRecord:
    family: int
    step: str
    hashes: int
    update_id: int
    sent_at: float  # time.time() just before the family sent
    shown_at: float  # the sandbox's time of the bot's last call on the chat when the screen was seen
    seen_at: float  # when this process saw it

    @property
    def latency(self) -> float:
        return self.shown_at - self.sent_at


@dataclass
class FamilyResult:
    family: int
    user_id: int
    records: list[StepRecord] = field(default_factory=list)
    sent: int = 0  # updates sent, the failed step's and the refused ones included
    refusals: int = 0  # steps the bot refused (busy, directory down) and the family sent again
    done: bool = False
    error: str | None = None


def _button(messages: list[dict[str, Any]], label: str) -> tuple[int, str] | None:
    """The latest message showing a button `label`: its id and the button's callback data."""
    for m in reversed(messages):
        for row in m["buttons"]:
            for b in row:
                if b["text"] == label and "callback_data" in b:
                    return int(m["message_id"]), str(b["callback_data"])
    return None


def _last_text(messages: list[dict[str, Any]]) -> str:
    bot = [m for m in messages if m["from_bot"]]
    if not bot:
        return "(nothing from the bot)"
    m = bot[-1]
    buttons = " ".join(f"[{b['text']}]" for row in m["buttons"] for b in row)
    return f"{m['text'][:160]} {buttons}".replace("\n", " ")


async def _until_shown(client: Client, chat_id: int, seq: int, screen: Screen, deadline: float,
                       known: set[int]) -> tuple[ChatState, bool]:
    """Waits for `screen`; returns the chat, and whether a new message of the bot refused the step instead."""
    last: ChatState | None = None
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            shown = _last_text(last.messages) if last else "(no change in the chat)"
            raise StepFailed(f"waited for {screen}; the bot's last message: {shown}")
        new_seq = await client.wait_change(seq, min(left, 30.0), chat_id=chat_id)
        if new_seq <= seq:
            continue
        last = await client.chat(chat_id)
        seq = last.seq
        if screen.shown(last.messages):
            return last, False
        for m in last.messages:
            if m["from_bot"] and m["message_id"] not in known:
                if m["text"].startswith(REFUSALS):
                    return last, True
                if m["text"] == texts.ERROR:
                    raise StepFailed(f"the bot answered with its error message while the family waited for {screen}")


async def walk(client: Client, family: int, user_id: int, steps: Sequence[Step], think: tuple[float, float],
               rng: random.Random, step_timeout: float, retry_after: float = 10.0, max_refusals: int = 10) -> FamilyResult:
    """One family through its steps, thinking `think` seconds (uniform) between them.

    A step the bot refuses (busy, directory down) is sent again after `retry_after` s; only the answered
    attempt's latency is recorded, the refusals are counted.
    """
    result = FamilyResult(family, user_id)
    messages: list[dict[str, Any]] = []
    seq = 0
    for i, step in enumerate(steps):
        if i and think[1] > 0:
            await asyncio.sleep(rng.uniform(*think))
        try:
            while True:
                if step.kind == "text":
                    sent_at = time.time()
                    update_id = await client.send(user_id, step.payload)
                else:
                    target = _button(messages, step.payload)
                    if target is None:
                        raise StepFailed(f"no button {step.payload!r}; the bot's last message: {_last_text(messages)}")
                    sent_at = time.time()
                    update_id = await client.click(user_id, *target)
                result.sent += 1
                known = {int(m["message_id"]) for m in messages}
                state, refused = await _until_shown(client, user_id, seq, step.expect, time.monotonic() + step_timeout,
                                                    known)
                messages, seq = state.messages, state.seq
                if not refused:
                    break
                result.refusals += 1
                if result.refusals > max_refusals:
                    raise StepFailed(f"refused {result.refusals} times: {_last_text(messages)}")
                await asyncio.sleep(retry_after)
        except (StepFailed, SandboxError) as exc:  # SandboxError: the sandbox refused the send or the click
            result.error = f"step {step.name!r}: {exc}"
            return result
        seen_at = time.time()
        result.records.append(StepRecord(family, step.name, step.hashes, update_id, sent_at,
                                         state.changed_at if state.changed_at is not None else seen_at, seen_at))
    result.done = True
    return result


def arrival_times(rate: float, duration: float, kind: str, rng: random.Random) -> list[float]:
    """Offsets (s) at which families arrive: every 1/rate s (even), or a Poisson process of that rate."""
    if rate <= 0:
        return []
    if kind == "even":
        return [i / rate for i in range(max(1, round(rate * duration)))]
    times, t = [], rng.expovariate(rate)
    while t < duration:
        times.append(t)
        t += rng.expovariate(rate)
    return times


async def run_families(client: Client, user_ids: Sequence[int], scripts: Sequence[Sequence[Step]],
                       arrivals: Sequence[float], think: tuple[float, float], seed: int,
                       step_timeout: float, retry_after: float = 10.0) -> list[FamilyResult]:
    """Open loop: family i starts at arrivals[i] s whatever the others are doing (all at 0: a burst)."""
    started = time.monotonic()
    tasks: list[asyncio.Task[FamilyResult]] = []
    for i, at in enumerate(arrivals):
        delay = started + at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        rng = random.Random(seed * 100_003 + i)
        tasks.append(asyncio.create_task(walk(client, i, user_ids[i], scripts[i], think, rng, step_timeout, retry_after)))
    return list(await asyncio.gather(*tasks))


def calls_per_step(results: Sequence[FamilyResult], calls: Sequence[tuple[float, str, int | None]]) -> dict[str, list[int]]:
    """Per step name, the Bot API calls on the family's chat between its update and its next one, per occurrence."""
    by_chat: dict[int, list[float]] = {}
    for t, _, chat in calls:
        if chat is not None:
            by_chat.setdefault(chat, []).append(t)
    for times in by_chat.values():
        times.sort()
    counts: dict[str, list[int]] = {}
    for result in results:
        times = by_chat.get(result.user_id, [])
        records = result.records
        for i, record in enumerate(records):
            end = records[i + 1].sent_at if i + 1 < len(records) else float("inf")
            n = bisect.bisect_left(times, end) - bisect.bisect_left(times, record.sent_at)
            counts.setdefault(record.step, []).append(n)
    return counts
