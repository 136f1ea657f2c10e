"""DIRECTORY=ldap: the activation lands in a real OpenLDAP slapd with the ESCO schema, through the sandbox."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from conversations import texts
from sandbox.driver import Person as TelegramUser
from sandbox.server import SandboxServer
from storage.accounts import DirectoryUnavailable
from storage.ldap_directory import DirectoryProblem, LdapConfig, LdapDirectory, login_filter
from tests import flows
from tests.conftest import Harness, process_env, running_bot
from tests.ldap.slapd import INSTALL_HINT, PEOPLE_DN, SERVICE_DN, SERVICE_PASSWORD, Person, Slapd, slapd_binary
from tests.smtp import SmtpServer
from tests.waiting import free_port

JEAN = Person("F100", flows.IDENTIFIER, aliases=["jdupont"])
BLOCKED = Person("F200", "paul.martin3", state="BLOQUE", sn="Martin", given_name="Paul")
PUPIL = Person("E300", "lea.dupont7", profile="National_ELV", given_name="Léa")
TEACHER = Person("P400", "prof.durand", profile="National_ENS", sn="Durand")
# A comma and a plus in the RDN (DN escaping); an apostrophe, the one quote a login may hold.
ODD = Person("M,500+x", "m.d'upont-2", sn="Dupont", given_name="Marie")
PEOPLE = [JEAN, BLOCKED, PUPIL, TEACHER, ODD]
PROVISIONALS = {p.login: f"Prov-{i}26a" for i, p in enumerate(PEOPLE)}


def require_slapd() -> None:
    if slapd_binary() is None:
        if os.environ.get("CI") == "true":
            pytest.fail(INSTALL_HINT)  # in CI the LDAP tests must run, never be skipped
        pytest.skip(INSTALL_HINT)


@pytest.fixture
def slapd(tmp_path: Path) -> Iterator[Slapd]:
    require_slapd()
    server = Slapd(tmp_path / "slapd", free_port(), PEOPLE)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def config_for(server: Slapd, **changes: object) -> LdapConfig:
    values: dict[str, object] = dict(url=server.url, people_dn=PEOPLE_DN, bind_dn=SERVICE_DN,
                                     bind_password=SERVICE_PASSWORD, starttls=False, connect_timeout=2.0,
                                     operation_timeout=5.0)
    values.update(changes)
    return LdapConfig(**values)  # type: ignore[arg-type]


@pytest.fixture
async def ldap_bot(sandbox_server: SandboxServer, tmp_path: Path, slapd: Slapd) -> AsyncIterator[Harness]:
    async with running_bot(sandbox_server, tmp_path, ldap=config_for(slapd)) as harness:
        await harness.import_accounts([{"identifiant": p.login, "mot_de_passe_provisoire": PROVISIONALS[p.login],
                                        "nom": p.sn, "prenom": p.given_name, "profil": "parent", "classe": ""}
                                       for p in PEOPLE])
        yield harness


async def to_confirmation(parent: TelegramUser, login: str = flows.IDENTIFIER, password: str = flows.PASSWORD) -> None:
    """Steps 1 to 6, the password typed once: the next message activates."""
    await flows.to_cgu(parent, login, PROVISIONALS[login])
    await parent.click("✅ J'ai lu et j'accepte")
    await parent.click("⏭ Passer (recommandé)")
    await flows.choose_question(parent, 7)
    await parent.send(flows.ANSWER1)
    await flows.choose_question(parent, 14)
    await parent.send(flows.ANSWER2)
    await parent.send(password)


async def activate(parent: TelegramUser, login: str = flows.IDENTIFIER, password: str = flows.PASSWORD) -> None:
    await to_confirmation(parent, login, password)
    await parent.send(password)


async def test_the_activation_lands_in_the_directory(ldap_bot: Harness, slapd: Slapd) -> None:
    assert slapd.whoami(JEAN.dn, PROVISIONALS[JEAN.login]).returncode != 0  # locked until activated
    parent = await ldap_bot.parent()
    await activate(parent)
    assert "Compte activé !" in await parent.text()

    who = slapd.whoami(JEAN.dn, flows.PASSWORD)
    assert who.returncode == 0 and who.stdout.strip() == f"dn:{JEAN.dn}"
    assert slapd.whoami(JEAN.dn, "Ma-Cle:Verte43").returncode != 0
    entry = slapd.entry(JEAN.dn)
    assert entry["ESCOPersonEtatCompte"] == ["VALIDE"]
    assert re.fullmatch(r"\d{14}Z", entry["ESCOPersonValidationCharte"][0])
    assert entry["userPassword"][0].startswith("{ARGON2}$argon2id$")
    assert flows.PASSWORD not in entry["userPassword"][0]
    assert "mail" not in entry  # the parent skipped the address

    await flows.login_test(parent, flows.PASSWORD)  # the login test binds as the entry
    assert "Identifiant et mot de passe corrects" in await parent.text()
    await flows.login_test(parent, flows.NEW_PASSWORD)
    assert "Identifiant et mot de passe corrects" not in await parent.text()


async def test_an_alias_finds_the_entry_and_forgot_password_writes_the_directory(ldap_bot: Harness,
                                                                                  slapd: Slapd) -> None:
    parent = await ldap_bot.parent()
    await activate(parent)
    await flows.forgot(parent, identifier="JDUPONT")  # the alias, any case
    await parent.send(flows.NEW_PASSWORD)
    await parent.send(flows.NEW_PASSWORD)
    assert slapd.whoami(JEAN.dn, flows.NEW_PASSWORD).returncode == 0
    assert slapd.whoami(JEAN.dn, flows.PASSWORD).returncode != 0
    assert slapd.entry(JEAN.dn)["ESCOPersonEtatCompte"] == ["VALIDE"]


async def test_a_blocked_entry_is_sent_to_the_school(ldap_bot: Harness, slapd: Slapd) -> None:
    parent = await ldap_bot.parent()
    await flows.to_cgu(parent, BLOCKED.login, PROVISIONALS[BLOCKED.login])
    last = await parent.last()
    assert "bloqué" in last.text and "Contactez le collège" in last.text
    assert texts.MENU_WRITE in last.button_texts
    assert slapd.entry(BLOCKED.dn)["ESCOPersonEtatCompte"] == ["BLOQUE"]
    assert await ldap_bot.store.progress.get(parent.user_id) is None
    await parent.click(texts.MENU_WRITE)  # the help desk, offered under the message
    await parent.send("Mon compte est bloqué, que faire ?")
    assert "demande n°1" in await parent.text()


async def test_the_help_desk_works_while_the_directory_is_down(ldap_bot: Harness, slapd: Slapd) -> None:
    parent = await ldap_bot.parent()
    await flows.to_cgu(parent, JEAN.login, PROVISIONALS[JEAN.login])
    slapd.kill()
    await parent.click("✅ J'ai lu et j'accepte")
    assert "momentanément indisponible" in await parent.text()
    await parent.send("/aide")
    await parent.click(texts.MENU_WRITE)
    await parent.send("Le bot dit que le service est indisponible.")
    assert "demande n°1" in await parent.text()
    slapd.start()


async def test_a_teacher_is_sent_to_the_staff_path_and_a_pupil_activates(ldap_bot: Harness, slapd: Slapd) -> None:
    teacher = await ldap_bot.parent("Claire")
    await flows.to_cgu(teacher, TEACHER.login, PROVISIONALS[TEACHER.login])
    assert "compte académique" in await teacher.text()
    pupil = await ldap_bot.parent("Léa")
    await activate(pupil, PUPIL.login)
    assert "Compte activé !" in await pupil.text()
    assert slapd.whoami(PUPIL.dn, flows.PASSWORD).returncode == 0


async def test_filter_metacharacters_and_dn_escaping(ldap_bot: Harness, slapd: Slapd) -> None:
    assert login_filter(["ENTPersonLogin"], "*)(uid=*") == r"(&(objectClass=ENTPerson)(|(ENTPersonLogin=\2a\29\28uid=\2a)))"
    # The directory itself escapes: unescaped, these would match every entry.
    for probe in ("*)(uid=*", "*", "jean*", "\\2a"):
        assert await ldap_bot.store.accounts.find(probe) is None, probe
    # The bot never lets such a text reach the directory: it is not an identifier.
    parent = await ldap_bot.parent()
    await flows.to_identifier(parent)
    await parent.send("*)(uid=*")
    assert "ne peut pas être un identifiant" in await parent.text()
    await parent.send("*")
    assert "ne peut pas être un identifiant" in await parent.text()

    odd = await ldap_bot.parent("Marie")
    await activate(odd, ODD.login)
    assert "Compte activé !" in await odd.text()
    assert slapd.whoami(ODD.dn, flows.PASSWORD).returncode == 0
    assert slapd.entry(JEAN.dn)["ESCOPersonEtatCompte"] == ["INVALIDE"]


async def test_slapd_killed_mid_activation_then_back(ldap_bot: Harness, slapd: Slapd) -> None:
    parent = await ldap_bot.parent()
    await to_confirmation(parent)
    slapd.kill()
    await parent.send(flows.PASSWORD)
    assert "momentanément indisponible, votre progression est conservée" in await parent.text()
    progress = await ldap_bot.store.progress.get(parent.user_id)
    assert progress is not None and progress.step == "password_confirm" and progress.password_hash

    slapd.start()
    assert slapd.entry(JEAN.dn)["ESCOPersonEtatCompte"] == ["INVALIDE"]  # nothing half-done
    ldap_bot.clock.advance(timedelta(seconds=ldap_bot.store.ldap.config.breaker_seconds + 1))  # breaker closes
    await parent.send(flows.PASSWORD)
    assert "Compte activé !" in await parent.text()
    assert slapd.whoami(JEAN.dn, flows.PASSWORD).returncode == 0
    assert slapd.entry(JEAN.dn)["ESCOPersonEtatCompte"] == ["VALIDE"]


async def test_two_telegram_users_activate_one_entry_at_once(ldap_bot: Harness, slapd: Slapd) -> None:
    first, second = await ldap_bot.parent("Amina"), await ldap_bot.parent("Karim")
    await to_confirmation(first, password=flows.PASSWORD)
    await to_confirmation(second, password=flows.NEW_PASSWORD)
    await asyncio.gather(first.send(flows.PASSWORD), second.send(flows.NEW_PASSWORD))
    answers = [await first.text(), await second.text()]
    winners = [i for i, text in enumerate(answers) if "Compte activé !" in text]
    assert len(winners) == 1, answers
    assert "activé ou réinitialisé par ailleurs" in answers[1 - winners[0]]
    passwords = (flows.PASSWORD, flows.NEW_PASSWORD)
    assert slapd.whoami(JEAN.dn, passwords[winners[0]]).returncode == 0
    assert slapd.whoami(JEAN.dn, passwords[1 - winners[0]]).returncode != 0


async def test_a_staff_reset_locks_the_entry_again(ldap_bot: Harness, slapd: Slapd) -> None:
    parent = await ldap_bot.parent()
    await activate(parent)
    account = await ldap_bot.store.accounts.find(flows.IDENTIFIER)
    assert account is not None and account.state == "active"
    provisional = await ldap_bot.store.reset(account, account.revision, "shell")
    assert provisional is not None
    entry = slapd.entry(JEAN.dn)
    assert entry["ESCOPersonEtatCompte"] == ["INVALIDE"] and entry["userPassword"] == ["{SCRIPT}LOCK"]
    assert "ESCOPersonValidationCharte" not in entry
    assert slapd.whoami(JEAN.dn, flows.PASSWORD).returncode != 0
    again = await ldap_bot.parent("Amina bis")
    await flows.to_cgu(again, flows.IDENTIFIER, provisional)
    assert "Étape 3/6" in await again.text()


async def test_starttls_with_a_throwaway_certificate(tmp_path: Path) -> None:
    require_slapd()
    server = Slapd(tmp_path / "tls", free_port(), PEOPLE, tls=True)
    other = Slapd(tmp_path / "other", free_port(), [], tls=True)  # a certificate the bot must not trust
    server.start()
    from storage.db import Database

    db = Database(tmp_path / "entbot.sqlite3")
    await db.open()
    good = LdapDirectory(db, config_for(server, starttls=True, ca_file=str(server.cert)))
    bad = LdapDirectory(db, config_for(server, starttls=True, ca_file=str(other.cert)))
    try:
        account = await good.find(flows.IDENTIFIER)
        assert account is not None and account.dn == JEAN.dn and account.state == "pending"
        with pytest.raises(DirectoryUnavailable):
            await bad.find(flows.IDENTIFIER)
        with pytest.raises(DirectoryProblem, match=r"^TLS : "):
            await bad.check()
        assert sum((await good.check()).values()) == len(PEOPLE)
    finally:
        good.close()
        bad.close()
        await db.close()
        server.stop()


def entbot(tmp_path: Path, server: Slapd, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    values = dict(ENTBOT_DATABASE=str(tmp_path / "entbot.sqlite3"), DIRECTORY="ldap", LDAP_URL=server.url,
                  LDAP_STARTTLS="0", LDAP_PEOPLE_DN=PEOPLE_DN, LDAP_BIND_DN=SERVICE_DN, LDAP_BIND_PASSWORD=SERVICE_PASSWORD)
    env = process_env(**{**values, **settings})
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)


def test_import_reports_logins_unknown_to_the_directory_and_show_reads_it(tmp_path: Path, slapd: Slapd) -> None:
    csv = tmp_path / "comptes.csv"
    csv.write_text("identifiant;mot_de_passe_provisoire\njean.dupont12;Prov-1a\ninconnu.x;Prov-2b\npaul.martin3;Prov-3c\n"
                   "m*;Prov-4d\n", encoding="utf-8")
    result = entbot(tmp_path, slapd, "accounts", "import", str(csv))
    assert result.returncode == 1
    assert "ligne 3 : identifiant « inconnu.x » inconnu de l'annuaire de l'ENT" in result.stdout
    assert "ligne 5 : identifiant « m* » refusé" in result.stdout
    assert "rien n'a été importé" in result.stdout
    result = entbot(tmp_path, slapd, "accounts", "import", str(csv), "--skip-invalid")
    assert result.returncode == 0 and "2 compte(s) créé(s)" in result.stdout

    shown = entbot(tmp_path, slapd, "accounts", "show", "paul.martin3")
    assert shown.returncode == 0 and "État : bloqué dans l'annuaire" in shown.stdout and BLOCKED.dn in shown.stdout
    shown = entbot(tmp_path, slapd, "accounts", "show", "JDUPONT")
    assert "État : à activer" in shown.stdout and JEAN.dn in shown.stdout


def test_directory_check_counts_and_names_what_is_wrong(tmp_path: Path, slapd: Slapd) -> None:
    result = entbot(tmp_path, slapd, "directory", "check")
    assert result.returncode == 0, result.stderr
    assert "5 personne(s)" in result.stdout
    assert re.search(r"INVALIDE\s+National_TUT\s+2", result.stdout) and re.search(r"BLOQUE\s+National_TUT\s+1", result.stdout)
    wrong = entbot(tmp_path, slapd, "directory", "check", LDAP_BIND_PASSWORD="faux")
    assert wrong.returncode == 1 and "LDAP_BIND_DN" in wrong.stderr and len(wrong.stderr.strip().splitlines()) == 1
    wrong = entbot(tmp_path, slapd, "directory", "check", LDAP_PEOPLE_DN="ou=gens,dc=esco-centre,dc=fr")
    assert wrong.returncode == 1 and "LDAP_PEOPLE_DN=ou=gens" in wrong.stderr
    slapd.stop()
    down = entbot(tmp_path, slapd, "directory", "check")
    assert down.returncode == 1 and "injoignable" in down.stderr


def test_doctor_checks_the_directory_when_the_accounts_live_there(tmp_path: Path, slapd: Slapd) -> None:
    result = entbot(tmp_path, slapd, "doctor")
    line = next(x for x in result.stdout.splitlines() if "Annuaire LDAP" in x)
    assert line.startswith("✓") and f"{len(PEOPLE)} personne(s)" in line
    wrong = entbot(tmp_path, slapd, "doctor", LDAP_BIND_PASSWORD="faux")
    line = next(x for x in wrong.stdout.splitlines() if "Annuaire LDAP" in x)
    assert wrong.returncode == 1 and line.startswith("✗") and "LDAP_BIND_DN" in line
    plain = entbot(tmp_path, slapd, "doctor", DIRECTORY="sqlite")
    assert "Annuaire LDAP" not in plain.stdout


async def test_the_directory_alone_decides_between_two_activations(tmp_path: Path, slapd: Slapd) -> None:
    """Both pass SQLite's check at once: the conditional LDAP modify lets exactly one through."""
    from datetime import UTC, datetime

    from storage.accounts import Activation
    from storage.db import Database
    from storage.secrets import hash_secret

    db = Database(tmp_path / "race.sqlite3")
    await db.open()
    directory = LdapDirectory(db, config_for(slapd))
    try:
        account = await directory.find(JEAN.login)
        assert account is not None
        await directory.local.remember_provisional(account.id, PROVISIONALS[JEAN.login])
        local = await directory.local.get(account.id)
        assert local is not None and local.provisional_hash

        async def activation(password: str, user: int) -> Activation:
            return Activation(password_hash=await hash_secret(password), email=None, question1=7, answer1_hash="x",
                              question2=14, answer2_hash="y", cgu_version="1", cgu_accepted_at=datetime.now(UTC),
                              telegram_user_id=user)

        one, two = await activation(flows.PASSWORD, 1), await activation(flows.NEW_PASSWORD, 2)
        results = await asyncio.gather(directory.activate(account.id, local.provisional_hash, one),
                                       directory.activate(account.id, local.provisional_hash, two))
        assert sorted(results) == [False, True]
        winner = flows.PASSWORD if results[0] else flows.NEW_PASSWORD
        loser = flows.NEW_PASSWORD if results[0] else flows.PASSWORD
        assert slapd.whoami(JEAN.dn, winner).returncode == 0 and slapd.whoami(JEAN.dn, loser).returncode != 0
        winner_user, loser_user = (1, 2) if results[0] else (2, 1)
        assert await directory.local.by_telegram_user(winner_user) is not None
        assert await directory.local.by_telegram_user(loser_user) is None
    finally:
        directory.close()
        await db.close()


