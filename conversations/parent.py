"""The parent's one conversation: activation, forgotten password and login test, and where each message goes."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from conversations import activation, helpdesk, letters, menu, recovery, texts
from conversations.common import (
    NOT_HANDLED,
    answer_query,
    contact_of,
    delete_secret,
    deps,
    dialogue,
    family_schools,
    hand_over,
    keyboard,
    send,
    user_id,
    write_to_school,
)
from conversations.roles import shows_staff_help

Ctx = ContextTypes.DEFAULT_TYPE
END = ConversationHandler.END
PRIVATE = filters.ChatType.PRIVATE

Callback = Callable[[Update, Ctx], Coroutine[Any, Any, object]]

HELPDESK_STATE: list[BaseHandler[Update, Ctx, object]] = [
    MessageHandler(helpdesk.SUPPORTED, helpdesk.written),
    MessageHandler(helpdesk.UNSUPPORTED, helpdesk.unsupported),
    CommandHandler("annuler", helpdesk.cancel_writing),
    # Several schools: the school's button, or none of those found.
    CallbackQueryHandler(helpdesk.school_chosen, pattern=r"^helpdesk:school:"),
    CallbackQueryHandler(helpdesk.none_of_these, pattern=r"^helpdesk:none$"),
]


async def saved_state(update: Update, context: Ctx) -> object:
    """The parent's dialogue state as SQLite holds it: what PTB remembers must agree with it."""
    saved = await dialogue(update, context)
    if saved.writing_to_school:
        return helpdesk.HELPDESK
    if saved.recovery_step is not None:
        return saved.recovery_step
    return activation.state_of(saved.progress) if saved.progress is not None else END


def _checked(state: object, callback: Callback) -> Callback:
    """A message handler of `state` that runs only if SQLite agrees; otherwise the saved state's handler answers."""

    async def run(update: Update, context: Ctx) -> object:
        if await saved_state(update, context) != state:
            return await resume(update, context)
        return await callback(update, context)

    return run


def _guarded(states: dict[object, list[BaseHandler[Update, Ctx, object]]]
             ) -> dict[object, list[BaseHandler[Update, Ctx, object]]]:
    """Every message handler of every state checks the saved state first, as the buttons check their step."""
    return {state: [MessageHandler(h.filters, _checked(state, h.callback), block=h.block)
                    if isinstance(h, MessageHandler) else h for h in handlers]
            for state, handlers in states.items()}


# One conversation, so that a parent is in one dialogue at a time and a restart finds it again.
STATES: dict[object, list[BaseHandler[Update, Ctx, object]]] = _guarded({
    **activation.STATES,
    **recovery.STATES,
    helpdesk.HELPDESK: HELPDESK_STATE,
})


async def _leave_recovery(update: Update, context: Ctx) -> None:
    await deps(context).store.recovery.forget(user_id(update))


async def enter_activation(update: Update, context: Ctx) -> object:
    await _leave_recovery(update, context)
    return await activation.start_activation(update, context)


async def enter_after_reset(update: Update, context: Ctx) -> object:
    await _leave_recovery(update, context)
    return await activation.start_after_reset(update, context)


async def enter_resume(update: Update, context: Ctx) -> object:
    await _leave_recovery(update, context)
    return await activation.resume_from_menu(update, context)


async def cancel_recovery(update: Update, context: Ctx) -> object:
    await answer_query(update)
    await recovery.cancel(update, context)
    return END


def _leaving_writing(callback: Callback) -> Callback:
    """Another dialogue begins: the parent is no longer writing to the school."""

    async def run(update: Update, context: Ctx) -> object:
        await deps(context).store.writing.stop(user_id(update))
        return await callback(update, context)

    return run


def _menu_entries() -> list[BaseHandler[Update, Ctx, object]]:
    """The menu's buttons that open a dialogue: they work in the middle of another one too."""
    return [
        CallbackQueryHandler(_leaving_writing(enter_activation), pattern=r"^menu:activate$"),
        CallbackQueryHandler(_leaving_writing(enter_after_reset), pattern=r"^menu:reset$"),
        CallbackQueryHandler(_leaving_writing(enter_resume), pattern=r"^(menu|helpdesk):resume$"),
        CallbackQueryHandler(_leaving_writing(recovery.start_forgot), pattern=r"^menu:forgot$"),
        CallbackQueryHandler(_leaving_writing(recovery.start_login_test), pattern=r"^menu:test$"),
        CallbackQueryHandler(helpdesk.start_writing, pattern=r"^helpdesk:write$"),
    ]


_RESUMABLE_BUTTONS: list[BaseHandler[Update, Ctx, object]] = [
    CallbackQueryHandler(cancel_recovery, pattern=r"^recovery:cancel$"),
    CallbackQueryHandler(helpdesk.cancel_writing, pattern=r"^helpdesk:cancel$"),
]


