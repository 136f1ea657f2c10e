"""The secure form's settings: WEB_LISTEN (where its server listens) and WEBAPP_URL (its public HTTPS address)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_LISTEN = ("127.0.0.1", 8090)  # behind the school's reverse proxy, which terminates HTTPS
LOOPBACK_NAMES = {"localhost"}


class FormSettingsError(ValueError):
    """One line for the IT referent, naming the setting (bot/settings.py turns it into a SettingsError)."""


@dataclass(frozen=True)
class FormSettings:
    host: str
    port: int
    public_url: str  # no trailing slash: the page is {public_url}/form


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def public_url(raw: str) -> str:
    """WEBAPP_URL checked: HTTPS (Telegram opens only that), or plain HTTP on this machine's loopback for tests."""
    value = raw.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
        raise FormSettingsError(f"WEBAPP_URL={raw!r} invalide : attendu l'adresse publique du formulaire, "
                                "par ex. https://ent-bot.college.fr (sans ? ni #).")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise FormSettingsError(f"WEBAPP_URL={raw!r} refusée : le formulaire transporte des mots de passe, son "
                                "adresse doit être en https:// (http:// seulement sur 127.0.0.1, pour les essais).")
    return value


def listen(raw: str) -> tuple[str, int]:
    host, sep, port = raw.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise FormSettingsError(f"WEB_LISTEN={raw!r} invalide : attendu hôte:port, par ex. 127.0.0.1:8090.")
    return host.strip("[]"), int(port)


def load(get: Callable[[str], str | None]) -> FormSettings | None:
    """None without WEBAPP_URL: the form is off and every secret is typed in the chat, as before."""
    raw_url = get("WEBAPP_URL")
    raw_listen = get("WEB_LISTEN")
    if raw_url is None:
        if raw_listen is not None and get("WEBHOOK_URL") is None:  # the webhook's server listens there too
            raise FormSettingsError("WEB_LISTEN est donné sans WEBAPP_URL : donnez aussi l'adresse publique du "
                                    "formulaire (WEBAPP_URL=https://…) ou du webhook (WEBHOOK_URL), ou retirez "
                                    "WEB_LISTEN.")
        return None
    host, port = listen(raw_listen) if raw_listen is not None else DEFAULT_LISTEN
    return FormSettings(host, port, public_url(raw_url))
