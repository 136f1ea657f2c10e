"""The Argon2 queue: bounded (a step refused at once, nothing lost), and a parent told the bot is writing while it waits."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from sandbox.server import SandboxServer
from storage import secrets
from storage.secrets import ArgonBusy, ArgonPool, hash_secret_sync, verify_secret_sync
from tests import flows
from tests.conftest import running_bot


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
        await flows.with_account(bot)
        parent = await bot.parent()
        await flows.to_identifier(parent)
        await parent.send(flows.IDENTIFIER)
        gate = threading.Event()
        held = asyncio.ensure_future(secrets.POOL.run(gate.wait))  # other families' hashing fills the pool
        await asyncio.sleep(0)
        typed = await parent.send(flows.PROVISIONAL)
        assert "Beaucoup de familles" in await parent.text()
        assert typed in await parent.deleted_ids()
        progress = await bot.store.progress.get(parent.user_id)
        assert progress is not None and progress.step == "provisional" and progress.account_id is None
        gate.set()
        await held
        await parent.send(flows.PROVISIONAL)  # the same answer again, once the rush has passed
        assert "Étape 3/6" in await parent.text()


async def test_a_step_waiting_behind_others_hashing_shows_the_bot_writing(
        sandbox_server: SandboxServer, tmp_path: Path) -> None:
    async with running_bot(sandbox_server, tmp_path, argon2_threads=1, argon2_max_waiting=10) as bot:
        await flows.with_account(bot)
        parent = await bot.parent()
        await flows.to_identifier(parent)
        await parent.send(flows.IDENTIFIER)
        gate = threading.Event()
        held = asyncio.ensure_future(secrets.POOL.run(gate.wait))
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
        gate.set()
        await held
        await bot.sandbox.wait_handled(parent.last_update_id)
        assert "Étape 3/6" in await parent.text()
