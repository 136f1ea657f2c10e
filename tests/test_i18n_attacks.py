"""The families' languages under attack: what staff read stays theirs, a name reorders nothing, an erasure ends
what the bot remembers of a family's language."""

from __future__ import annotations

from datetime import timedelta

from conversations import texts
from conversations.texts import privacy as privacy_texts
from i18n import using
from sandbox.world import formatted_text
from tests import flows
from tests.conftest import Harness
from tests.test_helpdesk import header_of
from tests.test_i18n_desk import said


async def test_staff_read_the_ticket_context_in_french_for_an_arabic_family_in_recovery(bot: Harness) -> None:
    await flows.with_account(bot)
    jean = await bot.parent("Jean")
    await flows.activate(jean)
    secretary = await bot.secretary()
    group = await bot.staff_group(secretary)
    amina = await bot.parent("Amina", language_code="ar")
    await amina.send("/start")
    await amina.click(said("ar", lambda: texts.MENU_FORGOT))
    await amina.send(flows.IDENTIFIER)
    await amina.send("/aide")
    await amina.click(said("ar", lambda: texts.MENU_WRITE))
    await amina.send("مرحبا")
    header = await header_of(group, 1)
    # Staff read French: « Où : dans la démarche « Mot de passe oublié » »
    assert "Où : dans la démarche « Mot de passe oublié »" in header.text


async def test_a_bidi_override_in_a_first_name_stays_inside_the_name_in_the_staff_header(bot: Harness) -> None:
    secretary = await bot.secretary()
    group = await bot.staff_group(secretary)
    mallory = await bot.parent("Ali\u202e", language_code="ar")
    await mallory.send("/start")
    await mallory.send("/aide")
    await mallory.click(said("ar", lambda: texts.MENU_WRITE))
    await mallory.send("bonjour")
    header = await header_of(group, 1)
    line = next(row for row in header.text.splitlines() if row.startswith("De :"))
    # An unterminated RLO in the name would reverse « (Telegram 1234…) (écrit en arabe) » as staff see it: it is gone.
    assert "\u202e" not in line and line.startswith("De : Ali (Telegram "), line
    amina = await bot.parent("أمينة", language_code="ar")
    await amina.send("/start")
    await amina.send("/aide")
    await amina.click(said("ar", lambda: texts.MENU_WRITE))
    await amina.send("مرحبا")
    line = next(row for row in (await header_of(group, 2)).text.splitlines() if row.startswith("De :"))
    # An Arabic name is set apart: « (Telegram <id>) » after it keeps its order in the staff's French line.
    assert line.startswith("De : \u2068أمينة\u2069 (Telegram "), line


async def test_an_erasure_by_the_shell_also_ends_the_language_the_running_bot_speaks(bot: Harness) -> None:
    """`entbot privacy erase` runs in another process: the bot's in-memory language of that family must not outlive it."""
    from storage.store import Store
    olena = await bot.parent("Olena", language_code="uk")
    await olena.send("/start")
    await olena.send("/langue")
    shown = [m for m in await olena.messages() if m.buttons][-1]
    await olena.click_data(shown.message_id, "lang:set:ar")
    assert await bot.store.languages.get(olena.user_id) == "ar"
    shell = Store(bot.settings.database, bot.clock)  # the shell's own process, as `entbot privacy erase` opens it
    await shell.open()
    try:
        await shell.privacy.erase(olena.user_id, texts.ERASED_CONTENT, "shell")
    finally:
        await shell.close()
    assert await bot.store.languages.get(olena.user_id) is None  # erased on disk
    bot.clock.advance(timedelta(minutes=6))  # what the running bot remembers lasts minutes, not more
    await olena.send("/aide")
    # The family's app is Ukrainian: after the erasure it reads Ukrainian (its stored choice is gone), not Arabic.
    reply = await olena.text()
    assert not any("\u0600" <= c <= "\u06ff" for c in reply), reply


async def test_an_erased_ticket_keeps_no_language(bot: Harness) -> None:
    olena = await bot.parent("Olena", language_code="uk")
    await olena.send("/start")
    await olena.send("/aide")
    await olena.click(said("uk", lambda: texts.MENU_WRITE))
    await olena.send("Добрий день")
    await olena.send("/mesdonnees")
    await olena.click(said("uk", lambda: texts.MY_DATA_ERASE_BUTTON))
    await olena.click(said("uk", lambda: texts.MY_DATA_ERASE_YES))
    [message] = await bot.store.tickets.messages(1)
    assert message.text == texts.ERASED_CONTENT
    assert message.language == "fr", message  # « écrit en ukrainien » would still say something of the family


async def test_a_language_button_forged_in_a_group_changes_nothing(bot: Harness) -> None:
    secretary = await bot.secretary()
    group = await bot.staff_group(secretary)
    await secretary.send("/stats", chat=group)
    message = (await group.messages())[-1]
    await secretary.click_data(message.message_id, "lang:set:ar", chat=group)
    assert await bot.store.languages.get(secretary.user_id) is None


async def test_my_data_stays_one_telegram_message_with_many_accounts_in_arabic(bot: Harness) -> None:
    """Arabic lines are the longest: a family with many linked accounts still gets its /mesdonnees (five listed, then
    a count), within Telegram's 4,096 characters."""
    long_ids = [f"{'a' * 50}.famille{n:02d}" for n in range(12)]
    await bot.import_accounts([{**flows.ACCOUNT, "identifiant": identifier, "nom": "Benali-Lefèvre-Dupont",
                                "prenom": "Anne-Sophie-Marguerite"} for identifier in long_ids])
    amina = await bot.parent("Amina", language_code="ar")
    await amina.send("/start")
    await bot.store.db.write("UPDATE accounts SET telegram_user_id = ?", (amina.user_id,))
    await amina.send("/mesdonnees")
    shown = await amina.text()
    assert len(shown) <= 4096
    assert sum(identifier in shown for identifier in long_ids) == 5
    with using("ar"):
        more = privacy_texts.ngettext("👤 … et {n} autre compte ENT lié.", "👤 … et {n} autres comptes ENT liés.", 7)
    assert formatted_text(more.format(n=7), "HTML")[0] in shown
