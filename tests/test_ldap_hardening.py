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
