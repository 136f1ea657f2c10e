"""The help desk: a stuck parent writes to the school; the ticket reaches the staff group and the school's mail."""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, replace
from datetime import timedelta
from html import escape
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, ReplyParameters, Update, User
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import BaseHandler, ContextTypes, ConversationHandler, MessageHandler, filters

import i18n
from conversations import language, recovery, texts
from conversations.common import (
    Deps,
    School,
    answer_query,
    button_id,
    delete_secret,
    deps,
    edit_or_send,
    hash_budget,
    keyboard,
    pressed,
    send,
    user_id,
)
from conversations.roles import staff_only, staff_schools
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
    """As staff read it: a name in any script, or with direction controls in it, reorders nothing around it."""
    return i18n.isolated(user.full_name) + (f" (@{user.username})" if user.username else "")


# -- the parent's side -----------------------------------------------------------------------------


async def start_writing(update: Update, context: Ctx) -> object:
    await answer_query(update)
    d = deps(context)
    uid = user_id(update)
    ticket = await d.store.tickets.open_for(uid)
    # An open ticket's messages join it, at its school; otherwise the writer's school, or the choice of it.
    school = d.schools.owning(ticket.uai) if ticket is not None else None
    if school is None:
        ticket = None  # none, or one of a school the deployment no longer serves: the next message opens another
    mine = None if school is not None or not d.schools.several else await writer_schools(d, uid)
    if school is None and not d.schools.several:
        school = d.schools.first
    elif school is None and mine is not None and len(mine) == 1:
        school = mine[0]
    # Saved, so that after a restart the next message still goes to the school (or finds it), not to a step.
    await d.store.writing.start(uid, school.uai if school is not None else None)
    if school is None:
        await _ask_school(update, context, mine)
        return HELPDESK
    await send(update, context, _prompt(d, school, ticket), keyboard([(texts.BACK, "helpdesk:cancel")]))
    return HELPDESK


def _prompt(d: Deps, school: School, ticket: Ticket | None) -> str:
    return texts.helpdesk_prompt(school.contact_email, ticket.id if ticket else None,
                                 school.name if d.schools.several else None)


async def _ask_school(update: Update, context: Ctx, mine: tuple[School, ...] | None) -> None:
    """A family of several schools picks one with buttons; someone not known yet types part of its name or town."""
    if mine:
        rows = [[(s.name, f"helpdesk:school:{s.uai}")] for s in mine]
        await send(update, context, texts.HELPDESK_PICK_SCHOOL, keyboard(*rows, [(texts.BACK, "helpdesk:cancel")]))
    else:
        await send(update, context, texts.HELPDESK_FIND_SCHOOL, keyboard([(texts.BACK, "helpdesk:cancel")]))


async def writer_schools(d: Deps, uid: int) -> tuple[School, ...] | None:
    """The schools a family that proved its account writes to: its letter's school while it activates through a
    letter's QR code, else its account's (a family of two, once active, picks every time); None for someone who
    proved no account (they find their school by its name).

    Only a proof counts, never an identifier merely typed: the question asked must not tell a stranger whether
    an identifier exists, nor which schools it belongs to.
    """
    account, proof = await _proven_account(d, uid)
    if account is None or proof is None:
        return None
    schools = d.schools.of_account(account)
    letter = d.schools.get(await d.store.writing.letter_school(account.id) or "") if account.state != "active" else None
    if letter is not None and letter in schools:
        return (letter,)
    return schools or None


async def _writer(d: Deps, uid: int) -> tuple[Account | None, str | None, Progress | None, Recovery | None]:
    """The account the writer's dialogue names (the one they typed, else the one they activated), the identifier
    typed, and their saved activation and recovery; no account while the ENT's directory is down (the help
    desk works on)."""
    progress = await d.store.progress.get(uid)
    saved = await d.store.recovery.get(uid)
    identifier = (saved.identifier if saved else None) or (progress.identifier if progress else None)
    try:
        account = await d.store.accounts.find(identifier) if identifier else await d.store.accounts.by_telegram_user(uid)
    except DirectoryUnavailable:
        account = None
    return account, identifier, progress, saved


