"""DIRECTORY=ldap under attack: what the bot refuses to write, whose lock counts, and that every step answers."""

from __future__ import annotations

from sandbox.driver import Person as TelegramUser
from tests import flows
from tests.conftest import Harness
from tests.ldap.slapd import Slapd
from tests.test_ldap import JEAN, PROVISIONALS, TEACHER, ldap_bot, slapd  # noqa: F401  (fixtures)

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
