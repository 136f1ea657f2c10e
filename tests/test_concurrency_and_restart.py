"""One parent never waits for another; one parent's messages keep their order; a restart loses nothing."""

from __future__ import annotations

from bot.processor import PerUserProcessor
from sandbox.driver import Person
from tests import flows
from tests.conftest import Harness


async def test_a_stuck_parent_does_not_hold_up_another(bot: Harness) -> None:
    await flows.with_account(bot)
    slow, quick = await bot.parent("Lent"), await bot.parent("Rapide")
    await flows.to_identifier(slow)
    await slow.send(flows.IDENTIFIER)
    # The slow parent's update stalls on Telegram's side (its secret's deletion answers late).
    await bot.sandbox.fault("deleteMessage", status=200, count=1, delay=3.0)
    await slow.send(flows.PROVISIONAL, wait=False)
    await quick.send("/start")
    assert "Bonjour Rapide" in await quick.text()
    processor = bot.app.update_processor
    assert isinstance(processor, PerUserProcessor)
    assert slow.last_update_id not in processor._handled  # still running when the other got its answer
    await processor.wait_handled(slow.last_update_id)
    assert "Étape 3/6" in await slow.text()


async def test_one_parent_s_messages_are_handled_in_order(bot: Harness, parent: Person) -> None:
    await flows.to_identifier(parent)
    await parent.send(flows.IDENTIFIER, wait=False)
    await parent.send(flows.PROVISIONAL, wait=False)
    await parent.send("Ceci arrive trop tôt", wait=False)
    processor = bot.app.update_processor
    assert isinstance(processor, PerUserProcessor)
    await processor.wait_handled(parent.last_update_id)
    texts = [m.text for m in await parent.messages() if m.from_bot]
    # The identifier, then the password, then the stray text: answered in one line at the terms of use.
    assert "Étape 3/6" in texts[-2] and "Touchez « J'ai lu et j'accepte »" in texts[-1]


async def test_a_restarted_bot_resumes_the_parent_where_they_were(bot: Harness, parent: Person) -> None:
    await flows.to_questions(parent)
    await flows.choose_question(parent, 9)
    await bot.restart()  # the bot goes away, and its memory of the conversation with it
    answer = await parent.send("Tours")  # answered straight away, as if nothing happened
    assert answer in await parent.deleted_ids()
    assert "Seconde question" in await parent.text()
    await flows.choose_question(parent, 10)
    await parent.send("Martin")
    await parent.send(flows.PASSWORD)
    await parent.send(flows.PASSWORD)
    assert "Compte activé !" in await parent.text()
