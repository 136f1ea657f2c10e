"""Fixtures: the sandbox and the real Application in the test's event loop, on a fresh SQLite file or PostgreSQL base."""

from __future__ import annotations

import csv
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from bot.app import App, broadcaster_of, build_application, mailer_of, start_in_loop, stop_in_loop, store_of
from bot.broadcaster import Broadcaster
from bot.mailer import Mailer
from bot.processor import PerUserProcessor
from bot.settings import Settings, SmtpSettings
from conversations.common import School, StaffConfig
from sandbox.driver import Chat, Person, Sandbox
from sandbox.server import SandboxServer
from storage.db import Clock
from storage.importer import import_accounts
from storage.schools import DEFAULT_UAI
from storage.store import Store
from tests import flows
from tests.smtp import SmtpServer

TOKEN = "123456789:SANDBOX-token-for-tests"
STAFF_ID = 777001  # a secretary named in STAFF_USER_IDS
STAFF_CHAT_ID = -1009990001  # the staff group
CHANNEL_ID = -1009990002  # the announcements channel
ROOT = Path(__file__).resolve().parent.parent
CONTACT = "ce.0371122u@ac-orleans-tours.fr"  # the collège of the guide: tests set it, the code has no default
# A second collège, for the tests of many schools: its own secretary, staff group, channel and address.
OTHER_UAI = "0370994E"
OTHER_STAFF_ID = 777002
OTHER_STAFF_CHAT_ID = -1009990011
OTHER_CHANNEL_ID = -1009990012
OTHER_CONTACT = "ce.0370994e@ac-orleans-tours.fr"
_SETTING_PREFIXES = ("TELEGRAM_", "ENTBOT_", "SMTP_", "SCHOOL_", "SCHOOLS_FILE", "STAFF_", "LOG_LEVEL", "LDAP_", "DIRECTORY")