async def _proven_account(d: Deps, uid: int) -> tuple[Account | None, str | None]:
    account, _, progress, saved = await _writer(d, uid)
    if account is None:
        return None, None
    return account, await _proof(d, uid, account, progress, saved)


SCHOOL_BUTTON = re.compile(r"^helpdesk:school:([0-9]{7}[A-Z])$")
MAX_SCHOOL_BUTTONS = 8
MAX_SEARCH = 60  # part of a name or a town; a longer text is a message typed before the school was found
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "clg": "college"}


def _folded(text: str) -> tuple[str, ...]:
    """Words without accents, case nor punctuation: « Saint-Cyr-sur-Loire » and « st cyr » meet."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()
    words = re.sub(r"[^0-9a-z]+", " ", plain).split()
    return tuple(_ABBREVIATIONS.get(w, w) for w in words)


@functools.lru_cache(maxsize=4096)  # a school's name and address, folded once (never what a parent typed)
def _school_words(name: str, address: str) -> tuple[tuple[str, ...], str]:
    words = _folded(f"{name} {address}")
    return words, " ".join(words)


def find_schools(schools: tuple[School, ...], typed: str) -> list[School]:
    """The schools whose name or postal address holds every word typed (as the start of one of its words, or
    inside a name written in one piece), in the configuration's order."""
    wanted = _folded(typed)
    if not wanted:
        return []
    found = []
    for school in schools:
        words, joined = _school_words(school.name, school.postal_address or "")
        if all(any(w.startswith(part) for w in words) or (len(part) >= 4 and part in joined) for part in wanted):
            found.append(school)
    return found


async def _find_school(update: Update, context: Ctx) -> None:
    """In the writing state with no school yet: the text typed is part of the school's name or town."""
    d = deps(context)
    message = update.effective_message
    mine = await writer_schools(d, user_id(update))
    if mine is not None and len(mine) > 1:  # a family of several schools picks among its own only
        await _ask_school(update, context, mine)
        return
    text = message.text if message is not None else None
    if text is None or not text.strip():
        await send(update, context, texts.HELPDESK_FIND_SCHOOL, keyboard([(texts.BACK, "helpdesk:cancel")]))
        return
    if looks_provisional(text):  # a password in the wrong box: never kept, never echoed
        await delete_secret(update, context)
        await send(update, context, texts.HELPDESK_PASSWORD_SEEN)
        return
    if len(text) > MAX_SEARCH:
        await send(update, context, texts.HELPDESK_SEARCH_TOO_LONG, keyboard([(texts.BACK, "helpdesk:cancel")]))
        return
    found = find_schools(d.schools.all, text)
    rows = [[(s.name + (f" — {s.postal_address}" if s.postal_address else ""), f"helpdesk:school:{s.uai}")]
            for s in found[:MAX_SCHOOL_BUTTONS]]
    await send(update, context, texts.schools_found(len(found), MAX_SCHOOL_BUTTONS),
               keyboard(*rows, [(texts.HELPDESK_NONE_OF_THESE, "helpdesk:none")], [(texts.BACK, "helpdesk:cancel")]))


async def school_chosen(update: Update, context: Ctx) -> object:
    """A school's button: the writer's next message goes to it. The button's data is the sender's: a school that is
    not configured, or not one of a known family's, or a writer who is not choosing any more, is a stale button."""
    d = deps(context)
    uid = user_id(update)
    match = await pressed(update, SCHOOL_BUTTON)
    if match is None:
        return None
    school = d.schools.get(match.group(1))
    writing, chosen = await d.store.writing.school(uid)
    mine = await writer_schools(d, uid) if school is not None else None
    ticket = await d.store.tickets.open_for(uid)
    if (school is None or not writing or chosen is not None or not d.schools.several
            or (mine is not None and school not in mine)
            or (ticket is not None and d.schools.owning(ticket.uai) is not None)):
        await answer_query(update, texts.STALE_BUTTON)
        return None
    await answer_query(update)
    if not await d.store.writing.choose(uid, school.uai):
        return END
    await edit_or_send(update, context, _prompt(d, school, None), keyboard([(texts.BACK, "helpdesk:cancel")]))
    return HELPDESK


