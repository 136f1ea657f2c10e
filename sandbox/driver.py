"""A user's-eye driver for the sandbox: people send, click and read their chats, as on a phone."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

# Given an update id, returns once the bot has finished handling that update.
Waiter = Callable[[int], Awaitable[None]]


@dataclass
class Msg:
    """One message as a person sees it: current text after edits, and its buttons."""

    message_id: int
    from_bot: bool
    text: str
    kind: str
    buttons: list[list[dict[str, Any]]] = field(default_factory=list)
    edited: bool = False
    reply_to: int | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    file_id: str | None = None  # a photo or document: its bytes, if the bot uploaded them, come from Sandbox.file

    @property
    def button_texts(self) -> list[str]:
        return [b["text"] for row in self.buttons for b in row]

    def button(self, label: str | re.Pattern[str]) -> dict[str, Any] | None:
        for row in self.buttons:
            for b in row:
                if (isinstance(label, str) and b["text"] == label) or (
                    isinstance(label, re.Pattern) and label.search(b["text"])
                ):
                    return b
        return None


class SandboxError(AssertionError):
    """What a person could not do (no such button, nothing arrived in time)."""


class Sandbox:
    """A client of the sandbox's control API, the entry point of tests and scripts."""

    def __init__(self, url: str, waiter: Waiter | None = None) -> None:
        self.url = url.rstrip("/")
        self.waiter = waiter
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self.session.post(f"{self.url}/_sandbox/{path}", json=body) as resp:
            data: dict[str, Any] = await resp.json()
            if resp.status != 200:
                raise SandboxError(f"{path}: {data}")
            return data

    async def _get(self, path: str, **query: Any) -> dict[str, Any]:
        async with self.session.get(f"{self.url}/_sandbox/{path}", params={k: str(v) for k, v in query.items()}) as resp:
            data: dict[str, Any] = await resp.json()
            return data

    async def person(self, first_name: str = "Parent", last_name: str | None = None,
                     username: str | None = None, user_id: int | None = None,
                     language_code: str | None = "fr") -> Person:
        """A Telegram user; `language_code` is their app's language (None: Telegram sends none)."""
        data = await self._post("users", {"first_name": first_name, "last_name": last_name,
                                          "username": username, "id": user_id, "language_code": language_code})
        return Person(self, data["user_id"], first_name)

    async def group(self, title: str, members: list[Person], chat_id: int | None = None) -> Chat:
        data = await self._post("groups", {"title": title, "members": [m.user_id for m in members],
                                           "id": chat_id})
        return Chat(self, data["chat_id"])

    async def channel(self, title: str, chat_id: int | None = None) -> Chat:
        data = await self._post("groups", {"title": title, "members": [], "id": chat_id, "type": "channel"})
        return Chat(self, data["chat_id"])

    async def stats(self) -> dict[str, Any]:
        return await self._get("stats")

    async def fault(self, method: str = "*", status: int = 500, count: int = 1, delay: float = 0.0,
                    after: int = 0, retry_after: int = 1, late: bool = False) -> None:
        """The next `count` calls of `method` (after `after` good ones) fail with `status` (429: a flood limit).

        late=True: each is carried out first, and only its answer is the error (an answer lost on the way back).
        """
        await self._post("faults", {"method": method, "status": status, "count": count, "delay": delay,
                                    "after": after, "retry_after": retry_after, "late": late})

    async def people(self, count: int, first_name: str = "Parent", language_code: str | None = "fr") -> list[int]:
        """Creates `count` people at once (their Telegram apps in `language_code`); returns their ids."""
        data = await self._post("users/bulk", {"count": count, "first_name": first_name,
                                               "language_code": language_code})
        return [int(uid) for uid in data["user_ids"]]

    async def copies(self, chat_id: int, message_id: int) -> dict[int, int]:
        """For each chat, how many copies of message `message_id` of chat `chat_id` it holds."""
        data = await self._get("copies", chat_id=chat_id, message_id=message_id)
        return {int(k): int(v) for k, v in data["copies"].items()}

    async def rate_limit(self, enabled: bool = True, overall_per_second: int = 30, per_chat_per_second: int = 1) -> None:
        await self._post("rate-limit", {"enabled": enabled, "overall_per_second": overall_per_second,
                                        "per_chat_per_second": per_chat_per_second})

    async def file(self, file_id: str) -> tuple[str, bytes]:
        """A file the bot uploaded (sendDocument, sendPhoto): its name and bytes."""
        async with self.session.get(f"{self.url}/_sandbox/files/{file_id}") as resp:
            if resp.status != 200:
                raise SandboxError(f"no file {file_id}")
            return resp.headers.get("X-File-Name", ""), await resp.read()
    async def clock_offset(self, seconds: float) -> None:
        """Puts Telegram's clock `seconds` ahead of this machine's (negative: behind)."""
        await self._post("clock", {"offset": seconds})

    async def wait_handled(self, update_id: int) -> None:
        if self.waiter is not None:
            await self.waiter(update_id)

    async def wait_change(self, seq: int, timeout: float, chat_id: int | None = None) -> int:
        """Waits until the world (or, given `chat_id`, that chat alone) changes after `seq`; returns the new seq."""
        if chat_id is None:
            data = await self._get("wait", seq=seq, timeout=timeout)
        else:
            data = await self._get("wait", seq=seq, timeout=timeout, chat_id=chat_id)
        return int(data["seq"])

    async def calls(self, since: int = 0) -> tuple[list[tuple[float, str, int | None]], int]:
        """The bot's calls from index `since` on, as (time.time(), method, chat id); and the next index."""
        data = await self._get("calls", since=since)
        return [(float(t), str(m), c) for t, m, c in data["calls"]], int(data["next"])


