"""docs/installation.md followed against the sandbox: its .env, the import, `entbot doctor` passing; then each setting
broken in turn, and doctor fails on the right line."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from bot import doctor
from bot.settings import SmtpSettings
from sandbox.driver import Chat, Sandbox
from sandbox.server import SandboxServer
from tests import flows
from tests.conftest import ROOT, TOKEN, make_settings, process_env
from tests.smtp import SmtpServer, _Handler
from tests.waiting import free_port

GUIDE = ROOT / "docs" / "installation.md"
# The test's mail server asks for a login on loopback without TLS (a school's server has TLS; doctor checks it).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def guide_env() -> dict[str, str]:
    """The .env block of the guide (section 4), as the IT referent copies it."""
    text = GUIDE.read_text(encoding="utf-8")
    section = text.split("## 4. Le fichier `.env`", 1)[1]
    block = re.search(r"```ini\n(.*?)```", section, re.S)
    assert block is not None, "the guide shows no .env block"
    pairs = [line.split("=", 1) for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]
    return {k.strip(): v.strip() for k, v in pairs}


class AuthSmtp(SmtpServer):
    """The school's mail server, asking for the login and password the guide's .env gives."""

    def __init__(self, login: str, password: str) -> None:
        super().__init__()
        self.login, self.password = login, password

    def _auth(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        good = isinstance(data, LoginPassword) and data.login.decode() == self.login and \
            data.password.decode() == self.password
        return AuthResult(success=good)

    def start(self) -> None:
        self._controller = Controller(  # no TLS on loopback in tests: the school's server has it
_Handler(self), hostname="127.0.0.1", port=self.port, authenticator=self._auth,
                                      auth_required=True, auth_require_tls=False)
        self._controller.start()


@dataclass
class School:
    server: SandboxServer
    sandbox: Sandbox
    folder: Path  # /opt/entbot: where the commands run and .env lives
    env: dict[str, str]  # the .env as the guide has it, pointed at the sandbox
    smtp: AuthSmtp

    def write_env(self, **changes: str) -> None:
        values = {**self.env, **changes}
        (self.folder / ".env").write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")

    async def entbot(self, *args: str) -> subprocess.CompletedProcess[str]:
        # Only the environment of the machine: every setting comes from the .env file, as on the server.
        def run() -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-m", "bot", *args], env=process_env(), cwd=self.folder,
                                  capture_output=True, text=True, timeout=120)
        return await asyncio.get_running_loop().run_in_executor(None, run)


@pytest.fixture
def mail_server() -> Iterator[AuthSmtp]:
    env = guide_env()
    server = AuthSmtp(env["SMTP_USERNAME"], env["SMTP_PASSWORD"])
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def school(tmp_path: Path, mail_server: AuthSmtp) -> AsyncIterator[School]:
    env = guide_env()
    server = SandboxServer(token=TOKEN)
    await server.start()
    sandbox = Sandbox(server.url)
    # Section 3: the secretary, the staff group with the bot in it, the channel with the bot as its admin; the
    # sandbox gives them the numbers the guide shows.
    secretary = await sandbox.person("Sylvie", user_id=int(env["STAFF_USER_IDS"]))
    await sandbox.group("Secrétariat — ENT", [secretary], chat_id=int(env["STAFF_CHAT_ID"]))
    await sandbox.channel("Annonces du collège", chat_id=int(env["ANNONCES_CHANNEL_ID"]))
    folder = tmp_path / "opt-entbot"
    folder.mkdir()
    # What only the sandbox changes: its token and address, the data directory and the mail server's port.
    env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=server.api_url, ENTBOT_DATA_DIR=str(tmp_path / "var-lib"),
               SMTP_HOST="127.0.0.1", SMTP_PORT=str(mail_server.port), SMTP_SECURITY="none")
    school = School(server, sandbox, folder, env, mail_server)
    school.write_env()
    try:
        yield school
    finally:
        await sandbox.close()
        await server.stop()


def checklist(output: str) -> dict[str, str]:
    """Each line of doctor's checklist by its name: '✓ …', '✗ …' or '– …'."""
    lines = [line for line in output.splitlines() if line[:1] in ("✓", "✗", "–")]
    return {line[2:].split(" : ", 1)[0]: line for line in lines}


def test_every_setting_of_the_guide_is_documented_in_env_example() -> None:
    documented = {line.split("=", 1)[0] for line in (ROOT / ".env.example").read_text().splitlines() if "=" in line}
    assert set(guide_env()) <= documented, set(guide_env()) - documented


