"""The help desk with several schools: each ticket reaches its own school's staff group and mailbox, and no other's."""

from __future__ import annotations

import sqlite3
import string
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot.settings import SmtpSettings
from conversations import helpdesk, texts
from conversations.common import School, StaffConfig
from sandbox.driver import Chat, Person
from sandbox.server import SandboxServer
from sandbox.world import BOT_ID
from storage.letters import NewLetter, new_token
from storage.schools import DEFAULT_UAI, valid_uai
from tests import flows
from tests.conftest import (
    CONTACT,
    MAIL_FROM,
    OTHER_CONTACT,
    OTHER_STAFF_CHAT_ID,
    OTHER_STAFF_ID,
    OTHER_UAI,
    STAFF_CHAT_ID,
    Harness,
    running_bot,
    two_schools,
)
from tests.smtp import SmtpServer
from tests.test_helpdesk import header_of
from tests.waiting import eventually

WRITE = "✍️ Écrire au collège"
MOULIN = "Collège Jean Moulin — 2 avenue du Lac, 37400 Amboise"
VINCI = "Collège Léonard de Vinci — 1 rue de la Paix, 37000 Tours"
THIRD_UAI = "0371391L"
THIRD_CHAT_ID = -1009990021


def three_schools() -> tuple[School, ...]:
    usual, other = two_schools()
    third = replace(other, name="Collège Rabelais", uai=THIRD_UAI, contact_email="ce.0371391l@ac-orleans-tours.fr",
                    staff=StaffConfig(frozenset({777003}), THIRD_CHAT_ID), annonces_channel_id=None,
                    postal_address="3 place du Marché, 37500 Chinon")
    return usual, other, third


@pytest.fixture
async def bot(sandbox_server: SandboxServer, tmp_path: Path) -> AsyncIterator[Harness]:
    """The bot of two collèges: the usual one (Tours) and Collège Jean Moulin (Amboise)."""
    async with running_bot(sandbox_server, tmp_path, school_list=two_schools()) as harness:
        yield harness


@pytest.fixture
async def mail_bot(sandbox_server: SandboxServer, tmp_path: Path, smtp: SmtpServer) -> AsyncIterator[Harness]:
    settings = SmtpSettings(host="127.0.0.1", port=smtp.port, username=None, password=None, security="none",
                            mail_from=MAIL_FROM)
    async with running_bot(sandbox_server, tmp_path, school_list=two_schools(), smtp=settings) as harness:
        yield harness


async def staff_of_both(bot: Harness) -> tuple[Person, Chat, Person, Chat]:
    """Each collège's secretary, in its own staff group."""
    sylvie = await bot.secretary("Sylvie")
    karim = await bot.secretary("Karim", user_id=OTHER_STAFF_ID)
    return (sylvie, await bot.staff_group(sylvie), karim,
            await bot.staff_group(karim, chat_id=OTHER_STAFF_CHAT_ID))


async def headers(group: Chat) -> list[str]:
    return [m.text for m in await group.messages() if m.from_bot and m.text.startswith("🆘")]


async def write_found(person: Person, typed: str, school: str, text: str) -> None:
    """Someone the bot does not know: finds the school by typing part of its name or town, then writes."""
    await person.send("/start")
    await person.click(WRITE)
    await person.send(typed)
    await person.click(school)
    await person.send(text)


async def in_both_schools(bot: Harness) -> None:
    """The account of the guide's example, named in both collèges' files (one child at each)."""
    await bot.import_accounts([{**flows.ACCOUNT, "uai": DEFAULT_UAI}])
    await bot.import_accounts([{**flows.ACCOUNT, "uai": OTHER_UAI}])


# -- the school of the ticket: its group and its mailbox only -----------------------------------------


