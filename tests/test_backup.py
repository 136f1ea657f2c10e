"""Backups: a copy taken while `entbot run` serves a parent, a restore refused while it runs, a checked restore after
the disk is lost, and the parent finishing; the nightly copies and their rotation."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from conversations.texts import question
from sandbox.driver import Sandbox
from sandbox.server import SandboxServer
from storage.backup import DatabaseLock, check_copy
from tests import flows
from tests.conftest import Harness, running_bot
from tests.test_process import BotProcess, _click, _type, bot_env


def entbot(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def step_of(database: Path) -> list[str]:
    conn = sqlite3.connect(database)
    steps = [r[0] for r in conn.execute("SELECT step FROM activation_progress")]
    conn.close()
    return steps


async def test_a_backup_taken_mid_activation_is_restored_and_the_parent_finishes(tmp_path: Path) -> None:
    server = SandboxServer()
    await server.start()
    database = tmp_path / "data" / "entbot.sqlite3"
    env = bot_env(server.api_url, database)
    csv = tmp_path / "comptes.csv"
    csv.write_text(f"identifiant;mot_de_passe_provisoire\n{flows.IDENTIFIER};{flows.PROVISIONAL}\n", encoding="utf-8")
    assert entbot(env, tmp_path, "accounts", "import", str(csv)).returncode == 0
    sandbox = Sandbox(server.url)
    loop = asyncio.get_running_loop()
    copy = tmp_path / "cle-usb" / "copie.sqlite3"
    bot = BotProcess(env, tmp_path / "bot.log", tmp_path)
    try:
        await bot.wait_ready()
        parent = await sandbox.person("Jean")
        await _type(parent, "/start", "Bonjour")
        await _click(parent, "🔑 Activer mon compte", "Étape 1/6")
        await _click(parent, "👪 Élève ou parent", "Étape 2/6")
        await _type(parent, flows.IDENTIFIER, "mot de passe provisoire")
        await _type(parent, flows.PROVISIONAL, "Étape 3/6")
        await _click(parent, "✅ J'ai lu et j'accepte", "Étape 4/6")
        await _click(parent, "⏭ Passer (recommandé)", "Première question")
        await _click(parent, question(7), "Tapez votre réponse")
        await _type(parent, flows.ANSWER1, "Seconde question")

        saved = await loop.run_in_executor(None, entbot, env, tmp_path, "backup", str(copy))
        assert saved.returncode == 0, saved.stderr
        assert "Sauvegarde écrite" in saved.stdout
        assert check_copy(copy) is None and step_of(copy) == ["question2"]  # the copy holds the step in progress

        refused = await loop.run_in_executor(None, entbot, env, tmp_path, "restore", str(copy))
        assert refused.returncode == 1 and "le bot tourne" in refused.stderr
        assert bot.proc.poll() is None
        assert bot.stop(signal.SIGTERM) == 0

        # The server's disk is lost: the database with it.
        for leftover in database.parent.glob("entbot.sqlite3*"):
            leftover.unlink()
        restored = await loop.run_in_executor(None, entbot, env, tmp_path, "restore", str(copy))
        assert restored.returncode == 0, restored.stderr
        assert step_of(database) == ["question2"]

        bot = BotProcess(env, tmp_path / "bot.log", tmp_path)
        await bot.wait_ready()
        await _click(parent, question(9), "Tapez votre réponse")  # on the first page of the second list
        await _type(parent, flows.ANSWER2, "Étape 6/6")
        await _type(parent, flows.PASSWORD, "seconde fois")
        await _type(parent, flows.PASSWORD, "Compte activé !")
        assert bot.stop(signal.SIGTERM) == 0
    finally:
        if bot.proc.poll() is None:
            bot.stop(signal.SIGKILL)
        await sandbox.close()
        await server.stop()
    conn = sqlite3.connect(database)
    assert conn.execute("SELECT state FROM accounts").fetchone()[0] == "active"
    conn.close()


async def test_restore_checks_the_copy_first_and_changes_nothing_when_it_is_bad(tmp_path: Path) -> None:
    env = bot_env("http://127.0.0.1:9/bot", tmp_path / "entbot.sqlite3")
    csv = tmp_path / "comptes.csv"
    csv.write_text(f"identifiant;mot_de_passe_provisoire\n{flows.IDENTIFIER};{flows.PROVISIONAL}\n", encoding="utf-8")
    assert entbot(env, tmp_path, "accounts", "import", str(csv)).returncode == 0
    good = tmp_path / "bonne.sqlite3"
    assert entbot(env, tmp_path, "backup", str(good)).returncode == 0
    before = (tmp_path / "entbot.sqlite3").read_bytes()

    damaged = tmp_path / "abimee.sqlite3"
    damaged.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])  # cut in the middle of a copy
    newer = tmp_path / "plus-recente.sqlite3"
    newer.write_bytes(good.read_bytes())
    conn = sqlite3.connect(newer)
    conn.execute("INSERT INTO schema_migrations VALUES (9999, 'future', '2030-01-01T00:00:00+00:00')")
    conn.commit()
    conn.close()
    notes = tmp_path / "notes.txt"
    notes.write_text("pas une base\n" * 200)
    for bad, reason in ((damaged, "abîmé"), (newer, "plus récent"), (notes, "pas une base")):
        result = entbot(env, tmp_path, "restore", str(bad))
        assert result.returncode == 1, result.stdout
        assert reason in result.stderr and "Rien n'a été changé" in result.stderr
        assert (tmp_path / "entbot.sqlite3").read_bytes() == before

    result = entbot(env, tmp_path, "restore", str(good))
    assert result.returncode == 0 and "avant-restauration" in result.stdout
    assert len(list(tmp_path.glob("entbot.sqlite3.avant-restauration-*"))) == 1


async def test_the_nightly_backup_keeps_the_last_copies(sandbox_server: SandboxServer, tmp_path: Path) -> None:
    folder = tmp_path / "sauvegardes"
    harness: Harness
    async with running_bot(sandbox_server, tmp_path, backup_dir=folder, backup_keep=2) as harness:
        await flows.with_account(harness)
        for _ in range(3):
            await harness.run_job("nightly_backup")
        copies = sorted(folder.glob("entbot-*.sqlite3"))
        assert len(copies) == 2
        for copy in copies:
            assert check_copy(copy) is None
            conn = sqlite3.connect(copy)
            assert conn.execute("SELECT identifier FROM accounts").fetchall() == [(flows.IDENTIFIER,)]
            conn.close()
        assert not list(folder.glob(".*"))  # no half copy left beside them


def test_one_bot_per_database_and_no_backup_over_it(tmp_path: Path) -> None:
    database = tmp_path / "entbot.sqlite3"
    env = bot_env("http://127.0.0.1:9/bot", database)
    csv = tmp_path / "comptes.csv"
    csv.write_text(f"identifiant;mot_de_passe_provisoire\n{flows.IDENTIFIER};{flows.PROVISIONAL}\n", encoding="utf-8")
    assert entbot(env, tmp_path, "accounts", "import", str(csv)).returncode == 0
    before = database.read_bytes()
    with DatabaseLock(database):  # as a running `entbot run` holds it
        second = entbot(env, tmp_path, "run")
    assert second.returncode == 2 and "un autre « entbot run » utilise déjà la base" in second.stderr
    for target in (str(database), "./entbot.sqlite3", f"{database}-wal"):
        result = entbot(env, tmp_path, "backup", target)
        assert result.returncode == 2 and "autre nom de fichier" in result.stderr
        result = entbot(env, tmp_path, "restore", target) if Path(target).exists() else None
        assert result is None or (result.returncode == 2 and "la base en service elle-même" in result.stderr)
    assert database.read_bytes() == before
