"""Anyone in the staff group is staff: the bot says at start when the group is public or has an invite link."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path

import pytest

from sandbox.driver import Sandbox
from sandbox.server import SandboxServer
from tests.conftest import STAFF_CHAT_ID, running_bot
from tests.test_process import BotProcess, bot_env

LINK = "https://t.me/+AbCdEfGhIjKlMnOp"


def warnings_at_start(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "entbot" and r.levelno == logging.WARNING
            and "staff group" in r.getMessage()]


async def _group(server: SandboxServer, username: str | None, invite_link: str | None) -> None:
    sandbox = Sandbox(server.url)
    try:
        group = await sandbox.group("Secrétariat — ENT", [], chat_id=STAFF_CHAT_ID)
        await group.set_public(username, invite_link)
    finally:
        await sandbox.close()


async def test_a_public_staff_group_with_an_invite_link_is_warned_at_start(
        sandbox_server: SandboxServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    await _group(sandbox_server, "secretariat_vinci", LINK)
    async with running_bot(sandbox_server, tmp_path):
        said = warnings_at_start(caplog)
    assert any("is public (@secretariat_vinci)" in line for line in said), said
    assert any("has an invite link" in line for line in said), said
    assert all(LINK not in line for line in said)  # the way in is not copied into the log


async def test_a_private_staff_group_without_a_link_is_not_warned(
        sandbox_server: SandboxServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    await _group(sandbox_server, None, None)
    async with running_bot(sandbox_server, tmp_path):
        said = warnings_at_start(caplog)
    assert said == []


async def test_entbot_run_warns_in_its_log(sandbox_server: SandboxServer, tmp_path: Path) -> None:
    await _group(sandbox_server, None, LINK)
    env = bot_env(sandbox_server.api_url, tmp_path / "entbot.sqlite3", STAFF_CHAT_ID=str(STAFF_CHAT_ID))
    bot = BotProcess(env, tmp_path / "bot.log", tmp_path)
    try:
        await bot.wait_ready()
    finally:
        # The sandbox lives in this event loop: it must keep answering while the bot shuts down.
        code = await asyncio.get_running_loop().run_in_executor(None, bot.stop, signal.SIGTERM)
    log = bot.log.read_text()
    assert code == 0 and "Traceback" not in log
    assert f"the staff group {STAFF_CHAT_ID} has an invite link" in log and LINK not in log
    assert "is public" not in log
