"""The sandbox answers as Telegram does: checked with PTB's own Bot and with raw HTTP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from sandbox.driver import Sandbox
from sandbox.server import SandboxServer
from tests.conftest import TOKEN


@pytest.fixture
async def tg(sandbox_server: SandboxServer) -> AsyncIterator[Bot]:
    bot = Bot(TOKEN, base_url=sandbox_server.api_url, request=HTTPXRequest(read_timeout=1.0))
    await bot.initialize()
    yield bot
    await bot.shutdown()


@pytest.fixture
async def people(sandbox_server: SandboxServer) -> AsyncIterator[Sandbox]:
    sandbox = Sandbox(sandbox_server.url)
    yield sandbox
    await sandbox.close()


async def raw(api_url: str, method: str, token: str = TOKEN, **params: object) -> tuple[int, dict[str, object]]:
    """One Bot API call as plain HTTP, to read the status and body Telegram would send."""
    async with aiohttp.ClientSession() as s, s.post(f"{api_url}{token}/{method}",
                                                    data={k: str(v) for k, v in params.items()}) as r:
        return r.status, await r.json()


async def test_get_me_and_unknown_methods(tg: Bot, sandbox_server: SandboxServer) -> None:
    assert tg.username == "assistant_ent_sandbox_bot"
    status, body = await raw(sandbox_server.api_url, "sendTelepathy", chat_id=1)
    assert status == 404 and body == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_text_limits(tg: Bot, people: Sandbox) -> None:
    parent = await people.person()
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        await tg.send_message(parent.chat_id, "é" * 4097)
    await tg.send_message(parent.chat_id, "é" * 4096)
    with pytest.raises(BadRequest, match=r"(?i)text is empty"):
        await tg.send_message(parent.chat_id, "   ")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await tg.send_message(parent.chat_id, "<b>non fermé", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await tg.send_message(424242, "personne")


async def test_callback_data_over_64_bytes_is_refused(tg: Bot, people: Sandbox) -> None:
    parent = await people.person()
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="é" * 32)]])
    await tg.send_message(parent.chat_id, "64 octets", reply_markup=ok)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("trop", callback_data="é" * 32 + "x")]])
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await tg.send_message(parent.chat_id, "65 octets", reply_markup=too_long)


async def test_edits_and_deletions_as_the_user_sees_them(tg: Bot, people: Sandbox) -> None:
    parent = await people.person()
    sent = await tg.send_message(parent.chat_id, "avant")
    await tg.edit_message_text("après", parent.chat_id, sent.message_id)
    assert [(m.text, m.edited) for m in await parent.messages()] == [("après", True)]
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await tg.edit_message_text("après", parent.chat_id, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await tg.edit_message_text("x", parent.chat_id, 999)
    typed = await parent.send("mon secret")
    with pytest.raises(BadRequest, match=r"(?i)can't be edited"):
        await tg.edit_message_text("x", parent.chat_id, typed)
    assert await tg.delete_message(parent.chat_id, typed)
    assert typed in await parent.deleted_ids() and [m.text for m in await parent.messages()] == ["après"]
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await tg.delete_message(parent.chat_id, typed)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a:1")]])
    await tg.edit_message_reply_markup(parent.chat_id, sent.message_id, reply_markup=markup)
    assert (await parent.last()).button_texts == ["A"]


async def test_a_user_who_blocked_the_bot_answers_403(tg: Bot, people: Sandbox) -> None:
    parent = await people.person()
    await parent.block_bot()
    with pytest.raises(Forbidden, match=r"(?i)blocked by the user"):
        await tg.send_message(parent.chat_id, "coucou")


async def test_updates_with_offset_limit_and_long_poll(tg: Bot, people: Sandbox) -> None:
    parent = await people.person("Ana")
    for text in ("un", "deux", "trois"):
        await parent.send(text)
    first = await tg.get_updates(limit=2)
    assert [u.message.text for u in first if u.message] == ["un", "deux"]
    rest = await tg.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in rest if u.message] == ["trois"]
    confirmed = await tg.get_updates(offset=rest[-1].update_id + 1, timeout=0)
    assert confirmed == ()
    waiting = asyncio.create_task(tg.get_updates(offset=rest[-1].update_id + 1, timeout=5, read_timeout=10))
    await asyncio.sleep(0.2)
    assert not waiting.done()  # the long poll holds until something arrives
    await parent.send("quatre")
    got = await asyncio.wait_for(waiting, 5)
    assert [u.message.text for u in got if u.message] == ["quatre"]


async def test_buttons_and_callback_answers(tg: Bot, people: Sandbox, sandbox_server: SandboxServer) -> None:
    parent = await people.person()
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Oui", callback_data="cgu:accept")]])
    await tg.send_message(parent.chat_id, "D'accord ?", reply_markup=markup)
    click = asyncio.create_task(parent.click("Oui"))
    updates = await tg.get_updates(timeout=2)
    query = updates[-1].callback_query
    assert query is not None and query.data == "cgu:accept" and query.from_user.id == parent.user_id
    await click
    assert sandbox_server.world.unanswered_callbacks() == [query.id]
    await query.get_bot().answer_callback_query(query.id, "Merci")
    assert sandbox_server.world.unanswered_callbacks() == []
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await tg.answer_callback_query(query.id)


async def test_media_copy_forward_chat_and_members(tg: Bot, people: Sandbox) -> None:
    parent = await people.person("Léa")
    staff = await people.person("Secrétariat")
    group = await people.group("Secrétariat", [staff])
    channel = await people.channel("Annonces")
    photo_id = await parent.send_photo(caption="capture de l'erreur")
    copied = await tg.copy_message(group.chat_id, parent.chat_id, photo_id)
    shown = {m.message_id: m for m in await group.messages()}
    assert shown[copied.message_id].kind == "photo" and shown[copied.message_id].text == "capture de l'erreur"
    forwarded = await tg.forward_message(group.chat_id, parent.chat_id, photo_id)
    assert forwarded.forward_origin is not None
    await tg.send_photo(parent.chat_id, b"\x89PNG fake", caption="photo envoyée")
    await tg.send_document(parent.chat_id, b"%PDF fake", caption="document envoyé", filename="guide.pdf")
    assert [m.kind for m in await parent.messages()][-2:] == ["photo", "document"]
    post = await tg.send_message(channel.chat_id, "Réunion parents-professeurs")
    assert post.sender_chat is not None and (await channel.last()).text == "Réunion parents-professeurs"
    assert (await tg.get_chat(group.chat_id)).title == "Secrétariat"
    assert (await tg.get_chat_member(group.chat_id, staff.user_id)).status == "member"
    assert (await tg.get_chat_member(group.chat_id, parent.user_id)).status == "left"
    assert (await tg.get_chat_member(channel.chat_id, tg.id)).status == "administrator"
    assert await tg.send_chat_action(parent.chat_id, "typing")


async def test_rate_limits_when_on(tg: Bot, people: Sandbox) -> None:
    parent, other = await people.person(), await people.person()
    await tg.send_message(parent.chat_id, "un")
    await tg.send_message(parent.chat_id, "deux")  # off by default
    await people.rate_limit(True)
    await asyncio.sleep(1.05)
    await tg.send_message(parent.chat_id, "un")
    with pytest.raises(RetryAfter) as caught:
        await tg.send_message(parent.chat_id, "deux")
    assert 0 < caught.value._retry_after.total_seconds() <= 1  # type: ignore[attr-defined]
    await tg.send_message(other.chat_id, "un autre chat passe")
    await people.rate_limit(True, overall_per_second=30, per_chat_per_second=1000)
    await asyncio.sleep(1.05)
    refused = 0
    for i in range(35):
        try:
            await tg.send_message(other.chat_id, f"n°{i}")
        except RetryAfter:
            refused += 1
    assert refused >= 5  # 30 per second overall, no more
    assert (await people.stats())["rate_limited"] >= 6


async def test_faults_on_demand(tg: Bot, people: Sandbox, sandbox_server: SandboxServer) -> None:
    parent = await people.person()
    await people.fault("sendMessage", status=502, count=1)
    with pytest.raises(NetworkError):
        await tg.send_message(parent.chat_id, "panne")
    await tg.send_message(parent.chat_id, "rétabli")
    await people.fault("sendMessage", status=200, count=1, delay=2.0)
    started = time.monotonic()
    with pytest.raises(TimedOut):
        await tg.send_message(parent.chat_id, "lent", read_timeout=0.3)
    assert time.monotonic() - started < 2.0
    await people.fault("getMe", status=500, count=1)
    status, body = await raw(sandbox_server.api_url, "getMe")
    assert status == 500 and body["ok"] is False


async def test_a_wrong_token_is_unauthorized() -> None:
    server = SandboxServer(token=TOKEN)
    await server.start()
    try:
        status, _ = await raw(server.api_url, "getMe", token="123:WRONG")
        assert status == 401
    finally:
        await server.stop()
