"""The parent's activation of the ENT account, steps 1 to 7 of the school's guide, saved at each step."""

from __future__ import annotations

import functools
import math
import re
import secrets
from collections.abc import Callable, Coroutine
from datetime import timedelta
from html import escape
from typing import Any

from email_validator import EmailNotValidError, validate_email
from telegram import Message, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from conversations import form_button, texts
from conversations.common import (
    NOT_HANDLED,
    Deps,
    Keyboard,
    School,
    answer_query,
    contact_of,
    delete_secret,
    deps,
    drop_keyboard,
    edit_or_send,
    family_schools,
    hand_over,
    kept_identifier,
    keyboard,
    next_screen,
    patiently,
    refused_identifier,
    refused_text,
    send,
    take_dialogue,
    user_id,
    write_to_school,
)
from conversations.password_rules import DEFAULT_RULE, PasswordRule, kinds, missing
from storage.accounts import Account, Activation, identifier_key
from storage.attempts import Lock
from storage.db import from_text
from storage.outbox import CodeCapReached, OutgoingMail
from storage.progress import Progress
from storage.secrets import hash_secret, normalise_answer, verify_secret

Ctx = ContextTypes.DEFAULT_TYPE

# The states are the saved steps, so that a restart resumes exactly where the parent was.
PROFILE, IDENTIFIER, PROVISIONAL, CGU = "profile", "identifier", "provisional", "cgu"
EMAIL, EMAIL_CONFIRM, EMAIL_CODE = "email", "email_confirm", "email_code"
QUESTION1, ANSWER1, QUESTION2, ANSWER2 = "question1", "answer1", "question2", "answer2"
PASSWORD, PASSWORD_CONFIRM = "password", "password_confirm"
REAUTH = "reauth"
END = ConversationHandler.END

REAUTH_AFTER = timedelta(minutes=30)
CODE_VALIDITY = timedelta(minutes=15)
CODE_TRIES = 3
MAX_CODES = 3  # codes sent per activation: beyond, the step is skipped or the address changed
STUCK_AFTER = 3  # failures in a row at one step before the help desk is offered
# An edited message is not a new answer: only fresh messages move the conversation.
TYPED = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
OTHER = filters.UpdateType.MESSAGE & ~filters.COMMAND
SECRET_STEPS = {PROVISIONAL, ANSWER1, ANSWER2, PASSWORD, PASSWORD_CONFIRM, REAUTH, EMAIL_CODE}
# What is deleted as soon as read: the secrets, and the identifier, which may be a password typed in the wrong
# box; deleting it every time says nothing of whether it exists.
ERASED_ON_READ = SECRET_STEPS | {IDENTIFIER}
# Text typed while a question is to be chosen is most likely its answer: a secret too.
DELETE_TYPED = SECRET_STEPS | {QUESTION1, QUESTION2}
# The steps whose prompt offers the secure form (conversations/form.py describes their pages).
FORM_STEPS = {PROVISIONAL, REAUTH, ANSWER1, ANSWER2, PASSWORD, PASSWORD_CONFIRM, EMAIL_CODE}
# The identifier has its own rule (storage.accounts.is_identifier), its length included.
MAX_LENGTH = {PROVISIONAL: 128, EMAIL: 254, EMAIL_CONFIRM: 254, EMAIL_CODE: 32, ANSWER1: 100, ANSWER2: 100,
              PASSWORD: 128, PASSWORD_CONFIRM: 128, REAUTH: 128}
# Where "↩ Retour" leads from each step.
BACK_TO = {IDENTIFIER: PROFILE, PROVISIONAL: IDENTIFIER, EMAIL: CGU, EMAIL_CONFIRM: EMAIL, EMAIL_CODE: EMAIL,
           QUESTION1: EMAIL,
           ANSWER1: QUESTION1, QUESTION2: QUESTION1, ANSWER2: QUESTION2, PASSWORD: QUESTION2,
           PASSWORD_CONFIRM: PASSWORD}
# What going back to a step forgets, so that nothing chosen after it survives.
FORGET_ON_RETURN: dict[str, tuple[str, ...]] = {
    IDENTIFIER: ("identifier",),
    EMAIL: ("question1", "answer1_hash", "question2", "answer2_hash", "email_code_hash", "email_code_expires_at"),
    QUESTION1: ("question1", "answer1_hash", "question2", "answer2_hash"),
    QUESTION2: ("question2", "answer2_hash"),
    PASSWORD: ("password_hash",),
}


# -- what each step shows ------------------------------------------------------------------------


QUESTIONS_PER_PAGE = 8


