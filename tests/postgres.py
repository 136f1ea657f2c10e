"""A real PostgreSQL for the tests: Debian's server, initdb in a temporary directory, on a unix socket there, stopped by PID."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROLE = "entbot"
HINT = ("PostgreSQL absent : installez-le avec « sudo apt-get install -y --no-install-recommends postgresql » "
        "(les tests sur PostgreSQL en ont besoin), ou lancez scripts/ensure-postgresql.sh en root")


class Unavailable(Exception):
    """No PostgreSQL server program on this machine."""


def bindir() -> Path:
    """Debian's newest installed server (/usr/lib/postgresql/<version>/bin), else one on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("postgres")
    if on_path is None:
        raise Unavailable(HINT)
    return Path(on_path).resolve().parent


@dataclass
class PostgresServer:
    """One server for a test session (one per xdist worker), a fresh database for each test that asks."""

    directory: Path
    pid: int

    @property
    def socket_dir(self) -> Path:
        return self.directory

    def url(self, database: str) -> str:
        return f"postgresql://{ROLE}@/{database}?host={self.socket_dir}"

    def new_database(self) -> str:
        """A new empty database, its URL returned: each test its own, as each has its own SQLite file."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        try:
            os.kill(self.pid, signal.SIGINT)  # "fast" shutdown: clients are disconnected, nothing kept
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _alive(self.pid):
            time.sleep(0.05)
        if _alive(self.pid):
            os.kill(self.pid, signal.SIGKILL)
        shutil.rmtree(self.directory, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (our child's child, not yet reaped by init) counts as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


def _as_server_user(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root (CI runs as root): there, as `nobody`."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "nobody", "--", *argv]


def start(durable: bool = False) -> PostgresServer:
    """initdb, then the server on a unix socket in the same temporary directory (no TCP port to collide on).

    `durable`: fsync and synchronous commits on, as a deployed server has them (bench/); the tests go without.
    """
    bin_ = bindir()
    directory = Path(tempfile.mkdtemp(prefix="entbot-pg-"))
    data = directory / "data"
    if os.geteuid() == 0:
        os.chown(directory, 65534, 65534)  # nobody
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    try:
        subprocess.run(_as_server_user([str(bin_ / "initdb"), "-D", str(data), "-U", ROLE, "-A", "trust",
                                        "-E", "UTF8", "--locale=C", "--no-sync"]),
                       check=True, capture_output=True, env=env, cwd=directory, timeout=120)
        # A test server: nothing needs to survive a crash of the machine (fsync off), and no TCP at all.
        fast = "" if durable else " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        options = f"-k {directory} -c listen_addresses=''{fast} -c max_connections=200"
        subprocess.run(_as_server_user([str(bin_ / "pg_ctl"), "-D", str(data), "-l", str(directory / "server.log"),
                                        "-o", options, "-w", "-t", "60", "start"]),
                       check=True, capture_output=True, env=env, cwd=directory, timeout=90)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        log = directory / "server.log"
        detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        stderr = getattr(exc, "stderr", b"") or b""
        shutil.rmtree(directory, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {exc}\n{stderr.decode(errors='replace')}\n{detail}") from None
    pid = int((data / "postmaster.pid").read_text().split("\n", 1)[0])
    return PostgresServer(directory, pid)
