"""Webhook mode: Telegram POSTs the updates to the bot's web server, with its secret; answered once handled."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from telegram import Bot
from telegram.error import Conflict

from bot import doctor, webhook
from bot.app import build_application, webhook_of
from bot.form_settings import FormSettings
from bot.processor import PerUserProcessor
from bot.settings import SettingsError, load
from bot.webhook_settings import WebhookSettings
from sandbox.driver import Person, Sandbox
from sandbox.server import SandboxServer
from storage.db import Clock
from tests import flows
from tests.conftest import TOKEN, Harness, make_settings, running_bot
from tests.test_process import BotProcess, bot_env, import_guide_account
from tests.waiting import eventually, free_port

SECRET = "k3Y-0f_the-webhook_" + "x" * 20  # the tests' WEBHOOK_SECRET: 39 characters of Telegram's alphabet
HEADER = "X-Telegram-Bot-Api-Secret-Token"


@asynccontextmanager
async def webhook_bot(server: SandboxServer, tmp_path: Path, port: int | None = None,
                      **overrides: object) -> AsyncIterator[Harness]:
    """The real Application in webhook mode, started as `entbot run --webhook` starts it, on a loopback port."""
    port = port or free_port()
    hook = WebhookSettings(f"http://127.0.0.1:{port}/telegram", SECRET, "127.0.0.1", port)
    settings = make_settings(server.api_url, tmp_path, webhook=hook, **overrides)
    app = build_application(settings, Clock(), mail_timeout=2.0, webhook=True)
    await webhook.start(app, webhook_of(app))
    processor = app.update_processor
    assert isinstance(processor, PerUserProcessor)
    harness = Harness(Sandbox(server.url, waiter=processor.wait_handled), server, app, settings, tmp_path)
    try:
        yield harness
    finally:
        await webhook.stop(harness.app, webhook_of(harness.app))
        await harness.sandbox.close()
        assert server.world.unanswered_callbacks() == []


@pytest.fixture
async def wbot(sandbox_server: SandboxServer, tmp_path: Path) -> AsyncIterator[Harness]:
    async with webhook_bot(sandbox_server, tmp_path) as harness:
        await flows.with_account(harness)
        yield harness


def hook_url(bot: Harness) -> str:
    assert bot.settings.webhook is not None
    return bot.settings.webhook.url


async def post(url: str, body: bytes, headers: dict[str, str] | None = None) -> int:
    """A POST to the bot's webhook, as Telegram makes it (or as anyone else on the Internet could)."""
    async with aiohttp.ClientSession() as session, \
            session.post(url, data=body, headers={"Content-Type": "application/json", **(headers or {})}) as response:
        await response.read()
        return response.status


def start_update(update_id: int, user_id: int, first_name: str, text: str = "/start") -> bytes:
    """A private message as Telegram would deliver it."""
    entities = [{"type": "bot_command", "offset": 0, "length": len(text)}] if text.startswith("/") else []
    person = {"id": user_id, "is_bot": False, "first_name": first_name}
    return json.dumps({"update_id": update_id, "message": {
        "message_id": 1, "date": 1_790_000_000, "chat": {**person, "type": "private"}, "from": person,
        "text": text, "entities": entities}}).encode()


async def test_a_parent_activates_their_account_through_the_webhook(wbot: Harness) -> None:
    world = wbot.server.world
    info = await wbot.app.bot.get_webhook_info()
    assert info.url == hook_url(wbot) and info.pending_update_count == 0
    assert world.webhook is not None and world.webhook.secret == SECRET
    assert {"message", "callback_query", "my_chat_member"} <= set(world.webhook.allowed_updates)

    parent = await wbot.parent()
    await parent.send("/start")
    assert "Bonjour Amina" in await parent.text()
    await flows.activate(parent)
    assert "Compte activé !" in await parent.text()

    assert "getUpdates" not in world.calls  # every update came by the webhook
    assert world.deliverer is not None and world.deliverer.attempts == parent.last_update_id  # each one once
    assert set(world.deliverer.tries.values()) == {1}
    info = await wbot.app.bot.get_webhook_info()
    assert info.pending_update_count == 0 and info.last_error_message is None
    conn = sqlite3.connect(wbot.settings.database)
    assert conn.execute("SELECT state FROM accounts").fetchone()[0] == "active"
    conn.close()


