"""`entbot run` killed (kill -9) while a parent's question waits for its answer: after the restart, the answer
goes to the handler of the state saved in SQLite (re-authentication, writing to the school)."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conversations.texts import question
from sandbox.driver import Person, Sandbox
from sandbox.server import SandboxServer
from tests import flows
from tests.test_process import BotProcess, bot_env

OTHER_IDENTIFIER, OTHER_PROVISIONAL = "lea.martin", "Prov-3c"


async def _type(parent: Person, text: str, then: str) -> int:
    sent = await parent.send(text)
    await parent.wait_for(then)
    return sent


async def _click(parent: Person, label: str, then: str) -> None:
    await parent.click(label)
    await parent.wait_for(then)


async def _to_cgu(parent: Person, identifier: str, provisional: str) -> None:
    await _type(parent, "/start", "Bonjour")
    await _click(parent, "🔑 Activer mon compte", "Étape 1/6")
    await _click(parent, "👪 Élève ou parent", "Étape 2/6")
    await _type(parent, identifier, "mot de passe provisoire")
    await _type(parent, provisional, "Étape 3/6")


def _an_hour_ago(database: Path, user_id: int) -> None:
    """The parent's last accepted answer was an hour ago (the process's clock cannot be moved)."""
    moment = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds")
    conn = sqlite3.connect(database)
    columns = {r[1] for r in conn.execute("PRAGMA table_info(activation_progress)")} & {"proven_at", "updated_at"}
    conn.execute(f"UPDATE activation_progress SET {', '.join(f'{c} = ?' for c in sorted(columns))}"
                 " WHERE telegram_user_id = ?", (*[moment] * len(columns), user_id))
    conn.commit()
    conn.close()


async def test_killed_while_questions_wait_the_saved_state_s_handler_answers(tmp_path: Path) -> None:
    server = SandboxServer()
    await server.start()
    database = tmp_path / "entbot.sqlite3"
    env = bot_env(server.api_url, database)
    csv = tmp_path / "comptes.csv"
    csv.write_text("identifiant;mot_de_passe_provisoire\n"
                   f"{flows.IDENTIFIER};{flows.PROVISIONAL}\n{OTHER_IDENTIFIER};{OTHER_PROVISIONAL}\n", encoding="utf-8")
    imported = subprocess.run([sys.executable, "-m", "bot", "accounts", "import", str(csv)], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
    assert imported.returncode == 0, imported.stderr
    sandbox = Sandbox(server.url)
    bot = BotProcess(env, tmp_path / "bot.log", tmp_path)
    try:
        await bot.wait_ready()
        away, writer = await sandbox.person("Jean"), await sandbox.person("Léa")
        # One parent comes back after an hour and is asked to prove it is them.
        await _to_cgu(away, flows.IDENTIFIER, flows.PROVISIONAL)
        _an_hour_ago(database, away.user_id)
        await _click(away, "✅ J'ai lu et j'accepte", "Cela fait un moment que vous n'avez rien tapé")
        # The other, at the answer to the first secret question, opens "Écrire au collège".
        await _to_cgu(writer, OTHER_IDENTIFIER, OTHER_PROVISIONAL)
        await _click(writer, "✅ J'ai lu et j'accepte", "Étape 4/6")
        await _click(writer, "⏭ Passer (recommandé)", "Première question")
        await _click(writer, question(7), "Tapez votre réponse")
        await _type(writer, "/aide", "Aide")
        await _click(writer, "✍️ Écrire au collège", "Écrivez votre message")

        assert bot.stop(signal.SIGKILL) == -signal.SIGKILL
        bot = BotProcess(env, tmp_path / "bot.log", tmp_path)
        await bot.wait_ready()

        password = await _type(away, flows.PROVISIONAL, "c'est bien vous")
        assert password in await away.deleted_ids()
        await _type(writer, "Bonjour je ne comprends pas cette question", "demande n°1")
        assert bot.stop(signal.SIGTERM) == 0
    finally:
        if bot.proc.poll() is None:
            bot.stop(signal.SIGKILL)
        await sandbox.close()
        await server.stop()
    conn = sqlite3.connect(database)
    answered = conn.execute("SELECT answer1_hash, step FROM activation_progress WHERE telegram_user_id = ?",
                            (writer.user_id,)).fetchone()
    tickets = conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
    conn.close()
    assert answered == (None, "answer1") and tickets == 1  # a ticket, not a secret answer
