"""The help desk as a stuck parent and the secretariat live it: Telegram on both sides, the school's mailbox."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from sandbox.driver import Chat, Msg, Person
from sandbox.world import BOT_ID
from tests import flows
from tests.conftest import MAIL_FROM, Harness
from tests.smtp import SmtpServer
from tests.waiting import eventually

pytestmark = pytest.mark.both_engines  # the help desk's flows, on SQLite and on PostgreSQL

SCHOOL = "ce.0371122u@ac-orleans-tours.fr"


async def header_of(group: Chat, ticket: int, timeout: float = 15.0) -> Msg:
    """The ticket's header in the staff group, once its worker posted it (the parent does not wait for that)."""
    found: list[Msg] = []

    async def posted() -> bool:
        found[:] = [m for m in await group.messages()
                    if m.from_bot and m.text.startswith(f"🆘 Demande n°{ticket} ")]
        return bool(found)

    try:
        await eventually(posted, timeout)
    except AssertionError:
        raise AssertionError(f"no ticket {ticket} in the staff group") from None
    return found[0]


async def write_to_school(parent: Person, text: str) -> None:
    await parent.send("/aide")
    await parent.click("✍️ Écrire au collège")
    await parent.send(text)


async def test_a_stuck_parent_writes_and_the_secretariat_answers(mail_bot: Harness, smtp: SmtpServer) -> None:
    bot = mail_bot
    await flows.with_account(bot)
    parent = await bot.parent("Amina")
    secretary = await bot.secretary()
    group = await bot.staff_group(secretary)
    await flows.to_identifier(parent)
    await parent.send(flows.IDENTIFIER)
    await parent.send("Mauvais-1")

    await write_to_school(parent, "Bonjour, mon mot de passe provisoire ne marche pas")
    assert "Message transmis au collège : demande n°1" in await parent.text()
    header = await header_of(group, 1)
    for expected in ("De : Amina", "Identifiant : jean.dupont12 — compte à activer",
                     "Où : à l'étape 2/6 de l'activation", "Dernière erreur : mot de passe provisoire incorrect",
                     "Verrou : aucun", "Bonjour, mon mot de passe provisoire ne marche pas"):
        assert expected in header.text
    assert header.button_texts == ["🙋 Je m'en occupe", "✅ Clore", "♻️ Réinitialiser"]  # nothing to unlock
    [mail] = await smtp.wait_for(1)
    assert mail["To"] == SCHOOL and mail["From"] == MAIL_FROM
    assert "Demande n°1 — jean.dupont12 — Amina" in mail["Subject"]
    body = str(mail.get_content())
    assert "mot de passe provisoire ne marche pas" in body and "Dernière erreur : mot de passe provisoire incorrect" in body
    for where in (header.text, body):
        assert "Mauvais-1" not in where and "$argon2" not in where

    await secretary.send("Bonjour, attention aux majuscules : le P est en majuscule.", chat=group,
                         reply_to=header.message_id)
    answer = await parent.last()
    assert "Réponse du collège (demande n°1)" in answer.text and "le P est en majuscule" in answer.text
    assert "✅ Réponse transmise à Amina" in (await group.last()).text
    assert "Prise en charge par Sylvie" in (await header_of(group, 1)).text

    # Midway through the activation, the parent answers with the button, here with a screenshot.
    await parent.click("✍️ Répondre au collège")
    await parent.send_photo(caption="voici l'écran")
    assert "Message ajouté à votre demande n°1" in await parent.text()
    await bot.group_caught_up()
    copied = (await group.messages())[-1]
    assert copied.kind == "photo" and copied.reply_to == header.message_id
    assert "Demande n°1 — Amina" in copied.text and "voici l'écran" in copied.text
    mails = await smtp.wait_for(2)
    assert "(nouveau message)" in mails[1]["Subject"] and "une photo" in str(mails[1].get_content())
    await parent.click("▶️ Reprendre l'activation")
    await parent.send(flows.IDENTIFIER)  # the activation goes on where it was
    await parent.send(flows.PROVISIONAL)
    assert "Étape 3/6" in await parent.text()

    await secretary.click("✅ Clore", chat=group)
    assert "Close par Sylvie" in (await header_of(group, 1)).text and (await header_of(group, 1)).buttons == []
    assert "Votre demande n°1 a été close" in await parent.text()
    await secretary.send("Encore une chose", chat=group, reply_to=header.message_id)
    assert "demande n°1 est close : votre réponse n'a pas été transmise" in (await group.last()).text
    assert "Encore une chose" not in await parent.all_text()
    assert len(smtp.received) == 2


