"""Benchmark of the bot as deployed: `entbot run`, the Bot API sandbox and the simulated families, three processes.

Default (`make bench`): a calibration (families all at once, no think time) measures the bot's CPU per
activation, then a bare python-telegram-bot echo bot (bench/echo_bot.py) gets the same updates, without
and with the same Argon2 work; then families arrive open-loop at 25, 50, 80 and 100 % of the measured
capacity, a fresh bot, sandbox and database at each rate, and the reply latencies are printed; the echo
bot gets the arrivals of the 50 % rate too, for the overhead at an everyday load. About 6 minutes on a
quiet 2-core machine; shorter with e.g. --calibrate 30 --duration 10.

`--burst`: the old closed-loop run only (`--parents` families at once, and the same to the echo bot),
out of process too.
`--letters`: each family starts from its letter's QR code (`/start <token>`) instead of typing the
identifier and the provisional password. `--directory ldap`: the accounts live in a real slapd.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from families import (
    Client,
    FamilyResult,
    StepRecord,
    activation_script,
    arrival_times,
    calls_per_step,
    echo_script,
    identifier,
    provisional,
    run_families,
)
from procstat import Cpu, cpu_of
from sandbox_process import start_sandbox, stop_sandbox

from storage.ldap_directory import LdapConfig
from storage.letters import NewLetter, new_token
from storage.secrets import HASHER
from storage.store import Store

TOKEN = "123456789:BENCH-token-abcdef"
CONTACT = "secretariat@college-exemple.fr"
CORES = os.cpu_count() or 1
SLOW_MS = 200  # the reply time a family starts to notice: the figure that matters
# Settings of the developer's shell that must not leak into the bot under test.
_SETTING_PREFIXES = ("TELEGRAM_", "ENTBOT_", "SMTP_", "SCHOOL_", "STAFF_", "LOG_LEVEL", "LDAP_", "DIRECTORY",
                     "QUIET_HOURS", "MAIL_FROM")

Target = Literal["bot", "echo", "echo+argon2"]
TARGET_NAMES: dict[Target, str] = {"bot": "Assistant ENT", "echo": "echo bot", "echo+argon2": "echo bot + Argon2"}


def progress(message: str) -> None:
    """What the benchmark is doing, on stderr: stdout is the report."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- Argon2's cost, measured here ------------------------------------------------------------------


def argon2_cpu_per_operation(operations: int, threads: int) -> float:
    """CPU seconds of one Argon2 operation with the bot's parameters, hashes and verifications alternating,
    `threads` at a time as the bot's pool runs them (two 19 MiB hashes at once share the caches and the
    memory bus: each costs more CPU than one alone)."""
    digest = HASHER.hash("reference")

    def one(i: int) -> None:
        if i % 2:
            HASHER.hash(f"secret {i}")
        else:
            HASHER.verify(digest, "reference")

    started = time.process_time()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(one, range(operations)))
    return (time.process_time() - started) / operations


# -- the processes ---------------------------------------------------------------------------------


class Child:
    """A process under test (the bot or the echo bot), its output kept in a log file."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path, log: Path) -> None:
        self.log = log
        with log.open("ab") as out:
            self.proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def cpu(self) -> Cpu:
        return cpu_of(self.proc.pid)

    def tail(self, lines: int = 15) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> int:
        """SIGTERM, as systemd stops the bot: PTB stops polling, and the meter file is written at exit."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


def clean_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SETTING_PREFIXES)}
    env.update(settings)
    return env


def entbot() -> list[str]:
    installed = Path(sys.executable).with_name("entbot")
    return [str(installed)] if installed.exists() else [sys.executable, "-m", "bot"]


def start_slapd(workdir: Path, families: int) -> tuple[Any, LdapConfig]:
    """A real slapd as the tests start it, one INVALIDE entry per family."""
    from tests.ldap.slapd import PEOPLE_DN, SERVICE_DN, SERVICE_PASSWORD, Person, Slapd
    from tests.waiting import free_port

    server = Slapd(workdir / "slapd", free_port(), [Person(f"B{n:05d}", identifier(n)) for n in range(families)])
    server.start()
    config = LdapConfig(url=server.url, people_dn=PEOPLE_DN, bind_dn=SERVICE_DN, bind_password=SERVICE_PASSWORD,
                        starttls=False)
    return server, config


