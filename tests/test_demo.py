"""The demo as a process: `make run` without a token, its one line, its endpoints refusing bad input, Ctrl-C."""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from sandbox.driver import Sandbox
from sandbox.server import SandboxServer
from tests.conftest import ROOT, TOKEN, process_env
from tests.demo_process import DemoProcess, alive, descendants, environ_of
from tests.waiting import eventually


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[tuple[DemoProcess, str]]:
    process = DemoProcess(tmp_path)
    try:
        url = await process.started()
        yield process, url
    finally:
        process.kill()


async def post(session: aiohttp.ClientSession, url: str, body: Any, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    async with session.post(url, json=body, **kwargs) as resp:
        return resp.status, await resp.json()


async def state(session: aiohttp.ClientSession, url: str, view: str = "parent1") -> dict[str, Any]:
    async with session.get(f"{url}api/state", params={"view": view}) as resp:
        assert resp.status == 200
        data: dict[str, Any] = await resp.json()
        return data


async def wait_text(session: aiohttp.ClientSession, url: str, text: str, view: str = "parent1") -> dict[str, Any]:
    async def shown() -> bool:
        return any(text in m["text"] for m in (await state(session, url, view))["messages"])
    await eventually(shown, 20)
    return await state(session, url, view)


def test_the_token_decides_between_the_bot_and_the_demo(tmp_path: Path) -> None:
    def configured(env_file: str | None, **env: str) -> bool:
        if env_file is not None:
            (tmp_path / ".env").write_text(env_file)
        else:
            (tmp_path / ".env").unlink(missing_ok=True)
        result = subprocess.run([sys.executable, "-m", "sandbox.demo", "--token-configured"], cwd=tmp_path,
                                env=process_env(**env), capture_output=True, timeout=60)
        assert result.returncode in (0, 1), result.stderr
        return result.returncode == 0

    assert not configured(None)
    assert not configured("TELEGRAM_BOT_TOKEN=\nSCHOOL_NAME=Collège\n")
    assert not configured("# TELEGRAM_BOT_TOKEN=123:abc\n")
    assert configured('TELEGRAM_BOT_TOKEN="123456:ABC-def"\n')
    assert configured(None, TELEGRAM_BOT_TOKEN="123456:ABC-def")
    # As in the bot's settings, the environment wins over .env: an empty token there means no token.
    assert not configured("TELEGRAM_BOT_TOKEN=123456:ABC-def\n", TELEGRAM_BOT_TOKEN="")


async def test_make_run_without_a_token_is_the_demo_and_ctrl_c_leaves_nothing_running(tmp_path: Path) -> None:
    # `-o`: the venv counts as installed (make test installed it): no pip while the other tests run.
    make = ["make", "-s", "-o", ".venv/.installed", "run"]
    process = DemoProcess(ROOT, command=make)
    try:
        url = await process.started()
        address, sentence = process.lines
        assert address == f"Démonstration prête : ouvrez {url} dans un navigateur."
        assert "démonstration sans Telegram" in sentence and "TELEGRAM_BOT_TOKEN" in sentence and "make run" in sentence
        bot = process.bot_pid()
        env = environ_of(bot)
        assert env["TELEGRAM_BOT_TOKEN"].startswith("1000000001:DEMO")
        data_dir = Path(env["ENTBOT_DATA_DIR"])
        assert data_dir.is_dir() and data_dir.resolve() != (ROOT / "data").resolve()
        sandbox_port = int(env["TELEGRAM_API_URL"].rsplit(":", 1)[1].split("/")[0])
        smtp_port = int(env["SMTP_PORT"])
        async with aiohttp.ClientSession() as session:
            async with session.get(url) as resp:
                assert resp.status == 200 and "Assistant ENT" in await resp.text()
            # It opens on a parent's /start, answered by the real bot.
            await wait_text(session, url, "Bonjour Amina")
        assert not port_free(sandbox_port) and not port_free(smtp_port)
        started = [process.proc.pid, *descendants(process.proc.pid)]  # make, the launcher, the bot
        # make itself dies of the SIGINT, as it does on any Ctrl-C; the demo behind it stops everything first.
        assert process.interrupt() in (0, -signal.SIGINT)
        await eventually(lambda: not any(alive(pid) for pid in started), 20)
        stderr = process.proc.stderr.read().decode() if process.proc.stderr else ""
    finally:
        process.kill()
    assert not alive(bot)
    for port in (process.port, sandbox_port, smtp_port):
        assert port_free(port), port
    assert not data_dir.exists()
    assert "Traceback" not in stderr


async def test_make_run_with_a_token_is_the_bot_itself(tmp_path: Path) -> None:
    server = SandboxServer()
    await server.start()
    proc = subprocess.Popen(["make", "-s", "-o", ".venv/.installed", "run"], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=process_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=server.api_url,
                                            ENTBOT_DATA_DIR=str(tmp_path), ENTBOT_POLL_TIMEOUT="1",
                                            DEMO_LISTEN="127.0.0.1:1"))
    sandbox = Sandbox(server.url)
    try:
        parent = await sandbox.person("Nadia")
        await parent.send("/start", wait=False)
        await parent.wait_for("Bonjour Nadia", timeout=60)
        assert (tmp_path / "entbot.sqlite3").exists()  # the school's own data directory, as today
        assert "demo" not in " ".join(Path(f"/proc/{proc.pid}/cmdline").read_text().split("\0"))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        await sandbox.close()
        await server.stop()


