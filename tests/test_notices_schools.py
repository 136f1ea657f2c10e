"""Notices with several schools: each school's notice reaches its own families and channel only, names its school,
keeps its school's quiet hours; families subscribe school by school; one pace shared fairly between schools."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from conversations.common import StaffConfig
from sandbox.driver import Msg, Person
from sandbox.server import SandboxServer
from storage.schools import DEFAULT_UAI
from tests import flows
from tests.conftest import (
    OTHER_CHANNEL_ID,
    OTHER_STAFF_CHAT_ID,
    OTHER_STAFF_ID,
    OTHER_UAI,
    STAFF_ID,
    Harness,
    running_bot,
    two_schools,
)
from tests.waiting import eventually

NOTICE = "Réunion parents-professeurs jeudi 4 décembre à 18 h, au réfectoire."
BOLD: list[dict[str, Any]] = [{"type": "bold", "offset": 0, "length": 7}, {"type": "italic", "offset": 27, "length": 6}]
VINCI, MOULIN = "Collège Léonard de Vinci", "Collège Jean Moulin"
STALE = "Ce bouton n'est plus valable. Utilisez les boutons du dernier message."


@pytest.fixture(autouse=True)
def telegram_limits(sandbox_server: SandboxServer) -> None:
    """Telegram's flood limits on: 30/s overall, 1/s per chat, 429 beyond."""
    sandbox_server.world.rate.enabled = True


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


async def copies(person: Person, words: str = NOTICE[:20]) -> list[Msg]:
    return [m for m in await person.messages() if m.from_bot and words in m.text and "Aperçu" not in m.text]


async def family(bot: Harness, name: str, *uais: str) -> Person:
    person = await bot.parent(name)
    await bot.store.subscribers.subscribe(person.user_id, name, list(uais))
    return person


async def write(author: Person, text: str = NOTICE, entities: list[dict[str, object]] | None = None) -> None:
    await author.send("/annonce")
    assert "Envoyez-moi maintenant l'annonce" in await author.text()
    await author.send(text, entities=entities)


async def forge(person: Person, data: str) -> str | None:
    """Presses a button carrying `data` under a message of the person's own chat, as a forged client could."""
    mine = [m for m in await person.messages() if m.from_bot]
    if not mine:
        await person.send("/aide")
        mine = [m for m in await person.messages() if m.from_bot]
    return await person.click_data(mine[-1].message_id, data)


async def left(bot: Harness, notice_id: int) -> int:
    return (await bot.store.notices.figures(notice_id)).left


async def test_a_schools_notice_reaches_its_families_and_channel_only_and_names_the_school(
        sandbox_server: SandboxServer, tmp_path: Path) -> None:
    async with running_bot(sandbox_server, tmp_path, school_list=two_schools()) as bot:
        vinci_channel, moulin_channel = await bot.channel(), await bot.channel(chat_id=OTHER_CHANNEL_ID)
        only_vinci = await family(bot, "Vinci", DEFAULT_UAI)
        only_moulin = await family(bot, "Moulin", OTHER_UAI)
        both = await family(bot, "LesDeux", DEFAULT_UAI, OTHER_UAI)
        secretary = await bot.secretary("Odile", user_id=OTHER_STAFF_ID)
        await write(secretary, entities=BOLD)
        preview, control = (await secretary.messages())[-2:]
        head = f"🏫 {MOULIN}\n\n"
        assert preview.text == head + NOTICE  # the preview is what families get: opened by the school's name
        assert "à 2 familles abonnées" in control.text  # Jean Moulin's subscribers, not the other collège's
        await secretary.click("📣 Publier maintenant")
        await eventually(lambda: left_is(bot, 1, 0))
        shift = utf16(head)
        for person in (only_moulin, both):
            [copy] = await copies(person)
            assert copy.text == head + NOTICE
            assert {"type": "bold", "offset": 3, "length": utf16(MOULIN)} in copy.entities
            assert all({**e, "offset": e["offset"] + shift} in copy.entities for e in BOLD)  # the author's formatting
        assert await copies(only_vinci) == []
        assert [m.text for m in await moulin_channel.messages()] == [head + NOTICE]
        assert await vinci_channel.messages() == []
        await eventually(lambda: says(secretary, "2 reçues, 0 échec, 0 restante"))

        # The other collège's notice: its own families, its own channel, its own name.
        colleague = await bot.secretary()
        await write(colleague, "Cantine fermée vendredi.")
        assert "à 2 familles abonnées" in (await colleague.last()).text
        await colleague.click("📣 Publier maintenant")
        await eventually(lambda: left_is(bot, 2, 0))
        for person in (only_vinci, both):
            assert [m.text for m in await copies(person, "Cantine")] == [f"🏫 {VINCI}\n\nCantine fermée vendredi."]
        assert await copies(only_moulin, "Cantine") == []
        assert [m.text for m in await vinci_channel.messages()] == [f"🏫 {VINCI}\n\nCantine fermée vendredi."]
        assert len(await moulin_channel.messages()) == 1


