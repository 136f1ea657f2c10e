"""REVIEW (branch `review`): tests that demonstrate bugs found in review; each FAILS on the code as it stands.

Their names start with `test_review_`; each says which bug it shows. Nothing here mocks
the project's code: the real bot against the sandbox, the real slapd, the real SQLite file.
"""

from __future__ import annotations

from pathlib import Path

from sandbox.driver import Person as TelegramUser
from sandbox.server import SandboxServer
from tests import flows
from tests.conftest import Harness, running_bot
from tests.ldap.slapd import Slapd
from tests.test_ldap import JEAN, PROVISIONALS, TEACHER, activate, config_for, ldap_bot, slapd, to_confirmation  # noqa: F401  (fixtures)

WRONG = "Mauvais-1"


async def _fail_provisional(person: TelegramUser, typed: str, times: int) -> None:
    await flows.to_identifier(person)
    for _ in range(times):
        await person.send(typed)
        await person.send(WRONG)


async def test_review_a_claim_left_by_an_abandoned_activation_is_not_a_silent_dead_end(
        sandbox_server: SandboxServer, tmp_path: Path, slapd: Slapd) -> None:  # noqa: F811
    """LDAP_PASSWORD_WRITE=modify claims the entry by adding the charter time to the INVALIDE entry. A claim
    left behind (another family member's activation that died between the claim and VALIDE, e.g. the server
    refused the password by its own policy, then that person gave up) is released by nothing but a staff reset:
    every later activation's `activate` returns False, `_account_changed` then finds the entry still INVALIDE
    with the same provisional, returns False, and `password_confirmed` ends the dialogue without a word. The
    parent types the confirmation and the bot says nothing, each time."""
    async with running_bot(sandbox_server, tmp_path, ldap=config_for(slapd, password_write="modify")) as bot:
        await bot.import_accounts([{"identifiant": JEAN.login, "mot_de_passe_provisoire": PROVISIONALS[JEAN.login]}])
        slapd.modify(f"dn: {JEAN.dn}\nchangetype: modify\nadd: ESCOPersonValidationCharte\n"
                     "ESCOPersonValidationCharte: 20261128101500Z\n")  # the other attempt's claim
        parent = await bot.parent()
        await to_confirmation(parent)
        before = [m for m in await parent.messages() if m.from_bot]
        await parent.send(flows.PASSWORD)
        after = [m for m in await parent.messages() if m.from_bot]
        assert after != before, "the parent got no answer at all"


async def test_review_an_entry_reset_on_the_ent_side_can_be_activated_again_or_is_told(
        ldap_bot: Harness, slapd: Slapd) -> None:  # noqa: F811
    """The académie (not the bot) puts an activated entry back to INVALIDE + {SCRIPT}LOCK. SQLite still says
    'active': `get` reports 'pending' (the directory wins), step 2 accepts the letter's provisional, the family
    walks through every step, and at the very end `LdapDirectory.activate` returns False at its first line
    (local.state == 'active'), `_account_changed` sees nothing changed, and the bot answers nothing at all."""
    parent = await ldap_bot.parent()
    await activate(parent)
    assert "Compte activé !" in await parent.text()
    slapd.modify(f"dn: {JEAN.dn}\nchangetype: modify\nreplace: ESCOPersonEtatCompte\nESCOPersonEtatCompte: INVALIDE\n"
                 "-\nreplace: userPassword\nuserPassword: {SCRIPT}LOCK\n")
    again = await ldap_bot.parent("Amina bis")
    await to_confirmation(again, password=flows.NEW_PASSWORD)
    before = [m for m in await again.messages() if m.from_bot]
    await again.send(flows.NEW_PASSWORD)
    after = [m for m in await again.messages() if m.from_bot]
    assert after != before, "the parent got no answer at all"
