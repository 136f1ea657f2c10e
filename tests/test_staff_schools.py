"""Staff by school: a school's staff act on its families, tickets and figures only; another school's family looks
exactly like an unknown identifier, a forged button with its account is stale, a member of two schools picks."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import AsyncIterator

import pytest
from PIL import Image

from conversations.common import StaffConfig
from conversations.texts import STALE_BUTTON
from sandbox.driver import Person
from sandbox.server import SandboxServer
from storage.accounts import Account
from storage.schools import DEFAULT_UAI
from storage.tickets import NewMessage
from tests import flows
from tests.conftest import (
    OTHER_STAFF_CHAT_ID,
    OTHER_STAFF_ID,
    OTHER_UAI,
    STAFF_CHAT_ID,
    STAFF_ID,
    Harness,
    running_bot,
    two_schools,
)

OTHER_FAMILY = {**flows.ACCOUNT, "identifiant": "marc.moulin", "mot_de_passe_provisoire": "Prov-Moulin1",
                "nom": "Moulin", "prenom": "Marc", "uai": OTHER_UAI}
UNKNOWN = "personne.inconnue"
ACCOUNT_COMMANDS = ("compte", "debloquer", "reinitialiser", "lettre")


@pytest.fixture
async def two(sandbox_server: SandboxServer, tmp_path: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    """Two collèges: jean.dupont12 is the usual one's family, marc.moulin Jean Moulin's."""
    async with running_bot(sandbox_server, tmp_path, school_list=two_schools()) as harness:
        await harness.import_accounts([{**flows.ACCOUNT, "uai": DEFAULT_UAI}, OTHER_FAMILY])
        yield harness


def audit_rows(bot: Harness, actor: str) -> list[tuple[str, int | None, str | None]]:
    """(event, account, school) of every audit row by `actor`, from the file."""
    conn = sqlite3.connect(bot.settings.database)
    try:
        return [(r[0], r[1], r[2]) for r in conn.execute(
            "SELECT event, account_id, uai FROM audit WHERE actor = ? ORDER BY id", (actor,)).fetchall()]
    finally:
        conn.close()


async def account(bot: Harness, identifier: str = flows.IDENTIFIER) -> Account:
    found = await bot.store.accounts.find(identifier)
    assert found is not None
    return found


async def test_another_school_s_family_answers_exactly_as_an_unknown_identifier(two: Harness) -> None:
    bot = two
    other = await bot.secretary("Odile", user_id=OTHER_STAFF_ID)
    before = await account(bot)
    for command in ACCOUNT_COMMANDS:
        await other.send(f"/{command} {flows.IDENTIFIER}")
        theirs = await other.last()
        await other.send(f"/{command} {UNKNOWN}")
        unknown = await other.last()
        assert theirs.text.replace(flows.IDENTIFIER, "X") == unknown.text.replace(UNKNOWN, "X"), command
        assert "Aucun compte" in theirs.text and theirs.buttons == unknown.buttons == []
    # Nothing done, nothing recorded: an unknown identifier leaves no audit row either.
    assert await account(bot) == before
    assert audit_rows(bot, f"staff:{OTHER_STAFF_ID}") == []
    # Their own family: the card, and its audit row names their school.
    await other.send("/compte marc.moulin")
    assert "Compte marc.moulin — Marc Moulin" in await other.text()
    moulin = await account(bot, "marc.moulin")
    assert audit_rows(bot, f"staff:{OTHER_STAFF_ID}") == [("account_viewed", moulin.id, OTHER_UAI)]
    # And the other way round.
    usual = await bot.secretary()
    await usual.send("/compte marc.moulin")
    assert "Aucun compte « marc.moulin »" in await usual.text()
    await usual.send(f"/compte {flows.IDENTIFIER}")
    assert "Compte jean.dupont12 — Jean Dupont" in await usual.text()
    assert audit_rows(bot, f"staff:{STAFF_ID}") == [("account_viewed", before.id, DEFAULT_UAI)]


async def test_forged_staff_and_letter_buttons_with_another_school_s_account_are_stale(two: Harness) -> None:
    bot = two
    usual = await bot.secretary()
    await usual.send(f"/reinitialiser {flows.IDENTIFIER}")  # the usual collège's own confirmation, seen by no one else
    target = await account(bot)
    other = await bot.secretary("Odile", user_id=OTHER_STAFF_ID)
    await other.send("/compte marc.moulin")
    card = await other.last()
    i, rev = target.id, target.revision
    forged = [f"staff:reset_ok:{i}:{rev}", f"staff:reset_ok:{i}:{rev}:{DEFAULT_UAI}", f"staff:reset_ok:{i}:{rev}:{OTHER_UAI}",
              f"staff:reset:{i}", f"staff:reset_check:{i}", f"staff:unlock:{i}", f"staff:unlock:{i}:{OTHER_UAI}",
              f"staff:reset:{i}:{DEFAULT_UAI}", f"letter:ok:{i}:{rev}", f"letter:ok:{i}:{rev}:{DEFAULT_UAI}"]
    for data in forged:
        assert await other.click_data(card.message_id, data) == STALE_BUTTON, data
        # The same as for an account that does not exist.
        assert await other.click_data(card.message_id, data.replace(f":{i}", ":999999", 1)) == STALE_BUTTON
    assert await account(bot) == target
    assert [m.kind for m in await other.messages() if m.from_bot] == ["text"]  # the card only: no letter, no password
    assert audit_rows(bot, f"staff:{OTHER_STAFF_ID}") == [("account_viewed", (await account(bot, "marc.moulin")).id,
                                                           OTHER_UAI)]
    # The usual collège's own button still works, and its rows name its school.
    await usual.click("✅ Oui, réinitialiser")
    assert (await account(bot)).state == "reset"
    assert [(e, u) for e, _, u in audit_rows(bot, f"staff:{STAFF_ID}")] == [("reset_asked", DEFAULT_UAI),
                                                                            ("reset", DEFAULT_UAI)]


async def test_a_school_s_staff_group_acts_for_its_school_and_stats_are_the_school_s(two: Harness) -> None:
    bot = two
    await bot.import_accounts([{**flows.ACCOUNT, "identifiant": "lea.martin", "mot_de_passe_provisoire": "Prov-2b",
                                "uai": DEFAULT_UAI}])
    await flows.activate(await bot.parent("Jean"))  # the usual collège's: 2 accounts, 1 activated
    nadia = await bot.sandbox.person("Nadia")  # a member of Jean Moulin's group, named nowhere
    group = await bot.staff_group(nadia, chat_id=OTHER_STAFF_CHAT_ID)
    await nadia.send(f"/compte {flows.IDENTIFIER}", chat=group)
    assert "Aucun compte « jean.dupont12 »" in (await group.last()).text
    await nadia.send("/debloquer marc.moulin", chat=group)
    assert "marc.moulin" in (await group.last()).text and "Aucun compte" not in (await group.last()).text
    await nadia.send("/stats", chat=group)
    messages = [m for m in await group.messages() if m.from_bot]
    figures = messages[-1].text
    assert "Comptes importés : 1" in figures and "activés : 0   à activer : 1" in figures
    photo = messages[-2]
    assert photo.kind == "photo" and photo.file_id is not None
    _, png = await bot.sandbox.file(photo.file_id)
    with Image.open(io.BytesIO(png)) as image:
        assert "Collège Jean Moulin" in image.info["Title"]
    usual = await bot.secretary()
    await usual.send("/stats")
    mine = [m for m in await usual.messages() if m.from_bot]
    assert "Comptes importés : 2" in mine[-1].text and "activés : 1   à activer : 1" in mine[-1].text
    assert mine[-2].file_id is not None
    _, png = await bot.sandbox.file(mine[-2].file_id)
    with Image.open(io.BytesIO(png)) as image:
        assert "Collège Léonard de Vinci" in image.info["Title"]
    assert ("stats_viewed", None, OTHER_UAI) in audit_rows(bot, f"staff:{nadia.user_id}")
    assert ("unlocked", (await account(bot, "marc.moulin")).id, OTHER_UAI) in audit_rows(bot, f"staff:{nadia.user_id}")


async def _ticket(bot: Harness, uid: int, name: str, uai: str) -> int:
    """A family's open ticket of school `uai` (the help desk records which school; here written directly)."""
    ticket, _ = await bot.store.tickets.submit(uid, name, None, None, "contexte", False, NewMessage("text", "Bonjour"),
                                               None)
    conn = sqlite3.connect(bot.settings.database)
    with conn:
        conn.execute("UPDATE tickets SET uai = ? WHERE id = ?", (uai, ticket.id))
    conn.close()
    return ticket.id


