"""The school's own texts: the terms of use (the guide's excerpt, or the school's file) and the ENT's services list."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

CGU_MAX = 3000  # the step's message must fit Telegram's 4096 characters with its introduction


class DocumentError(ValueError):
    """A school's file that cannot be used; the message is one line in French."""


@dataclass(frozen=True)
class Cgu:
    version: str  # recorded with each activation
    text: str | None  # the school's own file, shown after the guide's excerpt; None: the excerpt alone


@dataclass(frozen=True)
class Service:
    name: str
    line: str = ""
    link: str | None = None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def guide_cgu(excerpt: str) -> Cgu:
    """Without CGU_FILE: the guide's excerpt (shown by the activation's step), its version a hash of its text."""
    return Cgu(version=f"guide-{_digest(excerpt)}", text=None)


def cgu_from_file(path: Path) -> Cgu:
    """CGU_FILE: its first line `version: …` if it has one, else a hash of its text."""
    try:
        raw = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        raise DocumentError(f"CGU_FILE={str(path)!r} illisible : attendu un fichier texte UTF-8.") from None
    first, _, rest = raw.partition("\n")
    version, body = (first.removeprefix("version:").strip(), rest.strip()) if first.startswith("version:") else (None, raw)
    if not body:
        raise DocumentError(f"CGU_FILE={str(path)!r} vide : attendu le texte des conditions d'utilisation.")
    if len(body) > CGU_MAX:
        raise DocumentError(f"CGU_FILE={str(path)!r} trop long ({len(body)} caractères, {CGU_MAX} au plus) : "
                            "mettez le texte complet en ligne et donnez son adresse dans CGU_URL.")
    return Cgu(version=version or _digest(body), text=body)


def parse_services(raw: str, where: str) -> tuple[Service, ...]:
    """One service a line, `name | one line | link`, the last two optional; `#` starts a comment line."""
    services = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) > 3 or not parts[0]:
            raise DocumentError(f"{where}, ligne {number} : attendu « nom | une ligne | lien ».")
        link = parts[2] if len(parts) == 3 and parts[2] else None
        if link is not None and not re.fullmatch(r"https?://[^\s\"<>]+", link):
            raise DocumentError(f"{where}, ligne {number} : lien invalide, attendu une adresse http:// ou https://.")
        services.append(Service(parts[0], parts[1] if len(parts) > 1 else "", link))
    if not services:
        raise DocumentError(f"{where} : aucun service.")
    return tuple(services)


def shipped_services() -> tuple[Service, ...]:
    raw = (resources.files("render") / "resources" / "services.txt").read_text(encoding="utf-8")
    return parse_services(raw, "services.txt")


def services_from_file(path: Path) -> tuple[Service, ...]:
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise DocumentError(f"SERVICES_FILE={str(path)!r} illisible : attendu un fichier texte UTF-8.") from None
    return parse_services(raw, f"SERVICES_FILE={str(path)!r}")