def process_env(**settings: str) -> dict[str, str]:
    """The environment of a child `entbot` or sandbox: the machine's, none of the bot's settings but these."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SETTING_PREFIXES)}
    env.update({"PYTHONPATH": str(ROOT), "SCHOOL_CONTACT_EMAIL": CONTACT, **settings})
    return env


@dataclass
class Harness:
    """What a test has at hand: people to act as, the bot's store and clock, the sandbox itself."""

    sandbox: Sandbox
    server: SandboxServer
    app: App
    settings: Settings
    tmp_path: Path

    @property
    def store(self) -> Store:
        return store_of(self.app)

    @property
    def clock(self) -> Clock:
        return self.store.clock

    async def parent(self, first_name: str = "Amina", language_code: str | None = "fr") -> Person:
        """A parent whose Telegram app is in `language_code` (None: Telegram says nothing of it)."""
        return await self.sandbox.person(first_name, language_code=language_code)

    async def secretary(self, first_name: str = "Sylvie", user_id: int = STAFF_ID) -> Person:
        """The staff member named in STAFF_USER_IDS (or `user_id`: OTHER_STAFF_ID, the second collège's),
        who has opened a private chat with the bot."""
        person = await self.sandbox.person(first_name, user_id=user_id)
        return person

    async def staff_group(self, *members: Person, chat_id: int = STAFF_CHAT_ID) -> Chat:
        return await self.sandbox.group("Secrétariat — ENT", list(members), chat_id=chat_id)

    @property
    def mailer(self) -> Mailer:
        mailer = mailer_of(self.app)
        assert mailer is not None, "this test's bot has mail off"
        return mailer

    @property
    def broadcaster(self) -> Broadcaster:
        return broadcaster_of(self.app)

    async def channel(self, chat_id: int = CHANNEL_ID) -> Chat:
        """The school's announcements channel, the bot its admin."""
        return await self.sandbox.channel("Annonces du collège", chat_id=chat_id)

    async def restart(self, before_start: Callable[[], object] | None = None) -> None:
        """The bot goes away, its memory with it, and a new one starts on the same database."""
        await stop_in_loop(self.app)
        if before_start is not None:
            before_start()
        app = build_application(self.settings, self.clock, mail_timeout=2.0)
        await start_in_loop(app)
        processor = app.update_processor
        assert isinstance(processor, PerUserProcessor)
        self.sandbox.waiter = processor.wait_handled
        self.app = app

    async def group_caught_up(self, timeout: float = 15.0) -> None:
        """Waits until the staff group's worker has sent everything queued (the group must be reachable)."""
        from tests.waiting import eventually

        async def drained() -> bool:  # through the bot's store: SQLite or PostgreSQL alike
            async with self.store.db.read() as conn:
                rows = await conn.execute_fetchall("SELECT COUNT(*) FROM staff_posts WHERE state = 'pending'")
            return int(list(rows)[0][0]) == 0

        await eventually(drained, timeout)

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """What the database holds, read beside the bot as an operator would (SQLite's SQL, on either engine)."""
        if self.settings.database_url is None:
            import sqlite3

            conn = sqlite3.connect(self.settings.database)
            try:
                return conn.execute(sql, params).fetchall()
            finally:
                conn.close()
        import psycopg

        from storage.postgres import translate

        with psycopg.connect(self.settings.database_url, autocommit=True) as pg:
            return [tuple(r) for r in pg.execute(translate(sql), params).fetchall()]

    def database_holds(self, secret: str) -> bool:
        """Whether `secret` is anywhere in the database: the SQLite file's bytes, or every row of every table."""
        if self.settings.database_url is None:
            return secret.encode() in self.settings.database.read_bytes()
        tables = [t for (t,) in self.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        return any(secret in str(row) for table in tables for row in self.query(f"SELECT t::text FROM {table} t"))

    def cli_env(self) -> dict[str, str]:
        """ENTBOT_DATABASE (and the data directory on PostgreSQL) for an `entbot` command run beside this bot."""
        if self.settings.database_url is None:
            return {"ENTBOT_DATABASE": str(self.settings.database)}
        return {"ENTBOT_DATABASE": self.settings.database_url, "ENTBOT_DATA_DIR": str(self.settings.database.parent)}

    async def run_job(self, name: str) -> None:
        """Runs a repeating job now rather than at its next tick (after the test let time pass)."""
        assert self.app.job_queue is not None
        jobs = self.app.job_queue.get_jobs_by_name(name)
        assert jobs, name
        for job in jobs:
            await job.run(self.app)

    async def import_accounts(self, rows: list[dict[str, str]]) -> None:
        path = self.tmp_path / f"import-{os.urandom(3).hex()}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter=";")
            writer.writeheader()
            writer.writerows(rows)
        report = await import_accounts(self.store, path, known=self.settings.school_uais,
                                       default=self.settings.school_uais[0] if len(self.settings.school_uais) == 1 else None)
        assert not report.errors, report.errors


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "both_engines: runs on SQLite and again on PostgreSQL (the database_url fixture)")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test marked both_engines whose bot (or store) takes `database_url` runs once per engine.

    BOTH_ENGINES=all: every test whose bot takes it, marked or not (a full check on PostgreSQL, not in `make test`).
    """
    marked = metafunc.definition.get_closest_marker("both_engines") or os.environ.get("BOTH_ENGINES") == "all"
    if "database_url" in metafunc.fixturenames and marked:
        metafunc.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """Debian's PostgreSQL, started once per test process (tests/postgres.py), stopped by its PID at the end."""
    from tests import postgres

    try:
        server = postgres.start()
    except postgres.Unavailable as exc:
        if os.environ.get("CI") == "true":  # in CI a missing server is a failure, never a skip
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    yield server
    server.stop()


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> str | None:
    """None (SQLite, the default), or a fresh PostgreSQL database's URL for a both_engines test's second run."""
    if getattr(request, "param", "sqlite") == "sqlite":
        return None
    return str(request.getfixturevalue("postgres_server").new_database())


@pytest.fixture
async def parent(bot: Harness) -> Person:
    """A parent on Telegram, and the school's account of the guide's example imported for them."""
    await flows.with_account(bot)
    return await bot.parent()


@pytest.fixture
async def sandbox_server() -> AsyncIterator[SandboxServer]:
    server = SandboxServer()
    await server.start()
    yield server
    await server.stop()


