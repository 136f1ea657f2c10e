"""What parents really send: the wrong kind of message, too much, too little, old buttons, commands mid-step."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from sandbox.driver import Person
from tests import flows
from tests.conftest import Harness


async def test_other_kinds_of_message_at_a_text_step_are_explained(bot: Harness, parent: Person) -> None:
    await flows.to_identifier(parent)
    for send in (parent.send_sticker, parent.send_photo, parent.send_voice, parent.send_document,
                 parent.send_contact, parent.send_location):
        await send()
        assert "J'attends votre identifiant, tapé au clavier" in await parent.text()
    progress = await bot.store.progress.get(parent.user_id)
    assert progress is not None and progress.step == "identifier"
    await parent.send(flows.IDENTIFIER)
    assert "mot de passe provisoire" in await parent.text()


async def test_a_photo_at_a_secret_step_is_deleted(bot: Harness, parent: Person) -> None:
    await flows.to_identifier(parent)
    await parent.send(flows.IDENTIFIER)
    photo = await parent.send_photo(caption="le courrier du collège")
    assert photo in await parent.deleted_ids()
    assert "J'attends votre mot de passe provisoire" in await parent.text()


async def test_oversized_and_blank_texts_are_refused_without_losing_the_step(bot: Harness, parent: Person) -> None:
    await flows.to_identifier(parent)
    for typed in ("x" * 5000, "     "):  # neither can be an identifier
        await parent.send(typed)
        assert "ne peut pas être un identifiant" in await parent.text() and "64 caractères au plus" in await parent.text()
    await parent.send(flows.IDENTIFIER)
    await parent.send(flows.PROVISIONAL)
    assert "Étape 3/6" in await parent.text()
    await parent.click("✅ J'ai lu et j'accepte")
    await parent.send("y" * 5000)
    assert "trop long (5000 caractères, 254 au plus)" in await parent.text()
    await parent.send("     ")
    assert "que des espaces" in await parent.text()
    progress = await bot.store.progress.get(parent.user_id)
    assert progress is not None and progress.step == "email"


async def test_text_where_buttons_are_expected_answers_in_one_short_line(bot: Harness, parent: Person) -> None:
    await flows.to_cgu(parent)
    cgu = await parent.last()
    await parent.send("oui")
    answer = await parent.last()
    assert answer.message_id != cgu.message_id and "Touchez « J'ai lu et j'accepte »" in answer.text
    assert len(answer.text) < 120 and answer.buttons == []  # the terms are not sent again
    messages = {m.message_id: m for m in await parent.messages()}
    assert messages[cgu.message_id].text == cgu.text and messages[cgu.message_id].buttons == cgu.buttons
    await parent.click("✅ J'ai lu et j'accepte")
    assert "Étape 4/6" in await parent.text()  # answered at the bottom, where the parent looks


async def test_emoji_and_right_to_left_answers_are_accepted(bot: Harness, parent: Person) -> None:
    await flows.to_questions(parent)
    await flows.choose_question(parent, 14)
    await parent.send("🐱 القط الأسود")
    assert "Seconde question" in await parent.text()
    await flows.choose_question(parent, 1)
    await parent.send("Ζορμπάς 🎬")
    assert "Étape 6/6" in await parent.text()


async def test_markup_and_sql_in_an_identifier_are_refused_and_never_kept(bot: Harness, parent: Person) -> None:
    await flows.to_identifier(parent)
    typed = await parent.send("<b>x</b>'; DROP TABLE accounts;--")
    assert "ne peut pas être un identifiant" in await parent.text()
    assert typed in await parent.deleted_ids()
    progress = await bot.store.progress.get(parent.user_id)
    assert progress is not None and progress.step == "identifier" and progress.identifier is None
    assert await bot.store.accounts.find(flows.IDENTIFIER) is not None


async def test_stale_and_forged_buttons_are_refused(bot: Harness, parent: Person) -> None:
    await flows.to_questions(parent)
    q1 = await parent.last()
    for forged in ("q1:99", "q1:00", "cgu:accept", "q2:07", "x" * 64, "menu:nope", "profile:parent"):
        toast = await parent.click_data(q1.message_id, forged)
        assert toast == "Ce bouton n'est plus valable. Utilisez les boutons du dernier message."
    progress = await bot.store.progress.get(parent.user_id)
    assert progress is not None and progress.step == "question1"
    await flows.choose_question(parent, 7)
    toast = await parent.click_data(q1.message_id, "q1:07")  # the same button, pressed again
    assert toast is not None and "plus valable" in toast
    await parent.send("réponse")
    q2 = await parent.last()
    toast = await parent.click_data(q2.message_id, "q2:07")  # the first question again: forged
    assert toast is not None and "plus valable" in toast
    progress = await bot.store.progress.get(parent.user_id)
    assert progress is not None and progress.step == "question2"


async def test_the_same_button_pressed_twice_quickly_acts_once(bot: Harness, parent: Person) -> None:
    await flows.to_cgu(parent)
    cgu = await parent.last()
    button = cgu.button("✅ J'ai lu et j'accepte")
    assert button is not None
    toasts = await asyncio.gather(parent.click_data(cgu.message_id, button["callback_data"]),
                                  parent.click_data(cgu.message_id, button["callback_data"]))
    assert sorted(t or "" for t in toasts) == ["", "Ce bouton n'est plus valable. Utilisez les boutons du dernier message."]
    assert "Étape 4/6" in await parent.text()
    async with bot.store.db.read() as conn:
        rows = await conn.execute_fetchall("SELECT COUNT(*) FROM audit WHERE event = 'identified'")
    assert list(rows)[0][0] == 1


async def test_commands_mid_step_keep_the_progress(bot: Harness, parent: Person) -> None:
    await flows.to_questions(parent)
    await parent.send("/aide")
    assert "étape 5/6" in await parent.text() and "ce.0371122u@ac-orleans-tours.fr" in await parent.text()
    await parent.send("/start")
    assert "Vous en êtes à l'étape 5/6" in await parent.text()
    await parent.send("/annuler")
    assert "mise en pause" in await parent.text()
    await parent.send("/start")
    menu = await parent.last()
    assert "▶️ Reprendre à l'étape 5/6" in menu.button_texts
    await parent.click("▶️ Reprendre à l'étape 5/6")
    assert "Première question" in await parent.text()
    await flows.choose_question(parent, 2)
    assert "première peluche" in await parent.text()


async def test_wrong_pairs_get_one_generic_answer_then_a_growing_lock(bot: Harness, parent: Person) -> None:
    await flows.to_identifier(parent)
    await parent.send("inconnu.total")
    await parent.send("Prov-2026a")
    unknown_answer = await parent.text()
    await parent.click("✏️ Changer d'identifiant")
    await parent.send(flows.IDENTIFIER)
    await parent.send("prov-2026A")  # the right password with the wrong case
    known_answer = await parent.text()
    assert unknown_answer == known_answer and "majuscules et les minuscules" in known_answer
    for _ in range(3):
        await parent.send("mauvais")
    assert "réessayez dans 15 minutes" in await parent.text()
    assert "ce.0371122u@ac-orleans-tours.fr" in await parent.text()
    await parent.send(flows.PROVISIONAL)  # even the right one is refused while locked
    assert "Trop d'essais" in await parent.text()

    bot.clock.advance(timedelta(minutes=16))
    await parent.send(flows.PROVISIONAL)
    assert "Étape 3/6" in await parent.text()

    async with bot.store.db.read() as conn:
        events = [r[0] for r in await conn.execute_fetchall("SELECT event FROM audit ORDER BY id")]
    assert events.count("provisional_failed") == 5 and events.count("locked") == 1


async def test_each_new_lock_lasts_twice_as_long(bot: Harness) -> None:
    parent = await bot.parent()
    await flows.to_identifier(parent)
    for minutes in (15, 30, 60):
        for _ in range(5):
            await parent.send("quelqu.un")
            await parent.send("mauvais")
        assert f"réessayez dans {minutes} minutes" in await parent.text()
        bot.clock.advance(timedelta(minutes=minutes + 1))
        await parent.send("/annuler")
        await parent.send("/start")
        await parent.click("🔄 Recommencer l'activation")
        await parent.click("👪 Élève ou parent")


async def test_a_parent_away_for_half_an_hour_proves_it_is_them_again(bot: Harness, parent: Person) -> None:
    await flows.to_cgu(parent)
    await parent.click("✅ J'ai lu et j'accepte")
    bot.clock.advance(timedelta(minutes=31))
    await parent.click("⏭ Passer (recommandé)")
    assert "Cela fait un moment que vous n'avez rien tapé" in await parent.text()
    typed = await parent.send("faux")
    assert typed in await parent.deleted_ids()
    assert "Mot de passe provisoire incorrect" in await parent.text()
    await parent.send(flows.PROVISIONAL)
    text = await parent.text()
    assert "c'est bien vous" in text and "Étape 4/6" in text  # nothing confirmed is asked again
    await parent.click("⏭ Passer (recommandé)")
    assert "Première question" in await parent.text()


async def test_two_telegram_users_on_one_account(bot: Harness) -> None:
    await flows.with_account(bot)
    first, second = await bot.parent("Jean"), await bot.parent("Marie")
    await flows.to_password(first)
    await flows.to_password(second)
    await first.send(flows.PASSWORD)
    await first.send(flows.PASSWORD)
    assert "Compte activé !" in await first.text()
    await second.send("Autre-Mot2passe")
    assert "activé ou réinitialisé par ailleurs" in await second.text()
    assert await bot.store.progress.get(second.user_id) is None


@pytest.mark.parametrize("blocked_at", ["identifier"])
async def test_a_parent_who_blocked_the_bot_does_not_break_it(bot: Harness, parent: Person, blocked_at: str) -> None:
    await flows.to_identifier(parent)
    await parent.block_bot()
    await parent.send(flows.IDENTIFIER)
    progress = await bot.store.progress.get(parent.user_id)
    assert progress is not None and progress.step == "provisional"
    await parent.block_bot(False)
    other = await bot.parent("Autre")
    await other.send("/start")
    assert "Bonjour Autre" in await other.text()


async def test_a_secret_that_starts_with_a_slash_leaves_the_chat(bot: Harness, parent: Person) -> None:
    """At a secret step a text starting with '/' is a command for Telegram: it is deleted all the same, unread."""
    await flows.to_password(parent)
    typed = await parent.send("/Ma-Cle:Verte42")
    assert typed in await parent.deleted_ids()
    assert "commence par « / »" in await parent.text()
    await parent.send(flows.PASSWORD)  # the step is where it was
    assert "une seconde fois" in await parent.text()
