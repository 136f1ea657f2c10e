"""Benchmark: one notice to N subscribers through the sandbox with Telegram's limits on, against the allowed 30/s."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx
from sandbox_process import start_sandbox, stop_sandbox

from bot.app import build_application, start_in_loop, stop_in_loop
from bot.processor import PerUserProcessor
from bot.settings import Settings
from sandbox.driver import Sandbox

ALLOWED = 30.0  # messages per second overall, Telegram's limit for bots
TOKEN = "123456789:BENCH-token-abcdef"
NOTICE = "📣 Bench : réunion d'information jeudi à 18 h, salle polyvalente."


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


async def main(subscribers: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="entbot-bench-"))
    database = tmp / "bench.sqlite3"
    sandbox_proc, url = start_sandbox()
    helper = Sandbox(url)
    secretary = await helper.person("Sylvie")
    families = await helper.people(subscribers)
    settings = Settings(token=TOKEN,
                        school_contact_email="secretariat@college-exemple.fr",
                        api_url=f"{url}/bot", database=database, poll_timeout=1,
                        staff_user_ids=frozenset({secretary.user_id}), quiet_hours=None)
    app = build_application(settings)
    await start_in_loop(app)
    processor = app.update_processor
    assert isinstance(processor, PerUserProcessor)
    sandbox = Sandbox(url, waiter=lambda uid: processor.wait_handled(uid, timeout=600))
    secretary.sandbox = sandbox
    conn = sqlite3.connect(database)
    conn.executemany("INSERT INTO subscribers (telegram_user_id, subscribed_at) VALUES (?, '2026-09-01T08:00:00+00:00')",
                     [(uid,) for uid in families])
    conn.commit()
    conn.close()

    await secretary.send("/annonce")
    source = await secretary.send(NOTICE)
    await sandbox.rate_limit(True)  # 30/s overall, 1/s per chat, as Telegram
    edits_before = (await sandbox.stats())["calls"].get("editMessageText", 0)
    started = time.perf_counter()
    await secretary.click("📣 Publier maintenant")
    last_report = started
    while (remaining := left(database)) > 0:
        await asyncio.sleep(0.5)
        if time.perf_counter() - last_report > 30:
            done = subscribers - remaining
            print(f"  … {done} sent in {time.perf_counter() - started:.0f} s", flush=True)
            last_report = time.perf_counter()
    elapsed = time.perf_counter() - started
    stats = await sandbox.stats()
    copies = await sandbox.copies(secretary.chat_id, source)
    edits = stats["calls"].get("editMessageText", 0) - edits_before
    await stop_in_loop(app)

    received = [copies.get(uid, 0) for uid in families]
    duplicates = sum(max(0, n - 1) for n in received)
    losses = sum(1 for n in received if n == 0)
    rate = subscribers / elapsed
    await sandbox.rate_limit(False)
    extra = await helper.people(1000)
    ceiling = await raw_capacity(url, secretary.chat_id, source, extra)
    await sandbox.close()
    await helper.close()
    stop_sandbox(sandbox_proc)

    print(f"subscribers: {subscribers}, delivered in {elapsed:.1f} s")
    print(f"achieved rate: {rate:.2f} messages/s = {rate / ALLOWED:.2f} of the allowed {ALLOWED:.0f}/s")
    print(f"429 answers: {stats['rate_limited']}")
    print(f"duplicates: {duplicates}, losses: {losses}")
    print(f"live count edits for the author: {edits} in {elapsed:.0f} s (one every {elapsed / max(edits, 1):.1f} s)")
    print(f"sandbox ceiling with no pacing and no limits (1,000 copies): {ceiling:.0f} messages/s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=10_000)
    asyncio.run(main(parser.parse_args().subscribers))
