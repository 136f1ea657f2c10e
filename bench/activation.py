"""Benchmark: N parents activate at once through the sandbox and the real bot, against raw Argon2 in the same run.

`--letters`: each family starts from its letter's QR code (`/start <token>`) instead of typing the
identifier and the provisional password.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox_process import start_sandbox, stop_sandbox

from bot.app import build_application, start_in_loop, stop_in_loop, store_of
from bot.processor import PerUserProcessor
from bot.settings import Settings
from conversations.texts import QUESTIONS
from sandbox.driver import Person, Sandbox
from storage.importer import import_accounts
from storage.ldap_directory import LdapConfig
from storage.letters import NewLetter, new_token
from storage.secrets import hash_secret, verify_secret

# Argon2 operations in one activation: the provisional password checked, two answers hashed,
# the new password checked against the provisional one, hashed, then its confirmation verified.
HASHES_PER_ACTIVATION = 6
HASHES_PER_LETTER_ACTIVATION = 5  # the same but the provisional password, which the letter's token replaces
PASSWORD = "Bench-Mot2passe!"


async def one_parent(parent: Person, n: int, light: list[float], updates: list[int], token: str | None) -> bool:
    async def timed(action: object) -> None:
        started = time.perf_counter()
        await action  # type: ignore[misc]
        light.append(time.perf_counter() - started)

    if token is not None:
        await timed(parent.send(f"/start {token}"))
        updates.append(1)
    else:
        await timed(parent.send("/start"))
        await timed(parent.click("🔑 Activer mon compte"))
        await timed(parent.click("👪 Élève ou parent"))
        await timed(parent.send(f"bench.{n:05d}"))
        await parent.send(f"Prov-{n:05d}a")
        updates.append(5)
    await timed(parent.click("✅ J'ai lu et j'accepte"))
    await timed(parent.click("⏭ Passer (recommandé)"))
    await timed(parent.click(QUESTIONS[n % 8]))  # both on the first page of questions
    await parent.send("réponse une")
    await timed(parent.click(QUESTIONS[(n + 1) % 8]))
    await parent.send("réponse deux")
    await parent.send(PASSWORD)
    await parent.send(PASSWORD)
    updates.append(8)
    return "Compte activé !" in await parent.text()


async def raw_argon2(operations: int) -> float:
    digest = await hash_secret("reference")
    started = time.perf_counter()
    work = [hash_secret(f"s{i}") if i % 2 else verify_secret(digest, "reference") for i in range(operations)]
    await asyncio.gather(*work)
    return time.perf_counter() - started


def start_slapd(tmp: Path, parents: int) -> tuple[object, LdapConfig]:
    """A real slapd as the tests start it, one INVALIDE entry per parent."""
    from tests.ldap.slapd import PEOPLE_DN, SERVICE_DN, SERVICE_PASSWORD, Person, Slapd
    from tests.waiting import free_port

    server = Slapd(tmp / "slapd", free_port(), [Person(f"B{n:05d}", f"bench.{n:05d}") for n in range(parents)])
    server.start()
    config = LdapConfig(url=server.url, people_dn=PEOPLE_DN, bind_dn=SERVICE_DN, bind_password=SERVICE_PASSWORD,
                        starttls=False)
    return server, config


async def main(parents: int, directory: str, letters: bool) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="entbot-bench-"))
    csv = tmp / "comptes.csv"
    csv.write_text("identifiant;mot_de_passe_provisoire\n"
                   + "".join(f"bench.{n:05d};Prov-{n:05d}a\n" for n in range(parents)), encoding="utf-8")
    slapd, ldap = start_slapd(tmp, parents) if directory == "ldap" else (None, None)
    sandbox_proc, url = start_sandbox()
    settings = Settings(token="123456789:BENCH-token-abcdef",
                        school_contact_email="secretariat@college-exemple.fr",
                        api_url=f"{url}/bot", database=tmp / "bench.sqlite3",
                        poll_timeout=1, ldap=ldap)
    app = build_application(settings)
    await start_in_loop(app)
    store = store_of(app)
    await import_accounts(store, csv)
    tokens: list[str | None] = [None] * parents
    if letters:
        accounts = {a.identifier: a for a in await store.accounts.all()}
        made = [NewLetter(accounts[f"bench.{n:05d}"].id, accounts[f"bench.{n:05d}"].provisional_hash or "", new_token())
                for n in range(parents)]
        await store.letters.issue(made, timedelta(days=90), "bench")
        tokens = [letter.token for letter in made]
    processor = app.update_processor
    assert isinstance(processor, PerUserProcessor)
    sandbox = Sandbox(url, waiter=lambda uid: processor.wait_handled(uid, timeout=600))
    people = [await sandbox.person(f"Parent{n}") for n in range(parents)]

    async def api_calls() -> int:
        calls = (await sandbox.stats())["calls"]
        return sum(n for method, n in calls.items() if method != "getUpdates")

    calls_before = await api_calls()
    light: list[float] = []
    updates: list[int] = []

    started = time.perf_counter()
    results = await asyncio.gather(*(one_parent(p, n, light, updates, tokens[n]) for n, p in enumerate(people)))
    elapsed = time.perf_counter() - started
    calls = await api_calls() - calls_before

    await stop_in_loop(app)
    await sandbox.close()
    stop_sandbox(sandbox_proc)
    if slapd is not None:
        slapd.stop()  # type: ignore[attr-defined]

    done = sum(results)
    per_activation = HASHES_PER_LETTER_ACTIVATION if letters else HASHES_PER_ACTIVATION
    raw_seconds = await raw_argon2(done * per_activation)
    bot_rate, raw_rate = done / elapsed, done / raw_seconds
    q = statistics.quantiles(light, n=100)
    print(f"directory: {directory}, path: {'letter (/start <token>)' if letters else 'typed (identifier, provisional password)'}")
    print(f"parents: {parents}, activated: {done}")
    print(f"activations/s through the bot: {bot_rate:.2f}  ({elapsed:.1f} s)")
    print(f"raw Argon2, same {done * per_activation} operations: {raw_rate:.2f} activations/s "
          f"({raw_seconds:.1f} s)")
    print(f"ratio bot / raw Argon2: {bot_rate / raw_rate:.2f}")
    print(f"reply latency of steps that hash nothing ({len(light)} replies): "
          f"p50 {q[49] * 1000:.0f} ms, p95 {q[94] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms")
    print(f"Bot API calls per completed activation: {calls / max(done, 1):.1f}")
    print(f"updates (messages and button presses) per activation: {sum(updates) / max(parents, 1):.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parents", type=int, default=200)
    parser.add_argument("--directory", choices=("sqlite", "ldap"), default="sqlite",
                        help="where the accounts live: the bot's SQLite, or a real slapd started for the run")
    parser.add_argument("--letters", action="store_true", help="families start from their letter's QR code")
    args = parser.parse_args()
    asyncio.run(main(args.parents, args.directory, args.letters))
