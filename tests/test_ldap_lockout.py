"""DIRECTORY=ldap: strangers guessing through the bot never trip the directory's own lockout for the family."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

from sandbox.driver import Person as TelegramUser
from sandbox.server import SandboxServer
from tests import flows
from tests.conftest import running_bot
from tests.ldap.slapd import ROOT_DN, ROOT_PASSWORD, SUFFIX, Slapd
from tests.test_ldap import JEAN, PEOPLE, PROVISIONALS, activate, config_for, require_slapd
from tests.waiting import free_port

# The directory's password policy (OpenLDAP's ppolicy overlay): its 6th failed bind locks the entry for good,
# the family's right password included, on the ENT itself.
DIRECTORY_MAX_FAILURES = 6
POLICY_DN = f"cn=default,ou=policies,{SUFFIX}"
WRONG = "Mauvais-Essai:1"


def with_password_policy(server: Slapd) -> None:
    """Restarts slapd with the ppolicy overlay and a default policy, as a school's ENT may run it."""
    server.stop()
    conf = server.conf.read_text(encoding="utf-8")
    conf = conf.replace("moduleload back_mdb\n", "moduleload back_mdb\nmoduleload ppolicy\n")
    conf += f'\noverlay ppolicy\nppolicy_default "{POLICY_DN}"\nppolicy_use_lockout\n'
    server.conf.write_text(conf, encoding="utf-8")
    server.start()
    ldif = (f"dn: ou=policies,{SUFFIX}\nobjectClass: organizationalUnit\nou: policies\n\n"
            f"dn: {POLICY_DN}\nobjectClass: organizationalRole\nobjectClass: pwdPolicy\ncn: default\n"
            f"pwdAttribute: userPassword\npwdMaxFailure: {DIRECTORY_MAX_FAILURES}\npwdLockout: TRUE\n"
            "pwdLockoutDuration: 0\npwdFailureCountInterval: 0\n")
    subprocess.run(["ldapadd", "-x", "-H", server.url, "-D", ROOT_DN, "-w", ROOT_PASSWORD], input=ldif, text=True,
                   check=True, capture_output=True)


def failed_binds(server: Slapd, dn: str) -> int:
    """How many failed binds the directory counts against the entry (ppolicy's pwdFailureTime)."""
    out = subprocess.run(["ldapsearch", "-x", "-LLL", "-H", server.url, "-D", ROOT_DN, "-w", ROOT_PASSWORD, "-b", dn,
                          "-s", "base", "(objectClass=*)", "pwdFailureTime", "pwdAccountLockedTime"],
                         capture_output=True, text=True, check=True).stdout
    assert "pwdAccountLockedTime" not in out or out.count("pwdFailureTime") >= DIRECTORY_MAX_FAILURES, out
    return out.count("pwdFailureTime:")


async def at_login_password(user: TelegramUser) -> None:
    """"Tester ma connexion", the family's identifier typed: the next message is a password, checked by a bind."""
    await user.send("/start")
    await user.click("🔎 Tester ma connexion")
    await user.send(flows.IDENTIFIER)


async def test_strangers_guessing_at_once_never_lock_the_family_out_of_the_directory(
        sandbox_server: SandboxServer, tmp_path: Path) -> None:
    """Issue 22, finding 16: eight strangers send a wrong password at the same moment, then keep guessing."""
    require_slapd()
    server = Slapd(tmp_path / "slapd", free_port(), PEOPLE)
    server.start()
    try:
        async with running_bot(sandbox_server, tmp_path, ldap=config_for(server)) as bot:
            await bot.import_accounts([{"identifiant": JEAN.login, "mot_de_passe_provisoire": PROVISIONALS[JEAN.login]}])
            family = await bot.parent()
            await activate(family)
            assert "Compte activé !" in await family.text()
            with_password_policy(server)
            assert failed_binds(server, JEAN.dn) == 0

            strangers = [await bot.parent(f"Intrus {n}") for n in range(8)]
            for stranger in strangers:
                await at_login_password(stranger)
            await asyncio.gather(*(stranger.send(WRONG) for stranger in strangers))
            # The bot's lock (5 failures) is the one that holds: no guess beyond it reached the directory.
            assert failed_binds(server, JEAN.dn) <= 5
            replies = [await s.text() for s in strangers]
            assert sum("Trop d'essais incorrects" in r for r in replies) >= 3, replies
            # Locked, they keep guessing: nothing more reaches the directory.
            for stranger in strangers:
                for _ in range(3):
                    await at_login_password(stranger)
                    await stranger.send(WRONG)
            assert failed_binds(server, JEAN.dn) <= 5
        # The family's own password still opens its ENT account.
        assert server.whoami(JEAN.dn, flows.PASSWORD).returncode == 0
    finally:
        server.stop()


def test_the_policy_of_this_test_locks_an_entry_as_an_ent_would(tmp_path: Path) -> None:
    """The check above means something: six wrong binds straight to slapd lock the right password out."""
    require_slapd()
    from argon2 import PasswordHasher

    from tests.ldap.slapd import Person

    person = Person("F901", "test.verrou", password="{ARGON2}" + PasswordHasher().hash(flows.PASSWORD))
    server = Slapd(tmp_path / "slapd", free_port(), [person])
    server.start()
    try:
        with_password_policy(server)
        for _ in range(DIRECTORY_MAX_FAILURES):
            assert server.whoami(person.dn, WRONG).returncode != 0
        assert failed_binds(server, person.dn) == DIRECTORY_MAX_FAILURES
        assert server.whoami(person.dn, flows.PASSWORD).returncode != 0
    finally:
        server.stop()

