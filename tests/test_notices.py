"""Announcements as families and staff see them: subscribing, writing, previewing, publishing, within limits."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sandbox.driver import Msg, Person
from sandbox.server import SandboxServer
from tests import flows
from tests.conftest import CHANNEL_ID, Harness, running_bot
from tests.waiting import eventually

pytestmark = pytest.mark.both_engines  # notices and their deliveries, on SQLite and on PostgreSQL

BOLD = [{"type": "bold", "offset": 0, "length": 7}, {"type": "italic", "offset": 27, "length": 6}]
NOTICE = "Réunion parents-professeurs jeudi 4 décembre à 18 h, au réfectoire."


@pytest.fixture(autouse=True)
async def telegram_limits(sandbox_server: SandboxServer) -> None:
    """Every test here runs with the sandbox's flood limits on: 30/s overall, 1/s per chat, 429 beyond."""
    sandbox_server.world.rate.enabled = True


async def subscribers(bot: Harness, count: int) -> list[Person]:
    """Families who subscribed earlier (the menu's button is tested on its own below)."""
    people = []
    for i in range(count):
        person = await bot.parent(f"Parent{i}")
        await bot.store.subscribers.subscribe(person.user_id, person.first_name)
        people.append(person)
    return people


async def copies(person: Person) -> list[Msg]:
    return [m for m in await person.messages() if m.from_bot and NOTICE[:20] in m.text]


async def write_notice(author: Person, text: str = NOTICE, entities: list[dict[str, object]] | None = None) -> None:
    await author.send("/annonce")
    assert "Envoyez-moi maintenant l'annonce" in await author.text()
    await author.send(text, entities=entities)


async def all_sent(bot: Harness, notice_id: int = 1) -> bool:
    figures = await bot.store.notices.figures(notice_id)
    return figures.left == 0


async def test_parents_subscribe_from_the_menu_and_after_activation(bot: Harness, parent: Person) -> None:
    await parent.send("/start")
    await parent.click("📣 Recevoir les annonces du collège")
    # This bot has no QUIET_HOURS: the confirmation promises none.
    assert "les annonces du collège" in await parent.text() and "Jamais entre" not in await parent.text()
    await parent.send("/start")
    await parent.click("🔕 Ne plus recevoir les annonces")
    assert "Vous ne recevrez plus les annonces" in await parent.text()
    assert not await bot.store.subscribers.is_active(parent.user_id)
    await flows.activate(parent)
    assert "📣 Recevoir les annonces du collège" in (await parent.last()).button_texts
    await parent.click("📣 Recevoir les annonces du collège")
    assert await bot.store.subscribers.is_active(parent.user_id)


async def test_a_notice_is_previewed_then_published_to_the_channel_and_every_subscriber(bot: Harness) -> None:
    channel = await bot.channel()
    families = await subscribers(bot, 3)
    bystander = await bot.parent("Pas abonné")
    await bystander.send("/start")
    secretary = await bot.secretary()
    await write_notice(secretary, entities=BOLD)
    preview, control = (await secretary.messages())[-2:]
    assert preview.text == NOTICE and preview.entities == BOLD  # exactly as parents will see it
    assert "Aperçu" in control.text and "à 3 familles abonnées" in control.text and "Annonces du collège" in control.text
    assert await copies(families[0]) == []  # nothing goes before the author says so
    limited = (await bot.sandbox.stats())["rate_limited"]
    await secretary.click("📣 Publier maintenant")
    await eventually(lambda: all_sent(bot))
    for family in families:
        [copy] = await copies(family)
        assert copy.text == NOTICE and copy.entities == BOLD
    assert await copies(bystander) == []
    [posted] = [m for m in await channel.messages() if NOTICE in m.text]
    assert posted.entities == BOLD
    await eventually(lambda: _control_says(secretary, "Annonce n°1 envoyée"))
    assert "3 reçues, 0 échec, 0 restante" in (await secretary.messages())[-1].text
    assert (await bot.sandbox.stats())["rate_limited"] == limited  # the broadcast kept within Telegram's limits


async def _control_says(author: Person, words: str) -> bool:
    return any(words in m.text for m in await author.messages())


async def test_a_photo_with_its_caption_goes_as_it_is(bot: Harness) -> None:
    await bot.channel()
    [family] = await subscribers(bot, 1)
    secretary = await bot.secretary()
    await secretary.send("/annonce")
    await secretary.send_photo(caption="Photo de classe : commandes avant vendredi")
    await secretary.click("📣 Publier maintenant")
    await eventually(lambda: all_sent(bot))
    received = [m for m in await family.messages() if m.kind == "photo"]
    assert [m.text for m in received] == ["Photo de classe : commandes avant vendredi"]