def make_settings(api_url: str, tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = dict(token=TOKEN, api_url=api_url, database=tmp_path / "entbot.sqlite3",
                                     school_name="Collège Léonard de Vinci", school_contact_email=CONTACT,
                                     poll_timeout=1,
                                     staff_user_ids=frozenset({STAFF_ID}), staff_chat_id=STAFF_CHAT_ID,
                                     quiet_hours=None, annonces_channel_id=CHANNEL_ID)
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def two_schools(**second: object) -> tuple[School, School]:
    """`school_list` for a deployment of two collèges: the tests' usual one (its UAI, staff, group, channel) and a
    second with its own; `second` changes the second school's fields."""
    usual = School(name="Collège Léonard de Vinci", contact_email=CONTACT, ent_url="https://www.touraine-eschool.fr",
                   uai=DEFAULT_UAI, staff=StaffConfig(frozenset({STAFF_ID}), STAFF_CHAT_ID),
                   annonces_channel_id=CHANNEL_ID, postal_address="1 rue de la Paix, 37000 Tours")
    other = replace(usual, name="Collège Jean Moulin", contact_email=OTHER_CONTACT, uai=OTHER_UAI,
                    staff=StaffConfig(frozenset({OTHER_STAFF_ID}), OTHER_STAFF_CHAT_ID),
                    annonces_channel_id=OTHER_CHANNEL_ID, postal_address="2 avenue du Lac, 37400 Amboise")
    return usual, replace(other, **second)  # type: ignore[arg-type]


async def _harness(server: SandboxServer, tmp_path: Path, **overrides: object) -> Harness:
    settings = make_settings(server.api_url, tmp_path, **overrides)
    app = build_application(settings, Clock(), mail_timeout=2.0)
    await start_in_loop(app)
    processor = app.update_processor
    assert isinstance(processor, PerUserProcessor)
    sandbox = Sandbox(server.url, waiter=processor.wait_handled)
    return Harness(sandbox, server, app, settings, tmp_path)


async def _close(harness: Harness) -> None:
    await stop_in_loop(harness.app)
    await harness.sandbox.close()
    # Telegram shows a spinner on a button whose press was never answered.
    assert harness.server.world.unanswered_callbacks() == []


@asynccontextmanager
async def running_bot(server: SandboxServer, tmp_path: Path, **overrides: object) -> AsyncIterator[Harness]:
    """A bot with other settings than the usual test ones (quiet hours, say)."""
    harness = await _harness(server, tmp_path, **overrides)
    try:
        yield harness
    finally:
        await _close(harness)


@pytest.fixture
async def bot(sandbox_server: SandboxServer, tmp_path: Path, database_url: str | None) -> AsyncIterator[Harness]:
    async with running_bot(sandbox_server, tmp_path, database_url=database_url) as harness:
        yield harness


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """Debian's Chromium, headless (tests/browser.py): for the pages people use. Playwright loads only here."""
    from tests.browser import chromium

    async with chromium() as launched:
        yield launched


@pytest.fixture
async def fbot(sandbox_server: SandboxServer, tmp_path: Path, database_url: str | None) -> AsyncIterator[Harness]:
    """A bot with the secure form on (tests/form_helpers.py), and the guide's account imported."""
    from tests.form_helpers import form_bot

    async with form_bot(sandbox_server, tmp_path, database_url=database_url) as harness:
        await flows.with_account(harness)
        yield harness


@pytest.fixture
async def client(fbot: Harness) -> AsyncIterator[Any]:
    """An HTTP client of the form's public address, as the page's script is."""
    from tests.form_helpers import FormClient

    assert fbot.settings.form is not None
    made = FormClient(fbot.settings.form.public_url)
    yield made
    await made.close()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


MAIL_FROM = "assistant-ent@college-vinci.fr"


@pytest.fixture
async def mail_bot(sandbox_server: SandboxServer, tmp_path: Path, smtp: SmtpServer,
                   database_url: str | None) -> AsyncIterator[Harness]:
    """The bot with mail on, sending through the test's SMTP server."""
    settings = SmtpSettings(host="127.0.0.1", port=smtp.port, username=None, password=None, security="none",
                            mail_from=MAIL_FROM)
    harness = await _harness(sandbox_server, tmp_path, smtp=settings, database_url=database_url)
    try:
        yield harness
    finally:
        await _close(harness)
