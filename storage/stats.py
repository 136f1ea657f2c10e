"""Figures for the school: accounts by state, activations in progress by step, locks, the last days."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta, tzinfo

from storage.db import Database, from_text, to_text
from storage.outbox import FailedMail

# The audit events counted day by day.
DAILY_EVENTS = ("activated", "password_changed", "locked", "reset")


def _of_school(uai: str | None, column: str) -> str:
    """The condition that `column` (an account id) is one of the school's accounts; none without a school (one
    school: every account is its)."""
    return "" if uai is None else f" AND {column} IN (SELECT account_id FROM account_schools WHERE uai = :uai)"


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

    async def chart(self, zone: tzinfo, step_numbers: dict[str, int], days: int = 28,
                    uai: str | None = None) -> ChartFigures:
        return await chart_figures(self.db, zone, step_numbers, days, uai)

    async def summary(self, zone: tzinfo, days: int = 7, uai: str | None = None, contact: str | None = None) -> Summary:
        """The figures of the whole deployment, or of one school (`uai`, whose address is `contact`): its accounts,
        the families midway on them, their events; the mails given up that were to the school or to its families.
        A family not yet at the identifier's step is no school's yet: counted only without `uai`."""
        now = self.db.clock.now()
        today = now.astimezone(zone).date()
        first = today - timedelta(days=days - 1)
        p = {"now": to_text(now), "since": to_text(now - timedelta(days=days + 1)), "uai": uai, "contact": contact}
        events_in = ", ".join(f"'{e}'" for e in DAILY_EVENTS)
        mails_of = "" if uai is None else (
            " AND (recipient = :contact OR telegram_user_id IN (SELECT telegram_user_id FROM accounts"
            " WHERE telegram_user_id IS NOT NULL" + _of_school(uai, "id") + ") OR telegram_user_id IN (SELECT"
            " telegram_user_id FROM activation_progress WHERE account_id IS NOT NULL" + _of_school(uai, "account_id")
            + "))")
        async with self.db.read() as conn:
            # A row the LDAP directory made for a login typed at step 2 (no provisional: never imported, never
            # proven) is not one of the school's accounts: a stranger typing logins must not swell the figures.
            states = await conn.execute_fetchall(
                "SELECT state, COUNT(*) FROM accounts WHERE (provisional_hash IS NOT NULL OR state != 'pending')"
                + _of_school(uai, "id") + " GROUP BY state", p)
            steps = await conn.execute_fetchall(
                "SELECT step, COUNT(*) FROM activation_progress WHERE 1 = 1" + _of_school(uai, "account_id")
                + " GROUP BY step", p)
            locked = await conn.execute_fetchall(
                "SELECT COUNT(*) FROM attempts WHERE scope = 'account' AND locked_until > :now"
                + ("" if uai is None else " AND key IN (SELECT identifier_key FROM accounts WHERE 1 = 1"
                   + _of_school(uai, "id") + ")"), p)
            events = await conn.execute_fetchall(
                f"SELECT at, event FROM audit WHERE at >= :since AND event IN ({events_in})"
                + _of_school(uai, "account_id"), p)
            failed = await conn.execute_fetchall(
                "SELECT id, kind, created_at, attempts, last_error, COUNT(*) OVER () FROM outbox"
                " WHERE state = 'failed'" + mails_of + " ORDER BY id DESC LIMIT 5", p)
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


async def chart_figures(db: Database, zone: tzinfo, step_numbers: dict[str, int], days: int = 28,
                        uai: str | None = None) -> ChartFigures:
    """Families per step (where they get stuck), activations per day over `days` days, open tickets; of one
    school's accounts and tickets with `uai`."""
    now = db.clock.now()
    first = now.astimezone(zone).date() - timedelta(days=days - 1)
    p = {"since": to_text(now - timedelta(days=days + 1)), "uai": uai}
    async with db.read() as conn:
        steps = await conn.execute_fetchall(
            "SELECT step, COUNT(*) FROM activation_progress WHERE 1 = 1" + _of_school(uai, "account_id") + " GROUP BY step", p)
        activated = await conn.execute_fetchall(
            "SELECT at FROM audit WHERE event = 'activated' AND at >= :since" + _of_school(uai, "account_id"), p)
        tickets = await conn.execute_fetchall(
            "SELECT COUNT(*), COUNT(taken_by) FROM tickets WHERE state = 'open'"
            + ("" if uai is None else " AND uai = :uai"), p)
        states = await conn.execute_fetchall(
            "SELECT state, COUNT(*) FROM accounts WHERE 1 = 1" + _of_school(uai, "id") + " GROUP BY state", p)
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