async def test_only_staff_write_notices(bot: Harness, parent: Person) -> None:
    [family] = await subscribers(bot, 1)
    await parent.send("/nimportequoi")
    unknown = await parent.text()
    await parent.send("/annonce")
    assert await parent.text() == unknown
    await parent.send("Fermeture du collège demain")  # not taken as a notice
    assert "Je n'ai pas compris" in await parent.text()
    secretary = await bot.secretary()
    await write_notice(secretary)
    control = await secretary.last()
    toast = await parent.click_data(control.message_id, "notice:publish:1")
    assert toast == "Ce bouton n'est plus valable. Utilisez les boutons du dernier message."
    notice = await bot.store.notices.get(1)
    assert notice is not None and notice.state == "draft"
    assert await copies(family) == []


async def test_an_empty_unsupported_or_too_long_notice_is_refused_and_still_awaited(bot: Harness) -> None:
    secretary = await bot.secretary()
    await secretary.send("/annonce")
    await secretary.send_sticker()
    assert "Une annonce est un texte, une photo ou un document" in await secretary.text()
    await secretary.send_voice()
    assert "Une annonce est un texte" in await secretary.text()
    await secretary.send("é" * 4097)
    assert "Le texte fait 4097 caractères ; Telegram en accepte 4096 au plus" in await secretary.text()
    await secretary.send("   ")
    assert "Cette annonce est vide" in await secretary.text()
    await secretary.send("/annuler")
    assert "Annonce abandonnée" in await secretary.text()
    await secretary.send(NOTICE)  # no longer awaited: an ordinary message
    assert "Aperçu" not in await secretary.text()
    await secretary.send("/annonce")
    bot.clock.advance(timedelta(hours=2))  # typed yesterday, say, and never followed up
    await secretary.send("Bonjour, une question sur un compte")
    assert "Aperçu" not in await secretary.text()


async def test_a_notice_scheduled_the_french_way_goes_at_its_time(bot: Harness) -> None:
    await bot.channel()
    [family] = await subscribers(bot, 1)
    secretary = await bot.secretary()
    await write_notice(secretary)
    await secretary.click("🕒 Programmer")
    assert "Quand faut-il publier" in await secretary.text()
    await secretary.send("jeudi prochain vers midi")
    assert "Je n'ai pas compris cette date" in await secretary.text()
    await secretary.send("01/09/2025 8h00")
    assert "Ce moment est déjà passé (01/09/2025 à 08:00)" in await secretary.text()
    tomorrow = (bot.clock.now().astimezone(ZoneInfo("Europe/Paris")) + timedelta(days=1)).strftime("%d/%m/%Y")
    await secretary.send("demain 7h30")
    assert f"programmée pour le {tomorrow} à 07:30" in await secretary.text()
    await secretary.send("/annonces")
    assert "programmée pour" in await secretary.text() and "✖ Annuler la n°1" in (await secretary.last()).button_texts
    await bot.broadcaster.step()
    assert await copies(family) == []  # not before its time
    bot.clock.advance(timedelta(days=2))
    await bot.broadcaster.step()
    await eventually(lambda: all_sent(bot))
    assert len(await copies(family)) == 1


async def test_a_scheduled_notice_can_be_cancelled_before_it_goes(bot: Harness) -> None:
    [family] = await subscribers(bot, 1)
    secretary = await bot.secretary()
    await write_notice(secretary)
    await secretary.click("🕒 Programmer")
    await secretary.send("demain 9h")
    colleague = await bot.sandbox.person("Marc")
    await bot.staff_group(secretary, colleague)
    await colleague.send("/annonces")  # a colleague may call off a scheduled notice
    await colleague.click("✖ Annuler la n°1")
    assert "l'annonce n°1 ne partira pas" in await colleague.text()
    bot.clock.advance(timedelta(days=2))
    await bot.broadcaster.step()
    assert await copies(family) == []
    notice = await bot.store.notices.get(1)
    assert notice is not None and notice.state == "cancelled"


async def test_an_unreachable_channel_stops_everything_until_the_author_chooses(bot: Harness) -> None:
    [family] = await subscribers(bot, 1)  # the channel was never created: Telegram does not know it
    secretary = await bot.secretary()
    await write_notice(secretary)
    assert "Le canal des annonces ne pourra pas la recevoir" in await secretary.text()  # said before publishing
    await secretary.click("📣 Publier maintenant")
    warning = await secretary.last()
    assert "Le canal des annonces n'a pas reçu l'annonce" in warning.text
    assert "Rien n'a été envoyé aux familles" in warning.text
    await bot.broadcaster.step()
    assert await copies(family) == []
    await secretary.click("📣 Publier aux familles seulement")
    await eventually(lambda: all_sent(bot))
    assert len(await copies(family)) == 1


async def test_a_channel_where_the_bot_is_no_admin_is_reported(bot: Harness) -> None:
    channel = await bot.channel()
    await bot.sandbox._post("admins", {"chat_id": CHANNEL_ID, "user_id": 7000000001, "admin": False})
    secretary = await bot.secretary()
    await write_notice(secretary)
    assert "le bot n'y est pas administrateur" in await secretary.text()
    await secretary.click("📣 Publier maintenant")
    assert "administrateur du canal" in await secretary.text()
    assert await channel.messages() == []


