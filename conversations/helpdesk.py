"""The help desk: a stuck parent writes to the school; the ticket reaches the staff group and the school's mail."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from html import escape

from telegram import Bot, InlineKeyboardMarkup, ReplyParameters, Update, User
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes, ConversationHandler, filters

from conversations import recovery, texts
from conversations.common import (
    Deps,
    answer_query,
    button_id,
    delete_secret,
    deps,
    edit_or_send,
    hash_budget,
    keyboard,
    send,
    user_id,
)
from storage.accounts import Account, DirectoryUnavailable, identifier_key
from storage.db import from_text
from storage.outbox import OutgoingMail
from storage.progress import Progress
from storage.recovery import Recovery
from storage.secrets import looks_provisional, normalise_answer, verify_secret
from storage.store import Store
from storage.tickets import NewMessage, StaffPost, Ticket, TicketMessage

log = logging.getLogger(__name__)
Ctx = ContextTypes.DEFAULT_TYPE
END = ConversationHandler.END

HELPDESK = "helpdesk"  # the parent is writing their message to the school
RATE_WINDOW = timedelta(minutes=5)
RATE_LIMIT = 5  # messages into tickets per parent per window
MAX_TEXT = 3500  # leaves room for the ticket's header within Telegram's 4096
MAX_CAPTION = 1024  # Telegram's limit for a photo's or a document's caption
FIRST_IN_HEADER = 3000  # a longer first message goes under the header, which must stay within 4096
# What a parent may send the school as a file: pictures of the screen and PDFs, checked by the type and the
# name's extension Telegram gives (both, since the sender's app sets them); anything else (programs, archives,
# office files that may carry macros) never reaches the staff group nor the school's mailbox.
DOCUMENT_TYPES = {"image/jpeg": (".jpg", ".jpeg"), "image/png": (".png",), "image/webp": (".webp",),
                  "image/heic": (".heic",), "image/heif": (".heif",), "application/pdf": (".pdf",)}
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
# Posts waiting for the staff group (18 a minute): past this backlog, about ten minutes, new tickets from people
# who proved no account are refused politely, so that a flood of new Telegram accounts cannot bury the families'
# tickets for hours.
MAX_WAITING_POSTS = 180
SUPPORTED = filters.UpdateType.MESSAGE & (filters.TEXT | filters.PHOTO | filters.Document.ALL) & ~filters.COMMAND
UNSUPPORTED = filters.UpdateType.MESSAGE & ~filters.COMMAND & ~(filters.TEXT | filters.PHOTO | filters.Document.ALL)


def _name(user: User) -> str:
    return user.full_name + (f" (@{user.username})" if user.username else "")


# -- the parent's side -----------------------------------------------------------------------------


async def start_writing(update: Update, context: Ctx) -> object:
    await answer_query(update)
    # Saved, so that after a restart the next message still goes to the school, not to a step.
    await deps(context).store.writing.start(user_id(update))
    ticket = await deps(context).store.tickets.open_for(user_id(update))
    prompt = texts.helpdesk_prompt(deps(context).school.contact_email, ticket.id if ticket else None)
    await send(update, context, prompt, keyboard([(texts.BACK, "helpdesk:cancel")]))
    return HELPDESK


async def cancel_writing(update: Update, context: Ctx) -> object:
    await answer_query(update)
    store = deps(context).store
    uid = user_id(update)
    started = await store.writing.since(uid)
    await store.writing.stop(uid)
    ticket = await store.tickets.open_for(uid)
    # Follow-ups already went (mid-activation the parent keeps writing): never say that nothing was sent.
    if started is not None and ticket is not None and await store.tickets.parent_messages_since(uid, started):
        await edit_or_send(update, context, texts.helpdesk_done(ticket.id))
    else:
        await edit_or_send(update, context, texts.HELPDESK_CANCELLED)
    return END


async def written(update: Update, context: Ctx) -> object:
    """The message to the school, in the writing state.

    In the middle of an activation the parent keeps writing to the school (follow-ups, a photo) until
    they press "Reprendre l'activation": a step is never fed a message meant for the school.
    """
    store = deps(context).store
    uid = user_id(update)
    mid_activation = await store.progress.get(uid) is not None and await store.recovery.get(uid) is None
    resume = keyboard([(texts.HELPDESK_RESUME, "helpdesk:resume")]) if mid_activation else None
    if not await submit(update, context, resume):
        return None
    if mid_activation:
        return None
    await store.writing.stop(uid)
    return END


async def unsupported(update: Update, context: Ctx) -> object:
    await send(update, context, texts.HELPDESK_EXPECTS)
    return None


async def follow_up(update: Update, context: Ctx) -> bool:
    """A message outside any dialogue: it joins the parent's open ticket, if there is one."""
    if await deps(context).store.tickets.open_for(user_id(update)) is None:
        return False
    if SUPPORTED.check_update(update):
        await submit(update, context)
    else:
        await send(update, context, texts.HELPDESK_EXPECTS)
    return True


