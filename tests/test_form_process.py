"""The secure form in `entbot run` as a real process: kill -9 right after the page got its answer loses nothing,
and the bot's log holds neither the value nor initData."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path

from sandbox.driver import Sandbox
from sandbox.server import SandboxServer
from tests import flows
from tests.form_helpers import FormClient, form_url, free_port, signed, token_of
from tests.test_process import BotProcess, _click, _type, bot_env, import_guide_account


async def test_killed_right_after_the_page_got_its_answer_the_step_is_kept(tmp_path: Path) -> None:
    server = SandboxServer()
    await server.start()
    database = tmp_path / "entbot.sqlite3"
    port = free_port()
    env = bot_env(server.api_url, database, WEBAPP_URL=f"http://127.0.0.1:{port}", WEB_LISTEN=f"127.0.0.1:{port}",
                  LOG_LEVEL="DEBUG")
    import_guide_account(env, tmp_path)
    sandbox = Sandbox(server.url)
    bot = BotProcess(env, tmp_path / "bot.log", tmp_path)
    client = FormClient(f"http://127.0.0.1:{port}")
    loop = asyncio.get_running_loop()
    try:
        await bot.wait_ready()
        parent = await sandbox.person("Jean")
        await _type(parent, "/start", "Bonjour")
        await _click(parent, "🔑 Activer mon compte", "Étape 1/6")
        await _click(parent, "👪 Élève ou parent", "Étape 2/6")
        await _type(parent, flows.IDENTIFIER, "mot de passe provisoire")
        url = await form_url(parent)
        init = signed(parent)
        status, answer = await client.submit(token_of(url), init, value=flows.PROVISIONAL)
        assert (status, answer["ok"]) == (200, True)
        assert await loop.run_in_executor(None, bot.stop, signal.SIGKILL) == -signal.SIGKILL  # at once

        conn = sqlite3.connect(database)
        step = conn.execute("SELECT step FROM activation_progress").fetchone()[0]
        conn.close()
        assert step == "cgu"  # saved before the page was answered
        bot = BotProcess(env, tmp_path / "bot.log", tmp_path)
        await bot.wait_ready()
        await parent.wait_for("Étape 3/6")
        await _click(parent, "✅ J'ai lu et j'accepte", "Étape 4/6")
        assert await loop.run_in_executor(None, bot.stop, signal.SIGTERM) == 0
    finally:
        if bot.proc.poll() is None:
            bot.stop(signal.SIGKILL)
        await client.close()
        await sandbox.close()
        await server.stop()
    logged = bot.log.read_text()
    assert "secure form listening" in logged and "Formulaire sécurisé" in logged  # its own doctor line
    assert flows.PROVISIONAL not in logged and init not in logged and "auth_date" not in logged
    assert "Traceback" not in logged