async def left_is(bot: Harness, notice_id: int, count: int) -> bool:
    notice = await bot.store.notices.get(notice_id)
    return notice is not None and notice.state != "draft" and await left(bot, notice_id) == count


async def says(person: Person, words: str) -> bool:
    return any(words in m.text for m in await person.messages())


async def test_another_schools_notice_is_an_unknown_one_to_staff(sandbox_server: SandboxServer, tmp_path: Path) -> None:
    async with running_bot(sandbox_server, tmp_path, school_list=two_schools()) as bot:
        await bot.channel()
        vinci_family = await family(bot, "Vinci", DEFAULT_UAI)
        author, other = await bot.secretary(), await bot.secretary("Odile", user_id=OTHER_STAFF_ID)
        await write(author)
        # Jean Moulin's secretary forges Vinci's buttons: each answers as a notice that does not exist.
        unknown = await forge(other, "notice:publish:99")
        assert unknown == STALE
        for action in ("publish", "parents_only", "schedule", "cancel", "unschedule", "channel_there"):
            assert await forge(other, f"notice:{action}:1") == unknown
        notice = await bot.store.notices.get(1)
        assert notice is not None and notice.state == "draft"
        await author.click("🕒 Programmer")
        await author.send("demain 9h")
        assert await forge(other, "notice:unschedule:1") == unknown
        notice = await bot.store.notices.get(1)
        assert notice is not None and notice.state == "scheduled"
        # /annonces lists each school's own notices.
        await other.send("/annonces")
        assert "Aucune annonce" in await other.text()
        await author.send("/annonces")
        assert "n°1" in await author.text() and "✖ Annuler la n°1" in (await author.last()).button_texts
        # Jean Moulin's staff group is not Vinci's staff: a member of it cannot call Vinci's notice off either.
        member = await bot.sandbox.person("Marc")
        await bot.staff_group(member, chat_id=OTHER_STAFF_CHAT_ID)
        assert await forge(member, "notice:unschedule:1") == unknown
        bot.clock.advance(timedelta(days=2))
        await bot.broadcaster.step()
        await eventually(lambda: left_is(bot, 1, 0))
        assert len(await copies(vinci_family)) == 1