async def resume(update: Update, context: Ctx) -> object:
    """A message or button with no conversation in memory (after a restart): carry on from SQLite."""
    saved = await dialogue(update, context)  # nothing was written yet in this update: the row read once
    if saved.writing_to_school:
        handled = await hand_over([*HELPDESK_STATE, *_RESUMABLE_BUTTONS], update, context)
        if handled is not NOT_HANDLED:
            return handled
        await answer_query(update, texts.STALE_BUTTON)
        return helpdesk.HELPDESK
    if saved.recovery_step is not None:
        handled = await hand_over([*recovery.STATES.get(saved.recovery_step, []), *_RESUMABLE_BUTTONS], update, context)
        if handled is not NOT_HANDLED:
            return handled
        await answer_query(update, texts.STALE_BUTTON)
        return saved.recovery_step
    if saved.progress is not None:
        return await activation.resume(update, context, saved.progress)
    if update.callback_query is not None:
        handled = await hand_over(_RESUMABLE_BUTTONS, update, context)
        if handled is not NOT_HANDLED:
            return handled
        await answer_query(update, texts.STALE_BUTTON)
    elif not await helpdesk.follow_up(update, context):  # with an open ticket, it goes to the school
        await send(update, context, texts.NOT_UNDERSTOOD)
    return END


async def where(update: Update, context: Ctx) -> str | None:
    """Which dialogue the parent is in, in words, for /aide."""
    store = deps(context).store
    uid = user_id(update)
    saved = await store.recovery.get(uid)
    if saved is not None:
        return recovery.where(saved)
    progress = await store.progress.get(uid)
    return texts.where(progress.step) if progress and progress.step in texts.STEP_NUMBER else None


async def help_command(update: Update, context: Ctx) -> object:
    text = texts.help_text(contact_of(await family_schools(context, user_id(update))), await where(update, context))
    if await shows_staff_help(update, context):
        text += "\n\n" + texts.STAFF_HELP
    await send(update, context, text, keyboard(write_to_school()))
    return None


async def unknown_command(update: Update, context: Ctx) -> object:
    """Any command the bot does not offer to this person (staff commands included, for others)."""
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        return None
    state = await saved_state(update, context)
    if state in activation.DELETE_TYPED or state in recovery.SECRET_STEPS:
        # "/Ma-Cle:Verte42" is a command for Telegram, but at this step it is most likely the secret itself.
        await delete_secret(update, context)
        await send(update, context, texts.SECRET_LIKE_COMMAND)
        return None
    if await where(update, context) is None:
        await send(update, context, texts.NOT_UNDERSTOOD)
        return None
    return await help_command(update, context)


async def pause(update: Update, context: Ctx) -> object:
    store = deps(context).store
    uid = user_id(update)
    await store.writing.stop(uid)
    if await store.recovery.get(uid) is not None:
        await recovery.cancel(update, context)
        return END
    return await activation.pause(update, context)


async def start_mid_flow(update: Update, context: Ctx) -> object:
    store = deps(context).store
    uid = user_id(update)
    await store.writing.stop(uid)
    progress = await store.progress.get(uid)
    if await store.recovery.get(uid) is not None:
        await recovery.cancel(update, context)
    # Always the menu, "Reprendre à l'étape k/6" first when an activation is saved: its step stays current.
    await menu.start(update, context)
    return activation.state_of(progress) if progress is not None else END


async def stale_button(update: Update, context: Ctx) -> object:
    await answer_query(update, texts.STALE_BUTTON)
    return None


def _letter_entry() -> BaseHandler[Update, Ctx, object]:
    """`/start <token>`: a family scanned its letter's QR code (at any moment, even mid-dialogue)."""
    return CommandHandler("start", letters.start_with_letter, filters=PRIVATE, has_args=True)


def conversation() -> ConversationHandler[Ctx]:
    with warnings.catch_warnings():
        # Buttons are tracked per user on purpose: the saved prompt id tells a stale one.
        warnings.filterwarnings("ignore", message="If 'per_message=False'")
        return ConversationHandler(
            entry_points=[
                _letter_entry(),
                *_menu_entries(),
                MessageHandler(PRIVATE & activation.OTHER, resume),
                CallbackQueryHandler(resume, pattern=r"^(?!menu:)"),
            ],
            states=STATES,
            fallbacks=[
                CommandHandler("annuler", pause),
                CommandHandler("aide", help_command),
                _letter_entry(),
                CommandHandler("start", start_mid_flow),
                *_menu_entries(),
                *_RESUMABLE_BUTTONS,
                CallbackQueryHandler(stale_button, pattern=r"^(?!menu:)"),
                MessageHandler(filters.COMMAND, unknown_command),
            ],
            name="parent",
            allow_reentry=False,
        )


def fallback_handlers() -> list[BaseHandler[Update, Ctx, object]]:
    """After every dialogue had its chance: /start, /aide, and a word for what nobody handled."""
    return [
        CommandHandler("start", _leaving_writing(menu.start), filters=PRIVATE),
        CommandHandler("aide", help_command, filters=PRIVATE),
        CommandHandler("annuler", _leaving_writing(help_command), filters=PRIVATE),
        MessageHandler(PRIVATE & filters.COMMAND, unknown_command),
        CallbackQueryHandler(stale_button),
        MessageHandler(PRIVATE & filters.UpdateType.MESSAGE, menu.not_understood),
    ]