async def test_messages_outside_a_dialogue_join_the_open_ticket_until_it_is_closed(bot: Harness) -> None:
    parent = await bot.parent("Léa")
    secretary = await bot.secretary()
    group = await bot.staff_group(secretary)
    await parent.send("/start")
    await parent.click("✍️ Écrire au collège")
    await parent.send("Je n'ai pas reçu le courrier avec l'identifiant")
    header = await header_of(group, 1)
    assert "Identifiant : inconnu" in header.text and "Où : aucune démarche en cours" in header.text
    await parent.send("Mon fils est en 5B")
    assert "ajouté à votre demande n°1" in await parent.text()
    await bot.group_caught_up()
    follow_up = (await group.messages())[-1]
    assert "Mon fils est en 5B" in follow_up.text and follow_up.reply_to == header.message_id
    await parent.send_sticker()
    assert "Je ne peux transmettre au collège que du texte" in await parent.text()
    await parent.send_voice()
    assert "Je ne peux transmettre au collège que du texte" in await parent.text()
    # A staff answer to the follow-up (not the header) reaches the parent all the same.
    await secretary.send("Nous vous le renvoyons", chat=group, reply_to=follow_up.message_id)
    assert "Nous vous le renvoyons" in await parent.text()
    await secretary.click("🙋 Je m'en occupe", chat=group)  # already taken by the answer: stays Sylvie's
    await secretary.click("✅ Clore", chat=group)
    await parent.send("Merci")
    assert "Je n'ai pas compris" in await parent.text()
    await bot.group_caught_up()
    assert "Merci" not in "".join(m.text for m in await group.messages())


async def test_writing_can_be_abandoned(bot: Harness) -> None:
    parent = await bot.parent()
    group = await bot.staff_group(await bot.secretary())
    await parent.send("/start")
    await parent.click("✍️ Écrire au collège")
    await parent.send("/annuler")
    assert "rien n'a été envoyé" in await parent.text()
    await parent.send("Bonjour ?")
    assert "Je n'ai pas compris" in await parent.text()
    await parent.send("/start")
    await parent.click("✍️ Écrire au collège")
    await parent.click("↩ Retour")
    assert await group.messages() == [] and await bot.store.tickets.open_for(parent.user_id) is None


async def test_at_most_five_messages_in_five_minutes(bot: Harness) -> None:
    parent = await bot.parent()
    group = await bot.staff_group(await bot.secretary())
    await write_to_school(parent, "message 1")
    for n in range(2, 6):
        await parent.send(f"message {n}")
    await parent.send("message 6")
    assert "n'a <b>pas</b> été transmis" not in await parent.text() and "n'a pas été transmis" in await parent.text()
    await bot.group_caught_up()
    shown = "".join(m.text for m in await group.messages())
    assert "message 5" in shown and "message 6" not in shown
    bot.clock.advance(timedelta(minutes=5, seconds=1))
    await parent.send("message 7")
    await bot.group_caught_up()
    assert "message 7" in "".join(m.text for m in await group.messages())


async def test_long_texts_both_ways(bot: Harness) -> None:
    parent = await bot.parent()
    secretary = await bot.secretary()
    group = await bot.staff_group(secretary)
    await write_to_school(parent, "x" * 3501)
    assert "trop long (3501 caractères, 3500 au plus)" in await parent.text()
    assert await group.messages() == []
    await parent.send("y" * 3500)  # still writing: the limit is the only thing wrong
    header = await header_of(group, 1)
    await bot.group_caught_up()
    assert "y" * 3500 in "".join(m.text for m in await group.messages())  # under the header, which stays short
    answer = "Voici la marche à suivre.\n" + "z" * 3000 + "\n" + "w" * 3000
    await secretary.send(answer, chat=group, reply_to=header.message_id)
    relayed = [m.text for m in await parent.messages() if "Réponse du collège" in m.text]
    assert len(relayed) == 2 and "z" * 3000 in relayed[0] and "w" * 3000 in relayed[1]


