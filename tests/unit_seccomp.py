"""`python -m tests.unit_seccomp COMMAND…`: runs COMMAND under the seccomp rules deploy/entbot.service asks of systemd.

SystemCallFilter= (groups expanded by `systemd-analyze syscall-filter`, a call outside them failing with
SystemCallErrorNumber=EPERM), MemoryDenyWriteExecute= (systemd 252's rule: no mapping both writable and executable,
no mprotect to executable) and RestrictAddressFamilies=: what systemd installs before it starts the bot, without
systemd. Needs Debian's python3-seccomp (libseccomp's binding), read from the system's dist-packages.
"""

from __future__ import annotations

import mmap
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

SYSTEM_PACKAGES = "/usr/lib/python3/dist-packages"
UNIT = Path(__file__).resolve().parent.parent / "deploy" / "entbot.service"
AF_MAX = 46


def load_seccomp() -> Any:
    """libseccomp's Python binding, or None where it is not installed."""
    if SYSTEM_PACKAGES not in sys.path:
        sys.path.append(SYSTEM_PACKAGES)
    try:
        import seccomp  # type: ignore[import-not-found]
    except ImportError:
        return None
    return seccomp


def service_directives() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    section = ""
    for raw in UNIT.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
        elif section == "[Service]":
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def syscall_groups() -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    current = ""
    listing = subprocess.run(["systemd-analyze", "syscall-filter"], capture_output=True, text=True, check=True).stdout
    for line in listing.splitlines():
        entry = line.strip()
        if line.startswith("@"):
            current = entry
            groups[current] = []
        elif entry and not entry.startswith("#") and current:
            groups[current].append(entry)
    return groups


def allowed_calls(filters: list[str], groups: dict[str, list[str]]) -> set[str]:
    """systemd's reading of SystemCallFilter= lines: the first sets an allow list, a `~` line takes calls away."""

    def expand(name: str) -> set[str]:
        if not name.startswith("@"):
            return {name}
        return set().union(*(expand(item) for item in groups[name]))

    allowed = expand("@default")
    for line in filters:
        deny = line.startswith("~")
        names = set().union(*(expand(name) for name in line.lstrip("~").split()))
        allowed = allowed - names if deny else allowed | names
    return allowed


def install() -> None:
    seccomp = load_seccomp()
    if seccomp is None:
        raise SystemExit("python3-seccomp absent : apt-get install python3-seccomp")
    service = service_directives()
    calls = seccomp.SyscallFilter(defaction=seccomp.ERRNO(1))  # SystemCallErrorNumber=EPERM
    for call in sorted(allowed_calls(service.get("SystemCallFilter", []), syscall_groups())):
        try:
            calls.add_rule(seccomp.ALLOW, call)
        except (RuntimeError, ValueError):
            pass  # a call this architecture does not have (the 32-bit *_time64 ones)
    rest = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    if service.get("MemoryDenyWriteExecute") == ["true"]:
        wx = mmap.PROT_WRITE | mmap.PROT_EXEC
        rest.add_rule(seccomp.ERRNO(1), "mmap", seccomp.Arg(2, seccomp.MASKED_EQ, wx, wx))
        for call in ("mprotect", "pkey_mprotect"):
            rest.add_rule(seccomp.ERRNO(1), call, seccomp.Arg(2, seccomp.MASKED_EQ, mmap.PROT_EXEC, mmap.PROT_EXEC))
    if "RestrictAddressFamilies" in service:
        kept = {int(getattr(socket, name)) for name in service["RestrictAddressFamilies"][0].split()}
        for family in set(range(AF_MAX)) - kept:
            rest.add_rule(seccomp.ERRNO(97), "socket", seccomp.Arg(0, seccomp.EQ, family))  # EAFNOSUPPORT
    rest.load()
    calls.load()


if __name__ == "__main__":
    install()
    os.execvp(sys.argv[1], sys.argv[1:])