class Chat:
    """A chat seen from outside: a group or a channel."""

    def __init__(self, sandbox: Sandbox, chat_id: int) -> None:
        self.sandbox, self.chat_id = sandbox, chat_id

    async def set_member(self, person: Person | int, member: bool = True) -> None:
        """Adds a person (or the bot, by its id) to this group, or removes them (member=False)."""
        uid = person if isinstance(person, int) else person.user_id
        await self.sandbox._post("members", {"chat_id": self.chat_id, "user_id": uid, "member": member})

    async def set_public(self, username: str | None = None, invite_link: str | None = None) -> None:
        """Gives this group a public @username and/or an invite link (None: private, no link)."""
        await self.sandbox._post("chat-settings", {"chat_id": self.chat_id, "username": username,
                                                   "invite_link": invite_link})

    async def set_admin(self, person: Person | int, admin: bool = True) -> None:
        uid = person if isinstance(person, int) else person.user_id
        await self.sandbox._post("admins", {"chat_id": self.chat_id, "user_id": uid, "admin": admin})

    async def messages(self) -> list[Msg]:
        data = await self.sandbox._get(f"chats/{self.chat_id}")
        return [Msg(**{k: m[k] for k in ("message_id", "from_bot", "text", "kind", "buttons", "edited", "reply_to",
                                                   "entities")}, file_id=m.get("file_id"))
                for m in data["messages"]]

    async def deleted_ids(self) -> list[int]:
        data = await self.sandbox._get(f"chats/{self.chat_id}")
        return list(data["deleted"])

    async def last(self) -> Msg:
        bot_messages = [m for m in await self.messages() if m.from_bot]
        if not bot_messages:
            raise SandboxError(f"the bot has written nothing in chat {self.chat_id}")
        return bot_messages[-1]

    async def wait_for(self, pattern: str, timeout: float = 15.0) -> Msg:
        """Waits until the bot's latest message in this chat matches `pattern` (a regular expression)."""
        deadline = time.monotonic() + timeout
        seq = 0
        while True:
            bot_messages = [m for m in await self.messages() if m.from_bot]
            if bot_messages and re.search(pattern, bot_messages[-1].text):
                return bot_messages[-1]
            left = deadline - time.monotonic()
            if left <= 0:
                texts = [m.text[:80] for m in await self.messages()]
                raise SandboxError(f"nothing matching {pattern!r} in chat {self.chat_id}: {texts}")
            seq = await self.sandbox.wait_change(seq, min(left, 2.0))