async def submit(update: Update, context: Ctx, resume: InlineKeyboardMarkup | None = None) -> bool:
    """Opens the ticket or adds to it, mail queued with it; tells staff and the parent. False if refused."""
    d = deps(context)
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return False
    text = message.text if message.text is not None else message.caption
    if text is not None and len(text) > MAX_TEXT:
        await send(update, context, texts.HELPDESK_TOO_LONG.format(length=len(text), limit=MAX_TEXT))
        return False
    if message.text is not None and not message.text.strip():
        await send(update, context, texts.ONLY_SPACES)
        return False
    if await d.store.tickets.parent_messages_since(user.id, d.store.clock.now() - RATE_WINDOW) >= RATE_LIMIT:
        await send(update, context, texts.HELPDESK_SLOW_DOWN)
        return False
    if message.document is not None and not acceptable_document(message.document.mime_type,
                                                                message.document.file_name, message.document.file_size):
        await send(update, context, texts.HELPDESK_DOCUMENT_REFUSED.format(megabytes=MAX_DOCUMENT_BYTES // 2**20))
        return False
    kind = "photo" if message.photo else "document" if message.document else "text"
    account, identifier, context_text, held, proven = await _context(d, user.id)
    # The backlog bounds new tickets from people who proved no account (the cheap ones to make by the dozen):
    # a family's follow-up on its open ticket, or a family that proved its account, is never turned away.
    if (not proven and await d.store.tickets.open_for(user.id) is None
            and await d.store.tickets.waiting_posts(to_group=d.staff.chat_id is not None) >= MAX_WAITING_POSTS):
        await send(update, context, texts.helpdesk_queue_full(d.school.contact_email))
        return False
    if text and looks_provisional(text):  # the shape of a password the school hands out, whoever writes it
        await delete_secret(update, context)
        await send(update, context, texts.HELPDESK_PASSWORD_SEEN)
        return False
    checks = secret_checks(held, text or "")
    if checks and not hash_budget(context).spend(user.id, d.store.clock.now(), len(checks)):
        await delete_secret(update, context)  # it could not be checked: it may hold a secret
        await send(update, context, texts.HELPDESK_TOO_FAST)
        return False
    if await _any_matches(checks):
        await delete_secret(update, context)
        await send(update, context, texts.HELPDESK_PASSWORD_SEEN)
        return False
    name = _name(user)

    def compose(ticket: Ticket, new: bool) -> OutgoingMail:
        assert d.mail is not None
        subject, body = texts.ticket_mail(ticket.id, new, name, user.id, ticket.identifier, ticket.context, kind, text)
        return OutgoingMail("ticket", d.mail.school_address, subject, body, d.mail.domain)

    ticket, new = await d.store.tickets.submit(
        # The account tools go beside the ticket only for a family's account, never a staff member's.
        user.id, name, account.id if account and account.is_family else None, identifier, context_text, proven,
        NewMessage(kind, text, message.chat_id, message.message_id), compose if d.mail else None,
        to_group=d.staff.chat_id is not None)
    d.wake_mailer()
    d.wake_staff_poster()  # the group gets it at its own pace (20 messages a minute): the parent does not wait
    await send(update, context, texts.ticket_received(ticket.id, new, resume is not None), resume)
    return True


# Words of a message that could be a password: checked against the parent's hashes before anything is kept.
_CANDIDATE = re.compile(r"^(?=.*[\d\W_])\S{6,128}$")
_PUNCTUATION = ".,;:!?«»\"'()[]"
MAX_PASSWORD_CANDIDATES = 40
MAX_ANSWER_CANDIDATES = 60
MAX_ANSWER_WORDS = 4  # secret answers are a name, a place, a phone number: a few words at most
# Each check is one Argon2 verification (about 30 ms of a core), taken from the sender's budget of
# HASHES_PER_MINUTE: whatever its length, a message costs at most this many. The most likely slips come
# first (a password-like word against the passwords, then the whole message as an answer, then its short
# runs of words); the rest of a long message is not examined (said in the README).
MAX_CHECKS_PER_MESSAGE = 6


def acceptable_document(mime_type: str | None, file_name: str | None, size: int | None) -> bool:
    """A picture or a PDF, its type and its name agreeing, of a size the school's mailbox takes."""
    extensions = DOCUMENT_TYPES.get((mime_type or "").lower())
    return (extensions is not None and (file_name or "").lower().endswith(extensions)
            and size is not None and 0 < size <= MAX_DOCUMENT_BYTES)


@dataclass(frozen=True)
class HeldSecrets:
    """The hashes of what the bot holds for this parent: passwords (typed as they are) and answers (normalised)."""

    passwords: tuple[str, ...]
    answers: tuple[str, ...]


async def _held_secrets(d: Deps, account: Account, proof: str, progress: Progress | None,
                        saved: Recovery | None) -> HeldSecrets:
    """What the writer's proof entitles the filter to compare with: never more than the writer already holds.

    Whoever proved the provisional password of an account still to activate holds that and what they typed
    in their own activation (a new password chosen but not saved, their answers); the account's current
    password and answers only for whoever activated it from here or answered its questions since its last
    change.
    """
    own = progress if progress is not None and progress.account_id == account.id else None
    passwords = [account.provisional_hash, own.provisional_hash if own else None, own.password_hash if own else None,
                 saved.password_hash if saved is not None and saved.account_id == account.id else None]
    answers = [own.answer1_hash if own else None, own.answer2_hash if own else None]
    if proof in ("activated", "answers"):
        credentials = await d.store.accounts.credentials(account.id)
        if credentials is not None:
            passwords.append(credentials.password_hash)
            answers += [credentials.answer1_hash, credentials.answer2_hash]
    return HeldSecrets(tuple(dict.fromkeys(h for h in passwords if h)), tuple(dict.fromkeys(h for h in answers if h)))


def password_candidates(text: str) -> list[str]:
    """Every word that could be a password, in message order, as typed and without the punctuation around it."""
    found: dict[str, None] = {}
    for word in text.split():
        for form in (word, word.strip(_PUNCTUATION)):
            if _CANDIDATE.match(form):
                found.setdefault(form)
    return list(found)[:MAX_PASSWORD_CANDIDATES]


def likely_answers(text: str) -> list[str]:
    """The whole message, what it quotes and its groups of digits, normalised like answers."""
    found: dict[str, None] = {normalise_answer(text): None}
    # An answer written in a sentence is often quoted: « le grand bleu », "Médor".
    for quoted in re.findall(r"«([^«»]{2,80})»|\"([^\"]{2,80})\"|“([^“”]{2,80})”", text):
        found.setdefault(normalise_answer("".join(quoted)).strip(_PUNCTUATION + " "))
    # A phone number or a date, typed in groups of digits ("01 47 20 00 01"), is one answer of many words.
    for run in re.findall(r"(?:\d+ )+\d+", " ".join(_answer_words(text))):
        found.setdefault(run)
    return [c for c in found if len(c) >= 2]


def answer_candidates(text: str) -> list[str]:
    """The likely answers, then each run of up to a few words in message order, normalised like answers."""
    words = _answer_words(text)
    found = dict.fromkeys(likely_answers(text))
    for start in range(len(words)):
        for size in range(1, MAX_ANSWER_WORDS + 1):
            if start + size <= len(words):
                found.setdefault(" ".join(words[start:start + size]))
    return [c for c in found if len(c) >= 2][:MAX_ANSWER_CANDIDATES]


def _answer_words(text: str) -> list[str]:
    return [w for w in (w.strip(_PUNCTUATION) for w in normalise_answer(text).split()) if w]


async def _any_matches(pairs: list[tuple[str, str]]) -> bool:
    """Checks (hash, candidate) pairs a few at a time on the hashing threads; stops at the first match."""
    batch = 4
    for i in range(0, len(pairs), batch):
        if any(await asyncio.gather(*(verify_secret(h, c) for h, c in pairs[i:i + batch]))):
            return True
    return False


def secret_checks(secrets: HeldSecrets, text: str) -> list[tuple[str, str]]:
    """The (hash, candidate) pairs to verify for a message, most likely first, at most MAX_CHECKS_PER_MESSAGE.

    Families are told never to write a secret to the school; some will all the same, and the message would
    then sit in the staff group, the school's mailbox and the database.
    """
    if not text or not (secrets.passwords or secrets.answers):
        return []
    words = password_candidates(text)
    strong = [w for w in words if _kinds(w) >= 3]  # shaped like the ENT's passwords: the likeliest slip
    likely = likely_answers(text)
    tiers = [[(h, c) for c in strong for h in secrets.passwords],
             [(h, c) for c in likely for h in secrets.answers],
             [(h, c) for c in words if c not in strong for h in secrets.passwords],
             [(h, c) for c in answer_candidates(text) if c not in likely for h in secrets.answers]]
    return [pair for tier in tiers for pair in tier][:MAX_CHECKS_PER_MESSAGE]


def _kinds(word: str) -> int:
    """Kinds of characters (small, capital, digit, other) in a word, punctuation around it not counted."""
    inner = word.strip(_PUNCTUATION)
    return sum((any(c.islower() for c in inner), any(c.isupper() for c in inner), any(c.isdigit() for c in inner),
                any(not c.isalnum() for c in inner)))


async def _proof(d: Deps, uid: int, account: Account, progress: Progress | None, saved: Recovery | None) -> str | None:
    """How this Telegram user proved they hold the account as it is now; None if they only typed its identifier.

    A proof made before the account changed proves nothing of it: a provisional password typed right counts
    only while the account waits for its activation (someone else may have activated it since, with their own
    password and answers), and answers only for the account's revision they were checked against, within the
    time given to choose a new password.
    """
    if account.state == "active":
        activated_here = await d.store.accounts.by_telegram_user(uid)
        if activated_here is not None and activated_here.id == account.id:
            return "activated"
    if (account.state in ("pending", "reset") and progress is not None and progress.account_id == account.id
            and progress.provisional_hash is not None and progress.provisional_hash == account.provisional_hash):
        return "provisional"  # set only once the provisional password was typed right, from this chat
    if (saved is not None and saved.account_id == account.id and saved.verified_at is not None
            and saved.revision == account.revision
            and d.store.clock.now() - from_text(saved.verified_at) <= recovery.CHOOSE_WITHIN):
        return "answers"
    return None


async def _context(d: Deps, uid: int) -> tuple[Account | None, str | None, str, HeldSecrets, bool]:
    """What staff need to know without asking: identifier, account state, step, last error, lock.

    Also the hashes of the parent's secrets, read once here, for the check of the message itself.
    """
    store = d.store
    progress = await store.progress.get(uid)
    saved = await store.recovery.get(uid)
    identifier = (saved.identifier if saved else None) or (progress.identifier if progress else None)
    try:
        account = await store.accounts.find(identifier) if identifier else await store.accounts.by_telegram_user(uid)
    except DirectoryUnavailable:  # the help desk works on while the ENT's directory is down
        account = None
    if account is not None:
        identifier = account.identifier
    where = (recovery.where(saved) if saved else
             texts.where(progress.step) if progress and progress.step in texts.STEP_NUMBER else None)
    keys = [("user", str(uid))] + ([("account", identifier_key(identifier))] if identifier else [])
    lock = await store.attempts.locked_until(*keys)
    lock_until = texts.paris(lock.until) if lock else None
    proof = await _proof(d, uid, account, progress, saved) if account is not None else None
    typed_unknown = account is None and identifier is not None
    if typed_unknown:
        # What was typed matches no account: it may be a password typed in the wrong box, so it never leaves
        # the bot (staff read that an unknown identifier was typed, not what).
        identifier = None
    context_text = texts.ticket_context(identifier, account.state if account else None, where,
                                        progress.last_error if progress else None, lock_until, proof,
                                        typed_unknown=typed_unknown)
    # The message is compared with the account's secrets only for whoever proved they hold it. For anyone
    # else a filter that reacts to the right word would tell a stranger which word is the family's password
    # or answer, at no cost to any lock (issue 22): no comparison is made at all, so nothing in the bot's
    # answer depends on the account's secrets.
    held = (await _held_secrets(d, account, proof, progress, saved) if account is not None and proof is not None
            else HeldSecrets((), ()))
    return account, identifier, context_text, held, proof is not None


# -- the staff group ---------------------------------------------------------------------------------


def _header(ticket: Ticket, first_message: str) -> tuple[str, InlineKeyboardMarkup | None]:
    text = texts.ticket_header(ticket.id, texts.paris(ticket.opened_at), ticket.user_name, ticket.telegram_user_id,
                               ticket.context, ticket.taken_by_name, ticket.closed_by_name, first_message)
    if ticket.state == "closed":
        return text, None
    buttons = [[(texts.TAKE_BUTTON, f"ticket:take:{ticket.id}"), (texts.CLOSE_BUTTON, f"ticket:close:{ticket.id}")]]
    if ticket.account_id is not None:  # the school's account tools, beside the ticket (unlock only if locked)
        # For someone who only typed the identifier, the reset first asks staff to check who they are.
        reset = "reset" if ticket.proven else "reset_check"
        # The ticket's number: unlocking from it also lifts its writer's own lock (staff chose to answer them).
        unlock = ([(texts.UNLOCK_BUTTON, f"staff:unlock:{ticket.account_id}:{ticket.id}")]
                  if texts.NO_LOCK not in ticket.context else [])
        buttons.append([*unlock, (texts.RESET_BUTTON, f"staff:{reset}:{ticket.account_id}")])
    return text, keyboard(*buttons)


def _in_header(text: str | None) -> bool:
    """Whether a first text fits the header whatever else it shows (names, context, who took it: 900 at most)."""
    return len(text or "") <= FIRST_IN_HEADER


def _first_text(kind: str, text: str | None) -> str:
    placeholder = {"photo": texts.PHOTO_PLACEHOLDER, "document": texts.DOCUMENT_PLACEHOLDER}.get(kind)
    if placeholder is None:
        return text or "" if _in_header(text) else texts.TEXT_PLACEHOLDER
    return placeholder + (f"\n{text}" if text else "")


class HeaderFirst(Exception):
    """A later message of a ticket whose header the group has not got yet: it waits for it."""


async def deliver_post(bot: Bot, store: Store, chat_id: int, post: StaffPost,
                       pace: Callable[[], Awaitable[None]]) -> None:
    """Sends one queued post to the staff group (a ticket's header, or a parent's message under it).

    `pace` is awaited before each message (the group's limit). Raises what Telegram raised, so that the
    worker tries again later; a header already posted is not
    posted again, so a retry after a crash between the post and its record leaves one header.
    """
    ticket = await store.tickets.get(post.ticket_id)
    if ticket is None:
        return  # closed and purged meanwhile
    messages = [m for m in await store.tickets.messages(ticket.id) if m.author == "parent"]
    if post.kind == "header":
        if ticket.header_message_id is None and messages:
            text, markup = _header(ticket, _first_text(messages[0].kind, messages[0].text))
            await pace()
            header = await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup)
            await store.tickets.record_post(chat_id, header.message_id, ticket.id, header=True)
        return
    message = next((m for m in messages if m.id == post.message_id), None)
    if message is None:
        return
    if ticket.header_message_id is None:
        raise HeaderFirst(f"ticket {ticket.id} has no header in the group yet")
    if message.kind == "text":
        if message.id == messages[0].id and _in_header(message.text):
            return  # shown in the header itself
        for part in _chunks(message.text or ""):
            await _post_text(bot, store, chat_id, pace, ticket, texts.ticket_follow_up(ticket.id, ticket.user_name, part))
        return
    if message.id == messages[0].id:  # the ticket's first message: its caption is in the header already
        # Its words again, as plain text: a copy without a caption would keep the parent's formatting, a link
        # hidden under innocent words included, posted in the group under the bot's name.
        await _copy_media(bot, store, chat_id, pace, ticket, message, message.text or None)
        return
    caption = texts.ticket_follow_up_caption(ticket.id, ticket.user_name, message.text)
    if len(caption.encode("utf-16-le")) // 2 <= MAX_CAPTION:  # Telegram counts UTF-16 units
        await _copy_media(bot, store, chat_id, pace, ticket, message, caption)
        return
    # Too long for a caption once named: the media with a short one, the parent's words in full beneath.
    await _copy_media(bot, store, chat_id, pace, ticket, message, texts.ticket_follow_up_caption_below(ticket.id,
                                                                                                  ticket.user_name))
    for part in _chunks(message.text or ""):
        await _post_text(bot, store, chat_id, pace, ticket, texts.ticket_follow_up(ticket.id, ticket.user_name, part))


def _under(ticket: Ticket) -> ReplyParameters | None:
    """Posted as a reply to the ticket's header, so that the thread reads as one in the group."""
    if ticket.header_message_id is None:
        return None
    return ReplyParameters(ticket.header_message_id, allow_sending_without_reply=True)


async def _post_text(bot: Bot, store: Store, chat_id: int, pace: Callable[[], Awaitable[None]], ticket: Ticket,
                     text: str) -> None:
    await pace()
    posted = await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_parameters=_under(ticket))
    await store.tickets.record_post(chat_id, posted.message_id, ticket.id)