async def none_of_these(update: Update, context: Ctx) -> object:
    """"Aucun de ceux-là": this assistant does not serve their school; the ENT's general assistance does."""
    d = deps(context)
    uid = user_id(update)
    writing, chosen = await d.store.writing.school(uid)
    if not writing or chosen is not None:
        await answer_query(update, texts.STALE_BUTTON)
        return None
    await answer_query(update)
    await d.store.writing.stop(uid)
    await edit_or_send(update, context, texts.helpdesk_no_school(d.schools.first.ent_url))
    return END


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
    d = deps(context)
    store = d.store
    uid = user_id(update)
    if d.schools.several and await _school_of_writer(d, uid) is None:
        await _find_school(update, context)
        return None
    mid_activation = await store.progress.get(uid) is not None and await store.recovery.get(uid) is None
    resume = keyboard([(texts.HELPDESK_RESUME, "helpdesk:resume")]) if mid_activation else None
    if not await submit(update, context, resume):
        return None
    if mid_activation:
        return None
    await store.writing.stop(uid)
    return END


async def unsupported(update: Update, context: Ctx) -> object:
    d = deps(context)
    if d.schools.several and await _school_of_writer(d, user_id(update)) is None:
        await _find_school(update, context)
        return None
    await send(update, context, texts.HELPDESK_EXPECTS)
    return None


async def _school_of_writer(d: Deps, uid: int) -> School | None:
    """Where the writer's next message goes: their open ticket's school, else the one chosen; None: not chosen."""
    if not d.schools.several:
        return d.schools.first
    ticket = await d.store.tickets.open_for(uid)
    school = d.schools.owning(ticket.uai) if ticket is not None else None
    if school is not None:
        return school
    _, uai = await d.store.writing.school(uid)  # (an open ticket of a school no longer served: as if none)
    return d.schools.owning(uai or "")


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
    school = await _school_of_writer(d, user.id)
    if school is None:  # no school chosen yet (a restart between the question and the answer): asked again
        await d.store.writing.start(user.id, None)
        await _ask_school(update, context, await writer_schools(d, user.id))
        return False
    account, identifier, context_text, held, proven = await _context(d, user.id, school)
    # The backlog bounds new tickets from people who proved no account (the cheap ones to make by the dozen):
    # a family's follow-up on its open ticket, or a family that proved its account, is never turned away.
    # Each school's backlog is its own: a flood at one school never closes another's door.
    to_group = school.staff.chat_id is not None
    if (not proven and await d.store.tickets.open_for(user.id) is None
            and await d.store.tickets.waiting_posts(
                to_group, uai=school.uai if d.schools.several else None,
                recipient=school.contact_email if d.schools.several else None) >= MAX_WAITING_POSTS):
        await send(update, context, texts.helpdesk_queue_full(school.contact_email))
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
    language = i18n.current()  # the family's: staff read « écrit en ukrainien » beside its words

    def compose(ticket: Ticket, new: bool) -> OutgoingMail:
        assert d.mail is not None
        subject, body = texts.ticket_mail(ticket.id, new, name, user.id, ticket.identifier, ticket.context, kind, text,
                                          language)
        # The ticket's school's address only (a message joining an open ticket: that ticket's school).
        to = d.schools.owning(ticket.uai) or school
        return OutgoingMail("ticket", to.contact_email, subject, body, d.mail.domain)

    ticket, new = await d.store.tickets.submit(
        # The account tools go beside the ticket only for a family's account, never a staff member's.
        user.id, name, account.id if account and account.is_family else None, identifier, context_text, proven,
        NewMessage(kind, text, message.chat_id, message.message_id, language), compose if d.mail else None,
        to_group=to_group, uai=school.uai)
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