@pytest.mark.parametrize("headers", [{}, {HEADER: "wrong"}, {HEADER: SECRET[:-1]}, {HEADER: SECRET + "x"},
                                     {HEADER.lower(): SECRET.upper()}])
async def test_a_request_without_the_secret_gets_403_and_nothing_is_handled(
        wbot: Harness, headers: dict[str, str], caplog: pytest.LogCaptureFixture) -> None:
    parent = await wbot.parent("Nadia")
    forged = start_update(900_001, parent.user_id, "Nadia", text="/start forged-by-someone")
    with caplog.at_level(logging.INFO):
        assert await post(hook_url(wbot), forged, headers) == 403
        await asyncio.sleep(0.3)  # were anything handled, its reply would be on its way by now
    assert await parent.messages() == []  # not a word to the parent
    assert "update 900001" not in caplog.text  # never reached the handlers
    refused = [r.getMessage() for r in caplog.records if "refused without Telegram's secret" in r.getMessage()]
    assert len(refused) == 1 and "from 127.0.0.1" in refused[0]
    assert "forged" not in caplog.text and "Nadia" not in caplog.text  # the body is never logged
    assert SECRET not in caplog.text and SECRET[:-1] not in caplog.text  # nor the secret, right or wrong


async def test_a_flood_of_forged_requests_is_one_log_line(wbot: Harness, caplog: pytest.LogCaptureFixture) -> None:
    parent = await wbot.parent("Nadia")
    with caplog.at_level(logging.INFO):
        statuses = [await post(hook_url(wbot), start_update(900_100 + i, parent.user_id, "Nadia"), {HEADER: "guess"})
                    for i in range(50)]
    assert statuses == [403] * 50
    assert sum("refused without Telegram's secret" in r.getMessage() for r in caplog.records) == 1
    assert await parent.messages() == []


@pytest.mark.parametrize("body", [b"not json at all", b"[1, 2, 3]", b'{"message": {"text": "/start"}}',
                                  b'{"update_id": "12"}', b'{"update_id": true}', b"[" * 100_000,
                                  b'{"update_id": 5, "message": {"chat": "nope"}}', "\udcff".encode("utf-8", "surrogatepass")])