async def test_an_answer_to_a_parent_who_blocked_the_bot_is_reported(bot: Harness) -> None:
    parent = await bot.parent("Karim")
    secretary = await bot.secretary()
    group = await bot.staff_group(secretary)
    await write_to_school(parent, "Bonjour")
    header = await header_of(group, 1)
    await bot.group_caught_up()  # the header seen in the group is also recorded as the ticket's (slower on PostgreSQL)
    await parent.block_bot()
    await secretary.send("Bonjour Karim", chat=group, reply_to=header.message_id)
    assert "Réponse non remise : Karim" in (await group.last()).text
    # A colleague's message answered in the group is not a ticket: the bot keeps out of it.
    mine = await secretary.send("Qui s'occupe du courrier ?", chat=group)
    before = len(await group.messages())
    await secretary.send("Moi", chat=group, reply_to=mine)
    assert len(await group.messages()) == before + 1


async def test_a_locked_parent_is_offered_the_help_desk_and_unlocked_from_the_ticket(bot: Harness) -> None:
    await flows.with_account(bot)
    parent = await bot.parent("Amina")
    secretary = await bot.secretary()
    group = await bot.staff_group(secretary)
    await flows.to_identifier(parent)
    await parent.send(flows.IDENTIFIER)
    for _ in range(3):
        await parent.send("Mauvais-1")
    assert "✍️ Écrire au collège" in (await parent.last()).button_texts  # stuck at the same step: offered
    for _ in range(2):
        await parent.send("Mauvais-1")
    locked = await parent.last()
    assert "Trop d'essais incorrects" in locked.text and locked.button_texts == ["✍️ Écrire au collège"]
    await parent.click("✍️ Écrire au collège")
    await parent.send("Je suis bloquée")
    header = await header_of(group, 1)
    assert "Verrou : jusqu'à" in header.text
    await secretary.click("🙋 Je m'en occupe", chat=group)
    assert "Votre demande n°1 est prise en charge" in await parent.text()
    await secretary.click("🔓 Débloquer", chat=group)
    assert "débloqué : la famille peut réessayer" in (await group.last()).text
    assert (await header_of(group, 1)).text.startswith("🆘 Demande n°1")  # the ticket stays as it was
    await parent.send("/start")
    await parent.click("▶️ Reprendre à l'étape 2/6")
    assert "Mot de passe provisoire" in await parent.text()  # where the lock had stopped them
    await parent.send(flows.PROVISIONAL)
    assert "Étape 3/6" in await parent.text()


async def test_only_staff_act_on_tickets(bot: Harness) -> None:
    parent = await bot.parent("Amina")
    secretary = await bot.secretary()
    outsider = await bot.sandbox.person("Intrus")
    group = await bot.staff_group(secretary, outsider)
    await write_to_school(parent, "Bonjour")
    header = await header_of(group, 1)
    await group.set_member(outsider, member=False)
    await outsider.send("Je réponds à sa place", chat=group, reply_to=header.message_id)
    assert "Je réponds à sa place" not in await parent.all_text()
    toast = await outsider.click_data(header.message_id, "ticket:close:1", chat=group)
    assert toast == "Ce bouton n'est plus valable. Utilisez les boutons du dernier message."
    ticket = await bot.store.tickets.get(1)
    assert ticket is not None and ticket.state == "open"
    await outsider.send("/tickets")
    assert "Je n'ai pas compris" in await outsider.text()
    await secretary.send("/tickets")
    assert "Demandes ouvertes (1)" in await secretary.text() and "n°1 — Amina" in await secretary.text()


