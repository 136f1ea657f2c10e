"""The families' languages: those shipped, the one of the update at hand, and the catalogs that translate French."""

from __future__ import annotations

import gettext
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

from babel.support import Translations

SOURCE = "fr"  # every text is written in French; the catalogs translate it
SHIPPED: tuple[str, ...] = ("fr", "en", "ar", "uk", "tr", "pt")
# Each language in its own name and script: what a parent who reads no French recognises.
NAMES = {"fr": "Français", "en": "English", "ar": "العربية", "uk": "Українська", "tr": "Türkçe", "pt": "Português"}
# For the staff, who read French: « écrit en ukrainien ».
IN_FRENCH = {"fr": "français", "en": "anglais", "ar": "arabe", "uk": "ukrainien", "tr": "turc", "pt": "portugais"}
RIGHT_TO_LEFT = frozenset({"ar"})
# One catalog per flow (i18n/locales/<language>/LC_MESSAGES/<domain>.po); the Makefile compiles each to .mo.
DOMAINS: tuple[str, ...] = ("common", "language", "menu", "activation", "recovery", "helpdesk", "notices", "letters", "privacy",
                            "directory", "school_actions", "form", "document")

# The ENT's own French words (its buttons, links, screens): a translation keeps each verbatim, in « », beside its own
# words, so that the parent finds them on the ENT's French pages (tests/test_i18n_catalogs.py checks it).
ENT_WORDS: tuple[str, ...] = ("Se connecter", "Élève ou parent", "CONNEXION", "Bienvenue dans votre ENT !", "Autre public",
                              "Personnel de l'éducation nationale", "ÉduConnect", "Assistance", "canal annonces",
                              "Mot de passe oublié ?")

LOCALES = Path(str(resources.files("i18n") / "locales"))

_current: ContextVar[str] = ContextVar("language", default=SOURCE)


class MissingCatalog(Exception):
    """A language is offered whose compiled catalog is not there (`make` compiles them)."""


def current() -> str:
    """The language of the family the update at hand is about (French outside any)."""
    return _current.get()


def set_current(language: str) -> None:
    """For the rest of this update's task (each update runs in its own task, with its own copy of the context)."""
    _current.set(language)


@contextmanager
def using(language: str) -> Iterator[None]:
    """Texts in `language` inside the block: a message sent to a family outside its own update (a notice, a reply)."""
    token = _current.set(language)
    try:
        yield
    finally:
        _current.reset(token)


def from_telegram(code: str | None, offered: tuple[str, ...]) -> str | None:
    """Telegram's `language_code` ("pt-br", "uk", "ar") as one of the offered languages, or None."""
    if not code:
        return None
    base = code.replace("_", "-").split("-", 1)[0].lower()
    return base if base in offered else None


def N_(message: str) -> str:
    """Marks a French text for the catalogs without translating it: it is translated where it is read."""
    return message


@cache
def translations(domain: str, language: str) -> gettext.NullTranslations:
    """The compiled catalog of one flow in one language."""
    if language == SOURCE:
        return gettext.NullTranslations()
    found = LOCALES / language / "LC_MESSAGES" / f"{domain}.mo"
    if not found.is_file():
        raise MissingCatalog(f"catalogue {domain} ({language}) non compilé : {found} manque (lancez make catalogs)")
    with found.open("rb") as fp:
        return Translations(fp, domain=domain)


def check_catalogs(languages: tuple[str, ...]) -> None:
    """Every flow's catalog of every offered language is compiled: said at start, not at a family's first message."""
    for language in languages:
        for domain in DOMAINS:
            translations(domain, language)


class Catalog:
    """One flow's texts: French in the code, the family's language at the moment they are read."""

    def __init__(self, domain: str) -> None:
        if domain not in DOMAINS:
            raise ValueError(f"unknown domain {domain}")
        self.domain = domain

    def gettext(self, message: str) -> str:
        language = _current.get()
        if language == SOURCE:
            return message
        return _shown(language, translations(self.domain, language).gettext(message))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        language = _current.get()
        if language == SOURCE:
            return singular if n <= 1 else plural  # French: 0 and 1 are singular
        return _shown(language, translations(self.domain, language).ngettext(singular, plural, n))

    def pgettext(self, context: str, message: str) -> str:
        language = _current.get()
        if language == SOURCE:
            return message
        return _shown(language, translations(self.domain, language).pgettext(context, message))


def _shown(language: str, text: str) -> str:
    """A translation as the family's chat shows it: right to left, its Latin fragments and values set apart."""
    return isolate(text) if language in RIGHT_TO_LEFT else text


# -- right to left: what is Latin in an Arabic text is set apart so that it keeps its own order -----------------
FSI, PDI = "\u2068", "\u2069"  # first strong isolate: the fragment takes the direction of its own first letter
_MARKUP = re.compile(r"(<[^>]*>|&#?\w+;|\{[^{}]*\}|\u2068.*?\u2069)", re.DOTALL)
_LATIN = "A-Za-z0-9\u00c0-\u024f"
_WORD = rf"(?:[/@#](?=[{_LATIN}]))?[{_LATIN}](?:[{_LATIN}@._:/\-+#?=&%'’*]*[{_LATIN}/])?"
_SPACE = "[ \u00a0\u202f]"
_RUN = re.compile(rf"{_WORD}(?:{_SPACE}+{_WORD})*(?:{_SPACE}?[?!](?![{_LATIN}]))?")


@lru_cache(maxsize=4096)
def isolate(text: str) -> str:
    """Each run of Latin script (an ENT label in French, a URL, an address, a code) and each placeholder between
    FSI and PDI, so that a right-to-left line shows it whole and in its order; tags and entities are left as they are.
    """
    parts = []
    for piece in _MARKUP.split(text):
        if not piece:
            continue
        if piece.startswith("{") and piece.endswith("}"):
            parts.append(f"{FSI}{piece}{PDI}")
        elif piece.startswith(("<", "&", FSI)):
            parts.append(piece)
        else:
            parts.append(_RUN.sub(lambda m: f"{FSI}{m.group(0)}{PDI}", piece))
    return "".join(parts)


# The characters that set or end a direction: in a value someone typed (a Telegram name), one left open would reorder
# the rest of the line another person reads (a staff member's header, a Telegram id shown backwards).
BIDI_CONTROLS = frozenset("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def without_bidi_controls(value: str) -> str:
    return "".join(c for c in value if c not in BIDI_CONTROLS)


def isolated(value: str) -> str:
    """A typed value in someone else's line, its own direction controls removed and, when it holds right-to-left
    letters (an Arabic name in a French line), set apart: it cannot reorder the line around it."""
    kept = without_bidi_controls(value)
    if any(unicodedata.bidirectional(c) in ("R", "AL") for c in kept):
        return f"{FSI}{kept}{PDI}"
    return kept


def latin_outside_isolates(text: str) -> list[str]:
    """The Latin letters of a text that no isolate holds (tags and entities aside): what would break the order."""
    bare = re.sub(r"[\u2066\u2067\u2068][^\u2069]*\u2069", "", text)
    bare = re.sub(r"<[^>]*>|&#?\w+;", "", bare)
    return re.findall(r"[A-Za-z\u00c0-\u024f]+", bare)