async def test_a_subscriber_who_blocked_the_bot_is_unsubscribed_at_the_first_refusal(bot: Harness) -> None:
    await bot.channel()
    stays, leaves = await subscribers(bot, 2)
    await leaves.block_bot()
    secretary = await bot.secretary()
    await write_notice(secretary)
    await secretary.click("📣 Publier maintenant")
    await eventually(lambda: all_sent(bot))
    await eventually(lambda: _control_says(secretary, "Annonce n°1 envoyée"))
    text = (await secretary.messages())[-1].text
    assert "1 reçue, 1 échec, 0 restante" in text and "1 ont bloqué le bot" in text
    assert not await bot.store.subscribers.is_active(leaves.user_id)
    assert await bot.store.subscribers.is_active(stays.user_id)
    await secretary.send("/annonces")
    assert "1 reçue(s), 1 échec(s), 0 restante(s)" in await secretary.text()


async def test_a_flood_answer_pauses_the_delivery_and_nobody_is_missed(bot: Harness) -> None:
    await bot.channel()
    families = await subscribers(bot, 6)
    secretary = await bot.secretary()
    await write_notice(secretary)
    limited = (await bot.sandbox.stats())["rate_limited"]
    # Telegram answers 429 to the fourth family's copy (after the channel's and three families').
    await bot.sandbox.fault("copyMessage", status=429, after=4, retry_after=1)
    await secretary.click("📣 Publier maintenant")
    await eventually(lambda: all_sent(bot))
    assert [len(await copies(f)) for f in families] == [1] * 6
    assert (await bot.sandbox.stats())["rate_limited"] == limited + 1


async def test_quiet_hours_hold_parents_deliveries_not_the_channel(sandbox_server: SandboxServer, tmp_path: Path) -> None:
    now = datetime.now(ZoneInfo("Europe/Paris"))
    quiet = ((now - timedelta(hours=1)).time().replace(second=0, microsecond=0),
             (now + timedelta(hours=1)).time().replace(second=0, microsecond=0))
    async with running_bot(sandbox_server, tmp_path, quiet_hours=quiet) as bot:
        channel = await bot.channel()
        [family] = await subscribers(bot, 1)
        secretary = await bot.secretary()
        await write_notice(secretary)
        await secretary.click("📣 Publier maintenant")
        await bot.broadcaster.step()
        assert any(NOTICE in m.text for m in await channel.messages())
        assert await copies(family) == []
        await eventually(lambda: _control_says(secretary, "Heures calmes : les familles la recevront à partir de "
                                          + quiet[1].strftime("%H:%M")))
        bot.clock.advance(timedelta(hours=1, minutes=5))
        bot.broadcaster.wake()
        await eventually(lambda: all_sent(bot))
        assert len(await copies(family)) == 1


# -- a channel post is recorded before it is made: never two copies (issue 10, point 12) -----------------


async def channel_copies(bot: Harness, author: Person) -> int:
    """How many copies of the author's notice message the channel holds (the sandbox counts them)."""
    source = next(m for m in reversed(await author.messages()) if not m.from_bot and NOTICE[:20] in m.text)
    return (await bot.sandbox.copies(author.user_id, source.message_id)).get(CHANNEL_ID, 0)


async def test_a_lost_channel_answer_then_a_second_click_and_a_restart_post_once(bot: Harness) -> None:
    await bot.channel()
    [family] = await subscribers(bot, 1)
    secretary = await bot.secretary()
    await write_notice(secretary)
    control = await secretary.last()
    await bot.sandbox.fault("copyMessage", status=502, late=True)  # posted, but the answer is lost
    await secretary.click("📣 Publier maintenant")
    assert "n'a pas confirmé la publication" in await secretary.text()
    assert await channel_copies(bot, secretary) == 1 and await copies(family) == []
    await secretary.click_data(control.message_id, "notice:publish:1")  # clicked again, as an impatient author does
    assert await channel_copies(bot, secretary) == 1
    await bot.restart()
    await secretary.click_data(control.message_id, "notice:publish:1")
    assert await channel_copies(bot, secretary) == 1
    assert "n'a pas confirmé la publication" in await secretary.text()
    await secretary.click("✅ Elle est dans le canal : envoyer aux familles")
    await eventually(lambda: all_sent(bot))
    assert await channel_copies(bot, secretary) == 1 and len(await copies(family)) == 1


async def test_a_post_that_never_reached_the_channel_is_made_when_the_author_says_so(bot: Harness) -> None:
    await bot.channel()
    [family] = await subscribers(bot, 1)
    secretary = await bot.secretary()
    await write_notice(secretary)
    await bot.sandbox.fault("copyMessage", status=502)  # lost on the way there: nothing posted
    await secretary.click("📣 Publier maintenant")
    assert "n'a pas confirmé la publication" in await secretary.text()
    assert await channel_copies(bot, secretary) == 0
    await secretary.click("🔁 Elle n'y est pas : la publier dans le canal")
    await eventually(lambda: all_sent(bot))
    assert await channel_copies(bot, secretary) == 1 and len(await copies(family)) == 1
