"""The sandbox's HTTP face: the Bot API under /bot<token>/<method> and a control API under /_sandbox/."""

from __future__ import annotations

import asyncio
import json
import time
from email.utils import formatdate
from typing import Any

from aiohttp import web

from sandbox.world import ApiError, Fault, World

WORLD_KEY: web.AppKey[World] = web.AppKey("world", World)


async def _params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            params.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()})
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, str):
                    params[key] = value
                elif isinstance(value, web.FileField):  # kept, so that a test can open what the bot sent (a letter's PDF)
                    params[key] = "<uploaded file>"
                    params[f"_upload_{key}"] = (value.filename, value.file.read())
                else:
                    params[key] = "<uploaded file>"
    return params


async def bot_api(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    token, method = request.match_info["token"], request.match_info["method"]
    if world.token is not None and token != world.token:
        return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
    params = await _params(request)
    # Telegram's clock, as its answers' Date header tells it; a test may put it off from this machine's.
    headers = {"Date": formatdate(time.time() + world.clock_offset, usegmt=True)} if world.clock_offset else None
    try:
        result = await world.call(method, params)
    except ApiError as exc:
        body: dict[str, Any] = {"ok": False, "error_code": exc.code, "description": exc.description}
        if exc.parameters:
            body["parameters"] = exc.parameters
        return web.json_response(body, status=exc.code, headers=headers)
    return web.json_response({"ok": True, "result": result}, headers=headers)


# -- control API: what tests and scripts use to act as people --------------------------------


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    data = await request.json()
    return data if isinstance(data, dict) else {}


async def ctl_user(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    body = await _body(request)
    user = world.add_user(body.get("first_name", "Parent"), body.get("last_name"), body.get("username"),
                          body.get("id"), body.get("language_code", "fr"))
    return web.json_response({"user_id": user.id, "chat_id": user.id})


async def ctl_group(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    body = await _body(request)
    chat = world.add_group(body.get("title", "Groupe"), list(body.get("members", [])), body.get("id"),
                           body.get("type", "supergroup"))
    return web.json_response({"chat_id": chat.id})


async def ctl_send(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    body = await _body(request)
    update_id, message_id = world.user_sends(int(body["user_id"]), int(body.get("chat_id", body["user_id"])),
                                             body.get("kind", "text"), body.get("text"), body.get("caption"),
                                             body.get("reply_to"), body.get("entities"), body.get("document"))
    await world.notify()
    return web.json_response({"update_id": update_id, "message_id": message_id})


async def ctl_click(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    body = await _body(request)
    try:
        update_id, query_id = world.user_clicks(int(body["user_id"]), int(body["chat_id"]),
                                                int(body["message_id"]), str(body["data"]))
    except ApiError as exc:
        return web.json_response({"error": exc.description}, status=400)
    await world.notify()
    return web.json_response({"update_id": update_id, "callback_query_id": query_id})


async def ctl_chat(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    chat_id = int(request.match_info["chat_id"])
    deleted = [m.message_id for m in world.by_chat.get(chat_id, []) if m.deleted]
    # changed_at: when the bot last touched this chat (time.time()), what a benchmark times a reply by.
    return web.json_response({"messages": world.visible(chat_id), "deleted": deleted, "seq": world.event_seq,
                              "chat_seq": world.chat_seq.get(chat_id, 0),
                              "changed_at": world.chat_changed_at.get(chat_id)})


async def ctl_callback(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    query = world.callbacks.get(request.match_info["query_id"])
    if query is None:
        return web.json_response({"error": "unknown"}, status=404)
    return web.json_response({"answered": query["answered"], "text": query["text"]})


async def ctl_wait(request: web.Request) -> web.Response:
    """Long-polls until the world changes after `seq` (or `timeout` seconds pass); `chat_id`: that chat only."""
    world = request.app[WORLD_KEY]
    if "chat_id" in request.query:
        chat_seq = await world.wait_chat(int(request.query["chat_id"]), int(request.query.get("seq", 0)),
                                         float(request.query.get("timeout", 5)))
        return web.json_response({"seq": chat_seq})
    seq = int(request.query.get("seq", world.event_seq))
    deadline = time.monotonic() + float(request.query.get("timeout", 5))
    while world.event_seq <= seq and time.monotonic() < deadline:
        async with world.changed:
            try:
                await asyncio.wait_for(world.changed.wait(), deadline - time.monotonic())
            except TimeoutError:
                pass
    return web.json_response({"seq": world.event_seq})


async def ctl_block(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    body = await _body(request)
    world.users[int(body["user_id"])].blocked_bot = bool(body.get("blocked", True))
    return web.json_response({"ok": True})


async def ctl_admin(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    body = await _body(request)
    chat = world.chats[int(body["chat_id"])]
    target = chat.admins
    (target.add if body.get("admin", True) else target.discard)(int(body["user_id"]))
    return web.json_response({"ok": True})


async def ctl_clock(request: web.Request) -> web.Response:
    """Telegram's clock put `offset` seconds away from this machine's (a server whose clock drifted)."""
    world = request.app[WORLD_KEY]
    body = await _body(request)
    world.clock_offset = float(body.get("offset", 0))
    return web.json_response({"ok": True})


async def ctl_users_bulk(request: web.Request) -> web.Response:
    """Many people at once (a benchmark's ten thousand subscribers)."""
    world = request.app[WORLD_KEY]
    body = await _body(request)
    language = body.get("language_code", "fr")
    ids = [world.add_user(f"{body.get('first_name', 'Parent')} {i}", language_code=language).id
           for i in range(int(body["count"]))]
    return web.json_response({"user_ids": ids})


async def ctl_copies(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    counts = world.copies_of(int(request.query["chat_id"]), int(request.query["message_id"]))
    return web.json_response({"copies": {str(k): v for k, v in counts.items()}})


async def ctl_member(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    body = await _body(request)
    chat = world.chats[int(body["chat_id"])]
    (chat.members.add if body.get("member", True) else chat.members.discard)(int(body["user_id"]))
    return web.json_response({"ok": True})


async def ctl_chat_settings(request: web.Request) -> web.Response:
    """A group's public @username and invite link, as its owner would set them in Telegram."""
    world = request.app[WORLD_KEY]
    body = await _body(request)
    chat = world.chats[int(body["chat_id"])]
    chat.username = body.get("username") or None
    chat.invite_link = body.get("invite_link") or None
    return web.json_response({"ok": True})


async def ctl_faults(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    body = await _body(request)
    world.faults.append(Fault(method=body.get("method", "*"), status=int(body.get("status", 500)),
                              count=int(body.get("count", 1)), delay=float(body.get("delay", 0)),
                              after=int(body.get("after", 0)), retry_after=int(body.get("retry_after", 1)),
                              late=bool(body.get("late", False))))
    return web.json_response({"ok": True})


async def ctl_rate_limit(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    body = await _body(request)
    world.rate.enabled = bool(body.get("enabled", True))
    world.rate.overall_per_second = int(body.get("overall_per_second", 30))
    world.rate.per_chat_per_second = int(body.get("per_chat_per_second", 1))
    return web.json_response({"ok": True})


async def ctl_file(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    found = world.files.get(request.match_info["file_id"])
    if found is None:
        return web.json_response({"error": "no such file"}, status=404)
    name, data = found
    return web.Response(body=data, headers={"X-File-Name": name or ""})


async def ctl_stats(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    calls: dict[str, int] = {}
    for method in world.calls:
        calls[method] = calls.get(method, 0) + 1
    return web.json_response({
        "calls": calls,
        "errors": [list(e) for e in world.errors],
        "rate_limited": world.rate.refused,
        "pending_updates": len(world.updates),
        "unanswered_callbacks": world.unanswered_callbacks(),
        "commands": world.commands,
        "command_menus": [[scope, language, commands] for (scope, language), commands in world.command_menus.items()],
    })


async def ctl_calls(request: web.Request) -> web.Response:
    """The bot's calls from index `since` on, each [time.time(), method, chat id]: what the benchmarks time."""
    world = request.app[WORLD_KEY]
    since = int(request.query.get("since", 0))
    return web.json_response({"calls": [list(c) for c in world.call_log[since:]], "next": len(world.call_log)})


def make_app(world: World | None = None) -> web.Application:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[WORLD_KEY] = world or World()
    app.router.add_route("*", "/bot{token}/{method}", bot_api)
    app.router.add_post("/_sandbox/users", ctl_user)
    app.router.add_post("/_sandbox/groups", ctl_group)
    app.router.add_post("/_sandbox/send", ctl_send)
    app.router.add_post("/_sandbox/click", ctl_click)
    app.router.add_get("/_sandbox/chats/{chat_id}", ctl_chat)
    app.router.add_get("/_sandbox/callbacks/{query_id}", ctl_callback)
    app.router.add_get("/_sandbox/wait", ctl_wait)
    app.router.add_post("/_sandbox/block", ctl_block)
    app.router.add_post("/_sandbox/admins", ctl_admin)
    app.router.add_post("/_sandbox/members", ctl_member)
    app.router.add_post("/_sandbox/clock", ctl_clock)
    app.router.add_post("/_sandbox/users/bulk", ctl_users_bulk)
    app.router.add_get("/_sandbox/copies", ctl_copies)
    app.router.add_post("/_sandbox/chat-settings", ctl_chat_settings)
    app.router.add_post("/_sandbox/faults", ctl_faults)
    app.router.add_post("/_sandbox/rate-limit", ctl_rate_limit)
    app.router.add_get("/_sandbox/stats", ctl_stats)
    app.router.add_get("/_sandbox/calls", ctl_calls)
    app.router.add_get("/_sandbox/files/{file_id}", ctl_file)
    return app


class SandboxServer:
    """Runs the sandbox on a loopback port inside the current event loop."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, token: str | None = None) -> None:
        self.world = World(token=token)
        self.host, self.port = host, port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(make_app(self.world), access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/bot"

    async def stop(self) -> None:
        await self.world.close()
        if self._runner is not None:
            await self._runner.cleanup()