async def test_password_modify_lets_the_server_hash_the_password(sandbox_server: SandboxServer, tmp_path: Path,
                                                                 slapd: Slapd) -> None:
    """LDAP_PASSWORD_WRITE=modify: RFC 3062, the password never in a plain modify; VALIDE comes last."""
    async with running_bot(sandbox_server, tmp_path, ldap=config_for(slapd, password_write="modify")) as bot:
        await bot.import_accounts([{"identifiant": JEAN.login, "mot_de_passe_provisoire": PROVISIONALS[JEAN.login]}])
        parent = await bot.parent()
        await activate(parent)
        assert "Compte activé !" in await parent.text()
        entry = slapd.entry(JEAN.dn)
        assert entry["ESCOPersonEtatCompte"] == ["VALIDE"] and re.fullmatch(r"\d{14}Z", entry["ESCOPersonValidationCharte"][0])
        assert entry["userPassword"][0].startswith("{ARGON2}$argon2")  # hashed by slapd itself (password-hash)
        assert flows.PASSWORD not in entry["userPassword"][0]
        assert slapd.whoami(JEAN.dn, flows.PASSWORD).returncode == 0
        await flows.forgot(parent)
        await parent.send(flows.NEW_PASSWORD)
        await parent.send(flows.NEW_PASSWORD)
        assert slapd.whoami(JEAN.dn, flows.NEW_PASSWORD).returncode == 0


