"""deploy/entbot.service: the sandboxing a Debian service has, with what the bot needs left open."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

UNIT = ROOT / "deploy" / "entbot.service"
EXPOSURE_BOUND = 2.0  # systemd-analyze's "OK" band; the unit without sandboxing scored 7.3 ("MEDIUM")


def directives(unit: Path) -> dict[str, list[str]]:
    """`Key=value` lines of the [Service] section; a key given twice (SystemCallFilter) keeps every value."""
    found: dict[str, list[str]] = {}
    section = ""
    for raw in unit.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]":
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_the_service_is_sandboxed_and_keeps_what_the_bot_needs() -> None:
    service = directives(UNIT)
    for key, value in {"User": "entbot", "NoNewPrivileges": "true", "ProtectSystem": "strict", "ProtectHome": "true",
                       "PrivateTmp": "true", "PrivateDevices": "true", "ProtectKernelTunables": "true",
                       "ProtectKernelModules": "true", "ProtectKernelLogs": "true", "ProtectControlGroups": "true",
                       "ProtectClock": "true", "ProtectHostname": "true", "ProtectProc": "invisible",
                       "ProcSubset": "pid", "RestrictNamespaces": "true", "RestrictRealtime": "true",
                       "RestrictSUIDSGID": "true", "LockPersonality": "true", "MemoryDenyWriteExecute": "true",
                       "SystemCallArchitectures": "native", "CapabilityBoundingSet": "", "UMask": "0077",
                       "StateDirectoryMode": "0700"}.items():
        assert service.get(key) == [value], key
    assert service["RestrictAddressFamilies"] == ["AF_INET AF_INET6 AF_UNIX"]  # Telegram, mail, LDAP; journald, DNS
    assert "@system-service" in service["SystemCallFilter"]
    # The Argon2 threads lower their own priority with setpriority(), which is in @resources: never filtered out.
    assert not any("@resources" in value for value in service["SystemCallFilter"])
    assert "PrivateNetwork" not in service and "IPAddressDeny" not in service
    assert re.fullmatch(r"\d+[KMG]", service["MemoryMax"][0]) and int(service["TasksMax"][0]) >= 128
    assert service["StateDirectory"] == ["entbot"] and service["Environment"].count("ENTBOT_DATA_DIR=/var/lib/entbot")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze absent (apt-get install systemd)")
def test_systemd_analyze_scores_the_unit_ok() -> None:
    result = subprocess.run(["systemd-analyze", "security", "--offline=yes", str(UNIT)], capture_output=True,
                            text=True, timeout=60)
    score = re.search(r"Overall exposure level for entbot\.service: (\d+\.\d+)", result.stdout)
    assert score is not None, result.stdout + result.stderr
    assert float(score.group(1)) < EXPOSURE_BOUND, result.stdout
    verify = subprocess.run(["systemd-analyze", "verify", str(UNIT)], capture_output=True, text=True, timeout=60)
    # Only the program itself is missing on a machine where the bot is not installed in /opt/entbot.
    assert [line for line in verify.stderr.splitlines() if "/opt/entbot/.venv/bin/entbot" not in line] == []
