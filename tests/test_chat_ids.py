"""Chat ids without guesswork: `entbot chats --listen` with the bot stopped, and /id in a group for staff only."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from sandbox.driver import Sandbox
from sandbox.server import SandboxServer
from tests.conftest import STAFF_ID, TOKEN, Harness, process_env, running_bot


async def test_listen_prints_each_chat_and_sender_and_leaves_the_messages_to_the_bot(
        sandbox_server: SandboxServer, tmp_path: Path) -> None:
    sandbox = Sandbox(sandbox_server.url)
    secretary = await sandbox.person("Sylvie", user_id=STAFF_ID)
    stranger = await sandbox.person("Marc\x1b[2J\x1b]0;pwned\x07")  # a name that would clear the terminal
    group = await sandbox.group("Salle des profs", [secretary, stranger])
    env = process_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=sandbox_server.api_url)
    listen = subprocess.Popen([sys.executable, "-m", "bot", "chats", "--listen", "4"], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    loop = asyncio.get_running_loop()
    assert listen.stdout is not None
    first = await loop.run_in_executor(None, listen.stdout.readline)
    assert "À l'écoute pendant 4 s" in first
    await secretary.send("/id", chat=group, wait=False)
    await secretary.send("bonjour", wait=False)
    await stranger.send("salut", wait=False)
    out, err = await loop.run_in_executor(None, listen.communicate)
    assert listen.returncode == 0, err
    lines = out.splitlines()
    assert f"groupe  « Salle des profs »  identifiant {group.chat_id}  expéditeur {STAFF_ID}" in lines
    assert f"privé   « Sylvie »  identifiant {STAFF_ID}  expéditeur {STAFF_ID}" in lines
    assert f"privé   « Marc?[2J?]0;pwned? »  identifiant {stranger.user_id}  expéditeur {stranger.user_id}" in lines
    assert "\x1b" not in out and "\x07" not in out
    assert len([line for line in lines if "identifiant" in line]) == 3  # each message once, though read again
    assert "prochain démarrage" in out
    assert not (tmp_path / "data").exists()  # needs no database, creates none

    # The bot, started afterwards, still gets both messages: the /id in the group is answered to the secretary.
    async with running_bot(sandbox_server, tmp_path):
        answer = await group.wait_for("Identifiant de cette conversation")
        assert str(group.chat_id) in answer.text
    await sandbox.close()


async def test_id_in_a_group_answers_staff_and_no_one_else(bot: Harness) -> None:
    secretary = await bot.secretary()
    parent = await bot.parent("Marc")
    colleague = await bot.parent("Claire")
    staff_group = await bot.staff_group(secretary, colleague)
    other = await bot.sandbox.group("Parents de 5B", [secretary, parent, colleague])

    await parent.send("/id", chat=other)
    assert [m.text for m in await other.messages()] == ["/id"]  # a stranger's /id: nothing, as an unknown command
    await parent.send("/id")
    assert "Identifiant de cette conversation" not in await parent.all_text()

    # A member of the staff group is staff: in the staff group itself, and in another group.
    await colleague.send("/id", chat=staff_group)
    assert f"Identifiant de cette conversation : {staff_group.chat_id}" in (await staff_group.last()).text
    await colleague.send("/id", chat=other)
    assert f"Identifiant de cette conversation : {other.chat_id}" in (await other.last()).text

    await secretary.send("/id", chat=other)
    answer = await other.last()
    assert f"Identifiant de cette conversation : {other.chat_id}" in answer.text and str(STAFF_ID) in answer.text
    await secretary.send("/id")
    assert f"Identifiant de cette conversation : {STAFF_ID}" in (await secretary.last()).text