async def test_a_provisional_password_held_by_the_directory_is_checked_by_bind(sandbox_server: SandboxServer,
                                                                               tmp_path: Path) -> None:
    """LDAP_PROVISIONAL=bind: nothing imported; the entry's own userPassword holds the provisional password."""
    require_slapd()
    from argon2 import PasswordHasher

    provisional = "Lettre-2026b"
    person = Person("F900", "nina.roux4", sn="Roux", given_name="Nina",
                    password="{ARGON2}" + PasswordHasher().hash(provisional))
    server = Slapd(tmp_path / "bind", free_port(), [person])
    server.start()
    try:
        async with running_bot(sandbox_server, tmp_path, ldap=config_for(server, provisional="bind")) as bot:
            parent = await bot.parent()
            await flows.to_cgu(parent, person.login, "Lettre-2026c")
            assert "Identifiant ou mot de passe provisoire incorrect" in await parent.text()
            await parent.send(provisional)
            assert "Étape 3/6" in await parent.text()
            await parent.click("✅ J'ai lu et j'accepte")
            await parent.click("⏭ Passer (recommandé)")
            await flows.choose_question(parent, 7)
            await parent.send(flows.ANSWER1)
            await flows.choose_question(parent, 14)
            await parent.send(flows.ANSWER2)
            await parent.send(provisional)  # meets the rules, but the provisional password cannot be kept
            await parent.send(flows.PASSWORD)
            await parent.send(flows.PASSWORD)
            assert "Compte activé !" in await parent.text()
        assert server.whoami(person.dn, flows.PASSWORD).returncode == 0
        assert server.whoami(person.dn, provisional).returncode != 0
    finally:
        server.stop()


