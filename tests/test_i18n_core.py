"""The shared texts, the menu and the recovery flows in a family's language, as parents of each language see them."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape
from typing import TypeVar

from conversations import texts
from i18n import FSI, PDI, SHIPPED, latin_outside_isolates, using
from sandbox.driver import Person
from tests import flows
from tests.conftest import Harness
from tests.smtp import SmtpServer
from tests.test_mail_codes import ADDRESS, activate_with_address, code_in

T = TypeVar("T")


async def parent_in(bot: Harness, language: str, first_name: str = "Amina") -> Person:
    """A parent who reads `language`: their Telegram app's language, which the bot takes on their first /start.
    (The one place a test's family gets its language: the lead's stored choice may set it here instead.)"""
    return await bot.parent(first_name, language_code=language)


def read_in(language: str, read: Callable[[], T]) -> T:
    """What the bot's catalogs say in `language`: a button to press, a word to find."""
    with using(language):
        return read()


# Words of French sentences: none is left in a translated message once the ENT's quoted French words (« … ») and
# a secret question's French original are set aside.
FRENCH = re.compile(r"\b(vous|votre|vos|pour|avec|dans|les|des|une|sur|puis|touchez|tapez|choisissez|mot de passe|"
                    r"identifiant|réponse|question)\b", re.IGNORECASE)


def french_left(text: str) -> list[str]:
    bare = re.sub(r"«[^»]*»", "", text)
    return FRENCH.findall(bare)


def ours(text: str) -> str:
    """A message without the line the privacy flow adds under a first welcome (its own texts, its own tests)."""
    return text.split("\n\n🔒", 1)[0]


def cyrillic_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum("\u0400" <= c <= "\u04ff" for c in letters) / len(letters)


async def test_a_ukrainian_parent_reads_the_menu_help_and_login_guide_in_ukrainian(bot: Harness) -> None:
    parent = await parent_in(bot, "uk")
    await parent.send("/start")
    welcome = await parent.last()
    assert welcome.text.startswith("Вітаю, Amina 👋") and "Collège Léonard de Vinci" in welcome.text
    assert french_left(ours(welcome.text)) == [] and cyrillic_share(ours(welcome.text)) > 0.6, welcome.text
    buttons = welcome.button_texts
    assert read_in("uk", lambda: texts.MENU_LOGIN) in buttons and "🔐 Як увійти" in buttons
    assert not {texts.MENU_ACTIVATE, texts.MENU_FORGOT, texts.MENU_TEST, texts.MENU_LOGIN} & set(buttons)  # French

    await parent.click("🔐 Як увійти")
    guide = await parent.text()
    # The ENT's own words stay French, quoted, so that the parent can match its screens; the bot's buttons by name.
    for ent_word in ("« Se connecter »", "« Élève ou parent »", "« CONNEXION »", "ÉduConnect"):
        assert ent_word in guide
    assert bot.settings.schools.first.ent_url in guide
    assert "« Перевірити вхід »" in guide and "« Забули пароль »" in guide
    assert french_left(guide) == [] and cyrillic_share(guide) > 0.5, guide
    assert (await parent.last()).button_texts[-1] == "↩ Назад"

    await parent.send("/aide")
    help_text = await parent.text()
    assert help_text.startswith("Допомога") and "/start" in help_text and "/annuler" in help_text
    assert french_left(help_text) == [] and cyrillic_share(help_text) > 0.5, help_text


async def test_an_arabic_parent_recovers_a_password_in_arabic_its_latin_inside_isolates(bot: Harness) -> None:
    await flows.with_account(bot)
    await flows.activate(await bot.parent("Jean"))  # the account, activated in French on another phone
    parent = await parent_in(bot, "ar")
    await parent.send("/start")
    forgot = read_in("ar", lambda: texts.MENU_FORGOT)
    assert forgot == "🔓 نسيت كلمة المرور" and forgot in (await parent.last()).button_texts
    await parent.click(forgot)
    seen = [await parent.text()]
    await parent.send(flows.IDENTIFIER)
    first = await parent.text()
    seen.append(first)
    # Its identifier set apart, and question 7 in Arabic with the French the ENT shows under it, set apart too.
    assert f"{FSI}{flows.IDENTIFIER}{PDI}" in first
    assert read_in("ar", lambda: texts.question_button(7)) in first
    assert f"« {FSI}{texts.question(7)}{PDI} »" in first
    first_answer = await parent.send(flows.ANSWER1)
    second = await parent.text()
    seen.append(second)
    assert f"« {FSI}{texts.question(14)}{PDI} »" in second and "السؤال السري" in second
    second_answer = await parent.send(flows.ANSWER2)
    rule = await parent.text()
    assert rule.startswith("✅ الإجابات صحيحة.") and "كلمة مرور جديدة" in rule
    typed = [await parent.send(flows.NEW_PASSWORD), await parent.send(flows.NEW_PASSWORD)]
    changed = await parent.text()
    seen.append(changed)
    assert "تم تغيير كلمة المرور" in changed and f"{FSI}{flows.IDENTIFIER}{PDI}" in changed

    # The login test, in Arabic too, with the ENT's French words quoted.
    await parent.send("/start")
    await parent.click("🔎 اختبار تسجيل الدخول")
    seen.append(await parent.text())
    await parent.send(flows.IDENTIFIER)
    seen.append(await parent.text())
    typed.append(await parent.send(flows.NEW_PASSWORD))
    ok = await parent.text()
    seen.append(ok)
    assert "اسم المستخدم وكلمة المرور صحيحان" in ok
    assert f"« {FSI}Se connecter{PDI} »" in ok and f"« {FSI}Élève ou parent{PDI} »" in ok

    for text in seen:
        assert latin_outside_isolates(text) == [], text  # no Latin fragment breaks the right-to-left line
        without_questions = text.replace(texts.question(7), "").replace(texts.question(14), "")
        assert french_left(without_questions) == [], text
    # The answers and passwords typed were deleted and never shown back.
    assert {first_answer, second_answer, *typed} <= set(await parent.deleted_ids())
    everything = await parent.all_text()
    assert flows.NEW_PASSWORD not in everything and flows.ANSWER2 not in everything


