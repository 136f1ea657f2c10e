"""A family's data with several schools: /mesdonnees school by school, /confidentialite names its own school(s)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sandbox.server import SandboxServer
from storage.schools import DEFAULT_UAI
from storage.tickets import NewMessage
from tests import flows
from tests.conftest import CONTACT, OTHER_CONTACT, OTHER_UAI, Harness, running_bot, two_schools


@pytest.fixture
async def two(sandbox_server: SandboxServer, tmp_path: Path) -> AsyncIterator[Harness]:
    """jean.dupont12 is a family of both collèges (two children), marc.moulin of Jean Moulin only."""
    async with running_bot(sandbox_server, tmp_path, school_list=two_schools()) as harness:
        await harness.import_accounts([{**flows.ACCOUNT, "uai": DEFAULT_UAI}])
        await harness.import_accounts([{**flows.ACCOUNT, "uai": OTHER_UAI},
                                       {**flows.ACCOUNT, "identifiant": "marc.moulin", "mot_de_passe_provisoire": "P-Marc1",
                                        "uai": OTHER_UAI}])
        yield harness


def _subscriptions(bot: Harness, uid: int, active: dict[str, int]) -> None:
    """What the notices record of a family's subscriptions, school by school (their table, written here directly)."""
    conn = sqlite3.connect(bot.settings.database)
    with conn:
        conn.execute("INSERT INTO subscribers (telegram_user_id, first_name, active, subscribed_at)"
                     " VALUES (?, 'Amina', 1, '2026-09-01T08:00:00+00:00')", (uid,))
        for uai, on in active.items():
            conn.execute("INSERT INTO subscriber_schools (telegram_user_id, uai, active, changed_at)"
                         " VALUES (?, ?, ?, '2026-09-02T08:00:00+00:00')", (uid, uai, on))
    conn.close()


async def test_my_data_shows_each_school_and_the_notice_names_the_family_s_schools(two: Harness) -> None:
    bot = two
    parent = await bot.parent()
    await flows.activate(parent)
    _subscriptions(bot, parent.user_id, {DEFAULT_UAI: 1, OTHER_UAI: 0})
    ticket, _ = await bot.store.tickets.submit(parent.user_id, "Amina", None, None, "contexte", True,
                                               NewMessage("text", "Bonjour"), None)
    conn = sqlite3.connect(bot.settings.database)
    with conn:
        conn.execute("UPDATE tickets SET uai = ? WHERE id = ?", (OTHER_UAI, ticket.id))
    conn.close()
    await parent.send("/mesdonnees")
    text = await parent.text()
    assert "Établissement par établissement" in text
    assert "• Collège Léonard de Vinci : compte jean.dupont12; annonces : abonné." in text
    assert f"• Collège Jean Moulin : compte jean.dupont12; annonces : désabonné; demande(s) n°{ticket.id}." in text
    await parent.send("/confidentialite")
    notice = await parent.text()
    assert "Responsable : chacun de vos établissements" in notice and CONTACT in notice and OTHER_CONTACT in notice

    # A family of Jean Moulin only, midway: nothing of the other collège, and Jean Moulin is its controller.
    marc = await bot.parent("Marc")
    await flows.to_cgu(marc, "marc.moulin", "P-Marc1")
    await marc.send("/mesdonnees")
    text = await marc.text()
    assert "• Collège Jean Moulin : compte marc.moulin." in text and "Léonard de Vinci" not in text
    await marc.send("/confidentialite")
    notice = await marc.text()
    assert f"Responsable : le Collège Jean Moulin ({OTHER_CONTACT}, 2 avenue du Lac, 37400 Amboise)" in notice
    assert CONTACT not in notice and "Léonard de Vinci" not in notice
    # Someone the bot knows nothing of: their child's school, unnamed.
    stranger = await bot.parent("Inconnu")
    await stranger.send("/confidentialite")
    notice = await stranger.text()
    assert "Responsable : l'établissement de votre enfant" in notice and CONTACT not in notice
