"""Debian's Chromium for the tests of pages people use: headless, driven by Playwright, nothing beyond this machine."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and nothing that would reach beyond this machine (no sync, no updates, no QUIC probes).
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]
WAIT = 20_000  # ms: a step's answer includes Argon2 hashing on a busy two-core machine


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """The browser of tests/conftest.py's `browser` fixture; in CI a missing chromium is a failure, never a skip."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("chromium absent: scripts/ensure-chromium.sh installs it (make test runs it)")
        pytest.skip("chromium absent : make chromium l'installe (en root)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            yield launched
        finally:
            await launched.close()