def _questions(prefix: str, exclude: int | None, page: int) -> list[list[tuple[str, str]]]:
    """Each question its own button, full text, one per row; eight at a time, the others a page away."""
    choices = [i for i in range(1, texts.QUESTION_COUNT + 1) if i != exclude]
    pages = [choices[i:i + QUESTIONS_PER_PAGE] for i in range(0, len(choices), QUESTIONS_PER_PAGE)]
    page = min(page, len(pages) - 1)
    rows = [[(texts.question_button(i), f"{prefix}:{i:02d}")] for i in pages[page]]
    if len(pages) > 1:
        other = (page + 1) % len(pages)
        rows.append([(texts.MORE_QUESTIONS if other > page else texts.FIRST_QUESTIONS, f"{prefix}:p{other + 1}")])
    return rows


def screen(step: str, p: Progress, page: int = 0, rule: PasswordRule = DEFAULT_RULE,
           school: School | None = None) -> tuple[str, Keyboard]:
    school = school or School("", "", "")
    back = [(texts.BACK, f"{step}:back")]
    if p.error_count >= STUCK_AFTER:  # the same step failed again and again: the school can help
        back = [*write_to_school(), *back]
    if step == PROFILE:
        return texts.PROFILE, keyboard([(texts.PROFILE_PARENT, "profile:parent")],
                                       [(texts.PROFILE_STAFF, "profile:staff")],
                                       [(texts.PROFILE_OTHER, "profile:other")])
    if step == IDENTIFIER:
        # No "Retour" to the profile question: /annuler leaves, and a prompt without buttons needs no call to
        # clear them when the identifier comes (the stuck parent's "Écrire au collège" still shows).
        return texts.IDENTIFIER, keyboard(write_to_school()) if p.error_count >= STUCK_AFTER else None
    if step == PROVISIONAL:
        return texts.provisional(), keyboard(back)
    if step == CGU:
        link = [[(texts.CGU_FULL_TEXT, school.cgu_url)]] if school.cgu_url else []
        return texts.cgu_step(school.cgu.text, bool(school.cgu_url)), keyboard(
            *link, [(texts.CGU_ACCEPT, "cgu:accept")], [(texts.CGU_REFUSE, "cgu:refuse")])
    if step == EMAIL:
        return texts.EMAIL, keyboard([(texts.EMAIL_SKIP, "email:skip")], back)
    if step == EMAIL_CONFIRM:
        return texts.email_confirm(p.email or ""), keyboard(back)
    if step == EMAIL_CODE:
        rows = [[(texts.EMAIL_CODE_RESEND, "email_code:resend")]] if p.email_codes_sent < MAX_CODES else []
        return texts.email_code(p.email or ""), keyboard(*rows, [(texts.EMAIL_SKIP, "email_code:skip")], back)
    if step == QUESTION1:
        return texts.question_prompt(1, bool(p.email)), keyboard(*_questions("q1", None, page), back)
    if step == ANSWER1:
        return texts.answer_prompt(1, p.question1 or 1), keyboard(back)
    if step == QUESTION2:
        return texts.question_prompt(2, bool(p.email)), keyboard(*_questions("q2", p.question1, page), back)
    if step == ANSWER2:
        return texts.answer_prompt(2, p.question2 or 1), keyboard(back)
    if step == PASSWORD:
        return texts.password_step(rule.min_length, rule.min_kinds), keyboard(back)
    if step == PASSWORD_CONFIRM:
        return texts.PASSWORD_CONFIRM, keyboard(back)
    if step == REAUTH:
        return texts.REAUTH.format(identifier=escape(p.identifier or "")), None
    raise ValueError(step)


async def show(update: Update, context: Ctx, step: str, note: str | None = None, new_message: bool = False,
               progress: Progress | None = None, page: int = 0) -> object:
    """Shows the step's screen, in place of the pressed message when a button answered the last one."""
    store = deps(context).store
    uid = user_id(update)
    if progress is None:
        progress = await store.progress.get(uid)
    if progress is None:
        await send(update, context, texts.NO_ACTIVATION)
        return END
    # The terms' step shows the family's school's CGU link (a school may set its own cgu_url): the only screen that
    # reads the school, so the only one that looks the family's account up.
    schools = deps(context).schools
    school = (await family_schools(context, uid) or schools.all)[0] if step == CGU else schools.first
    text, markup = screen(step, progress, page, deps(context).password_rule, school)
    if note:
        text = f"{note}\n\n{text}"
    if step in FORM_STEPS and update.effective_chat is not None:
        text, markup = await form_button.offer(context, update.effective_chat.id, uid, step, text, markup)
    message: Message | None
    pressed = update.callback_query.message if update.callback_query is not None else None
    if pressed is not None and not new_message:
        message = await edit_or_send(update, context, text, markup)
        # Answered at the bottom, or from an error's button: older buttons go, so that only the step's remain.
        for older in {pressed.message_id, progress.prompt_message_id} - {message.message_id if message else None}:
            await drop_keyboard(context, uid, older)
    else:
        message = await next_screen(update, context, progress.prompt_message_id, text, markup, in_place=not new_message)
    if message is not None and step != REAUTH and message.message_id != progress.prompt_message_id:
        await store.progress.update(uid, prompt_message_id=message.message_id)
    return step


