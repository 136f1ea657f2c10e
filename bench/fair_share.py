"""Benchmark: one pace shared fairly between schools. How long a school's small notice takes when another school's
big notice went out a second before it, against the same small notice alone, in the same run.

Two collèges in one deployment (SCHOOLS_FILE's shape, built in memory), the sandbox in its own process with
Telegram's limits on (30/s overall, 1/s per chat). Every time is read from the stand-in's own log of the bot's
calls: from the author's click to the last family's copy reaching the stand-in.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox_process import start_sandbox, stop_sandbox

from bot.app import build_application, start_in_loop, stop_in_loop
from bot.processor import PerUserProcessor
from bot.settings import Settings
from conversations.common import School, StaffConfig
from sandbox.driver import Person, Sandbox

TOKEN = "123456789:BENCH-token-abcdef"
BIG_UAI, SMALL_UAI = "0371122U", "0370994E"
AT = "2026-09-01T08:00:00+00:00"


@dataclass
class Run:
    small_delay: float  # the small notice: click to its last copy
    small_first: float  # the small notice: click to its first copy
    big_elapsed: float | None  # the big notice: click to its last copy (None: no big notice in this run)
    big_before_small_done: int  # the big notice's copies sent before the small notice's last one
    duplicates: int
    losses: int


def left(database: Path, notice_id: int) -> int:
    conn = sqlite3.connect(database)
    n = conn.execute("SELECT COUNT(*) FROM deliveries WHERE notice_id = ? AND state IN ('pending', 'sending')",
                     (notice_id,)).fetchone()[0]
    conn.close()
    return int(n)


def source_of(database: Path, notice_id: int) -> int:
    conn = sqlite3.connect(database)
    n = conn.execute("SELECT source_message_id FROM notices WHERE id = ?", (notice_id,)).fetchone()[0]
    conn.close()
    return int(n)


async def until_done(database: Path, notice_id: int) -> None:
    while True:
        if left(database, notice_id) == 0:
            return
        await asyncio.sleep(0.2)


async def write(author: Person, text: str) -> None:
    await author.send("/annonce")
    await author.send(text)


async def measure(big: int, small: int, lead: float) -> Run:
    """`small` families of one school; with `big` > 0, `big` families of the other, whose notice goes `lead` s first."""
    tmp = Path(tempfile.mkdtemp(prefix="entbot-fair-"))
    database = tmp / "bench.sqlite3"
    sandbox_proc, url = start_sandbox()
    helper = Sandbox(url)
    sylvie, odile = await helper.person("Sylvie"), await helper.person("Odile")
    big_families = await helper.people(big) if big else []
    small_families = await helper.people(small)
    template = School(name="Collège Léonard de Vinci", contact_email="ce.0371122u@ac-orleans-tours.fr",
                      ent_url="https://www.touraine-eschool.fr", uai=BIG_UAI,
                      staff=StaffConfig(frozenset({sylvie.user_id})))
    other = School(name="Collège Jean Moulin", contact_email="ce.0370994e@ac-orleans-tours.fr",
                   ent_url="https://www.touraine-eschool.fr", uai=SMALL_UAI,
                   staff=StaffConfig(frozenset({odile.user_id})))
    settings = Settings(token=TOKEN, school_contact_email=template.contact_email, api_url=f"{url}/bot",
                        database=database, poll_timeout=1, quiet_hours=None,
                        school_list=(template, other))
    app = build_application(settings)
    await start_in_loop(app)
    booted = time.perf_counter()
    processor = app.update_processor
    assert isinstance(processor, PerUserProcessor)
    sandbox = Sandbox(url, waiter=lambda uid: processor.wait_handled(uid, timeout=600))
    sylvie.sandbox = odile.sandbox = sandbox
    conn = sqlite3.connect(database)
    conn.executemany("INSERT INTO subscribers (telegram_user_id, subscribed_at) VALUES (?, ?)",
                     [(uid, AT) for uid in big_families + small_families])
    conn.executemany("INSERT INTO subscriber_schools (telegram_user_id, uai, changed_at) VALUES (?, ?, ?)",
                     [(uid, BIG_UAI, AT) for uid in big_families] + [(uid, SMALL_UAI, AT) for uid in small_families])
    conn.commit()
    conn.close()
    if big:
        await write(sylvie, "📣 Bench : la grande annonce du collège Léonard de Vinci.")
    await write(odile, "📣 Bench : la petite annonce du collège Jean Moulin.")
    small_id, big_id = (2, 1) if big else (1, None)
    await asyncio.sleep(max(0.0, booted + 1.5 - time.perf_counter()))  # past the pace's first second (a restart's)
    await sandbox.rate_limit(True)
    _, since = await sandbox.calls()
    big_click = time.time()
    if big:
        await sylvie.click("📣 Publier maintenant")
        await asyncio.sleep(max(0.0, big_click + lead - time.time()))
    small_click = time.time()
    await odile.click("📣 Publier maintenant")
    await until_done(database, small_id)
    if big_id is not None:
        await until_done(database, big_id)
    await asyncio.sleep(0.5)
    calls, _ = await sandbox.calls(since)
    small_copies = await sandbox.copies(odile.chat_id, source_of(database, small_id))
    big_copies = await sandbox.copies(sylvie.chat_id, source_of(database, big_id)) if big_id is not None else {}
    await stop_in_loop(app)
    await sandbox.close()
    await helper.close()
    stop_sandbox(sandbox_proc)

    small_set, big_set = set(small_families), set(big_families)
    copies = [(t, chat) for t, method, chat in calls if method == "copyMessage"]
    small_times = [t for t, chat in copies if chat in small_set]
    big_times = [t for t, chat in copies if chat in big_set]
    received = [small_copies.get(uid, 0) for uid in small_families] + [big_copies.get(uid, 0) for uid in big_families]
    return Run(small_delay=max(small_times) - small_click, small_first=min(small_times) - small_click,
               big_elapsed=(max(big_times) - big_click) if big_times else None,
               big_before_small_done=sum(1 for t in big_times if t < max(small_times)),
               duplicates=sum(max(0, n - 1) for n in received), losses=sum(1 for n in received if n == 0))


async def main(big: int, small: int, lead: float) -> None:
    alone = await measure(0, small, lead)
    shared = await measure(big, small, lead)
    print(f"school B's notice to {small} families, alone: last copy {alone.small_delay:.1f} s after the click "
          f"(first {alone.small_first:.2f} s)")
    print(f"the same, published {lead:.0f} s after school A's notice to {big} families: last copy "
          f"{shared.small_delay:.1f} s after its click (first {shared.small_first:.2f} s)")
    print(f"fair-share delay: +{shared.small_delay - alone.small_delay:.1f} s "
          f"({shared.small_delay / alone.small_delay:.2f}× alone)")
    print(f"A's copies sent before B's last one: {shared.big_before_small_done} of {big}; A's notice done "
          f"{shared.big_elapsed:.1f} s after its click (one after the other, B would have waited about that)")
    print(f"duplicates: {alone.duplicates + shared.duplicates}, losses: {alone.losses + shared.losses}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--big", type=int, default=1500, help="school A's families")
    parser.add_argument("--small", type=int, default=50, help="school B's families")
    parser.add_argument("--lead", type=float, default=1.0, help="seconds between A's click and B's")
    args = parser.parse_args()
    asyncio.run(main(args.big, args.small, args.lead))