async def test_someone_not_known_finds_the_school_by_its_town_and_only_that_school_gets_the_ticket(
        mail_bot: Harness, smtp: SmtpServer) -> None:
    bot = mail_bot
    _, group_a, karim, group_b = await staff_of_both(bot)
    lea = await bot.parent("Léa")
    await lea.send("/start")
    await lea.click(WRITE)
    assert "Tapez une partie de son nom ou de sa ville" in await lea.text()
    await lea.send("AMBOISE")  # case does not matter
    assert (await lea.last()).button_texts == [MOULIN, texts.HELPDESK_NONE_OF_THESE, texts.BACK]
    await lea.click(MOULIN)
    prompt = await lea.text()
    assert "Écrire à : Collège Jean Moulin" in prompt and OTHER_CONTACT in prompt and CONTACT not in prompt
    await lea.send("Je n'ai pas reçu le courrier avec l'identifiant")
    assert "demande n°1" in await lea.text()

    header = await header_of(group_b, 1)
    assert "Je n'ai pas reçu le courrier" in header.text
    [mail] = await smtp.wait_for(1)
    assert mail["To"] == OTHER_CONTACT and "Je n'ai pas reçu le courrier" in str(mail.get_content())
    await bot.group_caught_up()
    assert await group_a.messages() == []

    # The answer from the collège's group reaches the family, and the header in that group says who took it.
    await karim.send("Nous vous le renvoyons par la poste", chat=group_b, reply_to=header.message_id)
    assert "Nous vous le renvoyons par la poste" in await lea.text()
    assert "Prise en charge par Karim" in (await header_of(group_b, 1)).text
    # A follow-up joins the ticket at its school: the group and the mailbox of Jean Moulin again, never Vinci's.
    await lea.send("Merci, c'est pour mon fils en 4C")
    await bot.group_caught_up()
    assert any("mon fils en 4C" in m.text for m in await group_b.messages())
    mails = await smtp.wait_for(2)
    assert [m["To"] for m in mails] == [OTHER_CONTACT, OTHER_CONTACT]
    assert await group_a.messages() == []


async def test_the_search_ignores_accents_and_case_and_none_of_these_points_to_the_ents_assistance(
        bot: Harness) -> None:
    _, group_a, _, group_b = await staff_of_both(bot)
    lea = await bot.parent("Léa")
    await lea.send("/aide")  # which school's address is theirs, the bot does not know yet: none is shown
    assert "Ou écrivez à" not in await lea.text() and "@" not in await lea.text()
    await lea.send("/start")
    await lea.click(WRITE)
    await lea.send("leonard de VINCÍ")
    assert (await lea.last()).button_texts == [VINCI, texts.HELPDESK_NONE_OF_THESE, texts.BACK]
    await lea.send("college")  # both: two buttons
    assert (await lea.last()).button_texts == [VINCI, MOULIN, texts.HELPDESK_NONE_OF_THESE, texts.BACK]
    await bot.restart()  # looking for the school survives a restart: what is typed next is still a search
    await lea.send("Saint-Cyr-sur-Loire")
    assert "Aucun établissement ne correspond" in await lea.text()
    assert (await lea.last()).button_texts == [texts.HELPDESK_NONE_OF_THESE, texts.BACK]
    await lea.send_photo(caption="l'écran")  # not a name: asked again, nothing sent anywhere
    assert "Tapez une partie de son nom ou de sa ville" in await lea.text()
    await lea.send("Bonjour, je voudrais savoir pourquoi mon compte ne marche pas depuis la rentrée")
    assert "votre message, vous l'écrirez juste après" in await lea.text()
    await lea.click(texts.HELPDESK_NONE_OF_THESE)
    said = await lea.text()
    assert said == texts.helpdesk_no_school("https://www.touraine-eschool.fr")  # one sentence, nothing else
    assert "page « Assistance » du site de l'ENT, https://www.touraine-eschool.fr" in said
    await lea.send("Bonjour ?")  # no longer writing: nothing to anyone
    assert "Je n'ai pas compris" in await lea.text()
    assert await bot.store.tickets.open_for(lea.user_id) is None
    assert await group_a.messages() == [] and await group_b.messages() == []


async def test_more_than_eight_schools_found_shows_eight_buttons(sandbox_server: SandboxServer,
                                                                 tmp_path: Path) -> None:
    usual, other = two_schools()
    many = [usual, other]
    for number in range(10):
        uai = next(u for u in (f"03720{number:02d}{c}" for c in string.ascii_uppercase) if valid_uai(u))
        many.append(replace(other, name=f"Collège Anne Frank {number}", uai=uai, staff=StaffConfig(),
                            postal_address=f"{number} rue Haute, 37000 Tours"))
    async with running_bot(sandbox_server, tmp_path, school_list=tuple(many)) as bot:
        lea = await bot.parent("Léa")
        await lea.send("/start")
        await lea.click(WRITE)
        await lea.send("tours")  # Vinci and the ten Anne Frank: eleven
        assert "11 établissements correspondent ; voici les 8 premiers" in await lea.text()
        shown = (await lea.last()).button_texts
        assert len(shown) == 8 + 2 and shown[0] == VINCI and shown[-2:] == [texts.HELPDESK_NONE_OF_THESE, texts.BACK]
        await lea.send("anne frank 7")
        assert (await lea.last()).button_texts[0] == "Collège Anne Frank 7 — 7 rue Haute, 37000 Tours"