async def advance(update: Update, context: Ctx, step: str, note: str | None = None, proven: bool = True,
                  **changes: Any) -> object:
    """Saves the completed step and what it gave, then shows the next one.

    `proven`: the parent's answer was accepted, which restarts the 30 minutes before they must prove
    who they are again; a wrong answer that sends them back does not.
    """
    store = deps(context).store
    if proven:
        changes["proven_at"] = store.clock.now()
    saved = await store.progress.update(user_id(update), step=step, **changes)
    return await show(update, context, step, note, progress=saved)


# -- the guard every step goes through -------------------------------------------------------------

StepFn = Callable[[Update, Ctx, Progress], Coroutine[Any, Any, object]]
Handler = Callable[[Update, Ctx], Coroutine[Any, Any, object]]


def step(state: str, fresh_check: bool = True,
         accept: Callable[[Update, Progress], bool] | None = None) -> Callable[[StepFn], Handler]:
    """Loads the saved progress and refuses what does not belong to the current step."""

    def decorate(fn: StepFn) -> Handler:
        @functools.wraps(fn)
        async def wrapper(update: Update, context: Ctx) -> object:
            d = deps(context)
            if state in ERASED_ON_READ and update.callback_query is None:
                await delete_secret(update, context)
            progress = (await take_dialogue(update, context)).progress
            query = update.callback_query
            if query is not None:
                if progress is None or not _is_current_button(update, progress, state, accept):
                    await answer_query(update, texts.STALE_BUTTON)
                    return None if progress else END
                await answer_query(update)
            if progress is None:
                await send(update, context, texts.NO_ACTIVATION)
                return END
            text = update.effective_message.text if update.effective_message and query is None else None
            if progress.account_id is not None:
                ended = await _account_changed(update, context, d, progress)
                if ended:
                    return END
                if fresh_check and _needs_reauth(d, progress):
                    if text is not None and state not in SECRET_STEPS:
                        await delete_secret(update, context)  # most likely the provisional password, typed early
                    return await ask_reauth(update, context, progress)
            if text is not None and await _refused(update, context, state, text):
                return None
            if text is not None and state in SECRET_STEPS:
                return await patiently(update, context, fn(update, context, progress))
            return await fn(update, context, progress)

        return wrapper

    return decorate


async def _refused(update: Update, context: Ctx, state: str, text: str) -> bool:
    if state == IDENTIFIER:
        return await refused_identifier(update, context, text)
    return await refused_text(update, context, text, MAX_LENGTH.get(state, 256))


def state_of(progress: Progress) -> str:
    """The dialogue state SQLite holds: the step, or the re-authentication it waits for."""
    return REAUTH if progress.reauth_due else progress.step


async def ask_reauth(update: Update, context: Ctx, progress: Progress) -> object:
    """Saves that the parent must type the provisional password again, and asks for it."""
    if not progress.reauth_due:
        progress = await deps(context).store.progress.update(progress.telegram_user_id, reauth_due=1) or progress
    await show(update, context, REAUTH, new_message=True, progress=progress)
    return REAUTH


def _is_current_button(update: Update, progress: Progress, state: str,
                       accept: Callable[[Update, Progress], bool] | None) -> bool:
    """A button of the step the parent is at, on its current prompt or a newer one.

    Newer is fine: it is the current prompt whose id a crash kept us from recording.
    """
    if progress.step != state or (accept is not None and not accept(update, progress)):
        return False
    message = update.callback_query.message if update.callback_query else None
    prompt = progress.prompt_message_id
    return not (isinstance(message, Message) and prompt is not None and message.message_id < prompt)


def _needs_reauth(d: Deps, progress: Progress) -> bool:
    """Past the provisional password and away too long since the last accepted answer: prove it is still the parent."""
    return progress.account_id is not None and (
        bool(progress.reauth_due) or d.store.clock.now() - progress.proven > REAUTH_AFTER)


async def _account_changed(update: Update, context: Ctx, d: Deps, progress: Progress) -> bool:
    """True (and the parent told) when the account was activated elsewhere or reset by the school."""
    assert progress.account_id is not None
    account = await d.store.accounts.get(progress.account_id)
    if (account is not None and account.state not in ("active", "invalidated")
            and account.provisional_hash == progress.provisional_hash):
        return False
    await d.store.progress.forget(progress.telegram_user_id)
    await drop_keyboard(context, progress.telegram_user_id, progress.prompt_message_id)
    if account is not None and account.state == "invalidated":
        await send(update, context, texts.ACCOUNT_RESET_BY_ENT, keyboard(write_to_school()))
        return True
    reset = account is not None and account.state == "reset"
    await send(update, context, texts.ACCOUNT_RESET_MEANWHILE if reset else texts.ACTIVATION_RACE)
    return True