async def test_tickets_lists_the_school_s_open_tickets_only(two: Harness) -> None:
    bot = two
    mine = await _ticket(bot, 5001, "Famille Vinci", DEFAULT_UAI)
    theirs = await _ticket(bot, 5002, "Famille Moulin", OTHER_UAI)
    usual = await bot.secretary()
    await usual.send("/tickets")
    listed = await usual.text()
    assert f"n°{mine}" in listed and "Famille Vinci" in listed
    assert f"n°{theirs}" not in listed and "Famille Moulin" not in listed
    other = await bot.secretary("Odile", user_id=OTHER_STAFF_ID)
    await other.send("/tickets")
    listed = await other.text()
    assert f"n°{theirs}" in listed and "Famille Moulin" in listed and "Famille Vinci" not in listed


@pytest.fixture
async def both(sandbox_server: SandboxServer, tmp_path: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    """The usual secretary is staff of both collèges; lea.both is a family of both, paul.moulin of Jean Moulin only."""
    schools = two_schools(staff=StaffConfig(frozenset({OTHER_STAFF_ID, STAFF_ID}), OTHER_STAFF_CHAT_ID))
    async with running_bot(sandbox_server, tmp_path, school_list=schools) as harness:
        lea = {**flows.ACCOUNT, "identifiant": "lea.both", "mot_de_passe_provisoire": "Prov-Both1", "nom": "Both"}
        await harness.import_accounts([{**flows.ACCOUNT, "uai": DEFAULT_UAI}, {**lea, "uai": DEFAULT_UAI}])
        await harness.import_accounts([OTHER_FAMILY, {**lea, "uai": OTHER_UAI},
                                       {**OTHER_FAMILY, "identifiant": "paul.moulin", "mot_de_passe_provisoire": "P-1a"}])
        yield harness


async def _pick(person: Person, school: str) -> None:
    picker = await person.last()
    assert picker.text.startswith("Vous êtes membre de l'équipe de plusieurs établissements")
    assert [b["text"] for row in picker.buttons for b in row] == ["Collège Léonard de Vinci", "Collège Jean Moulin"]
    assert await person.click(school) is None


async def test_a_member_of_two_schools_picks_the_school(both: Harness) -> None:
    bot = both
    secretary = await bot.secretary()
    await secretary.send("/stats")
    await _pick(secretary, "Collège Jean Moulin")
    assert "Comptes importés : 3" in await secretary.text()  # marc, paul, lea
    await secretary.send("/stats")
    await _pick(secretary, "Collège Léonard de Vinci")
    assert "Comptes importés : 2" in await secretary.text()  # jean, lea
    # A family of one of their schools: no question.
    await secretary.send(f"/compte {flows.IDENTIFIER}")
    assert "Compte jean.dupont12" in await secretary.text()
    # A family of both: which school they act for.
    await secretary.send("/compte lea.both")
    await _pick(secretary, "Collège Jean Moulin")
    assert "Compte lea.both" in await secretary.text()
    lea = await account(bot, "lea.both")
    await secretary.send("/reinitialiser lea.both")
    await _pick(secretary, "Collège Léonard de Vinci")
    await secretary.click("✅ Oui, réinitialiser")
    assert (await account(bot, "lea.both")).state == "reset"
    rows = [(e, u) for e, a, u in audit_rows(bot, f"staff:{STAFF_ID}") if a == lea.id]
    assert rows == [("account_viewed", OTHER_UAI), ("reset_asked", DEFAULT_UAI), ("reset", DEFAULT_UAI)]
    assert [u for e, _, u in audit_rows(bot, f"staff:{STAFF_ID}") if e == "stats_viewed"] == [OTHER_UAI, DEFAULT_UAI]


async def test_a_pick_button_is_checked_again_and_a_restart_makes_it_stale(both: Harness) -> None:
    bot = both
    secretary = await bot.secretary()
    await secretary.send("/debloquer lea.both")
    picker = await secretary.last()
    await bot.restart()  # the identifier waited in memory: gone
    assert await secretary.click("Collège Jean Moulin", in_message=picker.message_id) == STALE_BUTTON
    assert [e for e, _, _ in audit_rows(bot, f"staff:{STAFF_ID}")] == []
    # Jean Moulin's own secretary cannot pick the usual collège, nor its family.
    other = await bot.secretary("Odile", user_id=OTHER_STAFF_ID)
    await other.send("/stats")
    figures = await other.last()
    assert "Comptes importés : 3" in figures.text  # one school: no question
    assert await other.click_data(figures.message_id, f"pick:stats:{DEFAULT_UAI}") == STALE_BUTTON
    assert await other.click_data(figures.message_id, f"pick:tickets:{DEFAULT_UAI}") == STALE_BUTTON
    assert await other.click_data(figures.message_id, f"pick:compte:{DEFAULT_UAI}") == STALE_BUTTON
    assert "Comptes importés : 2" not in await other.all_text()


async def test_with_one_school_audit_rows_name_it(bot: Harness, parent: Person) -> None:
    secretary = await bot.secretary()
    await secretary.send(f"/compte {flows.IDENTIFIER}")
    await secretary.send("/stats")
    await secretary.send(f"/debloquer {flows.IDENTIFIER}")
    assert [(e, u) for e, _, u in audit_rows(bot, f"staff:{STAFF_ID}")] == [
        ("account_viewed", DEFAULT_UAI), ("stats_viewed", DEFAULT_UAI), ("unlocked", DEFAULT_UAI)]
    group = await bot.staff_group(secretary, chat_id=STAFF_CHAT_ID)
    await secretary.send("/tickets", chat=group)
    assert "Aucune demande ouverte" in (await group.last()).text


async def test_a_family_of_two_schools_card_shows_each_school_only_its_own_staff_s_actions(two: Harness) -> None:
    """Vinci's secretary looks at a family of both schools; Jean Moulin's card of it says nothing of that view,
    nor of Vinci's ticket actions; the family's own events show to both."""
    await two.import_accounts([{**flows.ACCOUNT, "uai": OTHER_UAI}])  # the same family, now in both schools
    vinci = await two.secretary("Sylvie")
    moulin = await two.secretary("Odile", user_id=OTHER_STAFF_ID)
    await vinci.send(f"/compte {flows.IDENTIFIER}")
    await vinci.send(f"/compte {flows.IDENTIFIER}")
    await moulin.send(f"/compte {flows.IDENTIFIER}")
    card = await moulin.text()
    assert card.count("fiche consultée") == 0 and f"staff:{STAFF_ID}" not in card
    await vinci.send(f"/compte {flows.IDENTIFIER}")
    assert (await vinci.text()).count("fiche consultée") == 2  # Vinci's two earlier views, not Moulin's
    assert f"staff:{OTHER_STAFF_ID}" not in await vinci.text()
