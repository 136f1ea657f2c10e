"""What the secure form's page shows at each secret step, and where a dialogue stands: plain data for bot/webform.py."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from conversations import activation, form_texts, recovery, texts
from conversations.common import Deps
from conversations.password_rules import KINDS, MAX_LENGTH, PasswordRule
from storage.store import Store

# A page with two password fields feeds the dialogue twice: the password, then (at this next step) its confirmation.
CONFIRMED_BY = {activation.PASSWORD: activation.PASSWORD_CONFIRM, recovery.FORGOT_PASSWORD: recovery.FORGOT_CONFIRM}
# Where the page's list of questions saves another choice (the activation's answers only: the recovery's are fixed).
QUESTION_COLUMN = {activation.ANSWER1: "question1", activation.ANSWER2: "question2"}
# The longest value each step takes (the chat's own limits); the form refuses longer before anything is fed.
LIMITS: dict[str, int] = {**activation.MAX_LENGTH, **recovery.MAX_LENGTH}


@dataclass(frozen=True)
class Field:
    name: str  # "value", the step's own; "confirm", the password typed a second time
    label: str
    autocomplete: str  # current-password, new-password, one-time-code, off
    secret: bool = True  # drawn as a password field, with a show/hide eye
    numeric: bool = False
    max_length: int = 128
    # The field's own direction, whatever the page's: a password or a code is a string of characters typed as on
    # the ENT's (left-to-right) pages, so "ltr" (an Arabic page must not set "Ab1!" as "!Ab1" when shown); a
    # secret answer may be written in Arabic script as well as in Latin: "auto" (the direction of its first letter).
    direction: str = "ltr"


@dataclass(frozen=True)
class Page:
    step: str
    title: str
    intro: str
    fields: list[Field]
    # A secret question: its text, and the list to choose from (the chosen one first selected).
    question: int | None = None
    questions: list[str] = field(default_factory=list)
    # The password rule, as data for the page's live checklist: the same numbers and patterns as
    # conversations/password_rules.py (the dialogue checks it again, with its words, on submission).
    rule: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _rule(rule: PasswordRule) -> dict[str, Any]:
    # Python's \w and JavaScript's differ on accented letters: the page is told which kinds are letters, the
    # "other" kind being what is none of the three others nor a space, exactly as `kinds` counts it.
    return {"min_length": rule.min_length, "min_kinds": rule.min_kinds, "max_length": MAX_LENGTH,
            "patterns": {name: pattern for name, pattern in KINDS.items() if name != "other"},
            "lines": {"length": form_texts.rule_length(rule.min_length),
                      "kinds": form_texts.rule_kinds(rule.min_kinds),
                      "other": form_texts.RULE_NOT_IDENTIFIER},
            "mismatch": form_texts.MISMATCH}


def _secret(name: str, label: str, autocomplete: str, step: str, numeric: bool = False, direction: str = "ltr") -> Field:
    return Field(name, label, autocomplete, secret=not numeric, numeric=numeric, max_length=LIMITS.get(step, 128),
                 direction=direction)


def question_shown(number: int) -> str:
    """A secret question as the page lists it (plain text, one line): the family's translation with the French the
    ENT shows beside it (the French alone for a French family)."""
    return plain(texts.question_shown(number)).replace("\n", " ")


async def family_language(deps: Deps, telegram_user_id: int) -> str | None:
    """The language a family reads, for the form's requests (no Telegram update: no language of their own): its
    stored language (chosen with /langue, or its app's at its first /start) while the deployment offers it."""
    stored = await deps.store.languages.get(telegram_user_id)
    return stored if stored in deps.languages else None


async def current_step(store: Store, telegram_user_id: int) -> str | None:
    """The step the person's dialogue waits at, as the conversation reads it (conversations/parent.py saved_state)."""
    saved = await store.progress.dialogue(telegram_user_id)
    if saved.writing_to_school:
        return None
    if saved.recovery_step is not None:
        return saved.recovery_step
    return activation.state_of(saved.progress) if saved.progress is not None else None


async def page(deps: Deps, telegram_user_id: int, step: str) -> Page | None:
    """The page of the step the person is at; None if that step takes no secret (or the dialogue moved on)."""
    store = deps.store
    if step in (activation.PROVISIONAL, activation.REAUTH):
        reauth = step == activation.REAUTH
        return Page(step, form_texts.REAUTH_TITLE if reauth else form_texts.PROVISIONAL_TITLE,
                    form_texts.REAUTH_INTRO if reauth else form_texts.PROVISIONAL_INTRO,
                    [_secret("value", form_texts.PROVISIONAL_LABEL, "one-time-code", step)])
    if step in (activation.ANSWER1, activation.ANSWER2):
        progress = await store.progress.get(telegram_user_id)
        if progress is None:
            return None
        number = 1 if step == activation.ANSWER1 else 2
        chosen = progress.question1 if number == 1 else progress.question2
        # The second list leaves out the first choice, as in the chat.
        offered = [q for q in range(1, texts.QUESTION_COUNT + 1) if number == 1 or q != progress.question1]
        return Page(step, form_texts.answer_title(number), form_texts.ANSWER_INTRO,
                    [_secret("value", form_texts.ANSWER_LABEL, "off", step, direction="auto")], question=chosen,
                    questions=[f"{q}. {question_shown(q)}" if q in offered else ""
                               for q in range(1, texts.QUESTION_COUNT + 1)])
    if step in (recovery.FORGOT_ANSWER1, recovery.FORGOT_ANSWER2):
        saved = await store.recovery.get(telegram_user_id)
        credentials = (await store.accounts.credentials(saved.account_id)
                       if saved is not None and saved.account_id is not None else None)
        if credentials is None:
            return None
        number = 1 if step == recovery.FORGOT_ANSWER1 else 2
        chosen = credentials.question1 if number == 1 else credentials.question2
        return Page(step, form_texts.answer_title(number), form_texts.FORGOT_ANSWER_INTRO,
                    [_secret("value", form_texts.ANSWER_LABEL, "off", step, direction="auto")], question=chosen,
                    questions=[f"{chosen}. {question_shown(chosen)}"] if chosen else [])
    if step in (activation.PASSWORD, recovery.FORGOT_PASSWORD):
        return Page(step, form_texts.PASSWORD_TITLE, form_texts.PASSWORD_INTRO,
                    [_secret("value", form_texts.PASSWORD_LABEL, "new-password", step),
                     _secret("confirm", form_texts.CONFIRM_LABEL, "new-password", step)],
                    rule=_rule(deps.password_rule))
    if step in (activation.PASSWORD_CONFIRM, recovery.FORGOT_CONFIRM):
        return Page(step, form_texts.CONFIRM_TITLE, form_texts.CONFIRM_INTRO,
                    [_secret("value", form_texts.CONFIRM_LABEL, "new-password", step)])
    if step in (activation.EMAIL_CODE, recovery.FORGOT_CODE):
        return Page(step, form_texts.CODE_TITLE, form_texts.CODE_INTRO,
                    [_secret("value", form_texts.CODE_LABEL, "one-time-code", step, numeric=True)])
    if step == recovery.LOGIN_PASSWORD:
        return Page(step, form_texts.LOGIN_TITLE, form_texts.LOGIN_INTRO,
                    [_secret("value", form_texts.LOGIN_LABEL, "current-password", step)])
    return None


def chosen_question(page: Page, raw: object) -> int | None:
    """The question the parent picked in the page's list, if it is one the step offers and differs from the saved one."""
    if not page.questions or page.step not in QUESTION_COLUMN:
        return None
    if not isinstance(raw, str) or not re.fullmatch(r"[0-9]{1,2}", raw):
        return None
    number = int(raw)
    if not 1 <= number <= len(page.questions) or not page.questions[number - 1] or number == page.question:
        return None
    return number


def plain(html_text: str) -> str:
    """A bot message's words without Telegram's HTML tags, for the page (which sets them as text, never as HTML)."""
    text = re.sub(r"<[^>]{1,40}>", "", html_text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&#x27;", "'").replace("&amp;", "&")
