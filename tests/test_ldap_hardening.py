"""DIRECTORY=ldap under attack: what the bot refuses to write, whose lock counts, and that every step answers."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from conversations import texts
from sandbox.driver import Person as TelegramUser
from sandbox.server import SandboxServer
from storage.accounts import DirectoryUnavailable
from storage.db import Database
from storage.ldap_directory import LdapDirectory
from tests import flows
from tests.conftest import Harness, running_bot
from tests.ldap.slapd import Slapd
from tests.test_helpdesk import header_of
from tests.test_ldap import (  # noqa: F401  (fixtures)
    JEAN,
    ODD,
    PROVISIONALS,
    PUPIL,
    TEACHER,
    activate,
    config_for,
    entbot,
    ldap_bot,
    slapd,
    to_confirmation,
)

WRONG = "Mauvais-1"


async def _fail_provisional(person: TelegramUser, typed: str, times: int) -> None:
    await flows.to_identifier(person)
    for _ in range(times):
        await person.send(typed)
        await person.send(WRONG)


async def test_staff_reset_never_touches_a_teacher_s_ent_account(ldap_bot: Harness, slapd: Slapd) -> None:  # noqa: F811
    """A teacher's working ENT account (profile National_ENS) is not the bot's: /reinitialiser refuses it in
    French, offers no confirmation, and the entry keeps its state and password."""
    slapd.modify(f"dn: {TEACHER.dn}\nchangetype: modify\nreplace: ESCOPersonEtatCompte\nESCOPersonEtatCompte: VALIDE\n"
                 "-\nreplace: userPassword\nuserPassword: Prof-Secret-1\n")
    secretary = await ldap_bot.secretary()
    await secretary.send(f"/reinitialiser {TEACHER.login}")
    last = await secretary.last()
    assert "n'est pas celui d'une famille" in last.text
    assert "✅ Oui, réinitialiser" not in last.button_texts
    await secretary.send(f"/compte {TEACHER.login}")
    assert "♻️" not in " ".join((await secretary.last()).button_texts)
    assert slapd.entry(TEACHER.dn)["ESCOPersonEtatCompte"] == ["VALIDE"]
    assert slapd.whoami(TEACHER.dn, "Prof-Secret-1").returncode == 0  # the teacher can still log in to the ENT


async def test_a_ticket_from_someone_who_typed_a_teacher_s_login_has_no_account_buttons(
        ldap_bot: Harness, slapd: Slapd) -> None:  # noqa: F811
    """A stranger types a teacher's login at step 2, then writes to the school: the ticket says which login was
    typed, but offers neither "Débloquer" nor "Réinitialiser", which would act on a staff member's account."""
    stranger, secretary = await ldap_bot.parent("Intrus"), await ldap_bot.secretary()
    group = await ldap_bot.staff_group(secretary)
    await _fail_provisional(stranger, TEACHER.login, 1)
    await stranger.send("/aide")
    await stranger.click(texts.MENU_WRITE)
    await stranger.send("Réinitialisez ce compte s'il vous plaît")
    header = await header_of(group, 1)
    assert TEACHER.login in header.text
    assert texts.RESET_BUTTON not in header.button_texts and texts.UNLOCK_BUTTON not in header.button_texts


def _empty_csv(tmp_path: Path) -> Path:
    path = tmp_path / "vide.csv"
    path.write_text("identifiant;mot_de_passe_provisoire\n", encoding="utf-8")
    return path


def test_the_shell_refuses_to_reset_a_teacher_s_ent_account(tmp_path: Path, slapd: Slapd) -> None:  # noqa: F811
    slapd.modify(f"dn: {TEACHER.dn}\nchangetype: modify\nreplace: ESCOPersonEtatCompte\nESCOPersonEtatCompte: VALIDE\n"
                 "-\nreplace: userPassword\nuserPassword: Prof-Secret-1\n")
    assert entbot(tmp_path, slapd, "accounts", "import", str(_empty_csv(tmp_path))).returncode == 0  # the bot's base
    result = entbot(tmp_path, slapd, "accounts", "reset", TEACHER.login)
    assert result.returncode == 1 and "n'est pas celui d'une famille" in result.stdout + result.stderr
    assert "mot de passe provisoire" not in result.stdout
    assert slapd.whoami(TEACHER.dn, "Prof-Secret-1").returncode == 0


async def test_a_fullwidth_spelling_of_a_login_is_refused_at_input(ldap_bot: Harness, slapd: Slapd) -> None:  # noqa: F811
    """slapd normalises logins (NFKC): 'ｊｅａｎ.ｄｕｐｏｎｔ12' would be Jean's entry under another attempt key, so
    another budget of guesses. It is refused as an identifier, and counts nothing."""
    first, second = await ldap_bot.parent("Intrus"), await ldap_bot.parent("Complice")
    await _fail_provisional(first, JEAN.login, 3)
    await flows.to_identifier(second)
    await second.send("ｊｅａｎ.ｄｕｐｏｎｔ12")
    assert "ne peut pas être un identifiant" in await second.text()
    await second.send(JEAN.login)  # the real spelling: two more failures lock the account
    await second.send(WRONG)
    await second.send(JEAN.login)
    await second.send(WRONG)
    assert "Trop d'essais incorrects" in await second.text()


