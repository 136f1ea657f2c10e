"""The SQLite connection: WAL, foreign keys, busy timeout, serialised transactions and migrations."""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar, cast

import aiosqlite

from storage import metering
from storage.private_files import FILE_MODE, private_dir, tighten

T = TypeVar("T")


class DatabaseTooNew(Exception):
    """The file was migrated by a newer version of the program."""


class Clock:
    """UTC time for storage; an offset lets tests and demos let time pass."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


def to_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def from_text(raw: str) -> datetime:
    return datetime.fromisoformat(raw)


def marks(count: int) -> str:
    """The `?, ?, ?` of an `IN (…)`; `NULL` for none, which matches nothing (PostgreSQL refuses an empty `IN ()`)."""
    return ", ".join("?" * count) or "NULL"


def set_clause(changes: dict[str, Any], columns: Collection[str]) -> tuple[str, list[Any]]:
    """The `a = ?, b = ?` of an UPDATE and its values, moments as UTC text; a column the table lacks is refused."""
    unknown = set(changes) - set(columns)
    if unknown:
        raise ValueError(f"unknown columns {sorted(unknown)}")
    values = [to_text(v) if isinstance(v, datetime) else v for v in changes.values()]
    return ", ".join(f"{key} = ?" for key in changes), values


def migrations() -> list[tuple[int, str, str]]:
    """The migration files shipped with the code: (version, name, sql), in order."""
    found = []
    for entry in (resources.files("storage") / "migrations").iterdir():
        match = re.fullmatch(r"(\d+)_(\w+)\.sql", entry.name)
        if match:
            found.append((int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    return sorted(found)


class Database:
    """One aiosqlite connection; a lock keeps each transaction whole between coroutines."""

    engine = "sqlite"  # storage/postgres.py's PostgresDatabase says "postgresql"

    def __init__(self, path: Path, clock: Clock | None = None) -> None:
        self.path = path
        self.clock = clock or Clock()
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database not open")
        return self._conn

    @property
    def where(self) -> str:
        """The database as a message names it: the file here, the server's URL without password on PostgreSQL."""
        return str(self.path)

    def ddl(self, statement: str) -> str:
        """A migration's statement as this engine runs it: the migrations are SQLite's DDL."""
        return statement

    async def open(self) -> None:
        _private_database(self.path)
        connection = aiosqlite.connect(self.path, isolation_level=None)
        # Its thread must never keep the process alive: a shutdown cut short (Telegram gone while the bot stops)
        # would otherwise leave `entbot run` hanging at exit. SQLite's WAL makes that exit as safe as kill -9.
        connection._thread.daemon = True  # aiosqlite's own attribute (pinned <1), set before the thread starts
        self._conn = await connection
        if metering.ENABLED:
            _count_round_trips(self._conn)
        self._conn.row_factory = aiosqlite.Row
        await self._conn.execute("PRAGMA journal_mode=WAL")
        await self._conn.execute("PRAGMA foreign_keys=ON")
        await self._conn.execute("PRAGMA busy_timeout=10000")
        await self._conn.execute("PRAGMA synchronous=NORMAL")
        # What is deleted (a family's erased data, purged rows) is overwritten, not left in free pages.
        await self._conn.execute("PRAGMA secure_delete=ON")
        try:
            await self.migrate()
        except BaseException:
            await self.close()  # aiosqlite's thread would keep the process alive
            raise

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def migrate(self) -> list[int]:
        """Applies the migrations not yet recorded; refuses a file newer than the code."""
        known = migrations()
        latest = known[-1][0] if known else 0
        async with self.transaction() as conn:
            await conn.execute(self.ddl(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            ))
            rows = await conn.execute_fetchall("SELECT version FROM schema_migrations")
            applied = {int(r[0]) for r in rows}
            if applied and max(applied) > latest:
                raise DatabaseTooNew(
                    f"La base {self.where} est au schéma {max(applied)}, plus récent que ce programme "
                    f"(schéma {latest}) : mettez le programme à jour, ou restaurez une sauvegarde."
                )
            done = []
            for version, name, sql in known:
                if version in applied:
                    continue
                for statement in _statements(sql):
                    await conn.execute(self.ddl(statement))
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, to_text(self.clock.now())),
                )
                done.append(version)
        return done

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            conn = self.conn
            begin = asyncio.ensure_future(conn.execute("BEGIN IMMEDIATE"))
            try:
                await asyncio.shield(begin)
            except asyncio.CancelledError:
                # The BEGIN is queued on SQLite's thread and runs all the same: without its ROLLBACK the connection
                # would stay inside a transaction, and every later BEGIN fail (a handler's timeout, the bot stopping).
                await asyncio.wait([begin])
                if not begin.cancelled() and begin.exception() is None:
                    await conn.execute("ROLLBACK")
                raise
            try:
                yield conn
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            else:
                await conn.execute("COMMIT")

    async def write(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[aiosqlite.Row]:
        """One statement, committed on its own (atomic as any transaction) in one hop to SQLite's thread.

        BEGIN, the statement and COMMIT are three hops; the hot path writes one row per step.
        """
        async with self._lock:
            return list(await self.conn.execute_fetchall(sql, params))

    async def in_thread(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work` as one transaction on SQLite's own thread: one hop there and back, BEGIN and COMMIT included.

        aiosqlite runs each call on its thread and wakes the event loop with its answer: a transaction of two
        statements was four hops, each a thread switch and a syscall or two. `_execute` is how aiosqlite itself
        queues work on that thread (aiosqlite is pinned <1). `work` sees the plain sqlite3 connection.
        """
        raw = self.conn._conn

        def run() -> T:
            raw.execute("BEGIN IMMEDIATE")
            try:
                result = work(raw)
            except BaseException:
                raw.execute("ROLLBACK")
                raise
            raw.execute("COMMIT")
            return result

        async with self._lock:
            return cast(T, await self.conn._execute(run))  # type: ignore[no-untyped-call]

    async def atomic(self, statements: list[tuple[str, tuple[Any, ...]]]) -> None:
        """Several statements as one transaction, in one hop."""

        def run(raw: sqlite3.Connection) -> None:
            for sql, params in statements:
                raw.execute(sql, params)

        await self.in_thread(run)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            yield self.conn


def _private_database(path: Path) -> None:
    """The file made 0600 before SQLite opens it: its -wal and -shm files take the database file's mode."""
    private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
        os.chmod(path, FILE_MODE)  # os.open's mode goes through the umask
    except FileExistsError:
        for made_before in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            tighten(made_before)


def _count_round_trips(conn: aiosqlite.Connection) -> None:
    """Every aiosqlite call, cursor ones included, goes through `_execute`: one hop to its thread each."""
    hop = conn._execute

    async def counted(fn: Any, *args: Any, **kwargs: Any) -> Any:
        metering.count_sql()
        return await hop(fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    conn._execute = counted  # type: ignore[method-assign]


def _statements(sql: str) -> list[str]:
    # Migration files are plain statements separated by ';' at line ends, no triggers.
    return [s.strip() for s in re.split(r";\s*$", sql, flags=re.MULTILINE) if s.strip()]