async def test_a_member_of_two_schools_picks_the_notices_school(sandbox_server: SandboxServer, tmp_path: Path) -> None:
    both = two_schools(staff=StaffConfig(frozenset({OTHER_STAFF_ID, STAFF_ID}), OTHER_STAFF_CHAT_ID))
    async with running_bot(sandbox_server, tmp_path, school_list=both) as bot:
        await bot.channel(chat_id=OTHER_CHANNEL_ID)
        moulin_family = await family(bot, "Moulin", OTHER_UAI)
        vinci_family = await family(bot, "Vinci", DEFAULT_UAI)
        secretary, other = await bot.secretary(), await bot.secretary("Odile", user_id=OTHER_STAFF_ID)
        await secretary.send("/annonce")
        picker = await secretary.last()
        assert "pour lequel" in picker.text and picker.button_texts == [VINCI, MOULIN]
        # A member of one school only forges the other school's pick: nothing starts.
        assert await forge(other, f"pick:annonce:{DEFAULT_UAI}") == STALE
        assert await secretary.click_data(picker.message_id, "pick:annonce:0370001A") == STALE
        assert await bot.store.notices.get(1) is None
        await secretary.click(MOULIN)
        assert "Envoyez-moi maintenant l'annonce" in await secretary.text()
        await secretary.send(NOTICE)
        notice = await bot.store.notices.get(1)
        assert notice is not None and notice.uai == OTHER_UAI
        await secretary.click("📣 Publier maintenant")
        await eventually(lambda: left_is(bot, 1, 0))
        assert [m.text for m in await copies(moulin_family)] == [f"🏫 {MOULIN}\n\n{NOTICE}"]
        assert await copies(vinci_family) == []
        await secretary.send("/annonces")
        await secretary.click(MOULIN)
        assert "n°1" in await secretary.text()
        await secretary.send("/annonces")
        await secretary.click(VINCI)
        assert "Aucune annonce" in await secretary.text()


async def test_a_family_of_two_schools_gets_both_and_can_stop_one(sandbox_server: SandboxServer, tmp_path: Path) -> None:
    async with running_bot(sandbox_server, tmp_path, school_list=two_schools()) as bot:
        await bot.channel()
        await bot.channel(chat_id=OTHER_CHANNEL_ID)
        await flows.with_account(bot, uai=DEFAULT_UAI)
        await flows.with_account(bot, uai=OTHER_UAI)  # the same child's account in both collèges' lists
        parent = await bot.parent()
        await flows.activate(parent)
        await parent.click("📣 Recevoir les annonces du collège")  # the button at the end of the activation
        confirmation = await parent.text()
        assert VINCI in confirmation and MOULIN in confirmation
        assert set(await bot.store.subscribers.schools(parent.user_id)) == {DEFAULT_UAI, OTHER_UAI}
        await parent.send("/start")
        menu = (await parent.last()).button_texts
        assert f"🔕 Ne plus recevoir : {VINCI}" in menu and f"🔕 Ne plus recevoir : {MOULIN}" in menu
        await parent.click(f"🔕 Ne plus recevoir : {MOULIN}")
        assert f"Vous ne recevrez plus ici les annonces de {MOULIN}" in await parent.text()
        assert await bot.store.subscribers.schools(parent.user_id) == (DEFAULT_UAI,)
        await parent.send("/start")
        assert f"📣 Recevoir les annonces : {MOULIN}" in (await parent.last()).button_texts
        # Forged buttons: a school the deployment does not have changes nothing.
        last = await parent.last()
        for data in ("sub:on:0370001A", "sub:off:0370001A", "sub:off:XYZ", "sub:list:99"):
            assert await parent.click_data(last.message_id, data) == STALE
        assert await bot.store.subscribers.schools(parent.user_id) == (DEFAULT_UAI,)
        for author_id, name in ((OTHER_STAFF_ID, "Odile"), (STAFF_ID, "Sylvie")):
            author = await bot.secretary(name, user_id=author_id)
            await write(author, f"{NOTICE} ({name})")
            await author.click("📣 Publier maintenant")
        await eventually(lambda: left_is(bot, 2, 0))
        await eventually(lambda: left_is(bot, 1, 0))
        assert [m.text for m in await copies(parent)] == [f"🏫 {VINCI}\n\n{NOTICE} (Sylvie)"]