async def test_failures_through_an_alias_lock_the_account_staff_see_and_can_lift(
        ldap_bot: Harness, slapd: Slapd) -> None:  # noqa: F811
    """Failures typed with the alias 'jdupont' or the login in capitals count on the account's real login: the
    lock is the one /compte shows, and the family typing the login is locked too until staff lift it."""
    first, second = await ldap_bot.parent("Intrus"), await ldap_bot.parent("Complice")
    await _fail_provisional(first, "jdupont", 3)
    await _fail_provisional(second, JEAN.login.upper(), 2)
    assert "Trop d'essais incorrects" in await second.text()
    family = await ldap_bot.parent("Amina")
    await flows.to_cgu(family, JEAN.login, PROVISIONALS[JEAN.login])
    assert "Trop d'essais incorrects" in await family.text()  # the family is locked out...
    secretary = await ldap_bot.secretary()
    await secretary.send(f"/compte {JEAN.login}")
    assert "Verrou : jusqu'à" in await secretary.text()  # ...and staff see it
    await secretary.send(f"/debloquer {JEAN.login}")
    await family.send(PROVISIONALS[JEAN.login])  # still at the provisional password: now it goes through
    assert "✅ J'ai lu et j'accepte" in (await family.last()).button_texts


async def test_an_entry_reset_by_the_ent_refuses_the_old_letter_and_sends_the_family_to_the_school(
        ldap_bot: Harness, slapd: Slapd) -> None:  # noqa: F811
    """The académie (not the bot) puts an activated entry back to INVALIDE + {SCRIPT}LOCK. The old letter's
    provisional, still in SQLite, must not walk the family through to a silent end: step 2 tells them the
    account was reset in the ENT and offers the help desk; staff see the state and can reset it here."""
    parent = await ldap_bot.parent()
    await activate(parent)
    assert "Compte activé !" in await parent.text()
    slapd.modify(f"dn: {JEAN.dn}\nchangetype: modify\nreplace: ESCOPersonEtatCompte\nESCOPersonEtatCompte: INVALIDE\n"
                 "-\nreplace: userPassword\nuserPassword: {SCRIPT}LOCK\n")
    again = await ldap_bot.parent("Amina bis")
    await flows.to_cgu(again, JEAN.login, PROVISIONALS[JEAN.login])
    last = await again.last()
    assert "remis à zéro dans l'ENT" in last.text and texts.MENU_WRITE in last.button_texts
    assert "✅ J'ai lu et j'accepte" not in last.button_texts
    secretary = await ldap_bot.secretary()
    await secretary.send(f"/reinitialiser {JEAN.login}")
    await secretary.click("✅ Oui, réinitialiser")
    assert slapd.entry(JEAN.dn)["ESCOPersonEtatCompte"] == ["INVALIDE"]
    await secretary.send(f"/compte {JEAN.login}")
    assert texts.STATE_LABELS["reset"] in await secretary.text()  # the school's reset took: a new letter to give


async def test_a_claim_left_by_an_abandoned_activation_is_answered_then_replaced_once_stale(
        sandbox_server: SandboxServer, tmp_path: Path, slapd: Slapd) -> None:  # noqa: F811
    """LDAP_PASSWORD_WRITE=modify claims the INVALIDE entry by adding the charter time. A claim left behind by an
    activation that died is answered (never silence) while it may still be alive, and replaced by
    compare-and-swap once the entry has been left untouched long enough: the family then activates."""
    async with running_bot(sandbox_server, tmp_path, ldap=config_for(slapd, password_write="modify")) as bot:
        await bot.import_accounts([{"identifiant": JEAN.login, "mot_de_passe_provisoire": PROVISIONALS[JEAN.login]}])
        slapd.modify(f"dn: {JEAN.dn}\nchangetype: modify\nadd: ESCOPersonValidationCharte\n"
                     "ESCOPersonValidationCharte: 20261128101500Z\n")  # the other attempt's claim
        parent = await bot.parent()
        await to_confirmation(parent)
        await parent.send(flows.PASSWORD)
        last = await parent.last()
        assert "n'a pas accepté l'activation" in last.text and texts.MENU_WRITE in last.button_texts
        bot.clock.advance(timedelta(minutes=5))  # the claim is now stale
        await parent.send(flows.PASSWORD)
        assert "Compte activé !" in await parent.text()
        assert slapd.entry(JEAN.dn)["ESCOPersonEtatCompte"] == ["VALIDE"]
        assert slapd.whoami(JEAN.dn, flows.PASSWORD).returncode == 0


