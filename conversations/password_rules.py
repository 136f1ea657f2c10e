"""The guide's password rule, plus: not the identifier, not a common password."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

MIN_LENGTH = 8
MAX_LENGTH = 128


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


def missing(password: str, identifier: str) -> list[str]:
    """What the password lacks, each as the end of the sentence 'Il faut …' in texts."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append("length")
    if len(password) > MAX_LENGTH:
        problems.append("too_long")
    if not re.search(r"[a-zà-ÿ]", password):
        problems.append("lower")
    if not re.search(r"[A-ZÀ-Þ]", password):
        problems.append("upper")
    if not re.search(r"\d", password):
        problems.append("digit")
    if not re.search(r"[^\w\s]|_", password):
        problems.append("special")
    if identifier and identifier.strip().casefold() in password.casefold():
        problems.append("identifier")
    if not problems and is_common(password):
        problems.append("common")
    return problems
