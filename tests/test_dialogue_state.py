"""Dialogue state and SQLite agree: each state that takes text survives a restart; the 30 minutes count from the
last accepted answer; a line that cannot be an identifier is refused and erased; a failed deletion is retried."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest

from sandbox.driver import Person
from tests import flows
from tests.conftest import Harness

REAUTH_ASKED = "Cela fait un moment que vous n'avez rien tapé"
ONE_LINE = f"{flows.IDENTIFIER} {flows.PROVISIONAL}"  # identifier and password typed together


async def _answers_after(parent: Person, message_id: int) -> str:
    return "\n".join(m.text for m in await parent.messages() if m.from_bot and m.message_id > message_id)


# -- every state that takes typed text, entered, then the bot restarted -------------------------------------


async def _activated(bot: Harness, parent: Person) -> None:
    await flows.activate(parent)


async def _to_reauth(bot: Harness, parent: Person) -> None:
    await flows.to_cgu(parent)
    bot.clock.advance(timedelta(minutes=31))
    await parent.click("✅ J'ai lu et j'accepte")
    assert REAUTH_ASKED in await parent.text()


async def _to_email(bot: Harness, parent: Person) -> None:
    await flows.to_cgu(parent)
    await parent.click("✅ J'ai lu et j'accepte")


async def _to_email_confirm(bot: Harness, parent: Person) -> None:
    await _to_email(bot, parent)
    await parent.send("amina@example.org")


async def _to_answer1(bot: Harness, parent: Person) -> None:
    await flows.to_questions(parent)
    await flows.choose_question(parent, 7)


async def _to_answer2(bot: Harness, parent: Person) -> None:
    await _to_answer1(bot, parent)
    await parent.send(flows.ANSWER1)
    await flows.choose_question(parent, 14)


async def _to_password_confirm(bot: Harness, parent: Person) -> None:
    await flows.to_password(parent)
    await parent.send(flows.PASSWORD)


async def _to_forgot_identifier(bot: Harness, parent: Person) -> None:
    await _activated(bot, parent)
    await parent.send("/start")
    await parent.click("🔓 Mot de passe oublié")


async def _to_forgot_answer1(bot: Harness, parent: Person) -> None:
    await _activated(bot, parent)
    await flows.to_first_question(parent)


async def _to_forgot_answer2(bot: Harness, parent: Person) -> None:
    await _to_forgot_answer1(bot, parent)
    await parent.send(flows.ANSWER1)


async def _to_forgot_password(bot: Harness, parent: Person) -> None:
    await _activated(bot, parent)
    await flows.forgot(parent)


async def _to_forgot_confirm(bot: Harness, parent: Person) -> None:
    await _to_forgot_password(bot, parent)
    await parent.send(flows.NEW_PASSWORD)


async def _to_login_identifier(bot: Harness, parent: Person) -> None:
    await _activated(bot, parent)
    await parent.send("/start")
    await parent.click("🔎 Tester ma connexion")


async def _to_login_password(bot: Harness, parent: Person) -> None:
    await _to_login_identifier(bot, parent)
    await parent.send(flows.IDENTIFIER)


async def _writing_at_answer1(bot: Harness, parent: Person) -> None:
    await _to_answer1(bot, parent)
    await parent.send("/aide")
    await parent.click("✍️ Écrire au collège")


async def _identifier(bot: Harness, parent: Person) -> None:
    await flows.to_identifier(parent)


async def _provisional(bot: Harness, parent: Person) -> None:
    await flows.to_identifier(parent)
    await parent.send(flows.IDENTIFIER)


async def _password(bot: Harness, parent: Person) -> None:
    await flows.to_password(parent)


@dataclass(frozen=True)
class Case:
    state: str
    enter: Callable[[Harness, Person], Awaitable[None]]
    typed: str
    answer: str  # what the state's own handler says
    secret: bool  # deleted as soon as read (the identifiers too: one may be a password typed early)


CASES = [
    Case("identifier", _identifier, flows.IDENTIFIER, "Tapez maintenant le mot de passe provisoire", True),
    Case("provisional", _provisional, flows.PROVISIONAL, "Étape 3/6", True),
    Case("reauth", _to_reauth, flows.PROVISIONAL, "c'est bien vous", True),
    Case("email", _to_email, "amina@example.org", "Tapez-la une seconde fois", False),
    Case("email_confirm", _to_email_confirm, "amina@example.org", "Adresse enregistrée", False),
    Case("answer1", _to_answer1, flows.ANSWER1, "Seconde question", True),
    Case("answer2", _to_answer2, flows.ANSWER2, "Étape 6/6", True),
    Case("password", _password, flows.PASSWORD, "une seconde fois", True),
    Case("password_confirm", _to_password_confirm, flows.PASSWORD, "Compte activé !", True),
    Case("forgot_identifier", _to_forgot_identifier, flows.IDENTIFIER, "question secrète 1/2", True),
    Case("forgot_answer1", _to_forgot_answer1, flows.ANSWER1, "question secrète 2/2", True),
    Case("forgot_answer2", _to_forgot_answer2, flows.ANSWER2, "Nouveau mot de passe", True),
    Case("forgot_password", _to_forgot_password, flows.NEW_PASSWORD, "une seconde fois", True),
    Case("forgot_confirm", _to_forgot_confirm, flows.NEW_PASSWORD, "Mot de passe changé !", True),
    Case("login_identifier", _to_login_identifier, flows.IDENTIFIER, "Tapez maintenant votre mot de passe", True),
    Case("login_password", _to_login_password, flows.PASSWORD, "Identifiant et mot de passe corrects", True),
    Case("helpdesk", _writing_at_answer1, "Bonjour je ne comprends pas cette question", "demande n°1", False),
]


@pytest.mark.parametrize("case", CASES, ids=[c.state for c in CASES])
async def test_each_state_that_takes_text_is_answered_by_its_own_handler_after_a_restart(
        bot: Harness, parent: Person, case: Case) -> None:
    await case.enter(bot, parent)
    await bot.restart()  # PTB's memory of the conversation is gone: only SQLite says where the parent is
    typed = await parent.send(case.typed)
    assert case.answer in await _answers_after(parent, typed)
    assert (typed in await parent.deleted_ids()) is case.secret


async def test_a_message_to_the_school_at_a_secret_question_becomes_a_ticket_not_the_answer(
        bot: Harness, parent: Person) -> None:
    await _writing_at_answer1(bot, parent)
    await bot.restart()
    await parent.send("Bonjour je ne comprends pas cette question")
    assert "demande n°1" in await parent.text()
    progress = await bot.store.progress.get(parent.user_id)
    assert progress is not None and progress.step == "answer1" and progress.answer1_hash is None
    [ticket] = await bot.store.tickets.open_tickets()
    messages = await bot.store.tickets.messages(ticket.id)
    assert [m.text for m in messages] == ["Bonjour je ne comprends pas cette question"]
    # Once the message is sent, "Reprendre l'activation" brings the parent back to the question.
    await parent.click("▶️ Reprendre l'activation")
    await parent.send(flows.ANSWER1)
    assert "Seconde question" in await parent.text()


async def test_leaving_the_school_s_message_for_another_dialogue_forgets_the_writing_state(
        bot: Harness, parent: Person) -> None:
    await _writing_at_answer1(bot, parent)
    await parent.send("/start")
    await bot.restart()
    await parent.send(flows.ANSWER1)
    assert "Seconde question" in await parent.text()
    assert await bot.store.tickets.open_tickets() == []


# -- the 30 minutes count from the last accepted answer, whatever was shown since ---------------------------


async def _cgu_half_an_hour_ago(bot: Harness, parent: Person) -> int:
    await flows.to_cgu(parent)
    bot.clock.advance(timedelta(minutes=31))
    return (await parent.last()).message_id


async def _still_at_cgu_and_asked_to_prove(bot: Harness, parent: Person, terms: int | None = None) -> None:
    if terms is None:
        await parent.click("✅ J'ai lu et j'accepte")  # the latest copy of the terms' buttons
    else:
        await parent.click_data(terms, "cgu:accept")  # the terms as they were shown before
    progress = await bot.store.progress.get(parent.user_id)
    assert progress is not None and progress.step == "cgu"
    assert REAUTH_ASKED in await parent.all_text()
    await parent.send(flows.PROVISIONAL)
    assert "c'est bien vous" in await parent.text()


async def test_start_after_half_an_hour_does_not_skip_the_check(bot: Harness, parent: Person) -> None:
    terms = await _cgu_half_an_hour_ago(bot, parent)
    await parent.send("/start")
    await _still_at_cgu_and_asked_to_prove(bot, parent, terms)


async def test_a_sticker_after_half_an_hour_does_not_skip_the_check(bot: Harness, parent: Person) -> None:
    terms = await _cgu_half_an_hour_ago(bot, parent)
    await parent.send_sticker()
    await _still_at_cgu_and_asked_to_prove(bot, parent, terms)


async def test_a_stale_button_after_half_an_hour_does_not_skip_the_check(bot: Harness, parent: Person) -> None:
    await flows.to_cgu(parent)
    first = [m for m in await parent.messages() if m.from_bot][0]
    await bot.restart()
    bot.clock.advance(timedelta(minutes=31))
    await parent.click_data(first.message_id, "profile:parent")  # the profile's prompt, long gone
    await _still_at_cgu_and_asked_to_prove(bot, parent)


async def test_text_typed_while_the_check_is_due_is_erased(bot: Harness, parent: Person) -> None:
    await _to_email(bot, parent)
    bot.clock.advance(timedelta(minutes=31))
    typed = await parent.send(flows.PROVISIONAL)  # typed before being asked: it is the password all the same
    assert typed in await parent.deleted_ids()
    assert REAUTH_ASKED in await parent.text()


# -- a line that cannot be an identifier ----------------------------------------------------------------------


async def _activation(parent: Person) -> None:
    await flows.to_identifier(parent)


async def _forgot(parent: Person) -> None:
    await parent.send("/start")
    await parent.click("🔓 Mot de passe oublié")


async def _login(parent: Person) -> None:
    await parent.send("/start")
    await parent.click("🔎 Tester ma connexion")


@pytest.mark.parametrize("where", [_activation, _forgot, _login], ids=["activation", "forgot", "login"])
async def test_identifier_and_password_on_one_line_are_refused_erased_and_never_kept(
        bot: Harness, parent: Person, where: Callable[[Person], Awaitable[None]]) -> None:
    await where(parent)
    typed = await parent.send(ONE_LINE)
    answer = await parent.text()
    assert "ne peut pas être un identifiant" in answer and "le mot de passe vient ensuite" in answer
    assert typed in await parent.deleted_ids()
    shown = [m.text for m in await parent.messages() if m.from_bot]
    assert not any(flows.PROVISIONAL.casefold() in t.casefold() for t in shown)  # never echoed
    # Then the parent can write to the school: the ticket knows nothing of that line.
    await parent.send("/aide")
    await parent.click("✍️ Écrire au collège")
    await parent.send("Je n'arrive pas à me connecter")
    assert "demande n°1" in await parent.text()
    stored = b"".join(p.read_bytes() for p in bot.tmp_path.glob("entbot.sqlite3*")).lower()
    assert flows.PROVISIONAL.lower().encode() not in stored
    conn = sqlite3.connect(bot.settings.database)
    keys = [r[0] for r in conn.execute("SELECT key FROM attempts")]
    conn.close()
    assert not any("prov" in k for k in keys)


@pytest.mark.parametrize("typed", ["jean.dupont12\tProv", "jean/dupont", "jean\x1bdupont", "j" * 65])
async def test_what_cannot_be_an_identifier_is_refused_at_step_2(bot: Harness, parent: Person, typed: str) -> None:
    await flows.to_identifier(parent)
    sent = await parent.send(typed)
    assert "ne peut pas être un identifiant" in await parent.text()
    assert sent in await parent.deleted_ids()
    await parent.send(flows.IDENTIFIER)
    await parent.send(flows.PROVISIONAL)
    assert "Étape 3/6" in await parent.text()


# -- a secret Telegram failed to delete -------------------------------------------------------------------------


async def test_a_password_telegram_failed_to_delete_is_deleted_by_the_sweep(bot: Harness, parent: Person) -> None:
    await flows.to_identifier(parent)
    await parent.send(flows.IDENTIFIER)
    await bot.sandbox.fault("deleteMessage", status=502, count=1)
    typed = await parent.send(flows.PROVISIONAL)
    assert "Étape 3/6" in await parent.text()  # the step went on
    assert typed not in await parent.deleted_ids()  # still there, for now
    await bot.restart()  # the pending deletion is in SQLite, not in memory
    await bot.run_job("sweep_secrets")
    assert typed in await parent.deleted_ids()
    assert await bot.store.pending_deletions.all() == []


async def test_a_deletion_keeps_being_retried_then_given_up_after_48_hours(bot: Harness, parent: Person) -> None:
    await flows.to_identifier(parent)
    await parent.send(flows.IDENTIFIER)
    await bot.sandbox.fault("deleteMessage", status=500, count=2)
    typed = await parent.send(flows.PROVISIONAL)
    await bot.run_job("sweep_secrets")  # Telegram fails again
    [pending] = await bot.store.pending_deletions.all()
    assert pending.message_id == typed and pending.attempts == 2
    bot.clock.advance(timedelta(hours=49))
    await bot.run_job("sweep_secrets")
    assert await bot.store.pending_deletions.all() == []
    assert typed not in await parent.deleted_ids()  # too old for a bot: given up, not tried
