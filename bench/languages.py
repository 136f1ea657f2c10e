"""Bench, not a test: the bot's CPU per update with the families' catalogs against French only, in the same run.

Run: .venv/bin/python bench/languages.py [--families 60] [--rounds 3] [--language ar]

An `entbot run` child (its CPU read from /proc) gets the same nine updates from each family (the menu, the services,
/aide, the activation up to the identifier, /annuler: no Argon2 work), once offering French only (LANGUAGES=fr, the
families' apps in French) and once offering every shipped language with the families' apps in --language (Arabic by
default: the catalogs' lookups, the stored language read for each family and the right-to-left isolates, the
heaviest path), alternating for --rounds rounds, a fresh process each time. The ratio catalogs / French is the figure
(goal: within 5 %).

The bot's CPU per update varies ±20 % from round to round on a shared machine, more than the catalogs cost: the run
also times, in this process, what the catalogs add to an update — reading the texts of a family's nine updates
(constants, functions, a formatted one) in French and in Arabic, alternating, many times — and prints it against
the measured CPU of an update.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from activation import CONTACT, TOKEN, Child, clean_env, entbot, progress, wait_polling
from families import Client, Screen, Step, identifier, run_families
from sandbox_process import start_sandbox, stop_sandbox
from schools import fill

from conversations import texts
from i18n import SHIPPED, using
from sandbox.world import formatted_text


def texts_of_nine_updates(n: int) -> int:
    """What the bot reads of its texts for the nine updates of family_script (as many reads, in the language at hand)."""
    size = 0
    reads: tuple[Callable[[], str], ...] = (
                 lambda: texts.welcome(None, "Amina"), lambda: texts.MENU_ACTIVATE, lambda: texts.MENU_SERVICES,
                 lambda: texts.OPEN_ENT, lambda: texts.BACK, lambda: texts.help_text(None, None),
                 lambda: texts.PROFILE, lambda: texts.PROFILE_PARENT, lambda: texts.IDENTIFIER,
                 lambda: texts.provisional(), lambda: texts.PAUSED, lambda: texts.MENU_LANGUAGE,
                 lambda: texts.TOO_LONG.format(length=n, limit=4096))
    for read in reads:
        size += len(read())
    return size


def texts_cost(language: str, repeats: int) -> float:
    """Seconds of this process's CPU per family update spent reading texts in `language`."""
    with using(language):
        texts_of_nine_updates(0)  # the catalogs loaded, the isolates cached: as in a bot running a while
        started = time.process_time()
        for n in range(repeats):
            texts_of_nine_updates(n)
        return (time.process_time() - started) / repeats / 9


def shown(html: str, size: int = 24) -> str:
    """The start of a text as the family's app shows it."""
    return formatted_text(html, "HTML")[0][:size]


def family_script(n: int, language: str) -> list[Step]:
    """What a family does without Argon2 work, expecting the bot's words in `language`: nine updates."""
    with using(language):
        welcome = Screen(button=texts.MENU_ACTIVATE)
        return [
            Step("/start", "text", "/start", welcome),
            Step("services", "click", texts.MENU_SERVICES, Screen(button=texts.OPEN_ENT)),
            Step("back", "click", texts.BACK, welcome),
            Step("/aide", "text", "/aide", Screen(texts=("/annuler",))),
            Step("/start again", "text", "/start", welcome),
            Step("activate", "click", texts.MENU_ACTIVATE, Screen(button=texts.PROFILE_PARENT)),
            Step("profile", "click", texts.PROFILE_PARENT, Screen(texts=("jean.dupont12",))),
            Step("identifier", "text", identifier(n), Screen(texts=(shown(texts.provisional()),))),
            Step("/annuler", "text", "/annuler", Screen(texts=(shown(texts.PAUSED),))),
        ]


