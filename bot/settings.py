"""Settings read once at start from the environment and `.env`, typed and validated."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import time
from pathlib import Path

from dotenv import dotenv_values
from email_validator import EmailNotValidError, validate_email

from bot import form_settings, webhook_settings
from bot import schools as schools_file
from bot.form_settings import FormSettings, FormSettingsError
from bot.webhook_settings import WebhookSettings, WebhookSettingsError
from conversations import texts
from conversations.common import School, Schools, StaffConfig
from i18n import SHIPPED, SOURCE
from render.documents import (
    Cgu,
    DocumentError,
    Service,
    cgu_from_file,
    guide_cgu,
    services_from_file,
    shipped_services,
)
from storage.ldap_directory import LdapConfig
from storage.privacy import Retention
from storage.schools import DEFAULT_UAI, normal_uai, uai_problem
from storage.secrets import DEFAULT_MAX_WAITING, default_threads

POSTGRESQL_SCHEMES = ("postgresql://", "postgres://")


def _database_url(raw: str) -> str:
    """ENTBOT_DATABASE naming a PostgreSQL database: a URL with a database name, and psycopg installed."""
    from importlib.util import find_spec
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - reading it checks it
    except ValueError as exc:
        raise SettingsError(f"ENTBOT_DATABASE : adresse PostgreSQL illisible ({exc}).") from None
    if parts.path.strip("/") == "":
        raise SettingsError("ENTBOT_DATABASE : nommez la base, par exemple postgresql://entbot@localhost/entbot.")
    if find_spec("psycopg") is None or find_spec("psycopg_pool") is None:
        raise SettingsError("ENTBOT_DATABASE désigne PostgreSQL, mais psycopg n'est pas installé : "
                            "pip install 'assistant-ent[postgresql]'.")
    return raw


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line for the IT referent."""


TOKEN_HELP = (
    "TELEGRAM_BOT_TOKEN manquant : créez un bot avec @BotFather dans Telegram (commande /newbot), "
    "puis copiez le jeton donné dans le fichier .env (TELEGRAM_BOT_TOKEN=123456:ABC...)."
)
DEFAULT_DATA_DIR = Path("data")
DATABASE_NAME = "entbot.sqlite3"
CONTACT_HELP = ("SCHOOL_CONTACT_EMAIL manquant : attendu l'adresse où les familles peuvent écrire au collège "
                "(affichée dans l'aide, et destinataire des demandes), par ex. SCHOOL_CONTACT_EMAIL=ce.0000000x@ac-academie.fr.")
MAX_BROADCAST_RATE = 30  # Telegram: "no more than 30 messages per second" to different chats
TOKEN_RE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{10,}$")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str | None
    password: str | None
    security: str  # none, starttls, tls
    mail_from: str