async def test_a_busy_port_is_said_in_one_line_and_nothing_is_left(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        process = DemoProcess(tmp_path, listen=f"127.0.0.1:{port}")
        try:
            assert process.proc.wait(timeout=60) == 1
            err = process.proc.stderr.read().decode() if process.proc.stderr else ""
        finally:
            process.kill()
    assert err.count("\n") == 1 and "DEMO_LISTEN=127.0.0.1:" in err and "Traceback" not in err


async def test_the_demo_ignores_the_schools_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=999:REAL-token\nLDAP_URL=ldaps://ent.example\n"
                                   "ENTBOT_DATA_DIR=/nonexistent/real-data\n")
    process = DemoProcess(tmp_path)
    try:
        url = await process.started()
        env = environ_of(process.bot_pid())
        assert "LDAP_URL" not in env and env["TELEGRAM_BOT_TOKEN"] != "999:REAL-token"
        assert Path(f"/proc/{process.bot_pid()}/cwd").resolve() != tmp_path.resolve()  # the bot reads no .env there
        async with aiohttp.ClientSession() as session:
            await wait_text(session, url, "Bonjour Amina")
    finally:
        process.kill()


async def test_the_demos_endpoints_refuse_bad_input_without_changing_anything(
        demo: tuple[DemoProcess, str]) -> None:
    _, url = demo
    async with aiohttp.ClientSession() as session:
        before = await wait_text(session, url, "Bonjour Amina")
        menu = before["messages"][-1]

        status, body = await post(session, f"{url}api/send", {"view": "parent1", "text": "x" * 40_000})
        assert status == 413 and "trop volumineuse" in body["error"]
        status, body = await post(session, f"{url}api/send", {"view": "parent1", "text": "é" * 4097})
        assert status == 400 and "4096 caractères" in body["error"]
        status, body = await post(session, f"{url}api/send", {"view": "directeur", "text": "bonjour"})
        assert status == 404 and body["error"] == "Personne inconnue dans cette démonstration."
        status, body = await post(session, f"{url}api/send", {"view": "channel", "text": "bonjour"})
        assert status == 403 and "seul le bot publie" in body["error"]
        status, body = await post(session, f"{url}api/send", ["parent1", "bonjour"])
        assert status == 400 and "objet JSON" in body["error"]
        async with session.post(f"{url}api/send", data="view=parent1&text=bonjour",
                                headers={"Content-Type": "application/x-www-form-urlencoded"}) as resp:
            assert resp.status == 415 and "JSON" in (await resp.json())["error"]
        # A page of another site, or a name that is not this machine's, gets nothing (CSRF, DNS rebinding).
        status, body = await post(session, f"{url}api/send", {"view": "parent1", "text": "bonjour"},
                                  headers={"Origin": "http://evil.example"})
        assert status == 403 and "autre site" in body["error"]
        async with session.get(f"{url}api/state", params={"view": "parent1"}, headers={"Host": "evil.example"}) as resp:
            assert resp.status == 421 and "Adresse non reconnue" in (await resp.json())["error"]

        # Forged buttons: data chosen by the caller, a button that is not there, a message of another chat.
        forged = {"view": "parent1", "message_id": menu["id"], "version": menu["version"], "row": 0, "col": 0,
                  "data": "activate"}
        status, body = await post(session, f"{url}api/click", forged)
        assert status == 400 and "Bouton refusé" in body["error"]
        for place in ({"row": 42, "col": 0}, {"row": 0, "col": -1}, {"row": "0", "col": 0}):
            status, body = await post(session, f"{url}api/click", {"view": "parent1", "message_id": menu["id"],
                                                                   "version": menu["version"], **place})
            assert status == 400 and "n'existe pas" in body["error"], place
        status, body = await post(session, f"{url}api/click", {"view": "parent2", "message_id": menu["id"], "row": 0,
                                                               "col": 0})
        assert status == 400 and "n'existe pas" in body["error"]
        async with session.get(f"{url}api/files/F999") as resp:
            assert resp.status == 404 and (await resp.json())["error"] == "Fichier introuvable."
        async with session.get(f"{url}static/../launcher.py") as resp:
            assert resp.status == 404

        after = await state(session, url)
        assert after["messages"] == before["messages"]  # none of it reached the bot

        # A press on a message as it no longer is (the page drew an older version of it) is refused.
        status, body = await post(session, f"{url}api/click", {"view": "parent1", "message_id": menu["id"],
                                                               "version": "0" * 16, "row": 0, "col": 0})
        assert status == 409 and "vient de changer" in body["error"]
        # A burst of clicks on one button: one press goes through; the others are refused, either while it waits
        # for the bot or because the message has become the next screen (never a press of that screen's button).
        press = {"view": "parent1", "message_id": menu["id"], "version": menu["version"], "row": 0, "col": 0}
        answers = await asyncio.gather(*(post(session, f"{url}api/click", press) for _ in range(8)))
        refusals = {429: "patientez", 409: "vient de changer"}
        assert [status for status, _ in answers].count(200) == 1, answers
        assert all(refusals[status] in body["error"] for status, body in answers if status != 200), answers
        after = await wait_text(session, url, "Étape 1/6")
        assert [m["id"] for m in after["messages"]] == [m["id"] for m in before["messages"]]  # one edit in place
        assert "Étape 1/6" in after["messages"][-1]["text"]
        # A flood of messages (a script, a stuck key): ten a second, then a clear refusal and nothing sent.
        results = await asyncio.gather(*(post(session, f"{url}api/send", {"view": "parent2", "text": f"bonjour {i}"})
                                         for i in range(30)))
        statuses = [status for status, _ in results]
        assert set(statuses) == {200, 429} and 10 <= statuses.count(200) < 30
        assert all("Trop d'actions" in body["error"] for status, body in results if status == 429)
        sent = [m for m in (await state(session, url, "parent2"))["messages"] if m["out"]]
        assert len(sent) == statuses.count(200)


