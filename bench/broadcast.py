"""Benchmark: one notice to N subscribers through the sandbox with Telegram's limits on; the worst second and the mean.

Every figure is read from the stand-in's own log of the bot's calls (`Sandbox.calls`: the time each request
was handled there), as Telegram would count them: the worst sliding one-second window, not an average.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx
from sandbox_process import start_sandbox, stop_sandbox

from bot.app import build_application, start_in_loop, stop_in_loop
from bot.processor import PerUserProcessor
from bot.settings import Settings
from sandbox.driver import Sandbox

TELEGRAM_LIMIT = 30  # messages per second to different chats, Telegram's bulk limit
TOKEN = "123456789:BENCH-token-abcdef"
NOTICE = "📣 Bench : réunion d'information jeudi à 18 h, salle polyvalente."
MESSAGES = ("send", "copy", "forward", "edit")  # Bot API methods that make or change a message


def worst_second(times: list[float]) -> tuple[int, float]:
    """The most calls in any sliding window (t - 1, t], and when that window ends."""
    ordered = sorted(times)
    worst, at, first = 0, 0.0, 0
    for last, t in enumerate(ordered):
        while t - ordered[first] >= 1.0:
            first += 1
        if last - first + 1 > worst:
            worst, at = last - first + 1, t
    return worst, at


@dataclass
class Figures:
    subscribers: int
    rate: int  # the configured pace (BROADCAST_RATE)
    elapsed: float  # from the click to the last copy reaching the stand-in
    worst: int  # copies to families in the worst sliding second
    worst_at: float  # seconds after the first copy at which that window ends
    first_second: int  # copies in the first second after the first copy
    first_after: float  # seconds from the click to the first copy
    span: float  # seconds from the first copy to the last
    worst_all: int  # every message the bot sent or edited in the worst sliding second (channel, live count…)
    rate_limited: int  # 429 answers
    duplicates: int
    losses: int
    edits: int  # live count edits for the author

    @property
    def mean(self) -> float:
        return self.subscribers / self.elapsed


def left(database: Path) -> int:
    conn = sqlite3.connect(database)
    n = conn.execute("SELECT COUNT(*) FROM deliveries WHERE state IN ('pending', 'sending')").fetchone()[0]
    conn.close()
    return int(n)


async def raw_capacity(url: str, source_chat: int, source_message: int, chats: list[int]) -> float:
    """How fast the sandbox alone takes copies when nothing paces them (limits off): the ceiling of this machine."""
    async with httpx.AsyncClient(base_url=f"{url}/bot{TOKEN}", timeout=30) as client:
        semaphore = asyncio.Semaphore(5)

        async def one(chat: int) -> None:
            async with semaphore:
                await client.post("/copyMessage", data={"chat_id": chat, "from_chat_id": source_chat,
                                                        "message_id": source_message})

        started = time.perf_counter()
        await asyncio.gather(*(one(c) for c in chats))
        return len(chats) / (time.perf_counter() - started)


async def stall_loop(most: float) -> None:
    """The bot's event loop busy at times, as with parents' updates and hashing beside the broadcast: the jitter."""
    rng = random.Random(16)
    while True:
        await asyncio.sleep(rng.uniform(0.05, 0.4))
        time.sleep(rng.uniform(0, most))  # noqa: ASYNC251 -- blocks the loop on purpose


async def measure(subscribers: int, rate: int | None = None, ceiling: bool = False,
                  stall: float = 0.0) -> tuple[Figures, float | None]:
    """One notice to `subscribers` families, the sandbox in its own process; the figures, and the sandbox's ceiling.

    stall: the bot's event loop is blocked now and then for up to this many seconds.
    """
    tmp = Path(tempfile.mkdtemp(prefix="entbot-bench-"))
    database = tmp / "bench.sqlite3"
    sandbox_proc, url = start_sandbox()
    helper = Sandbox(url)
    secretary = await helper.person("Sylvie")
    families = await helper.people(subscribers)
    channel = await helper.channel("Annonces du collège")
    options: dict[str, object] = {} if rate is None else {"broadcast_rate": rate}
    settings = Settings(token=TOKEN,
                        school_contact_email="secretariat@college-exemple.fr",
                        api_url=f"{url}/bot", database=database, poll_timeout=1,
                        staff_user_ids=frozenset({secretary.user_id}), quiet_hours=None,
                        annonces_channel_id=channel.chat_id, **options)  # type: ignore[arg-type]
    configured = int(getattr(settings, "broadcast_rate", 25))  # main's code before the setting: 25 a second
    app = build_application(settings)
    await start_in_loop(app)
    booted = time.perf_counter()
    processor = app.update_processor
    assert isinstance(processor, PerUserProcessor)
    sandbox = Sandbox(url, waiter=lambda uid: processor.wait_handled(uid, timeout=600))
    secretary.sandbox = sandbox
    conn = sqlite3.connect(database)
    conn.executemany("INSERT INTO subscribers (telegram_user_id, subscribed_at) VALUES (?, '2026-09-01T08:00:00+00:00')",
                     [(uid,) for uid in families])
    conn.executemany("INSERT INTO subscriber_schools (telegram_user_id, uai, changed_at)"
                     " VALUES (?, ?, '2026-09-01T08:00:00+00:00')", [(uid, settings.school_uai) for uid in families])
    conn.commit()
    conn.close()

    await secretary.send("/annonce")
    source = await secretary.send(NOTICE)
    # The pace keeps its slots for the first second after a start (a restart must not burst): a notice
    # published in the bot's first second would measure that second, not the pace.
    await asyncio.sleep(max(0.0, booted + 1.5 - time.perf_counter()))
    await sandbox.rate_limit(True)  # 30/s overall, 1/s per chat, as Telegram
    limited_before = (await sandbox.stats())["rate_limited"]
    _, since = await sandbox.calls()
    staller = asyncio.create_task(stall_loop(stall)) if stall else None
    clicked = time.time()
    started = time.perf_counter()
    await secretary.click("📣 Publier maintenant")
    last_report = started
    while (remaining := left(database)) > 0:
        await asyncio.sleep(0.5)
        if time.perf_counter() - last_report > 30:
            print(f"  … {subscribers - remaining} sent in {time.perf_counter() - started:.0f} s", flush=True)
            last_report = time.perf_counter()
    await asyncio.sleep(1.5)  # the last live count edit
    if staller is not None:
        staller.cancel()
    calls, _ = await sandbox.calls(since)
    stats = await sandbox.stats()
    copies = await sandbox.copies(secretary.chat_id, source)
    await stop_in_loop(app)

    wanted = set(families)
    copy_times = [t for t, method, chat in calls if method == "copyMessage" and chat in wanted]
    sent_times = [t for t, method, _ in calls if method.startswith(MESSAGES)]
    worst, worst_end = worst_second(copy_times)
    first = min(copy_times)
    received = [copies.get(uid, 0) for uid in families]
    figures = Figures(
        subscribers=subscribers, rate=configured, elapsed=max(copy_times) - clicked, worst=worst,
        worst_at=worst_end - first, first_second=sum(1 for t in copy_times if t - first < 1.0),
        first_after=first - clicked, span=max(copy_times) - first,
        worst_all=worst_second(sent_times)[0], rate_limited=stats["rate_limited"] - limited_before,
        duplicates=sum(max(0, n - 1) for n in received), losses=sum(1 for n in received if n == 0),
        edits=sum(1 for _, method, chat in calls if method == "editMessageText" and chat == secretary.chat_id))
    top: float | None = None
    if ceiling:
        await sandbox.rate_limit(False)
        top = await raw_capacity(url, secretary.chat_id, source, await helper.people(1000))
    await sandbox.close()
    await helper.close()
    stop_sandbox(sandbox_proc)
    return figures, top


def report(f: Figures, top: float | None) -> None:
    print(f"subscribers: {f.subscribers}, delivered in {f.elapsed:.1f} s (click to last copy, stand-in's clock)")
    print(f"mean rate: {f.mean:.2f} copies/s = {f.mean / f.rate:.2f} of the configured {f.rate}/s")
    print(f"first copy {f.first_after:.2f} s after the click; then {(f.subscribers - 1) / f.span:.2f} copies/s "
          f"from the first copy to the last")
    print(f"worst sliding 1-s window: {f.worst} copies = {f.worst / f.rate:.2f} of the configured {f.rate}/s, "
          f"{f.worst / TELEGRAM_LIMIT:.2f} of Telegram's {TELEGRAM_LIMIT}/s (window ending {f.worst_at:.1f} s after "
          f"the first copy; {f.first_second} copies in the first second)")
    print(f"worst sliding 1-s window, every message the bot sent or edited (channel post, live count): {f.worst_all}")
    print(f"429 answers: {f.rate_limited}")
    print(f"duplicates: {f.duplicates}, losses: {f.losses}")
    print(f"live count edits for the author: {f.edits} in {f.elapsed:.0f} s")
    if top is not None:
        print(f"sandbox ceiling with no pacing and no limits (1,000 copies): {top:.0f} messages/s")


async def main(subscribers: int, rate: int | None, ceiling: bool, stall: float) -> None:
    report(*await measure(subscribers, rate, ceiling, stall))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=None, help="BROADCAST_RATE (default: the setting's default)")
    parser.add_argument("--no-ceiling", action="store_true", help="skip measuring the sandbox's own ceiling")
    parser.add_argument("--stall", type=float, default=0.0,
                        help="block the bot's event loop now and then for up to this many seconds (jitter)")
    args = parser.parse_args()
    asyncio.run(main(args.subscribers, args.rate, not args.no_ceiling, args.stall))