async def test_a_family_not_yet_known_picks_its_school_in_a_list(sandbox_server: SandboxServer, tmp_path: Path) -> None:
    async with running_bot(sandbox_server, tmp_path, school_list=two_schools()) as bot:
        parent = await bot.parent()
        await parent.send("/start")
        await parent.click("📣 Recevoir les annonces du collège")
        listing = await parent.last()
        assert "De quel établissement" in listing.text
        assert listing.button_texts[:2] == [MOULIN, VINCI]  # alphabetical: Jean before Léonard
        await parent.click(MOULIN)
        assert MOULIN in await parent.text() and VINCI not in await parent.text()
        assert await bot.store.subscribers.schools(parent.user_id) == (OTHER_UAI,)
        await parent.send("/start")
        menu = (await parent.last()).button_texts
        assert f"🔕 Ne plus recevoir : {MOULIN}" in menu and "📣 Recevoir les annonces d'un autre établissement" in menu
        await forge(parent, "sub:off")  # an old menu's button: every school's
        assert "Vous ne recevrez plus les annonces ici" in await parent.text()
        assert await bot.store.subscribers.schools(parent.user_id) == ()
        assert not await bot.store.subscribers.is_active(parent.user_id)


async def test_one_school_keeps_its_buttons_and_its_text(bot: Harness) -> None:
    """A single-school deployment: the same button, and the notice exactly as the author wrote it."""
    await bot.channel()
    parent = await bot.parent()
    await parent.send("/start")
    await parent.click("📣 Recevoir les annonces du collège")
    assert await bot.store.subscribers.schools(parent.user_id) == (DEFAULT_UAI,)
    secretary = await bot.secretary()
    await write(secretary)
    await secretary.click("📣 Publier maintenant")
    await eventually(lambda: left_is(bot, 1, 0))
    assert [m.text for m in await copies(parent)] == [NOTICE]


async def test_each_school_keeps_its_own_quiet_hours(sandbox_server: SandboxServer, tmp_path: Path) -> None:
    now = datetime.now(ZoneInfo("Europe/Paris"))
    quiet = ((now - timedelta(hours=1)).time().replace(second=0, microsecond=0),
             (now + timedelta(hours=1)).time().replace(second=0, microsecond=0))
    async with running_bot(sandbox_server, tmp_path, school_list=two_schools(quiet_hours=quiet)) as bot:
        await bot.channel()
        moulin_channel = await bot.channel(chat_id=OTHER_CHANNEL_ID)
        both = await family(bot, "LesDeux", DEFAULT_UAI, OTHER_UAI)
        for author_id, name in ((OTHER_STAFF_ID, "Odile"), (STAFF_ID, "Sylvie")):
            author = await bot.secretary(name, user_id=author_id)
            await write(author, f"{NOTICE} ({name})")
            await author.click("📣 Publier maintenant")
        await eventually(lambda: left_is(bot, 2, 0))  # Vinci has no quiet hours: its notice goes now
        await bot.broadcaster.step()
        assert [m.text for m in await copies(both)] == [f"🏫 {VINCI}\n\n{NOTICE} (Sylvie)"]
        assert await left(bot, 1) == 1  # Jean Moulin's waits for the end of its quiet hours; its channel has it
        assert len(await moulin_channel.messages()) == 1
        odile = await bot.secretary("Odile", user_id=OTHER_STAFF_ID)
        await eventually(lambda: says(odile, "Heures calmes : les familles la recevront à partir de "
                                      + quiet[1].strftime("%H:%M")))
        bot.clock.advance(timedelta(hours=1, minutes=5))
        bot.broadcaster.wake()
        await eventually(lambda: left_is(bot, 1, 0))
        assert len(await copies(both)) == 2