def bot_env(api_url: str, database: Path, ldap: LdapConfig | None) -> dict[str, str]:
    """`entbot run` configured as the README tells a school to, by environment variables."""
    env = clean_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=api_url, ENTBOT_DATABASE=str(database),
                    SCHOOL_CONTACT_EMAIL=CONTACT, ENTBOT_POLL_TIMEOUT="10")
    if ldap is not None:
        env.update(DIRECTORY="ldap", LDAP_URL=ldap.url, LDAP_PEOPLE_DN=ldap.people_dn, LDAP_BIND_DN=ldap.bind_dn or "",
                   LDAP_BIND_PASSWORD=ldap.bind_password or "", LDAP_STARTTLS="0")
    return env


def import_accounts(env: dict[str, str], workdir: Path, families: int) -> None:
    """`entbot accounts import`, as the school does before the rentrée."""
    csv = workdir / "comptes.csv"
    csv.write_text("identifiant;mot_de_passe_provisoire\n"
                   + "".join(f"{identifier(n)};{provisional(n)}\n" for n in range(families)), encoding="utf-8")
    done = subprocess.run([*entbot(), "accounts", "import", str(csv)], env=env, cwd=workdir, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"entbot accounts import failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


async def issue_letters(database: Path, ldap: LdapConfig | None, families: int) -> list[str]:
    """One letter per family, issued before the bot starts, as `entbot letters` records them."""
    store = Store(database, ldap=ldap)
    await store.open()
    try:
        accounts = {a.identifier: a for a in await store.accounts.all()}
        made = [NewLetter(accounts[identifier(n)].id, accounts[identifier(n)].provisional_hash or "", new_token())
                for n in range(families)]
        await store.letters.issue(made, timedelta(days=90), "bench")
    finally:
        await store.close()
    return [letter.token for letter in made]


async def wait_polling(client: Client, child: Child, timeout: float = 90.0) -> None:
    """Until the bot under test polls for updates (its start-up work done)."""
    deadline = time.monotonic() + timeout
    while (await client.call_counts()).get("getUpdates", 0) == 0:
        if child.proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the bot under test did not start polling; its log ends with:\n{child.tail()}")
        await asyncio.sleep(0.1)


# -- one phase: one bot process, one sandbox, families arriving ---------------------------------------


@dataclass
class Options:
    directory: str
    letters: bool
    think: tuple[float, float]
    arrivals: str
    duration: float
    seed: int
    step_timeout: float
    retry_after: float
    workdir: Path
    bot_env: dict[str, str]


@dataclass
class Phase:
    """What one run of families against one process under test gave."""

    target: Target
    label: str
    results: list[FamilyResult]
    cpu: Cpu
    sandbox_cpu: float
    families_cpu: float
    wall: float
    calls: list[tuple[float, str, int | None]]
    meter: dict[str, Any] | None
    argon2_op: float
    rate: float | None = None
    log: Path | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def completed(self) -> int:
        return sum(r.done for r in self.results)

    @property
    def updates(self) -> int:
        return sum(r.sent for r in self.results)

    @property
    def refusals(self) -> int:
        return sum(r.refusals for r in self.results)

    @property
    def records(self) -> list[StepRecord]:
        return [record for r in self.results for record in r.records]

    @property
    def argon2_ops(self) -> int:
        """Counted by the bot itself (ENTBOT_METER_FILE); for the echo bot, what the families asked of it."""
        if self.meter is not None:
            return int(self.meter["argon2"])
        return sum(record.hashes for record in self.records) if self.target == "echo+argon2" else 0

    def per_activation(self, value: float) -> float:
        return value / self.completed if self.completed else math.nan

    @property
    def cpu_per_activation(self) -> float:
        return self.per_activation(self.cpu.process)

    @property
    def argon2_per_activation(self) -> float:
        return self.per_activation(self.argon2_ops * self.argon2_op)

    @property
    def rest_per_update(self) -> float:
        return (self.cpu.process - self.argon2_ops * self.argon2_op) / self.updates if self.updates else math.nan


async def run_phase(opts: Options, index: int, target: Target, label: str, arrivals: Sequence[float],
                    think: tuple[float, float], argon2_op: float) -> Phase:
    workdir = opts.workdir / f"{index:02d}-{target}"
    workdir.mkdir(parents=True)
    n = len(arrivals)
    sandbox_proc, url = start_sandbox()
    client = Client(url)
    slapd: Any = None
    try:
        scripts = [activation_script(f, "letter" if opts.letters else None) for f in range(n)]
        meter_file = workdir / "meter.json"
        if target == "bot":
            ldap = None
            if opts.directory == "ldap":
                slapd, ldap = start_slapd(workdir, n)
            database = workdir / "entbot.sqlite3"
            env = bot_env(f"{url}/bot", database, ldap)
            progress(f"{label}: importing {n} accounts")
            import_accounts(env, workdir, n)
            if opts.letters:
                tokens = await issue_letters(database, ldap, n)
                scripts = [activation_script(f, tokens[f]) for f in range(n)]
            env.update(opts.bot_env, ENTBOT_METER_FILE=str(meter_file))
            argv = [*entbot(), "run"]
        else:
            scripts = [echo_script(s, argon2=target == "echo+argon2") for s in scripts]
            env = clean_env()
            argv = [sys.executable, str(BENCH / "echo_bot.py"), "--api-url", f"{url}/bot", "--token", TOKEN]
        user_ids = await client.people(n)
        child = Child(argv, env, workdir, workdir / "bot.log")
        try:
            await wait_polling(client, child)
            await asyncio.sleep(1.0)  # the start-up's last work (jobs scheduled at start) is not the families'
            _, calls_before = await client.calls()
            cpu0, sandbox0, families0 = child.cpu(), cpu_of(sandbox_proc.pid).process, time.process_time()
            progress(f"{label}: {n} families" + (f" over {arrivals[-1]:.0f} s" if arrivals and arrivals[-1] else " at once"))
            started = time.monotonic()
            results = await run_families(client, user_ids, scripts, arrivals, think, opts.seed + index, opts.step_timeout,
                                         opts.retry_after)
            wall = time.monotonic() - started
            cpu = child.cpu() - cpu0
            sandbox_cpu, families_cpu = cpu_of(sandbox_proc.pid).process - sandbox0, time.process_time() - families0
            calls, _ = await client.calls(calls_before)
        finally:
            code = child.stop()
        meter = None
        if target == "bot":
            if not meter_file.exists():
                raise SystemExit(f"the bot wrote no {meter_file} at exit (code {code}); its log ends with:\n{child.tail()}")
            meter = json.loads(meter_file.read_text())
    finally:
        await client.close()
        stop_sandbox(sandbox_proc)
        if slapd is not None:
            slapd.stop()
    phase = Phase(target, label, results, cpu, sandbox_cpu, families_cpu, wall, calls, meter, argon2_op, log=child.log)
    phase.errors = [f"family {r.family}: {r.error}" for r in results if r.error]
    if phase.errors:
        progress(f"{label}: {len(phase.errors)} families did not finish, e.g. {phase.errors[0]} (log: {child.log})")
    return phase


# -- figures -------------------------------------------------------------------------------------------


def percentiles(values: Sequence[float]) -> tuple[float, float, float]:
    """p50, p95, p99 in ms (nan when there is nothing to measure)."""
    if not values:
        return math.nan, math.nan, math.nan
    if len(values) == 1:
        return values[0] * 1000, values[0] * 1000, values[0] * 1000
    q = statistics.quantiles(values, n=100, method="inclusive")
    return q[49] * 1000, q[94] * 1000, q[98] * 1000


def latencies(phase: Phase, hashing: bool) -> list[float]:
    return [r.latency for r in phase.records if (r.hashes > 0) == hashing]


def lag_p95(phase: Phase) -> float:
    """How late this process saw the screens after the sandbox showed them: high means the families' side is choking."""
    return percentiles([r.seen_at - r.shown_at for r in phase.records])[1]


def ms(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds * 1000:.1f}"


HEADER = """\
Assistant ENT benchmark: the bot as deployed (`entbot run`), the Bot API sandbox and the families in three processes.

What the figures are:
  CPU per activation  the bot process's CPU time (user + system, from /proc/<pid>/stat) while the families ran,
                      divided by the activations completed; "main thread" is /proc/<pid>/task/<pid>/stat, the
                      thread that runs the event loop (Argon2 and SQLite run in other threads)
  Argon2              operations the bot counted (ENTBOT_METER_FILE) × the CPU of one operation, measured in this
                      process in this run; "the rest" is everything else the bot did
  echo bot            bench/echo_bot.py: a bare python-telegram-bot bot with no storage (a text: one sendMessage
                      with a button; a press: answerCallbackQuery + editMessageText), fed the same number and mix of
                      updates by the same families; "+ Argon2": it also does the same Argon2 operations on the same steps
  capacity            cores ÷ CPU per activation: activations per second when the CPU is the only limit
  reply latency       from just before a family sends to the sandbox's time of the bot's last call in that chat
                      when the family saw the screen it expected; hashing steps: those where the bot runs Argon2
"""


def print_calibration(bot: Phase, echo: Phase, echo_argon2: Phase, burst: bool) -> float:
    """The CPU table and the ratios; returns the bot's CPU-bound capacity (activations/s)."""
    n = len(bot.results)
    print(f"\n== {'Burst' if burst else 'Calibration'}: {n} families at once, no think time (closed loop); "
          "the same updates to each process under test ==")
    phases = (bot, echo, echo_argon2)
    rows: list[tuple[str, list[str]]] = [
        ("activations completed", [f"{p.completed}/{len(p.results)}" for p in phases]),
        ("updates per activation", [f"{p.per_activation(p.updates):.1f}" for p in phases]),
        ("steps refused (busy) and sent again", [f"{p.refusals}" for p in phases]),
        ("Bot API calls per activation", [f"{p.per_activation(len(p.calls)):.1f}" for p in phases]),
        ("CPU per activation, ms", [ms(p.cpu_per_activation) for p in phases]),
        ("  main thread (event loop), ms", [ms(p.per_activation(p.cpu.main_thread)) for p in phases]),
        (f"  Argon2 ({bot.argon2_op * 1000:.1f} ms × operations), ms", [ms(p.argon2_per_activation) for p in phases]),
        ("  the rest, ms", [ms(p.cpu_per_activation - p.argon2_per_activation) for p in phases]),
        ("the rest per update, ms", [f"{p.rest_per_update * 1000:.2f}" for p in phases]),
        ("Argon2 operations per activation", [f"{p.per_activation(p.argon2_ops):.1f}" for p in phases]),
        ("wall time, s", [f"{p.wall:.1f}" for p in phases]),
        ("sandbox's CPU, % of one core", [f"{100 * p.sandbox_cpu / p.wall:.0f}" for p in phases]),
        ("families' CPU, % of one core", [f"{100 * p.families_cpu / p.wall:.0f}" for p in phases]),
    ]
    print(f"{'':44}" + "".join(f"{TARGET_NAMES[p.target]:>20}" for p in phases))
    for name, values in rows:
        print(f"{name:44}" + "".join(f"{v:>20}" for v in values))
    overhead = bot.rest_per_update / echo.rest_per_update
    capacity = CORES / bot.cpu_per_activation
    argon2_bound = CORES / bot.argon2_per_activation if bot.argon2_per_activation else math.nan
    ptb_bound = CORES / echo_argon2.cpu_per_activation
    print(f"\nthe bot's overhead over PTB (the rest per update, Assistant ENT ÷ echo bot): {overhead:.2f}   (target ≤ 1.3)")
    print(f"CPU-bound capacity on {CORES} cores (cores ÷ CPU per activation): {capacity:.2f} activations/s")
    print(f"  Argon2-only bound (cores ÷ Argon2 CPU per activation):        {argon2_bound:.2f}/s;"
          f" capacity ÷ bound = {capacity / argon2_bound:.2f}")
    print(f"  bare-PTB bound (cores ÷ echo bot + Argon2 CPU per activation): {ptb_bound:.2f}/s;"
          f" capacity ÷ bound = {capacity / ptb_bound:.2f}   (target ≥ 0.9)")
    for p in phases:
        for error in p.errors[:3]:
            print(f"  ! {TARGET_NAMES[p.target]}: {error}")
    return capacity


def print_steps(bot: Phase) -> None:
    """SQLite round trips and Bot API calls per step, from the bot's meter and the sandbox's call log."""
    sql = {int(k): int(v) for k, v in (bot.meter or {}).get("sql_by_update", {}).items()}
    api = calls_per_step(bot.results, bot.calls)
    order: list[tuple[str, int]] = []
    for record in bot.records:
        if (record.step, record.hashes) not in order:
            order.append((record.step, record.hashes))
    per_step: dict[str, list[int]] = {}
    for record in bot.records:
        per_step.setdefault(record.step, []).append(sql.get(record.update_id, 0))
    print("\nPer step (the same run): SQLite round trips (ENTBOT_METER_FILE, joined on update ids), Bot API calls on"
          " the family's chat until its next update, reply latency (all families at once: mostly queueing)")
    print(f"{'step':24}{'Argon2':>8}{'SQLite':>8}{'API calls':>11}{'p50 ms':>9}{'p95 ms':>9}")
    totals = [0.0, 0.0, 0.0]
    for step, hashes in order:
        mean_sql = statistics.fmean(per_step[step])
        mean_api = statistics.fmean(api.get(step, [0]))
        p50, p95, _ = percentiles([r.latency for r in bot.records if r.step == step])
        totals = [totals[0] + hashes, totals[1] + mean_sql, totals[2] + mean_api]
        print(f"{step:24}{hashes:>8}{mean_sql:>8.1f}{mean_api:>11.1f}{p50:>9.0f}{p95:>9.0f}")
    print(f"{'per activation':24}{totals[0]:>8.0f}{totals[1]:>8.1f}{totals[2]:>11.1f}")
    if bot.meter is not None:
        print(f"SQLite round trips outside updates (jobs, start): {bot.meter.get('sql_outside_updates', 0)};"
              f" updates the bot counted: {bot.meter.get('updates')} (the families sent {bot.updates})")
    methods = Counter(method for _, method, _ in bot.calls)
    print("Bot API calls per activation by method: "
          + ", ".join(f"{m} {bot.per_activation(c):.1f}" for m, c in methods.most_common()))


OPEN_HEADER = (f"{'rate/s':>7}{'of cap.':>8}{'families':>9}{'done':>6}{'bot CPU':>8}{'CPU/act ms':>11}{'main ms':>8}"
               f"{'non-hashing p50/p95/p99 ms':>28}{'hashing p50/p95/p99 ms':>25}{'API/act':>8}{'lag p95':>8}{'refused':>8}")


def open_row(phase: Phase, capacity: float) -> str:
    rate = phase.rate or 0.0
    light, heavy = percentiles(latencies(phase, False)), percentiles(latencies(phase, True))
    fmt = "/".join
    return (f"{rate:>7.2f}{100 * rate / capacity:>7.0f}%{len(phase.results):>9}{phase.completed:>6}"
            f"{100 * phase.cpu.process / phase.wall:>7.0f}%"
            f"{ms(phase.cpu_per_activation):>11}{ms(phase.per_activation(phase.cpu.main_thread)):>8}"
            f"{fmt(f'{v:.0f}' for v in light):>28}{fmt(f'{v:.0f}' for v in heavy):>25}"
            f"{phase.per_activation(len(phase.calls)):>8.1f}{lag_p95(phase):>8.0f}{phase.refusals:>8}")


def crossing(phases: Sequence[Phase], capacity: float) -> str:
    """Where the p95 of non-hashing steps first goes over SLOW_MS, interpolated between the two rates around it."""
    below: tuple[float, float] | None = None
    for phase in sorted(phases, key=lambda p: p.rate or 0.0):
        rate, p95 = phase.rate or 0.0, percentiles(latencies(phase, False))[1]
        if p95 > SLOW_MS:
            if below is None:
                return f"the p95 of non-hashing steps is over {SLOW_MS} ms already at {rate:.2f}/s ({p95:.0f} ms)"
            r0, v0 = below
            at = r0 + (rate - r0) * (SLOW_MS - v0) / (p95 - v0)
            return (f"the p95 of non-hashing steps crosses {SLOW_MS} ms at about {at:.2f}/s ({100 * at / capacity:.0f} % of"
                    f" capacity), between {r0:.2f}/s ({v0:.0f} ms) and {rate:.2f}/s ({p95:.0f} ms)")
        below = (rate, p95)
    top = max((p.rate or 0.0) for p in phases)
    return (f"the p95 of non-hashing steps stays under {SLOW_MS} ms: not crossed up to {top:.2f}/s"
            f" ({100 * top / capacity:.0f} % of capacity)")


# -- the run ---------------------------------------------------------------------------------------------


def parse_think(raw: str) -> tuple[float, float]:
    low, _, high = raw.partition("-")
    think = (float(low), float(high or low))
    if think[0] < 0 or think[1] < think[0]:
        raise argparse.ArgumentTypeError(f"--think {raw}: expected MIN-MAX seconds, e.g. 1-3")
    return think


def parse_setting(raw: str) -> tuple[str, str]:
    name, sep, value = raw.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"--bot-env {raw}: expected NAME=VALUE")
    return name, value