async def one_round(workdir: Path, label: str, database: Path, env: dict[str, str], language: str, families: int,
                    accounts: int, round_index: int) -> tuple[float, int]:
    """One fresh bot: the families at once; (bot CPU seconds, updates)."""
    with sqlite3.connect(database) as conn:  # the sandbox gives the same user ids again: last round's left nothing
        for table in ("activation_progress", "attempts", "account_failures", "identifier_probes", "family_languages"):
            conn.execute(f"DELETE FROM {table}")
    sandbox_proc, url = start_sandbox()
    client = Client(url)
    try:
        numbers = [(round_index * families + f) * 7919 % accounts for f in range(families)]
        user_ids = await client.people(families, language_code=language)
        child = Child([*entbot(), "run"], {**env, "TELEGRAM_API_URL": f"{url}/bot"}, workdir,
                      workdir / f"bot-{label}-{round_index}.log")
        try:
            await wait_polling(client, child)
            await asyncio.sleep(1.0)
            cpu0 = child.cpu()
            results = await run_families(client, user_ids, [family_script(n, language) for n in numbers],
                                         [0.0] * families, (0.0, 0.0), round_index, step_timeout=60.0)
            failed = [r for r in results if r.error]
            if failed:
                raise SystemExit(f"{label}: {len(failed)} scripts failed, e.g. {failed[0].error} (log: {child.log})")
            return (child.cpu() - cpu0).process, sum(len(r.records) for r in results)
        finally:
            child.stop()
    finally:
        await client.close()
        stop_sandbox(sandbox_proc)


async def main(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-languages-"))
    database = workdir / "entbot.sqlite3"
    progress(f"{args.accounts} accounts (in {workdir})")
    await fill(database, args.accounts, ["0371122U"])
    base = clean_env(TELEGRAM_BOT_TOKEN=TOKEN, ENTBOT_POLL_TIMEOUT="10", QUIET_HOURS="", ENTBOT_DATABASE=str(database),
                     SCHOOL_CONTACT_EMAIL=CONTACT)
    runs = {"french": ({**base, "LANGUAGES": "fr"}, "fr"),
            "catalogs": ({**base, "LANGUAGES": ",".join(SHIPPED)}, args.language)}
    per_update: dict[str, list[float]] = {}
    for r in range(args.rounds):
        for label in ("french", "catalogs") if r % 2 == 0 else ("catalogs", "french"):
            env, language = runs[label]
            cpu, updates = await one_round(workdir, label, database, env, language, args.families, args.accounts, r)
            per_update.setdefault(label, []).append(cpu / updates * 1000)
            progress(f"round {r + 1} {label}: {updates} updates, {cpu / updates * 1000:.2f} ms of bot CPU each")
    costs: dict[str, list[float]] = {"fr": [], args.language: []}
    for _ in range(5):
        for language in costs:
            costs[language].append(texts_cost(language, 2000))
    french_texts, translated_texts = statistics.median(costs["fr"]), statistics.median(costs[args.language])
    french, catalogs = per_update["french"], per_update["catalogs"]
    ratios = [c / f for f, c in zip(french, catalogs, strict=True)]
    print(f"\nCPU of the bot per update, {args.rounds} rounds alternating ({args.families} families × 9 updates):")
    print(f"  French only median {statistics.median(french):.2f} ms; every language, families in {args.language}, "
          f"median {statistics.median(catalogs):.2f} ms: ratio {statistics.median(ratios):.3f} "
          f"(rounds: {', '.join(f'{x:.3f}' for x in ratios)}; goal within 5 %)")
    extra = (translated_texts - french_texts) * 1000
    print(f"  reading an update's texts: French {french_texts * 1e6:.1f} µs, {args.language} {translated_texts * 1e6:.1f} µs "
          f"(5 × 2,000 alternating): the catalogs add {extra * 1000:.1f} µs an update, "
          f"{extra / statistics.median(french) * 100:.2f} % of the bot's {statistics.median(french):.2f} ms")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--families", type=int, default=60, help="families at once in each round (default 60)")
    p.add_argument("--accounts", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=3, help="rounds, French and catalogs alternating (default 3)")
    p.add_argument("--language", default="ar", choices=SHIPPED[1:], help="the families' language (default ar)")
    return p


if __name__ == "__main__":
    asyncio.run(main(parser().parse_args()))