async def test_a_small_notice_of_one_school_is_not_queued_behind_a_big_one_of_another(
        sandbox_server: SandboxServer, tmp_path: Path) -> None:
    async with running_bot(sandbox_server, tmp_path, school_list=two_schools()) as bot:
        big, small = 300, 30
        await bot.channel()
        await bot.channel(chat_id=OTHER_CHANNEL_ID)
        vinci = await bot.sandbox.people(big)
        moulin = await bot.sandbox.people(small)
        for uid in vinci:
            await bot.store.subscribers.subscribe(uid, None, [DEFAULT_UAI])
        for uid in moulin:
            await bot.store.subscribers.subscribe(uid, None, [OTHER_UAI])
        sylvie, odile = await bot.secretary(), await bot.secretary("Odile", user_id=OTHER_STAFF_ID)
        await write(sylvie, "Grande annonce du collège Vinci.")
        await write(odile, "Petite annonce du collège Moulin.")
        _, since = await bot.sandbox.calls()
        await sylvie.click("📣 Publier maintenant")

        async def vinci_sent(n: int) -> bool:
            return (await bot.store.notices.figures(1)).sent >= n

        await eventually(lambda: vinci_sent(25))  # A's notice is well under way
        await odile.click("📣 Publier maintenant")
        await eventually(lambda: left_is(bot, 2, 0), timeout=60)
        await eventually(lambda: left_is(bot, 1, 0), timeout=60)
        calls, _ = await bot.sandbox.calls(since)
        order = [chat for _, method, chat in calls if method == "copyMessage" and chat in set(vinci) | set(moulin)]
        last_moulin = max(i for i, chat in enumerate(order) if chat in set(moulin))
        vinci_before = sum(1 for chat in order[:last_moulin] if chat in set(vinci))
        # Taken in turns: Moulin's 30 were all sent while most of Vinci's 300 were still to go.
        assert vinci_before < big // 2, vinci_before
        assert len(order) == big + small  # and each family got its copy once
        assert sorted(order) == sorted(vinci + moulin)


async def test_a_familys_subscriptions_school_by_school_are_in_its_data_and_erased_with_it(
        sandbox_server: SandboxServer, tmp_path: Path) -> None:
    async with running_bot(sandbox_server, tmp_path, school_list=two_schools()) as bot:
        parent = await family(bot, "LesDeux", DEFAULT_UAI, OTHER_UAI)
        await bot.store.subscribers.unsubscribe(parent.user_id, "asked", [OTHER_UAI])
        data = await bot.store.privacy.export(parent.user_id)
        held = {row["uai"]: row["active"] for row in data["subscription"]["schools"]}
        assert held == {DEFAULT_UAI: 1, OTHER_UAI: 0} and data["subscription"]["active"] == 1
        await parent.send("/mesdonnees")
        assert "abonné depuis le" in await parent.text()
        await parent.click("🗑 Effacer mes données")
        await parent.click("🗑 Oui, tout effacer")
        async with bot.store.db.read() as conn:
            rows = list(await conn.execute_fetchall("SELECT COUNT(*) FROM subscriber_schools WHERE telegram_user_id = ?",
                                                    (parent.user_id,)))
        assert rows[0][0] == 0 and not await bot.store.subscribers.is_active(parent.user_id)
        await parent.send("/mesdonnees")
        assert "Je ne garde rien sur vous" in await parent.text()


async def test_a_photos_caption_names_the_school_too(sandbox_server: SandboxServer, tmp_path: Path) -> None:
    async with running_bot(sandbox_server, tmp_path, school_list=two_schools()) as bot:
        channel = await bot.channel(chat_id=OTHER_CHANNEL_ID)
        moulin_family = await family(bot, "Moulin", OTHER_UAI)
        secretary = await bot.secretary("Odile", user_id=OTHER_STAFF_ID)
        await secretary.send("/annonce")
        await secretary.send_photo(caption="Photo de classe : commandes avant vendredi")
        await secretary.click("📣 Publier maintenant")
        await eventually(lambda: left_is(bot, 1, 0))
        await secretary.send("/annonce")
        await secretary.send_photo()  # no caption: the school's name alone
        await secretary.click("📣 Publier maintenant")
        await eventually(lambda: left_is(bot, 2, 0))
        received = [m.text for m in await moulin_family.messages() if m.kind == "photo"]
        assert received == [f"🏫 {MOULIN}\n\nPhoto de classe : commandes avant vendredi", f"🏫 {MOULIN}"]
        assert [m.text for m in await channel.messages()] == received