async def test_a_body_that_is_no_update_gets_400_and_the_bot_goes_on(
        wbot: Harness, body: bytes, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        assert await post(hook_url(wbot), body, {HEADER: SECRET}) == 400
    assert "/start" not in caplog.text and "nope" not in caplog.text  # said, without its content
    assert any("is not a Telegram update" in r.getMessage() for r in caplog.records)
    parent = await wbot.parent()
    await parent.send("/start")
    assert "Bonjour Amina" in await parent.text()


async def test_a_body_too_large_gets_413_unread(wbot: Harness) -> None:
    huge = b'{"update_id": 7, "message": {"text": "' + b"a" * (webhook.MAX_UPDATE + 10) + b'"}}'
    assert await post(hook_url(wbot), huge, {HEADER: SECRET}) == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the bound holds on the stream itself
        for _ in range(20):
            yield b"b" * 65_536

    async with aiohttp.ClientSession() as session, \
            session.post(hook_url(wbot), data=chunks(), headers={HEADER: SECRET}) as response:
        assert response.status == 413
    parent = await wbot.parent()
    await parent.send("/start")
    assert "Bonjour Amina" in await parent.text()


async def test_an_update_delivered_twice_is_answered_once(wbot: Harness) -> None:
    """Telegram stopped waiting and sent it again while the first was handled: one reply, and two 200s."""
    parent = await wbot.parent("Nadia")
    update = start_update(900_200, parent.user_id, "Nadia")
    first, second = await asyncio.gather(post(hook_url(wbot), update, {HEADER: SECRET}),
                                         post(hook_url(wbot), update, {HEADER: SECRET}))
    assert (first, second) == (200, 200)
    assert await post(hook_url(wbot), update, {HEADER: SECRET}) == 200  # and once more, later
    replies = [m.text for m in await parent.messages() if m.from_bot]
    assert len(replies) == 1 and "Bonjour Nadia" in replies[0]


async def test_the_form_and_the_webhook_share_the_one_web_server(sandbox_server: SandboxServer,
                                                                 tmp_path: Path) -> None:
    port = free_port()
    form = FormSettings("127.0.0.1", port, f"http://127.0.0.1:{port}")
    async with webhook_bot(sandbox_server, tmp_path, port=port, form=form) as bot:
        assert hook_url(bot).startswith(f"http://127.0.0.1:{port}/")
        async with aiohttp.ClientSession() as session, session.get(f"{form.public_url}/form/health") as response:
            assert (response.status, await response.text()) == (200, "ok")
            assert response.headers["Cache-Control"] == "no-store"  # the form's strict headers, on the same server
        await flows.with_account(bot)
        parent = await bot.parent()
        await flows.to_identifier(parent)  # by the webhook, on that same port
        assert "identifiant" in (await parent.text()).lower()


async def bot_messages(person: Person) -> int:
    return len([m for m in await person.messages() if m.from_bot])


async def test_a_stopping_bot_turns_deliveries_away_and_telegram_keeps_them(sandbox_server: SandboxServer,
                                                                            tmp_path: Path) -> None:
    world = sandbox_server.world
    async with webhook_bot(sandbox_server, tmp_path) as bot:
        parent = await bot.parent()
        await parent.send("/start")
        await webhook_of(bot.app).drain()  # what SIGTERM does first
        assert await post(hook_url(bot), start_update(900_300, parent.user_id, "Amina"), {HEADER: SECRET}) == 503
        await parent.send("/aide", wait=False)
        aide = parent.last_update_id
        # Refused while the bot stops: Telegram keeps the update, says why, and tries again.
        assert await eventually(lambda: world.webhook_error is not None)
        info = await bot.app.bot.get_webhook_info()
        assert info.pending_update_count == 1 and "503" in (info.last_error_message or "")
        assert await bot_messages(parent) == 1
    # The next bot (a restart) gets it: nothing was lost in between.
    async with webhook_bot(sandbox_server, tmp_path) as bot:
        parent = Person(bot.sandbox, parent.user_id, "Amina")
        await bot.sandbox.wait_handled(aide)
        assert await eventually(lambda: world.updates == [])
        assert await bot_messages(parent) == 2


async def test_back_to_long_polling_the_webhook_is_deleted_and_nothing_lost(sandbox_server: SandboxServer,
                                                                           tmp_path: Path) -> None:
    world = sandbox_server.world
    async with webhook_bot(sandbox_server, tmp_path) as bot:
        parent = await bot.parent()
        await parent.send("/start")
    # The webhook stays set while no bot runs (Telegram keeps the updates): getUpdates is refused meanwhile.
    outside = Sandbox(sandbox_server.url)
    someone = Person(outside, parent.user_id, "Amina")
    await someone.send("/aide", wait=False)
    await outside.close()
    assert len(world.updates) == 1
    async with Bot(TOKEN, base_url=sandbox_server.api_url) as plain:
        with pytest.raises(Conflict, match="webhook is active"):
            await plain.get_updates(timeout=0)
    async with running_bot(sandbox_server, tmp_path) as bot:  # `entbot run` without --webhook
        assert world.webhook is None  # PTB deleted it before its first getUpdates
        parent = Person(bot.sandbox, parent.user_id, "Amina")
        await bot.sandbox.wait_handled(someone.last_update_id)
        assert world.updates == []
        assert await bot_messages(parent) == 2  # the /start's answer, and the /aide's, sent while no bot ran
        await parent.send("/start")
        assert "Bonjour Amina" in await parent.text()
        assert "getUpdates" in world.calls


# -- the settings ------------------------------------------------------------------------------------------


def settings_of(**env: str) -> Any:
    return load({"TELEGRAM_BOT_TOKEN": TOKEN, **env}, env_file=None)


def test_an_https_address_on_a_public_host_is_accepted() -> None:
    settings = settings_of(WEBHOOK_URL="https://ent-bot.college-vinci.fr/telegram", WEBHOOK_SECRET=SECRET,
                           WEB_LISTEN="127.0.0.1:8091")
    assert settings.webhook is not None
    assert (settings.webhook.url, settings.webhook.path) == ("https://ent-bot.college-vinci.fr/telegram", "/telegram")
    assert (settings.webhook.host, settings.webhook.port) == ("127.0.0.1", 8091)
    assert settings.form is None  # WEB_LISTEN is the webhook's alone here
    assert SECRET not in repr(settings)
    for port in (443, 8443, 88, 80):
        assert settings_of(WEBHOOK_URL=f"https://bot.example.fr:{port}/t", WEBHOOK_SECRET=SECRET).webhook is not None
    assert settings_of().webhook is None  # nothing said: long polling, as before


@pytest.mark.parametrize(("env", "named"), [
    ({"WEBHOOK_URL": "http://ent-bot.college-vinci.fr/telegram", "WEBHOOK_SECRET": SECRET}, "https://"),
    ({"WEBHOOK_URL": "http://192.168.1.20/telegram", "WEBHOOK_SECRET": SECRET}, "https://"),
    ({"WEBHOOK_URL": "https://ent-bot.college-vinci.fr:8080/telegram", "WEBHOOK_SECRET": SECRET}, "443"),
    ({"WEBHOOK_URL": "ftp://ent-bot.college-vinci.fr/", "WEBHOOK_SECRET": SECRET}, "WEBHOOK_URL"),
    ({"WEBHOOK_URL": "https://ent-bot.college-vinci.fr/form/x", "WEBHOOK_SECRET": SECRET}, "/form"),
    ({"WEBHOOK_URL": "https://ent-bot.college-vinci.fr/telegram"}, "WEBHOOK_SECRET manquant"),
    ({"WEBHOOK_URL": "https://ent-bot.college-vinci.fr/telegram", "WEBHOOK_SECRET": "court"}, "32 à 256"),
    ({"WEBHOOK_URL": "https://ent-bot.college-vinci.fr/telegram", "WEBHOOK_SECRET": SECRET + "!é"}, "32 à 256"),
    ({"WEBHOOK_SECRET": SECRET}, "sans WEBHOOK_URL"),
])
def test_a_wrong_webhook_setting_is_one_french_line(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError) as refused:
        settings_of(**env)
    line = str(refused.value)
    assert named in line and "\n" not in line
    assert SECRET not in line  # a secret, even a malformed one, is never repeated


def run_webhook(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "run", "--webhook"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, env=bot_env("http://127.0.0.1:9/bot", tmp_path / "db.sqlite3", **env))


@pytest.mark.parametrize(("env", "named"), [
    ({"WEBHOOK_URL": "http://ent-bot.college-vinci.fr/telegram", "WEBHOOK_SECRET": SECRET}, "https://"),
    ({"WEBHOOK_URL": "https://ent-bot.college-vinci.fr/telegram"}, "WEBHOOK_SECRET manquant"),
    ({}, "--webhook demande WEBHOOK_URL"),
])
def test_entbot_run_webhook_refuses_to_start_in_one_line(tmp_path: Path, env: dict[str, str], named: str) -> None:
    result = run_webhook(tmp_path, **env)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and named in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "db.sqlite3").exists()  # refused before anything was created


