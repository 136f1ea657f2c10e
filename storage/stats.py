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
