"""Settings: read from the environment and .env, each mistake named in one line."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from bot.settings import SettingsError, load

TOKEN = "123456:ABCDEFGHIJKLMNOP"


def test_defaults_follow_the_contract(tmp_path: Path) -> None:
    s = load({"TELEGRAM_BOT_TOKEN": TOKEN}, env_file=None)
    assert s.api_url == "https://api.telegram.org/bot" and s.database == Path("data/entbot.sqlite3")
    assert s.school_contact_email is None and s.ent_url == "https://www.touraine-eschool.fr"  # no school's address
    assert s.quiet_hours == (time(20, 0), time(7, 0)) and s.smtp is None and s.staff_user_ids == frozenset()
    assert s.tickets_retention_days == 90 and s.annonces_channel_id is None


def test_env_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}\nSCHOOL_NAME=Collège du fichier\nSTAFF_USER_IDS=1, 2,3\n"
                        "QUIET_HOURS=\nSMTP_HOST=127.0.0.1\nSMTP_SECURITY=none\nMAIL_FROM=ent@college.fr\n")
    s = load({"SCHOOL_NAME": "Collège de l'environnement"}, env_file=env_file)
    assert s.token == TOKEN and s.school_name == "Collège de l'environnement"
    assert s.staff_user_ids == frozenset({1, 2, 3}) and s.quiet_hours is None
    assert s.smtp is not None and s.smtp.port == 25 and s.smtp.mail_from == "ent@college.fr"


@pytest.mark.parametrize("name,value", [
    ("TELEGRAM_BOT_TOKEN", "pas-un-jeton"), ("STAFF_USER_IDS", "12,abc"), ("STAFF_CHAT_ID", "groupe"),
    ("QUIET_HOURS", "20h-7h"), ("QUIET_HOURS", "25:00-07:00"), ("ENT_URL", "touraine-eschool.fr"),
    ("SCHOOL_CONTACT_EMAIL", "secretariat"), ("LOG_LEVEL", "BAVARD"), ("SMTP_SECURITY", "ssl"),
    ("TICKETS_RETENTION_DAYS", "trois mois"), ("TICKETS_RETENTION_DAYS", "0"), ("ANNONCES_CHANNEL_ID", "@annonces"),
    ("ARGON2_THREADS", "0"), ("ARGON2_THREADS", "deux"), ("ARGON2_MAX_WAITING", "-1"),
])
def test_a_malformed_setting_names_itself(name: str, value: str) -> None:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, name: value}
    if name == "SMTP_SECURITY":
        env.update(SMTP_HOST="localhost", MAIL_FROM="a@b.fr")
    with pytest.raises(SettingsError) as caught:
        load(env, env_file=None)
    assert str(caught.value).startswith(name) and "\n" not in str(caught.value)


def test_smtp_without_sender_is_refused() -> None:
    with pytest.raises(SettingsError, match="MAIL_FROM"):
        load({"SMTP_HOST": "localhost"}, env_file=None)


LDAP = {"TELEGRAM_BOT_TOKEN": TOKEN, "DIRECTORY": "ldap", "LDAP_URL": "ldap://ldap.esco-centre.fr",
        "LDAP_PEOPLE_DN": "ou=people,dc=esco-centre,dc=fr", "LDAP_BIND_DN": "cn=entbot,ou=services,dc=esco-centre,dc=fr",
        "LDAP_BIND_PASSWORD": "secret"}


def test_sqlite_is_the_default_directory_and_ldap_defaults_are_safe(tmp_path: Path) -> None:
    assert load({"TELEGRAM_BOT_TOKEN": TOKEN}, env_file=None).ldap is None
    s = load(LDAP, env_file=None)
    assert s.ldap is not None and s.ldap.starttls and s.ldap.provisional == "import" and s.ldap.password_write == "argon2"
    assert s.ldap.login_attributes == ("ENTPersonLogin", "ENTPersonAlias")
    secret = tmp_path / "bind.secret"
    secret.write_text("from-a-file\n")
    s = load({**LDAP, "LDAP_BIND_PASSWORD_FILE": str(secret), "LDAP_URL": "ldaps://ldap.esco-centre.fr:636"}, env_file=None)
    assert s.ldap is not None and s.ldap.bind_password == "from-a-file" and not s.ldap.starttls
    s = load({**LDAP, "LDAP_URL": "ldap://127.0.0.1:3389", "LDAP_STARTTLS": "0"}, env_file=None)
    assert s.ldap is not None and not s.ldap.starttls  # plain LDAP on loopback only


@pytest.mark.parametrize("name,value", [
    ("DIRECTORY", "annuaire"), ("LDAP_URL", "http://ldap"), ("LDAP_STARTTLS", "0"), ("LDAP_STARTTLS", "peut-être"),
    ("LDAP_PROVISIONAL", "clair"), ("LDAP_PASSWORD_WRITE", "clear"), ("LDAP_CA_FILE", "/nulle/part.pem"),
    ("LDAP_PEOPLE_DN", "people"), ("LDAP_LOGIN_ATTRIBUTES", "ENTPersonLogin,(uid=*)"),
    ("LDAP_BIND_PASSWORD_FILE", "/nulle/part.secret"),
])
def test_a_malformed_ldap_setting_names_itself(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load({**LDAP, name: value}, env_file=None)
    assert str(caught.value).startswith(name) and "\n" not in str(caught.value)


def test_ldap_without_a_service_account_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"^LDAP_BIND_DN"):
        load({k: v for k, v in LDAP.items() if k != "LDAP_BIND_PASSWORD"}, env_file=None)
def test_the_data_directory_holds_the_database_and_the_backups() -> None:
    s = load({"TELEGRAM_BOT_TOKEN": TOKEN}, env_file=None)
    assert s.backups == Path("data/backups") and s.backup_keep == 14
    s = load({"ENTBOT_DATA_DIR": "/var/lib/entbot"}, env_file=None)
    assert s.database == Path("/var/lib/entbot/entbot.sqlite3") and s.backups == Path("/var/lib/entbot/backups")
    s = load({"ENTBOT_DATA_DIR": "/var/lib/entbot", "ENTBOT_DATABASE": "/srv/base.sqlite3", "BACKUP_DIR": "/mnt/usb",
              "BACKUP_KEEP": "30"}, env_file=None)
    assert s.database == Path("/srv/base.sqlite3") and s.backups == Path("/mnt/usb") and s.backup_keep == 30
    for bad in ("0", "trois"):
        with pytest.raises(SettingsError, match="BACKUP_KEEP"):
            load({"BACKUP_KEEP": bad}, env_file=None)


def test_the_argon2_pool_is_set_from_the_environment() -> None:
    s = load({"TELEGRAM_BOT_TOKEN": TOKEN, "ARGON2_THREADS": "1", "ARGON2_MAX_WAITING": "0"}, env_file=None)
    assert (s.argon2_threads, s.argon2_max_waiting) == (1, 0)
