"""Starts the demo: sandbox, mail catcher, page, the accounts imported and `entbot run` as a child; stops them all."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import ctypes
import ipaddress
import os
import shutil
import signal
import socket
import sys
import tempfile
from pathlib import Path

from aiohttp import web
from dotenv import dotenv_values

from sandbox.demo import cast
from sandbox.demo.mailbox import MailCatcher
from sandbox.demo.web import DemoPage, FormBackend
from sandbox.server import SandboxServer

ACCOUNTS_CSV = Path(__file__).resolve().parent / "accounts.csv"
# A token of Telegram's shape that only this demo's sandbox accepts; Telegram itself would refuse it.
DEMO_TOKEN = "1000000001:DEMO-sandbox-only-not-a-telegram-token"
DEFAULT_LISTEN = "127.0.0.1:8080"
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
# What the bot's child keeps of this machine's environment: never a setting of the school's real bot.
KEPT_ENV = ("PATH", "HOME", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ", "TMPDIR", "PYTHONPATH",
            "VIRTUAL_ENV", "SYSTEMROOT")
PR_SET_PDEATHSIG = 1


def token_configured(env_file: Path = Path(".env")) -> bool:
    """Whether `entbot run` would find a token: the environment wins over `.env`, as in the bot's settings."""
    values = {k: v for k, v in dotenv_values(env_file).items() if v is not None} if env_file.is_file() else {}
    values.update(os.environ)
    return bool(values.get("TELEGRAM_BOT_TOKEN", "").strip())


def parse_listen(raw: str) -> tuple[str, int]:
    host, sep, port = raw.strip().rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(raw)
    host = host.strip("[]") or "127.0.0.1"
    return host, int(port)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_accounts(path: Path = ACCOUNTS_CSV) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return [{"identifier": row["identifiant"], "provisional": row["mot_de_passe_provisoire"],
                 "name": f"{row['prenom']} {row['nom']}", "class": row["classe"]}
                for row in csv.DictReader(f, delimiter=";")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bot_env(api_url: str, data_dir: Path, smtp_port: int, form: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in KEPT_ENV or k.startswith("LC_")}
    env.update({
        "TELEGRAM_BOT_TOKEN": DEMO_TOKEN, "TELEGRAM_API_URL": api_url, "ENTBOT_DATA_DIR": str(data_dir),
        "ENTBOT_POLL_TIMEOUT": "2", "SCHOOL_NAME": cast.SCHOOL_NAME, "SCHOOL_CONTACT_EMAIL": cast.SCHOOL_EMAIL,
        "STAFF_USER_IDS": str(cast.STAFF_ID), "STAFF_CHAT_ID": str(cast.STAFF_GROUP_ID),
        "ANNONCES_CHANNEL_ID": str(cast.CHANNEL_ID), "QUIET_HOURS": "",  # notices arrive at any hour of a visit
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port), "SMTP_SECURITY": "none", "MAIL_FROM": cast.MAIL_FROM,
        "PYTHONUNBUFFERED": "1",
        **(form or {}),
    })
    return env