async def test_the_guide_followed_word_for_word_then_doctor_passes(school: School) -> None:
    # Before the import (section 5), doctor finds no database and says where it looked.
    result = await school.entbot("doctor")
    assert result.returncode == 1
    assert checklist(result.stdout)["Base de données"].startswith("✗")
    assert str(Path(school.env["ENTBOT_DATA_DIR"]) / "entbot.sqlite3") in result.stdout
    csv = school.folder / "comptes.csv"
    csv.write_text(f"identifiant;mot_de_passe_provisoire\n{flows.IDENTIFIER};{flows.PROVISIONAL}\n", encoding="utf-8")
    imported = await school.entbot("accounts", "import", str(csv))
    assert imported.returncode == 0, imported.stderr

    result = await school.entbot("doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = checklist(result.stdout)
    assert set(lines) == {"Jeton Telegram", "Base de données", "Groupe du secrétariat", "Canal des annonces",
                          "Courriel", "Formulaire sécurisé", "Horloge"}
    assert lines.pop("Formulaire sécurisé").startswith("–")  # off in the guide's .env: said, not a failure
    assert all(line.startswith("✓") for line in lines.values()), result.stdout
    assert "@assistant_ent_sandbox_bot" in lines["Jeton Telegram"]
    assert "Tout est prêt" in result.stdout
    assert school.smtp.received == []  # checked, not sent

    # --mail-test sends one mail to the address given.
    result = await school.entbot("doctor", "--mail-test", "referent@college-vinci.fr")
    assert result.returncode == 0, result.stdout
    [mail] = await school.smtp.wait_for(1)
    assert mail["To"] == "referent@college-vinci.fr" and mail["From"] == school.env["MAIL_FROM"]


async def _broken(school: School, name: str, **changes: str) -> str:
    school.write_env(**changes)
    result = await school.entbot("doctor")
    school.write_env()
    assert result.returncode == 1, result.stdout
    lines = checklist(result.stdout)
    failed = [n for n, line in lines.items() if line.startswith("✗")]
    assert failed == [name], result.stdout
    return lines[name]


async def test_each_setting_broken_in_turn_fails_on_its_own_line(school: School, tmp_path: Path) -> None:
    csv = school.folder / "comptes.csv"
    csv.write_text(f"identifiant;mot_de_passe_provisoire\n{flows.IDENTIFIER};{flows.PROVISIONAL}\n", encoding="utf-8")
    assert (await school.entbot("accounts", "import", str(csv))).returncode == 0
    assert (await school.entbot("doctor")).returncode == 0

    line = await _broken(school, "Jeton Telegram", TELEGRAM_BOT_TOKEN="123456789:an-old-revoked-token")
    assert "@BotFather" in line
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    line = await _broken(school, "Base de données", ENTBOT_DATA_DIR=str(empty))
    assert str(empty / "entbot.sqlite3") in line and "ENTBOT_DATA_DIR" in line
    elsewhere = await school.sandbox.group("Parents d'élèves", [])
    await elsewhere.set_member(7000000001, False)  # a group the bot is not in
    line = await _broken(school, "Groupe du secrétariat", STAFF_CHAT_ID=str(elsewhere.chat_id))
    assert "n'est pas membre" in line
    line = await _broken(school, "Groupe du secrétariat", STAFF_CHAT_ID="-1001111111111")  # a mistyped number
    assert "ajoutez-y le bot, ou corrigez le numéro" in line
    line = await _broken(school, "Canal des annonces", ANNONCES_CHANNEL_ID=school.env["STAFF_CHAT_ID"])
    assert "n'est pas un canal" in line
    line = await _broken(school, "Courriel", SMTP_PASSWORD="not-the-password")
    assert "SMTP_PASSWORD" in line and "not-the-password" not in line
    line = await _broken(school, "Courriel", SMTP_PORT=str(free_port()))
    assert "connexion impossible" in line
    line = await _broken(school, "Courriel", SMTP_SECURITY="starttls")  # the server offers no TLS
    assert "(starttls)" in line and "SMTP_SECURITY" in line
    await school.sandbox.clock_offset(-600)  # this server's clock ten minutes ahead of Telegram's
    line = await _broken(school, "Horloge")
    drift = re.search(r"mais \+(\d+) s d'écart", line)
    assert drift is not None and 599 <= int(drift.group(1)) <= 602 and "timedatectl" in line  # Date: whole seconds
    await school.sandbox.clock_offset(0)
    assert (await school.entbot("doctor")).returncode == 0  # all put back


async def test_a_staff_group_strangers_could_enter_fails(school: School) -> None:
    csv = school.folder / "comptes.csv"
    csv.write_text(f"identifiant;mot_de_passe_provisoire\n{flows.IDENTIFIER};{flows.PROVISIONAL}\n", encoding="utf-8")
    assert (await school.entbot("accounts", "import", str(csv))).returncode == 0
    staff = Chat(school.sandbox, int(school.env["STAFF_CHAT_ID"]))
    await staff.set_public(username="secretariat_vinci")
    assert "public (@secretariat_vinci)" in await _broken(school, "Groupe du secrétariat")
    await staff.set_public(invite_link="https://t.me/+AbCdEf123")
    assert "lien d'invitation" in await _broken(school, "Groupe du secrétariat")
    await staff.set_public()
    # The channel: the bot is there, but no longer its admin.
    channel = Chat(school.sandbox, int(school.env["ANNONCES_CHANNEL_ID"]))
    await channel.set_admin(7000000001, False)
    assert "administrateur" in await _broken(school, "Canal des annonces")


async def test_commands_other_than_run_and_import_never_create_a_database(school: School) -> None:
    database = Path(school.env["ENTBOT_DATA_DIR"]) / "entbot.sqlite3"
    for args in (["accounts", "list"], ["accounts", "show", flows.IDENTIFIER], ["stats"], ["backup", "copie.sqlite3"]):
        result = await school.entbot(*args)
        assert result.returncode == 2, (args, result.stdout)
        assert f"aucune base de données à {database}" in result.stderr
        assert "ENTBOT_DATA_DIR" in result.stderr
        assert not database.exists() and not database.parent.exists()


async def test_a_mail_password_that_would_cross_the_network_in_clear_fails(tmp_path: Path) -> None:
    smtp = SmtpSettings(host="smtp.ac-orleans-tours.fr", port=25, username="assistant-ent", password="secret",
                        security="none", mail_from="assistant-ent@college-vinci.fr")
    check = await doctor.check_mail(make_settings("http://127.0.0.1:9/bot", tmp_path, smtp=smtp))
    assert check.ok is False and "en clair" in check.detail and "SMTP_SECURITY=starttls" in check.detail