async def _context(d: Deps, uid: int, school: School) -> tuple[Account | None, str | None, str, HeldSecrets, bool]:
    """What `school`'s staff need to know without asking: identifier, account state, step, last error, lock.

    Also the hashes of the parent's secrets, read once here, for the check of the message itself. An account
    that is not the school's is shown to its staff as an unknown identifier is: nothing of another school's
    family reaches them.
    """
    store = d.store
    account, identifier, progress, saved = await _writer(d, uid)
    # Another school's family (someone who typed its identifier, then found another school by its name): shown
    # as an identifier that names no account, its account's lock included.
    foreign = account is not None and school not in d.schools.of_account(account)
    if foreign:
        account = None
    if account is not None:
        identifier = account.identifier
    where = (texts.procedure_where(saved.flow) if saved else  # staff read French, whatever the family's
             texts.step_where(progress.step) if progress and progress.step in texts.STEP_NUMBER else None)
    keys = [("user", str(uid))] + ([("account", identifier_key(identifier))] if identifier and not foreign else [])
    lock = await store.attempts.locked_until(*keys)
    lock_until = texts.paris(lock.until) if lock else None
    proof = await _proof(d, uid, account, progress, saved) if account is not None else None
    typed_unknown = account is None and (identifier is not None or foreign)
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