class Person(Chat):
    """A Telegram user, with their private chat with the bot."""

    def __init__(self, sandbox: Sandbox, user_id: int, first_name: str) -> None:
        super().__init__(sandbox, user_id)
        self.user_id, self.first_name = user_id, first_name
        self.last_toast: str | None = None
        self.last_update_id = 0

    async def _send(self, chat: Chat | None, *, wait: bool = True, **body: Any) -> int:
        body.update(user_id=self.user_id, chat_id=(chat or self).chat_id)
        data = await self.sandbox._post("send", body)
        self.last_update_id = int(data["update_id"])
        if wait:
            await self.sandbox.wait_handled(data["update_id"])
        return int(data["message_id"])

    async def send(self, text: str, chat: Chat | None = None, reply_to: int | None = None, wait: bool = True,
                   entities: list[dict[str, Any]] | None = None) -> int:
        """Types and sends a text (with formatting `entities`, if any); returns once the bot has handled it."""
        return await self._send(chat, wait=wait, kind="text", text=text, reply_to=reply_to, entities=entities)

    async def send_photo(self, caption: str | None = None, chat: Chat | None = None, reply_to: int | None = None) -> int:
        return await self._send(chat, kind="photo", caption=caption, reply_to=reply_to)

    async def send_document(self, caption: str | None = None, file_name: str | None = None,
                            mime_type: str | None = None, size: int | None = None) -> int:
        """Sends a file; by default a small PDF, else what a client would say of the file named."""
        described = {k: v for k, v in (("file_name", file_name), ("mime_type", mime_type), ("file_size", size)) if v}
        return await self._send(None, kind="document", caption=caption, document=described or None)

    async def send_sticker(self) -> int:
        return await self._send(None, kind="sticker")

    async def send_voice(self) -> int:
        return await self._send(None, kind="voice")

    async def send_contact(self) -> int:
        return await self._send(None, kind="contact")

    async def send_location(self) -> int:
        return await self._send(None, kind="location")

    async def click(self, label: str | re.Pattern[str], in_message: int | None = None, chat: Chat | None = None) -> str | None:
        """Presses the button labelled `label` on the latest message showing it; returns the toast."""
        where = chat or self
        for message in reversed(await where.messages()):
            if in_message is not None and message.message_id != in_message:
                continue
            button = message.button(label)
            if button is not None:
                if "callback_data" not in button:
                    raise SandboxError(f"button {label!r} is a link to {button.get('url')}")
                return await self.click_data(message.message_id, button["callback_data"], chat=chat)
        shown = [m.button_texts for m in await where.messages() if m.buttons]
        raise SandboxError(f"no button {label!r} in chat {where.chat_id}; buttons shown: {shown}")

    async def click_data(self, message_id: int, data: str, chat: Chat | None = None) -> str | None:
        """Presses a button carrying `data` on message `message_id`, as a forged client could."""
        body = {"user_id": self.user_id, "chat_id": (chat or self).chat_id, "message_id": message_id, "data": data}
        result = await self.sandbox._post("click", body)
        await self.sandbox.wait_handled(result["update_id"])
        answer = await self.sandbox._get(f"callbacks/{result['callback_query_id']}")
        self.last_toast = answer.get("text")
        return self.last_toast

    async def block_bot(self, blocked: bool = True) -> None:
        await self.sandbox._post("block", {"user_id": self.user_id, "blocked": blocked})

    async def text(self) -> str:
        """The text of the bot's latest message in the private chat."""
        return (await self.last()).text

    async def all_text(self) -> str:
        return "\n".join(m.text for m in await self.messages())