async def test_entbot_run_webhook_registers_a_public_https_address(tmp_path: Path) -> None:
    server = SandboxServer()
    await server.start()
    url = "https://ent-bot.college-vinci.fr/telegram"
    env = bot_env(server.api_url, tmp_path / "entbot.sqlite3", WEBHOOK_URL=url, WEBHOOK_SECRET=SECRET,
                  WEB_LISTEN=f"127.0.0.1:{free_port()}")
    bot = BotProcess(env, tmp_path / "bot.log", tmp_path, "--webhook")
    try:
        await bot.wait_ready()
        assert await eventually(lambda: b"webhook set" in bot.log.read_bytes())
        assert server.world.webhook is not None and server.world.webhook.url == url
        assert server.world.webhook.secret == SECRET
        assert await asyncio.get_running_loop().run_in_executor(None, bot.stop, signal.SIGTERM) == 0
    finally:
        if bot.proc.poll() is None:
            bot.stop(signal.SIGKILL)
        await server.stop()
    log = bot.log.read_text()
    assert "Traceback" not in log and SECRET not in log
    assert server.world.webhook is not None  # left set: Telegram keeps the updates for the next start


async def test_killed_while_handling_an_update_the_restarted_bot_gets_it_again_and_answers_once(
        tmp_path: Path) -> None:
    server = SandboxServer()
    await server.start()
    database = tmp_path / "entbot.sqlite3"
    port = free_port()
    env = bot_env(server.api_url, database, WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram", WEBHOOK_SECRET=SECRET,
                  WEB_LISTEN=f"127.0.0.1:{port}")
    import_guide_account(env, tmp_path)
    sandbox = Sandbox(server.url)
    loop = asyncio.get_running_loop()
    bot = BotProcess(env, tmp_path / "bot.log", tmp_path, "--webhook")
    try:
        await bot.wait_ready()
        assert await eventually(lambda: b"webhook set" in bot.log.read_bytes())
        parent = await sandbox.person("Jean")
        for text, then in (("/start", "Bonjour"), (None, "Étape 1/6"), (None, "Étape 2/6"),
                           (flows.IDENTIFIER, "mot de passe provisoire")):
            if text is None:
                await parent.click("🔑 Activer mon compte" if then == "Étape 1/6" else "👪 Élève ou parent")
            else:
                await parent.send(text)
            await parent.wait_for(then)
        # The bot's first call for the password (taking it out of the chat) hangs: the update is being handled...
        await sandbox.fault("deleteMessage", status=502, delay=10)
        deletes = server.world.calls.count("deleteMessage")
        await parent.send(flows.PROVISIONAL)
        password = parent.last_update_id
        assert await eventually(lambda: server.world.calls.count("deleteMessage") > deletes)
        assert bot.stop(signal.SIGKILL) == -signal.SIGKILL  # ...when the process is killed
        assert server.world.updates and server.world.updates[0]["message"]["text"] == flows.PROVISIONAL  # not acked

        bot = BotProcess(env, tmp_path / "restarted.log", tmp_path, "--webhook")  # its own log: its own "ready"
        await bot.wait_ready()
        await parent.wait_for("Étape 3/6", timeout=30)  # Telegram delivered it again, to the new process
        assert await eventually(lambda: server.world.updates == [])
        await asyncio.sleep(0.5)  # a second answer, were there one, would be here by now
        shown = [m.text for m in await parent.messages() if m.from_bot]
        assert sum("Étape 3/6" in t for t in shown) == 1  # one answer to the password: neither lost nor given twice
        assert not any("erreur" in t.lower() or "Reprenons" in t for t in shown)
        assert all(flows.PROVISIONAL not in m.text for m in await parent.messages())  # the secret left the chat
        await parent.click("✅ J'ai lu et j'accepte")
        await parent.wait_for("Étape 4/6")
        assert await loop.run_in_executor(None, bot.stop, signal.SIGTERM) == 0
    finally:
        if bot.proc.poll() is None:
            bot.stop(signal.SIGKILL)
        await sandbox.close()
        await server.stop()
    assert server.world.deliverer is not None and server.world.deliverer.tries[password] >= 2  # delivered again
    assert server.world.deliverer.tries[password - 1] == 1  # the identifier, answered 200 the first time
    log = (tmp_path / "bot.log").read_text() + (tmp_path / "restarted.log").read_text()
    assert "Traceback" not in log and SECRET not in log and flows.PROVISIONAL not in log