async def test_a_hung_directory_fails_fast_for_everyone_then_recovers(
        sandbox_server: SandboxServer, tmp_path: Path, slapd: Slapd) -> None:  # noqa: F811
    """slapd SIGSTOPped (connections accepted, nothing answered): the first parent gets the outage message after
    one short timeout (no retry), the breaker opens, a second parent gets it too without trying the server,
    the help desk still takes a message; once slapd runs again and the breaker's time has passed, it works."""
    config = config_for(slapd, connect_timeout=1.0, operation_timeout=1.0)
    async with running_bot(sandbox_server, tmp_path, ldap=config) as bot:
        await bot.import_accounts([{"identifiant": JEAN.login, "mot_de_passe_provisoire": PROVISIONALS[JEAN.login]}])
        first, second = await bot.parent("Amina"), await bot.parent("Karim")
        for parent in (first, second):
            await flows.to_identifier(parent)
            await parent.send(JEAN.login)
        await first.send(PROVISIONALS[JEAN.login])  # warms the pool: the connection that will hang
        assert "✅ J'ai lu et j'accepte" in (await first.last()).button_texts
        slapd.freeze()
        try:
            await first.click("✅ J'ai lu et j'accepte")
            assert "momentanément indisponible" in await first.text()
            assert bot.store.ldap is not None and bot.store.ldap.pool.is_open
            await second.send(PROVISIONALS[JEAN.login])
            assert "momentanément indisponible" in await second.text()
            await second.send("/aide")
            await second.click(texts.MENU_WRITE)
            await second.send("Le bot dit que le service est indisponible.")
            assert "demande n°1" in await second.text()
        finally:
            slapd.thaw()
        told = len(await first.messages())
        await first.click("✅ J'ai lu et j'accepte")  # the breaker is still open: no call to the server yet
        assert len(await first.messages()) == told + 1 and "momentanément indisponible" in await first.text()
        bot.clock.advance(timedelta(seconds=config.breaker_seconds + 1))
        await first.click("✅ J'ai lu et j'accepte")
        assert any("Étape 4/6" in m.text for m in await first.messages())  # the terms' message became step 4


async def test_a_row_is_adopted_through_an_alias_only_if_that_alias_names_this_entry_alone(
        sandbox_server: SandboxServer, tmp_path: Path, slapd: Slapd) -> None:  # noqa: F811
    """An entry whose alias is another entry's login must not take that other account's SQLite row (and with it
    the provisional password of someone else's letter): the letter of Léa does not open Marie's entry."""
    async with running_bot(sandbox_server, tmp_path, ldap=config_for(slapd)) as bot:
        await bot.import_accounts([{"identifiant": PUPIL.login, "mot_de_passe_provisoire": PROVISIONALS[PUPIL.login]}])
        slapd.modify(f"dn: {ODD.dn}\nchangetype: modify\nadd: ENTPersonAlias\nENTPersonAlias: {PUPIL.login}\n")
        parent = await bot.parent()
        await flows.to_cgu(parent, ODD.login, PROVISIONALS[PUPIL.login])
        assert "✅ J'ai lu et j'accepte" not in (await parent.last()).button_texts
        assert "Identifiant ou mot de passe provisoire incorrect" in await parent.text()  # told the pair is wrong


async def test_calls_beyond_the_pool_and_its_queue_fail_at_once_while_the_directory_hangs(
        tmp_path: Path, slapd: Slapd, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    """One thread and no room to wait: while slapd hangs, a call beyond it is refused without joining a queue
    (the log says so), every caller gets DirectoryUnavailable, and the breaker then refuses without trying."""
    db = Database(tmp_path / "entbot.sqlite3")
    await db.open()
    directory = LdapDirectory(db, config_for(slapd, connect_timeout=1.0, operation_timeout=1.0, pool_size=1,
                                             max_waiting=0))
    try:
        assert await directory.find(JEAN.login) is not None  # a warm connection, that will hang
        slapd.freeze()
        try:
            outcomes = await asyncio.gather(*[directory.find(JEAN.login) for _ in range(3)], return_exceptions=True)
        finally:
            slapd.thaw()
        assert all(isinstance(o, DirectoryUnavailable) for o in outcomes), outcomes
        assert "too many directory calls waiting" in caplog.text
        assert directory.pool.is_open
        with pytest.raises(DirectoryUnavailable):
            await directory.find(JEAN.login)  # slapd answers again, but the breaker has not let go yet
        db.clock.advance(timedelta(seconds=directory.config.breaker_seconds + 1))
        assert await directory.find(JEAN.login) is not None
    finally:
        directory.close()
        await db.close()


async def test_logins_a_stranger_types_are_not_counted_as_imported_accounts(
        sandbox_server: SandboxServer, tmp_path: Path, slapd: Slapd) -> None:  # noqa: F811
    """Every real login typed at step 2 gets a SQLite row (its id is what attempts and the audit refer to); one
    never imported nor proven is not one of the school's accounts in /stats."""
    async with running_bot(sandbox_server, tmp_path, ldap=config_for(slapd)) as bot:
        await bot.import_accounts([{"identifiant": JEAN.login, "mot_de_passe_provisoire": PROVISIONALS[JEAN.login]}])
        stranger = await bot.parent("Intrus")
        await _fail_provisional(stranger, PUPIL.login, 1)
        await stranger.send(ODD.login)
        await stranger.send(WRONG)
        secretary = await bot.secretary()
        await secretary.send("/stats")
        assert "Comptes importés : 1" in await secretary.text()
