"""The French dates a secretary types to schedule a notice: read exactly, or refused, never guessed."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from conversations.when import PARIS, in_quiet_hours, parse, quiet_end

NOW = datetime(2026, 11, 28, 19, 10, tzinfo=PARIS)


@pytest.mark.parametrize("typed,expected", [
    ("25/12 8h30", datetime(2026, 12, 25, 8, 30)),
    ("25/12 08:00", datetime(2026, 12, 25, 8, 0)),
    ("25/12/2026 8h30", datetime(2026, 12, 25, 8, 30)),
    ("25/12/26 8:30", datetime(2026, 12, 25, 8, 30)),
    ("le 2 décembre à 8h", datetime(2026, 12, 2, 8, 0)),
    ("1er janvier 2027 10h00", datetime(2027, 1, 1, 10, 0)),
    ("Demain à 7h30", datetime(2026, 11, 29, 7, 30)),
    ("après-demain 9h", datetime(2026, 11, 30, 9, 0)),
    ("aujourd'hui 21h", datetime(2026, 11, 28, 21, 0)),
    ("05/01 9h", datetime(2027, 1, 5, 9, 0)),  # January typed in November: the coming one
])
def test_french_forms_are_read(typed: str, expected: datetime) -> None:
    assert parse(typed, NOW, PARIS) == expected.replace(tzinfo=PARIS)


@pytest.mark.parametrize("typed", ["jeudi prochain vers midi", "30/02 8h", "25/12", "25/12 25h", "demain",
                                   "25/12 8h61", "lundi 8h", "n'importe quoi", ""])
def test_what_cannot_be_read_without_guessing_is_refused(typed: str) -> None:
    assert parse(typed, NOW, PARIS) is None


def test_quiet_hours_over_midnight() -> None:
    quiet = (time(20, 0), time(7, 0))
    assert in_quiet_hours(NOW.replace(hour=20, minute=0), quiet) and in_quiet_hours(NOW.replace(hour=6, minute=59), quiet)
    assert not in_quiet_hours(NOW.replace(hour=7, minute=0), quiet) and not in_quiet_hours(NOW.replace(hour=19), quiet)
    assert quiet_end(NOW.replace(hour=22), quiet) == datetime(2026, 11, 29, 7, 0, tzinfo=PARIS)
    assert not in_quiet_hours(NOW, None)