@dataclass(frozen=True)
class Settings:
    token: str | None
    api_url: str = "https://api.telegram.org/bot"
    database: Path = Path("data/entbot.sqlite3")
    # ENTBOT_DATABASE=postgresql://…: the PostgreSQL server instead of the file (its password never shown).
    database_url: str | None = field(default=None, repr=False)
    school_name: str = "Collège"
    school_contact_email: str | None = None  # required to run: no school's address by default
    ent_url: str = "https://www.touraine-eschool.fr"
    staff_user_ids: frozenset[int] = field(default_factory=frozenset)
    staff_chat_id: int | None = None
    annonces_channel_id: int | None = None
    quiet_hours: tuple[time, time] | None = (time(20, 0), time(7, 0))
    broadcast_rate: int = 25  # announcements' messages in any one second; Telegram's bulk limit is about 30
    smtp: SmtpSettings | None = None
    log_level: str = "INFO"
    poll_timeout: int = 10
    tickets_retention_days: int = 90
    ldap: LdapConfig | None = None  # DIRECTORY=ldap: the accounts live in the ENT's directory
    letter_validity_days: int = 90
    # Privacy: how long each kind of data is kept (tickets: tickets_retention_days), and the controller.
    progress_retention_days: int = 30
    attempts_retention_days: int = 30
    audit_retention_days: int = 365
    notices_retention_days: int = 365
    unsubscribed_retention_days: int = 0
    school_postal_address: str | None = None
    dpo_contact: str | None = None

    @property
    def retention(self) -> Retention:
        return Retention(progress_days=self.progress_retention_days, attempts_days=self.attempts_retention_days,
                         audit_days=self.audit_retention_days, tickets_days=self.tickets_retention_days,
                         notices_days=self.notices_retention_days, unsubscribed_days=self.unsubscribed_retention_days)
    backup_dir: Path | None = None  # None: `backups/` beside the database
    backup_keep: int = 14

    @property
    def backups(self) -> Path:
        """Where the nightly copies go."""
        return self.backup_dir if self.backup_dir is not None else self.database.parent / "backups"
    argon2_threads: int = field(default_factory=default_threads)  # ARGON2_THREADS
    argon2_max_waiting: int = DEFAULT_MAX_WAITING  # ARGON2_MAX_WAITING: beyond, a step is refused at once
    password_min_length: int = 8  # the guide's 8; the ENT's own account service may ask more
    password_min_kinds: int = 3  # of lower, upper, digit, other: the CNIL's advice with a lock
    # CGU_FILE read at start, or the guide's excerpt
    cgu: Cgu = field(default_factory=lambda: guide_cgu(texts.CGU_GUIDE_EXCERPT))
    cgu_url: str | None = None
    services: tuple[Service, ...] = field(default_factory=shipped_services)
    form: FormSettings | None = None  # WEBAPP_URL and WEB_LISTEN: the secure form (bot/webform.py); None, off
    languages: tuple[str, ...] = SHIPPED  # LANGUAGES: the families' languages offered, French always among them
    webhook: WebhookSettings | None = None  # WEBHOOK_URL, WEBHOOK_SECRET: used by `entbot run --webhook` (bot/webhook.py)

    school_uai: str = DEFAULT_UAI  # SCHOOL_UAI: the single school's, or which of SCHOOLS_FILE's had the data before
    school_list: tuple[School, ...] = ()  # SCHOOLS_FILE's schools; empty: the single school of the settings above
    schools_file: Path | None = None

    @property
    def schools(self) -> Schools:
        """The deployment's schools: SCHOOLS_FILE's, or the one school of SCHOOL_NAME, SCHOOL_CONTACT_EMAIL..."""
        if self.school_list:
            return Schools(self.school_list)
        return Schools((self._template(self.require_contact()),))

    def _template(self, contact: str) -> School:
        """The single school as the settings describe it; a school of SCHOOLS_FILE starts from it."""
        return School(name=self.school_name, contact_email=contact, ent_url=self.ent_url, cgu=self.cgu,
                      cgu_url=self.cgu_url, services=self.services, uai=self.school_uai,
                      staff=StaffConfig(self.staff_user_ids, self.staff_chat_id),
                      annonces_channel_id=self.annonces_channel_id, quiet_hours=self.quiet_hours,
                      postal_address=self.school_postal_address)

    @property
    def legacy_uai(self) -> str:
        """The school of the rows written before many schools: SCHOOL_UAI's, if SCHOOLS_FILE lists it, else the
        file's first school."""
        if not self.school_list:
            return self.school_uai
        listed = [s.uai for s in self.school_list]
        return self.school_uai if self.school_uai in listed else listed[0]

    @property
    def school_uais(self) -> tuple[str, ...]:
        """The deployment's UAIs, without needing the rest of each school (the CLI's commands that need no contact)."""
        return tuple(s.uai for s in self.school_list) if self.school_list else (self.school_uai,)

    def require_school(self, raw: str | None) -> str | None:
        """--school as typed, checked: a UAI of the deployment; None when not given. Required with several schools
        by the commands that act on one school's data (`required`)."""
        if raw is None:
            return None
        uai = normal_uai(raw)
        if uai not in self.school_uais:
            listed = ", ".join(self.school_uais)
            raise SettingsError(f"--school {raw} : établissement inconnu de la configuration (établissements : {listed}).")
        return uai

    def require_contact(self) -> str:
        if not self.school_contact_email:
            raise SettingsError(CONTACT_HELP)
        return self.school_contact_email

    def require_token(self) -> str:
        if not self.token:
            raise SettingsError(TOKEN_HELP)
        return self.token