def parse_floats(raw: str) -> list[float]:
    return [float(part) for part in raw.split(",") if part.strip()]


async def main(args: argparse.Namespace) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # a socket or two per family in each process
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    workdir = Path(tempfile.mkdtemp(prefix="entbot-bench-"))
    opts = Options(args.directory, args.letters, args.think, args.arrivals, args.duration, args.seed, args.step_timeout,
                   args.retry_after, workdir, dict(args.bot_env))
    print(HEADER)
    path = "letter (/start <token>)" if args.letters else "typed (identifier, provisional password)"
    settings = "".join(f"; {name}={value}" for name, value in args.bot_env)
    print(f"machine: {CORES} cores; accounts: {args.directory}; path: {path}{settings}")
    print(f"logs, databases and meter files: {workdir}")

    # Argon2's CPU per operation, timed before and after the calibration: the figures use the mean, and
    # the two say how noisy the machine was.
    threads = int(dict(args.bot_env).get("ARGON2_THREADS", CORES))  # as the bot's pool (storage/secrets.py)
    before = argon2_cpu_per_operation(args.argon2_samples, threads)
    n = args.parents if args.burst else args.calibrate
    at_once = [0.0] * n
    phases: list[Phase] = []
    for target in ("bot", "echo", "echo+argon2"):
        label = f"{'burst' if args.burst else 'calibration'}, {TARGET_NAMES[target]}"
        phases.append(await run_phase(opts, len(phases), target, label, at_once, (0.0, 0.0), before))
    after = argon2_cpu_per_operation(args.argon2_samples, threads)
    argon2_op = (before + after) / 2
    for phase in phases:
        phase.argon2_op = argon2_op
    print(f"Argon2 (m=19 MiB, t=2, p=1, the bot's parameters): {argon2_op * 1000:.1f} ms of CPU per operation"
          f" ({before * 1000:.1f} before the calibration, {after * 1000:.1f} after; {args.argon2_samples} operations each,"
          f" {threads} at a time in the benchmark's process, as the bot's pool runs them)")
    bot = phases[0]
    capacity = print_calibration(phases[0], phases[1], phases[2], args.burst)
    if not capacity > 0 or math.isinf(capacity):
        raise SystemExit("no activation completed in the calibration: nothing to measure the open loop against")
    print_steps(bot)
    if args.burst:
        light, heavy = percentiles(latencies(bot, False)), percentiles(latencies(bot, True))
        print(f"\nreply latency with {n} families at once: non-hashing steps p50/p95/p99 "
              f"{light[0]:.0f}/{light[1]:.0f}/{light[2]:.0f} ms, hashing steps {heavy[0]:.0f}/{heavy[1]:.0f}/{heavy[2]:.0f} ms")
        return

    rates = args.rate or [f * capacity for f in args.fractions]
    print(f"\n== Open loop: families arrive {args.arrivals} for {args.duration:.0f} s at each rate, think "
          f"{args.think[0]:g}–{args.think[1]:g} s between steps; a fresh bot, sandbox and database at each rate ==")
    print("(bot CPU: the bot process's CPU over the phase, in % of one core; lag p95: how late this process saw the"
          " screens after the sandbox showed them, high when the families' side, not the bot, is behind; refused: steps"
          " the bot refused as busy, sent again after --retry-after s, their answered attempt timed)")
    print(OPEN_HEADER)
    open_phases = []
    for rate in rates:
        arrivals = arrival_times(rate, args.duration, args.arrivals, random.Random(args.seed))
        phase = await run_phase(opts, len(phases), "bot", f"open loop at {rate:.2f}/s", arrivals, args.think, argon2_op)
        phase.rate = rate
        phases.append(phase)
        open_phases.append(phase)
        print(open_row(phase, capacity), flush=True)
        for error in phase.errors[:3]:
            print(f"  ! {error}")
    print(f"\n{crossing(open_phases, capacity)}")
    if args.echo_at > 0:
        # The overhead again at an everyday load: the echo bot under the same arrivals and think times as one
        # of the rates above, since a saturated burst batches updates and flatters per-update costs.
        same = min(open_phases, key=lambda p: abs((p.rate or 0.0) - args.echo_at * capacity))
        rate = same.rate or 0.0
        arrivals = arrival_times(rate, args.duration, args.arrivals, random.Random(args.seed))
        echo = await run_phase(opts, len(phases), "echo", f"open loop at {rate:.2f}/s, echo bot", arrivals, args.think,
                               argon2_op)
        phases.append(echo)
        print(f"open loop at {rate:.2f}/s ({100 * rate / capacity:.0f} % of capacity), the same arrivals fed to the echo bot:")
        print(f"  the rest per update: {same.rest_per_update * 1000:.2f} ms (Assistant ENT) ÷ {echo.rest_per_update * 1000:.2f}"
              f" ms (echo bot) = overhead over PTB {same.rest_per_update / echo.rest_per_update:.2f}   (target ≤ 1.3)")
        print(f"  main thread per update: {1000 * same.cpu.main_thread / same.updates:.2f} ms (Assistant ENT),"
              f" {1000 * echo.cpu.main_thread / echo.updates:.2f} ms (echo bot)")
        for error in echo.errors[:3]:
            print(f"  ! echo bot: {error}")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--burst", action="store_true", help="only the closed loop: --parents families at once, no think time")
    p.add_argument("--parents", type=int, default=200, help="families at once with --burst (default 200)")
    p.add_argument("--calibrate", type=int, default=60, metavar="N",
                   help="families at once in the calibration that measures CPU per activation (default 60)")
    p.add_argument("--rate", type=parse_floats, metavar="R[,R…]",
                   help="open-loop arrival rates, families per second (default: --fractions of the measured capacity)")
    p.add_argument("--fractions", type=parse_floats, default=[0.25, 0.5, 0.8, 1.0], metavar="F[,F…]",
                   help="open-loop rates as fractions of the measured capacity (default 0.25,0.5,0.8,1)")
    p.add_argument("--echo-at", type=float, default=0.5, metavar="F",
                   help="also feed the echo bot the open-loop arrivals of the rate nearest F × capacity, for the overhead"
                        " at that load (default 0.5; 0: skip)")
    p.add_argument("--arrivals", choices=("even", "poisson"), default="even")
    p.add_argument("--think", type=parse_think, default=(1.0, 3.0), metavar="MIN-MAX",
                   help="seconds a family thinks between steps, uniform (default 1-3)")
    p.add_argument("--duration", type=float, default=30.0, metavar="S", help="seconds of arrivals at each rate (default 30)")
    p.add_argument("--directory", choices=("sqlite", "ldap"), default="sqlite",
                   help="where the accounts live: the bot's SQLite, or a real slapd started for each phase")
    p.add_argument("--letters", action="store_true", help="families start from their letter's QR code")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--step-timeout", type=float, default=120.0, metavar="S",
                   help="a family gives up when a screen takes longer than this (default 120)")
    p.add_argument("--bot-env", type=parse_setting, action="append", default=[], metavar="NAME=VALUE",
                   help="a setting for `entbot run` (repeatable), e.g. --bot-env ARGON2_THREADS=1")
    p.add_argument("--retry-after", type=float, default=10.0, metavar="S",
                   help="a step the bot refuses as busy is sent again after this many seconds (default 10)")
    p.add_argument("--argon2-samples", type=int, default=40, help="Argon2 operations timed for the per-operation CPU")
    return p


if __name__ == "__main__":
    asyncio.run(main(parser().parse_args()))
