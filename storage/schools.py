"""Schools as the storage knows them: a UAI's check letter, and the UAI a database made before many schools stands for."""

from __future__ import annotations

import re

# The Education nationale's UAI: seven digits and a check letter, the letter at position (number mod 23) of
# this alphabet (no I, O, Q: letters read as digits).
UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
UAI_RE = re.compile(r"^([0-9]{7})([A-Z])$")
DEFAULT_UAI = "0371122U"  # SCHOOL_UAI's default: the school of a single-school install
# What a row written before many schools holds in its `uai` (migration 0014): the deployment's own school,
# named at start (Store.open's `legacy_uai`).
LEGACY = ""


def check_letter(number: str) -> str:
    """The check letter of a UAI's seven digits."""
    return UAI_LETTERS[int(number) % 23]


def valid_uai(text: str) -> bool:
    """Whether `text` is a UAI with its right check letter: 0371122U is one, 0371122X is not."""
    match = UAI_RE.match(text)
    return match is not None and check_letter(match.group(1)) == match.group(2)


def normal_uai(text: str) -> str:
    """A UAI as typed (spaces, lower case) in the form it is compared in."""
    return text.strip().upper()


def uai_problem(raw: str) -> str | None:
    """Why `raw` is not a UAI, in French, or None when it is one."""
    uai = normal_uai(raw)
    if len(uai) != 8 or not uai[:7].isdigit() or uai[7] not in UAI_LETTERS:
        return f"« {raw} » n'est pas un UAI (attendu 7 chiffres et une lettre, par ex. 0371122U)"
    if not valid_uai(uai):
        return f"« {raw} » n'est pas un UAI valide : sa lettre de contrôle serait {check_letter(uai[:7])}"
    return None
