"""Forgotten password and login test, as a parent does them: the two questions, the new password, the check."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sandbox.driver import Person
from tests import flows
from tests.conftest import Harness

pytestmark = pytest.mark.both_engines  # the forgotten password and the login, on SQLite and on PostgreSQL


async def test_forgotten_password_is_replaced_through_the_two_questions(bot: Harness, parent: Person) -> None:
    await flows.activate(parent)
    await parent.send("/start")
    await parent.click("🔓 Mot de passe oublié")
    await parent.send("  JEAN.Dupont12 ")  # other case, surrounding spaces: the same account
    assert "Quel était votre premier numéro de téléphone ?" in await parent.text()
    first = await parent.send("01 47 20 00 01")
    assert "Quel est votre film préféré ?" in await parent.text()
    second = await parent.send("le grand  bleu")  # case and spaces do not matter
    assert "Réponses correctes" in await parent.text()
    typed = [await parent.send(flows.NEW_PASSWORD), await parent.send(flows.NEW_PASSWORD)]
    assert "Mot de passe changé !" in await parent.text()
    assert {first, second, *typed} <= set(await parent.deleted_ids())
    assert flows.NEW_PASSWORD not in await parent.all_text()

    await flows.login_test(parent, flows.NEW_PASSWORD)
    assert "Identifiant et mot de passe corrects" in await parent.text()
    await flows.login_test(parent, flows.PASSWORD)
    assert "Identifiant ou mot de passe incorrect" in await parent.text()
    account = await bot.store.accounts.find(flows.IDENTIFIER)
    assert account is not None
    events = [event for _, _, event, _ in await bot.store.audit.for_account(account.id)]
    assert "password_changed" in events and "answers_verified" in events


async def test_wrong_answers_get_one_answer_whichever_is_wrong_and_end_in_a_lock(bot: Harness, parent: Person) -> None:
    await flows.activate(parent)
    await flows.forgot(parent, answer1="faux")
    first_wrong = await parent.text()
    await parent.send(flows.ANSWER1)
    await parent.send("faux aussi")
    second_wrong = await parent.text()
    assert "Les réponses ne correspondent pas" in first_wrong
    assert first_wrong == second_wrong  # nothing tells which answer was wrong
    for _ in range(3):
        await parent.send("encore faux")
        await parent.send("encore faux")
    assert "Trop d'essais incorrects" in await parent.all_text()
    assert "ce.0371122u@ac-orleans-tours.fr" in await parent.text()
    # The right answers do not help while locked, on this path or on the login test.
    await flows.forgot(parent)
    assert "réessayez dans 15 minutes" in await parent.all_text()
    assert "Mot de passe changé" not in await parent.all_text()


async def test_an_account_not_yet_active_is_sent_to_activation(bot: Harness, parent: Person) -> None:
    await parent.send("/start")
    await parent.click("🔓 Mot de passe oublié")
    await parent.send(flows.IDENTIFIER)  # imported, never activated
    pending = await parent.last()
    await parent.send("personne.inconnue")
    unknown = await parent.last()
    assert "pas de compte <b>activé</b>" not in pending.text and "pas de compte activé" in pending.text
    assert pending.text == unknown.text  # an unknown identifier is not told apart
    await parent.click("🔑 Activer mon compte")
    assert "Étape 1/6" in await parent.text()
    assert await bot.store.recovery.get(parent.user_id) is None


async def test_login_test_failures_are_generic_and_limited(bot: Harness, parent: Person) -> None:
    await flows.activate(parent)
    await flows.login_test(parent, "Mauvais-1")
    wrong_password = await parent.text()
    await parent.send("inconnu.total")
    typed = await parent.send(flows.PASSWORD)
    wrong_identifier = await parent.text()
    assert "Identifiant ou mot de passe incorrect" in wrong_password and wrong_password == wrong_identifier
    assert typed in await parent.deleted_ids() and "Mauvais-1" not in await parent.all_text()
    for _ in range(3):
        await parent.send(flows.IDENTIFIER)
        await parent.send("Mauvais-1")
    assert "Trop d'essais incorrects" in await parent.text()
    await flows.login_test(parent, flows.PASSWORD)
    assert "Identifiant et mot de passe corrects" not in await parent.all_text()
    bot.clock.advance(timedelta(minutes=16))
    await flows.login_test(parent, flows.PASSWORD)
    assert "Identifiant et mot de passe corrects" in await parent.text()


async def test_wrong_kinds_commands_and_cancel_midway(bot: Harness, parent: Person) -> None:
    await flows.activate(parent)
    await flows.to_first_question(parent)
    sticker = await parent.send_sticker()
    assert "J'attends votre réponse à la question secrète" in await parent.text()
    assert sticker in await parent.deleted_ids()
    await parent.send("x" * 300)
    assert "trop long (300 caractères, 100 au plus)" in await parent.text()
    question = [m for m in await parent.messages() if m.button("↩ Retour")][-1]
    await parent.send("/aide")
    assert "Vous êtes dans la démarche « Mot de passe oublié »" in await parent.text()
    await parent.click("↩ Retour")
    shown = {m.message_id: m for m in await parent.messages()}
    # Pressed far up the chat (the help came after it): answered at the bottom, the question's buttons gone.
    assert "abandonné, rien n'a été changé" in await parent.text() and shown[question.message_id].buttons == []
    await parent.send(flows.ANSWER1)
    assert "Je n'ai pas compris" in await parent.text()


async def test_a_restart_midway_keeps_the_dialogue(bot: Harness, parent: Person) -> None:
    await flows.activate(parent)
    await flows.to_first_question(parent)
    await parent.send(flows.ANSWER1)
    await bot.restart()
    answer = await parent.send(flows.ANSWER2)
    assert answer in await parent.deleted_ids()
    assert "Réponses correctes" in await parent.text()
    await parent.send(flows.NEW_PASSWORD)
    await parent.send(flows.NEW_PASSWORD)
    assert "Mot de passe changé !" in await parent.text()