def _text(update: Update) -> str:
    message = update.effective_message
    return (message.text or "").strip() if message else ""


def _data(update: Update) -> str:
    return update.callback_query.data or "" if update.callback_query else ""


# -- entry: from the menu --------------------------------------------------------------------------


async def start_activation(update: Update, context: Ctx) -> object:
    await answer_query(update)
    store = deps(context).store
    started = await store.progress.start(user_id(update), PROFILE)
    return await show(update, context, PROFILE, progress=started)


async def start_after_reset(update: Update, context: Ctx) -> object:
    """"Mon compte a été réinitialisé": the same path, with its own introduction."""
    await answer_query(update)
    store = deps(context).store
    started = await store.progress.start(user_id(update), PROFILE)
    return await show(update, context, PROFILE, note=texts.RESET_INTRO, progress=started)


async def resume_from_menu(update: Update, context: Ctx) -> object:
    await answer_query(update)
    progress = await deps(context).store.progress.get(user_id(update))
    if progress is None:
        return await start_activation(update, context)
    if _needs_reauth(deps(context), progress):
        return await ask_reauth(update, context, progress)
    # From under a ticket's confirmation: that confirmation stays in the chat.
    query = update.callback_query
    from_helpdesk = query is not None and query.data == "helpdesk:resume"
    if from_helpdesk and query is not None and isinstance(query.message, Message):
        await drop_keyboard(context, query.message.chat_id, query.message.message_id)
    return await show(update, context, progress.step, progress=progress, new_message=from_helpdesk)


async def resume(update: Update, context: Ctx, progress: Progress) -> object:
    """A message or button with no conversation in memory (after a restart): carry on from SQLite."""
    state = state_of(progress)
    handled = await hand_over(STATES.get(state, []), update, context)
    if handled is not NOT_HANDLED:
        return handled
    await answer_query(update, texts.STALE_BUTTON)
    if state == REAUTH:
        return await ask_reauth(update, context, progress)
    return await show(update, context, state, note=texts.RESUMED, new_message=True)


# -- step 1: profile -------------------------------------------------------------------------------


@step(PROFILE)
async def profile_chosen(update: Update, context: Ctx, progress: Progress) -> object:
    choice = _data(update).removeprefix("profile:")
    if choice == "parent":
        return await advance(update, context, IDENTIFIER)
    await deps(context).store.progress.forget(progress.telegram_user_id)
    await edit_or_send(update, context, texts.PROFILE_STAFF_ANSWER if choice == "staff" else texts.PROFILE_OTHER_ANSWER)
    return END


# -- step 2: identifier and provisional password -----------------------------------------------


@step(IDENTIFIER)
async def identifier_typed(update: Update, context: Ctx, progress: Progress) -> object:
    kept, _ = await kept_identifier(context, _text(update))
    return await advance(update, context, PROVISIONAL, identifier=kept)


