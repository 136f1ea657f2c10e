"""What `entbot` writes is for its own user only: 0600 files and 0700 folders, whatever the umask of the shell."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import stat
import sys
from pathlib import Path

import pytest

from sandbox.server import SandboxServer
from tests import flows
from tests.conftest import running_bot
from tests.test_process import bot_env


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


async def entbot(env: dict[str, str], cwd: Path, umask: int, *args: str) -> tuple[int, str]:
    """`entbot …` as the IT referent runs it from a shell whose umask is `umask`."""
    process = await asyncio.create_subprocess_exec(
        "sh", "-c", f'umask {umask:03o} && exec "$0" -m bot "$@"', sys.executable, *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode()


def world_or_group_open(root: Path, mine: set[Path]) -> list[str]:
    """Every file and folder under `root` made by `entbot` whose mode is not 0600 (files) or 0700 (folders)."""
    wrong = []
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            if path in mine:
                continue
            want = 0o700 if path.is_dir() else 0o600
            if mode(path) != want:
                wrong.append(f"{path.relative_to(root)} {oct(mode(path))}")
    return wrong


@pytest.mark.parametrize("umask", [0o022, 0o000], ids=["umask022", "umask000"])
async def test_a_local_user_reads_nothing_entbot_writes(tmp_path: Path, umask: int) -> None:
    """Another account on the school's server tries to read the base, its copies, the letters and every export."""
    server = SandboxServer()
    await server.start()
    database = tmp_path / "donnees" / "base" / "entbot.sqlite3"  # folders entbot creates
    env = bot_env(server.api_url, database, SCHOOL_NAME="Collège Léonard de Vinci",
                  MPLCONFIGDIR=str(tmp_path / "cache-matplotlib"))
    (tmp_path / "lettres").mkdir(mode=0o755)  # a folder of the admin's: the letters are private in it all the same
    comptes = tmp_path / "comptes.csv"
    comptes.write_text(f"identifiant;mot_de_passe_provisoire\n{flows.IDENTIFIER};{flows.PROVISIONAL}\n"
                       "lea.martin;Prov-Lea1a\n", encoding="utf-8")
    stale = tmp_path / "etat.csv"  # a file of the same name, left open to all by something else
    stale.write_text("ancien\n", encoding="utf-8")
    stale.chmod(0o644)
    log = tmp_path / "bot.log"
    mine = {comptes, log, tmp_path / "lettres", stale}
    tmp_path.chmod(0o755)
    folder_mode = mode(tmp_path)
    try:
        for args in (["accounts", "import", str(comptes)],
                     ["letters", str(comptes), "--out", "lettres/lettres.pdf", "--csv", "lettres/liens.csv",
                      "--only", "lea.martin"],
                     ["accounts", "export", "etat.csv"],
                     ["stats", "--png", "stats.png"],
                     ["backup", "cle-usb/sauvegardes/copie.sqlite3"],
                     ["privacy", "export", "123456789", "--out", "famille.json"],
                     ["restore", "cle-usb/sauvegardes/copie.sqlite3"]):
            code, out = await entbot(env, tmp_path, umask, *args)
            assert code == 0, (args, out)
            if args[:2] == ["accounts", "export"]:
                mine.discard(stale)  # written over by now: entbot's
            assert world_or_group_open(tmp_path, mine) == [], args
        assert (tmp_path / "lettres" / "lettres.pdf").read_bytes().startswith(b"%PDF")
        assert "lea.martin" in (tmp_path / "lettres" / "liens.csv").read_text(encoding="utf-8-sig")
        assert flows.IDENTIFIER in stale.read_text(encoding="utf-8-sig")
        assert list(database.parent.glob("entbot.sqlite3.avant-restauration-*"))

        # A base made before this rule, open to the group and to others, in use (its -wal and -shm are there): the
        # next command closes it.
        reader = sqlite3.connect(database)
        try:
            reader.execute("PRAGMA journal_mode=WAL")
            reader.execute("SELECT COUNT(*) FROM accounts").fetchall()
            for made_before in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
                made_before.chmod(0o644)
            code, out = await entbot(env, tmp_path, umask, "accounts", "list")
            assert code == 0, out
            assert world_or_group_open(tmp_path, mine) == []
        finally:
            reader.close()

        # `entbot run`: the base in use, its -wal and -shm, the run lock (the one `restore` left, made open to all).
        Path(f"{database}.lock").chmod(0o644)
        with log.open("wb") as sink:
            run = await asyncio.create_subprocess_exec(
                "sh", "-c", f'umask {umask:03o} && exec "$0" -m bot run', sys.executable, env=env, cwd=tmp_path,
                stdout=sink, stderr=asyncio.subprocess.STDOUT)
            try:
                for _ in range(400):
                    if b"ready" in log.read_bytes() or run.returncode is not None:
                        break
                    await asyncio.sleep(0.05)
                assert b"ready" in log.read_bytes(), log.read_text()
                assert Path(f"{database}-wal").exists() and Path(f"{database}.lock").exists()
                assert world_or_group_open(tmp_path, mine) == []
            finally:
                if run.returncode is None:
                    run.send_signal(signal.SIGTERM)
                assert await asyncio.wait_for(run.wait(), 30) == 0
    finally:
        await server.stop()
    assert world_or_group_open(tmp_path, mine) == []
    assert mode(tmp_path) == folder_mode  # a folder that was already there is the admin's: left as it was
    assert not [p for p in tmp_path.rglob(".*.tmp")]  # no temporary file left behind


async def test_the_nightly_copies_are_the_bots_alone(sandbox_server: SandboxServer, tmp_path: Path) -> None:
    """The running bot's nightly job, with no umask to help it: the copies and their folder are still private."""
    folder = tmp_path / "sauvegardes" / "nuit"
    before = os.umask(0)
    try:
        async with running_bot(sandbox_server, tmp_path, backup_dir=folder, backup_keep=2) as harness:
            await flows.with_account(harness)
            await harness.run_job("nightly_backup")
            database = harness.settings.database
            files = list(database.parent.glob(f"{database.name}*"))
            assert len(files) >= 3 and {oct(mode(p)) for p in files} == {oct(0o600)}, files
    finally:
        os.umask(before)
    assert mode(tmp_path / "sauvegardes") == 0o700 and mode(folder) == 0o700
    copies = list(folder.glob("entbot-*.sqlite3"))
    assert len(copies) == 1 and mode(copies[0]) == 0o600
