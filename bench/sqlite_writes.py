"""Benchmark: SQLite's write rate as the bot uses it (the project's Store) beside raw sqlite3 commits, in one run.

Many coroutines, one per family, each replay the storage calls of typed-path activations (the 13 updates
of `conversations/activation.py` and the menu as of issue 16's end: the write transactions and the reads
around them; Argon2 left out, the CPU model counts it apart) through `storage.store.Store`: aiosqlite,
WAL, synchronous=NORMAL, secure_delete, one connection behind a lock, as the bot runs it. Two runs on
fresh files: the reads and writes (the storage-bound capacity), then the same 20 write transactions
alone (the write-bound capacity). Round trips to aiosqlite's thread are counted per update by
storage/metering.py, as in the bot. Beside them, on the same kind of file with the same pragmas, plain
`sqlite3` single-row UPDATEs, each committed on its own: the baseline, run before, between and after the
Store runs so that the machine's noise falls on all. The figures that matter are the ratios; the rates
feed the capacity model (docs/capacity.md, table "Mesures"). When the activation's storage calls change,
`Family.activate` follows them.

With --postgresql, the same two Store runs again on PostgreSQL (ENTBOT_DATABASE=postgresql://…): a server
the script starts as the tests do (tests/postgres.py: Debian's postgresql, a unix socket, fsync on as deployed),
its figures beside SQLite's and their ratio.

    .venv/bin/python bench/sqlite_writes.py [--families 50] [--seconds 5] [--raw-seconds 3] [--postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

# Before storage is imported: storage/metering.py then counts every aiosqlite round trip (thread hop),
# per update as it does in the bot. Its JSON at exit goes to /dev/null unless a file is named.
os.environ.setdefault("ENTBOT_METER_FILE", os.devnull)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conversations.activation import (
    ANSWER1,
    ANSWER2,
    CGU,
    EMAIL,
    IDENTIFIER,
    PASSWORD,
    PASSWORD_CONFIRM,
    PROFILE,
    PROVISIONAL,
    QUESTION1,
    QUESTION2,
)
from storage import metering
from storage.accounts import Activation, identifier_key
from storage.secrets import hash_secret
from storage.store import Store

T = TypeVar("T")

FIRST_USER = 700_000_000
UPDATES_PER_ACTIVATION = 13
RAW_ROWS = 1000
UPDATE_IDS = itertools.count(1)  # unique across runs: metering keeps its counts by update id


@dataclass
class Tally:
    activations: int = 0
    writes: int = 0  # write transactions (BEGIN IMMEDIATE … COMMIT) through the Store
    next_account: int = 0
    exhausted: bool = False
    latencies: list[float] = field(default_factory=list)  # one write transaction, lock wait included


class Family:
    """One family's storage calls, in the order the bot makes them for a typed-path activation.

    `reads=False` keeps only the write transactions (the same 26, with the same rows): the write-bound figure.
    """

    def __init__(self, store: Store, tally: Tally, digest: str, reads: bool) -> None:
        self.store = store
        self.tally = tally
        self.digest = digest  # a real Argon2id string, so that rows have the size they have in the bot
        self.reads = reads

    def _update(self) -> None:
        """A new Telegram update: metering counts the round trips of each apart, as in the bot."""
        metering.CURRENT_UPDATE.set(next(UPDATE_IDS))

    async def _write(self, call: Awaitable[T]) -> T:
        started = time.perf_counter()
        result = await call
        self.tally.latencies.append(time.perf_counter() - started)
        self.tally.writes += 1
        return result

    async def _read(self, call: Callable[[], Awaitable[object]]) -> None:
        if self.reads:
            await call()

    async def _advance(self, uid: int, step: str, changes: dict[str, object], new_prompt: bool = False) -> None:
        """`advance` then `show`: the step saved, then the prompt's message id when the screen is a new message
        (a button's answer and a typed secret's edit the prompt in place)."""
        store = self.store
        await self._write(store.progress.update(uid, step=step, proven_at=store.clock.now(), **changes))
        if new_prompt:
            await self._write(store.progress.update(uid, prompt_message_id=uid % 100_000))

    async def _guard(self, uid: int, account_id: int | None = None) -> None:
        """What `@step` reads before the step runs: the dialogue (one query, shared by the guards), and the
        account once proven."""
        await self._read(lambda: self.store.progress.dialogue(uid))
        if account_id is not None:
            await self._read(lambda: self.store.accounts.get(account_id))

    async def activate(self, n: int) -> None:
        store, uid = self.store, FIRST_USER + n
        identifier = f"bench.{n:06d}"
        account_id = n + 1  # seeded in this order into a fresh file
        self._update()  # /start: the menu
        await self._write(store.writing.stop(uid))
        await self._read(lambda: store.progress.get(uid))
        await self._read(lambda: store.subscribers.is_active(uid))
        await self._read(lambda: store.privacy.known(uid))
        self._update()  # "Activer mon compte"
        await self._write(store.writing.stop(uid))
        await self._write(store.recovery.forget(uid))
        await self._write(store.progress.start(uid, PROFILE))
        await self._write(store.progress.update(uid, prompt_message_id=uid % 100_000))
        self._update()  # profile chosen
        await self._guard(uid)
        await self._advance(uid, IDENTIFIER, {})
        self._update()  # identifier typed
        await self._guard(uid)
        await self._advance(uid, PROVISIONAL, {"identifier": identifier}, new_prompt=True)
        self._update()  # provisional password typed (its Argon2 check is not SQLite's work)
        await self._guard(uid)
        keys = (("user", str(uid)), ("account", identifier_key(identifier)))
        await self._read(lambda: store.attempts.locked_until(*keys))
        await self._read(lambda: store.attempts.locked_until(*keys))  # again with the account's own key
        if self.reads:
            account = await store.accounts.find(identifier)
            assert account is not None and account.id == account_id
        await self._write(store.attempts.success(*keys))
        await self._read(lambda: store.accounts.get(account_id))
        await self._write(store.audit.record(f"telegram:{uid}", "identified", account_id))
        await self._advance(uid, CGU, {"account_id": account_id, "provisional_hash": self.digest,
                                       "identifier": identifier, "last_error": None})
        accepted = store.clock.now()
        steps: list[tuple[str, dict[str, object]]] = [
            (EMAIL, {"cgu_version": "bench", "cgu_accepted_at": accepted}),
            (QUESTION1, {"email": None, "email_skipped": 1, "email_verified": 0}),
            (ANSWER1, {"question1": 1}),
            (QUESTION2, {"answer1_hash": self.digest}),
            (ANSWER2, {"question2": 2}),
            (PASSWORD, {"answer2_hash": self.digest}),
            (PASSWORD_CONFIRM, {"password_hash": self.digest, "last_error": None}),
        ]
        for step, changes in steps:  # the terms, the address skipped, two questions and answers, the password
            self._update()
            await self._guard(uid, account_id)
            await self._advance(uid, step, changes)
        self._update()  # the password confirmed: the account becomes active
        await self._guard(uid, account_id)
        activation = Activation(password_hash=self.digest, email=None, question1=1, answer1_hash=self.digest,
                                question2=2, answer2_hash=self.digest, cgu_version="bench",
                                cgu_accepted_at=accepted, telegram_user_id=uid)
        done = await self._write(store.accounts.activate(account_id, self.digest, activation))
        assert done, f"{identifier} not activated"
        await self._write(store.letters.revoke(account_id, "activated"))
        self.tally.activations += 1

    async def run(self, accounts: int, deadline: float) -> None:
        while time.perf_counter() < deadline:
            if self.tally.next_account >= accounts:
                self.tally.exhausted = True
                return
            n = self.tally.next_account
            self.tally.next_account += 1
            await self.activate(n)


async def seed(store: Store, accounts: int, digest: str) -> None:
    """Pending accounts as an import leaves them (the importer would hash each provisional password)."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    async with store.db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO accounts (identifier, identifier_key, profile, state, provisional_hash, created_at, updated_at)"
            " VALUES (?, ?, 'parent', 'pending', ?, ?, ?)",
            [(f"bench.{n:06d}", identifier_key(f"bench.{n:06d}"), digest, now, now) for n in range(accounts)])


