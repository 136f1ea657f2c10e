"""The sandbox in a process of its own for the benchmarks, so that its work is not counted as the bot's."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_sandbox() -> tuple[subprocess.Popen[bytes], str]:
    """Starts `python -m sandbox` on a free port; returns the process and its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "sandbox", "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.readline()  # it prints its URL once it listens
    return proc, f"http://127.0.0.1:{port}"


def stop_sandbox(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait()
