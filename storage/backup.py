"""Copies of the SQLite file: online backups while the bot runs, checked restores, the nightly rotation, the run lock."""

from __future__ import annotations

import fcntl
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from storage.db import migrations
from storage.private_files import FILE_MODE, create_beside, private_dir, tighten

NIGHTLY_PREFIX = "entbot-"
NIGHTLY_SUFFIX = ".sqlite3"


class Locked(Exception):
    """Another process (a running bot) holds the database's lock."""


class DatabaseLock:
    """An exclusive flock on `<database>.lock`, held by `entbot run` for its whole life.

    The kernel drops it when the process ends, even by kill -9, so a crash never leaves a stale lock behind.
    """

    def __init__(self, database: Path) -> None:
        self.path = Path(f"{database}.lock")
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        private_dir(self.path.parent)
        file = os.fdopen(os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE), "a+")
        tighten(self.path)
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.close()
            raise Locked(str(self.path)) from None
        file.seek(0)
        file.truncate()
        file.write(f"{os.getpid()}\n")
        file.flush()
        self._file = file

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> DatabaseLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _copy(source: sqlite3.Connection, target: Path) -> None:
    """SQLite's online backup into `target`, written beside it first so a half copy never bears its name.

    The copy is the whole database: it is made 0600 before SQLite writes a byte to it (its journal takes that mode).
    """
    partial = create_beside(target)
    try:
        dest = sqlite3.connect(partial)
        try:
            source.backup(dest)
            dest.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        finally:
            dest.close()
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def backup(database: Path, target: Path) -> int:
    """A consistent copy of the live database (the bot may be writing meanwhile); returns its size in bytes."""
    private_dir(target.parent)
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        _copy(source, target)
    finally:
        source.close()
    return target.stat().st_size


@dataclass(frozen=True)
class CopyProblem:
    kind: str  # not_sqlite, damaged, too_new
    detail: str = ""
    version: int = 0
    latest: int = 0


def check_copy(path: Path) -> CopyProblem | None:
    """None when `path` is a sound database of this program (an older schema is fine: `run` migrates it)."""
    latest = migrations()[-1][0]
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return CopyProblem("not_sqlite", str(exc))
    try:
        result = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
        if result != ["ok"]:
            return CopyProblem("damaged", "; ".join(result[:3]))
        row = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    except sqlite3.DatabaseError as exc:
        text = str(exc)
        return CopyProblem("not_sqlite" if "no such table" in text or "not a database" in text else "damaged", text)
    finally:
        conn.close()
    version = int(row[0] or 0)
    if version > latest:
        return CopyProblem("too_new", version=version, latest=latest)
    return None


def restore(copy: Path, database: Path, now: datetime) -> Path | None:
    """Puts `copy` in place of `database` (the caller holds the lock); the previous base is kept beside it.

    Returns where the previous base was kept, or None if there was none.
    """
    private_dir(database.parent)
    previous: Path | None = None
    if database.exists():
        previous = database.with_name(f"{database.name}.avant-restauration-{now.strftime('%Y%m%d-%H%M%S')}")
        backup(database, previous)  # through SQLite, so what was still in the -wal file is kept too
    for leftover in (Path(f"{database}-wal"), Path(f"{database}-shm")):
        leftover.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    try:
        _copy(source, database)
    finally:
        source.close()
    return previous


def nightly(database: Path, directory: Path, keep: int, now: datetime) -> Path:
    """Tonight's copy in `directory`; only the newest `keep` copies stay."""
    target = directory / f"{NIGHTLY_PREFIX}{now.strftime('%Y%m%d-%H%M%S-%f')}{NIGHTLY_SUFFIX}"
    backup(database, target)
    copies = sorted(p for p in directory.glob(f"{NIGHTLY_PREFIX}*{NIGHTLY_SUFFIX}") if p.is_file())
    for old in copies[:-keep]:
        old.unlink()
    return target