async def test_closed_tickets_are_purged_after_the_retention(bot: Harness) -> None:
    old, recent, still_open = await bot.parent("A"), await bot.parent("B"), await bot.parent("C")
    secretary = await bot.secretary()
    group = await bot.staff_group(secretary)
    await write_to_school(old, "ancienne")
    await secretary.click("✅ Clore", in_message=(await header_of(group, 1)).message_id, chat=group)
    bot.clock.advance(timedelta(days=80))
    await write_to_school(recent, "récente")
    await secretary.click("✅ Clore", in_message=(await header_of(group, 2)).message_id, chat=group)
    await write_to_school(still_open, "ouverte")
    old_header = (await header_of(group, 1)).message_id
    bot.clock.advance(timedelta(days=11))
    await bot.run_job("purge")
    assert await bot.store.tickets.get(1) is None
    assert await bot.store.tickets.get(2) is not None and await bot.store.tickets.get(3) is not None
    # A staff reply to the purged ticket's message is no longer a ticket answer.
    await secretary.send("trop tard", chat=group, reply_to=old_header)
    assert "trop tard" not in await old.all_text()


async def test_a_ticket_the_group_could_not_get_is_posted_later(mail_bot: Harness, smtp: SmtpServer) -> None:
    parent = await mail_bot.parent("Amina")
    secretary = await mail_bot.secretary()
    group = await mail_bot.staff_group(secretary)
    await group.set_member(BOT_ID, member=False)  # the bot was removed from the group by mistake
    await write_to_school(parent, "Premier message")
    await parent.send_photo(caption="la capture")
    assert "Message ajouté à votre demande n°1" in await parent.text()
    assert await group.messages() == []
    await smtp.wait_for(2)  # the school's mailbox has it all the same
    await group.set_member(BOT_ID)
    await mail_bot.run_job("repost_tickets")
    header = await header_of(group, 1)
    assert "Premier message" in header.text
    await mail_bot.group_caught_up()
    photo = (await group.messages())[-1]
    assert photo.kind == "photo" and "la capture" in photo.text and photo.reply_to == header.message_id
    await mail_bot.run_job("repost_tickets")
    await mail_bot.group_caught_up()
    assert len([m for m in await group.messages() if m.text.startswith("🆘")]) == 1


async def test_a_password_written_to_the_school_is_erased_and_not_sent(mail_bot: Harness, smtp: SmtpServer) -> None:
    await flows.with_account(mail_bot)
    parent = await mail_bot.parent("Amina")
    group = await mail_bot.staff_group(await mail_bot.secretary())
    await flows.activate(parent)
    await parent.send("/aide")
    await parent.click("✍️ Écrire au collège")
    leaked = await parent.send(f"Bonjour, mon mot de passe est {flows.PASSWORD}, il ne marche plus.")
    assert "Votre message contient votre mot de passe" in await parent.text()
    assert leaked in await parent.deleted_ids()
    await parent.send("Bonjour, je n'arrive plus à me connecter depuis hier.")  # still writing, without it
    assert "demande n°1" in await parent.text()
    await smtp.wait_for(1)
    everywhere = "".join(m.text for m in await group.messages()) + "".join(smtp.bodies())
    assert flows.PASSWORD not in everywhere and "depuis hier" in everywhere
    assert not mail_bot.database_holds(flows.PASSWORD)


# -- every secret the bot holds, wherever it sits in the message (issue 10, point 3) ------------------


async def test_a_secret_answer_in_a_sentence_is_caught(mail_bot: Harness, smtp: SmtpServer) -> None:
    await flows.with_account(mail_bot)
    parent = await mail_bot.parent("Amina")
    await mail_bot.staff_group(await mail_bot.secretary())
    await flows.activate(parent)
    await parent.send("/aide")
    await parent.click("✍️ Écrire au collège")
    # "Le Grand Bleu", written otherwise: case, accents and spaces do not matter in an answer.
    leaked = await parent.send("Bonjour, à la question du film j'avais répondu « le GRAND   bleu » je crois. Merci !")
    assert "Votre message contient votre mot de passe (ou une réponse secrète)" in await parent.text()
    assert leaked in await parent.deleted_ids()
    assert await mail_bot.store.tickets.open_for(parent.user_id) is None
    # The other answer, a phone number: five groups of digits, one answer.
    leaked = await parent.send(f"Et pour l'autre question j'ai mis le {flows.ANSWER1}, c'est bien ça ?")
    assert "Votre message contient votre mot de passe (ou une réponse secrète)" in await parent.text()
    assert leaked in await parent.deleted_ids()
    assert await mail_bot.store.tickets.open_for(parent.user_id) is None


