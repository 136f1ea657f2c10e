"""The storage facade that conversations receive: the directory and the repositories over one file."""

from __future__ import annotations

from pathlib import Path

from storage.accounts import SqliteDirectory
from storage.attempts import Attempts
from storage.audit import Audit
from storage.db import Clock, Database
from storage.progress import ProgressStore


class Store:
    def __init__(self, path: Path, clock: Clock | None = None) -> None:
        self.db = Database(path, clock)
        self.accounts = SqliteDirectory(self.db)
        self.progress = ProgressStore(self.db)
        self.attempts = Attempts(self.db)
        self.audit = Audit(self.db)

    @property
    def clock(self) -> Clock:
        return self.db.clock

    async def open(self) -> None:
        await self.db.open()

    async def close(self) -> None:
        await self.db.close()
