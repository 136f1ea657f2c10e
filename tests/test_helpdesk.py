"""The help desk as a stuck parent and the secretariat live it: Telegram on both sides, the school's mailbox."""

from __future__ import annotations

from datetime import timedelta

from sandbox.driver import Chat, Msg, Person
from sandbox.world import BOT_ID
from tests import flows
from tests.conftest import MAIL_FROM, Harness
from tests.smtp import SmtpServer

SCHOOL = "ce.0371122u@ac-orleans-tours.fr"


async def header_of(group: Chat, ticket: int) -> Msg:
    for message in await group.messages():
        if message.from_bot and message.text.startswith(f"🆘 Demande n°{ticket} "):
            return message
    raise AssertionError(f"no ticket {ticket} in the staff group")


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
    shown = "".join(m.text for m in await group.messages())
    assert "message 5" in shown and "message 6" not in shown
    bot.clock.advance(timedelta(minutes=5, seconds=1))
    await parent.send("message 7")
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
    assert "y" * 3500 in header.text
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
    bot.clock.advance(timedelta(days=11))
    await bot.run_job("purge_tickets")
    assert await bot.store.tickets.get(1) is None
    assert await bot.store.tickets.get(2) is not None and await bot.store.tickets.get(3) is not None
    # A staff reply to the purged ticket's message is no longer a ticket answer.
    await secretary.send("trop tard", chat=group, reply_to=(await header_of(group, 1)).message_id)
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
    photo = (await group.messages())[-1]
    assert photo.kind == "photo" and "la capture" in photo.text and photo.reply_to == header.message_id
    await mail_bot.run_job("repost_tickets")
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
    assert flows.PASSWORD.encode() not in mail_bot.settings.database.read_bytes()
