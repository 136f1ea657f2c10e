"""Bench, not a test: one deployment of 70 schools against one school, as many accounts in both, in the same run.

Run: .venv/bin/python bench/schools.py [--schools 70] [--accounts 40000] [--families 60] [--rounds 3]

1. The bot's CPU per update: an `entbot run` child (its CPU read from /proc) gets the same updates from families
   (the menu, the services, /aide, the activation up to the identifier, /annuler: no Argon2 work) and from a
   secretary of one school (/compte, /stats), the single school and the many alternating for --rounds rounds, a
   fresh process each time. The ratio many / single is the figure (goal: within 10 %).
2. The import: every school's file (`accounts import --school`, one after the other, the last with all the others'
   accounts already there) against one file of all the accounts, with Argon2 at its lowest cost, so that what is
   measured is the import's own work; at the bot's real cost the hashing adds the same time whatever the number of
   schools (printed from the measured cost of one hash).
/stats of one school among 70 is bench/school_stats.py's; the help desk's staff groups, bench/helpdesk_schools.py's;
the notices' fair share, bench/fair_share.py's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from activation import CONTACT, TOKEN, Child, clean_env, entbot, progress, wait_polling
from argon2 import PasswordHasher
from families import Client, Screen, Step, identifier, provisional, run_families
from sandbox_process import start_sandbox, stop_sandbox

from conversations import texts
from storage import secrets
from storage.importer import import_accounts
from storage.schools import check_letter
from storage.secrets import HASHER
from storage.store import Store

SECRETARY = 800_000  # the first school's, named in its staff_user_ids


def uais(count: int) -> list[str]:
    """`count` valid UAIs of Indre-et-Loire's range (0370001 on), each with its check letter."""
    return [f"{n:07d}{check_letter(f'{n:07d}')}" for n in range(370_001, 370_001 + count)]


def schools_toml(codes: list[str]) -> str:
    return "".join(f'[[school]]\nuai = "{uai}"\nname = "Collège n°{i + 1}"\n'
                   f'contact_email = "ce.{uai.lower()}@ac-orleans-tours.fr"\n'
                   f"staff_chat_id = {-1_001_000_000_000 - i}\nstaff_user_ids = [{SECRETARY + i}]\n"
                   f'postal_address = "{i + 1} rue de l\'École, 37{i:03d} Commune {i + 1}"\n\n'
                   for i, uai in enumerate(codes))


async def fill(database: Path, accounts: int, codes: list[str]) -> None:
    """`accounts` accounts, account n of school n mod len(codes), all with one provisional hash (the same work for
    both deployments, and 40,000 real hashes would take the bench's whole time)."""
    store = Store(database)
    await store.open()  # the schema
    await store.close()
    digest = HASHER.hash("Prov-bench-0a")
    now = "2026-09-01T08:00:00+00:00"
    with sqlite3.connect(database) as conn:
        conn.executemany("INSERT INTO accounts (id, identifier, identifier_key, profile, state, provisional_hash,"
                         " created_at, updated_at) VALUES (?, ?, ?, 'parent', 'pending', ?, ?, ?)",
                         [(n + 1, identifier(n), identifier(n), digest, now, now) for n in range(accounts)])
        conn.executemany("INSERT INTO account_schools (account_id, uai) VALUES (?, ?)",
                         [(n + 1, codes[n % len(codes)]) for n in range(accounts)])


def family_script(n: int) -> list[Step]:
    """What a family does without Argon2 work: nine updates."""
    welcome = Screen(button=texts.MENU_ACTIVATE)
    return [
        Step("/start", "text", "/start", welcome),
        Step("services", "click", texts.MENU_SERVICES, Screen(button=texts.OPEN_ENT)),
        Step("back", "click", texts.BACK, welcome),
        Step("/aide", "text", "/aide", Screen(texts=("/annuler : mettre en pause",))),
        Step("/start again", "text", "/start", welcome),
        Step("activate", "click", texts.MENU_ACTIVATE, Screen(button=texts.PROFILE_PARENT)),
        Step("profile", "click", texts.PROFILE_PARENT, Screen(texts=("Tapez l'identifiant",))),
        Step("identifier", "text", identifier(n), Screen(texts=("mot de passe provisoire",))),
        Step("/annuler", "text", "/annuler", Screen(texts=(texts.PAUSED[:30],))),
    ]


