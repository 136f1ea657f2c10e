"""Benchmark: one family's erasure (/mesdonnees) in a full year's database, and how long it holds the bot up.

A file migrated by the project's `Store` is filled with raw sqlite3 (fast): `--audit` audit lines spread over
`--users` Telegram users, a ticket (two messages, a copy in the staff group) and its mail for one user in
ten, a subscription and five announcements' deliveries for every user, an account for one user in two.
Then `--erasures` users, each with their own rows among the others, are erased one by one through
`Privacy.erase`, as /mesdonnees does, while a probe coroutine asks the database for `SELECT 1` every
millisecond, as the other parents' handlers would: its worst wait is how long an erasure holds the bot.
The baseline, run in the same process on the same file, is the hot path's unit: a single-row UPDATE
committed on its own through `Database.write`. Printed: the erasure's median and worst time, the probe's
worst wait, and their ratios to the baseline's median.

`--without-indexes` drops the indexes migration 0013 added (the schema before it), for a before/after in
the same run of the same code. `ENTBOT_CODE=/path/to/a/checkout` runs another version's code (the
erasure of before issue 22, say) with this script.

    .venv/bin/python bench/erasure.py [--audit 300000] [--users 30000] [--erasures 15] [--without-indexes]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, os.environ.get("ENTBOT_CODE", str(ROOT)))

from storage.store import Store

FIRST_USER = 800_000_000
INDEXES_0013 = ["audit_actor", "accounts_telegram_user", "tickets_telegram_user", "deliveries_telegram_user",
                "account_failures_telegram_user", "ticket_posts_ticket", "staff_posts_ticket", "staff_posts_message",
                "outbox_owner", "code_mails_user", "code_mails_account", "code_mails_at"]
NOTICES = 5


def seed(path: Path, users: int, audit: int) -> None:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    rng = random.Random(22)
    conn = sqlite3.connect(path)
    outbox_columns = {r[1] for r in conn.execute("PRAGMA table_info(outbox)")}
    with conn:
        conn.executemany(
            "INSERT INTO accounts (identifier, identifier_key, state, telegram_user_id, created_at, updated_at)"
            " VALUES (?, ?, 'active', ?, ?, ?)",
            ((f"famille{u}", f"famille{u}", FIRST_USER + u, now, now) for u in range(0, users, 2)))
        conn.executemany(
            "INSERT INTO audit (at, actor, event, account_id) VALUES (?, ?, 'login_ok', NULL)",
            ((now, f"telegram:{FIRST_USER + rng.randrange(users)}") for _ in range(audit)))
        conn.executemany(
            "INSERT INTO subscribers (telegram_user_id, first_name, subscribed_at) VALUES (?, 'Parent', ?)",
            ((FIRST_USER + u, now) for u in range(users)))
        conn.executemany(
            "INSERT INTO notices (id, author_id, author_name, state, created_at, updated_at)"
            " VALUES (?, 1, 'Sylvie', 'done', ?, ?)", ((n, now, now) for n in range(1, NOTICES + 1)))
        conn.executemany(
            "INSERT INTO deliveries (notice_id, telegram_user_id, state, next_attempt_at, sent_at)"
            " VALUES (?, ?, 'sent', ?, ?)",
            ((n, FIRST_USER + u, now, now) for n in range(1, NOTICES + 1) for u in range(users)))
        for u in range(0, users, 10):
            uid = FIRST_USER + u
            ticket = conn.execute(
                "INSERT INTO tickets (telegram_user_id, user_name, context, state, opened_at, updated_at, closed_at)"
                " VALUES (?, 'Parent', 'étape 4', 'closed', ?, ?, ?)", (uid, now, now, now)).lastrowid
            conn.executemany("INSERT INTO ticket_messages (ticket_id, author, text, at) VALUES (?, 'parent', ?, ?)",
                             ((ticket, f"message {i} de {uid}", now) for i in range(2)))
            conn.execute("INSERT INTO ticket_posts (chat_id, message_id, ticket_id) VALUES (-100, ?, ?)",
                         (ticket, ticket))
            owner = ", telegram_user_id" if "telegram_user_id" in outbox_columns else ""
            conn.execute(
                f"INSERT INTO outbox (kind, recipient, subject, body, message_id, created_at, next_attempt_at, state"
                f"{owner}) VALUES ('ticket', 'ce@college.fr', ?, ?, ?, ?, ?, 'sent'{', ?' if owner else ''})",
                (f"[Assistant ENT] Demande n°{ticket}", f"De : Parent (Telegram {uid})", f"<{ticket}@bench>", now, now,
                 *((uid,) if owner else ())))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


async def measure(path: Path, erasures: list[int], without_indexes: bool) -> dict[str, float]:
    store = Store(path)
    await store.open()
    try:
        if without_indexes:
            async with store.db.transaction() as conn:
                for name in INDEXES_0013:
                    await conn.execute(f"DROP INDEX IF EXISTS {name}")
        # The baseline: the hot path's single-row committed UPDATE, on this file, in this process.
        baseline = []
        for i in range(300):
            started = time.perf_counter()
            await store.db.write("UPDATE subscribers SET first_name = ? WHERE telegram_user_id = ?",
                                 (f"P{i}", FIRST_USER + i))
            baseline.append(time.perf_counter() - started)
        waits: list[float] = []
        stop = asyncio.Event()

        async def probe() -> None:
            while not stop.is_set():
                started = time.perf_counter()
                async with store.db.read() as conn:
                    await conn.execute("SELECT 1")
                waits.append(time.perf_counter() - started)
                await asyncio.sleep(0.001)

        times = []
        prober = asyncio.create_task(probe())
        await asyncio.sleep(0.05)
        for uid in erasures:
            started = time.perf_counter()
            await store.privacy.erase(uid, "effacé à la demande de la famille", "famille")
            times.append(time.perf_counter() - started)
            await asyncio.sleep(0.01)
        stop.set()
        await prober
    finally:
        await store.close()
    base = statistics.median(baseline)
    return {"baseline_ms": base * 1000, "erase_median_ms": statistics.median(times) * 1000,
            "erase_max_ms": max(times) * 1000, "probe_worst_ms": max(waits) * 1000,
            "erase_ratio": statistics.median(times) / base, "probe_ratio": max(waits) / base}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--audit", type=int, default=300_000)
    parser.add_argument("--users", type=int, default=30_000)
    parser.add_argument("--erasures", type=int, default=15)
    parser.add_argument("--without-indexes", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-erasure-") as folder:
        path = Path(folder) / "entbot.sqlite3"

        async def create() -> None:
            store = Store(path)
            await store.open()
            await store.close()

        asyncio.run(create())
        started = time.perf_counter()
        seed(path, args.users, args.audit)
        print(f"code: {os.environ.get('ENTBOT_CODE', ROOT)}; {args.audit} audit lines, {args.users} users "
              f"(seeded in {time.perf_counter() - started:.1f} s)"
              + ("; the indexes of migration 0013 dropped" if args.without_indexes else ""))
        # Users with a ticket (one in ten), spread over the file.
        erasures = [FIRST_USER + u for u in range(0, args.users, max(10, args.users // args.erasures // 10 * 10))]
        result = asyncio.run(measure(path, erasures[:args.erasures], args.without_indexes))
    print(f"baseline (one committed single-row UPDATE): {result['baseline_ms']:.3f} ms")
    print(f"erasure: median {result['erase_median_ms']:.1f} ms ({result['erase_ratio']:.0f}× the baseline), "
          f"worst {result['erase_max_ms']:.1f} ms")
    print(f"another handler's worst wait for the database meanwhile: {result['probe_worst_ms']:.1f} ms "
          f"({result['probe_ratio']:.0f}× the baseline)")


if __name__ == "__main__":
    main()
