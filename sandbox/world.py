"""The sandbox's world: users, chats, messages and updates, answering Bot API methods as Telegram does."""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import json
import math
import re
import time
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, ClassVar
from urllib.parse import urlsplit

from sandbox.webhook import Deliverer, Target

BOT_ID = 7000000001
BOT_USERNAME = "assistant_ent_sandbox_bot"
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


class ApiError(Exception):
    """A Bot API error answer: HTTP status, description and optional parameters."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def bad_request(text: str) -> ApiError:
    return ApiError(400, f"Bad Request: {text}")


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    is_bot: bool = False
    blocked_bot: bool = False
    language_code: str | None = "fr"  # what the person's Telegram app is set to

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if not self.is_bot and self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass
class Chat:
    id: int
    type: str  # private, supergroup, channel
    title: str | None = None
    user: User | None = None
    members: set[int] = field(default_factory=set)
    admins: set[int] = field(default_factory=set)
    username: str | None = None  # a public group or channel (@name): anyone can find and join it
    invite_link: str | None = None  # the primary invite link, as getChat shows it to the bot

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private" and self.user:
            data["first_name"] = self.user.first_name
            if self.user.username:
                data["username"] = self.user.username
        else:
            data["title"] = self.title
            if self.username:
                data["username"] = self.username
        return data


@dataclass
class Message:
    chat: Chat
    message_id: int
    date: int
    sender: User | None
    text: str | None = None
    entities: list[dict[str, Any]] | None = None
    caption: str | None = None
    caption_entities: list[dict[str, Any]] | None = None
    media: dict[str, Any] = field(default_factory=dict)  # photo / document / sticker / voice / contact
    reply_markup: dict[str, Any] | None = None
    reply_to: int | None = None
    edit_date: int | None = None
    deleted: bool = False
    forward_origin: dict[str, Any] | None = None
    copied_from: tuple[int, int] | None = None  # (chat, message) this message is a copy of

    def to_api(self, world: World, with_reply: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {"message_id": self.message_id, "date": self.date, "chat": self.chat.to_api()}
        if self.sender is not None:
            data["from"] = self.sender.to_api()
        elif self.chat.type == "channel":
            data["sender_chat"] = self.chat.to_api()
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = self.entities
        if self.caption is not None:
            data["caption"] = self.caption
            if self.caption_entities:
                data["caption_entities"] = self.caption_entities
        data.update(self.media)
        if self.reply_markup:
            data["reply_markup"] = self.reply_markup
        if self.edit_date:
            data["edit_date"] = self.edit_date
        if self.forward_origin:
            data["forward_origin"] = self.forward_origin
        if with_reply and self.reply_to is not None:
            replied = world.messages.get((self.chat.id, self.reply_to))
            if replied is not None and not replied.deleted:
                data["reply_to_message"] = replied.to_api(world, with_reply=False)
        return data

    def file_id(self) -> str | None:
        """The file a photo or document carries (a photo: its largest size, the last one Telegram lists)."""
        for media in self.media.values():
            if isinstance(media, list) and media and isinstance(media[-1], dict):
                media = media[-1]
            if isinstance(media, dict) and "file_id" in media:
                return str(media["file_id"])
        return None

    def view(self) -> dict[str, Any]:
        """What a person sees of this message, for the control API."""
        return {
            "message_id": self.message_id,
            "from_bot": bool(self.sender and self.sender.is_bot) or (self.chat.type == "channel"),
            "sender_id": self.sender.id if self.sender else None,
            "text": self.text if self.text is not None else (self.caption or ""),
            "kind": next(iter(self.media), "text"),
            "buttons": (self.reply_markup or {}).get("inline_keyboard", []),
            "edited": self.edit_date is not None,
            "reply_to": self.reply_to,
            "entities": self.entities or self.caption_entities or [],
            "file_id": self.file_id(),
        }


class _HtmlToText(HTMLParser):
    """Turns Telegram-HTML into plain text and its entities, and refuses what Telegram would refuse."""

    ALLOWED: ClassVar[set[str]] = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
               "tg-spoiler", "span", "blockquote", "tg-emoji"}
    # The entity each tag becomes in the message Telegram returns (what a client draws the formatting from).
    KINDS: ClassVar[dict[str, str]] = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
                                       "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
                                       "del": "strikethrough", "code": "code", "pre": "pre", "tg-spoiler": "spoiler",
                                       "blockquote": "blockquote"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[tuple[str, int, dict[str, Any] | None]] = []  # tag, UTF-16 offset, entity to close
        self.entities: list[dict[str, Any]] = []
        self.length = 0  # of the text so far, in UTF-16 code units as Telegram counts offsets

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.ALLOWED:
            raise bad_request(f"can't parse entities: Unsupported start tag \"{tag}\"")
        entity: dict[str, Any] | None = None
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            entity = {"type": "text_link", "url": values["href"]}
        elif tag == "span" and "tg-spoiler" in (values.get("class") or "").split():
            entity = {"type": "spoiler"}
        elif tag in self.KINDS:
            entity = {"type": self.KINDS[tag]}
        if entity is not None:
            self.entities.append(entity)
        self.stack.append((tag, self.length, entity))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1][0] != tag:
            raise bad_request(f"can't parse entities: Unexpected end tag \"{tag}\"")
        _, start, entity = self.stack.pop()
        if entity is not None:
            if self.length > start:
                entity.update(offset=start, length=self.length - start)
            else:  # Telegram drops an entity that covers no text
                self.entities.remove(entity)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.length += utf16_len(data)


def formatted_text(text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    """The plain text Telegram keeps of a formatted one, and its entities in the order they open."""
    if parse_mode is not None and parse_mode.upper() == "HTML":
        # A bare '<' that is no tag, or an '&' that is no entity, is refused by Telegram.
        parser = _HtmlToText()
        parser.feed(text)
        parser.close()
        if parser.stack:
            raise bad_request(f"can't parse entities: Can't find end tag corresponding to start tag \"{parser.stack[-1][0]}\"")
        if parser.rawdata:
            raise bad_request("can't parse entities: Unclosed start tag")
        return "".join(parser.parts), sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))
    return plain_text(text, parse_mode), []


def plain_text(text: str, parse_mode: str | None) -> str:
    if parse_mode is None or parse_mode == "":
        return text
    if parse_mode.upper() == "HTML":
        return formatted_text(text, parse_mode)[0]
    if parse_mode.lower().startswith("markdown"):
        out, escaped = [], False
        for ch in text:
            if escaped:
                out.append(ch)
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch not in "*_`~|":
                out.append(ch)
        return "".join(out)
    raise bad_request(f"unsupported parse_mode {parse_mode}")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class RateLimit:
    """Telegram's flood limits: sends per second overall and per chat."""

    enabled: bool = False
    overall_per_second: int = 30
    per_chat_per_second: int = 1
    overall: deque[float] = field(default_factory=deque)
    per_chat: dict[int, deque[float]] = field(default_factory=dict)
    refused: int = 0

    def check(self, chat_id: int, now: float) -> None:
        if not self.enabled:
            return
        window = now - 1.0
        while self.overall and self.overall[0] <= window:
            self.overall.popleft()
        chat_q = self.per_chat.setdefault(chat_id, deque())
        while chat_q and chat_q[0] <= window:
            chat_q.popleft()
        if len(self.overall) >= self.overall_per_second or len(chat_q) >= self.per_chat_per_second:
            self.refused += 1
            oldest = chat_q[0] if len(chat_q) >= self.per_chat_per_second else self.overall[0]
            retry = max(1, math.ceil(oldest + 1.0 - now))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        self.overall.append(now)
        chat_q.append(now)


