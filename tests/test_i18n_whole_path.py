"""A family's whole path in each shipped language: not one French sentence of the bot's left, every Latin fragment of
an Arabic message set apart, the buttons' data the same in every language."""

from __future__ import annotations

import re
from functools import cache
from html import unescape

import pytest
from babel.messages.pofile import read_po

from conversations import texts
from i18n import DOMAINS, LOCALES, RIGHT_TO_LEFT, SHIPPED, latin_outside_isolates, using
from sandbox.driver import Msg, Person
from tests import flows
from tests.conftest import Harness

FAMILY_DOMAINS = [d for d in DOMAINS if d not in ("document", "form")]  # the printed letter and the page: their tests


@cache
def french_left_behind(language: str) -> tuple[str, ...]:
    """Pieces of the bot's French (between tags, placeholders, lines and quotes) that a translation does not keep:
    none may reach a family reading `language`."""
    pieces: set[str] = set()
    for domain in FAMILY_DOMAINS:
        with (LOCALES / language / "LC_MESSAGES" / f"{domain}.po").open("rb") as fp:
            catalog = read_po(fp)
        for message in catalog:
            if not message.id:
                continue
            french = " ".join(message.id if isinstance(message.id, tuple) else (message.id,))
            translated = " ".join(message.string if isinstance(message.string, tuple) else (message.string,))
            for piece in re.split(r"<[^>]+>|\{\w*\}|\n|«[^»]*»", french):
                piece = unescape(piece).strip(" .:;,()—•!?")
                if len(piece) >= 20 and piece not in translated:
                    pieces.add(piece)
    # The secret questions are shown with their French (the ENT keeps it), on purpose.
    kept = {texts.question(n).strip(" ?") for n in range(1, texts.QUESTION_COUNT + 1)}
    return tuple(sorted(p for p in pieces if p not in kept))


async def walk(bot: Harness, parent: Person, language: str) -> list[Msg]:
    """The menu and its pages, the whole activation, the privacy pages, the login test: as a parent does them; every
    message the bot showed on the way (edited ones in each of their versions)."""
    seen: dict[tuple[int, str], Msg] = {}

    async def look() -> None:
        for message in await parent.messages():
            if message.from_bot:
                seen.setdefault((message.message_id, message.text), message)

    with using(language):
        await parent.send("/start")
        await look()
        for label in (texts.MENU_SERVICES, texts.BACK, texts.MENU_LOGIN):
            await parent.click(label)
            await look()
        await parent.send("/aide")
        await look()
        steps = [lambda: flows.to_identifier(parent), lambda: parent.send(flows.IDENTIFIER),
                 lambda: parent.send(flows.PROVISIONAL), lambda: parent.click(texts.CGU_ACCEPT),
                 lambda: parent.click(texts.EMAIL_SKIP), lambda: flows.choose_question(parent, 7),
                 lambda: parent.send(flows.ANSWER1), lambda: flows.choose_question(parent, 14),
                 lambda: parent.send(flows.ANSWER2), lambda: parent.send(flows.PASSWORD),
                 lambda: parent.send(flows.PASSWORD)]
        for step in steps:
            await step()
            await look()
        for command in ("/confidentialite", "/mesdonnees", "/langue"):
            await parent.send(command)
            await look()
        await flows.login_test(parent, flows.PASSWORD)
        await look()
    return list(seen.values())


@pytest.mark.parametrize("language", SHIPPED[1:])
async def test_a_familys_whole_path_has_no_french_of_the_bot_left(bot: Harness, language: str) -> None:
    await flows.with_account(bot)
    parent = await bot.parent(language_code=language)
    shown = await walk(bot, parent, language)
    assert len(shown) > 20
    left = {piece for message in shown for piece in french_left_behind(language)
            if piece in message.text or any(piece in label for label in message.button_texts)}
    assert left == set()
    if language in RIGHT_TO_LEFT:
        broken = {message.text[:60]: latin_outside_isolates(message.text) for message in shown
                  if latin_outside_isolates(message.text)}
        assert broken == {}


async def test_the_buttons_data_are_the_same_in_every_language(bot: Harness) -> None:
    """Callback data carry codes, never words: a translation cannot change them (nor their 64 bytes)."""
    await flows.with_account(bot)
    seen: dict[str, list[list[str]]] = {}
    for language in ("fr", "ar"):
        parent = await bot.parent(language_code=language)
        with using(language):
            await flows.to_questions(parent)
        seen[language] = [[b.get("callback_data", b.get("url", "")) for row in m.buttons for b in row]
                          for m in await parent.messages() if m.from_bot and m.buttons]
        labels = [b["text"] for m in await parent.messages() for row in m.buttons for b in row]
        assert labels and all(len(data.encode()) <= 64 for row in seen[language] for data in row)
        del labels
    assert seen["fr"] == seen["ar"]