def _int(name: str, raw: str, expected: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise SettingsError(f"{name}={raw!r} invalide : attendu {expected}.") from None


def _bounded(name: str, raw: str, what: str, low: int, high: int | None = None, why: str = "") -> int:
    """An integer setting within its range; the one-line error names the setting, the range and why."""
    span = f"de {low} à {high}" if high is not None else f"{low} ou plus"
    value = _int(name, raw, f"{what}, {span}{why}")
    if value < low or (high is not None and value > high):
        raise SettingsError(f"{name}={raw!r} invalide : attendu {what}, {span}{why}.")
    return value


def _email(name: str, raw: str) -> str:
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise SettingsError(f"{name}={raw!r} invalide : attendu une adresse électronique.") from None


def _url(name: str, raw: str) -> str:
    value = raw.strip()
    if not re.match(r"^https?://[^\s/]+", value):
        raise SettingsError(f"{name}={raw!r} invalide : attendu une adresse commençant par http:// ou https://.")
    return value


def _quiet_hours(raw: str) -> tuple[time, time] | None:
    if not raw.strip():
        return None
    match = re.fullmatch(r"\s*(\d{1,2})[:h](\d{2})\s*-\s*(\d{1,2})[:h](\d{2})\s*", raw)
    if not match:
        raise SettingsError(f"QUIET_HOURS={raw!r} invalide : attendu HH:MM-HH:MM (par ex. 20:00-07:00), ou vide.")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    try:
        return time(h1, m1), time(h2, m2)
    except ValueError:
        raise SettingsError(f"QUIET_HOURS={raw!r} invalide : heure impossible.") from None


# The retention settings besides TICKETS_RETENTION_DAYS: (variable, field, fewest days allowed).
def _languages(raw: str) -> tuple[str, ...]:
    """LANGUAGES=en,ar: the shipped languages a deployment offers; French, the source, is always offered."""
    asked = [code.strip().lower() for code in raw.split(",") if code.strip()]
    unknown = [code for code in asked if code not in SHIPPED]
    if unknown:
        raise SettingsError(f"LANGUAGES={raw!r} invalide : {', '.join(unknown)} inconnu(s) ; langues livrées : "
                            f"{', '.join(SHIPPED)} (vide : le français seul).")
    return tuple(code for code in SHIPPED if code == SOURCE or code in asked)


RETENTIONS = [("PROGRESS_RETENTION_DAYS", "progress_retention_days", 1),
              ("ATTEMPTS_RETENTION_DAYS", "attempts_retention_days", 1),
              ("AUDIT_RETENTION_DAYS", "audit_retention_days", 1),
              ("NOTICES_RETENTION_DAYS", "notices_retention_days", 1),
              ("UNSUBSCRIBED_RETENTION_DAYS", "unsubscribed_retention_days", 0)]


def load(environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")) -> Settings:
    """Reads settings: the process environment wins over `.env`."""
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)

    def get(name: str) -> str | None:
        raw = values.get(name)
        return raw if raw is not None and raw.strip() != "" else None

    token = get("TELEGRAM_BOT_TOKEN")
    if token is not None and not TOKEN_RE.match(token.strip()):
        raise SettingsError("TELEGRAM_BOT_TOKEN invalide : attendu le jeton donné par @BotFather, de la forme 123456:ABC-DEF...")
    kwargs: dict[str, object] = {"token": token.strip() if token else None}
    if (raw := get("TELEGRAM_API_URL")) is not None:
        kwargs["api_url"] = _url("TELEGRAM_API_URL", raw)
    # The data directory (default `data/` in the current folder); ENTBOT_DATABASE, older, names the file itself.
    data_dir = Path(raw.strip()) if (raw := get("ENTBOT_DATA_DIR")) is not None else DEFAULT_DATA_DIR
    kwargs["database"] = Path(raw.strip()) if (raw := get("ENTBOT_DATABASE")) is not None else data_dir / DATABASE_NAME
    if raw is not None and raw.strip().startswith(POSTGRESQL_SCHEMES):
        # The server holds the data; the data directory keeps the installation's key and the lock files.
        kwargs["database_url"] = _database_url(raw.strip())
        kwargs["database"] = data_dir / DATABASE_NAME
    if (raw := get("BACKUP_DIR")) is not None:
        kwargs["backup_dir"] = Path(raw.strip())
    if (raw := get("BACKUP_KEEP")) is not None:
        keep = _int("BACKUP_KEEP", raw, "un nombre de sauvegardes à garder")
        if keep < 1:
            raise SettingsError(f"BACKUP_KEEP={raw!r} invalide : attendu un nombre de sauvegardes, 1 ou plus.")
        kwargs["backup_keep"] = keep
    if (raw := get("SCHOOL_NAME")) is not None:
        kwargs["school_name"] = raw.strip()
    if (raw := get("SCHOOL_CONTACT_EMAIL")) is not None:
        kwargs["school_contact_email"] = _email("SCHOOL_CONTACT_EMAIL", raw)
    if (raw := get("ENT_URL")) is not None:
        kwargs["ent_url"] = _url("ENT_URL", raw)
    if (raw := get("STAFF_USER_IDS")) is not None:
        kwargs["staff_user_ids"] = frozenset(
            _int("STAFF_USER_IDS", part, "des identifiants Telegram numériques séparés par des virgules")
            for part in raw.split(",") if part.strip()
        )
    if (raw := get("STAFF_CHAT_ID")) is not None:
        kwargs["staff_chat_id"] = _int("STAFF_CHAT_ID", raw, "l'identifiant numérique du groupe (par ex. -1001234567890)")
    if (raw := get("ANNONCES_CHANNEL_ID")) is not None:
        kwargs["annonces_channel_id"] = _int("ANNONCES_CHANNEL_ID", raw, "l'identifiant numérique du canal")
    if "QUIET_HOURS" in values:
        kwargs["quiet_hours"] = _quiet_hours(values["QUIET_HOURS"])
    if (raw := get("BROADCAST_RATE")) is not None:
        kwargs["broadcast_rate"] = _bounded("BROADCAST_RATE", raw, "un nombre de messages par seconde", 1,
                                            MAX_BROADCAST_RATE, " (au-delà, Telegram refuse les envois en nombre)")
    if (raw := get("LOG_LEVEL")) is not None:
        level = raw.strip().upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise SettingsError(f"LOG_LEVEL={raw!r} invalide : attendu DEBUG, INFO, WARNING ou ERROR.")
        kwargs["log_level"] = level
    if (raw := get("ENTBOT_POLL_TIMEOUT")) is not None:
        kwargs["poll_timeout"] = _int("ENTBOT_POLL_TIMEOUT", raw, "un nombre de secondes")
    if (raw := get("ARGON2_THREADS")) is not None:
        kwargs["argon2_threads"] = _bounded("ARGON2_THREADS", raw, "un nombre de fils de calcul", 1, 64)
    if (raw := get("ARGON2_MAX_WAITING")) is not None:
        kwargs["argon2_max_waiting"] = _bounded("ARGON2_MAX_WAITING", raw, "un nombre d'opérations", 0, 100_000)
    if (raw := get("TICKETS_RETENTION_DAYS")) is not None:
        kwargs["tickets_retention_days"] = _bounded("TICKETS_RETENTION_DAYS", raw, "un nombre de jours", 1)
    if (raw := get("LETTER_VALIDITY_DAYS")) is not None:
        kwargs["letter_validity_days"] = _bounded("LETTER_VALIDITY_DAYS", raw, "un nombre de jours", 1, 366)
    for name, key, least in RETENTIONS:
        if (raw := get(name)) is not None:
            kwargs[key] = _bounded(name, raw, "un nombre de jours", least)
    if (raw := get("SCHOOL_POSTAL_ADDRESS")) is not None:
        kwargs["school_postal_address"] = raw.strip()
    if (raw := get("DPO_CONTACT")) is not None:
        kwargs["dpo_contact"] = raw.strip()
    if (raw := get("PASSWORD_MIN_LENGTH")) is not None:
        kwargs["password_min_length"] = _bounded("PASSWORD_MIN_LENGTH", raw, "un nombre de caractères", 8, 64)
    if (raw := get("PASSWORD_MIN_KINDS")) is not None:
        kwargs["password_min_kinds"] = _bounded("PASSWORD_MIN_KINDS", raw, "un nombre de sortes de caractères", 1, 4,
                                                " (minuscules, majuscules, chiffres, caractères spéciaux)")
    if (raw := get("LANGUAGES")) is not None:
        kwargs["languages"] = _languages(raw)
    if (raw := get("CGU_URL")) is not None:
        kwargs["cgu_url"] = _url("CGU_URL", raw)
    try:
        if (raw := get("CGU_FILE")) is not None:
            kwargs["cgu"] = cgu_from_file(Path(raw.strip()))
        if (raw := get("SERVICES_FILE")) is not None:
            kwargs["services"] = services_from_file(Path(raw.strip()))
    except DocumentError as exc:
        raise SettingsError(str(exc)) from None
    if (raw := get("SCHOOL_UAI")) is not None:
        if (problem := uai_problem(raw)) is not None:
            raise SettingsError(f"SCHOOL_UAI={raw!r} invalide : {problem}.")
        kwargs["school_uai"] = normal_uai(raw)
    if (raw := get("SCHOOLS_FILE")) is not None:
        path = Path(raw.strip())
        template = Settings(**{**kwargs, "school_list": ()})._template(kwargs.get("school_contact_email") or "")  # type: ignore[arg-type]
        try:
            kwargs["school_list"] = schools_file.load(path, template, _quiet_hours)
        except schools_file.SchoolsError as exc:
            raise SettingsError(str(exc)) from None
        kwargs["schools_file"] = path
    kwargs["smtp"] = _smtp(get)
    try:
        kwargs["form"] = form_settings.load(get)
    except FormSettingsError as exc:
        raise SettingsError(str(exc)) from None
    try:
        kwargs["webhook"] = webhook_settings.load(get)
    except (WebhookSettingsError, FormSettingsError) as exc:
        raise SettingsError(str(exc)) from None
    directory = (get("DIRECTORY") or "sqlite").strip().lower()
    if directory not in {"sqlite", "ldap"}:
        raise SettingsError(f"DIRECTORY={directory!r} invalide : attendu sqlite ou ldap.")
    kwargs["ldap"] = _ldap(get) if directory == "ldap" else None
    return Settings(**kwargs)  # type: ignore[arg-type]


def _smtp(get: object) -> SmtpSettings | None:
    assert callable(get)
    host = get("SMTP_HOST")
    if host is None:
        return None
    security = (get("SMTP_SECURITY") or "starttls").strip().lower()
    if security not in {"none", "starttls", "tls"}:
        raise SettingsError(f"SMTP_SECURITY={security!r} invalide : attendu none, starttls ou tls.")
    default_port = {"none": 25, "starttls": 587, "tls": 465}[security]
    port = _int("SMTP_PORT", get("SMTP_PORT"), "un numéro de port") if get("SMTP_PORT") else default_port
    mail_from = get("MAIL_FROM")
    if mail_from is None:
        raise SettingsError("MAIL_FROM manquant : attendu l'adresse d'expédition des courriels (SMTP_HOST est défini).")
    return SmtpSettings(host=host.strip(), port=port, username=get("SMTP_USERNAME"), password=get("SMTP_PASSWORD"),
                        security=security, mail_from=_email("MAIL_FROM", mail_from))


def _flag(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value not in {"1", "0", "oui", "non", "true", "false", "yes", "no", "on", "off"}:
        raise SettingsError(f"{name}={raw!r} invalide : attendu 1 ou 0.")
    return value in {"1", "oui", "true", "yes", "on"}


def _ldap(get: Callable[[str], str | None]) -> LdapConfig:
    url = (get("LDAP_URL") or "").strip()
    if not re.match(r"^ldaps?://[^\s/]+/?$", url):
        raise SettingsError(f"LDAP_URL={url!r} invalide : attendu ldap://hôte:port ou ldaps://hôte:port (DIRECTORY=ldap).")
    people_dn = (get("LDAP_PEOPLE_DN") or "").strip()
    if "=" not in people_dn:
        raise SettingsError("LDAP_PEOPLE_DN manquant : attendu la base des personnes, par ex. ou=people,dc=esco-centre,dc=fr.")
    raw_tls = get("LDAP_STARTTLS")
    starttls = _flag("LDAP_STARTTLS", raw_tls) if raw_tls is not None else True
    config = LdapConfig(url=url, people_dn=people_dn, starttls=starttls and url.startswith("ldap://"))
    plain = config.url.startswith("ldap://") and not config.starttls
    allow_plain = _flag("LDAP_ALLOW_PLAIN", get("LDAP_ALLOW_PLAIN") or "0")
    if plain and not config.is_loopback and not allow_plain:
        raise SettingsError("LDAP_STARTTLS=0 refusé : les mots de passe passeraient en clair sur le réseau ; "
                            "utilisez StartTLS ou ldaps://, ou LDAP_ALLOW_PLAIN=1 en connaissance de cause.")
    ca_file = get("LDAP_CA_FILE")
    if ca_file is not None and not Path(ca_file.strip()).is_file():
        raise SettingsError(f"LDAP_CA_FILE={ca_file!r} invalide : fichier introuvable.")
    password = get("LDAP_BIND_PASSWORD")
    if (password_file := get("LDAP_BIND_PASSWORD_FILE")) is not None:
        try:
            password = Path(password_file.strip()).read_text(encoding="utf-8").strip()
        except OSError:
            raise SettingsError(f"LDAP_BIND_PASSWORD_FILE={password_file!r} illisible.") from None
    bind_dn = get("LDAP_BIND_DN")
    if bind_dn is None or password is None:
        raise SettingsError("LDAP_BIND_DN et LDAP_BIND_PASSWORD (ou LDAP_BIND_PASSWORD_FILE) manquants : "
                            "attendu le compte de service du bot dans l'annuaire.")
    attributes = tuple(a.strip() for a in (get("LDAP_LOGIN_ATTRIBUTES") or "ENTPersonLogin,ENTPersonAlias").split(",")
                       if a.strip())
    if not attributes or not all(re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", a) for a in attributes):
        raise SettingsError("LDAP_LOGIN_ATTRIBUTES invalide : attendu des noms d'attributs séparés par des virgules.")
    school_attribute = (get("LDAP_SCHOOL_ATTRIBUTE") or "ESCOUAI").strip()
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", school_attribute):
        raise SettingsError(f"LDAP_SCHOOL_ATTRIBUTE={school_attribute!r} invalide : attendu un nom d'attribut (ESCOUAI).")
    provisional = (get("LDAP_PROVISIONAL") or "import").strip().lower()
    if provisional not in {"import", "bind"}:
        raise SettingsError(f"LDAP_PROVISIONAL={provisional!r} invalide : attendu import ou bind.")
    write = (get("LDAP_PASSWORD_WRITE") or "argon2").strip().lower()
    if write not in {"argon2", "modify"}:
        raise SettingsError(f"LDAP_PASSWORD_WRITE={write!r} invalide : attendu argon2 ou modify.")
    return replace(config, bind_dn=bind_dn.strip(), bind_password=password, ca_file=ca_file.strip() if ca_file else None,
                   login_attributes=attributes, provisional=provisional, password_write=write,
                   school_attribute=school_attribute)