async def _copy_media(bot: Bot, store: Store, chat_id: int, pace: Callable[[], Awaitable[None]], ticket: Ticket,
                      message: TicketMessage, caption: str | None) -> None:
    if message.source_chat_id is None or message.source_message_id is None:
        return
    await pace()
    copied = await bot.copy_message(chat_id, message.source_chat_id, message.source_message_id, caption=caption,
                                    reply_parameters=_under(ticket))
    await store.tickets.record_post(chat_id, copied.message_id, ticket.id)


async def staff_reply(update: Update, context: Ctx) -> None:
    """A staff member replied, in the group, to a message that shows a ticket: the answer goes to the parent."""
    d = deps(context)
    message, staff = update.effective_message, update.effective_user
    if message is None or staff is None or message.reply_to_message is None:
        return
    ticket = await d.store.tickets.by_post(message.chat_id, message.reply_to_message.message_id)
    if ticket is None:
        return  # a conversation between colleagues, not an answer to a ticket
    if ticket.state == "closed":
        await message.reply_text(texts.REPLY_TO_CLOSED.format(ticket_id=ticket.id))
        return
    kind = "photo" if message.photo else "document" if message.document else "text" if message.text else None
    if kind is None:
        await message.reply_text(texts.REPLY_UNSUPPORTED)
        return
    if await _staff_wrote_a_password(d, ticket, message.text or message.caption or ""):
        await d.store.audit.record(f"staff:{staff.id}", "ticket_reply_refused", ticket.account_id, f"demande n°{ticket.id}")
        # Never relayed nor stored: whoever wrote the ticket may not be the family (issue: social engineering).
        try:
            await message.delete()
        except TelegramError as exc:  # not an admin of the group: the staff member is told to delete it
            log.info("staff reply with a password not deleted from the group: %s", exc)
        await context.bot.send_message(message.chat_id, texts.REPLY_HOLDS_PASSWORD.format(ticket_id=ticket.id),
                                       parse_mode=ParseMode.HTML)
        return
    try:
        # The parent may be midway through a dialogue: a button lets them answer without leaving it.
        answer = keyboard([(texts.ANSWER_SCHOOL, "helpdesk:write")])
        if kind == "text":
            # Cut before escaping, so that no cut falls inside an HTML entity.
            chunks = [texts.reply_from_school(ticket.id, part) for part in _chunks(message.text or "")]
            for i, chunk in enumerate(chunks):
                await context.bot.send_message(ticket.telegram_user_id, chunk, parse_mode=ParseMode.HTML,
                                               reply_markup=answer if i == len(chunks) - 1 else None)
        else:
            await context.bot.copy_message(ticket.telegram_user_id, message.chat_id, message.message_id,
                                           caption=texts.reply_caption(ticket.id, message.caption)[:1024],
                                           reply_markup=answer)
    except (Forbidden, BadRequest) as exc:
        log.info("answer to ticket %s not delivered: %s", ticket.id, exc)
        await message.reply_text(texts.REPLY_BLOCKED.format(name=escape(ticket.user_name), ticket_id=ticket.id),
                                 parse_mode=ParseMode.HTML)
        return
    await d.store.tickets.add_staff_message(ticket.id, staff.full_name, kind, message.text or message.caption)
    await d.store.audit.record(f"staff:{staff.id}", "ticket_answered", ticket.account_id, f"demande n°{ticket.id}")
    if ticket.taken_by is None:
        await _take(context, ticket, staff, tell_parent=False)
    await message.reply_text(texts.REPLY_DELIVERED.format(name=ticket.user_name, ticket_id=ticket.id))