def _header(ticket: Ticket, first: TicketMessage) -> tuple[str, InlineKeyboardMarkup | None]:
    """The ticket's header in the staff group, its first message shown in it (marked with its language)."""
    text = texts.ticket_header(ticket.id, texts.paris(ticket.opened_at), ticket.user_name, ticket.telegram_user_id,
                               ticket.context, ticket.taken_by_name, ticket.closed_by_name,
                               _first_text(first.kind, first.text), first.language)
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
            text, markup = _header(ticket, messages[0])
            await pace()
            header = await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup)
            await store.tickets.record_post(chat_id, header.message_id, ticket.id, header=True)
        return
    message = next((m for m in messages if m.id == post.message_id), None)
    if message is None:
        return
    if ticket.header_message_id is None:
        raise HeaderFirst(f"ticket {ticket.id} has no header in the group yet")
    if not await store.tickets.shows(chat_id, ticket.header_message_id, ticket.id):
        # The header went to a group that is no longer the school's: here, the message stands on its own (a reply
        # to the header's number would hang it under whatever message has that number in this group).
        ticket = replace(ticket, header_message_id=None)
    if message.kind == "text":
        if message.id == messages[0].id and _in_header(message.text):
            return  # shown in the header itself
        for part in _chunks(message.text or ""):
            await _post_text(bot, store, chat_id, pace, ticket,
                             texts.ticket_follow_up(ticket.id, ticket.user_name, part, message.language))
        return
    if message.id == messages[0].id:  # the ticket's first message: its caption is in the header already
        # Its words again, as plain text: a copy without a caption would keep the parent's formatting, a link
        # hidden under innocent words included, posted in the group under the bot's name.
        await _copy_media(bot, store, chat_id, pace, ticket, message, message.text or None)
        return
    caption = texts.ticket_follow_up_caption(ticket.id, ticket.user_name, message.text, message.language)
    if len(caption.encode("utf-16-le")) // 2 <= MAX_CAPTION:  # Telegram counts UTF-16 units
        await _copy_media(bot, store, chat_id, pace, ticket, message, caption)
        return
    # Too long for a caption once named: the media with a short one, the parent's words in full beneath.
    await _copy_media(bot, store, chat_id, pace, ticket, message,
                      texts.ticket_follow_up_caption_below(ticket.id, ticket.user_name, message.language))
    for part in _chunks(message.text or ""):
        await _post_text(bot, store, chat_id, pace, ticket,
                         texts.ticket_follow_up(ticket.id, ticket.user_name, part, message.language))


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
    school = d.schools.owning(ticket.uai) if ticket is not None else None
    # Only the ticket's own school's group answers it: a reply elsewhere (a forged reply_to) is no answer.
    # (staff_only let through staff of this group's school only.)
    if ticket is None or school is None or school.staff.chat_id != message.chat_id:
        return  # a conversation between colleagues, not an answer to a ticket
    if ticket.state == "closed":
        await message.reply_text(texts.REPLY_TO_CLOSED.format(ticket_id=ticket.id))
        return
    kind = "photo" if message.photo else "document" if message.document else "text" if message.text else None
    if kind is None:
        await message.reply_text(texts.REPLY_UNSUPPORTED)
        return
    if await _staff_wrote_a_password(d, ticket, message.text or message.caption or ""):
        await d.store.audit.record(f"staff:{staff.id}", "ticket_reply_refused", ticket.account_id,
                                   f"demande n°{ticket.id}", uai=ticket.uai or None)
        # Never relayed nor stored: whoever wrote the ticket may not be the family (issue: social engineering).
        try:
            await message.delete()
        except TelegramError as exc:  # not an admin of the group: the staff member is told to delete it
            log.info("staff reply with a password not deleted from the group: %s", exc)
        await context.bot.send_message(message.chat_id, texts.REPLY_HOLDS_PASSWORD.format(ticket_id=ticket.id),
                                       parse_mode=ParseMode.HTML)
        return
    # The staff member's words as written; the bot's own around them (and its button) in the family's language.
    with i18n.using(await language.language_of(context, ticket.telegram_user_id)):
        # The parent may be midway through a dialogue: a button lets them answer without leaving it.
        answer = keyboard([(texts.ANSWER_SCHOOL, "helpdesk:write")])
        # Cut before escaping, so that no cut falls inside an HTML entity.
        chunks = [texts.reply_from_school(ticket.id, part) for part in _chunks(message.text or "")]
        caption = texts.reply_caption(ticket.id, message.caption)[:1024]
    try:
        if kind == "text":
            for i, chunk in enumerate(chunks):
                await context.bot.send_message(ticket.telegram_user_id, chunk, parse_mode=ParseMode.HTML,
                                               reply_markup=answer if i == len(chunks) - 1 else None)
        else:
            await context.bot.copy_message(ticket.telegram_user_id, message.chat_id, message.message_id,
                                           caption=caption,
                                           reply_markup=answer)
    except (Forbidden, BadRequest) as exc:
        log.info("answer to ticket %s not delivered: %s", ticket.id, exc)
        await message.reply_text(texts.REPLY_BLOCKED.format(name=escape(ticket.user_name), ticket_id=ticket.id),
                                 parse_mode=ParseMode.HTML)
        return
    await d.store.tickets.add_staff_message(ticket.id, staff.full_name, kind, message.text or message.caption)
    await d.store.audit.record(f"staff:{staff.id}", "ticket_answered", ticket.account_id, f"demande n°{ticket.id}",
                               uai=ticket.uai or None)
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


def reply_handlers(chat_ids: list[int], otherwise: Callable[[Update, Ctx], Coroutine[Any, Any, object]]
                   ) -> list[BaseHandler[Update, Ctx, object]]:
    """A reply in one of these schools' staff groups to a ticket's message is an answer to the family (staff only)."""
    if not chat_ids:
        return []
    replies = filters.Chat(chat_ids) & filters.REPLY & filters.UpdateType.MESSAGE & ~filters.COMMAND
    return [MessageHandler(replies, staff_only(staff_reply, otherwise))]


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
        await _tell_parent(context, taken, texts.ticket_taken_notice)
    return taken