async def test_educonnect_is_explained_at_step_1_and_in_how_to_log_in(ldap_bot: Harness) -> None:
    parent = await ldap_bot.parent()
    await parent.send("/start")
    await parent.click("🔑 Activer mon compte")
    step1 = await parent.text()
    assert "ÉduConnect" in step1 and "« Élève ou parent » puis « ÉduConnect »" in step1
    assert "pas besoin d'être activé" in step1
    other = await ldap_bot.parent("Karim")
    await other.send("/start")
    await other.click(texts.MENU_LOGIN)
    assert "« Élève ou parent » puis « ÉduConnect »" in await other.text()


async def test_an_account_imported_under_its_alias_is_the_entry_s(sandbox_server: SandboxServer, tmp_path: Path,
                                                                  slapd: Slapd) -> None:
    async with running_bot(sandbox_server, tmp_path, ldap=config_for(slapd)) as bot:
        await bot.import_accounts([{"identifiant": "JDupont", "mot_de_passe_provisoire": PROVISIONALS[JEAN.login]}])
        parent = await bot.parent()
        await activate(parent)  # typed as the login, imported as the alias: one account
        assert "Compte activé !" in await parent.text()
    assert slapd.whoami(JEAN.dn, flows.PASSWORD).returncode == 0


def test_directory_check_names_a_missing_esco_schema(tmp_path: Path) -> None:
    require_slapd()
    server = Slapd(tmp_path / "plain", free_port(), [], esco=False)
    server.start()
    try:
        result = entbot(tmp_path, server, "directory", "check")
    finally:
        server.stop()
    assert result.returncode == 1 and "schéma ESCO absent" in result.stderr and "ENTPerson" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