async def test_a_french_parent_reads_what_it_always_read(bot: Harness, parent: Person) -> None:
    await parent.send("/start")
    welcome = await parent.last()
    assert welcome.text.startswith("Bonjour Amina 👋\n\nJe suis l'assistant ENT du Collège Léonard de Vinci.")
    assert welcome.button_texts[:6] == ["🔑 Activer mon compte", "♻️ Mon compte a été réinitialisé",
                                        "🔓 Mot de passe oublié", "🔎 Tester ma connexion", "🔐 Comment me connecter",
                                        "🧭 Découvrir les services de l'ENT"]
    await parent.click("🔐 Comment me connecter")
    assert "1. Ouvrez " in await parent.text() and "touchez « Se connecter »." in await parent.text()
    await flows.activate(parent)
    await flows.to_first_question(parent)
    question = await parent.text()
    # The French question alone: no translation above it, no quoted copy under it.
    assert "\n\nQuel était votre premier numéro de téléphone ?\n\nTapez votre réponse" in question
    assert "«" not in question and FSI not in question


async def test_a_turkish_parent_is_told_what_is_expected_in_turkish(bot: Harness) -> None:
    turkish = await parent_in(bot, "tr", "Elif")
    await turkish.send("/start")
    await turkish.click(read_in("tr", lambda: texts.MENU_FORGOT))
    assert "Şifremi unuttum" in await turkish.text()
    await turkish.send("deux mots")  # not an identifier: deleted, and the rule told with its limit
    refused = await turkish.text()
    assert "kullanıcı adı olamaz" in refused and re.search(r"en fazla \d+ karakter", refused)
    await turkish.send_photo()
    assert await turkish.text() == read_in("tr", lambda: texts.expects_recovery("forgot_identifier"))
    assert "klavyeyle yazmanızı bekliyorum" in await turkish.text()
    for text in [m.text for m in await turkish.messages() if m.from_bot]:
        assert french_left(ours(text)) == [], text


async def test_a_portuguese_family_gets_its_code_mail_in_portuguese(mail_bot: Harness, smtp: SmtpServer) -> None:
    await flows.with_account(mail_bot)
    await activate_with_address(mail_bot, smtp, flows.ACCOUNT, ADDRESS)  # a confirmed address: the way back
    parent = await parent_in(mail_bot, "pt", "Inês")
    await parent.send("/start")
    await parent.click("🔓 Esqueci-me da palavra-passe")
    before = len(smtp.received)
    await parent.send(flows.IDENTIFIER)
    told = await parent.text()
    assert "código de 6 algarismos" in told and "f•••@exemple.fr" in told and french_left(told) == []
    mail = (await smtp.wait_for(before + 1))[-1]
    body = str(mail.get_content())
    assert mail["Subject"] == "O seu código para mudar a palavra-passe do ENT"
    assert body.startswith("Olá,") and "Collège Léonard de Vinci" in body and "15 minutos" in body
    assert french_left(body) == [], body
    await parent.send(code_in(body))
    assert (await parent.text()).startswith("✅ Código correto.")


def test_the_command_menu_and_the_questions_are_translated_in_every_shipped_language() -> None:
    french = texts.commands()
    assert french == {"start": "Menu principal", "aide": "Aide et contact du collège",
                      "annuler": "Mettre en pause ce que je fais"}
    for language in SHIPPED:
        if language == "fr":
            continue
        described = read_in(language, texts.commands)
        assert described.keys() == french.keys()  # the commands themselves are not translated
        assert all(0 < len(d) <= 256 for d in described.values()) and described["aide"] != french["aide"]
        for number in range(1, texts.QUESTION_COUNT + 1):
            french_question = texts.question(number)
            with using(language):
                button, shown = texts.question_button(number), texts.question_shown(number)
            assert button != french_question and len(button) <= max(40, len(french_question))
            translated, _, under = shown.partition("\n")
            assert translated == f"<b>{escape(button)}</b>" and escape(french_question) in under