@dataclass
class Fault:
    method: str  # a method name, or "*"
    status: int = 500  # 429 answers as a flood limit, with retry_after
    count: int = 1
    delay: float = 0.0
    after: int = 0  # let this many matching calls through first
    retry_after: int = 1
    late: bool = False  # the call is carried out, then the error answered: an answer lost on its way back


SEND_METHODS = {"sendMessage", "sendPhoto", "sendDocument", "copyMessage", "forwardMessage"}


class World:
    """Everything the sandbox knows; each Bot API method is a method `api_<name>`."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token
        self.bot = User(id=BOT_ID, first_name="Assistant ENT", username=BOT_USERNAME, is_bot=True)
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.messages: dict[tuple[int, int], Message] = {}
        self.by_chat: dict[int, list[Message]] = {}  # each chat's messages in order: a chat is read without scanning all
        self.next_message_id: dict[int, int] = {}
        self.updates: list[dict[str, Any]] = []
        self.update_ids = itertools.count(1)
        self.user_ids = itertools.count(100001)
        self.group_ids = itertools.count(1)
        self.file_ids = itertools.count(1)
        self.callback_ids = itertools.count(1)
        self.callbacks: dict[str, dict[str, Any]] = {}
        self.files: dict[str, tuple[str | None, bytes]] = {}  # what the bot uploaded, by file_id
        self.commands: list[dict[str, Any]] = []  # the default menu (no scope, no language)
        # Every menu set: (scope as JSON, language_code or '') → commands, as Telegram keeps them apart.
        self.command_menus: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.confirmed_offset = 0
        self.rate = RateLimit()
        self.faults: list[Fault] = []
        self.calls: list[str] = []
        # Every call the bot made but getUpdates: (time.time(), method, chat id or None), for the benchmarks.
        self.call_log: list[tuple[float, str, int | None]] = []
        self.chat_seq: dict[int, int] = {}  # per chat, how many calls touched it: what one person waits on
        self.chat_changed_at: dict[int, float] = {}  # per chat, time.time() of the last call that touched it
        self._chat_waiters: dict[int, list[asyncio.Future[None]]] = {}
        self.errors: list[tuple[str, int, str]] = []
        self.changed = asyncio.Condition()
        self.event_seq = 0
        self.clock_offset = 0.0  # seconds Telegram's clock is ahead of this machine's (the Date header)
        # setWebhook's target: while set, pending updates are POSTed to it (sandbox/webhook.py), getUpdates refused.
        self.webhook: Target | None = None
        self.webhook_error: tuple[int, str] | None = None  # (date, message) of the last failed delivery
        self.deliverer: Deliverer | None = None

    # -- time and notification -------------------------------------------------------------

    @staticmethod
    def now() -> int:
        return int(time.time())

    async def notify(self, chat_id: int | None = None) -> None:
        if self.deliverer is not None and self.webhook is not None:
            self.deliverer.poke()  # a new update, perhaps: Telegram sends it at once
        if chat_id is not None:
            self.chat_seq[chat_id] = self.chat_seq.get(chat_id, 0) + 1
            self.chat_changed_at[chat_id] = time.time()
            for waiter in self._chat_waiters.pop(chat_id, []):
                if not waiter.done():
                    waiter.set_result(None)
        async with self.changed:
            self.event_seq += 1
            self.changed.notify_all()

    async def wait_chat(self, chat_id: int, seq: int, timeout: float) -> int:
        """Returns the chat's sequence once it is past `seq`, or after `timeout` s: one person's wait wakes no one else."""
        if self.chat_seq.get(chat_id, 0) <= seq:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._chat_waiters.setdefault(chat_id, []).append(waiter)
            try:
                await asyncio.wait_for(waiter, timeout)
            except TimeoutError:
                pass
        return self.chat_seq.get(chat_id, 0)

    # -- building the world (control API) ----------------------------------------------------

    def add_user(self, first_name: str, last_name: str | None = None, username: str | None = None,
                 user_id: int | None = None, language_code: str | None = "fr") -> User:
        uid = user_id if user_id is not None else next(self.user_ids)
        user = User(id=uid, first_name=first_name, last_name=last_name, username=username,
                    language_code=language_code)
        self.users[uid] = user
        self.chats[uid] = Chat(id=uid, type="private", user=user)
        return user

    def add_group(self, title: str, member_ids: list[int], chat_id: int | None = None,
                  kind: str = "supergroup") -> Chat:
        cid = chat_id if chat_id is not None else -1001000000000 - next(self.group_ids)
        chat = Chat(id=cid, type=kind, title=title, members=set(member_ids) | {BOT_ID},
                    admins={BOT_ID} if kind == "channel" else set())
        self.chats[cid] = chat
        return chat

    def _new_message(self, chat: Chat, sender: User | None, **fields: Any) -> Message:
        mid = self.next_message_id.get(chat.id, 0) + 1
        self.next_message_id[chat.id] = mid
        message = Message(chat=chat, message_id=mid, date=self.now(), sender=sender, **fields)
        self.messages[(chat.id, mid)] = message
        self.by_chat.setdefault(chat.id, []).append(message)
        return message

    def _push_update(self, kind: str, payload: dict[str, Any]) -> int:
        update_id = next(self.update_ids)
        self.updates.append({"update_id": update_id, kind: payload})
        return update_id

    def user_sends(self, user_id: int, chat_id: int, kind: str = "text", text: str | None = None,
                   caption: str | None = None, reply_to: int | None = None,
                   entities: list[dict[str, Any]] | None = None,
                   document: dict[str, Any] | None = None) -> tuple[int, int]:
        """`document` overrides what a client says of a file it sends (file_name, mime_type, file_size)."""
        user = self.users[user_id]
        chat = self.chats[chat_id]
        fields: dict[str, Any] = {"reply_to": reply_to}
        if kind == "text":
            fields["text"] = text or ""
            if entities:  # bold, italic, links… as a Telegram client sends them
                fields["entities"] = entities
            elif fields["text"].startswith("/"):
                command = fields["text"].split()[0]
                fields["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        else:
            fields["caption"] = caption
            fields["media"] = self._user_media(kind, user)
            if kind == "document" and document:
                fields["media"]["document"].update(document)
        message = self._new_message(chat, user, **fields)
        update_id = self._push_update("message", message.to_api(self))
        return update_id, message.message_id

    def _user_media(self, kind: str, user: User) -> dict[str, Any]:
        fid = f"F{next(self.file_ids)}"
        if kind == "photo":
            return {"photo": [{"file_id": fid, "file_unique_id": fid + "u", "width": 320, "height": 640}]}
        if kind == "document":
            # As Telegram's clients describe a file they send: its name, its type and its size in bytes.
            return {"document": {"file_id": fid, "file_unique_id": fid + "u", "file_name": "capture.pdf",
                                 "mime_type": "application/pdf", "file_size": 48_213}}
        if kind == "sticker":
            return {"sticker": {"file_id": fid, "file_unique_id": fid + "u", "type": "regular", "width": 512,
                                "height": 512, "is_animated": False, "is_video": False, "emoji": "😀"}}
        if kind == "voice":
            return {"voice": {"file_id": fid, "file_unique_id": fid + "u", "duration": 3}}
        if kind == "contact":
            return {"contact": {"phone_number": "+33600000000", "first_name": user.first_name, "user_id": user.id}}
        if kind == "location":
            return {"location": {"latitude": 47.39, "longitude": 0.69}}
        raise ValueError(f"unknown kind {kind}")

    def user_clicks(self, user_id: int, chat_id: int, message_id: int, data: str) -> tuple[int, str]:
        user = self.users[user_id]
        message = self.messages.get((chat_id, message_id))
        if message is None or message.deleted:
            raise bad_request("message not found")
        query_id = str(next(self.callback_ids))
        self.callbacks[query_id] = {"user_id": user_id, "chat_id": chat_id, "answered": False, "text": None,
                                    "time": time.monotonic()}
        payload = {"id": query_id, "from": user.to_api(), "chat_instance": str(chat_id),
                   "message": message.to_api(self), "data": data}
        return self._push_update("callback_query", payload), query_id

    def visible(self, chat_id: int) -> list[dict[str, Any]]:
        return [m.view() for m in self.by_chat.get(chat_id, []) if not m.deleted]

    def unanswered_callbacks(self) -> list[str]:
        return [qid for qid, q in self.callbacks.items() if not q["answered"]]

    # -- helpers for methods -------------------------------------------------------------------

    def _chat(self, params: dict[str, Any], key: str = "chat_id") -> Chat:
        raw = params.get(key)
        if raw is None:
            raise bad_request("chat_id is empty")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError) as exc:
            raise bad_request("chat not found") from exc
        chat = self.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _check_can_send(self, chat: Chat, method: str) -> None:
        if chat.type == "private" and chat.user and chat.user.blocked_bot:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat.type != "private" and BOT_ID not in chat.members:
            raise ApiError(403, "Forbidden: bot is not a member of the channel chat")
        if chat.type == "channel" and BOT_ID not in chat.admins:
            raise bad_request("need administrator rights in the channel chat")
        if method in SEND_METHODS:
            self.rate.check(chat.id, time.monotonic())

    def _markup(self, params: dict[str, Any]) -> dict[str, Any] | None:
        raw = params.get("reply_markup")
        if raw in (None, ""):
            return None
        markup: dict[str, Any] = json.loads(raw) if isinstance(raw, str) else raw
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not button.get("text"):
                    raise bad_request("text buttons are unallowed in the inline keyboard")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
                    raise bad_request("BUTTON_DATA_INVALID")
                # A web_app button opens a Mini App (the coming secure form); the demo's page passes it on.
                if data is None and not button.get("url") and not (button.get("web_app") or {}).get("url"):
                    raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
        if "inline_keyboard" in markup and not markup["inline_keyboard"]:
            return None
        return markup

    @staticmethod
    def _text(params: dict[str, Any], key: str, limit: int, required: bool) -> str | None:
        return World._formatted(params, key, limit, required)[0]

    @staticmethod
    def _formatted(params: dict[str, Any], key: str, limit: int,
                   required: bool) -> tuple[str | None, list[dict[str, Any]] | None]:
        """The text (or caption) as Telegram keeps it, and the entities its parse_mode gave it (None: none)."""
        raw = params.get(key)
        if raw is None:
            if required:
                raise bad_request("message text is empty")
            return None, None
        text, entities = formatted_text(str(raw), params.get("parse_mode"))
        if required and not text.strip():
            raise bad_request("message text is empty")
        if utf16_len(text) > limit:
            raise bad_request("message is too long" if key == "text" else "message caption is too long")
        return text, entities or None

    def _reply_to(self, params: dict[str, Any]) -> int | None:
        if params.get("reply_parameters"):
            rp = params["reply_parameters"]
            rp = json.loads(rp) if isinstance(rp, str) else rp
            return int(rp["message_id"])
        if params.get("reply_to_message_id"):
            return int(params["reply_to_message_id"])
        return None

    def _target(self, params: dict[str, Any], action: str) -> Message:
        chat = self._chat(params)
        try:
            mid = int(params.get("message_id", 0))
        except (TypeError, ValueError) as exc:
            raise bad_request(f"message to {action} not found") from exc
        message = self.messages.get((chat.id, mid))
        if message is None or message.deleted:
            raise bad_request(f"message to {action} not found")
        return message

    # -- Bot API methods -------------------------------------------------------------------------

    async def api_getMe(self, params: dict[str, Any]) -> Any:
        data = self.bot.to_api()
        data.update({"can_join_groups": True, "can_read_all_group_messages": False,
                     "supports_inline_queries": False})
        return data

    async def api_logOut(self, params: dict[str, Any]) -> Any:
        return True

    async def api_close(self, params: dict[str, Any]) -> Any:
        return True

    async def api_setWebhook(self, params: dict[str, Any]) -> Any:
        url = str(params.get("url") or "")
        if not url:  # an empty URL is how a bot goes back to getUpdates
            return await self.api_deleteWebhook(params)
        parts = urlsplit(url)
        # Telegram wants HTTPS; the sandbox also takes plain HTTP to this machine, for tests without certificates.
        if not parts.hostname or not (parts.scheme == "https" or (parts.scheme == "http" and _loopback(parts.hostname))):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise bad_request("bad webhook: secret token contains unallowed characters")
        raw = params.get("allowed_updates")
        allowed = (json.loads(raw) if isinstance(raw, str) else list(raw)) if raw is not None else \
            (self.webhook.allowed_updates if self.webhook else [])  # not given: the previous setting stays
        try:
            connections = int(params.get("max_connections") or 40)
        except ValueError:
            raise bad_request("bad webhook: max_connections must be a number") from None
        if str(params.get("drop_pending_updates", "")).lower() == "true":
            self.updates.clear()
        # last_error is kept (the latest failed delivery, as Telegram reports it) until the webhook is deleted.
        self.webhook = Target(url, str(secret) if secret is not None else None, allowed, max(1, min(connections, 100)))
        if self.deliverer is None:
            self.deliverer = Deliverer(self)
        self.deliverer.start()
        return True

    async def api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = None
        self.webhook_error = None
        if self.deliverer is not None:
            await self.deliverer.stop()
            self.deliverer = None
        if str(params.get("drop_pending_updates", "")).lower() == "true":
            self.updates.clear()
        return True

    async def api_getWebhookInfo(self, params: dict[str, Any]) -> Any:
        info: dict[str, Any] = {"url": self.webhook.url if self.webhook else "", "has_custom_certificate": False,
                                "pending_update_count": len(self.updates)}
        if self.webhook is not None:
            info["max_connections"] = self.webhook.max_connections
            if self.webhook.allowed_updates:
                info["allowed_updates"] = self.webhook.allowed_updates
        if self.webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self.webhook_error
        return info

    async def close(self) -> None:
        """The sandbox stops: deliveries under way are abandoned (Telegram would try them again later)."""
        if self.deliverer is not None:
            await self.deliverer.stop()

    async def api_setMyCommands(self, params: dict[str, Any]) -> Any:
        raw = params.get("commands", "[]")
        commands = json.loads(raw) if isinstance(raw, str) else raw
        key = _menu_key(params)
        self.command_menus[key] = commands
        if key == ("", ""):
            self.commands = commands
        return True

    async def api_getMyCommands(self, params: dict[str, Any]) -> Any:
        return self.command_menus.get(_menu_key(params), [])

    async def api_getUpdates(self, params: dict[str, Any]) -> Any:
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = float(params.get("timeout") or 0)
        if offset:
            self.confirmed_offset = max(self.confirmed_offset, offset)
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            await self.notify()
        deadline = time.monotonic() + timeout
        while True:
            ready = self.updates[:limit]
            if ready or time.monotonic() >= deadline:
                return ready
            async with self.changed:
                try:
                    await asyncio.wait_for(self.changed.wait(), deadline - time.monotonic())
                except TimeoutError:
                    pass

    async def api_sendChatAction(self, params: dict[str, Any]) -> Any:
        self._check_can_send(self._chat(params), "sendChatAction")
        return True

    async def api_sendMessage(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params)
        text, entities = self._formatted(params, "text", MAX_TEXT, required=True)
        markup = self._markup(params)
        self._check_can_send(chat, "sendMessage")
        message = self._new_message(chat, None if chat.type == "channel" else self.bot, text=text, entities=entities,
                                    reply_markup=markup, reply_to=self._reply_to(params))
        return message.to_api(self)

    async def _send_media(self, params: dict[str, Any], kind: str, method: str) -> Any:
        chat = self._chat(params)
        caption, caption_entities = self._formatted(params, "caption", MAX_CAPTION, required=False)
        markup = self._markup(params)
        if params.get(kind) in (None, ""):
            raise bad_request(f"there is no {kind} in the request")
        self._check_can_send(chat, method)
        fid = f"F{next(self.file_ids)}"
        media: dict[str, Any]
        if kind == "photo":
            media = {"photo": [{"file_id": fid, "file_unique_id": fid + "u", "width": 320, "height": 640}]}
        else:
            media = {"document": {"file_id": fid, "file_unique_id": fid + "u", "file_name": "document"}}
        upload = params.get(f"_upload_{kind}")
        if isinstance(upload, tuple):
            self.files[fid] = upload
            if kind == "document" and upload[0]:
                media["document"]["file_name"] = upload[0]
        message = self._new_message(chat, None if chat.type == "channel" else self.bot, caption=caption,
                                    caption_entities=caption_entities, media=media, reply_markup=markup,
                                    reply_to=self._reply_to(params))
        return message.to_api(self)

    async def api_sendPhoto(self, params: dict[str, Any]) -> Any:
        return await self._send_media(params, "photo", "sendPhoto")

    async def api_sendDocument(self, params: dict[str, Any]) -> Any:
        return await self._send_media(params, "document", "sendDocument")

    async def api_copyMessage(self, params: dict[str, Any]) -> Any:
        source = self._target({"chat_id": params.get("from_chat_id"), "message_id": params.get("message_id")}, "copy")
        chat = self._chat(params)
        if "caption" in params:
            caption, caption_entities = self._formatted(params, "caption", MAX_CAPTION, required=False)
        else:
            caption, caption_entities = source.caption, source.caption_entities
        markup = self._markup(params)
        self._check_can_send(chat, "copyMessage")
        copy = self._new_message(chat, None if chat.type == "channel" else self.bot, text=source.text,
                                 entities=source.entities, caption=caption, caption_entities=caption_entities,
                                 media=dict(source.media), reply_markup=markup, reply_to=self._reply_to(params),
                                 copied_from=(source.chat.id, source.message_id))
        return {"message_id": copy.message_id}

    def copies_of(self, chat_id: int, message_id: int) -> dict[int, int]:
        """How many copies of one message each chat holds (a broadcast's duplicates and losses)."""
        counts: dict[int, int] = {}
        for (cid, _), message in self.messages.items():
            if message.copied_from == (chat_id, message_id) and not message.deleted:
                counts[cid] = counts.get(cid, 0) + 1
        return counts

    async def api_forwardMessage(self, params: dict[str, Any]) -> Any:
        source = self._target({"chat_id": params.get("from_chat_id"), "message_id": params.get("message_id")}, "forward")
        chat = self._chat(params)
        self._check_can_send(chat, "forwardMessage")
        name = source.sender.first_name if source.sender else ""
        origin = {"type": "hidden_user", "sender_user_name": name, "date": source.date}
        copy = self._new_message(chat, None if chat.type == "channel" else self.bot, text=source.text,
                                 entities=source.entities, caption=source.caption, media=dict(source.media),
                                 forward_origin=origin)
        return copy.to_api(self)

    def _editable(self, params: dict[str, Any]) -> Message:
        if params.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        message = self._target(params, "edit")
        if message.sender is not None and not message.sender.is_bot:
            raise bad_request("message can't be edited")
        return message

    async def api_editMessageText(self, params: dict[str, Any]) -> Any:
        message = self._editable(params)
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._formatted(params, "text", MAX_TEXT, required=True)
        markup = self._markup(params)
        if text == message.text and entities == message.entities and markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        message.text, message.entities, message.reply_markup, message.edit_date = text, entities, markup, self.now()
        return message.to_api(self)

    async def api_editMessageCaption(self, params: dict[str, Any]) -> Any:
        message = self._editable(params)
        caption, entities = self._formatted(params, "caption", MAX_CAPTION, required=False)
        markup = self._markup(params)
        if caption == message.caption and entities == message.caption_entities and markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        message.caption, message.caption_entities, message.reply_markup = caption, entities, markup
        message.edit_date = self.now()
        return message.to_api(self)

    async def api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        message = self._editable(params)
        markup = self._markup(params)
        if markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        message.reply_markup, message.edit_date = markup, self.now()
        return message.to_api(self)

    async def api_deleteMessage(self, params: dict[str, Any]) -> Any:
        message = self._target(params, "delete")
        is_own = message.sender is not None and message.sender.is_bot
        if message.chat.type != "private" and not is_own and BOT_ID not in message.chat.admins:
            raise bad_request("message can't be deleted")
        message.deleted = True
        return True

    async def api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        query = self.callbacks.get(str(params.get("callback_query_id")))
        if query is None or query["answered"]:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query.update(answered=True, text=text, show_alert=str(params.get("show_alert", "")).lower() == "true")
        return True

    async def api_getChat(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params)
        data = chat.to_api()
        if chat.invite_link and chat.type != "private":
            data["invite_link"] = chat.invite_link
        data.update({"accent_color_id": 0, "max_reaction_count": 11,
                     "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                             "unique_gifts": False, "premium_subscription": False,
                                             "gifts_from_channels": False}})
        return data

    async def api_getChatMember(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params)
        try:
            uid = int(params.get("user_id", 0))
        except (TypeError, ValueError) as exc:
            raise bad_request("invalid user_id specified") from exc
        user = self.bot if uid == BOT_ID else self.users.get(uid)
        if user is None:
            raise bad_request("PARTICIPANT_ID_INVALID")
        if chat.type == "private":
            status = "member" if uid in (chat.id, BOT_ID) else "left"
        elif uid in chat.admins:
            status = "administrator"
        else:
            status = "member" if uid in chat.members else "left"
        data: dict[str, Any] = {"status": status, "user": user.to_api()}
        if status == "administrator":
            data.update({"can_be_edited": False, "is_anonymous": False, "can_manage_chat": True,
                         "can_delete_messages": True, "can_manage_video_chats": False,
                         "can_restrict_members": False, "can_promote_members": False,
                         "can_change_info": False, "can_invite_users": True, "can_post_stories": False,
                         "can_edit_stories": False, "can_delete_stories": False, "can_post_messages": True})
        return data

    # -- dispatch --------------------------------------------------------------------------------

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        handler = getattr(self, f"api_{method}", None)
        if handler is None:
            # Telegram answers 404 "Not Found" for a method it does not know.
            raise ApiError(404, "Not Found")
        self.calls.append(method)
        late: Fault | None = None
        for fault in self.faults:
            if fault.count > 0 and fault.method in (method, "*"):
                if fault.after > 0:
                    fault.after -= 1
                    break
                fault.count -= 1
                if fault.late:
                    late = fault
                    break
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                if fault.status == 429:
                    self.rate.refused += 1
                    raise ApiError(429, f"Too Many Requests: retry after {fault.retry_after}",
                                   {"retry_after": fault.retry_after})
                if fault.status >= 400:
                    raise ApiError(fault.status, "Internal Server Error" if fault.status >= 500 else "Injected error")
                break
        self.faults = [f for f in self.faults if f.count > 0]
        try:
            result = await handler(params)
            if late is not None:
                raise ApiError(late.status, "Bad Gateway" if late.status >= 500 else "Injected error")
            return result
        except ApiError as exc:
            self.errors.append((method, exc.code, exc.description))
            raise
        finally:
            if method != "getUpdates":
                chat_id = _chat_id_of(method, params, self.callbacks)
                self.call_log.append((time.time(), method, chat_id))
                await self.notify(chat_id)


def _chat_id_of(method: str, params: dict[str, Any], callbacks: dict[str, dict[str, Any]]) -> int | None:
    """The chat a call touched, when it names one (answerCallbackQuery: the chat of the pressed button)."""
    raw = params.get("chat_id")
    if raw is None and method == "answerCallbackQuery":
        raw = callbacks.get(str(params.get("callback_query_id")), {}).get("chat_id")
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None  # a @username: no benchmark waits on those


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _menu_key(params: dict[str, Any]) -> tuple[str, str]:
    """A command menu's key: its scope (none is the default scope) and its language_code (none: every language)."""
    raw = params.get("scope")
    scope = json.loads(raw) if isinstance(raw, str) else raw
    if scope == {"type": "default"}:
        scope = None
    return (json.dumps(scope, sort_keys=True) if scope else "", str(params.get("language_code") or ""))
