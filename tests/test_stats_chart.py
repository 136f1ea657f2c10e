"""The /stats chart: sent as a photo beside the figures, written by `entbot stats --png`, drawn from the database."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from PIL import Image

from conversations import texts
from render.charts import PIXELS, as_json
from tests import flows
from tests.conftest import Harness, process_env


async def _activity(bot: Harness) -> None:
    """One family activated, one at the terms of use (step 3), one at the identifier (step 2), one open ticket."""
    await flows.with_account(bot)
    await flows.with_account(bot, identifiant="lea.martin5", mot_de_passe_provisoire="Prov-2026b")
    await flows.activate(await bot.parent("Jean"))
    await flows.to_cgu(await bot.parent("Léa"), "lea.martin5", "Prov-2026b")
    await flows.to_identifier(await bot.parent("Karim"))
    writer = await bot.parent("Nora")
    await writer.send("/start")
    await writer.click("✍️ Écrire au collège")
    await writer.send("Je n'ai pas reçu mon identifiant")


async def test_stats_sends_one_chart_whose_numbers_are_the_database(bot: Harness, tmp_path: Path) -> None:
    await _activity(bot)
    secretary = await bot.secretary()
    await secretary.send("/stats")
    messages = await secretary.messages()
    photos = [m for m in messages if m.from_bot and m.kind == "photo"]
    assert len(photos) == 1 and texts.CHART_CAPTION in photos[0].text
    assert any("Comptes importés : 2" in m.text for m in messages if m.from_bot)

    figures = await bot.store.stats.chart(texts.PARIS, texts.STEP_NUMBER)
    # The same numbers, counted straight from the file.
    conn = sqlite3.connect(bot.settings.database)
    steps = dict(conn.execute("SELECT step, COUNT(*) FROM activation_progress GROUP BY step").fetchall())
    open_tickets = conn.execute("SELECT COUNT(*) FROM tickets WHERE state = 'open'").fetchone()[0]
    active = conn.execute("SELECT COUNT(*) FROM accounts WHERE state = 'active'").fetchone()[0]
    conn.close()
    assert {n: c for n, c in figures.steps.items() if c} == {texts.STEP_NUMBER[s]: c for s, c in steps.items()}
    assert figures.steps[3] == 1 and figures.steps[2] == 1  # Léa and Karim, where each stopped
    assert figures.open_tickets == open_tickets == 1 and figures.taken_tickets == 0
    assert figures.active == active == 1 and figures.imported == 2
    today = bot.clock.now().astimezone(texts.PARIS).date()
    assert len(figures.daily_activations) == 28 and figures.daily_activations[-1] == (today, 1)
    assert sum(n for _, n in figures.daily_activations) == 1

    # `entbot stats --png` draws the same image from the same file.
    png = tmp_path / "stats.png"
    env = process_env(ENTBOT_DATABASE=str(bot.settings.database))

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot", "stats", "--png", str(png)], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)

    result = await asyncio.get_running_loop().run_in_executor(None, run)
    if keep := os.environ.get("ENTBOT_KEEP_CHART"):  # to look at the image: ENTBOT_KEEP_CHART=/tmp/chart.png
        shutil.copy(png, keep)
    assert result.returncode == 0, result.stderr
    with Image.open(png) as image:
        assert image.format == "PNG" and image.size == PIXELS
        behind = image.info["Description"]
    assert behind == as_json(figures)
    data = json.loads(behind)
    assert data["steps"]["3"] == 1 and data["open_tickets"] == 1 and data["daily_activations"][-1] == [today.isoformat(), 1]