async def _refresh_header(context: Ctx, ticket: Ticket) -> None:
    """The ticket's header, in its school's group, shows the ticket as it is now."""
    d = deps(context)
    school = d.schools.owning(ticket.uai)
    chat_id = school.staff.chat_id if school is not None else None
    # Edited only where it was posted: a school whose group changed since keeps the old header as it was.
    if chat_id is None or ticket.header_message_id is None \
            or not await d.store.tickets.shows(chat_id, ticket.header_message_id, ticket.id):
        return
    first = next(m for m in await d.store.tickets.messages(ticket.id) if m.author == "parent")
    text, markup = _header(ticket, first)
    try:
        await context.bot.edit_message_text(text, chat_id, ticket.header_message_id,
                                            parse_mode=ParseMode.HTML, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            log.warning("header of ticket %s not updated: %s", ticket.id, exc)


async def after_unlock(context: Ctx, account_id: int) -> None:
    """Staff lifted a lock: the account's open tickets show the parent's situation as it is now, each as its own
    school's staff may see it, in its own school's group."""
    d = deps(context)
    for ticket in await d.store.tickets.open_tickets():
        school = d.schools.owning(ticket.uai)
        if ticket.account_id != account_id or school is None:
            continue
        _, _, context_text, _, _ = await _context(d, ticket.telegram_user_id, school)
        updated = await d.store.tickets.set_context(ticket.id, context_text)
        if updated is not None:
            await _refresh_header(context, updated)


async def _tell_parent(context: Ctx, ticket: Ticket, notice: Callable[[int], str]) -> None:
    """A word on the ticket to the family, in its language (this is a staff member's update, not the family's)."""
    with i18n.using(await language.language_of(context, ticket.telegram_user_id)):
        text = notice(ticket.id)
    try:
        await context.bot.send_message(ticket.telegram_user_id, text, parse_mode=ParseMode.HTML)
    except (Forbidden, BadRequest):
        log.info("parent of ticket %s unreachable", ticket.id)


async def _ticket_of_theirs(update: Update, context: Ctx, ticket: Ticket) -> bool:
    """Whether this staff member acts for the ticket's school: pressed in that school's group (whose staff
    staff_only checked), or elsewhere by someone that school lists or counts in its group."""
    school = deps(context).schools.owning(ticket.uai)
    if school is None:
        return False
    chat = update.effective_chat
    if chat is not None and chat.type != "private" and school.staff.chat_id == chat.id:
        return True
    return school in await staff_schools(update, context)


async def ticket_button(update: Update, context: Ctx) -> None:
    """"Je m'en occupe" and "Clore" under a ticket, for staff only (checked by the caller)."""
    query, staff = update.callback_query, update.effective_user
    assert query is not None and staff is not None
    parts = (query.data or "").split(":")
    number = button_id(parts[2]) if len(parts) == 3 else None
    ticket = await deps(context).store.tickets.get(number) if number is not None else None
    # Another school's ticket is answered as an unknown one: its number tells this staff member nothing.
    if ticket is not None and not await _ticket_of_theirs(update, context, ticket):
        ticket = None
    if ticket is None or parts[1] not in ("take", "close"):
        await answer_query(update, texts.STALE_BUTTON)
        return
    await deps(context).store.audit.record(f"staff:{staff.id}", f"ticket_{parts[1]}", ticket.account_id,
                                           f"demande n°{ticket.id}", uai=ticket.uai or None)
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
    await _tell_parent(context, closed, texts.ticket_closed_notice)


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
    grouped = [s.uai for s in d.schools.all if s.staff.chat_id is not None]
    if not grouped:
        return
    # The schools that have a group (with one school, every ticket is its).
    await d.store.tickets.queue_unposted(grouped if d.schools.several else None)
    if await d.store.tickets.retry_posts_now():
        d.wake_staff_poster()


async def purge_tickets(context: Ctx, retention: timedelta) -> None:
    store = deps(context).store
    before = store.clock.now() - retention
    purged = await store.tickets.purge_closed(before)
    sent = await store.outbox.purge_sent(before)
    log.info("purge: %d closed ticket(s) and %d sent mail(s) older than %d days", purged, sent, retention.days)
