"""Benchmark: /stats of one school among 70 (40,000 accounts), against /stats of the same file as one school.

A file migrated by the project's `Store` is filled with raw sqlite3: `--accounts` accounts spread over `--schools`
schools (one in twenty in two schools), one in ten midway through the activation, one in three activated within
the last four weeks (their audit rows), one in a hundred locked, one open ticket in fifty. Then, in the same
process on the same file, `Stats.summary` and `Stats.chart` (what /stats and `entbot stats` read) are timed
`--rounds` times for one school (`uai=`, the filtered queries) and for the whole file (`uai=None`, the single-school
queries, the baseline). Printed: each median and worst, and the ratio of the school's median to the baseline's.

    .venv/bin/python bench/school_stats.py [--accounts 40000] [--schools 70] [--rounds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conversations.texts import PARIS, STEP_NUMBER
from storage.store import Store


def uai(number: int) -> str:
    """A school's UAI of the bench (its check letter is not checked here)."""
    return f"037{number:04d}A"


def seed(path: Path, accounts: int, schools: int) -> None:
    rng = random.Random(24)
    now = datetime.now(UTC)
    stamp = now.isoformat(timespec="seconds")
    steps = list(STEP_NUMBER)
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "INSERT INTO accounts (id, identifier, identifier_key, state, provisional_hash, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, 'x', ?, ?)",
            ((i, f"famille{i}", f"famille{i}", "active" if i % 3 == 0 else "pending", stamp, stamp)
             for i in range(1, accounts + 1)))
        conn.executemany("INSERT INTO account_schools (account_id, uai) VALUES (?, ?)",
                         ((i, uai(i % schools)) for i in range(1, accounts + 1)))
        conn.executemany("INSERT OR IGNORE INTO account_schools (account_id, uai) VALUES (?, ?)",
                         ((i, uai((i + 1) % schools)) for i in range(1, accounts + 1, 20)))
        conn.executemany(
            "INSERT INTO activation_progress (telegram_user_id, account_id, step, started_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            ((900_000_000 + i, i, rng.choice(steps), stamp, stamp) for i in range(1, accounts + 1, 10)))
        conn.executemany(
            "INSERT INTO audit (at, actor, event, account_id) VALUES (?, ?, 'activated', ?)",
            (((now - timedelta(days=rng.randrange(28))).isoformat(timespec="seconds"), f"telegram:{i}", i)
             for i in range(3, accounts + 1, 3)))
        conn.executemany(
            "INSERT INTO attempts (scope, key, failures, locks, locked_until) VALUES ('account', ?, 5, 1, ?)",
            ((f"famille{i}", (now + timedelta(hours=1)).isoformat(timespec="seconds")) for i in range(1, accounts + 1, 100)))
        conn.executemany(
            "INSERT INTO tickets (telegram_user_id, user_name, context, state, opened_at, updated_at, uai)"
            " VALUES (?, 'Parent', '', 'open', ?, ?, ?)",
            ((900_000_000 + i, stamp, stamp, uai(i % schools)) for i in range(1, accounts + 1, 50)))
    conn.close()


async def timed(rounds: int, work: Callable[[], Awaitable[None]]) -> list[float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        await work()
        times.append(time.perf_counter() - start)
    return times


async def main(accounts: int, schools: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        store = Store(path)
        await store.open()
        await store.close()
        seed(path, accounts, schools)
        store = Store(path)
        await store.open()
        try:
            async def one_school() -> None:
                await store.stats.summary(PARIS, uai=uai(7), contact="ce.bench@ac-orleans-tours.fr")
                await store.stats.chart(PARIS, STEP_NUMBER, uai=uai(7))

            async def whole() -> None:
                await store.stats.summary(PARIS)
                await store.stats.chart(PARIS, STEP_NUMBER)

            await one_school()
            await whole()  # warm the page cache for both
            school = await timed(rounds, one_school)
            base = await timed(rounds, whole)
        finally:
            await store.close()
    print(f"/stats figures, {accounts} accounts in {schools} schools, {rounds} rounds each:")
    print(f"  one school (filtered)    median {statistics.median(school) * 1000:7.1f} ms  worst {max(school) * 1000:7.1f} ms")
    print(f"  whole file (one school)  median {statistics.median(base) * 1000:7.1f} ms  worst {max(base) * 1000:7.1f} ms")
    print(f"  ratio one school / whole file: {statistics.median(school) / statistics.median(base):.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=40_000)
    parser.add_argument("--schools", type=int, default=70)
    parser.add_argument("--rounds", type=int, default=30)
    options = parser.parse_args()
    asyncio.run(main(options.accounts, options.schools, options.rounds))