# -- a family the bot knows: no question, or its own schools only --------------------------------------


async def test_a_family_that_proved_its_account_of_one_school_is_never_asked(bot: Harness) -> None:
    _, group_a, _, group_b = await staff_of_both(bot)
    await bot.import_accounts([{**flows.ACCOUNT, "uai": OTHER_UAI}])
    family = await bot.parent("Amina")
    await flows.to_cgu(family)  # the provisional password typed right: the account is theirs
    await family.send("/aide")
    assert f"Ou écrivez à {OTHER_CONTACT}" in await family.text() and CONTACT not in await family.text()
    await family.click(WRITE)
    assert "Écrire à : Collège Jean Moulin" in await family.text()
    await family.send("Je ne trouve pas la case pour l'adresse")
    header = await header_of(group_b, 1)
    assert "Identifiant : jean.dupont12 — compte à activer" in header.text
    assert "♻️ Réinitialiser" in header.button_texts  # the account tools: the account is this school's
    await bot.group_caught_up()
    assert await group_a.messages() == []


async def test_a_family_of_two_schools_picks_one_and_a_forged_school_is_refused(
        sandbox_server: SandboxServer, tmp_path: Path) -> None:
    async with running_bot(sandbox_server, tmp_path, school_list=three_schools()) as bot:
        _, group_a, _, group_b = await staff_of_both(bot)
        third = await bot.staff_group(await bot.secretary("Paul", user_id=777003), chat_id=THIRD_CHAT_ID)
        await in_both_schools(bot)
        family = await bot.parent("Amina")
        await flows.activate(family)
        await family.send("/start")
        await family.click(WRITE)
        question = await family.last()
        assert "Votre compte est lié à plusieurs établissements" in question.text
        assert question.button_texts == ["Collège Léonard de Vinci", "Collège Jean Moulin", texts.BACK]
        # A school that is not theirs, or none at all, pressed as a forged button: stale, nothing chosen.
        for forged in (f"helpdesk:school:{THIRD_UAI}", "helpdesk:school:0000001A", "helpdesk:school:x"):
            assert await family.click_data(question.message_id, forged) == texts.STALE_BUTTON
        await family.send("rabelais")  # typing a name does not open other schools to a known family
        assert (await family.last()).button_texts == ["Collège Léonard de Vinci", "Collège Jean Moulin", texts.BACK]
        await bot.restart()  # the choice, like the question, survives a restart
        await family.click("Collège Jean Moulin")
        assert "Écrire à : Collège Jean Moulin" in await family.text()
        assert await family.click_data(question.message_id, f"helpdesk:school:{DEFAULT_UAI}") == texts.STALE_BUTTON
        await bot.restart()
        await family.send("Bonjour, une question sur le compte de ma fille")
        assert "demande n°1" in await family.text()
        header = await header_of(group_b, 1)
        assert "Identifiant : jean.dupont12 — compte activé" in header.text
        await bot.group_caught_up()
        assert await group_a.messages() == [] and await third.messages() == []


async def test_a_family_that_came_by_its_letter_writes_to_the_letters_school_unasked(bot: Harness) -> None:
    _, group_a, _, group_b = await staff_of_both(bot)
    await in_both_schools(bot)
    account = await bot.store.accounts.find(flows.IDENTIFIER)
    assert account is not None and account.provisional_hash is not None
    token = new_token()
    await bot.store.letters.issue([NewLetter(account.id, account.provisional_hash, token)], timedelta(days=90),
                                  "test")
    # Jean Moulin printed the letter (its issuing, the letters' work, records the school on the token).
    conn = sqlite3.connect(bot.settings.database)
    conn.execute("UPDATE letter_tokens SET uai = ?", (OTHER_UAI,))
    conn.commit()
    conn.close()
    family = await bot.parent("Amina")
    await family.send(f"/start {token}")
    assert "Étape 3/6" in await family.text()
    await family.send("/aide")
    await family.click(WRITE)
    assert "Écrire à : Collège Jean Moulin" in await family.text()  # never asked
    await family.send("La lettre dit 4C mais ma fille est en 4D")
    await header_of(group_b, 1)
    await bot.group_caught_up()
    assert await group_a.messages() == []


