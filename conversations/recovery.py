"""Forgotten password and login test: the "Mot de passe oublié ?" link of step 8, and a check of the pair."""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Callable, Coroutine
from datetime import timedelta
from html import escape
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, ContextTypes, ConversationHandler, MessageHandler, filters

from conversations import form_button, texts
from conversations.activation import CODE_TRIES, CODE_VALIDITY, AttemptKeys, account_keys, tell_if_locked, tell_locked
from conversations.common import (
    answer_query,
    delete_secret,
    deps,
    drop_keyboard,
    edit_or_send,
    family_schools,
    kept_identifier,
    keyboard,
    refused_identifier,
    refused_text,
    send,
    user_id,
    write_to_school,
)
from conversations.password_rules import kinds, missing
from storage.accounts import identifier_key
from storage.db import from_text
from storage.outbox import CodeCapReached, OutgoingMail
from storage.recovery import Recovery
from storage.secrets import hash_secret, normalise_answer, verify_secret

Ctx = ContextTypes.DEFAULT_TYPE
END = ConversationHandler.END

FORGOT_IDENTIFIER, FORGOT_ANSWER1, FORGOT_ANSWER2 = "forgot_identifier", "forgot_answer1", "forgot_answer2"
FORGOT_PASSWORD, FORGOT_CONFIRM = "forgot_password", "forgot_confirm"
FORGOT_CODE = "forgot_code"  # an account with a confirmed address and no questions: a code by mail
LOGIN_IDENTIFIER, LOGIN_PASSWORD = "login_identifier", "login_password"

IDENTIFIER_STEPS = {FORGOT_IDENTIFIER, LOGIN_IDENTIFIER}
SECRET_STEPS = {FORGOT_ANSWER1, FORGOT_ANSWER2, FORGOT_PASSWORD, FORGOT_CONFIRM, LOGIN_PASSWORD, FORGOT_CODE}
FORM_STEPS = SECRET_STEPS  # each offers the secure form (conversations/form.py describes their pages)
MAX_LENGTH = {FORGOT_ANSWER1: 100, FORGOT_ANSWER2: 100, FORGOT_CODE: 32,
              FORGOT_PASSWORD: 128, FORGOT_CONFIRM: 128, LOGIN_PASSWORD: 128}
# Time to choose the new password once both answers matched.
CHOOSE_WITHIN = timedelta(minutes=15)
TYPED = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
OTHER = filters.UpdateType.MESSAGE & ~filters.COMMAND

StepFn = Callable[[Update, Ctx, Recovery], Coroutine[Any, Any, object]]
Handler = Callable[[Update, Ctx], Coroutine[Any, Any, object]]


def _text(update: Update) -> str:
    message = update.effective_message
    return message.text or "" if message else ""


def _keys(recovery: Recovery) -> AttemptKeys:
    """The same counters as the activation's: one budget of guesses per person and per account."""
    return ("user", str(recovery.telegram_user_id)), ("account", identifier_key(recovery.identifier or ""))


def rstep(state: str) -> Callable[[StepFn], Handler]:
    """Loads the saved dialogue, deletes a secret first, and refuses what does not fit the step."""

    def decorate(fn: StepFn) -> Handler:
        @functools.wraps(fn)
        async def wrapper(update: Update, context: Ctx) -> object:
            store = deps(context).store
            if state in SECRET_STEPS or state in IDENTIFIER_STEPS:  # an identifier may be a password typed early
                await delete_secret(update, context)
            recovery = await store.recovery.get(user_id(update))
            if recovery is None or recovery.step != state:
                await send(update, context, texts.NO_FLOW)
                return END
            refused = (await refused_identifier(update, context, _text(update)) if state in IDENTIFIER_STEPS
                       else await refused_text(update, context, _text(update), MAX_LENGTH[state]))
            if refused:
                return None
            if recovery.account_id is not None:
                account = await store.accounts.get(recovery.account_id)
                if account is None or account.revision != recovery.revision:
                    await store.recovery.forget(recovery.telegram_user_id)
                    await send(update, context, texts.ACCOUNT_CHANGED_MEANWHILE)
                    return END
            return await fn(update, context, recovery)

        return wrapper

    return decorate


