"""The activation in the families' languages: a Turkish parent's whole path, an Arabic parent's isolates, French as before."""

from __future__ import annotations

import re
from functools import cache
from html import unescape

from babel.messages.pofile import read_po

from conversations import texts
from conversations.texts import activation, menu
from i18n import FSI, LOCALES, PDI, latin_outside_isolates, using, without_bidi_controls
from sandbox.driver import Msg, Person
from tests import flows
from tests.conftest import Harness
from tests.smtp import SmtpServer
from tests.test_mail_codes import code_in

ADDRESS = "famille.dupont@exemple.fr"
# Answers typed in Arabic script; the second time with its short vowels and more spaces: the same answer.
ANSWER1_AR = "حديقة الورود"
ANSWER1_AR_VOWELLED = "حَدِيقَة   الوُرُود"
ANSWER2_AR = "القط الأسود"
ISOLATES = ("\u2066", "\u2067", "\u2068", "\u2069")


async def parent_in(bot: Harness, language: str) -> Person:
    """A parent of the guide's example account whose Telegram is in `language`: the one place a test sets it."""
    await flows.with_account(bot)
    return await bot.parent(language_code=language)


async def press(person: Person, data: str) -> None:
    """Presses the latest button carrying `data`, whatever its label says in the parent's language."""
    for message in reversed(await person.messages()):
        if any(b.get("callback_data") == data for row in message.buttons for b in row):
            await person.click_data(message.message_id, data)
            return
    raise AssertionError(f"no button {data!r}; shown: {[m.button_texts for m in await person.messages() if m.buttons]}")


@cache
def french_sentences() -> tuple[str, ...]:
    """The activation's French, as pieces a parent would read (between tags, placeholders, lines and the ENT's
    quoted words): none may be left in a translated conversation."""
    with (LOCALES / "activation.pot").open("rb") as fp:
        pot = read_po(fp)
    pieces: set[str] = set()
    for message in pot:
        if not message.id or any("button" in c for c in message.auto_comments):
            continue
        for french in message.id if isinstance(message.id, tuple) else (message.id,):
            for piece in re.split(r"<[^>]+>|\{\w+\}|\n|« [^»]* »", french):
                piece = unescape(piece).strip(" .:;,()—•")
                if len(piece) >= 20:
                    pieces.add(piece)
    return tuple(sorted(pieces))


def french_left(text: str) -> list[str]:
    return [piece for piece in french_sentences() if piece in text]


async def bot_messages_since(person: Person, first_id: int) -> list[Msg]:
    return [m for m in await person.messages() if m.from_bot and m.message_id >= first_id]


def plain(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html))


# -- a Turkish parent, from the profile to « Compte activé » --------------------------------------------------


async def test_a_turkish_parent_goes_through_the_whole_activation_in_turkish(bot: Harness) -> None:
    parent = await parent_in(bot, "tr")
    await parent.send("/start")
    await press(parent, "menu:activate")
    profile = await parent.last()
    # The ENT's screen and its three choices in French, each beside its Turkish gloss.
    for ent_words in ("« Bienvenue dans votre ENT ! »", "« Élève ou parent »", "« Personnel de l'éducation nationale »",
                      "« Autre public »", "« ÉduConnect »"):
        assert ent_words in profile.text
    assert profile.text != plain(activation.PROFILE)
    labels = profile.button_texts
    assert any("Élève ou parent" in label and label != activation.PROFILE_PARENT for label in labels)
    assert any("Autre public" in label and label != activation.PROFILE_OTHER for label in labels)
    assert all(len(label) <= 40 for label in labels)

    await press(parent, "profile:parent")
    await parent.send(flows.IDENTIFIER)
    await parent.send(flows.PROVISIONAL)
    cgu = await parent.text()
    # The binding text, French and whole; under it the summary, in Turkish, saying it has no legal value.
    assert activation.CGU_GUIDE_EXCERPT in cgu
    with using("tr"):
        summary = plain(texts.CGU_SUMMARY)
    assert summary != plain(activation.CGU_SUMMARY)
    assert cgu.index(activation.CGU_GUIDE_EXCERPT) < cgu.index(summary)
    assert "hukuki değeri yoktur" in summary  # « no legal value »
    await press(parent, "cgu:accept")
    await press(parent, "email:skip")
    await press(parent, "q1:07")
    await parent.send(flows.ANSWER1)
    await press(parent, "q2:p2")
    await press(parent, "q2:14")
    await parent.send(flows.ANSWER2)
    await parent.send(flows.PASSWORD)
    await parent.send(flows.PASSWORD)

    activated = await parent.last()
    assert activated.text.startswith(activation.kept_messages())
    assert not activated.text.startswith("🎉 Compte activé !")
    assert "« Se connecter »" in activated.text and flows.IDENTIFIER in activated.text
    # Every message of the activation is Turkish: no French sentence of the flow left in any of them.
    for message in await bot_messages_since(parent, profile.message_id):
        assert message.text
        assert french_left(message.text) == [], (message.text, french_left(message.text))
    # « Compte activé » in Turkish is kept too: a button under it opens a new message, it does not replace it.
    await press(parent, "menu:login")
    kept = [m for m in await parent.messages() if m.message_id == activated.message_id]
    assert kept and kept[0].text == activated.text