async def test_once_active_a_family_of_two_schools_picks_whichever_letter_it_came_by(bot: Harness) -> None:
    await staff_of_both(bot)
    await in_both_schools(bot)
    account = await bot.store.accounts.find(flows.IDENTIFIER)
    assert account is not None and account.provisional_hash is not None
    token = new_token()
    await bot.store.letters.issue([NewLetter(account.id, account.provisional_hash, token)], timedelta(days=90), "test",
                                  OTHER_UAI)
    family = await bot.parent("Amina")
    await family.send(f"/start {token}")
    await family.click("✅ J'ai lu et j'accepte")
    await family.click("⏭ Passer (recommandé)")
    await flows.choose_question(family, 7)
    await family.send(flows.ANSWER1)
    await flows.choose_question(family, 14)
    await family.send(flows.ANSWER2)
    await family.send(flows.PASSWORD)
    await family.send(flows.PASSWORD)
    activated = await bot.store.accounts.find(flows.IDENTIFIER)
    assert activated is not None and activated.state == "active"
    await family.send("/aide")
    await family.click(WRITE)
    assert sorted((await family.last()).button_texts)[:2] == sorted(["Collège Jean Moulin", "Collège Léonard de Vinci"])


async def test_an_identifier_typed_but_not_proven_asks_the_same_as_an_unknown_one_and_tells_the_other_school_nothing(
        bot: Harness) -> None:
    _, group_a, _, group_b = await staff_of_both(bot)
    await bot.import_accounts([{**flows.ACCOUNT, "uai": OTHER_UAI}])
    screens = []
    for name, identifier in (("Intrus", flows.IDENTIFIER), ("Autre", "personne.inconnue")):
        stranger = await bot.parent(name)
        await flows.to_identifier(stranger)
        await stranger.send(identifier)
        await stranger.send("Mauvais-1")
        await stranger.send("/aide")
        await stranger.click(WRITE)
        screens.append(((await stranger.last()).text, (await stranger.last()).button_texts))
        await stranger.send("tours")
        await stranger.click(VINCI)
        await stranger.send(f"Bonjour, c'est {name}")
    assert screens[0] == screens[1]  # whether the identifier exists, and whose it is, shows nowhere
    first, second = await header_of(group_a, 1), await header_of(group_a, 2)
    for header in (first, second):
        assert "jean.dupont12" not in header.text and "personne.inconnue" not in header.text
        assert header.button_texts == ["🙋 Je m'en occupe", "✅ Clore"]  # no account tools for another's account
    assert first.text.split("\n")[2:5] == second.text.split("\n")[2:5]  # the same context lines
    await bot.group_caught_up()
    assert await group_b.messages() == []


# -- staff: their school's tickets only ------------------------------------------------------------------


async def test_another_schools_staff_cannot_take_close_or_answer_a_ticket(bot: Harness) -> None:
    sylvie, group_a, karim, group_b = await staff_of_both(bot)
    amina, lea = await bot.parent("Amina"), await bot.parent("Léa")
    await write_found(amina, "vinci", VINCI, "Bonjour de la part d'Amina")
    await write_found(lea, "moulin", MOULIN, "Bonjour de la part de Léa")
    header_a, header_b = await header_of(group_a, 1), await header_of(group_b, 2)
    await karim.send("/start")
    private = (await karim.last()).message_id
    unknown = await karim.click_data(header_b.message_id, "ticket:close:999", chat=group_b)
    assert unknown == texts.STALE_BUTTON
    for data in ("ticket:take:1", "ticket:close:1"):  # Vinci's ticket, from Jean Moulin's group and in private
        assert await karim.click_data(header_b.message_id, data, chat=group_b) == unknown
        assert await karim.click_data(private, data) == unknown
    ticket = await bot.store.tickets.get(1)
    assert ticket is not None and ticket.state == "open" and ticket.taken_by is None
    assert "prise en charge" not in await amina.all_text() and "a été close" not in await amina.all_text()
    # Karim's own school's ticket: his buttons work, and only Léa hears of it.
    await karim.click("✅ Clore", chat=group_b)
    assert "Votre demande n°2 a été close" in await lea.text()
    assert "Close par" in (await header_of(group_b, 2)).text and "Close par" not in (await header_of(group_a, 1)).text
    assert "a été close" not in await amina.all_text()
    await sylvie.send("Bonjour Amina", chat=group_a, reply_to=header_a.message_id)
    assert "Bonjour Amina" in await amina.text() and "Bonjour Amina" not in await lea.all_text()