async def show(update: Update, context: Ctx, text: str, markup: Any = None, note: str | None = None) -> None:
    """A new prompt, the previous one losing its buttons; its id saved to tell stale buttons."""
    store = deps(context).store
    uid = user_id(update)
    recovery = await store.recovery.get(uid)
    if recovery is not None:
        await drop_keyboard(context, uid, recovery.prompt_message_id)
    text = f"{note}\n\n{text}" if note else text
    if recovery is not None and recovery.step in FORM_STEPS and update.effective_chat is not None:
        text, markup = await form_button.offer(context, update.effective_chat.id, uid, recovery.step, text, markup)
    message = await send(update, context, text, markup)
    if message is not None:
        await store.recovery.update(uid, prompt_message_id=message.message_id)


def _cancel_row() -> list[tuple[str, str]]:
    return [(texts.BACK, "recovery:cancel")]


# -- forgotten password -------------------------------------------------------------------------------


async def _begin(update: Update, context: Ctx, flow: str, first_step: str, prompt: str) -> object:
    await answer_query(update)
    await deps(context).store.recovery.start(user_id(update), flow, first_step)
    await show(update, context, prompt, keyboard(_cancel_row()))
    return first_step


async def start_forgot(update: Update, context: Ctx) -> object:
    return await _begin(update, context, "forgot", FORGOT_IDENTIFIER, texts.FORGOT_IDENTIFIER)


@rstep(FORGOT_IDENTIFIER)
async def forgot_identifier(update: Update, context: Ctx, recovery: Recovery) -> object:
    store = deps(context).store
    kept, account = await kept_identifier(context, _text(update))
    recovery = await store.recovery.update(recovery.telegram_user_id, identifier=kept) or recovery
    uid = recovery.telegram_user_id
    if await tell_if_locked(update, context, (("user", str(uid)),)):
        return FORGOT_IDENTIFIER
    credentials = await store.accounts.credentials(account.id) if account is not None else None
    # The confirmed address is the way back, as in the guide: a code by mail instead of the questions.
    by_code = bool(account is not None and credentials is not None and not credentials.question1 and account.email
                   and deps(context).mail is not None)
    # The account's own lock (reached by an alias or another spelling too) holds the questions back, not a
    # code sent to the family's own mailbox: strangers failing on the identifier must not keep the family out.
    if account is not None and not by_code and await tell_if_locked(update, context, account_keys(uid, kept, account)):
        return FORGOT_IDENTIFIER
    if account is None or credentials is None or not (by_code or (credentials.question1 and credentials.question2)):
        # Telling an activated account from any other is worth a guess: it counts against this user
        # (not against the account, which a stranger could otherwise lock by typing its identifier).
        if await _probe_failed(update, context, uid, "forgot_identifier_failed"):
            return END
        await show(update, context, texts.NOT_ACTIVE_OR_UNKNOWN,
                   keyboard([(texts.MENU_ACTIVATE, "menu:activate")], [(texts.MENU_RESET, "menu:reset")],
                            _cancel_row()))
        return FORGOT_IDENTIFIER
    if not await store.attempts.may_look_up(uid, identifier_key(account.identifier)):
        # A family has a few accounts; one person looking up many is listing the school's.
        if await _probe_failed(update, context, uid, "forgot_probe_failed", account.id):
            return END
        await show(update, context, texts.TOO_MANY_IDENTIFIERS, keyboard(write_to_school(), _cancel_row()))
        return FORGOT_IDENTIFIER
    if by_code:
        assert account is not None and account.email is not None
        return await _send_code(update, context, recovery, account.id, account.revision, account.identifier,
                                account.email)
    assert credentials is not None and credentials.question1 is not None  # not by code: both questions were chosen
    await store.recovery.update(recovery.telegram_user_id, step=FORGOT_ANSWER1, account_id=account.id,
                                revision=account.revision, identifier=account.identifier)
    await show(update, context, texts.forgot_answer(1, credentials.question1, account.identifier), keyboard(_cancel_row()))
    return FORGOT_ANSWER1


async def _probe_failed(update: Update, context: Ctx, uid: int, event: str, account_id: int | None = None) -> bool:
    """Counts a failed look-up against this Telegram user; True (the lock told, the dialogue ended) if it locks."""
    lock = await deps(context).store.attempts.failure(("user", str(uid)), actor=f"telegram:{uid}",
                                                      account_id=account_id, event=event)
    if lock is None:
        return False
    await tell_locked(update, context, lock)
    await _end_locked(update, context)
    return True


async def _questions(context: Ctx, recovery: Recovery) -> tuple[int, str | None, int, str | None]:
    assert recovery.account_id is not None
    credentials = await deps(context).store.accounts.credentials(recovery.account_id)
    assert credentials is not None and credentials.question1 and credentials.question2
    return credentials.question1, credentials.answer1_hash, credentials.question2, credentials.answer2_hash