@step(PROVISIONAL)
async def provisional_typed(update: Update, context: Ctx, progress: Progress) -> object:
    d = deps(context)
    typed = _text(update)
    keys = _attempt_keys(progress)
    if await tell_if_locked(update, context, keys):
        return PROVISIONAL
    account = await d.store.accounts.find(progress.identifier or "")
    # Found: its lock is the account's own, whatever spelling or alias was typed to reach it.
    keys = account_keys(progress.telegram_user_id, progress.identifier, account)
    # One guess at a time on this account, from its lock check to its failure counted (storage/attempts.py).
    async with d.store.attempts.turn(*keys):
        if account is not None and await tell_if_locked(update, context, keys):
            return PROVISIONAL
        proven = await d.store.accounts.check_provisional(account, typed) and account is not None
        lock = None if proven else await d.store.attempts.failure(
            *keys, actor=f"telegram:{progress.telegram_user_id}", account_id=account.id if account else None,
            event="provisional_failed")
    if not proven or account is None:
        saved = await d.store.progress.update(progress.telegram_user_id, last_error="provisional_failed")
        if lock is not None:
            await tell_locked(update, context, lock)
            return PROVISIONAL
        # The password again, not the identifier: one short line, the step's message stays where it is.
        rows = [[(texts.CHANGE_IDENTIFIER, "provisional:back")]]
        if saved is not None and saved.error_count >= STUCK_AFTER:
            rows.append(write_to_school())
        await send(update, context, texts.WRONG_PAIR, keyboard(*rows))
        return PROVISIONAL
    await d.store.attempts.success(*keys)
    account = await d.store.accounts.get(account.id) or account  # a provisional proven by a bind is kept now
    if not d.schools.of_account(account):  # none of this deployment's schools: said once the pair is proven
        await d.store.progress.forget(progress.telegram_user_id)
        await drop_keyboard(context, progress.telegram_user_id, progress.prompt_message_id)
        await send(update, context, texts.NOT_OUR_SCHOOL)
        return END
    if account.state == "blocked" or not account.is_family:  # the ENT's directory says so
        await d.store.progress.forget(progress.telegram_user_id)
        await drop_keyboard(context, progress.telegram_user_id, progress.prompt_message_id)
        blocked = account.state == "blocked"
        await send(update, context, texts.ACCOUNT_BLOCKED if blocked else texts.PROFILE_STAFF_ANSWER,
                   keyboard(write_to_school()) if blocked else None)
        return END
    if account.state == "invalidated":  # reset by the ENT itself: the old letter no longer opens it
        await d.store.progress.forget(progress.telegram_user_id)
        await drop_keyboard(context, progress.telegram_user_id, progress.prompt_message_id)
        await send(update, context, texts.ACCOUNT_RESET_BY_ENT, keyboard(write_to_school()))
        return END
    if account.state == "active":
        await d.store.progress.forget(progress.telegram_user_id)
        await drop_keyboard(context, progress.telegram_user_id, progress.prompt_message_id)
        await send(update, context, texts.ALREADY_ACTIVE,
                   keyboard([(texts.MENU_FORGOT, "menu:forgot")], [(texts.MENU_TEST, "menu:test")]))
        return END
    await d.store.audit.record(f"telegram:{progress.telegram_user_id}", "identified", account.id)
    return await advance(update, context, CGU, account_id=account.id, provisional_hash=account.provisional_hash,
                         identifier=account.identifier, last_error=None)


AttemptKeys = tuple[tuple[str, str], ...]


def _attempt_keys(progress: Progress) -> AttemptKeys:
    """Failures count against this Telegram user and against the identifier (the account's login once proven)."""
    return account_keys(progress.telegram_user_id, progress.identifier, None)


def account_keys(telegram_user_id: int, typed: str | None, account: Account | None) -> AttemptKeys:
    """This Telegram user's key, and the account's: its real login when found (an alias or another spelling
    of it reaches the same entry, so must reach the same lock, the one staff see), else what was typed."""
    login = account.identifier if account is not None else typed or ""
    return ("user", str(telegram_user_id)), ("account", identifier_key(login))


async def tell_locked(update: Update, context: Ctx, lock: Lock) -> None:
    d = deps(context)
    minutes = max(1, math.ceil((lock.until - d.store.clock.now()).total_seconds() / 60))
    contact = contact_of(await family_schools(context, user_id(update)))  # none named before the account is proven
    await send(update, context, texts.locked(minutes, contact), keyboard(write_to_school()))


async def tell_if_locked(update: Update, context: Ctx, keys: AttemptKeys) -> bool:
    lock = await deps(context).store.attempts.locked_until(*keys)
    if lock is not None:
        await tell_locked(update, context, lock)
    return lock is not None


@step(REAUTH, fresh_check=False)
async def reauth_typed(update: Update, context: Ctx, progress: Progress) -> object:
    d = deps(context)
    keys = _attempt_keys(progress)
    if await tell_if_locked(update, context, keys):
        return REAUTH
    if not await verify_secret(progress.provisional_hash, _text(update)):
        lock = await d.store.attempts.failure(*keys, actor=f"telegram:{progress.telegram_user_id}",
                                              account_id=progress.account_id, event="reauth_failed")
        if lock is None:
            await send(update, context, texts.REAUTH_WRONG)
        else:
            await tell_locked(update, context, lock)
        return REAUTH
    await d.store.attempts.success(*keys)
    proven = await d.store.progress.update(progress.telegram_user_id, reauth_due=0, proven_at=d.store.clock.now())
    return await show(update, context, progress.step, note=texts.REAUTH_OK, new_message=True, progress=proven)


# -- step 3: terms of use --------------------------------------------------------------------------


@step(CGU)
async def cgu_answered(update: Update, context: Ctx, progress: Progress) -> object:
    d = deps(context)
    if _data(update) == "cgu:refuse":
        await d.store.progress.forget(progress.telegram_user_id)
        await d.store.audit.record(f"telegram:{progress.telegram_user_id}", "cgu_refused", progress.account_id)
        await edit_or_send(update, context, texts.CGU_REFUSED)
        return END
    version = d.schools.first.cgu.version  # CGU_FILE: the ENT's terms, one for every school
    return await advance(update, context, EMAIL, cgu_version=version, cgu_accepted_at=d.store.clock.now())