async def test_a_turkish_parent_s_wrong_inputs_are_answered_in_turkish(bot: Harness) -> None:
    parent = await parent_in(bot, "tr")
    await parent.send("/start")
    await press(parent, "menu:activate")
    await press(parent, "profile:parent")
    first = (await parent.last()).message_id
    await parent.send_sticker()  # not an identifier: what the step waits for
    await parent.send(flows.IDENTIFIER)
    await parent.send("Yanlis-2026")  # a wrong provisional password
    await parent.send(flows.PROVISIONAL)
    await parent.send_photo()
    answers = [m.text for m in await bot_messages_since(parent, first + 1)]
    assert len(answers) >= 3
    for text in answers:
        assert french_left(text) == [], text
    assert any("jean.dupont12" in text for text in answers)  # the example identifier, as it is


async def test_a_language_changed_mid_activation_takes_the_next_step_and_keeps_the_progress(bot: Harness) -> None:
    parent = await parent_in(bot, "fr")
    await flows.to_cgu(parent)
    await parent.send("/langue")
    await press(parent, "lang:set:tr")
    await press(parent, "cgu:accept")  # the French step's button, pressed after the change: the next step in Turkish
    email = await parent.text()
    assert email != plain(activation.EMAIL) and french_left(email) == []
    await press(parent, "email:skip")
    await press(parent, "q1:07")
    await parent.send(flows.ANSWER1)
    await press(parent, "q2:p2")
    await press(parent, "q2:14")
    await parent.send(flows.ANSWER2)
    await parent.send(flows.PASSWORD)
    await parent.send(flows.PASSWORD)
    activated = (await parent.last()).text
    assert activated.startswith(activation.kept_messages()) and not activated.startswith("🎉 Compte activé !")


# -- an Arabic parent: isolates around everything Latin, answers in Arabic script ------------------------------


async def test_an_arabic_parent_s_steps_set_identifier_address_and_codes_apart(mail_bot: Harness,
                                                                                 smtp: SmtpServer) -> None:
    parent = await parent_in(mail_bot, "ar")
    await parent.send("/start")
    await press(parent, "menu:activate")
    profile = await parent.last()
    await press(parent, "profile:parent")
    await parent.send(flows.IDENTIFIER)
    await parent.send(flows.PROVISIONAL)
    await press(parent, "cgu:accept")
    await parent.send(ADDRESS)
    confirm = await parent.text()
    assert f"{FSI}{ADDRESS}{PDI}" in confirm
    assert latin_outside_isolates(confirm) == []
    await parent.send(ADDRESS)
    waiting = await parent.text()
    assert f"{FSI}{ADDRESS}{PDI}" in waiting
    assert latin_outside_isolates(waiting) == []
    mail = (await smtp.wait_for(1))[-1]
    body = str(mail.get_content())
    with using("ar"):
        subject = texts.EMAIL_CODE_SUBJECT
    # A mail header carries no direction control (bot/mailer.py header_text): the mail client sets the direction.
    assert str(mail["Subject"]) == without_bidi_controls(subject) != activation.EMAIL_CODE_SUBJECT
    assert latin_outside_isolates(body) == []
    await parent.send(code_in(body))
    # The code's mail gave an address: no secret question; the password, twice.
    await parent.send(flows.PASSWORD)
    await parent.send(flows.PASSWORD)
    activated = await parent.last()
    assert f"{FSI}{flows.IDENTIFIER}{PDI}" in activated.text
    assert activated.text.startswith(activation.kept_messages())
    for message in await bot_messages_since(parent, profile.message_id):
        assert latin_outside_isolates(message.text) == [], message.text
        assert french_left(message.text) == [], message.text