@rstep(FORGOT_ANSWER1)
async def forgot_answer1(update: Update, context: Ctx, recovery: Recovery) -> object:
    _, answer1_hash, question2, _ = await _questions(context, recovery)
    ok = await verify_secret(answer1_hash, normalise_answer(_text(update)))
    # Whether it matched is told to nobody until both answers are in.
    await deps(context).store.recovery.update(recovery.telegram_user_id, step=FORGOT_ANSWER2, answer1_ok=int(ok))
    await show(update, context, texts.forgot_answer(2, question2, recovery.identifier or ""), keyboard(_cancel_row()))
    return FORGOT_ANSWER2


@rstep(FORGOT_ANSWER2)
async def forgot_answer2(update: Update, context: Ctx, recovery: Recovery) -> object:
    d = deps(context)
    uid = recovery.telegram_user_id
    question1, _, _, answer2_hash = await _questions(context, recovery)
    keys = _keys(recovery)
    if await tell_if_locked(update, context, keys):
        await _end_locked(update, context)
        return END
    ok = await verify_secret(answer2_hash, normalise_answer(_text(update)))
    if not (ok and recovery.answer1_ok):
        lock = await d.store.attempts.failure(*keys, actor=f"telegram:{uid}", account_id=recovery.account_id,
                                              event="answers_failed")
        if lock is not None:
            await tell_locked(update, context, lock)
            await _end_locked(update, context)
            return END
        await d.store.recovery.update(uid, step=FORGOT_ANSWER1, answer1_ok=None)
        await show(update, context, texts.forgot_answer(1, question1, recovery.identifier or ""),
                   keyboard(_cancel_row()), note=texts.ANSWERS_WRONG)
        return FORGOT_ANSWER1
    await d.store.attempts.success(*keys)
    await d.store.audit.record(f"telegram:{uid}", "answers_verified", recovery.account_id)
    await d.store.recovery.update(uid, step=FORGOT_PASSWORD, verified_at=d.store.clock.now())
    await show(update, context, _password_text(context), keyboard(_cancel_row()))
    return FORGOT_PASSWORD