async def _staff_wrote_a_password(d: Deps, ticket: Ticket, text: str) -> bool:
    """A provisional password's shape, or the account's own provisional password (the school's, which staff hold).

    Never compared with the family's own password: a reply refused or relayed would tell a staff member
    whether a guess is it (issue 22); staff tools never take a family's password.
    """
    if not text:
        return False
    if looks_provisional(text):
        return True
    account = await d.store.accounts.get(ticket.account_id) if ticket.account_id is not None else None
    if account is None or account.provisional_hash is None:
        return False
    return await _any_matches(secret_checks(HeldSecrets((account.provisional_hash,), ()), text))


def _chunks(text: str, size: int = 3500) -> list[str]:
    """Telegram takes 4096 characters at most: a long answer goes in several messages, cut at line ends."""
    if len(text) <= size:
        return [text]
    parts, current = [], ""
    for line in text.splitlines(keepends=True):
        while len(line) > size:
            parts.append(current + line[:size - len(current)])
            line, current = line[size - len(current):], ""
        if len(current) + len(line) > size:
            parts.append(current)
            current = ""
        current += line
    return [*parts, current] if current else parts


async def _take(context: Ctx, ticket: Ticket, staff: User, tell_parent: bool) -> Ticket | None:
    d = deps(context)
    taken = await d.store.tickets.take(ticket.id, staff.id, staff.first_name)
    if taken is None:
        return None
    await _refresh_header(context, taken)
    if tell_parent:
        await _tell_parent(context, taken, texts.ticket_taken_notice(taken.id))
    return taken


