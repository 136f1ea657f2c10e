"""The family's language: taken from its Telegram app at the first /start, chosen with /langue, kept, erased."""

from __future__ import annotations

import re
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from bot.settings import SettingsError, load
from conversations import texts
from i18n import NAMES, SHIPPED, using
from sandbox.server import SandboxServer
from sandbox.world import formatted_text
from tests import flows
from tests.conftest import Harness, running_bot

ARABIC = re.compile(r"[\u0600-\u06ff]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def stored(bot: Harness, user_id: int) -> tuple[str, str] | None:
    conn = sqlite3.connect(bot.settings.database)
    try:
        row = conn.execute("SELECT language, source FROM family_languages WHERE telegram_user_id = ?",
                           (user_id,)).fetchone()
    finally:
        conn.close()
    return (row[0], row[1]) if row else None


def in_language(code: str, name: str) -> str:
    with using(code):
        text: str = getattr(texts, name)
    return text


def shown(html: str) -> str:
    """A text as the parent's app shows it (Telegram's HTML made plain)."""
    return formatted_text(html, "HTML")[0]


async def test_the_first_start_takes_the_telegram_apps_language_and_keeps_it(bot: Harness) -> None:
    parent = await bot.parent(language_code="uk")
    await parent.send("/start")
    assert stored(bot, parent.user_id) == ("uk", "telegram")
    menu = await parent.last()
    assert in_language("uk", "MENU_LANGUAGE") in menu.button_texts
    assert CYRILLIC.search(in_language("uk", "MENU_LANGUAGE"))
    # The privacy line of a first visit is still there: the stored language does not make the bot "know" them.
    assert texts.PRIVACY_LINE.strip() in menu.text or "/confidentialite" in menu.text


async def test_an_app_in_a_language_not_offered_gets_french_and_nothing_is_stored(bot: Harness) -> None:
    parent = await bot.parent(language_code="de")
    await parent.send("/start")
    assert stored(bot, parent.user_id) is None
    assert texts.MENU_LANGUAGE in (await parent.last()).button_texts  # French: the French label
    nobody = await bot.parent(language_code=None)
    await nobody.send("/start")
    assert stored(bot, nobody.user_id) is None


async def test_langue_lists_each_language_in_its_own_name_and_the_choice_answers_in_it(bot: Harness) -> None:
    parent = await bot.parent(language_code="fr")
    await parent.send("/langue")
    prompt = await parent.last()
    assert prompt.text == shown(texts.LANGUAGE_PROMPT)
    assert [label.removeprefix("✅ ") for label in prompt.button_texts] == [NAMES[c] for c in SHIPPED]
    assert prompt.button_texts[0].startswith("✅ ")  # French, in use
    await parent.click(NAMES["ar"])
    answer = await parent.last()
    assert answer.text == shown(in_language("ar", "LANGUAGE_SET")) != shown(texts.LANGUAGE_SET)
    assert ARABIC.search(answer.text)
    assert stored(bot, parent.user_id) == ("ar", "chosen")
    await parent.send("/langue")
    assert (await parent.last()).button_texts[SHIPPED.index("ar")] == "✅ " + NAMES["ar"]


async def test_a_choice_outlives_the_apps_language_and_a_restart(bot: Harness) -> None:
    parent = await bot.parent(language_code="uk")
    await parent.send("/start")
    await parent.send("/langue")
    await parent.click(NAMES["tr"])
    await bot.restart()
    await parent.send("/start")  # a /start again never overwrites a choice with the app's language
    assert stored(bot, parent.user_id) == ("tr", "chosen")
    await parent.send("/langue")
    assert (await parent.last()).text == shown(in_language("tr", "LANGUAGE_PROMPT"))


async def test_changing_language_mid_activation_keeps_the_step(bot: Harness) -> None:
    await flows.with_account(bot)
    parent = await bot.parent()
    await flows.to_identifier(parent)
    before = await bot.store.progress.get(parent.user_id)
    assert before is not None
    await parent.send("/langue")
    await parent.click(NAMES["en"])
    assert (await parent.last()).text == shown(in_language("en", "LANGUAGE_SET"))
    after = await bot.store.progress.get(parent.user_id)
    assert after is not None and after.step == before.step
    await parent.send(flows.IDENTIFIER)  # the step goes on where it was
    moved = await bot.store.progress.get(parent.user_id)
    assert moved is not None and moved.step != before.step


async def test_forged_and_stale_language_buttons_change_nothing(bot: Harness, sandbox_server: SandboxServer,
                                                               tmp_path: Path) -> None:
    parent = await bot.parent()
    await parent.send("/langue")
    prompt = await parent.last()
    await parent.click_data(prompt.message_id, "lang:set:de")  # well formed, not offered
    assert stored(bot, parent.user_id) is None
    await parent.click_data(prompt.message_id, "lang:set:ar'; DROP")  # not even a language: the stale-button answer
    assert stored(bot, parent.user_id) is None


async def test_a_deployment_offering_fewer_languages(sandbox_server: SandboxServer, tmp_path: Path) -> None:
    async with running_bot(sandbox_server, tmp_path, languages=("fr", "en")) as bot:
        arabic = await bot.parent(language_code="ar")
        await arabic.send("/start")
        assert stored(bot, arabic.user_id) is None
        await arabic.send("/langue")
        prompt = await arabic.last()
        assert [label.removeprefix("✅ ") for label in prompt.button_texts] == ["Français", "English"]
        await arabic.click_data(prompt.message_id, "lang:set:ar")
        assert stored(bot, arabic.user_id) is None
        menus = {(scope, code) for scope, code, _ in (await bot.sandbox.stats())["command_menus"]}
        assert ("", "en") in menus and ("", "ar") not in menus
    async with running_bot(sandbox_server, tmp_path / "fr", languages=("fr",)) as bot:
        parent = await bot.parent(language_code="uk")
        await parent.send("/start")
        assert texts.MENU_LANGUAGE not in (await parent.last()).button_texts  # nothing to choose


async def test_the_command_menu_is_set_in_every_offered_language(bot: Harness) -> None:
    menus = {(scope, code): commands for scope, code, commands in (await bot.sandbox.stats())["command_menus"]}
    french = {c["command"]: c["description"] for c in menus[("", "")]}
    assert "langue" in french
    for code in SHIPPED[1:]:
        translated = {c["command"]: c["description"] for c in menus[("", code)]}
        assert set(translated) == set(french)  # the commands themselves are never translated
        assert translated["langue"] == in_language(code, "LANGUAGE_COMMAND") != french["langue"]


async def test_the_language_is_in_my_data_and_goes_with_an_erasure(bot: Harness) -> None:
    parent = await bot.parent(language_code="pt")
    await parent.send("/start")
    exported = await bot.store.privacy.export(parent.user_id)
    assert exported["language"]["language"] == "pt"
    assert await bot.store.privacy.known(parent.user_id)
    erased = await bot.store.privacy.erase(parent.user_id, "effacé", "famille")
    assert erased.removed["family_languages"] == 1
    assert stored(bot, parent.user_id) is None


async def test_the_purge_keeps_a_language_while_the_family_uses_the_bot(bot: Harness) -> None:
    await flows.with_account(bot)
    idle = await bot.parent(language_code="tr")
    await idle.send("/start")
    active = await bot.parent(language_code="uk")
    await active.send("/start")
    with using("uk"):
        subscribe = texts.MENU_SUBSCRIBE
    await active.click(subscribe)  # it gets the school's notices: it uses the bot
    assert await bot.store.subscribers.is_active(active.user_id)
    bot.clock.advance(timedelta(days=bot.settings.retention.progress_days - 1))
    await bot.store.privacy.purge(bot.settings.retention, None)
    assert stored(bot, idle.user_id) == ("tr", "telegram")
    bot.clock.advance(timedelta(days=2))
    await bot.store.privacy.purge(bot.settings.retention, None)
    assert stored(bot, idle.user_id) is None
    assert stored(bot, active.user_id) == ("uk", "telegram")


@pytest.mark.parametrize(("raw", "expected"), [("en,ar", ("fr", "en", "ar")), ("AR, uk", ("fr", "ar", "uk")),
                                               ("fr", ("fr",))])
def test_languages_setting(raw: str, expected: tuple[str, ...]) -> None:
    assert load({"LANGUAGES": raw}, env_file=None).languages == expected


@pytest.mark.parametrize("raw", ["de", "en,xx", "arabic"])
def test_a_language_not_shipped_is_refused_in_one_french_line(raw: str) -> None:
    with pytest.raises(SettingsError, match=r"LANGUAGES=.*invalide.*langues livrées : fr, en, ar, uk, tr, pt"):
        load({"LANGUAGES": raw}, env_file=None)


async def test_what_the_school_does_reaches_the_family_in_its_language_and_the_staff_in_french(bot: Harness) -> None:
    """A reset and an unlock are told to the family outside its own messages: in its language, not the secretary's."""
    await flows.with_account(bot)
    secretary = await bot.secretary()
    stranger = await bot.parent("Intrus")
    await flows.to_identifier(stranger)
    await stranger.send(flows.IDENTIFIER)
    for _ in range(5):
        await stranger.send("Mauvais-1")  # the account's lock now holds the family back too
    ukrainian = await bot.parent("Olena", language_code="uk")
    with using("uk"):
        await flows.to_cgu(ukrainian)
    await secretary.send("/debloquer jean.dupont12")
    assert "débloqué" in await secretary.text()  # the staff's words stay French
    told = await ukrainian.text()
    assert told.startswith(shown(in_language("uk", "UNLOCKED_PARENT"))) and CYRILLIC.search(told)
    await ukrainian.send(flows.PROVISIONAL)  # on to step 3, the account's
    await secretary.send("/reinitialiser jean.dupont12")
    assert "Réinitialiser le compte jean.dupont12" in await secretary.text()
    await secretary.click("✅ Oui, réinitialiser")
    told = await ukrainian.text()
    assert told == shown(in_language("uk", "ACCOUNT_RESET_NOTICE")) != shown(texts.ACCOUNT_RESET_NOTICE)


async def test_a_staff_member_whose_telegram_is_in_arabic_reads_the_staff_tools_in_french(bot: Harness) -> None:
    """The staff side stays French: a secretary's own app language changes nothing of what they read."""
    from tests.conftest import STAFF_ID

    await flows.with_account(bot)
    secretary = await bot.sandbox.person("Samira", user_id=STAFF_ID, language_code="ar")
    await secretary.send("/compte jean.dupont12")
    card = await secretary.text()
    assert "jean.dupont12" in card and "Verrou : aucun" in card and not ARABIC.search(card)
    await secretary.send("/stats")
    assert not ARABIC.search(await secretary.all_text())
