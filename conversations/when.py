"""Dates and times typed the French way ("25/12 8h30", "demain 7h30"), read strictly: a guess is never made."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

MONTHS = {"janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7, "aout": 8,
          "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12}
RELATIVE = {"aujourd'hui": 0, "aujourdhui": 0, "ce soir": 0, "ce matin": 0, "demain": 1, "apres-demain": 2,
            "apres demain": 2}
_TIME = r"(?P<h>\d{1,2})\s*(?:h|:)\s*(?P<m>\d{2})?"
_NUMERIC = r"(?P<d>\d{1,2})[/.-](?P<mo>\d{1,2})(?:[/.-](?P<y>\d{4}|\d{2}))?"
_WORDS = r"(?P<wd>\d{1,2})(?:er)?\s+(?P<month>[a-z]+)(?:\s+(?P<wy>\d{4}))?"


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("’", "'"))
    return re.sub(r"\s+", " ", "".join(c for c in decomposed if not unicodedata.combining(c))).strip()


def parse(text: str, now: datetime, zone: tzinfo) -> datetime | None:
    """The moment meant, in `zone`; None when it cannot be read without guessing."""
    plain = re.sub(r"^(le|pour le|pour)\s+", "", _plain(text))
    today = now.astimezone(zone).date()
    day: date | None = None
    rest = plain
    for word, offset in sorted(RELATIVE.items(), key=lambda kv: -len(kv[0])):
        if plain.startswith(word):
            day, rest = today + timedelta(days=offset), plain[len(word):]
            break
    if day is None:
        match = re.match(_NUMERIC, plain) or re.match(_WORDS, plain)
        if match is not None:
            groups = match.groupdict()
            try:
                if groups.get("d") is not None:
                    d, mo, y = int(groups["d"]), int(groups["mo"]), groups.get("y")
                else:
                    d, mo, y = int(groups["wd"]), MONTHS.get(groups["month"], 0), groups.get("wy")
                year = (2000 + int(y) if len(y) == 2 else int(y)) if y else today.year
                day = date(year, mo, d)
            except (ValueError, TypeError):
                return None
            if not (groups.get("y") or groups.get("wy")) and day < today:
                day = day.replace(year=today.year + 1)  # "05/01" typed in November: next January
            rest = plain[match.end():]
    rest = re.sub(r"^\s*(a|vers)?\s*", "", rest)
    match = re.fullmatch(_TIME, rest)
    if match is None:
        return None
    hour, minute = int(match.group("h")), int(match.group("m") or 0)
    if hour > 23 or minute > 59:
        return None
    return datetime.combine(day or today, time(hour, minute), tzinfo=zone)


def in_quiet_hours(moment: datetime, quiet: tuple[time, time] | None, zone: tzinfo = PARIS) -> bool:
    """Whether `moment` falls in the quiet hours (start-end, Paris time, possibly over midnight)."""
    if quiet is None:
        return False
    start, end = quiet
    now = moment.astimezone(zone).time()
    return start <= now < end if start < end else (now >= start or now < end)


def quiet_end(moment: datetime, quiet: tuple[time, time], zone: tzinfo = PARIS) -> datetime:
    """When the quiet hours that `moment` is in come to an end."""
    local = moment.astimezone(zone)
    end = local.replace(hour=quiet[1].hour, minute=quiet[1].minute, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end
