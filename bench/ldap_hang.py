"""Bench, not a test: a hung slapd (SIGSTOP: TCP accepted, nothing answered) and 8 parents at once.

Run: .venv/bin/python -m bench.ldap_hang
Before the circuit breaker (defaults: 4 threads, 5 s connect, 10 s per operation) the first 4 callers got
DirectoryUnavailable after 20 s (timeout, then a retry that timed out again), the next 4 after 30 s. Now
the first 4 wait one operation timeout (10 s, no retry), the breaker opens, and the others fail at once.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from storage.accounts import DirectoryUnavailable
from storage.db import Database
from storage.ldap_directory import LdapConfig, LdapDirectory
from tests.ldap.slapd import PEOPLE_DN, SERVICE_DN, SERVICE_PASSWORD, Person, Slapd
from tests.waiting import free_port


async def main() -> None:
    directory_path = Path(tempfile.mkdtemp())
    server = Slapd(directory_path / "slapd", free_port(), [Person("F100", "jean.dupont12", aliases=["jdupont"])])
    server.start()
    assert server.process is not None
    db = Database(directory_path / "probe.sqlite3")
    await db.open()
    directory = LdapDirectory(db, LdapConfig(url=server.url, people_dn=PEOPLE_DN, bind_dn=SERVICE_DN,
                                             bind_password=SERVICE_PASSWORD, starttls=False))
    try:
        await asyncio.gather(*[directory.find("jean.dupont12") for _ in range(4)])  # a warm pool
        server.freeze()
        start = time.monotonic()

        async def one(i: int) -> tuple[int, str, float]:
            try:
                await directory.find("jean.dupont12")
                outcome = "ok"
            except DirectoryUnavailable:
                outcome = "unavailable"
            return i, outcome, round(time.monotonic() - start, 1)

        for result in await asyncio.gather(*[one(i) for i in range(8)]):
            print(result)
    finally:
        server.thaw()
        directory.close()
        await db.close()
        server.stop()


if __name__ == "__main__":
    asyncio.run(main())