async def test_a_group_that_changed_school_answers_none_of_its_former_schools_tickets(
        sandbox_server: SandboxServer, tmp_path: Path) -> None:
    async with running_bot(sandbox_server, tmp_path, school_list=two_schools()) as bot:
        sylvie, group_a, karim, _ = await staff_of_both(bot)
        amina = await bot.parent("Amina")
        await write_found(amina, "vinci", VINCI, "Bonjour de la part d'Amina")
        header = await header_of(group_a, 1)
        # The operator gives Vinci's former group to Jean Moulin, and Vinci a new one; the bot restarts.
        usual, other = two_schools()
        moved = (replace(usual, staff=StaffConfig(usual.staff.user_ids, THIRD_CHAT_ID)),
                 replace(other, staff=StaffConfig(other.staff.user_ids, STAFF_CHAT_ID)))
        bot.settings = replace(bot.settings, school_list=moved)
        await bot.restart()
        await group_a.set_member(karim)  # Jean Moulin's secretary now sits in the old group
        new_group = await bot.staff_group(sylvie, chat_id=THIRD_CHAT_ID)
        await karim.send("Je peux vous aider ?", chat=group_a, reply_to=header.message_id)
        assert "Je peux vous aider" not in await amina.all_text()
        assert await karim.click_data(header.message_id, "ticket:close:1", chat=group_a) == texts.STALE_BUTTON
        ticket = await bot.store.tickets.get(1)
        assert ticket is not None and ticket.state == "open" and ticket.taken_by is None
        # The family's next message goes to Vinci's new group, on its own (no reply to a message of that number).
        await amina.send("Vous avez pu regarder ?")
        await bot.group_caught_up()
        [follow_up] = [m for m in await new_group.messages() if m.from_bot]
        assert "Vous avez pu regarder" in follow_up.text and follow_up.reply_to is None
        assert not any("Vous avez pu regarder" in m.text for m in await group_a.messages())
        # Vinci's secretary still acts on it; its header, in a group that is no longer Vinci's, is left as it was.
        await sylvie.send("/start")
        await sylvie.click_data((await sylvie.last()).message_id, "ticket:close:1")
        assert "Votre demande n°1 a été close" in await amina.text()
        assert "Close par" not in (await header_of(group_a, 1)).text
        assert [m.message_id for m in await new_group.messages()] == [follow_up.message_id]


# -- the staff groups' worker: one per deployment, paced per group --------------------------------------


async def test_a_full_minute_in_one_schools_group_never_holds_back_another_schools_ticket(bot: Harness) -> None:
    _, group_a, _, group_b = await staff_of_both(bot)
    await bot.import_accounts([{**flows.ACCOUNT, "uai": DEFAULT_UAI}])
    family = await bot.parent("Amina")
    await flows.to_cgu(family)
    await family.send("/aide")
    await family.click(WRITE)
    for n in range(25):  # one header and 24 follow-ups: more than a group takes in a minute
        if n and n % helpdesk.RATE_LIMIT == 0:
            bot.clock.advance(helpdesk.RATE_WINDOW + timedelta(seconds=1))
        await family.send(f"Message numéro {n}")
        assert "demande n°1" in await family.text()

    async def vinci_full() -> bool:
        return len([m for m in await group_a.messages() if m.from_bot]) >= 18

    await eventually(vinci_full, 15)
    lea = await bot.parent("Léa")
    await write_found(lea, "amboise", MOULIN, "Bonjour de Léa")
    await header_of(group_b, 2, timeout=10)  # at once, while Vinci's group waits for its minute
    assert len([m for m in await group_a.messages() if m.from_bot]) == 18


