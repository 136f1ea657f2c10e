"""`entbot migrate-db --to postgresql://…`: a SQLite deployment moved into PostgreSQL, and the bot carries on there."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg

from sandbox.server import SandboxServer
from storage.backup import DatabaseLock
from tests import flows
from tests.conftest import Harness, process_env, running_bot

DB = "entbot.sqlite3"


def migrate(tmp_path: Path, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """The operator's command, with the SQLite deployment's settings (its data directory)."""
    env = process_env(ENTBOT_DATA_DIR=str(tmp_path))
    return subprocess.run([sys.executable, "-m", "bot", "migrate-db", "--to", url, *extra], env=env,
                          capture_output=True, text=True, timeout=120)


def sqlite_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                             " AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'")]
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}


def pg_counts(url: str, tables: list[str]) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}  # type: ignore[index]


async def sqlite_deployment(server: SandboxServer, tmp_path: Path) -> None:
    """A school's bot on SQLite: a family activated its account, another wrote to the school; then it stops."""
    async with running_bot(server, tmp_path) as bot:
        await flows.with_account(bot)
        parent = await bot.parent("Amina")
        await flows.activate(parent)
        assert "activé" in await parent.text()
        await _write_to_school(bot)


async def _write_to_school(bot: Harness) -> None:
    other = await bot.parent("Karim")
    await other.send("/start")
    await other.click("✍️ Écrire au collège")
    await other.send("Bonjour, mon fils n'a pas reçu sa lettre")
    assert "Message transmis au collège" in await other.text()


async def test_a_sqlite_deployment_moves_to_postgresql_and_the_bot_carries_on(
        sandbox_server: SandboxServer, tmp_path: Path, postgres_server: Any) -> None:
    await sqlite_deployment(sandbox_server, tmp_path)
    url = postgres_server.new_database()
    before = sqlite_counts(tmp_path / DB)
    assert before["accounts"] == 1 and before["tickets"] == 1 and before["audit"] > 0

    done = migrate(tmp_path, url)
    assert done.returncode == 0, done.stderr
    assert "Copie terminée" in done.stdout and f"{sum(before.values())} ligne(s)" in done.stdout
    assert pg_counts(url, list(before)) == before  # every table, counted on both sides
    assert f"ENTBOT_DATABASE={url}" in done.stdout  # no password in this URL; the next test checks one that has

    # The bot on PostgreSQL, same data directory: the family is known, the ticket goes on, new ids follow the old.
    async with running_bot(sandbox_server, tmp_path, database_url=url) as bot:
        secretary = await bot.secretary()
        await secretary.send(f"/compte {flows.IDENTIFIER}")
        card = await secretary.text()
        assert "État : activé le" in card, card
        await _write_to_school(bot)
        async with bot.store.db.read() as conn:
            ids = [r[0] for r in await conn.execute_fetchall("SELECT id FROM tickets ORDER BY id")]
        assert ids == [1, 2]  # the copied ticket kept its number; the new one is the next, not 1 again

    # The SQLite file is untouched: the way back.
    assert sqlite_counts(tmp_path / DB) == before


async def test_a_target_with_data_is_refused_unless_replace_and_running_twice_is_harmless(
        sandbox_server: SandboxServer, tmp_path: Path, postgres_server: Any) -> None:
    await sqlite_deployment(sandbox_server, tmp_path)
    url = postgres_server.new_database()
    with_password = url.replace("entbot@", "entbot:s3cret@")  # trust authentication: any password is accepted
    first = migrate(tmp_path, with_password)
    assert first.returncode == 0, first.stderr
    assert "s3cret" not in first.stdout + first.stderr and "entbot:***@" in first.stdout
    counts = pg_counts(url, list(sqlite_counts(tmp_path / DB)))

    again = migrate(tmp_path, url)  # the same command twice: refused, nothing changed
    assert again.returncode == 1
    assert "contient déjà des données" in again.stderr and "--replace" in again.stderr
    assert pg_counts(url, list(counts)) == counts

    replaced = migrate(tmp_path, url, "--replace")  # told: the copy replaces the copy, same rows
    assert replaced.returncode == 0, replaced.stderr
    assert "remplacées" in replaced.stdout
    assert pg_counts(url, list(counts)) == counts


async def test_a_running_bot_a_missing_file_and_a_bad_address_are_refused_and_nothing_is_written(
        sandbox_server: SandboxServer, tmp_path: Path, postgres_server: Any) -> None:
    url = postgres_server.new_database()
    missing = migrate(tmp_path, url)
    assert missing.returncode != 0 and "aucune base" in missing.stderr

    await sqlite_deployment(sandbox_server, tmp_path)
    lock = DatabaseLock(tmp_path / DB)  # what `entbot run` holds for its whole life
    lock.acquire()
    try:
        running = migrate(tmp_path, url)
    finally:
        lock.release()
    assert running.returncode == 1 and "le bot tourne" in running.stderr and "arrêtez-le" in running.stderr

    for bad in ("postgresql://localhost", "/var/lib/entbot/autre.sqlite3"):
        refused = migrate(tmp_path, bad)
        assert refused.returncode != 0 and "--to" in refused.stderr

    away = migrate(tmp_path, url.replace("host=", "host=/nonexistent").replace("entbot@", "entbot:s3cret@"))
    assert away.returncode == 1 and "rien n'a été écrit" in away.stderr and "s3cret" not in away.stderr

    with psycopg.connect(url) as conn:  # no table was even created in the database the bot was running for
        assert conn.execute("SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0] == 0  # type: ignore[index]


async def test_a_row_postgresql_refuses_rolls_the_whole_copy_back(sandbox_server: SandboxServer, tmp_path: Path,
                                                                  postgres_server: Any) -> None:
    """A file SQLite's loose typing let hold a value PostgreSQL refuses: the copy stops, and nothing stays."""
    await sqlite_deployment(sandbox_server, tmp_path)
    with sqlite3.connect(tmp_path / DB) as conn:
        conn.execute("INSERT INTO ephemeral_messages (chat_id, message_id, delete_at) VALUES ('pas un nombre', 1, 't')")
    url = postgres_server.new_database()
    failed = migrate(tmp_path, url)
    assert failed.returncode == 1 and "ephemeral_messages" in failed.stderr and "rien n'a été écrit" in failed.stderr
    counts = await asyncio.to_thread(pg_counts, url, ["accounts", "audit", "tickets", "ephemeral_messages"])
    assert counts == {"accounts": 0, "audit": 0, "tickets": 0, "ephemeral_messages": 0}