@dataclass
class StoreRun:
    activations: int
    writes: int
    seconds: float
    cpu: float
    hops: int
    hops_per_update: list[int]
    latencies: list[float]
    exhausted: bool

    @property
    def write_rate(self) -> float:
        return self.writes / self.seconds

    def latency_ms(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def store_run(path: Path, families: int, seconds: float, accounts: int, reads: bool,
                    url: str | None = None) -> StoreRun:
    store = Store(path, url=url)
    await store.open()
    try:
        digest = await hash_secret("bench answer")
        await seed(store, accounts, digest)
        tally = Tally()
        before = metering.snapshot()
        cpu, started = time.process_time(), time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(Family(store, tally, digest, reads).run(accounts, deadline) for _ in range(families)))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        after = metering.snapshot()
        async with store.db.read() as conn:
            active = list(await conn.execute_fetchall("SELECT COUNT(*) FROM accounts WHERE state = 'active'"))[0][0]
        assert active == tally.activations, f"{active} accounts active for {tally.activations} activations replayed"
    finally:
        await store.close()
    per_update = [v for k, v in after["sql_by_update"].items() if k not in before["sql_by_update"]]
    hops = sum(per_update) + after["sql_outside_updates"] - before["sql_outside_updates"]
    return StoreRun(tally.activations, tally.writes, elapsed, cpu, hops, per_update, tally.latencies, tally.exhausted)


