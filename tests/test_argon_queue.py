"""The Argon2 queue: bounded (a step refused at once, nothing lost), and a parent told the bot is writing while it waits."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from sandbox.driver import Person
from sandbox.server import SandboxServer
from storage import secrets
from storage.secrets import ArgonBusy, ArgonPool, hash_secret_sync, verify_secret_sync
from tests import flows
from tests.conftest import Harness, running_bot


class BusyPool:
    """Other families' hashing, stood for by `count` operations that wait on a gate: the pool stays full until
    `release`."""

    def __init__(self, count: int) -> None:
        self.gate = threading.Event()
        self.held = [asyncio.ensure_future(secrets.POOL.run(self.gate.wait)) for _ in range(count)]

    async def release(self) -> None:
        self.gate.set()
        await asyncio.gather(*self.held)


async def at_provisional_step(bot: Harness) -> Person:
    await flows.with_account(bot)
    parent = await bot.parent()
    await flows.to_identifier(parent)
    await parent.send(flows.IDENTIFIER)
    return parent


async def test_the_pool_refuses_work_beyond_its_bound_and_takes_it_again_once_free() -> None:
    pool = ArgonPool(threads=1, max_waiting=2)
    gate = threading.Event()  # stands for long hashing already queued: one running, two waiting
    held = [asyncio.ensure_future(pool.run(gate.wait)) for _ in range(3)]
    await asyncio.sleep(0)
    assert pool.waiting == 2
    with pytest.raises(ArgonBusy):
        await pool.run(hash_secret_sync, "réponse")
    gate.set()
    await asyncio.gather(*held)
    digest = await pool.run(hash_secret_sync, "réponse")
    assert verify_secret_sync(digest, "réponse") and pool.in_flight == 0
    pool.close()


async def test_a_full_queue_refuses_the_step_in_french_deletes_the_secret_and_keeps_the_step(
        sandbox_server: SandboxServer, tmp_path: Path) -> None:
    async with running_bot(sandbox_server, tmp_path, argon2_threads=1, argon2_max_waiting=0) as bot:
        parent = await at_provisional_step(bot)
        busy = BusyPool(1)
        await asyncio.sleep(0)
        typed = await parent.send(flows.PROVISIONAL)
        assert "Beaucoup de familles" in await parent.text()
        assert typed in await parent.deleted_ids()
        progress = await bot.store.progress.get(parent.user_id)
        assert progress is not None and progress.step == "provisional" and progress.account_id is None
        await busy.release()
        await parent.send(flows.PROVISIONAL)  # the same answer again, once the rush has passed
        assert "Étape 3/6" in await parent.text()


async def test_a_step_waiting_behind_others_hashing_shows_the_bot_writing(
        sandbox_server: SandboxServer, tmp_path: Path) -> None:
    async with running_bot(sandbox_server, tmp_path, argon2_threads=1, argon2_max_waiting=10) as bot:
        parent = await at_provisional_step(bot)
        busy = BusyPool(1)
        await asyncio.sleep(0)
        await parent.send(flows.PROVISIONAL, wait=False)
        seq = 0
        for _ in range(30):  # "…est en train d'écrire" comes after two seconds of waiting
            if (await bot.sandbox.stats())["calls"].get("sendChatAction", 0):
                break
            seq = await bot.sandbox.wait_change(seq, 1.0, chat_id=parent.chat_id)
        else:
            pytest.fail("the parent was never shown that the bot is writing")
        assert "Étape 2/6" in await parent.text()  # still waiting: nothing else was said meanwhile
        await busy.release()
        await bot.sandbox.wait_handled(parent.last_update_id)
        assert "Étape 3/6" in await parent.text()


async def test_a_message_to_the_school_that_cannot_be_checked_for_secrets_is_neither_sent_nor_left_in_the_chat(
        sandbox_server: SandboxServer, tmp_path: Path) -> None:
    async with running_bot(sandbox_server, tmp_path, argon2_threads=1, argon2_max_waiting=3) as bot:
        await flows.with_account(bot)
        parent = await bot.parent()
        await flows.to_cgu(parent)  # the provisional password is proven: the school's messages are checked for it
        await parent.send("/aide")
        await parent.click("✍️ Écrire au collège")
        busy = BusyPool(4)  # the school's message is checked four hashes at a time: the pool and its three places
        await asyncio.sleep(0)
        typed = await parent.send(f"Bonjour, mon mot de passe {flows.PROVISIONAL} ne marche pas")
        assert "Beaucoup de familles" in await parent.text() and "rien n'a été enregistré" in await parent.text()
        assert typed in await parent.deleted_ids()
        assert await bot.store.tickets.open_for(parent.user_id) is None  # nothing reached the school unchecked
        await busy.release()
        await parent.send("Bonjour, je suis bloqué à l'étape 3")
        assert "Message transmis au collège" in await parent.text()
