"""One person's flood of messages never holds up another parent; answers and passwords are checked at a bounded pace."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest
from telegram import Chat, Message, Update, User

from bot.processor import MAX_QUEUED_PER_USER, PerUserProcessor
from conversations.budget import HASHES_PER_MINUTE
from sandbox.driver import Person
from tests import flows
from tests.conftest import Harness

FLOOD = 300


def handled_users(caplog: pytest.LogCaptureFixture) -> list[int]:
    """The users whose updates the bot started handling, in that order (its own "update … user=…" log)."""
    found = []
    for record in caplog.records:
        if record.name == "entbot" and record.msg.startswith("update %s user="):
            found.append(int(record.args[1]))  # type: ignore[index]
    return found


async def test_a_flood_from_one_user_neither_delays_another_nor_is_handled_whole(
        bot: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    flooder, other = await bot.parent("Flot"), await bot.parent("Bruno")
    world = bot.server.world
    # All queued at once, before the bot's next poll: hundreds of the flooder's, then one /start.
    flood = [world.user_sends(flooder.user_id, flooder.user_id, text=f"message {n}")[0] for n in range(FLOOD)]
    start, _ = world.user_sends(other.user_id, other.user_id, text="/start")
    await world.notify()
    await bot.sandbox.wait_handled(start)
    assert "🔑 Activer mon compte" in (await other.last()).button_texts
    for update_id in flood:
        await bot.sandbox.wait_handled(update_id)

    order = handled_users(caplog)
    flooder_before_other = order[:order.index(other.user_id)].count(flooder.user_id)
    # The other parent is served while the flooder's queue is still far from drained.
    assert flooder_before_other < MAX_QUEUED_PER_USER // 2, flooder_before_other
    # Beyond the cap, the flooder's updates are dropped (a few more get in as the first ones are done),
    # and the log says so once for the burst.
    handled = order.count(flooder.user_id)
    assert MAX_QUEUED_PER_USER <= handled < 2 * MAX_QUEUED_PER_USER
    assert len([m for m in await flooder.messages() if m.from_bot]) == handled
    dropping = [r.getMessage() for r in caplog.records if "dropping the next ones" in r.getMessage()]
    assert len(dropping) == 1 and str(flooder.user_id) in dropping[0]
    caught_up = [r.getMessage() for r in caplog.records if "caught up" in r.getMessage()]
    assert caught_up == [f"user {flooder.user_id} caught up; {FLOOD - handled} update(s) dropped in that burst"]


async def test_answers_and_passwords_past_the_budget_get_a_polite_word_and_the_step_stays(
        bot: Harness, parent: Person) -> None:
    await flows.to_password(parent)  # the provisional password and two answers: three steps already
    for n in range(HASHES_PER_MINUTE - 3):
        await parent.send(f"court{n}")
        assert "au moins 8 caractères" in await parent.text()
    too_fast = await parent.send(flows.PASSWORD)
    assert "Vous allez un peu vite" in await parent.text()
    assert too_fast in await parent.deleted_ids()
    progress = await bot.store.progress.get(parent.user_id)
    assert progress is not None and progress.step == "password" and progress.password_hash is None
    bot.clock.advance(timedelta(seconds=61))
    await parent.send(flows.PASSWORD)
    await parent.send(flows.PASSWORD)
    assert "Compte activé" in await parent.all_text()


def _update(update_id: int, user_id: int) -> Update:
    user = User(user_id, "Parent", is_bot=False)
    message = Message(update_id, datetime.now(UTC), Chat(user_id, "private"), from_user=user, text="bonjour")
    return Update(update_id, message=message)


async def test_a_users_queue_waits_on_its_own_lock_before_taking_a_global_slot() -> None:
    """Two global slots, one user's twenty updates stuck behind their first: another user still gets one."""
    processor = PerUserProcessor(2, max_queued_per_user=100)
    gate, done = asyncio.Event(), []

    async def handle(tag: str) -> None:
        if tag == "A0":
            await gate.wait()  # the flooder's first update is slow (Argon2, a slow network)
        done.append(tag)

    tasks = [asyncio.create_task(processor.process_update(_update(n, 1), handle(f"A{n}"))) for n in range(20)]
    tasks.append(asyncio.create_task(processor.process_update(_update(100, 2), handle("B"))))
    await processor.wait_handled(100, timeout=20)
    assert done == ["B"]
    gate.set()
    await asyncio.gather(*tasks)
    assert done == ["B", *(f"A{n}" for n in range(20))]  # each user's updates kept their order