def raw_updates(path: Path, seconds: float) -> tuple[int, float, float]:
    """Plain sqlite3, one connection, the Store's pragmas: single-row UPDATEs each committed on its own."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "secure_delete=ON", "foreign_keys=ON"):
            conn.execute(f"PRAGMA {pragma}")
        done = 0
        cpu, started = time.process_time(), time.perf_counter()
        deadline = started + seconds
        while time.perf_counter() < deadline:
            conn.execute("UPDATE accounts SET updated_at = ?, revision = revision + 1 WHERE id = ?",
                         (datetime.now(UTC).isoformat(timespec="seconds"), 1 + done % RAW_ROWS))
            done += 1
        return done, time.perf_counter() - started, time.process_time() - cpu
    finally:
        conn.close()


async def prepare_raw(path: Path) -> None:
    """The same schema as the bot's file (the project's migrations), with rows to update."""
    store = Store(path)
    await store.open()
    try:
        await seed(store, RAW_ROWS, "$argon2id$v=19$m=19456,t=2,p=1$" + "x" * 66)
    finally:
        await store.close()


def report(name: str, run: StoreRun, raw_rate: float, raw_cpu_per_commit: float) -> None:
    per_activation = run.writes / run.activations
    hops = run.hops / run.activations
    print(name)
    if run.exhausted:
        print("  (every seeded account was used before the end: raise --accounts)")
    print(f"  activations replayed                      {run.activations:8d}")
    print(f"  write transactions per activation         {per_activation:8.1f}")
    print(f"  round trips (thread hops) per activation  {hops:8.1f}   per update {hops / UPDATES_PER_ACTIVATION:.1f}"
          f" (max {max(run.hops_per_update)})   per write transaction {run.hops / run.writes:.2f}")
    print(f"  write transactions/s                      {run.write_rate:8.0f}   ÷ raw commits/s {run.write_rate / raw_rate:.3f}")
    print(f"  activations/s                             {run.activations / run.seconds:8.1f}")
    print(f"  CPU per activation                        {1000 * run.cpu / run.activations:8.2f} ms"
          f"   per write transaction ÷ raw CPU per commit {(run.cpu / run.writes) / raw_cpu_per_commit:.1f}")
    print(f"  one write transaction, lock wait included  p50 {run.latency_ms(0.5):.1f} ms, "
          f"p95 {run.latency_ms(0.95):.1f} ms, p99 {run.latency_ms(0.99):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=50, help="concurrent families (coroutines)")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each of the two runs through the Store")
    parser.add_argument("--raw-seconds", type=float, default=3.0, help="the raw baseline, a third before, between, after")
    parser.add_argument("--accounts", type=int, default=10_000, help="pending accounts seeded (one per activation)")
    parser.add_argument("--postgresql", action="store_true", help="the Store runs on PostgreSQL too, ratios to SQLite")
    args = parser.parse_args()
    if args.postgresql:
        postgresql_runs(args)
        return

    raw: list[tuple[int, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="entbot-sqlite-") as tmp:
        raw_path = Path(tmp) / "raw.sqlite3"
        asyncio.run(prepare_raw(raw_path))
        raw.append(raw_updates(raw_path, args.raw_seconds / 3))
        full = asyncio.run(store_run(Path(tmp) / "full.sqlite3", args.families, args.seconds, args.accounts, True))
        raw.append(raw_updates(raw_path, args.raw_seconds / 3))
        writes = asyncio.run(store_run(Path(tmp) / "writes.sqlite3", args.families, args.seconds, args.accounts, False))
        raw.append(raw_updates(raw_path, args.raw_seconds / 3))

    raw_done, raw_seconds, raw_cpu = (sum(r[i] for r in raw) for i in range(3))
    raw_rate, raw_cpu_per_commit = raw_done / raw_seconds, raw_cpu / raw_done
    per_activation = writes.writes / writes.activations
    print(f"{args.families} families at once; {args.seconds:.0f} s per Store run; raw baseline {raw_seconds:.1f} s "
          "(before, between and after the Store runs)")
    print("raw sqlite3: single-row UPDATE, each committed (autocommit), WAL, synchronous=NORMAL, secure_delete")
    print(f"  commits/s                                 {raw_rate:8.0f}")
    print(f"  CPU per commit                            {1e6 * raw_cpu_per_commit:8.1f} µs")
    report("Store, an activation's storage calls (reads and writes) - storage-bound capacity", full, raw_rate,
           raw_cpu_per_commit)
    report("Store, the same write transactions only - write-bound capacity", writes, raw_rate, raw_cpu_per_commit)
    print("summary")
    print(f"  write transactions/s through the Store: {writes.write_rate:.0f} "
          f"({writes.write_rate / raw_rate:.3f} of raw commits/s)")
    print(f"  write-bound capacity: {writes.write_rate / per_activation:.1f} activations/s; storage-bound "
          f"(reads too): {full.activations / full.seconds:.1f}; raw commits would allow {raw_rate / per_activation:.0f}")
    print(f"  round trips per write transaction: {writes.hops / writes.writes:.2f} (writes only), "
          f"{full.hops / full.writes:.2f} (reads included)")


def postgresql_runs(args: argparse.Namespace) -> None:
    """The two Store runs on SQLite and on PostgreSQL, alternated, and their ratios (PostgreSQL ÷ SQLite)."""
    from tests import postgres

    server = postgres.start(durable=True)
    try:
        runs: dict[str, list[StoreRun]] = {"sqlite": [], "postgresql": []}
        with tempfile.TemporaryDirectory(prefix="entbot-engines-") as tmp:
            for n, reads in enumerate((True, False)):
                for engine in ("sqlite", "postgresql"):
                    url = server.new_database() if engine == "postgresql" else None
                    runs[engine].append(asyncio.run(store_run(Path(tmp) / f"{engine}{n}.sqlite3", args.families,
                                                              args.seconds, args.accounts, reads, url)))
    finally:
        server.stop()
    print(f"{args.families} families at once; {args.seconds:.0f} s per Store run; SQLite then PostgreSQL, alternated")
    for (label, i) in (("reads and writes (storage-bound)", 0), ("write transactions only (write-bound)", 1)):
        lite, pg = runs["sqlite"][i], runs["postgresql"][i]
        print(label)
        for engine, run in (("SQLite    ", lite), ("PostgreSQL", pg)):
            print(f"  {engine}  activations/s {run.activations / run.seconds:7.1f}   write transactions/s "
                  f"{run.write_rate:6.0f}   CPU per activation {1000 * run.cpu / run.activations:6.2f} ms   "
                  f"write p50 {run.latency_ms(0.5):5.1f} ms p95 {run.latency_ms(0.95):5.1f} ms")
        print(f"  PostgreSQL ÷ SQLite: activations/s {(pg.activations / pg.seconds) / (lite.activations / lite.seconds):.2f}"
              f", CPU per activation {(pg.cpu / pg.activations) / (lite.cpu / lite.activations):.2f}")


if __name__ == "__main__":
    main()
