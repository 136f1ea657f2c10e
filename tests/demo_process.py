"""The demo as a visitor starts it: `python -m sandbox.demo` (or `make run`) as a process, its children found in /proc."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import process_env
from tests.waiting import free_port


def children(pid: int) -> list[int]:
    """The direct children of a process, as Linux lists them."""
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            found += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    except OSError:
        return []
    return found


def descendants(pid: int) -> list[int]:
    out: list[int] = []
    for child in children(pid):
        out += [child, *descendants(child)]
    return out


def alive(pid: int) -> bool:
    """A process that still runs (a zombie waiting for its parent counts as gone: it holds nothing)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode(errors="replace").split("\0") if "=" in item)


class DemoProcess:
    """A running demo: its page's address, the lines it printed, its process and the bot's."""

    def __init__(self, cwd: Path, command: list[str] | None = None, listen: str | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.listen = listen or f"127.0.0.1:{self.port}"
        full_env = process_env(DEMO_LISTEN=self.listen, **(env or {}))
        self.proc = subprocess.Popen(command or [sys.executable, "-m", "sandbox.demo"], cwd=cwd, env=full_env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        self.lines: list[str] = []

    async def started(self, timeout: float = 90.0) -> str:
        """Waits for the demo's two lines; returns the page's address."""
        assert self.proc.stdout is not None
        loop = asyncio.get_running_loop()
        for _ in range(2):
            line = await asyncio.wait_for(loop.run_in_executor(None, self.proc.stdout.readline), timeout)
            if not line:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise AssertionError(f"the demo stopped: {self.lines} {err}")
            self.lines.append(line.decode().rstrip("\n"))
        return f"http://{self.listen}/"

    def bot_pid(self) -> int:
        """The `entbot run` child (its command line says so)."""
        for pid in descendants(self.proc.pid):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"bot" in cmdline and b"run" in cmdline:
                return pid
        raise AssertionError("no entbot run under the demo")

    def interrupt(self, timeout: float = 30.0) -> int:
        """Ctrl-C in the terminal: SIGINT to the foreground process group (make's, or the launcher's)."""
        os.killpg(self.proc.pid, signal.SIGINT)
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        """Stops the demo as Ctrl-C would (so that it cleans up), and by force if it does not."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGINT)
                self.proc.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        if self.proc.poll() is None:
            with_children = [self.proc.pid, *descendants(self.proc.pid)]
            for pid in reversed(with_children):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.proc.wait(timeout=10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