async def test_an_activation_that_reached_the_directory_but_not_sqlite_is_finished(ldap_bot: Harness,
                                                                                  slapd: Slapd) -> None:
    """The modify landed but its answer was lost (slapd or the bot died in between): the next try finishes it."""
    parent = await ldap_bot.parent()
    await to_confirmation(parent)
    progress = await ldap_bot.store.progress.get(parent.user_id)
    assert progress is not None and progress.password_hash
    slapd.modify(f"dn: {JEAN.dn}\nchangetype: modify\nreplace: ESCOPersonEtatCompte\nESCOPersonEtatCompte: VALIDE\n-\n"
                 f"replace: userPassword\nuserPassword: {{ARGON2}}{progress.password_hash}\n-\n"
                 "replace: ESCOPersonValidationCharte\nESCOPersonValidationCharte: 20261129084500Z\n")
    await parent.send(flows.PASSWORD)
    assert "Compte activé !" in await parent.text()
    account = await ldap_bot.store.accounts.by_telegram_user(parent.user_id)
    assert account is not None and account.state == "active"
    assert await ldap_bot.store.accounts.credentials(account.id) is not None  # the answers were saved too
    assert slapd.whoami(JEAN.dn, flows.PASSWORD).returncode == 0


async def test_an_entry_activated_elsewhere_stops_the_activation(ldap_bot: Harness, slapd: Slapd) -> None:
    """Activated on the ENT itself meanwhile (another password): the parent is told, nothing is overwritten."""
    parent = await ldap_bot.parent()
    await to_confirmation(parent)
    slapd.modify(f"dn: {JEAN.dn}\nchangetype: modify\nreplace: ESCOPersonEtatCompte\nESCOPersonEtatCompte: VALIDE\n-\n"
                 "replace: userPassword\nuserPassword: Ailleurs-2026!\n")
    await parent.send(flows.PASSWORD)
    assert "activé ou réinitialisé par ailleurs" in await parent.text()
    assert slapd.whoami(JEAN.dn, "Ailleurs-2026!").returncode == 0
    assert slapd.whoami(JEAN.dn, flows.PASSWORD).returncode != 0


