"""Webhook mode's settings: WEBHOOK_URL (Telegram's way to the bot) and WEBHOOK_SECRET (what proves it is Telegram)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.form_settings import DEFAULT_LISTEN, is_loopback, listen

# Telegram's own rule for secret_token (1-256 of these); below 32 characters a secret could be guessed by trying.
SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
MIN_SECRET = 32
# The only ports Telegram delivers webhooks to (Bot API, setWebhook).
TELEGRAM_PORTS = {443, 80, 88, 8443}
GENERATE = "par ex. : openssl rand -hex 32"


class WebhookSettingsError(ValueError):
    """One French line for the IT referent, naming the setting (bot/settings.py turns it into a SettingsError)."""


@dataclass(frozen=True)
class WebhookSettings:
    url: str  # what setWebhook is given; the bot serves its path
    secret: str = field(repr=False)  # X-Telegram-Bot-Api-Secret-Token: never printed, never logged
    host: str = DEFAULT_LISTEN[0]  # WEB_LISTEN, shared with the secure form: one server
    port: int = DEFAULT_LISTEN[1]

    @property
    def path(self) -> str:
        """The route the bot's web server answers Telegram on: WEBHOOK_URL's path (the proxy passes it on unchanged)."""
        return urlsplit(self.url).path or "/"


def webhook_url(raw: str) -> str:
    """WEBHOOK_URL checked: HTTPS on one of Telegram's ports, or plain HTTP on this machine's loopback for tests."""
    value = raw.strip()
    parts = urlsplit(value)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.fragment or parts.username \
            or parts.password or port == -1:
        raise WebhookSettingsError(f"WEBHOOK_URL={raw!r} invalide : attendu l'adresse publique où Telegram envoie les "
                                   "messages, par ex. https://ent-bot.college.fr/telegram.")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise WebhookSettingsError(f"WEBHOOK_URL={raw!r} refusée : Telegram n'envoie les messages qu'en https:// "
                                   "(http:// seulement sur 127.0.0.1, pour les essais).")
    if parts.scheme == "https" and port is not None and port not in TELEGRAM_PORTS:
        raise WebhookSettingsError(f"WEBHOOK_URL={raw!r} refusée : Telegram n'envoie qu'aux ports 443, 80, 88 ou 8443.")
    if (parts.path or "/").startswith("/form"):
        raise WebhookSettingsError(f"WEBHOOK_URL={raw!r} refusée : le chemin /form est celui du formulaire sécurisé ; "
                                   "choisissez-en un autre, par ex. /telegram.")
    return value


def secret(raw: str | None) -> str:
    if raw is None:
        raise WebhookSettingsError(f"WEBHOOK_SECRET manquant : WEBHOOK_URL est donné, il faut aussi le secret que "
                                   f"Telegram joint à chaque envoi ({MIN_SECRET} à 256 lettres, chiffres, _ ou -, "
                                   f"{GENERATE}).")
    value = raw.strip()
    if not SECRET_RE.fullmatch(value) or len(value) < MIN_SECRET:
        # The value itself is not repeated: it is a secret, and this line may end up in a log.
        raise WebhookSettingsError(f"WEBHOOK_SECRET invalide : attendu {MIN_SECRET} à 256 caractères parmi A-Z a-z "
                                   f"0-9 _ - ({GENERATE}).")
    return value


def load(get: Callable[[str], str | None]) -> WebhookSettings | None:
    """None without WEBHOOK_URL: long polling only; given, both settings are checked whatever the command."""
    raw_url = get("WEBHOOK_URL")
    if raw_url is None:
        if get("WEBHOOK_SECRET") is not None:
            raise WebhookSettingsError("WEBHOOK_SECRET est donné sans WEBHOOK_URL : donnez aussi l'adresse publique "
                                       "du webhook (WEBHOOK_URL=https://…), ou retirez WEBHOOK_SECRET.")
        return None
    url = webhook_url(raw_url)
    raw_listen = get("WEB_LISTEN")
    host, port = listen(raw_listen) if raw_listen is not None else DEFAULT_LISTEN
    return WebhookSettings(url, secret(get("WEBHOOK_SECRET")), host, port)


# -- `entbot doctor`'s line (bot/doctor.py check_webhook) ------------------------------------------------

DOCTOR_WEBHOOK = "Webhook"


def doctor_webhook_ok(url: str, pending: int) -> str:
    return f"Telegram envoie les messages à {url} ({pending} en attente)."


def doctor_webhook_other(url: str, current: str | None) -> str:
    now = f"il envoie aujourd'hui à {current}" if current else "aucun webhook n'est enregistré"
    return (f"Telegram n'a pas encore l'adresse {url} ({now}) : « entbot run --webhook » la lui donne au "
            "démarrage ; sans --webhook, le bot va chercher ses messages lui-même.")


def doctor_webhook_failing(settings: WebhookSettings, pending: int, when: str, error: str) -> str:
    return (f"Telegram n'arrive pas à livrer {settings.url} : {pending} message(s) en attente, dernière erreur "
            f"le {when} ({error}). Le bot tourne-t-il avec --webhook ? Le proxy transmet-il {settings.path} vers "
            f"WEB_LISTEN ({settings.host}:{settings.port}) ?")
