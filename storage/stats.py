"""Figures for the school: accounts by state, activations in progress by step, locks, the last days."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta, tzinfo

from storage.db import Database, from_text, to_text
from storage.outbox import FailedMail

# The audit events counted day by day.
DAILY_EVENTS = ("activated", "password_changed", "locked", "reset")


@dataclass(frozen=True)
class Summary:
    by_state: dict[str, int]
    in_progress: dict[str, int]  # activation step -> Telegram users at it
    locked_accounts: int
    days: list[tuple[date, dict[str, int]]] = field(default_factory=list)  # oldest first
    failed_mails: list[FailedMail] = field(default_factory=list)  # given up for good, newest first

    @property
    def imported(self) -> int:
        return sum(self.by_state.values())


class Stats:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def chart(self, zone: tzinfo, step_numbers: dict[str, int], days: int = 28) -> ChartFigures:
        return await chart_figures(self.db, zone, step_numbers, days)

    async def summary(self, zone: tzinfo, days: int = 7) -> Summary:
        now = self.db.clock.now()
        today = now.astimezone(zone).date()
        first = today - timedelta(days=days - 1)
        since = to_text(now - timedelta(days=days + 1))
        async with self.db.read() as conn:
            # A row the LDAP directory made for a login typed at step 2 (no provisional: never imported, never
            # proven) is not one of the school's accounts: a stranger typing logins must not swell the figures.
            states = await conn.execute_fetchall(
                "SELECT state, COUNT(*) FROM accounts WHERE provisional_hash IS NOT NULL OR state != 'pending'"
                " GROUP BY state")
            steps = await conn.execute_fetchall("SELECT step, COUNT(*) FROM activation_progress GROUP BY step")
            locked = await conn.execute_fetchall(
                "SELECT COUNT(*) FROM attempts WHERE scope = 'account' AND locked_until > ?", (to_text(now),))
            events = await conn.execute_fetchall(
                f"SELECT at, event FROM audit WHERE at >= ? AND event IN ({','.join('?' * len(DAILY_EVENTS))})",
                (since, *DAILY_EVENTS))
            failed = await conn.execute_fetchall(
                "SELECT id, kind, created_at, attempts, last_error, COUNT(*) OVER () FROM outbox"
                " WHERE state = 'failed' ORDER BY id DESC LIMIT 5")
        counts: Counter[tuple[date, str]] = Counter()
        for at, event in events:
            counts[(from_text(at).astimezone(zone).date(), event)] += 1
        daily = [(day, {e: counts[(day, e)] for e in DAILY_EVENTS})
                 for day in (first + timedelta(days=i) for i in range(days))]
        return Summary(by_state={"pending": 0, "active": 0, "reset": 0, **{r[0]: r[1] for r in states}},
                       in_progress={r[0]: r[1] for r in steps}, locked_accounts=int(list(locked)[0][0]), days=daily,
                       failed_mails=[FailedMail(*r) for r in failed])


@dataclass(frozen=True)
class ChartFigures:
    """The data behind the /stats chart, as plain values a test can compare with the database."""

    steps: dict[int, int]  # activation step number (1-6) -> Telegram users at it now
    daily_activations: list[tuple[date, int]]  # oldest first, one entry per day
    open_tickets: int
    taken_tickets: int  # of the open ones, those a staff member took
    active: int
    imported: int


async def chart_figures(db: Database, zone: tzinfo, step_numbers: dict[str, int], days: int = 28) -> ChartFigures:
    """Families per step (where they get stuck), activations per day over `days` days, open tickets."""
    now = db.clock.now()
    first = now.astimezone(zone).date() - timedelta(days=days - 1)
    async with db.read() as conn:
        steps = await conn.execute_fetchall("SELECT step, COUNT(*) FROM activation_progress GROUP BY step")
        activated = await conn.execute_fetchall("SELECT at FROM audit WHERE event = 'activated' AND at >= ?",
                                                (to_text(now - timedelta(days=days + 1)),))
        tickets = await conn.execute_fetchall(
            "SELECT COUNT(*), COUNT(taken_by) FROM tickets WHERE state = 'open'")
        states = await conn.execute_fetchall("SELECT state, COUNT(*) FROM accounts GROUP BY state")
    by_step: Counter[int] = Counter()
    for step, count in steps:
        by_step[step_numbers[step]] += count
    per_day: Counter[date] = Counter(from_text(at).astimezone(zone).date() for (at,) in activated)
    open_count, taken = list(tickets)[0]
    by_state = {r[0]: r[1] for r in states}
    return ChartFigures(steps={n: by_step[n] for n in range(1, 7)},
                        daily_activations=[(d, per_day[d]) for d in (first + timedelta(days=i) for i in range(days))],
                        open_tickets=int(open_count), taken_tickets=int(taken), active=by_state.get("active", 0),
                        imported=sum(by_state.values()))
