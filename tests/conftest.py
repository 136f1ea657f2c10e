"""Fixtures: the sandbox and the real Application in the test's event loop, on a fresh SQLite file."""

from __future__ import annotations

import csv
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.app import App, build_application, store_of
from bot.processor import PerUserProcessor
from bot.settings import Settings
from sandbox.driver import Person, Sandbox
from sandbox.server import SandboxServer
from storage.db import Clock
from storage.importer import import_accounts
from storage.store import Store

TOKEN = "123456789:SANDBOX-token-for-tests"


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

    async def parent(self, first_name: str = "Amina") -> Person:
        return await self.sandbox.person(first_name)

    async def import_accounts(self, rows: list[dict[str, str]]) -> None:
        path = self.tmp_path / f"import-{os.urandom(3).hex()}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter=";")
            writer.writeheader()
            writer.writerows(rows)
        report = await import_accounts(self.store, path)
        assert not report.errors, report.errors


@pytest.fixture
async def sandbox_server() -> AsyncIterator[SandboxServer]:
    server = SandboxServer()
    await server.start()
    yield server
    await server.stop()


def make_settings(api_url: str, tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = dict(token=TOKEN, api_url=api_url, database=tmp_path / "entbot.sqlite3",
                                     school_name="Collège Léonard de Vinci", poll_timeout=1)
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


async def start_app(app: App) -> None:
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    assert app.updater is not None
    await app.updater.start_polling(timeout=1, poll_interval=0.0)
    await app.start()


async def stop_app(app: App) -> None:
    assert app.updater is not None
    if app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)


@pytest.fixture
async def bot(sandbox_server: SandboxServer, tmp_path: Path) -> AsyncIterator[Harness]:
    settings = make_settings(sandbox_server.api_url, tmp_path)
    app = build_application(settings, Clock())
    await start_app(app)
    processor = app.update_processor
    assert isinstance(processor, PerUserProcessor)
    sandbox = Sandbox(sandbox_server.url, waiter=processor.wait_handled)
    harness = Harness(sandbox, sandbox_server, app, settings, tmp_path)
    try:
        yield harness
    finally:
        await stop_app(app)
        await sandbox.close()
    # Telegram shows a spinner on a button whose press was never answered.
    assert sandbox_server.world.unanswered_callbacks() == []