async def _send_code(update: Update, context: Ctx, recovery: Recovery, account_id: int, revision: int,
                     identifier: str, address: str) -> object:
    """A 6-digit code, hashed, its mail queued with it; the parent types it here instead of answering questions."""
    d = deps(context)
    assert d.mail is not None
    code = f"{secrets.randbelow(10**6):06d}"
    expires = d.store.clock.now() + CODE_VALIDITY
    account = await d.store.accounts.get(account_id)
    school = (await family_schools(context, recovery.telegram_user_id, account) or d.schools.all)[0]
    subject, body = texts.forgot_code_mail(school.name, code, int(CODE_VALIDITY.total_seconds() // 60))
    mail = OutgoingMail("email_code", address, subject, body, d.mail.domain, recovery.telegram_user_id)
    try:
        # Checked before hashing too: a refused code costs no Argon2 work (and nothing is queued).
        if not await d.store.outbox.may_send_code(recovery.telegram_user_id, account_id):
            raise CodeCapReached()
        await d.store.recovery.new_code(recovery.telegram_user_id, await hash_secret(code), expires, mail,
                                        step=FORGOT_CODE, account_id=account_id, revision=revision,
                                        identifier=identifier)
    except CodeCapReached:
        await _end_locked(update, context)
        await send(update, context, texts.FORGOT_CODE_CAPPED, keyboard(write_to_school()))
        return END
    d.wake_mailer()
    await show(update, context, texts.forgot_code(identifier, masked(address)), keyboard(_cancel_row()))
    return FORGOT_CODE


def masked(address: str) -> str:
    """j•••@exemple.fr: enough for the parent to recognise it, not enough to learn it from an identifier."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}"


@rstep(FORGOT_CODE)
async def forgot_code(update: Update, context: Ctx, recovery: Recovery) -> object:
    d = deps(context)
    uid = recovery.telegram_user_id
    keys = _keys(recovery)
    # Only this user's own lock: the code proves the family's mailbox, whatever strangers did to the account.
    if await tell_if_locked(update, context, keys[:1]):
        await _end_locked(update, context)
        return END
    expired = recovery.code_expires_at is None or from_text(recovery.code_expires_at) <= d.store.clock.now()
    if recovery.code_hash is None or expired or recovery.code_tries >= CODE_TRIES:
        await d.store.recovery.forget(uid)
        await drop_keyboard(context, uid, recovery.prompt_message_id)
        await send(update, context, texts.FORGOT_CODE_SPENT)
        return END
    typed = re.sub(r"\s", "", _text(update))
    if not typed.isdigit() or not await verify_secret(recovery.code_hash, typed):
        lock = await d.store.attempts.failure(*keys, actor=f"telegram:{uid}", account_id=recovery.account_id,
                                              event="code_failed")
        if lock is not None:
            await tell_locked(update, context, lock)
            await _end_locked(update, context)
            return END
        saved = await d.store.recovery.update(uid, code_tries=recovery.code_tries + 1)
        await send(update, context, texts.email_code_wrong(CODE_TRIES - (saved.code_tries if saved else CODE_TRIES)))
        return None
    await d.store.attempts.success(*keys)
    await d.store.audit.record(f"telegram:{uid}", "code_verified", recovery.account_id)
    await d.store.recovery.update(uid, step=FORGOT_PASSWORD, verified_at=d.store.clock.now(), code_hash=None,
                                  code_expires_at=None)
    await show(update, context, _password_text(context, after_code=True), keyboard(_cancel_row()))
    return FORGOT_PASSWORD


def _password_text(context: Ctx, after_code: bool = False) -> str:
    rule = deps(context).password_rule
    return texts.forgot_password(rule.min_length, rule.min_kinds, after_code)


def _too_late(context: Ctx, recovery: Recovery) -> bool:
    return (recovery.verified_at is None
            or deps(context).store.clock.now() - from_text(recovery.verified_at) > CHOOSE_WITHIN)


@rstep(FORGOT_PASSWORD)
async def forgot_password(update: Update, context: Ctx, recovery: Recovery) -> object:
    store = deps(context).store
    if _too_late(context, recovery):
        await store.recovery.forget(recovery.telegram_user_id)
        await send(update, context, texts.FORGOT_TOO_LATE)
        return END
    password = _text(update)
    rule = deps(context).password_rule
    problems = missing(password, recovery.identifier or "", rule)
    assert recovery.account_id is not None
    # No "different from your current password" rule: it would tell whoever got this far whether a guess
    # is the current password, which the family may use elsewhere too. Keeping the same one harms nobody.
    if not problems:
        account = await store.accounts.get(recovery.account_id)
        if account is not None and await verify_secret(account.provisional_hash, password):
            problems = ["provisional"]
    if problems:
        await send(update, context, texts.password_rejected(problems, len(password), kinds(password), rule.min_length,
                                                            rule.min_kinds))
        return None
    await store.recovery.update(recovery.telegram_user_id, step=FORGOT_CONFIRM,
                                password_hash=await hash_secret(password))
    await show(update, context, texts.FORGOT_CONFIRM, keyboard(_cancel_row()))
    return FORGOT_CONFIRM


@rstep(FORGOT_CONFIRM)
async def forgot_confirm(update: Update, context: Ctx, recovery: Recovery) -> object:
    d = deps(context)
    uid = recovery.telegram_user_id
    if _too_late(context, recovery):
        await d.store.recovery.forget(uid)
        await send(update, context, texts.FORGOT_TOO_LATE)
        return END
    if not await verify_secret(recovery.password_hash, _text(update)):
        await d.store.recovery.update(uid, step=FORGOT_PASSWORD, password_hash=None)
        await show(update, context, _password_text(context), keyboard(_cancel_row()), note=texts.PASSWORD_MISMATCH)
        return FORGOT_PASSWORD
    assert recovery.account_id is not None and recovery.revision is not None and recovery.password_hash
    changed = await d.store.accounts.set_password(recovery.account_id, recovery.revision, recovery.password_hash,
                                                  f"telegram:{uid}", password=_text(update))
    await drop_keyboard(context, uid, recovery.prompt_message_id)
    await d.store.recovery.forget(uid)
    if not changed:
        await send(update, context, texts.ACCOUNT_CHANGED_MEANWHILE)
        return END
    await send(update, context, texts.PASSWORD_CHANGED.format(identifier=escape(recovery.identifier or "")),
               keyboard([(texts.OPEN_ENT, d.schools.first.ent_url)], [(texts.MENU_TEST, "menu:test")]))
    return END


# -- login test -----------------------------------------------------------------------------------------


async def start_login_test(update: Update, context: Ctx) -> object:
    return await _begin(update, context, "login", LOGIN_IDENTIFIER, texts.LOGIN_IDENTIFIER)


@rstep(LOGIN_IDENTIFIER)
async def login_identifier(update: Update, context: Ctx, recovery: Recovery) -> object:
    kept, _ = await kept_identifier(context, _text(update))
    await deps(context).store.recovery.update(recovery.telegram_user_id, step=LOGIN_PASSWORD, identifier=kept)
    await show(update, context, texts.login_password(), keyboard(_cancel_row()))
    return LOGIN_PASSWORD


@rstep(LOGIN_PASSWORD)
async def login_password(update: Update, context: Ctx, recovery: Recovery) -> object:
    d = deps(context)
    uid = recovery.telegram_user_id
    keys = _keys(recovery)
    if await tell_if_locked(update, context, keys):
        await _end_locked(update, context)
        return END
    account = await d.store.accounts.find(recovery.identifier or "")
    keys = account_keys(uid, recovery.identifier, account)  # the account's real login, whatever was typed
    # One guess at a time on this account, from its lock check to its failure counted (storage/attempts.py):
    # with the ENT's LDAP, each is a bind that the directory's own lockout counts against the family.
    async with d.store.attempts.turn(*keys):
        if account is not None and await tell_if_locked(update, context, keys):
            await _end_locked(update, context)
            return END
        ok = await d.store.accounts.check_password(account, _text(update))
        lock = None if ok else await d.store.attempts.failure(
            *keys, actor=f"telegram:{uid}", account_id=account.id if account else None, event="login_failed")
    if not ok:
        if lock is not None:
            await tell_locked(update, context, lock)
            await _end_locked(update, context)
            return END
        await d.store.recovery.update(uid, step=LOGIN_IDENTIFIER, identifier=None)
        await show(update, context, texts.LOGIN_IDENTIFIER, keyboard(_cancel_row()), note=texts.LOGIN_WRONG)
        return LOGIN_IDENTIFIER
    await d.store.attempts.success(*keys)
    await d.store.audit.record(f"telegram:{uid}", "login_ok", account.id if account else None)
    await drop_keyboard(context, uid, recovery.prompt_message_id)
    await d.store.recovery.forget(uid)
    await send(update, context, texts.LOGIN_OK, keyboard([(texts.OPEN_ENT, d.schools.first.ent_url)]))
    return END


# -- shared ------------------------------------------------------------------------------------------------


async def _end_locked(update: Update, context: Ctx) -> None:
    """The lock was told (with the school's address); the dialogue ends, to be started again later."""
    uid = user_id(update)
    store = deps(context).store
    recovery = await store.recovery.get(uid)
    if recovery is not None:
        await drop_keyboard(context, uid, recovery.prompt_message_id)
    await store.recovery.forget(uid)


def expect(state: str) -> Handler:
    async def wrong_input(update: Update, context: Ctx) -> object:
        if state in SECRET_STEPS:
            await delete_secret(update, context)
        await send(update, context, texts.expects_recovery(state))
        return None

    return wrong_input


async def cancel(update: Update, context: Ctx) -> None:
    """Abandons the dialogue: nothing was changed, the account is as it was."""
    store = deps(context).store
    recovery = await store.recovery.get(user_id(update))
    if recovery is not None:
        await drop_keyboard(context, recovery.telegram_user_id, recovery.prompt_message_id)
        await store.recovery.forget(recovery.telegram_user_id)
    await edit_or_send(update, context, texts.FLOW_CANCELLED)


def where(recovery: Recovery) -> str:
    return texts.WHERE_FORGOT if recovery.flow == "forgot" else texts.WHERE_LOGIN


def _text_state(state: str, fn: Handler) -> list[BaseHandler[Update, Ctx, object]]:
    return [MessageHandler(TYPED, fn), MessageHandler(OTHER, expect(state))]


STATES: dict[object, list[BaseHandler[Update, Ctx, object]]] = {
    FORGOT_IDENTIFIER: _text_state(FORGOT_IDENTIFIER, forgot_identifier),
    FORGOT_ANSWER1: _text_state(FORGOT_ANSWER1, forgot_answer1),
    FORGOT_ANSWER2: _text_state(FORGOT_ANSWER2, forgot_answer2),
    FORGOT_CODE: _text_state(FORGOT_CODE, forgot_code),
    FORGOT_PASSWORD: _text_state(FORGOT_PASSWORD, forgot_password),
    FORGOT_CONFIRM: _text_state(FORGOT_CONFIRM, forgot_confirm),
    LOGIN_IDENTIFIER: _text_state(LOGIN_IDENTIFIER, login_identifier),
    LOGIN_PASSWORD: _text_state(LOGIN_PASSWORD, login_password),
}
