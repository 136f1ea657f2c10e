"""deploy/entbot.service: the sandboxing a Debian service has, with what the bot needs left open."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conversations.texts import question
from sandbox.driver import Sandbox
from sandbox.server import SandboxServer
from tests import flows
from tests.test_process import _click, _type, bot_env, import_guide_account
from tests.unit_seccomp import UNIT, load_seccomp, service_directives

EXPOSURE_BOUND = 2.0  # systemd-analyze's "OK" band; the unit without sandboxing scored 7.3 ("MEDIUM")


def test_the_service_is_sandboxed_and_keeps_what_the_bot_needs() -> None:
    service = service_directives()
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


# With CI=true a missing tool is a failure, never a skip (`make test` installs them: scripts/ensure-systemd-tools.sh).
IN_CI = os.environ.get("CI") == "true"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None and not IN_CI,
                    reason="systemd-analyze absent (apt-get install systemd)")
def test_systemd_analyze_scores_the_unit_ok() -> None:
    result = subprocess.run(["systemd-analyze", "security", "--offline=yes", str(UNIT)], capture_output=True,
                            text=True, timeout=60)
    score = re.search(r"Overall exposure level for entbot\.service: (\d+\.\d+)", result.stdout)
    assert score is not None, result.stdout + result.stderr
    assert float(score.group(1)) < EXPOSURE_BOUND, result.stdout
    verify = subprocess.run(["systemd-analyze", "verify", str(UNIT)], capture_output=True, text=True, timeout=60)
    # Only the program itself is missing on a machine where the bot is not installed in /opt/entbot.
    assert [line for line in verify.stderr.splitlines() if "/opt/entbot/.venv/bin/entbot" not in line] == []


def nice_values(pid: int) -> set[int]:
    """The nice value of each of the process's threads (field 19 of /proc/<pid>/task/<tid>/stat)."""
    found = set()
    for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue  # a thread that ended meanwhile
        found.add(int(fields[16]))
    return found


@pytest.mark.skipif((load_seccomp() is None or shutil.which("systemd-analyze") is None) and not IN_CI,
                    reason="python3-seccomp and systemd-analyze needed (apt-get install python3-seccomp systemd)")
async def test_the_bot_activates_a_family_under_the_units_system_call_rules(tmp_path: Path) -> None:
    """The unit's SystemCallFilter, MemoryDenyWriteExecute and RestrictAddressFamilies, as systemd would install them,
    around `entbot run`: a family activates (Argon2 in its lowered-priority threads, SQLite, HTTPS to Telegram)."""
    server = SandboxServer()
    await server.start()
    database = tmp_path / "entbot.sqlite3"
    env = bot_env(server.api_url, database)
    import_guide_account(env, tmp_path)
    log = tmp_path / "bot.log"
    sandbox = Sandbox(server.url)
    with log.open("wb") as sink:
        bot = subprocess.Popen([sys.executable, "-m", "tests.unit_seccomp", sys.executable, "-m", "bot", "run"],
                               env=env, cwd=tmp_path, stdout=sink, stderr=subprocess.STDOUT)
        try:
            for _ in range(600):
                if b"ready" in log.read_bytes() or bot.poll() is not None:
                    break
                await asyncio.sleep(0.05)
            assert b"ready" in log.read_bytes(), log.read_text()
            parent = await sandbox.person("Jean")
            await _type(parent, "/start", "Bonjour")
            await _click(parent, "🔑 Activer mon compte", "Étape 1/6")
            await _click(parent, "👪 Élève ou parent", "Étape 2/6")
            await _type(parent, flows.IDENTIFIER, "mot de passe provisoire")
            await _type(parent, flows.PROVISIONAL, "Étape 3/6")
            # setpriority() is allowed: the hashing threads run at nice 10 (a refusal would pass silently).
            assert 10 in nice_values(bot.pid)
            await _click(parent, "✅ J'ai lu et j'accepte", "Étape 4/6")
            await _click(parent, "⏭ Passer (recommandé)", "Première question")
            await _click(parent, question(7), "Tapez votre réponse")
            await _type(parent, flows.ANSWER1, "Seconde question")
            await _click(parent, question(9), "Tapez votre réponse")
            await _type(parent, flows.ANSWER2, "Étape 6/6")
            await _type(parent, flows.PASSWORD, "seconde fois")
            await _type(parent, flows.PASSWORD, "Compte activé !")
            bot.send_signal(signal.SIGTERM)
            assert await asyncio.to_thread(bot.wait, 30) == 0, log.read_text()
        finally:
            if bot.poll() is None:
                bot.kill()
                bot.wait()
            await sandbox.close()
            await server.stop()
    assert b"Traceback" not in log.read_bytes() and b"not permitted" not in log.read_bytes(), log.read_text()