def staff_script(accounts: int, codes: list[str], commands: int) -> list[Step]:
    """The first school's secretary: /compte on families of their school, then /stats."""
    mine = [n for n in range(accounts) if n % len(codes) == 0][:commands]
    steps = [Step("/compte", "text", f"/compte {identifier(n)}", Screen(texts=(identifier(n),))) for n in mine]
    return [*steps, Step("/stats", "text", "/stats", Screen(texts=("activ",)))]


async def one_round(workdir: Path, label: str, database: Path, env: dict[str, str], families: int, accounts: int,
                    codes: list[str], round_index: int) -> dict[str, tuple[float, int]]:
    """One fresh bot on `database`: the families at once, then the secretary; per part, (bot CPU seconds, updates)."""
    with sqlite3.connect(database) as conn:  # the sandbox gives the same user ids again: last round's left nothing
        for table in ("activation_progress", "recovery_progress", "attempts", "account_failures", "identifier_probes"):
            conn.execute(f"DELETE FROM {table}")
    sandbox_proc, url = start_sandbox()
    client = Client(url)
    try:
        first = round_index * families  # other families each round: nothing saved from the last
        numbers = [(first + f) * 7919 % accounts for f in range(families)]  # a prime stride: spread over the schools
        user_ids = await client.people(families)
        secretary = (await client.person("Sylvie", user_id=SECRETARY)).user_id
        parts = {"families": (user_ids, [family_script(n) for n in numbers]),
                 "staff": ([secretary], [staff_script(accounts, codes, 10)])}
        child = Child([*entbot(), "run"], {**env, "TELEGRAM_API_URL": f"{url}/bot"}, workdir,
                      workdir / f"bot-{label}-{round_index}.log")
        found: dict[str, tuple[float, int]] = {}
        try:
            await wait_polling(client, child)
            await asyncio.sleep(1.0)
            for part, (users, scripts) in parts.items():
                cpu0 = child.cpu()
                results = await run_families(client, users, scripts, [0.0] * len(users), (0.0, 0.0), round_index,
                                             step_timeout=60.0)
                failed = [r for r in results if r.error]
                if failed:
                    raise SystemExit(f"{label}: {len(failed)} scripts failed, e.g. {failed[0].error} (log: {child.log})")
                found[part] = ((child.cpu() - cpu0).process, sum(len(r.records) for r in results))
        finally:
            child.stop()
        return found
    finally:
        await client.close()
        stop_sandbox(sandbox_proc)


async def import_time(workdir: Path, codes: list[str], accounts: int, per_school: bool) -> tuple[float, float]:
    """(total seconds, slowest file's seconds) to import the accounts: one file per school with --school, or one
    file with a uai column; in-process, Argon2 at its lowest cost (what is measured is the import's own work)."""
    store = Store(workdir / f"import-{'many' if per_school else 'one'}.sqlite3")
    await store.open()
    files: list[tuple[Path, str | None]] = []
    if per_school:
        for i, uai in enumerate(codes):
            path = workdir / f"school-{uai}.csv"
            path.write_text("identifiant;mot_de_passe_provisoire\n" + "".join(
                f"{identifier(n)};{provisional(n)}\n" for n in range(i, accounts, len(codes))), encoding="utf-8")
            files.append((path, uai))
    else:
        path = workdir / "all.csv"
        path.write_text("identifiant;mot_de_passe_provisoire;uai\n" + "".join(
            f"{identifier(n)};{provisional(n)};{codes[n % len(codes)]}\n" for n in range(accounts)), encoding="utf-8")
        files.append((path, None))
    real = secrets.HASHER
    secrets.HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    times = []
    try:
        for path, school in files:
            started = time.monotonic()
            report = await import_accounts(store, path, school=school, known=codes)
            times.append(time.monotonic() - started)
            if report.errors or not report.written:
                raise SystemExit(f"import of {path.name}: {report.errors[:3]}")
    finally:
        secrets.HASHER = real
        await store.close()
    return sum(times), max(times)