async def test_doctor_says_where_telegram_sends_and_whether_it_manages(sandbox_server: SandboxServer,
                                                                       tmp_path: Path) -> None:
    port = free_port()
    hook = WebhookSettings(f"http://127.0.0.1:{port}/telegram", SECRET, "127.0.0.1", port)
    settings = make_settings(sandbox_server.api_url, tmp_path, webhook=hook)
    check = await doctor.check_webhook(settings)
    assert check is not None and check.ok is None and "entbot run --webhook" in check.detail  # not started yet
    assert await doctor.check_webhook(make_settings(sandbox_server.api_url, tmp_path)) is None  # polling: no line

    async with webhook_bot(sandbox_server, tmp_path, port=port) as bot:
        check = await doctor.check_webhook(bot.settings)
        assert check is not None and check.ok is True and hook.url in check.detail
        parent = await bot.parent()
    # The bot is gone, the webhook still set: what a family writes now waits, and doctor says why.
    outside = Sandbox(sandbox_server.url)
    await Person(outside, parent.user_id, "Amina").send("/start", wait=False)
    await outside.close()
    assert await eventually(lambda: sandbox_server.world.webhook_error is not None)
    check = await doctor.check_webhook(settings)
    assert check is not None and check.ok is False
    assert "1 message(s) en attente" in check.detail and "/telegram" in check.detail and SECRET not in check.detail