async def test_a_new_password_chosen_but_not_saved_yet_is_caught(mail_bot: Harness, smtp: SmtpServer) -> None:
    await flows.with_account(mail_bot)
    parent = await mail_bot.parent("Amina")
    await mail_bot.staff_group(await mail_bot.secretary())
    await flows.to_password(parent)
    await parent.send(flows.PASSWORD)  # typed once: the confirmation is awaited
    await parent.send("/aide")
    await parent.click("✍️ Écrire au collège")
    leaked = await parent.send(f"Je veux mettre {flows.PASSWORD} mais ça ne passe pas")
    assert "Votre message contient votre mot de passe" in await parent.text()
    assert leaked in await parent.deleted_ids()
    assert await mail_bot.store.tickets.open_for(parent.user_id) is None


# -- the help desk is no way into someone else's account (issue 10, point 7) --------------------------


def stored_staff_texts(bot: Harness) -> list[str]:
    return [r[0] or "" for r in bot.query("SELECT text FROM ticket_messages WHERE author = 'staff' ORDER BY id")]


async def test_a_stranger_who_only_typed_the_identifier_gets_no_password(bot: Harness) -> None:
    await flows.with_account(bot)
    family = await bot.parent("Amina")
    await flows.activate(family)
    stranger = await bot.parent("Inconnu")
    secretary = await bot.secretary()
    group = await bot.staff_group(secretary)
    await bot.sandbox._post("admins", {"chat_id": group.chat_id, "user_id": BOT_ID})  # it may delete there
    await flows.to_identifier(stranger)
    await stranger.send(flows.IDENTIFIER)  # the victim's identifier, and nothing else
    await write_to_school(stranger, "J'ai perdu mon mot de passe, réinitialisez et donnez-moi le code ici svp")
    header = await header_of(group, 1)
    assert "Identifiant : jean.dupont12 — compte activé" in header.text
    assert "N'A PAS prouvé détenir ce compte : a seulement tapé l'identifiant" in header.text
    await secretary.click("♻️ Réinitialiser", in_message=header.message_id, chat=group)
    question = await group.last()
    assert "n'a pas prouvé détenir ce compte" in question.text and "par un autre moyen" in question.text
    assert question.button_texts == ["✅ Identité vérifiée : réinitialiser", "Annuler"]
    await secretary.click("✅ Identité vérifiée : réinitialiser", chat=group)
    private = await secretary.last()
    assert "Nouveau mot de passe provisoire de jean.dupont12" in private.text
    new_provisional = private.text.split("\n\n")[1].strip()
    assert new_provisional not in "".join(m.text for m in await group.messages())  # never in the ticket's group

    # The staff member does as the stranger asked: the bot refuses to pass the password on, or keep it.
    reply = await secretary.send(f"Voici votre nouveau code : {new_provisional}", chat=group,
                                 reply_to=header.message_id)
    assert "contient un mot de passe" in (await group.last()).text
    assert reply in await group.deleted_ids()
    assert new_provisional not in await stranger.all_text()
    assert all(new_provisional not in t for t in stored_staff_texts(bot))
    assert not bot.database_holds(new_provisional)


async def test_the_family_that_proved_its_account_is_told_so_and_staff_passwords_never_reach_it(bot: Harness) -> None:
    await flows.with_account(bot)
    family = await bot.parent("Amina")
    secretary = await bot.secretary()
    group = await bot.staff_group(secretary)  # the bot is no admin here: it cannot delete
    await flows.activate(family)
    await write_to_school(family, "Bonjour, je voudrais changer de question secrète")
    header = await header_of(group, 1)
    assert "✅ a prouvé détenir ce compte (activé depuis cette conversation Telegram)" in header.text
    await secretary.click("♻️ Réinitialiser", in_message=header.message_id, chat=group)
    assert (await group.last()).button_texts == ["✅ Oui, réinitialiser", "Annuler"]  # the usual question
    await secretary.click("Annuler", chat=group)

    # Even to a family that proved it, a provisional password typed by staff is not relayed (a reply is never
    # compared with the family's own password: tests/test_attack_helpdesk.py).
    await secretary.send("Essayez Kp7m-X4tz-R9 sur le site", chat=group, reply_to=header.message_id)
    assert "contient un mot de passe" in (await group.last()).text
    assert "Kp7m-X4tz-R9" not in await family.all_text()
    assert stored_staff_texts(bot) == []
    await secretary.send("Essayez plutôt « Mot de passe oublié » sur le site.", chat=group, reply_to=header.message_id)
    assert "Mot de passe oublié" in await family.text()


