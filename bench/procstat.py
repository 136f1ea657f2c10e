"""CPU time of another process, and of its main thread, read from /proc (Linux): what the benchmark bills the bot."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Cpu:
    """Seconds of CPU (user + system) of a whole process and of its main thread, which runs the event loop."""

    process: float
    main_thread: float

    def __sub__(self, other: Cpu) -> Cpu:
        return Cpu(self.process - other.process, self.main_thread - other.main_thread)


def _utime_stime(stat: Path) -> float:
    # The command name (field 2) is in parentheses and may hold spaces: split after its closing one.
    fields = stat.read_text().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5), counted from 1
    return (utime + stime) / TICKS_PER_SECOND


def cpu_of(pid: int) -> Cpu:
    """The CPU a running process used so far; its main thread's is /proc/<pid>/task/<pid>/stat."""
    proc = Path(f"/proc/{pid}")
    return Cpu(_utime_stime(proc / "stat"), _utime_stime(proc / "task" / str(pid) / "stat"))