async def test_entbot_chats_says_the_bot_is_in_webhook_mode(sandbox_server: SandboxServer, tmp_path: Path) -> None:
    async with Bot(TOKEN, base_url=sandbox_server.api_url) as plain:
        await plain.set_webhook("https://ent-bot.college-vinci.fr/telegram", secret_token=SECRET)
    env = bot_env(sandbox_server.api_url, tmp_path / "db.sqlite3")

    def chats() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot", "chats", "--listen", "2"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=60)

    result = await asyncio.get_running_loop().run_in_executor(None, chats)
    assert result.returncode == 1
    assert "webhook" in result.stderr and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert sandbox_server.world.webhook is not None  # left as it was: `entbot chats` changes nothing


async def test_entbot_run_webhook_stops_in_one_line_when_telegram_refuses_the_address(tmp_path: Path) -> None:
    server = SandboxServer()
    await server.start()
    port = free_port()
    env = bot_env(server.api_url, tmp_path / "entbot.sqlite3", WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
                  WEBHOOK_SECRET=SECRET, WEB_LISTEN=f"127.0.0.1:{port}")
    control = Sandbox(server.url)
    await control.fault("setWebhook", status=400)  # as Telegram refuses an address it cannot reach
    await control.close()

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot", "run", "--webhook"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)

    try:
        result = await asyncio.get_running_loop().run_in_executor(None, run)
    finally:
        await server.stop()
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("entbot : Telegram refuse le webhook http://127.0.0.1:") and "WEBHOOK_URL" in last
    assert "Traceback" not in result.stderr and SECRET not in result.stderr


async def test_an_update_outliving_the_stop_is_not_acknowledged(wbot: Harness) -> None:
    """Stopping, the bot waits for the updates under way; one that takes longer gets no 200 (Telegram resends it)."""
    parent = await wbot.parent("Nadia")
    await wbot.sandbox.fault("sendMessage", status=200, delay=1.5)  # the reply is slow to reach Telegram
    delivery = asyncio.ensure_future(post(hook_url(wbot), start_update(900_400, parent.user_id, "Nadia"),
                                          {HEADER: SECRET}))
    await eventually(lambda: "sendMessage" in wbot.server.world.calls)
    await webhook_of(wbot.app).drain(timeout=0.2)
    assert await delivery == 503
    assert "Bonjour Nadia" in await parent.text()  # it was handled all the same: sent again, it is answered again


async def test_the_sandbox_refuses_a_webhook_telegram_would_refuse(sandbox_server: SandboxServer) -> None:
    from telegram.error import BadRequest

    async with Bot(TOKEN, base_url=sandbox_server.api_url) as plain:
        with pytest.raises(BadRequest, match=r"(?i)https url must be provided"):
            await plain.set_webhook("http://ent-bot.college-vinci.fr/telegram")
        with pytest.raises(BadRequest, match=r"(?i)secret token"):
            await plain.set_webhook("https://ent-bot.college-vinci.fr/telegram", secret_token="not allowed!")
        assert sandbox_server.world.webhook is None and (await plain.get_webhook_info()).url == ""