async def test_a_parent_who_typed_the_provisional_password_has_proved_the_account(bot: Harness) -> None:
    await flows.with_account(bot)
    parent = await bot.parent("Amina")
    group = await bot.staff_group(await bot.secretary())
    await flows.to_cgu(parent)
    await write_to_school(parent, "Je ne comprends pas les conditions")
    header = await header_of(group, 1)
    assert "✅ a prouvé détenir ce compte (son mot de passe provisoire" in header.text


# -- the staff group is fed by a worker, not by the parent's handler (issue 10, point 13) ----------------


@pytest.mark.timeout(300)  # the last tickets reach the group a minute later: Telegram's pace, not the bot's
async def test_thirty_tickets_at_once_are_acknowledged_without_waiting_for_the_group(bot: Harness) -> None:
    group = await bot.staff_group(await bot.secretary())
    parents = [await bot.parent(f"Parent{n}") for n in range(30)]

    async def writes(parent: Person, n: int) -> str:
        await write_to_school(parent, f"Bonjour, je suis le parent numéro {n}")
        return await parent.text()

    acks = await asyncio.gather(*(writes(p, n) for n, p in enumerate(parents)))
    assert all("Message transmis au collège" in a for a in acks)
    # Telegram takes 20 messages a minute in a group: had each parent waited for their ticket's post,
    # all 30 would be in the group by now.
    headers_when_all_acknowledged = [m for m in await group.messages() if m.text.startswith("🆘")]
    assert len(headers_when_all_acknowledged) < 30
    await bot.group_caught_up(timeout=120)  # the rest follow at the group's pace
    headers = [m.text for m in await group.messages() if m.text.startswith("🆘")]
    assert len(headers) == 30
    assert all(any(f"parent numéro {n}\n" in h for h in headers) for n in range(30))


async def test_a_follow_up_photo_with_a_long_caption_reaches_the_group_whole(bot: Harness) -> None:
    parent = await bot.parent("Amina")
    group = await bot.staff_group(await bot.secretary())
    await write_to_school(parent, "Voici ce que j'ai à l'écran")
    header = await header_of(group, 1)
    caption = ("Message d'erreur recopié : " + "le serveur ne répond pas, " * 39)[:1015] + " FIN."
    assert len(caption) == 1020  # Telegram took it from the parent: it fits a caption, not with a name before it
    await parent.send_photo(caption=caption)
    assert "Message ajouté à votre demande n°1" in await parent.text()
    await bot.group_caught_up()
    later = [m for m in await group.messages() if m.message_id > header.message_id]
    photos = [m for m in later if m.kind == "photo"]
    assert len(photos) == 1 and photos[0].reply_to == header.message_id and "Demande n°1 — Amina" in photos[0].text
    words = "".join(m.text for m in later)
    assert caption in words


async def test_a_first_message_too_long_for_a_header_goes_whole_under_it(bot: Harness) -> None:
    await flows.with_account(bot)
    parent = await bot.sandbox.person("N" * 64, last_name="L" * 64, username="u" * 32)
    group = await bot.staff_group(await bot.secretary())
    await flows.to_identifier(parent)
    await parent.send(flows.IDENTIFIER)
    await parent.send("Mauvais-1")  # a last error, and a context as long as it gets
    long_text = ("Voici tout ce que j'ai essayé depuis lundi, étape par étape. " * 60)[:3490] + " FIN."
    await write_to_school(parent, long_text)
    assert "demande n°1" in await parent.text()
    header = await header_of(group, 1)
    await bot.group_caught_up()
    assert "[message long : ci-dessous]" in header.text
    below = [m.text for m in await group.messages() if m.message_id > header.message_id]
    assert long_text in "".join(t.split(":\n\n", 1)[1] for t in below)