async def _refresh_header(context: Ctx, ticket: Ticket) -> None:
    d = deps(context)
    if d.staff.chat_id is None or ticket.header_message_id is None:
        return
    first = next(m for m in await d.store.tickets.messages(ticket.id) if m.author == "parent")
    text, markup = _header(ticket, _first_text(first.kind, first.text))
    try:
        await context.bot.edit_message_text(text, d.staff.chat_id, ticket.header_message_id,
                                            parse_mode=ParseMode.HTML, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            log.warning("header of ticket %s not updated: %s", ticket.id, exc)


async def after_unlock(context: Ctx, account_id: int) -> None:
    """Staff lifted a lock: the account's open tickets show the parent's situation as it is now."""
    d = deps(context)
    for ticket in await d.store.tickets.open_tickets():
        if ticket.account_id != account_id:
            continue
        _, _, context_text, _, _ = await _context(d, ticket.telegram_user_id)
        updated = await d.store.tickets.set_context(ticket.id, context_text)
        if updated is not None:
            await _refresh_header(context, updated)


async def _tell_parent(context: Ctx, ticket: Ticket, text: str) -> None:
    try:
        await context.bot.send_message(ticket.telegram_user_id, text, parse_mode=ParseMode.HTML)
    except (Forbidden, BadRequest):
        log.info("parent of ticket %s unreachable", ticket.id)


async def ticket_button(update: Update, context: Ctx) -> None:
    """"Je m'en occupe" and "Clore" under a ticket, for staff only (checked by the caller)."""
    query, staff = update.callback_query, update.effective_user
    assert query is not None and staff is not None
    parts = (query.data or "").split(":")
    number = button_id(parts[2]) if len(parts) == 3 else None
    ticket = await deps(context).store.tickets.get(number) if number is not None else None
    if ticket is None or parts[1] not in ("take", "close"):
        await answer_query(update, texts.STALE_BUTTON)
        return
    await deps(context).store.audit.record(f"staff:{staff.id}", f"ticket_{parts[1]}", ticket.account_id,
                                           f"demande n°{ticket.id}")
    if parts[1] == "take":
        taken = await _take(context, ticket, staff, tell_parent=True)
        await answer_query(update, None if taken else texts.ALREADY_CLOSED)
        return
    closed = await deps(context).store.tickets.close(ticket.id, staff.first_name)
    if closed is None:
        await answer_query(update, texts.ALREADY_CLOSED)
        return
    await answer_query(update)
    await _refresh_header(context, closed)
    await _tell_parent(context, closed, texts.ticket_closed_notice(closed.id))


async def list_tickets(update: Update, context: Ctx, uai: str | None = None) -> None:
    """/tickets: the open tickets, of one school (`uai`: the one staff act for) when there are several."""
    tickets = await deps(context).store.tickets.open_tickets(uai)
    if not tickets:
        await send(update, context, texts.NO_OPEN_TICKETS)
        return
    lines = [texts.open_ticket_line(t.id, t.user_name, t.identifier, texts.paris(t.opened_at), t.taken_by_name)
             for t in tickets]
    await send(update, context, texts.open_tickets_list(lines))


# -- background jobs ---------------------------------------------------------------------------------


async def repost_tickets(context: Ctx) -> None:
    """Every minute: whatever the staff group has not got yet (the bot removed from it, Telegram down) is due now."""
    d = deps(context)
    if d.staff.chat_id is None:
        return
    await d.store.tickets.queue_unposted()
    if await d.store.tickets.retry_posts_now():
        d.wake_staff_poster()


async def purge_tickets(context: Ctx, retention: timedelta) -> None:
    store = deps(context).store
    before = store.clock.now() - retention
    purged = await store.tickets.purge_closed(before)
    sent = await store.outbox.purge_sent(before)
    log.info("purge: %d closed ticket(s) and %d sent mail(s) older than %d days", purged, sent, retention.days)
