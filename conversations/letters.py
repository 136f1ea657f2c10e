"""Letters with a QR code: making them (CLI and /lettre), and `/start <token>` when a family scans one."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from html import escape

from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.ext import ContextTypes

from conversations import activation, staff, texts
from conversations.common import (
    School,
    answer_query,
    deps,
    edit_or_send,
    keyboard,
    pressed,
    send,
    user_id,
    write_to_school,
)
from i18n import SOURCE
from render.letter_page import Letter, Letterhead, render
from storage.accounts import Account
from storage.letters import NewLetter, new_token
from storage.store import Store

log = logging.getLogger(__name__)
Ctx = ContextTypes.DEFAULT_TYPE
# What Telegram lets through as a `start` payload; anything else cannot come from one of our letters.
PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={token}"


@dataclass(frozen=True)
class Batch:
    """Letters made but not yet valid: the PDF, and the tokens to record once it is safely written."""

    pdf: bytes
    tokens: list[NewLetter]
    links: list[tuple[Account, str]]


async def prepare(head: Letterhead, bot_username: str, families: list[tuple[Account, str]],
                  languages: Mapping[int, str] | None = None) -> Batch:
    """One letter per (account, provisional password in clear), bilingual for an account whose id `languages` maps to
    another language than French; the PDF is rendered off the event loop."""
    letters, tokens, links = [], [], []
    for account, provisional in families:
        assert account.provisional_hash is not None
        token = new_token()
        url = link(bot_username, token)
        letters.append(Letter(identifier=account.identifier, provisional=provisional, link=url,
                              name=" ".join(p for p in (account.first_name, account.last_name) if p) or None,
                              class_name=account.class_name, language=(languages or {}).get(account.id, SOURCE)))
        tokens.append(NewLetter(account.id, account.provisional_hash, token))
        links.append((account, url))
    pdf = await asyncio.to_thread(render, head, letters)
    return Batch(pdf, tokens, links)


def letterhead(store: Store, school: str, contact_email: str, ent_url: str, validity_days: int,
               postal_address: str | None = None) -> Letterhead:
    today = store.clock.now().astimezone(texts.PARIS).date()
    return Letterhead(school, contact_email, ent_url, today, today + timedelta(days=validity_days), postal_address)


def school_letterhead(store: Store, school: School, validity_days: int) -> Letterhead:
    """The letterhead of one school of the deployment: its name, postal address and contact."""
    return letterhead(store, school.name, school.contact_email, school.ent_url, validity_days, school.postal_address)


# -- /start <token>: a family scanned its letter -------------------------------------------------------


async def start_with_letter(update: Update, context: Ctx) -> object:
    """A valid letter opens the activation at the CGU, as a proven provisional password would."""
    d = deps(context)
    uid = user_id(update)
    payload = (context.args or [""])[0]
    keys: activation.AttemptKeys = (("user", str(uid)),)
    if await activation.tell_if_locked(update, context, keys):
        return None
    redeemed = await d.store.letters.redeem(payload) if PAYLOAD.match(payload) else None
    account = await d.store.accounts.get(redeemed.account_id) if redeemed and redeemed.account_id else None
    if redeemed is not None and redeemed.status == "used" and account is not None:
        progress = await d.store.progress.get(uid)
        if progress is not None and progress.account_id == account.id:  # the same family scanning again
            return await activation.resume_from_menu(update, context)
    valid = (redeemed is not None and redeemed.status == "ok" and account is not None
             and account.state in ("pending", "reset") and account.provisional_hash == redeemed.provisional_hash)
    if not valid:
        lock = await d.store.attempts.failure(*keys, actor=f"telegram:{uid}", account_id=account.id if account else None,
                                              event="letter_failed")
        if lock is not None:
            await activation.tell_locked(update, context, lock)
        else:
            await send(update, context, texts.LETTER_INVALID,
                       keyboard([(texts.MENU_ACTIVATE, "menu:activate")], write_to_school()))
        return None
    assert account is not None
    await d.store.attempts.success(*keys)
    await d.store.writing.stop(uid)
    await d.store.recovery.forget(uid)
    # The same saved state as after a proven provisional password: the rest of the activation is unchanged.
    await d.store.progress.start(uid, activation.CGU)
    await d.store.progress.update(uid, account_id=account.id, provisional_hash=account.provisional_hash,
                                  identifier=account.identifier, proven_at=d.store.clock.now(), last_error=None)
    # The letter's school is the family's from now on: the help desk never asks it which (LetterTokens.school_scanned).
    await d.store.audit.record(f"telegram:{uid}", "identified", account.id, "par la lettre à QR code",
                               uai=redeemed.uai if redeemed is not None else None)
    return await activation.show(update, context, activation.CGU, note=texts.letter_welcome(account.display_name),
                                 new_message=True)


# -- /lettre: a new letter for one family, which is a reset of a pending account ------------------------


async def letter_command(update: Update, context: Ctx) -> None:
    found = await staff._account_from_args(update, context, "lettre")
    if found is None:
        return
    account, school = found
    await deps(context).store.audit.record(f"staff:{user_id(update)}", "letter_asked", account.id, uai=school.uai)
    if account.state == "active":
        await send(update, context, texts.letter_refused_active(account.identifier))
        return
    await send(update, context, texts.confirm_letter(account.identifier, account.display_name, account.state),
               keyboard([(texts.LETTER_BUTTON, f"letter:ok:{account.id}:{account.revision}:{school.uai}")],
                        [(texts.CANCEL_BUTTON, "letter:cancel")]))


# SQLite's integers at most; the school the letter is for (none on the buttons of before many schools).
BUTTON = re.compile(r"^letter:(?:(cancel)|ok:([0-9]{1,18}):([0-9]{1,18})(?::([0-9]{7}[A-Z]))?)$")


async def letter_button(update: Update, context: Ctx) -> None:
    match = await pressed(update, BUTTON)
    if match is None:
        return
    cancel, raw_id, raw_revision, uai = match.groups()
    if cancel:
        await answer_query(update)
        await edit_or_send(update, context, texts.LETTER_CANCELLED)
        return
    account = await deps(context).store.accounts.get(int(raw_id))
    # Another school's account (a forged button's id) is, to them, an unknown one.
    school = await staff.school_of(update, context, account, uai) if account is not None else None
    if school is None:
        await answer_query(update, texts.STALE_BUTTON)
        return
    alert = await _new_letter(update, context, int(raw_id), int(raw_revision), school)
    await answer_query(update, alert, alert=alert is not None)


async def _new_letter(update: Update, context: Ctx, account_id: int, revision: int, school: School) -> str | None:
    """Resets the pending account as the staff member saw it, and sends them the letter privately."""
    d = deps(context)
    member, chat = update.effective_user, update.effective_chat
    assert member is not None and chat is not None
    account = await d.store.accounts.get(account_id)
    if account is None or account.revision != revision or account.state == "active":
        await edit_or_send(update, context, texts.RESET_RACE.format(identifier=escape(account.identifier if account else "")))
        return None
    refusal = staff.not_resettable(account)
    if refusal is not None:
        await edit_or_send(update, context, refusal)
        return None
    private = chat.id == member.id
    # The letter holds a password: it goes to the staff member alone, or nothing changes.
    if not private and not await staff.reaches_privately(context, member.id, ChatAction.UPLOAD_DOCUMENT):
        return texts.OPEN_PRIVATE_CHAT
    actor = f"staff:{member.id}"
    password = await d.store.reset(account, revision, actor, uai=school.uai)
    fresh = await d.store.accounts.get(account_id)
    if password is None or fresh is None:
        await edit_or_send(update, context, texts.RESET_RACE.format(identifier=escape(account.identifier)))
        return None
    head = school_letterhead(d.store, school, d.letter_validity_days)
    batch = await prepare(head, context.bot.username, [(fresh, password)])
    await d.store.letters.issue(batch.tokens, timedelta(days=d.letter_validity_days), actor, school.uai)
    await edit_or_send(update, context, texts.letter_done(account.identifier, member.first_name, private))
    sent = await context.bot.send_document(
        member.id, InputFile(batch.pdf, filename=texts.LETTER_FILE_NAME.format(identifier=account.identifier)),
        caption=texts.letter_caption(account.identifier, account.display_name), parse_mode="HTML",
        reply_markup=staff.ERASE_KEYBOARD)
    await staff.erase_later(context, sent)
    await staff._tell_families(context, account)
    return None