async def test_the_long_poll_answers_a_change_at_once_and_holds_nothing(demo: tuple[DemoProcess, str]) -> None:
    _, url = demo
    async with aiohttp.ClientSession() as session:
        first = await wait_text(session, url, "Bonjour Amina")
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with session.get(f"{url}api/state", params={"view": "parent1", "since": first["etag"], "wait": "1"}) as resp:
            same = await resp.json()
        assert same["etag"] == first["etag"] and loop.time() - started >= 0.9
        waiting = asyncio.ensure_future(session.get(f"{url}api/state", params={"view": "parent1",
                                                                               "since": first["etag"], "wait": "20"}))
        await asyncio.sleep(0.3)
        started = loop.time()
        await post(session, f"{url}api/send", {"view": "parent1", "text": "/aide"})
        async with await waiting as resp:
            changed = await resp.json()
        assert changed["etag"] != first["etag"] and loop.time() - started < 5
        assert any(m["text"] == "/aide" for m in changed["messages"])
        # Many polls leave nothing behind: the next one is as quick, and answers the same page.
        polls = await asyncio.gather(*(session.get(f"{url}api/state", params={"view": "staff", "wait": "0"})
                                       for _ in range(50)))
        assert {p.status for p in polls} == {200}
        for p in polls:
            p.release()


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
async def test_sigterm_stops_everything_and_even_kill_9_leaves_no_bot(tmp_path: Path, how: str) -> None:
    process = DemoProcess(tmp_path)
    env: dict[str, str] = {}
    try:
        await process.started()
        bot = process.bot_pid()
        env = environ_of(bot)
        sandbox_port = int(env["TELEGRAM_API_URL"].rsplit(":", 1)[1].split("/")[0])
        process.proc.send_signal(getattr(signal, how))
        code = process.proc.wait(timeout=30)
        # The bot stops with its launcher: by its PID on SIGTERM, by the kernel's parent-death signal on kill -9
        # (then its own shutdown, with Telegram gone, may take a while on a busy machine).
        try:
            await eventually(lambda: not alive(bot), 90)
        except AssertionError:
            log = Path(env["ENTBOT_DATA_DIR"], "entbot.log").read_text(errors="replace").splitlines()[-15:]
            raise AssertionError("the bot outlived its launcher:\n" + "\n".join(log)) from None
    finally:
        process.kill()
        if how == "SIGKILL" and "ENTBOT_DATA_DIR" in env:
            shutil.rmtree(env["ENTBOT_DATA_DIR"], ignore_errors=True)  # a launcher killed outright cannot clean up
    if how == "SIGTERM":
        assert code == 0
        assert not Path(env["ENTBOT_DATA_DIR"]).exists()
        assert port_free(process.port) and port_free(sandbox_port)
    else:
        assert code == -signal.SIGKILL


async def test_ctrl_c_while_the_demo_starts_stops_what_had_started(tmp_path: Path) -> None:
    process = DemoProcess(tmp_path)
    try:
        # The accounts import or the bot's start under way (it takes seconds): a child of the launcher is there.
        # Waited for rather than slept: under load the launcher's own start can take longer than any fixed pause.
        await eventually(lambda: bool(descendants(process.proc.pid)), 60)
        started = [process.proc.pid, *descendants(process.proc.pid)]
        assert process.interrupt() == 0
        out = process.proc.stdout.read().decode() if process.proc.stdout else ""
        await eventually(lambda: not any(alive(pid) for pid in started), 30)
    finally:
        process.kill()
    assert "Démonstration prête" not in out