def _die_with_parent() -> None:
    """In the child: a SIGTERM when the launcher dies, even by kill -9, so no bot is left polling nothing."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


async def _stop_process(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), STOP_TIMEOUT)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


class Demo:
    """Everything the demo started, so that one `stop()` ends it all, the bot's process by its PID."""

    def __init__(self, listen: tuple[str, int]) -> None:
        self.listen = listen
        self.data_dir = Path(tempfile.mkdtemp(prefix="entbot-demo-"))
        self.log_path = self.data_dir / "entbot.log"
        self.sandbox = SandboxServer("127.0.0.1", 0, token=DEMO_TOKEN)
        self.mail = MailCatcher(cast.SCHOOL_EMAIL, self.sandbox.world.notify)
        self.runner: web.AppRunner | None = None
        self.bot: asyncio.subprocess.Process | None = None
        # The secure form: the bot's server on a port of its own, reached through the page's origin (WEBAPP_URL),
        # whose http:// the bot accepts on loopback only; beyond loopback the demo runs without the form.
        self.form_port = _free_port() if is_loopback(listen[0]) else None

    @property
    def page_url(self) -> str:
        host, port = self.listen
        return f"http://{f'[{host}]' if ':' in host else host}:{port}/"

    async def start_page(self) -> None:
        host, port = self.listen
        allowed = {f"{name}:{port}" for name in (host, "127.0.0.1", "localhost", f"[{host}]")} if is_loopback(host) else None
        form = FormBackend(f"http://127.0.0.1:{self.form_port}", DEMO_TOKEN) if self.form_port is not None else None
        page = DemoPage(self.sandbox.world, self.mail, read_accounts(), form)
        self.runner = web.AppRunner(page.app(allowed), access_log=None, shutdown_timeout=0.5)
        await self.runner.setup()
        await web.TCPSite(self.runner, host, port).start()

    async def _child(self, *args: str, new_session: bool = False) -> asyncio.subprocess.Process:
        form = ({"WEBAPP_URL": self.page_url.rstrip("/"), "WEB_LISTEN": f"127.0.0.1:{self.form_port}"}
                if self.form_port is not None else None)
        env = bot_env(self.sandbox.api_url, self.data_dir, self.mail.port, form)
        with self.log_path.open("ab") as log:
            # cwd: the demo's own folder, so that the bot reads no `.env` of the school's.
            return await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", *args, env=env, cwd=self.data_dir, stdin=asyncio.subprocess.DEVNULL,
                stdout=log, stderr=asyncio.subprocess.STDOUT, start_new_session=new_session,
                preexec_fn=_die_with_parent)

    async def start(self) -> None:
        await self.start_page()  # first: a busy port is said before anything else starts
        await self.sandbox.start()
        cast.populate(self.sandbox.world)
        await self.mail.start()
        importer = await self._child("accounts", "import", str(ACCOUNTS_CSV))
        if await importer.wait() != 0:
            raise RuntimeError("l'import des comptes de démonstration a échoué")
        # Its own session: Ctrl-C in the terminal reaches the launcher alone, which then stops the bot by its PID.
        self.bot = await self._child("run", new_session=True)
        await self._wait_ready()
        # The page opens on a parent who has just touched "Démarrer", as Telegram shows a new bot.
        self.sandbox.world.user_sends(cast.PARENT1_ID, cast.PARENT1_ID, "text", "/start")
        await self.sandbox.world.notify(cast.PARENT1_ID)

    async def _wait_ready(self) -> None:
        assert self.bot is not None
        deadline = asyncio.get_running_loop().time() + READY_TIMEOUT
        while b" ready, database " not in self.log_path.read_bytes():
            if self.bot.returncode is not None or asyncio.get_running_loop().time() > deadline:
                raise RuntimeError("le bot n'a pas démarré")
            await asyncio.sleep(0.1)

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    async def stop(self) -> None:
        if self.bot is not None:
            await _stop_process(self.bot)
        if self.runner is not None:
            await self.runner.cleanup()
        await self.mail.stop()
        await self.sandbox.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)


async def run(listen: tuple[str, int]) -> int:
    demo = Demo(listen)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        try:
            starting = asyncio.ensure_future(demo.start())
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not starting.done():  # Ctrl-C while starting: what has started is stopped below, nothing more said
                starting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await starting
                return 0
            starting.result()
        except OSError as exc:
            host, port = listen
            print(f"Impossible d'ouvrir la page sur {host}:{port} ({exc.strerror or exc}) : choisissez une autre "
                  f"adresse, par exemple DEMO_LISTEN=127.0.0.1:{port + 1} make run", file=sys.stderr)
            return 1
        except RuntimeError as exc:
            print(f"Démonstration impossible : {exc}.\n{demo.log_tail()}", file=sys.stderr)
            return 1
        print(f"Démonstration prête : ouvrez {demo.page_url} dans un navigateur.", flush=True)
        print("Ceci est une démonstration sans Telegram (bac à sable local, comptes fictifs, courriels retenus sur cette "
              "machine) ; pour le vrai bot, mettez le jeton de @BotFather dans .env (TELEGRAM_BOT_TOKEN, voir "
              ".env.example) puis relancez make run. Ctrl-C arrête tout.", flush=True)
        if not is_loopback(listen[0]):
            print(f"Attention : la page écoute sur {listen[0]}, joignable depuis le réseau.", flush=True)
        assert demo.bot is not None
        bot_exit = asyncio.ensure_future(demo.bot.wait())
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait({bot_exit, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if bot_exit.done():
            print(f"Le bot s'est arrêté (code {bot_exit.result()}) : fin de la démonstration.\n{demo.log_tail()}",
                  file=sys.stderr)
            return 1
        bot_exit.cancel()
        return 0
    finally:
        await demo.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.demo",
                                     description="Le bot dans un navigateur, sans Telegram (démonstration locale)")
    parser.add_argument("--token-configured", action="store_true",
                        help="dire seulement (code 0 ou 1) si un jeton Telegram est configuré (environnement ou .env)")
    args = parser.parse_args(argv)
    if args.token_configured:
        return 0 if token_configured() else 1
    raw = os.environ.get("DEMO_LISTEN", "").strip() or DEFAULT_LISTEN
    try:
        listen = parse_listen(raw)
    except ValueError:
        print(f"DEMO_LISTEN illisible : « {raw} » ; attendu hôte:port, par exemple {DEFAULT_LISTEN}", file=sys.stderr)
        return 2
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(run(listen))
    return 0
