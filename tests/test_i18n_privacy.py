"""The family's data and rights in its language: /confidentialite, /mesdonnees and erasing; the DPO's register French."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

from conversations import texts
from i18n import LOCALES, SHIPPED, SOURCE, latin_outside_isolates, using
from sandbox.driver import Person
from sandbox.server import SandboxServer
from storage.privacy import Retention
from storage.tickets import NewMessage
from tests.conftest import CONTACT, Harness, running_bot
from tests.test_privacy import entbot

TRANSLATED = tuple(language for language in SHIPPED if language != SOURCE)


async def parent_in(bot: Harness, language: str, first_name: str = "Amina") -> Person:
    """A parent who reads `language`: the one place a test's parent gets its language (its Telegram app's)."""
    return await bot.parent(first_name, language_code=language)


def _plain(html: str) -> str:
    """What a parent reads of a text written in HTML (the sandbox gives messages without their tags)."""
    return re.sub(r"<[^>]*>", "", html).replace("&#x27;", "'").replace("&amp;", "&")


def _french_sentences(text: str) -> list[str]:
    """The sentences of a French text long enough to be recognised if they were left untranslated."""
    return [s.strip() for s in re.split(r"[.\n:;]", _plain(text)) if len(s.strip()) > 25]


def _french_left(french: str, seen: str) -> list[str]:
    """The French sentences of `french` still in what the parent saw (a name or an address aside)."""
    return [s for s in _french_sentences(french) if s in seen and not s.startswith(("Collège", "ce."))]


async def _hold_something(bot: Harness, parent: Person) -> None:
    """A parent midway through the activation, subscribed to the announcements, with one request to the school."""
    await bot.store.progress.start(parent.user_id, "identifier")
    await bot.store.subscribers.subscribe(parent.user_id, parent.first_name)
    await bot.store.tickets.submit(parent.user_id, parent.first_name, None, None, "contexte", True,
                                   NewMessage("text", "Bonjour, je bloque"), None)


# -- /confidentialite and /mesdonnees in Portuguese, with the retentions of the settings -----------------------------


async def test_a_portuguese_parent_reads_the_notice_and_its_data_in_portuguese_with_the_settings_durations(
        sandbox_server: SandboxServer, tmp_path: Path) -> None:
    async with running_bot(sandbox_server, tmp_path, progress_retention_days=10, tickets_retention_days=60,
                           audit_retention_days=730, unsubscribed_retention_days=3) as bot:
        parent = await parent_in(bot, "pt")
        await parent.send("/confidentialite")
        notice = await parent.text()
        # The durations come from the settings, said in Portuguese with their plurals.
        assert "10 dias após o último passo" in notice and "30 dias após o último passo" not in notice
        assert "60 dias após o seu encerramento" in notice and "2 anos" in notice
        assert "enquanto estiver subscrito, depois 3 dias após o cancelamento da subscrição" in notice
        assert "Os seus dados pessoais" in notice and "Os seus direitos" in notice and "/mesdonnees" in notice
        assert "O Telegram transporta as mensagens" in notice and "cnil.fr/plaintes" in notice
        assert bot.settings.school_name in notice and CONTACT in notice
        french = texts.privacy_notice(bot.settings.school_name, CONTACT, bot.settings.school_postal_address,
                                      bot.settings.dpo_contact, bot.settings.retention)
        assert "10 jours après la dernière étape" in french  # the French of the same settings, to compare with
        assert _french_left(french, notice) == []
        assert len(notice) < 4096

        await _hold_something(bot, parent)
        await parent.send("/mesdonnees")
        shown = await parent.last()
        assert shown.text.startswith("🔒 O que guardo sobre si")
        assert "Ativação em curso" in shown.text and "Avisos: subscritos desde" in shown.text
        assert "Pedido n.º 1: aberto em" in shown.text and "1 mensagem." in shown.text
        assert "Combien de temps" not in shown.text and "Ce que je garde" not in shown.text
        assert shown.button_texts == ["🗑 Apagar os meus dados"]

        # The same bot, a French parent: the French texts, unchanged.
        french_parent = await parent_in(bot, "fr", "Marc")
        await french_parent.send("/confidentialite")
        seen = await french_parent.text()
        assert "10 jours après la dernière étape" in seen and "2 ans" in seen and "60 jours après leur clôture" in seen
        assert seen == _plain(french)
        await _hold_something(bot, french_parent)
        await french_parent.send("/mesdonnees")
        assert "Ce que je garde sur vous" in await french_parent.text()
        assert (await french_parent.last()).button_texts == [texts.MY_DATA_ERASE_BUTTON] == ["🗑 Effacer mes données"]


# -- erasing in Arabic, through the translated buttons ----------------------------------------------------------------


async def test_an_arabic_parent_erases_its_data_through_the_arabic_buttons(bot: Harness) -> None:
    parent = await parent_in(bot, "ar")
    await _hold_something(bot, parent)
    await parent.send("/mesdonnees")
    shown = await parent.last()
    assert shown.text.startswith("🔒 ما أحتفظ به عنك") and latin_outside_isolates(shown.text) == []
    assert shown.button_texts == ["🗑 محو بياناتي"]

    await parent.click("🗑 محو بياناتي")
    confirm = await parent.last()
    assert confirm.text.startswith("⚠️ هل تريد محو بياناتك؟") and latin_outside_isolates(confirm.text) == []
    assert "\u2068Telegram\u2069" in confirm.text and "\u2068ENT\u2069" in confirm.text  # in their own order
    assert confirm.button_texts == ["🗑 نعم، امحُ كل شيء", "↩ لا، احتفظ بها"]
    assert await bot.store.subscribers.is_active(parent.user_id)  # nothing erased before the family confirms

    await parent.click("🗑 نعم، امحُ كل شيء")
    done = await parent.text()
    assert done.startswith("🗑 تمّ ذلك.") and "اشتراكك في الإعلانات" in done and "/confidentialite" in done
    assert latin_outside_isolates(done) == []
    assert "C'est fait" not in done and "Conservé" not in done
    assert not await bot.store.subscribers.is_active(parent.user_id)
    # What staff read of the erased request stays French, as they wrote it in their language.
    assert [m.text for m in await bot.store.tickets.messages(1)] == [texts.ERASED_CONTENT]
    assert texts.ERASED_CONTENT == "effacé à la demande de la famille"

    await parent.send("/mesdonnees")
    assert (await parent.text()).startswith("🔒 لا أحتفظ بأي شيء عنك")


async def test_a_turkish_parent_who_keeps_its_data_reads_so_in_turkish(bot: Harness) -> None:
    parent = await parent_in(bot, "tr")
    await _hold_something(bot, parent)
    await parent.send("/mesdonnees")
    await parent.click("🗑 Verilerimi sil")
    await parent.click("↩ Hayır, sakla")
    assert (await parent.text()).startswith("Hiçbir şey silinmedi.")
    assert await bot.store.subscribers.is_active(parent.user_id)


async def test_the_arabic_notice_isolates_every_latin_fragment(bot: Harness) -> None:
    parent = await parent_in(bot, "ar")
    await parent.send("/confidentialite")
    notice = await parent.text()
    assert notice.startswith("🔒 بياناتك الشخصية") and latin_outside_isolates(notice) == []
    for fragment in (CONTACT, bot.settings.school_name, "telegram.org/privacy", "/mesdonnees", "cnil.fr/plaintes"):
        assert re.search("\u2068[^\u2069]*" + re.escape(fragment), notice), fragment
    assert "\u2068\u2068\u206830\u2069 يومًا\u2069 بعد آخر خطوة\u2069" in notice  # 30 days, Arabic plural for 11-99


# -- the texts themselves, in every language ------------------------------------------------------------------------


def test_durations_take_each_language_s_plural_forms() -> None:
    with using("uk"):
        assert [texts.duration(d) for d in (1, 2, 5, 21, 365, 730, 1825)] == [
            "1 день", "2 дні", "5 днів", "21 день", "1 рік", "2 роки", "5 років"]
    with using("pt"):
        assert [texts.duration(d) for d in (0, 1, 30, 365)] == ["até à noite seguinte", "1 dia", "30 dias", "1 ano"]
    with using("ar"):
        assert "سنتان" in texts.duration(730) and "أيام" in texts.duration(3) and "يومًا" in texts.duration(30)
    assert [texts.duration(d) for d in (0, 1, 30, 365, 730)] == [
        "jusqu'à la nuit suivante", "1 jour", "30 jours", "1 an", "2 ans"]


def test_the_command_menu_s_privacy_descriptions_follow_the_language() -> None:
    french = texts.privacy_commands()
    assert french == {"mesdonnees": "Mes données : voir ou effacer", "confidentialite": "Protection de mes données"}
    for language in TRANSLATED:
        with using(language):
            described = texts.privacy_commands()
        assert list(described) == list(french), language  # the commands themselves are never translated
        assert all(described[name] != french[name] and 0 < len(described[name]) <= 256 for name in french), language


def test_each_language_s_retention_list_is_the_register_s_list() -> None:
    """One list: the family's notice and the DPO's register name the same items, in the same order."""
    r = Retention(progress_days=7, unsubscribed_days=10)
    register = texts.retention_items(r, family=False)
    for language in TRANSLATED:
        with using(language):
            family = texts.retention_items(r)
        assert len(family) == len(register), language
        assert [how for _, how in family] != [how for _, how in register], language  # translated
        assert all("7" in how for _, how in family[:1]), language


def test_the_register_is_french_whatever_the_language_at_hand() -> None:
    args = ("Collège Léonard de Vinci", CONTACT, None, None, Retention(progress_days=12), "sqlite", None, True,
            False, "08/12/2026")
    french = texts.register(*args)
    assert "| une activation, un mot de passe oublié ou un test de connexion laissés en cours (identifiant tapé, " \
           "étape, adresse électronique si la famille l'a donnée) | 12 jours après la dernière étape |" in french
    for language in TRANSLATED:
        with using(language):
            assert texts.register(*args) == french, language
            # What staff read when a family erases, in their group and in the database: French too.
            assert texts.TICKET_ERASED_IN_GROUP.startswith("🗑 Demande n°{ticket_id} : effacée"), language
            assert texts.ERASED_CONTENT == "effacé à la demande de la famille", language


def test_entbot_privacy_register_stays_french(tmp_path: Path) -> None:
    result = entbot(tmp_path, "privacy", "register", SCHOOL_NAME="Collège Léonard de Vinci",
                    PROGRESS_RETENTION_DAYS="12", AUDIT_RETENTION_DAYS="730")
    assert result.returncode == 0, result.stderr
    register = result.stdout
    assert register.startswith("# Registre des activités de traitement")
    assert "| 12 jours après la dernière étape |" in register and "| 2 ans |" in register
    assert "tant que le parent est abonné, puis effacé la nuit suivante" in register
    # Not one translation of the privacy catalog in it.
    for language in TRANSLATED:
        with (LOCALES / language / "LC_MESSAGES" / "privacy.po").open("rb") as po:
            catalog = read_po(po, locale=language)
        for message in catalog:
            strings: list[str] = ([*message.string] if isinstance(message.string, (tuple, list))
                                  else [message.string or ""])
            for string in strings:
                words = re.sub(r"\{[^{}]*\}|<[^>]*>", "", string).strip(" •:.;,()")
                if message.id and len(words) > 12:
                    assert words not in register, (language, words)
