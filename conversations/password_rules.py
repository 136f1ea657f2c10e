"""The ENT's password rule, from settings: a length, kinds of characters, and not the identifier nor a common word."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

MAX_LENGTH = 128
# The four kinds the ENT's account service counts, in the order the step names them.
KINDS = {"lower": r"[a-zà-ÿ]", "upper": r"[A-ZÀ-Þ]", "digit": r"\d", "other": r"[^\w\s]|_"}


@dataclass(frozen=True)
class PasswordRule:
    """PASSWORD_MIN_LENGTH and PASSWORD_MIN_KINDS: 8 and 3 of 4, the CNIL's advice for a password with a lock."""

    min_length: int = 8
    min_kinds: int = 3


@cache
def _common_words() -> frozenset[str]:
    text = (resources.files("conversations") / "resources" / "common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().casefold() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _letters_only(password: str) -> str:
    return re.sub(r"[^a-zà-ÿ]", "", password.casefold())


def is_common(password: str) -> bool:
    """'Azerty123!' or 'Soleil2024*' are common words dressed up: refused."""
    core = _letters_only(password)
    common = _common_words()
    return password.casefold() in common or core in common or (len(core) <= 3 and len(set(password)) <= 4)


def kinds(password: str) -> int:
    """How many of the four kinds of characters the password mixes."""
    return sum(1 for pattern in KINDS.values() if re.search(pattern, password))


DEFAULT_RULE = PasswordRule()


def missing(password: str, identifier: str, rule: PasswordRule = DEFAULT_RULE) -> list[str]:
    """What the password lacks, each a line of the checklist in texts (`PASSWORD_PROBLEMS`)."""
    problems: list[str] = []
    if len(password) < rule.min_length:
        problems.append("length")
    if len(password) > MAX_LENGTH:
        problems.append("too_long")
    if kinds(password) < rule.min_kinds:
        problems.append("kinds")
    if identifier and identifier.strip().casefold() in password.casefold():
        problems.append("identifier")
    if not problems and is_common(password):
        problems.append("common")
    return problems
