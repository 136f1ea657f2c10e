"""The help desk, the notices and the letters in the families' languages, with the staff's side in French."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import i18n
from conversations import texts
from sandbox.driver import Chat, Msg, Person
from sandbox.server import SandboxServer
from storage.letters import NewLetter, new_token
from tests import flows
from tests.conftest import CONTACT, OTHER_CONTACT, OTHER_STAFF_CHAT_ID, OTHER_STAFF_ID, Harness, running_bot, two_schools
from tests.smtp import SmtpServer
from tests.test_helpdesk import header_of
from tests.test_notices import NOTICE, all_sent, write_notice
from tests.waiting import eventually

MOULIN = "Collège Jean Moulin — 2 avenue du Lac, 37400 Amboise"
MARK = "écrit en"  # what staff read beside a family's words in another language: « écrit en ukrainien »


async def family(bot: Harness, first_name: str, language: str) -> Person:
    """A parent who reads `language`: the one place a test sets it (for now, their Telegram app's language)."""
    return await bot.parent(first_name, language_code=language)


def said(language: str, read: Callable[[], str]) -> str:
    """What the bot says, read as a family of `language` reads it, as the chat shows it (tags gone)."""
    with i18n.using(language):
        return plain(read())


def plain(text: str) -> str:
    """An HTML message as Telegram shows it: tags gone, entities read."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def label(button: str) -> str:
    """A button's words without its emoji, as texts quote them (« Écrire au collège »)."""
    return button.split(" ", 1)[1] if not button[0].isalnum() else button


async def posts(group: Chat) -> list[Msg]:
    return [m for m in await group.messages() if m.from_bot]


# -- the help desk -----------------------------------------------------------------------------------------------


async def test_a_ukrainian_parent_writes_in_ukrainian_and_staff_read_french_with_the_language_marked(
        mail_bot: Harness, smtp: SmtpServer) -> None:
    bot = mail_bot
    olena = await family(bot, "Olena", "uk")
    secretary = await bot.secretary()
    group = await bot.staff_group(secretary)
    await olena.send("/start")
    await olena.click(said("uk", lambda: texts.MENU_WRITE))
    prompt = await olena.text()
    assert prompt == said("uk", lambda: texts.helpdesk_prompt(CONTACT, None))
    assert prompt != said("fr", lambda: texts.helpdesk_prompt(CONTACT, None)) and CONTACT in prompt

    await olena.send("Добрий день, тимчасовий пароль не працює")
    assert await olena.text() == said("uk", lambda: texts.ticket_received(1, True))
    # The staff group: French, the family's words as written, its language named.
    header = await header_of(group, 1)
    assert "De : Olena" in header.text and "(écrit en ukrainien)" in header.text
    assert "Добрий день, тимчасовий пароль не працює" in header.text and "Pas encore prise en charge" in header.text
    assert header.button_texts[:2] == ["🙋 Je m'en occupe", "✅ Clore"]
    [mail] = await smtp.wait_for(1)
    body = str(mail.get_content())
    assert "écrit en ukrainien" in mail["Subject"] and "(écrit en ukrainien)" in body
    assert "Добрий день" in body and "Pour répondre : dans le groupe Telegram du personnel" in body

    # A follow-up, outside any dialogue: joins the ticket, marked too.
    await olena.send("Мій син навчається в 5-Б")
    assert await olena.text() == said("uk", lambda: texts.ticket_received(1, False))
    await bot.group_caught_up()
    follow_up = (await posts(group))[-1]
    assert follow_up.text.startswith("💬 Demande n°1 — Olena (écrit en ukrainien) :") and "5-Б" in follow_up.text

    # Staff act in French; what reaches the family is in Ukrainian, the staff member's words as written.
    await secretary.click("🙋 Je m'en occupe", chat=group)
    assert await olena.text() == said("uk", lambda: texts.ticket_taken_notice(1))
    reply = "Bonjour madame, nous vous envoyons un nouveau courrier demain."
    await secretary.send(reply, chat=group, reply_to=header.message_id)
    answer = await olena.last()
    assert answer.text == said("uk", lambda: texts.reply_from_school(1, reply)) and answer.text.endswith(f"\n\n{reply}")
    assert answer.button_texts == [said("uk", lambda: texts.ANSWER_SCHOOL)]
    assert (await group.last()).text.startswith("✅ Réponse transmise à Olena")
    await secretary.click("✅ Clore", chat=group)
    closed = await olena.text()
    assert closed == said("uk", lambda: texts.ticket_closed_notice(1))
    assert f"« {label(said('uk', lambda: texts.MENU_WRITE))} »" in closed  # names the button as the menu shows it
    # Nothing the family read in this flow is the French text.
    french = {said("fr", lambda: texts.ticket_taken_notice(1)), said("fr", lambda: texts.ticket_closed_notice(1)),
              said("fr", lambda: texts.ticket_received(1, True)), said("fr", lambda: texts.reply_from_school(1, reply))}
    assert not french & {m.text for m in await olena.messages()}


async def test_a_french_parents_ticket_carries_no_language_mark(mail_bot: Harness, smtp: SmtpServer) -> None:
    bot = mail_bot
    amina = await family(bot, "Amina", "fr")
    secretary = await bot.secretary()
    group = await bot.staff_group(secretary)
    await amina.send("/start")
    await amina.click("✍️ Écrire au collège")
    await amina.send("Bonjour, je n'ai pas reçu le courrier")
    assert await amina.text() == said("fr", lambda: texts.ticket_received(1, True))
    assert "Message transmis au collège : demande n°1." in await amina.text()
    await amina.send("Mon fils est en 5B")
    await amina.send_photo(caption="voici l'écran")
    header = await header_of(group, 1)
    await bot.group_caught_up()
    mails = await smtp.wait_for(3)
    for shown in [m.text for m in await posts(group)] + [str(m.get_content()) + m["Subject"] for m in mails]:
        assert MARK not in shown
    assert "De : Amina (Telegram" in header.text
    await secretary.send("Nous vous le renvoyons", chat=group, reply_to=header.message_id)
    assert (await amina.text()).startswith("💬 Réponse du collège (demande n°1) :")


async def test_an_arabic_parent_reads_the_schools_reply_under_an_arabic_header_set_right_to_left(bot: Harness) -> None:
    nadia = await family(bot, "Nadia", "ar")
    secretary = await bot.secretary()
    group = await bot.staff_group(secretary)
    await nadia.send("/start")
    await nadia.click(said("ar", lambda: texts.MENU_WRITE))
    await nadia.send("مرحبا، كلمة المرور المؤقتة لا تعمل")
    received = await nadia.text()
    assert received == said("ar", lambda: texts.ticket_received(1, True))
    assert f"{i18n.FSI}1{i18n.PDI}" in received and i18n.latin_outside_isolates(received) == []
    header = await header_of(group, 1)
    assert "(écrit en arabe)" in header.text and "مرحبا، كلمة المرور المؤقتة لا تعمل" in header.text

    reply = "Bonjour, passez au secrétariat lundi."
    await secretary.send(reply, chat=group, reply_to=header.message_id)
    answer = await nadia.text()
    heading, relayed = answer.split("\n\n", 1)
    assert heading == said("ar", lambda: texts.reply_from_school(1, "")).strip()
    assert i18n.latin_outside_isolates(heading) == [] and relayed == reply  # the staff's words, as written
    # A photo with a caption: the French caption set apart in the Arabic line.
    await secretary.send_photo(caption="Voici le formulaire", chat=group, reply_to=header.message_id)
    photo = await nadia.last()
    assert photo.kind == "photo" and f"{i18n.FSI}Voici le formulaire{i18n.PDI}" in photo.text
    assert photo.text == said("ar", lambda: texts.reply_caption(1, "Voici le formulaire"))
    assert i18n.latin_outside_isolates(photo.text) == []


async def test_a_turkish_parent_finds_the_school_by_its_town_in_turkish(sandbox_server: SandboxServer,
                                                                       tmp_path: Path) -> None:
    async with running_bot(sandbox_server, tmp_path, school_list=two_schools()) as bot:
        karim = await bot.secretary("Karim", user_id=OTHER_STAFF_ID)
        group = await bot.staff_group(karim, chat_id=OTHER_STAFF_CHAT_ID)
        elif_ = await family(bot, "Elif", "tr")
        await elif_.send("/start")
        await elif_.click(said("tr", lambda: texts.MENU_WRITE))
        assert await elif_.text() == said("tr", lambda: texts.HELPDESK_FIND_SCHOOL)
        await elif_.send("Bu okulun adını bilmiyorum ama şehir Amboise, çocuğum orada okuyor, lütfen yardım edin")
        assert await elif_.text() == said("tr", lambda: texts.HELPDESK_SEARCH_TOO_LONG)
        await elif_.send("AMBOISE")
        found = await elif_.last()
        assert found.text == said("tr", lambda: texts.schools_found(1, 8))
        assert found.button_texts[:2] == [MOULIN, said("tr", lambda: texts.HELPDESK_NONE_OF_THESE)]
        await elif_.click(MOULIN)
        assert await elif_.text() == said("tr", lambda: texts.helpdesk_prompt(OTHER_CONTACT, None, "Collège Jean Moulin"))
        await elif_.send("Merhaba, oğlumun şifresi çalışmıyor")
        assert await elif_.text() == said("tr", lambda: texts.ticket_received(1, True))
        assert "(écrit en turc)" in (await header_of(group, 1)).text


def test_the_bot_names_its_own_buttons_as_each_language_labels_them() -> None:
    """Where a family text tells which of the bot's buttons to press, it quotes that button's label in the same
    language (the French words, translated, or the parent looks for a button that is not there)."""
    for language in i18n.SHIPPED:
        write = label(said(language, lambda: texts.MENU_WRITE))
        resume = label(said(language, lambda: texts.HELPDESK_RESUME))
        stop = label(said(language, lambda: texts.MENU_UNSUBSCRIBE))
        stop_one = said(language, lambda: texts.menu_unsubscribe_from("{x}"))
        assert f"« {write} »" in said(language, lambda: texts.ticket_closed_notice(3)), language
        assert f"« {resume} »" in said(language, lambda: texts.ticket_received(3, False, mid_activation=True)), language
        assert f"« {stop} »" in said(language, lambda: texts.subscribed(None)), language
        quoted = re.findall(r"« ([^»]+) »", said(language, lambda: texts.subscribed_to([("Vinci", None)])))
        assert quoted and label(stop_one).startswith(quoted[-1]), language


# -- notices -----------------------------------------------------------------------------------------------------


async def test_a_portuguese_family_subscribes_in_portuguese_and_gets_the_notice_as_staff_wrote_it(
        sandbox_server: SandboxServer, tmp_path: Path) -> None:
    # Quiet hours that hold no delivery now (the notice goes at once), and show how each language writes a time.
    now = datetime.now(ZoneInfo("Europe/Paris"))
    quiet = ((now + timedelta(hours=2)).time().replace(minute=30, second=0, microsecond=0),
             (now + timedelta(hours=3)).time().replace(minute=0, second=0, microsecond=0))
    async with running_bot(sandbox_server, tmp_path, quiet_hours=quiet) as bot:
        await bot.channel()
        joana = await family(bot, "Joana", "pt")
        await joana.send("/start")
        await joana.click(said("pt", lambda: texts.MENU_SUBSCRIBE))
        confirmed = await joana.text()
        assert confirmed == said("pt", lambda: texts.subscribed(quiet))
        assert confirmed != said("fr", lambda: texts.subscribed(quiet)) and "« canal annonces »" in confirmed
        assert f"{quiet[0].hour}h30" in confirmed and f"{quiet[1].hour}h" in confirmed and " h " not in confirmed
        assert await bot.store.subscribers.is_active(joana.user_id)

        secretary = await bot.secretary()
        await write_notice(secretary)
        await secretary.click("📣 Publier maintenant")
        bot.broadcaster.wake()
        await eventually(lambda: all_sent(bot))
        copy = (await joana.messages())[-1]
        assert copy.text == NOTICE  # as the staff member wrote it: not a word of the bot's around it

        await joana.send("/start")
        await joana.click(said("pt", lambda: texts.MENU_UNSUBSCRIBE))
        assert await joana.text() == said("pt", lambda: texts.UNSUBSCRIBED)
        assert not await bot.store.subscribers.is_active(joana.user_id)


# -- letters -----------------------------------------------------------------------------------------------------


async def test_a_ukrainian_family_reads_its_letters_welcome_and_a_stale_letter_in_ukrainian(bot: Harness) -> None:
    await flows.with_account(bot)
    account = await bot.store.accounts.find(flows.IDENTIFIER)
    assert account is not None and account.provisional_hash is not None
    token = new_token()
    await bot.store.letters.issue([NewLetter(account.id, account.provisional_hash, token)], timedelta(days=90), "test")
    olena = await family(bot, "Olena", "uk")
    await olena.send("/start NotALetterAtAll")
    assert await olena.text() == said("uk", lambda: texts.LETTER_INVALID)
    await olena.send(f"/start {token}")
    welcome = said("uk", lambda: texts.letter_welcome(account.display_name))
    assert welcome in await olena.all_text() and account.display_name in welcome
    assert said("fr", lambda: texts.letter_welcome(account.display_name)) not in await olena.all_text()