async def test_the_backlog_is_each_schools_own(bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(helpdesk, "MAX_WAITING_POSTS", 4)  # the real bound is 180: the same path, fewer people
    _, group_a, _, group_b = await staff_of_both(bot)
    await group_a.set_member(BOT_ID, member=False)  # Vinci's group cannot receive: its posts wait
    strangers = [await bot.parent(f"Compte{n}") for n in range(3)]
    for stranger in strangers:
        await write_found(stranger, "vinci", VINCI, "Bonjour")
    assert "beaucoup de messages en ce moment" in await strangers[-1].text()
    assert CONTACT in await strangers[-1].text()
    lea = await bot.parent("Léa")
    await write_found(lea, "moulin", MOULIN, "Bonjour de Léa")  # Jean Moulin's door is open
    assert "demande n°3" in await lea.text()
    await header_of(group_b, 3)
    await group_a.set_member(BOT_ID)  # Vinci's group back: the minute job posts what waited, there only
    await bot.run_job("repost_tickets")
    await bot.group_caught_up()
    assert len(await headers(group_a)) == 2 and len(await headers(group_b)) == 1


async def test_an_unlock_from_a_ticket_updates_that_ticket_in_its_own_schools_group_only(bot: Harness) -> None:
    _, group_a, karim, group_b = await staff_of_both(bot)
    await bot.import_accounts([{**flows.ACCOUNT, "uai": OTHER_UAI}])
    lea = await bot.parent("Léa")
    await write_found(lea, "vinci", VINCI, "Bonjour de Léa")
    vinci_header = await header_of(group_a, 1)  # the same message number in Vinci's group as Jean Moulin's below
    amina = await bot.parent("Amina")
    await flows.to_identifier(amina)
    await amina.send(flows.IDENTIFIER)
    for _ in range(5):
        await amina.send("Mauvais-1")
    assert "Trop d'essais incorrects" in await amina.text()
    await amina.click(WRITE)
    await amina.send("amboise")
    await amina.click(MOULIN)
    await amina.send("Je suis bloquée")
    header = await header_of(group_b, 2)
    assert header.message_id == vinci_header.message_id
    assert "Identifiant : jean.dupont12 — compte à activer" in header.text and "Verrou : jusqu'à" in header.text
    await karim.click(texts.UNLOCK_BUTTON, chat=group_b)
    assert "Verrou : aucun" in (await header_of(group_b, 2)).text
    assert (await header_of(group_a, 1)).text == vinci_header.text  # Vinci's ticket, same number, untouched
    assert "jean.dupont12" not in "".join(m.text for m in await group_a.messages())


async def test_a_family_erasing_its_data_is_told_about_in_its_tickets_school_group_only(bot: Harness) -> None:
    _, group_a, _, group_b = await staff_of_both(bot)
    lea = await bot.parent("Léa")
    await write_found(lea, "amboise", MOULIN, "Bonjour de Léa")
    header = await header_of(group_b, 1)
    await lea.send("/mesdonnees")
    await lea.click("🗑 Effacer mes données")
    await lea.click("🗑 Oui, tout effacer")
    assert "C'est fait" in await lea.text()
    assert header.message_id in await group_b.deleted_ids()
    assert "Demande n°1 : effacée à la demande de la famille" in (await group_b.last()).text
    assert await group_a.messages() == []


async def test_an_open_ticket_of_a_school_taken_out_of_the_file_leaves_its_family_free_to_write_to_another(
        sandbox_server: SandboxServer, tmp_path: Path) -> None:
    async with running_bot(sandbox_server, tmp_path, school_list=three_schools()) as bot:
        _, group_a, _, group_b = await staff_of_both(bot)
        lea = await bot.parent("Léa")
        await write_found(lea, "chinon", "Collège Rabelais — 3 place du Marché, 37500 Chinon", "Bonjour de Léa")
        assert "demande n°1" in await lea.text()
        bot.settings = replace(bot.settings, school_list=two_schools())  # the operator takes Rabelais out
        await bot.restart()
        await lea.send("Vous avez pu regarder ?")  # no school to send it to: she is asked which one
        assert "Tapez une partie de son nom ou de sa ville" in await lea.text()
        await lea.send("tours")
        await lea.click(VINCI)
        assert "Écrire à : Collège Léonard de Vinci" in await lea.text() and "demande n°1" not in await lea.text()
        await lea.send("Je vous écris à vous, alors")
        assert "demande n°2" in await lea.text()
        assert "Je vous écris à vous" in (await header_of(group_a, 2)).text
        old = await bot.store.tickets.get(1)
        assert old is not None and old.state == "closed"
        await bot.group_caught_up()
        assert await group_b.messages() == []