# -- step 4: e-mail (skipping is recommended) -------------------------------------------------------


@step(EMAIL)
async def email_skipped(update: Update, context: Ctx, progress: Progress) -> object:
    return await advance(update, context, QUESTION1, email=None, email_skipped=1, email_verified=0)


@step(EMAIL)
async def email_typed(update: Update, context: Ctx, progress: Progress) -> object:
    typed = _text(update)
    try:
        address = validate_email(typed, check_deliverability=False).normalized
    except EmailNotValidError:
        reason = texts.EMAIL_NO_AT if "@" not in typed else texts.EMAIL_CHECK_SPELLING
        await send(update, context, texts.EMAIL_INVALID.format(reason=reason))
        return None
    return await advance(update, context, EMAIL_CONFIRM, email=address, email_skipped=0, email_verified=0)


@step(EMAIL_CONFIRM)
async def email_confirmed(update: Update, context: Ctx, progress: Progress) -> object:
    if _text(update).casefold() != (progress.email or "").casefold():
        return await advance(update, context, EMAIL, note=texts.EMAIL_MISMATCH, proven=False, email=None)
    if deps(context).mail is None:  # mail is off: the address is kept, unconfirmed, and the parent told so
        return await advance(update, context, QUESTION1, note=texts.EMAIL_SAVED)
    return await _send_code(update, context, progress, note=None)


