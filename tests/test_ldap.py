"""DIRECTORY=ldap: the activation lands in a real OpenLDAP slapd with the ESCO schema, through the sandbox."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from conversations import texts
from sandbox.driver import Person as TelegramUser
from sandbox.server import SandboxServer
from storage.accounts import DirectoryUnavailable
from storage.ldap_directory import LdapConfig, LdapDirectory, login_filter
from tests import flows
from tests.conftest import Harness, running_bot
from tests.ldap.slapd import INSTALL_HINT, PEOPLE_DN, SERVICE_DN, SERVICE_PASSWORD, Person, Slapd, slapd_binary
from tests.waiting import free_port

JEAN = Person("F100", flows.IDENTIFIER, aliases=["jdupont"])
BLOCKED = Person("F200", "paul.martin3", state="BLOQUE", sn="Martin", given_name="Paul")
PUPIL = Person("E300", "lea.dupont7", profile="National_ELV", given_name="Léa")
TEACHER = Person("P400", "prof.durand", profile="National_ENS", sn="Durand")
# Filter metacharacters in the login, and a comma and a plus in the RDN (DN escaping).
ODD = Person("M,500+x", "m.dupont(2)*", sn="Dupont", given_name="Marie")
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
    await parent.click("7")
    await parent.send(flows.ANSWER1)
    await parent.click("14")
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
    parent = await ldap_bot.parent()
    await flows.to_cgu(parent, "*)(uid=*", PROVISIONALS[JEAN.login])  # would match everyone unescaped
    assert "Identifiant ou mot de passe provisoire incorrect" in await parent.text()
    await parent.send("*")
    await parent.send(PROVISIONALS[JEAN.login])
    assert "Identifiant ou mot de passe provisoire incorrect" in await parent.text()

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
    finally:
        good.close()
        bad.close()
        await db.close()
        server.stop()
