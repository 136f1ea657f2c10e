"""The benchmark's own pieces, fast: the echo bot answers texts and presses, the families walk and count calls, /proc reads.

Nothing here measures speed: `make bench` does the measuring.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest

from bench.families import Client, Screen, Step, activation_script, calls_per_step, echo_script, walk
from bench.procstat import cpu_of
from sandbox.server import SandboxServer
from tests.conftest import ROOT, TOKEN, process_env
from tests.waiting import eventually


@pytest.fixture
def echo_bot(sandbox_server: SandboxServer) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "echo_bot.py"), "--api-url", sandbox_server.api_url,
                             "--token", TOKEN, "--poll-timeout", "1"], env=process_env(), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    yield proc
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)


async def test_a_family_walks_the_echo_bot_and_each_step_is_billed_its_calls(
        sandbox_server: SandboxServer, echo_bot: subprocess.Popen[bytes]) -> None:
    await eventually(lambda: "getUpdates" in sandbox_server.world.calls, timeout=60)
    # The activation's first steps: a text, two presses in a row, a text the bot must hash before answering.
    steps = echo_script(activation_script(0)[:5], argon2=True)
    assert [s.kind for s in steps] == ["text", "click", "click", "text", "text"]
    client = Client(sandbox_server.url)
    try:
        [user_id] = await client.people(1)
        result = await walk(client, 0, user_id, steps, (0.0, 0.0), random.Random(0), step_timeout=60)
        messages = (await client.chat(user_id)).messages
        calls, _ = await client.calls()
    finally:
        await client.close()
    assert result.done, result.error
    # What the family saw: the first echo edited by both presses, then one echo per text, the hashing one marked.
    assert [m["text"] for m in messages if m["from_bot"]] == ["echo [s0] · p0 · p1", "echo [s3]", "echo #h1 [s4]"]
    assert [r.step for r in result.records] == [s.name for s in steps]
    assert all(r.sent_at <= r.shown_at for r in result.records)
    # A text costs the echo bot one sendMessage; a press, answerCallbackQuery and editMessageText.
    billed = calls_per_step([result], calls)
    assert billed == {"/start": [1], "activate": [2], "profile": [2], "identifier": [1], "provisional password": [1]}
    in_chat = sorted(m for _, m, chat in calls if chat == user_id)
    assert in_chat == sorted(["sendMessage"] * 3 + ["answerCallbackQuery", "editMessageText"] * 2)
    cpu = cpu_of(echo_bot.pid)
    assert 0 < cpu.main_thread <= cpu.process


async def test_a_family_that_never_sees_its_screen_says_what_it_saw_instead(
        sandbox_server: SandboxServer, echo_bot: subprocess.Popen[bytes]) -> None:
    await eventually(lambda: "getUpdates" in sandbox_server.world.calls, timeout=60)
    client = Client(sandbox_server.url)
    try:
        [user_id] = await client.people(1)
        wrong = [Step("hello", "text", "bonjour", Screen(texts=("Compte activé",)))]
        result = await walk(client, 0, user_id, wrong, (0.0, 0.0), random.Random(0), step_timeout=3)
    finally:
        await client.close()
    assert not result.done
    assert result.error is not None and "'Compte activé'" in result.error and "echo bonjour [OK]" in result.error


def test_cpu_of_reads_this_process() -> None:
    cpu = cpu_of(os.getpid())
    assert cpu.process > 0 and cpu.main_thread <= cpu.process