async def test_an_answer_typed_in_arabic_script_is_accepted_and_never_echoed(bot: Harness) -> None:
    parent = await parent_in(bot, "ar")
    await parent.send("/start")
    await press(parent, "menu:activate")
    first = (await parent.last()).message_id
    await press(parent, "profile:parent")
    await parent.send(flows.IDENTIFIER)
    await parent.send(flows.PROVISIONAL)
    await press(parent, "cgu:accept")
    await press(parent, "email:skip")
    await press(parent, "q1:07")
    prompt = await parent.text()
    assert latin_outside_isolates(prompt) == []  # the French question, as the ENT keeps it, set apart
    sent = [await parent.send(ANSWER1_AR)]
    await press(parent, "q2:p2")
    await press(parent, "q2:14")
    sent.append(await parent.send(ANSWER2_AR))
    await parent.send(flows.PASSWORD)
    await parent.send(flows.PASSWORD)
    assert (await parent.last()).text.startswith(activation.kept_messages())
    # Never echoed, never left in the chat: the answers were deleted, and no message of the bot repeats them.
    assert set(sent) <= set(await parent.deleted_ids())
    for message in await bot_messages_since(parent, first):
        assert ANSWER1_AR not in message.text and ANSWER2_AR not in message.text
        assert latin_outside_isolates(message.text) == [], message.text
    # Stored normalised, as any answer: typed again with its short vowels and more spaces, it opens the account.
    helper = await french_phone(bot)
    await flows.to_first_question(helper)
    await helper.send(ANSWER1_AR_VOWELLED)
    await helper.send(ANSWER2_AR)
    assert "Réponses correctes" in await helper.text()


async def french_phone(bot: Harness) -> Person:
    """Another parent's phone, in French, for the forgotten-password questions (the recovery is another flow)."""
    return await bot.parent("Aide", language_code="fr")


# -- French as before; the staff's words French whatever the family's ---------------------------------------


async def test_a_french_parent_reads_the_activation_as_before(bot: Harness) -> None:
    parent = await parent_in(bot, "fr")
    await flows.to_identifier(parent)
    first = (await parent.last()).message_id
    await parent.send_sticker()
    assert await parent.text() == "J'attends votre identifiant, tapé au clavier (par exemple jean.dupont12)."
    await parent.send(flows.IDENTIFIER)
    await parent.send(flows.PROVISIONAL)
    cgu = await parent.text()
    assert cgu.startswith("Étape 3/6 — Les règles d'usage de l'ENT\n\n" + activation.CGU_GUIDE_EXCERPT)
    assert "valeur juridique" not in cgu  # no summary for a family that reads the French itself
    await parent.click("✅ J'ai lu et j'accepte")
    await parent.click("⏭ Passer (recommandé)")
    await flows.choose_question(parent, 7)
    assert "Quel était votre premier numéro de téléphone ?" in await parent.text()
    await parent.send(flows.ANSWER1)
    await flows.choose_question(parent, 14)
    await parent.send(flows.ANSWER2)
    await parent.send("court")
    assert (await parent.text()).startswith("Ce mot de passe ne convient pas. Il doit :\n• contenir au moins")
    await parent.send(flows.PASSWORD)
    await parent.send(flows.PASSWORD)
    assert (await parent.text()).startswith("🎉 Compte activé !")
    for message in await bot_messages_since(parent, first):
        assert not any(mark in message.text for mark in ISOLATES), message.text


def test_the_steps_are_the_family_s_language_and_staff_s_french() -> None:
    with using("tr"):
        family = texts.where("cgu")
        staff_label, staff_where = texts.step_label("cgu"), texts.step_where("cgu")
        expected = texts.expects("identifier")
    assert family != texts.where("cgu") == "à l'étape 3/6 de l'activation (règles d'usage)"
    assert "3/6" in family
    assert staff_label == "étape 3/6 (règles d'usage)"
    assert staff_where == texts.where("cgu")
    assert expected != texts.expects("identifier") and "jean.dupont12" in expected


def test_the_profile_step_says_what_the_menu_says_of_educonnect() -> None:
    # The step repeats the menu's paragraph so that it is one text to translate: the two must not drift apart.
    assert activation.PROFILE.endswith("\n\n" + menu.EDUCONNECT)


def test_the_kept_message_is_known_in_every_language() -> None:
    starts = activation.kept_messages()
    assert starts[0] == "🎉 Compte activé !"
    assert len(set(starts)) == 6 and all(s.startswith("🎉 ") and "<" not in s for s in starts)
