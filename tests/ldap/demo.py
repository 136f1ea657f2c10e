"""By hand: one parent activates through the sandbox with DIRECTORY=ldap, then slapd stays up for ldapwhoami.

    .venv/bin/python -m tests.ldap.demo [--keep SECONDS]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from bot.app import build_application, start_in_loop, stop_in_loop, store_of
from bot.processor import PerUserProcessor
from bot.settings import Settings
from sandbox.driver import Sandbox
from sandbox.server import SandboxServer
from storage.importer import import_accounts
from storage.ldap_directory import LdapConfig
from tests import flows
from tests.ldap.slapd import PEOPLE_DN, SERVICE_DN, SERVICE_PASSWORD, Person, Slapd
from tests.waiting import free_port


async def main(keep: float) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="entbot-ldap-demo-"))
    person = Person("F100", flows.IDENTIFIER)
    slapd = Slapd(tmp / "slapd", free_port(), [person])
    slapd.start()
    server = SandboxServer()
    await server.start()
    config = LdapConfig(url=slapd.url, people_dn=PEOPLE_DN, bind_dn=SERVICE_DN, bind_password=SERVICE_PASSWORD,
                        starttls=False)
    app = build_application(Settings(token="123456789:DEMO-token-abcdef",
                                     school_contact_email="secretariat@college-exemple.fr", api_url=server.api_url,
                                     database=tmp / "entbot.sqlite3", poll_timeout=1, ldap=config))
    await start_in_loop(app)
    csv = tmp / "comptes.csv"
    csv.write_text(f"identifiant;mot_de_passe_provisoire\n{flows.IDENTIFIER};{flows.PROVISIONAL}\n", encoding="utf-8")
    await import_accounts(store_of(app), csv)
    processor = app.update_processor
    assert isinstance(processor, PerUserProcessor)
    sandbox = Sandbox(server.url, waiter=processor.wait_handled)
    parent = await sandbox.person("Amina")
    before = slapd.entry(person.dn)
    await flows.activate(parent)
    print("bot:", (await parent.text()).splitlines()[0])
    await stop_in_loop(app)
    await sandbox.close()
    await server.stop()
    after = slapd.entry(person.dn)
    for name in ("ESCOPersonEtatCompte", "ESCOPersonValidationCharte", "userPassword"):
        print(f"{name}: {before.get(name)} -> {after.get(name)}")
    command = f"ldapwhoami -x -H {slapd.url} -D {person.dn} -w {flows.PASSWORD}"
    print("$", command)
    result = slapd.whoami(person.dn, flows.PASSWORD)
    print(result.stdout.strip() or result.stderr.strip(), f"(exit {result.returncode})")
    if keep:
        print(f"slapd (pid {slapd.process.pid if slapd.process else '-'}) stays up {keep:.0f} s on {slapd.url}", flush=True)
        await asyncio.sleep(keep)
    slapd.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", type=float, default=0.0, help="seconds slapd stays up after the activation")
    asyncio.run(main(parser.parse_args().keep))