async def _send_code(update: Update, context: Ctx, progress: Progress, note: str | None) -> object:
    """A new 6-digit code, hashed, and its mail queued with it; the step then waits for the code."""
    d = deps(context)
    assert d.mail is not None
    code = f"{secrets.randbelow(10**6):06d}"
    expires = d.store.clock.now() + CODE_VALIDITY
    school = (await family_schools(context, progress.telegram_user_id) or d.schools.all)[0]
    subject, body = texts.email_code_mail(school.name, code, int(CODE_VALIDITY.total_seconds() // 60))
    mail = OutgoingMail("email_code", progress.email or "", subject, body, d.mail.domain, progress.telegram_user_id)
    try:
        # Checked before hashing too: a refused code costs no Argon2 work (and nothing is queued).
        if not await d.store.outbox.may_send_code(progress.telegram_user_id, progress.account_id):
            raise CodeCapReached()
        await d.store.progress.new_email_code(progress.telegram_user_id, await hash_secret(code), expires, mail)
    except CodeCapReached:
        # Nothing queued: a new address would be no way round it, so the address step offers "Passer".
        if progress.step == EMAIL_CODE:
            return await show(update, context, EMAIL_CODE, texts.EMAIL_CODE_CAPPED, new_message=True, progress=progress)
        return await advance(update, context, EMAIL, note=texts.EMAIL_CODE_CAPPED, proven=False, email=None)
    d.wake_mailer()
    # A new message: the prompt may sit above an error the parent just read.
    saved = await d.store.progress.update(progress.telegram_user_id, step=EMAIL_CODE, proven_at=d.store.clock.now())
    return await show(update, context, EMAIL_CODE, note, new_message=True, progress=saved)


@step(EMAIL_CODE)
async def email_code_typed(update: Update, context: Ctx, progress: Progress) -> object:
    d = deps(context)
    typed = re.sub(r"\s", "", _text(update))
    expired = (progress.email_code_expires_at is None
               or from_text(progress.email_code_expires_at) <= d.store.clock.now())
    if progress.email_code_hash is None or progress.email_code_tries >= CODE_TRIES or expired:
        await send(update, context, texts.EMAIL_CODE_SPENT if not expired else texts.EMAIL_CODE_EXPIRED)
        return None
    if not typed.isdigit() or not await verify_secret(progress.email_code_hash, typed):
        saved = await d.store.progress.update(progress.telegram_user_id, email_code_tries=progress.email_code_tries + 1,
                                              last_error="email_code_failed")
        left = CODE_TRIES - (saved.email_code_tries if saved else CODE_TRIES)
        await send(update, context, texts.email_code_wrong(left))
        return None
    # As in the guide: with an address, that address is the way back; no secret questions.
    return await advance(update, context, PASSWORD, note=texts.EMAIL_CONFIRMED_NO_QUESTIONS, email_verified=1,
                         email_code_hash=None, email_code_expires_at=None, last_error=None, question1=None,
                         answer1_hash=None, question2=None, answer2_hash=None)


@step(EMAIL_CODE)
async def email_code_resend(update: Update, context: Ctx, progress: Progress) -> object:
    if progress.email_codes_sent >= MAX_CODES:
        return await show(update, context, EMAIL_CODE, note=texts.EMAIL_CODE_NO_MORE, progress=progress)
    return await _send_code(update, context, progress, note=texts.EMAIL_CODE_RESENT)


@step(EMAIL_CODE)
async def email_code_skipped(update: Update, context: Ctx, progress: Progress) -> object:
    return await advance(update, context, QUESTION1, email=None, email_skipped=1, email_verified=0,
                         email_code_hash=None, email_code_expires_at=None)


# -- step 5: two secret questions --------------------------------------------------------------------


def _question(data: str) -> int | None:
    try:
        number = int(data.split(":", 1)[1])
    except (IndexError, ValueError):
        return None
    return number if 1 <= number <= texts.QUESTION_COUNT else None


@step(QUESTION1)
async def question1_chosen(update: Update, context: Ctx, progress: Progress) -> object:
    return await advance(update, context, ANSWER1, question1=_question(_data(update)))


def question_page(state: str) -> Handler:
    """"Autres questions" and back: the same step, its other page of questions."""

    @step(state)
    async def turn_page(update: Update, context: Ctx, progress: Progress) -> object:
        page = int(_data(update).rsplit(":p", 1)[1]) - 1
        return await show(update, context, state, progress=progress, page=page)

    return turn_page


@step(ANSWER1)
async def answer1_typed(update: Update, context: Ctx, progress: Progress) -> object:
    answer = normalise_answer(_text(update))
    digest = await hash_secret(answer)
    return await advance(update, context, QUESTION2, note=texts.ANSWER_SAVED, answer1_hash=digest)


@step(QUESTION2, accept=lambda update, progress: _question(_data(update)) not in (None, progress.question1))
async def question2_chosen(update: Update, context: Ctx, progress: Progress) -> object:
    return await advance(update, context, ANSWER2, question2=_question(_data(update)))


@step(ANSWER2)
async def answer2_typed(update: Update, context: Ctx, progress: Progress) -> object:
    digest = await hash_secret(normalise_answer(_text(update)))
    return await advance(update, context, PASSWORD, note=texts.ANSWER_SAVED, answer2_hash=digest)


# -- step 6: the password, typed twice --------------------------------------------------------------


@step(PASSWORD)
async def password_typed(update: Update, context: Ctx, progress: Progress) -> object:
    message = update.effective_message
    password = message.text or "" if message else ""
    rule = deps(context).password_rule
    problems = missing(password, progress.identifier or "", rule)
    if not problems and await verify_secret(progress.provisional_hash, password):
        problems = ["provisional"]
    if problems:
        saved = await deps(context).store.progress.update(progress.telegram_user_id, last_error="password_rejected")
        stuck = saved is not None and saved.error_count >= STUCK_AFTER
        await send(update, context, texts.password_rejected(problems, len(password), kinds(password), rule.min_length,
                                                            rule.min_kinds),
                   keyboard(write_to_school()) if stuck else None)
        return None
    digest = await hash_secret(password)
    return await advance(update, context, PASSWORD_CONFIRM, password_hash=digest, last_error=None)


@step(PASSWORD_CONFIRM)
async def password_confirmed(update: Update, context: Ctx, progress: Progress) -> object:
    d = deps(context)
    message = update.effective_message
    typed = message.text or "" if message else ""
    if not await verify_secret(progress.password_hash, typed):
        return await advance(update, context, PASSWORD, note=texts.PASSWORD_MISMATCH, proven=False, password_hash=None)
    questions = bool(progress.question1 and progress.answer1_hash and progress.question2 and progress.answer2_hash)
    way_back = questions or bool(progress.email_verified and progress.email and d.mail is not None)
    complete = (progress.account_id and progress.provisional_hash and progress.password_hash and way_back
                and progress.cgu_version and progress.cgu_accepted_at)
    if not complete:
        return await advance(update, context, QUESTION1, note=texts.RESUMED)
    assert progress.account_id and progress.provisional_hash and progress.password_hash
    assert progress.cgu_version and progress.cgu_accepted_at
    activation = Activation(
        password_hash=progress.password_hash,
        email=progress.email if progress.email_verified or d.mail is None else None,
        question1=progress.question1, answer1_hash=progress.answer1_hash,
        question2=progress.question2, answer2_hash=progress.answer2_hash,
        cgu_version=progress.cgu_version, cgu_accepted_at=from_text(progress.cgu_accepted_at),
        telegram_user_id=progress.telegram_user_id, email_verified=bool(progress.email_verified))
    if not await d.store.accounts.activate(progress.account_id, progress.provisional_hash, activation, password=typed):
        if await _account_changed(update, context, d, progress):
            return END
        # Nothing visible changed, yet the directory refused: never leave the parent without an answer.
        # The step stays as it is: typing the password again tries once more.
        await send(update, context, texts.ACTIVATION_NOT_FINISHED, keyboard(write_to_school()))
        return None
    await d.store.letters.revoke(progress.account_id, "activated")  # a letter still unused opens nothing now
    text = texts.ACTIVATED.format(identifier=escape(progress.identifier or ""))
    markup = keyboard([(texts.OPEN_ENT, d.schools.first.ent_url)], [(texts.MENU_SUBSCRIBE, "sub:on")],
                      [(texts.MENU_LOGIN, "menu:login")], [(texts.MENU_SERVICES, "menu:services")])
    await next_screen(update, context, progress.prompt_message_id, text, markup)
    return END


# -- going back, and what does not fit the step ------------------------------------------------------


def back_from(state: str) -> Handler:
    """The "↩ Retour" of one step: the step before, forgetting what was chosen after it."""

    @step(state)
    async def go_back(update: Update, context: Ctx, progress: Progress) -> object:
        # With a confirmed address there were no questions: the password step goes back to the address.
        target = EMAIL if state == PASSWORD and progress.email_verified else BACK_TO[state]
        forgotten: dict[str, Any] = dict.fromkeys(FORGET_ON_RETURN.get(target, ()), None)
        if target == EMAIL:
            forgotten["email_verified"] = 0
        return await advance(update, context, target, **forgotten)

    return go_back


def expect(state: str) -> Handler:
    """Answers a message of the wrong kind (a sticker, a photo, text where buttons are expected)."""

    async def wrong_input(update: Update, context: Ctx) -> object:
        d = deps(context)
        progress = await d.store.progress.get(user_id(update))
        if progress is not None and state != REAUTH and _needs_reauth(d, progress):
            message = update.effective_message
            if message is not None and message.text is not None:
                await delete_secret(update, context)  # typed while re-authentication is due: treated as a secret
            return await ask_reauth(update, context, progress)
        if state in DELETE_TYPED:
            await delete_secret(update, context)
        # One short line: the step's message, with its buttons, stays where it is.
        await send(update, context, texts.expects(state))
        return None

    return wrong_input


async def pause(update: Update, context: Ctx) -> object:
    progress = await deps(context).store.progress.get(user_id(update))
    if progress is not None:
        await drop_keyboard(context, progress.telegram_user_id, progress.prompt_message_id)
    await send(update, context, texts.PAUSED)
    return END


def _back(state: str) -> list[BaseHandler[Update, Ctx, object]]:
    return [CallbackQueryHandler(back_from(state), pattern=f"^{state}:back$")] if state in BACK_TO else []


def _text_state(state: str, fn: Handler) -> list[BaseHandler[Update, Ctx, object]]:
    return [
        MessageHandler(TYPED, fn),
        *_back(state),
        MessageHandler(OTHER, expect(state)),
    ]


def _button_state(state: str, fn: Handler,
                  pattern: str) -> list[BaseHandler[Update, Ctx, object]]:
    return [
        CallbackQueryHandler(fn, pattern=pattern),
        *_back(state),
        MessageHandler(OTHER, expect(state)),
    ]


STATES: dict[object, list[BaseHandler[Update, Ctx, object]]] = {
    PROFILE: _button_state(PROFILE, profile_chosen, r"^profile:(parent|staff|other)$"),
    IDENTIFIER: _text_state(IDENTIFIER, identifier_typed),
    PROVISIONAL: _text_state(PROVISIONAL, provisional_typed),
    REAUTH: _text_state(REAUTH, reauth_typed),
    CGU: _button_state(CGU, cgu_answered, r"^cgu:(accept|refuse)$"),
    EMAIL: [CallbackQueryHandler(email_skipped, pattern=r"^email:skip$"), *_text_state(EMAIL, email_typed)],
    EMAIL_CONFIRM: _text_state(EMAIL_CONFIRM, email_confirmed),
    EMAIL_CODE: [CallbackQueryHandler(email_code_resend, pattern=r"^email_code:resend$"),
                 CallbackQueryHandler(email_code_skipped, pattern=r"^email_code:skip$"),
                 *_text_state(EMAIL_CODE, email_code_typed)],
    QUESTION1: [CallbackQueryHandler(question_page(QUESTION1), pattern=r"^q1:p[12]$"),
                *_button_state(QUESTION1, question1_chosen, r"^q1:(0[1-9]|1[0-6])$")],
    ANSWER1: _text_state(ANSWER1, answer1_typed),
    QUESTION2: [CallbackQueryHandler(question_page(QUESTION2), pattern=r"^q2:p[12]$"),
                *_button_state(QUESTION2, question2_chosen, r"^q2:(0[1-9]|1[0-6])$")],
    ANSWER2: _text_state(ANSWER2, answer2_typed),
    PASSWORD: _text_state(PASSWORD, password_typed),
    PASSWORD_CONFIRM: _text_state(PASSWORD_CONFIRM, password_confirmed),
}