async def test_entbot_run_with_directory_ldap_survives_slapd_and_itself_being_killed(tmp_path: Path,
                                                                                     slapd: Slapd) -> None:
    """A real `entbot run` process, DIRECTORY=ldap from its environment: slapd down, the bot killed -9, both back."""
    from sandbox.driver import Sandbox
    from tests.conftest import TOKEN
    from tests.test_process import BotProcess, _click, _type

    server = SandboxServer()
    await server.start()
    env = process_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=server.api_url,
                      ENTBOT_DATABASE=str(tmp_path / "entbot.sqlite3"), ENTBOT_POLL_TIMEOUT="1", LOG_LEVEL="DEBUG",
                      DIRECTORY="ldap", LDAP_URL=slapd.url, LDAP_STARTTLS="0", LDAP_PEOPLE_DN=PEOPLE_DN,
                      LDAP_BIND_DN=SERVICE_DN, LDAP_BIND_PASSWORD=SERVICE_PASSWORD)
    csv = tmp_path / "comptes.csv"
    csv.write_text(f"identifiant;mot_de_passe_provisoire\n{JEAN.login};{PROVISIONALS[JEAN.login]}\n", encoding="utf-8")
    imported = subprocess.run([sys.executable, "-m", "bot", "accounts", "import", str(csv)], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    log = tmp_path / "bot.log"
    sandbox = Sandbox(server.url)
    bot = BotProcess(env, log, tmp_path)
    try:
        await bot.wait_ready()
        parent = await sandbox.person("Jean")
        await _type(parent, "/start", "Bonjour")
        await _click(parent, "🔑 Activer mon compte", "Étape 1/6")
        await _click(parent, "👪 Élève ou parent", "Étape 2/6")
        await _type(parent, JEAN.login, "mot de passe provisoire")
        await _type(parent, PROVISIONALS[JEAN.login], "Étape 3/6")
        await _click(parent, "✅ J'ai lu et j'accepte", "Étape 4/6")
        await _click(parent, "⏭ Passer (recommandé)", "Première question")
        await _click(parent, texts.question(7), "Tapez votre réponse")
        await _type(parent, flows.ANSWER1, "Seconde question")
        await parent.click("➡️ Autres questions")
        for _ in range(150):  # the other page, edited in place by the bot's process
            if (await parent.last()).button(texts.question(14)) is not None:
                break
            await asyncio.sleep(0.1)
        await _click(parent, texts.question(14), "Tapez votre réponse")
        await _type(parent, flows.ANSWER2, "Étape 6/6")
        await _type(parent, flows.PASSWORD, "seconde fois")
        slapd.kill()
        await _type(parent, flows.PASSWORD, "momentanément indisponible")
        assert bot.stop(signal.SIGKILL) == -signal.SIGKILL
        slapd.start()
        bot = BotProcess(env, log, tmp_path)
        await bot.wait_ready()
        await _type(parent, flows.PASSWORD, "Compte activé !")
        assert bot.stop(signal.SIGTERM) == 0
    finally:
        if bot.proc.poll() is None:
            bot.stop(signal.SIGKILL)
        await sandbox.close()
        await server.stop()
    assert slapd.whoami(JEAN.dn, flows.PASSWORD).returncode == 0
    logged = log.read_bytes()
    assert b"directory unavailable" in logged and b"DEBUG" in logged
    for secret in (flows.PASSWORD, PROVISIONALS[JEAN.login], flows.ANSWER2, SERVICE_PASSWORD):
        assert secret.encode() not in logged


async def test_staff_reset_from_telegram_locks_the_entry_and_a_blocked_one_is_left_alone(ldap_bot: Harness,
                                                                                        slapd: Slapd) -> None:
    parent = await ldap_bot.parent()
    await activate(parent)
    secretary = await ldap_bot.secretary()
    await secretary.send(f"/reinitialiser {JEAN.login}")
    await secretary.click("✅ Oui, réinitialiser")
    assert "Ce message s'effacera de lui-même" in await secretary.text()
    entry = slapd.entry(JEAN.dn)
    assert entry["ESCOPersonEtatCompte"] == ["INVALIDE"] and entry["userPassword"] == ["{SCRIPT}LOCK"]
    await flows.login_test(parent, flows.PASSWORD)
    assert "Identifiant ou mot de passe incorrect" in await parent.text()

    await secretary.send(f"/compte {BLOCKED.login}")
    assert "bloqué dans l'annuaire" in await secretary.text()
    await secretary.send(f"/reinitialiser {BLOCKED.login}")
    await secretary.click("✅ Oui, réinitialiser")
    assert "bloqué dans l'annuaire de l'ENT" in await secretary.text() and "je ne le réinitialise pas" in await secretary.text()
    assert slapd.entry(BLOCKED.dn)["ESCOPersonEtatCompte"] == ["BLOQUE"]


async def test_mail_is_written_only_when_confirmed_by_a_code(sandbox_server: SandboxServer, tmp_path: Path,
                                                             slapd: Slapd, smtp: SmtpServer) -> None:
    from bot.settings import SmtpSettings
    from tests.conftest import MAIL_FROM
    from tests.test_mail import code_in

    settings = SmtpSettings(host="127.0.0.1", port=smtp.port, username=None, password=None, security="none",
                            mail_from=MAIL_FROM)
    async with running_bot(sandbox_server, tmp_path, ldap=config_for(slapd), smtp=settings) as bot:
        await bot.import_accounts([{"identifiant": p.login, "mot_de_passe_provisoire": PROVISIONALS[p.login]}
                                   for p in (JEAN, PUPIL)])
        confirmed, unconfirmed = await bot.parent("Amina"), await bot.parent("Léa")
        for parent, login, address in ((confirmed, JEAN.login, "amina.dupont@example.fr"),
                                       (unconfirmed, PUPIL.login, "lea.dupont@example.fr")):
            await flows.to_cgu(parent, login, PROVISIONALS[login])
            await parent.click("✅ J'ai lu et j'accepte")
            await parent.send(address)
            await parent.send(address)
        [mail, _] = await smtp.wait_for(2)
        code = code_in(str(mail.get_content()))
        first = confirmed if mail["To"] == "amina.dupont@example.fr" else unconfirmed
        await first.send(code)
        assert "Adresse confirmée" in await first.text()
        other = unconfirmed if first is confirmed else confirmed
        await other.click("⏭ Passer (recommandé)")  # the code never typed: the address is dropped
        for parent in (first, other):
            if parent is other:  # no confirmed address: the secret questions
                await flows.choose_question(parent, 7)
                await parent.send(flows.ANSWER1)
                await flows.choose_question(parent, 14)
                await parent.send(flows.ANSWER2)
            await parent.send(flows.PASSWORD)
            await parent.send(flows.PASSWORD)
            assert "Compte activé !" in await parent.text()
    first_dn, other_dn = (JEAN.dn, PUPIL.dn) if first is confirmed else (PUPIL.dn, JEAN.dn)
    assert slapd.entry(first_dn)["mail"] == [str(mail["To"])]
    assert "mail" not in slapd.entry(other_dn)


async def test_an_address_kept_unconfirmed_with_mail_off_is_not_written(ldap_bot: Harness, slapd: Slapd) -> None:
    parent = await ldap_bot.parent()
    await flows.to_cgu(parent, JEAN.login, PROVISIONALS[JEAN.login])
    await parent.click("✅ J'ai lu et j'accepte")
    await parent.send("amina.dupont@example.fr")
    await parent.send("amina.dupont@example.fr")
    assert "Première question secrète" in await parent.text()  # kept, unconfirmed (mail is off)
    await flows.choose_question(parent, 7)
    await parent.send(flows.ANSWER1)
    await flows.choose_question(parent, 14)
    await parent.send(flows.ANSWER2)
    await parent.send(flows.PASSWORD)
    await parent.send(flows.PASSWORD)
    assert "Compte activé !" in await parent.text()
    assert "mail" not in slapd.entry(JEAN.dn)
