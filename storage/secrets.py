"""Hashing of secrets with Argon2id, off the event loop, and the normalisation of secret answers."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import threading
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from storage import metering
from storage.private_files import create_beside

# OWASP's minimum for Argon2id: m=19 MiB, t=2, p=1.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

T = TypeVar("T")


class ArgonBusy(Exception):
    """More Argon2 work is waiting than the bound allows: this step is refused before anything was changed."""


def default_threads() -> int:
    """One thread per core: argon2-cffi releases the GIL while hashing (the reason is in the README's capacity part)."""
    return os.cpu_count() or 2


DEFAULT_MAX_WAITING = 200  # about two seconds of work on two cores at ~20 ms an operation


ARGON2_NICENESS = 10


def _yield_to_the_event_loop() -> None:
    """Hashing threads run at a lower priority (Linux: a thread's own nice value), so that when the cores are
    busy the event loop's replies, which take milliseconds, go before seconds of queued hashing; idle cores
    still go to hashing. Without it, at 80 % of capacity the p95 of a button press was 423 ms (bench/activation.py).
    """
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), ARGON2_NICENESS)
    except (OSError, AttributeError):  # not Linux, or not allowed: the same, without the priority
        pass


class ArgonPool:
    """The threads that hash, and a bound on the work waiting for them.

    Past the bound, a step is refused at once ("beaucoup de monde, renvoyez dans une minute") rather than
    left to wait behind minutes of others' hashing; the event loop's own replies never wait on this queue.
    Counted on the event loop's thread only: the work submitted and not finished.
    """

    def __init__(self, threads: int, max_waiting: int) -> None:
        self.threads, self.max_waiting = threads, max_waiting
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="argon2",
                                            initializer=_yield_to_the_event_loop)
        self.in_flight = 0

    @property
    def waiting(self) -> int:
        return max(0, self.in_flight - self.threads)

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        if self.in_flight >= self.threads + self.max_waiting:
            raise ArgonBusy(f"{self.in_flight} Argon2 operations in flight")
        self.in_flight += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
        finally:
            self.in_flight -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False)  # what it was given still finishes


POOL = ArgonPool(default_threads(), DEFAULT_MAX_WAITING)


def configure(threads: int, max_waiting: int) -> ArgonPool:
    """Sets the pool the bot hashes with (ARGON2_THREADS, ARGON2_MAX_WAITING); the previous one finishes its work."""
    global POOL
    old, POOL = POOL, ArgonPool(threads, max_waiting)
    old.close()
    return POOL

# Verifying against this keeps the time of an unknown identifier equal to a known one's.
_DUMMY_HASH = HASHER.hash("identifiant inconnu")


def hash_secret_sync(secret: str) -> str:
    metering.count_argon2()
    return HASHER.hash(secret)


def verify_secret_sync(stored: str | None, secret: str) -> bool:
    metering.count_argon2()
    try:
        return HASHER.verify(stored or _DUMMY_HASH, secret) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


async def hash_secret(secret: str) -> str:
    return await POOL.run(hash_secret_sync, secret)


async def verify_secret(stored: str | None, secret: str) -> bool:
    return await POOL.run(verify_secret_sync, stored, secret)


def normalise_answer(answer: str) -> str:
    """Case, accents and spaces do not matter in a secret answer: 'Élodie  ' == 'elodie'."""
    decomposed = unicodedata.normalize("NFKD", answer)
    without_accents = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", without_accents).strip().casefold()


# No 0/O, 1/l/I: a provisional password is read on paper or over the phone.
_READABLE = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
_PROVISIONAL_SHAPE = re.compile(rf"(?<![\w-])[{_READABLE}]{{4}}-[{_READABLE}]{{4}}-[{_READABLE}]{{2}}(?![\w-])")


def looks_provisional(text: str) -> bool:
    """Whether the text holds something shaped like a provisional password new_provisional() makes."""
    for found in _PROVISIONAL_SHAPE.findall(text):
        body = found.replace("-", "")
        if any(c.isupper() for c in body) and any(c.islower() for c in body) and any(c.isdigit() for c in body):
            return True
    return False


def installation_key(path: Path) -> bytes:
    """This installation's own random key, made at its first use into a file only the bot's user can read.

    Kept beside the database, not in it, so that a copy of the database alone (a backup) is not enough to
    test guesses against what it keys. A lost key only makes later digests differ from earlier ones.
    """
    if not path.exists():
        # Written whole beside it, then linked into place: a death mid-write leaves no empty key behind (which
        # would stop every later start), and of two processes making it at once the first link wins for both.
        temporary = create_beside(path)
        try:
            with temporary.open("wb") as out:
                out.write(secrets.token_bytes(32))
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
        finally:
            temporary.unlink(missing_ok=True)
    key = path.read_bytes()
    if len(key) != 32:
        raise ValueError(f"{path}: not a key of 32 bytes")
    return key


def new_provisional() -> str:
    """A random provisional password, easy to read out: like 'Kp7m-X4tz-R9'."""
    while True:
        body = "".join(secrets.choice(_READABLE) for _ in range(10))
        if any(c.isupper() for c in body) and any(c.islower() for c in body) and any(c.isdigit() for c in body):
            return f"{body[:4]}-{body[4:8]}-{body[8:]}"