async def main(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-schools-"))
    codes = uais(args.schools)
    one = codes[:1]
    progress(f"{args.accounts} accounts in 1 school and in {args.schools} schools (in {workdir})")
    single_db, many_db = workdir / "single.sqlite3", workdir / "many.sqlite3"
    await fill(single_db, args.accounts, one)
    await fill(many_db, args.accounts, codes)
    toml = workdir / "schools.toml"
    toml.write_text(schools_toml(codes), encoding="utf-8")
    base = clean_env(TELEGRAM_BOT_TOKEN=TOKEN, ENTBOT_POLL_TIMEOUT="10", QUIET_HOURS="")
    envs = {"single": {**base, "ENTBOT_DATABASE": str(single_db), "SCHOOL_CONTACT_EMAIL": CONTACT,
                       "SCHOOL_UAI": one[0], "STAFF_USER_IDS": str(SECRETARY), "STAFF_CHAT_ID": "-1001000000000"},
            "many": {**base, "ENTBOT_DATABASE": str(many_db), "SCHOOLS_FILE": str(toml)}}
    per_update: dict[tuple[str, str], list[float]] = {}
    for r in range(args.rounds):
        for label in ("single", "many") if r % 2 == 0 else ("many", "single"):
            database = single_db if label == "single" else many_db
            parts = await one_round(workdir, label, database, envs[label], args.families, args.accounts,
                                    one if label == "single" else codes, r)
            for part, (cpu, updates) in parts.items():
                per_update.setdefault((part, label), []).append(cpu / updates * 1000)
                progress(f"round {r + 1} {label}, {part}: {updates} updates, {cpu / updates * 1000:.2f} ms of bot CPU each")
    print(f"\nCPU of the bot per update, {args.rounds} rounds alternating, {args.accounts} accounts "
          f"({args.families} families × 9 updates; a secretary's 10 × /compte and /stats):")
    for part in ("families", "staff"):
        single, many = per_update[(part, "single")], per_update[(part, "many")]
        ratios = [m / s for s, m in zip(single, many, strict=True)]
        print(f"  {part}: 1 school median {statistics.median(single):.2f} ms, {args.schools} schools median "
              f"{statistics.median(many):.2f} ms: ratio {statistics.median(ratios):.3f} "
              f"(rounds: {', '.join(f'{x:.3f}' for x in ratios)})")

    progress("imports (Argon2 at its lowest cost)")
    many_total, many_slowest = await import_time(workdir, codes, args.accounts, per_school=True)
    one_total, _ = await import_time(workdir, codes, args.accounts, per_school=False)
    started = time.process_time()
    for _ in range(20):
        HASHER.hash("Prov-bench-0a")
    per_hash = (time.process_time() - started) / 20
    cores = os.cpu_count() or 1
    print(f"\nImport of {args.accounts} accounts, Argon2 at its lowest cost:")
    print(f"  {args.schools} files with --school: {many_total:.1f} s in all, the slowest {many_slowest:.2f} s; "
          f"one file with a uai column: {one_total:.1f} s (ratio {many_total / one_total:.2f})")
    print(f"  at the bot's real Argon2 cost, add {args.accounts * per_hash / cores / 60:.1f} min on {cores} cores "
          f"({per_hash * 1000:.0f} ms a hash) in both cases")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--schools", type=int, default=70)
    p.add_argument("--accounts", type=int, default=40_000)
    p.add_argument("--families", type=int, default=60, help="families at once in each round (default 60)")
    p.add_argument("--rounds", type=int, default=3, help="rounds, single and many alternating (default 3)")
    return p


if __name__ == "__main__":
    asyncio.run(main(parser().parse_args()))
