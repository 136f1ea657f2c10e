"""The secure form in the family's language: its page (in a real Chromium), its refusals and its button in the chat,
for a family whose language is not French; French families' form unchanged."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import aiohttp
import pytest
from babel.messages.pofile import read_po
from playwright.async_api import Browser, expect

from conversations import form_texts
from i18n import LOCALES, SHIPPED, latin_outside_isolates, using
from sandbox.driver import Person
from tests import flows
from tests.browser import WAIT
from tests.conftest import ROOT, Harness
from tests.form_helpers import FormClient, signed, token_of
from tests.test_form_browser import FormPage, open_form

# Letters, digits and the punctuation a bidirectional page would move around if the field took the page's direction.
PASSWORD = "Vert-42:Ciel!"


async def family(fbot: Harness, language: str, first_name: str = "Amina") -> Person:
    """A parent who reads `language`: the ONE place a test family's language is set (today its Telegram app's
    language_code, which the bot follows when the family has chosen none)."""
    return await fbot.parent(first_name, language_code=language)


def translated(language: str, name: str) -> str:
    """A form text as the family reads it."""
    with using(language):
        text: str = getattr(form_texts, name)
    return text


def refusal(language: str, code: str) -> str:
    with using(language):
        return form_texts.refused(code)


def french_sentences() -> list[str]:
    """Every French text of the form's catalog (its .pot), placeholders cut out: none may show on a translated page."""
    with (LOCALES / "form.pot").open("rb") as fp:
        catalog = read_po(fp)
    found = []
    for message in catalog:
        for msgid in (message.id if isinstance(message.id, tuple) else (message.id,)):
            found += [piece for piece in re.split(r"\{[^}]*\}", msgid) if len(piece.strip()) > 3]
    return found


async def press(person: Person, data: str) -> None:
    """Presses the button carrying `data` on the bot's latest message that has one: the same in every language."""
    for message in reversed(await person.messages()):
        if any(button.get("callback_data") == data for row in message.buttons for button in row):
            await person.click_data(message.message_id, data)
            return
    raise AssertionError(f"no button {data} in the chat")


async def form_link(person: Person) -> tuple[str, str]:
    """The label and the web_app URL of the form's button on the bot's latest message showing one."""
    for message in reversed(await person.messages()):
        for row in message.buttons:
            for button in row:
                if "web_app" in button:
                    return str(button["text"]), str(button["web_app"]["url"])
    raise AssertionError("no secure form button in the chat")


async def at_provisional(person: Person) -> None:
    """From /start to the provisional password's prompt by the buttons' data, whatever language their labels are in."""
    await person.send("/start")
    await press(person, "menu:activate")
    await press(person, "profile:parent")
    await person.send(flows.IDENTIFIER)


async def fetch_page(url: str) -> str:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        return await response.text()


async def title_edges(page: FormPage) -> dict[str, float]:
    """Where the title's words start and end, and where the page's column is (so which side the text sits on)."""
    edges: dict[str, float] = await page.page.evaluate("""() => {
        const range = document.createRange();
        range.selectNodeContents(document.getElementById("title"));
        const text = range.getBoundingClientRect();
        const column = document.querySelector("main").getBoundingClientRect();
        return { left: text.left, right: text.right, main_left: column.left, main_right: column.right };
    }""")
    return edges


async def test_an_arabic_familys_page_is_right_to_left_arabic_and_takes_its_password_as_typed(
        browser: Browser, fbot: Harness, tmp_path: Path) -> None:
    parent = await family(fbot, "ar")
    await at_provisional(parent)
    label, url = await form_link(parent)
    assert label == translated("ar", "BUTTON") != form_texts.BUTTON
    prompt = await parent.last()
    assert translated("ar", "HINT").split("<b>")[1].split("</b>")[0] in prompt.text  # « أكثر أمانًا »

    page = await open_form(browser, url, signed(parent), width=360)
    html = page.page.locator("html")
    await expect(html).to_have_attribute("lang", "ar")
    await expect(html).to_have_attribute("dir", "rtl")
    await expect(page.page.locator("#title")).to_have_text(translated("ar", "PROVISIONAL_TITLE"), timeout=WAIT)
    field = page.page.locator("#f-value")
    await field.press_sequentially(flows.PROVISIONAL)
    assert await field.input_value() == flows.PROVISIONAL
    await page.send()
    await page.closed()  # answered once the step took it: the provisional password, exactly as typed
    assert (await fbot.store.progress.get(parent.user_id)).step == "cgu"  # type: ignore[union-attr]

    # On to the new password by the buttons' data: the CGU, no e-mail, two questions answered in the chat.
    await press(parent, "cgu:accept")
    await press(parent, "email:skip")
    await press(parent, "q1:07")
    await parent.send(flows.ANSWER1)
    await press(parent, "q2:03")
    await parent.send(flows.ANSWER2)
    label, url = await form_link(parent)
    assert label == translated("ar", "BUTTON")

    page = await open_form(browser, url, signed(parent), width=360)
    await expect(page.page.locator("#title")).to_have_text(translated("ar", "PASSWORD_TITLE"), timeout=WAIT)
    body = await page.page.locator("main").inner_text()
    for french in french_sentences():
        assert french not in body, french
    assert latin_outside_isolates(body) == [], body  # every Latin fragment (ENT, the rule's numbers) set apart
    with using("ar"):
        assert form_texts.rule_length(8) in body and form_texts.rule_kinds(3) in body

    # Mirrored: the title's words sit on the right of the column, the eye left of its field; the fields of
    # secrets keep their own left-to-right order.
    edges = await title_edges(page)
    assert abs(edges["right"] - (edges["main_right"] - 14)) < 2 and edges["left"] > edges["main_left"] + 20, edges
    eye = await page.page.locator(".eye").first.bounding_box()
    box = await page.page.locator("#f-value").bounding_box()
    assert eye is not None and box is not None and eye["x"] + eye["width"] <= box["x"], (eye, box)
    for name in ("value", "confirm"):
        assert await page.page.locator(f"#f-{name}").evaluate("e => getComputedStyle(e).direction") == "ltr"
    assert await page.page.locator("body").evaluate("e => getComputedStyle(e).direction") == "rtl"

    await page.page.locator("#f-value").press_sequentially(PASSWORD)
    await page.page.locator("#f-confirm").press_sequentially(PASSWORD)
    await page.page.locator(".eye").first.click()  # shown, as a parent checks it: the picture shows it in order
    assert await page.page.locator("#f-value").input_value() == PASSWORD
    await expect(page.page.locator("#rule [data-rule=kinds]")).to_have_class("ok")
    await page.shot(tmp_path / "form-ar.png")
    if os.environ.get("FORM_AR_SCREENSHOT"):  # to look at it: FORM_AR_SCREENSHOT=/tmp/form-ar.png
        shutil.copyfile(tmp_path / "form-ar.png", ROOT / os.environ["FORM_AR_SCREENSHOT"])
    await page.send()
    await page.closed()  # answered once the dialogue took the password and its confirmation
    assert page.errors == []

    account = await fbot.store.accounts.find(flows.IDENTIFIER)
    assert account is not None and account.state == "active"
    assert await fbot.store.accounts.check_password(account, PASSWORD)  # byte for byte
    assert not await fbot.store.accounts.check_password(account, PASSWORD[::-1])
    chat = " ".join(m.text for m in await parent.messages())
    assert PASSWORD not in chat and flows.PROVISIONAL not in chat


async def test_a_ukrainian_familys_refusals_are_in_ukrainian(browser: Browser, fbot: Harness, client: FormClient) -> None:
    parent = await family(fbot, "uk")
    await at_provisional(parent)
    _, url = await form_link(parent)

    # Through the page's calls: a value the step refuses, one too long, then a link already spent.
    status, answer = await client.submit(token_of(url), signed(parent), value="pas-le-bon-1")
    assert (status, answer["ok"]) == (200, False)
    assert answer["message"].startswith(translated("uk", "STEP_REFUSED") + "\n\n")
    status, opened = await client.open(token_of(url), signed(parent))  # the refused link is renewed for its owner
    assert status == 200 and opened["page"]["title"] == translated("uk", "PROVISIONAL_TITLE")
    token = opened["token"]
    status, answer = await client.submit(token, signed(parent), value="x" * 5000)
    assert (status, answer["message"]) == (400, refusal("uk", "too_big"))
    status, answer = await client.submit(token, signed(parent), value=flows.PROVISIONAL)
    assert answer == {"ok": True, "message": translated("uk", "DONE")}
    status, again = await client.submit(token, signed(parent), value=flows.PROVISIONAL)
    assert (status, again["message"]) == (409, refusal("uk", "spent"))
    assert refusal("uk", "spent") != form_texts.refused("spent")

    # On the page, in Chromium: that link again, with a signature that is not Telegram's.
    page = await open_form(browser, url.split("?")[0] + "?t=" + token, signed(parent, token="123456789:not-this-bots-token"))
    await expect(page.page.locator("html")).to_have_attribute("lang", "uk")
    await expect(page.page.locator("html")).to_have_attribute("dir", "ltr")
    await page.says(refusal("uk", "not_signed"))
    assert refusal("uk", "not_signed") != form_texts.refused("not_signed")
    assert await page.page.locator(".footer").inner_text() == translated("uk", "FOOTER")


async def test_a_stranger_reads_the_refusal_in_their_own_language(fbot: Harness, client: FormClient) -> None:
    owner = await family(fbot, "ar")
    await at_provisional(owner)
    stranger = await family(fbot, "tr", "Intrus")
    await at_provisional(stranger)  # the stranger's own link is Turkish
    _, url = await form_link(owner)
    status, answer = await client.open(token_of(url), signed(stranger))
    assert (status, answer["message"]) == (403, refusal("tr", "other_user"))


async def test_a_page_opened_after_a_change_of_language_speaks_the_new_one(fbot: Harness, client: FormClient) -> None:
    parent = await family(fbot, "uk")
    await at_provisional(parent)
    _, url = await form_link(parent)  # made while the family read Ukrainian
    await parent.send("/langue")
    await press(parent, "lang:set:pt")
    html = await fetch_page(url)
    assert '<html lang="pt" dir="ltr">' in html and translated("pt", "FOOTER") in html
    status, opened = await client.open(token_of(url), signed(parent))
    assert status == 200 and opened["page"]["title"] == translated("pt", "PROVISIONAL_TITLE")
    status, answer = await client.submit(opened["token"], signed(parent), value=flows.PROVISIONAL)
    assert answer == {"ok": True, "message": translated("pt", "DONE")}


@pytest.mark.parametrize("language", [code for code in SHIPPED if code != "fr"])
async def test_each_language_gets_its_page(fbot: Harness, client: FormClient, language: str) -> None:
    parent = await family(fbot, language)
    await at_provisional(parent)
    label, url = await form_link(parent)
    assert label == translated(language, "BUTTON")
    html = await fetch_page(url)
    direction = "rtl" if language == "ar" else "ltr"
    assert f'<html lang="{language}" dir="{direction}">' in html
    assert f"<title>{translated(language, 'PAGE_TITLE')}</title>" in html
    status, opened = await client.open(token_of(url), signed(parent))
    assert status == 200
    assert (opened["page"]["title"], opened["page"]["fields"][0]["label"]) == (
        translated(language, "PROVISIONAL_TITLE"), translated(language, "PROVISIONAL_LABEL"))
    assert opened["page"]["fields"][0]["direction"] == "ltr"


async def test_french_families_form_is_unchanged(browser: Browser, fbot: Harness, client: FormClient) -> None:
    parent = await family(fbot, "fr")
    await at_provisional(parent)
    label, url = await form_link(parent)
    assert label == "🔒 Saisir dans le formulaire sécurisé"
    assert "🛡 Plus sûr : touchez « Saisir dans le formulaire sécurisé »." in (await parent.last()).text
    page = await open_form(browser, url, signed(parent))
    await expect(page.page.locator("html")).to_have_attribute("lang", "fr")
    await expect(page.page.locator("html")).to_have_attribute("dir", "ltr")
    await expect(page.page.locator("#title")).to_have_text("Mot de passe provisoire", timeout=WAIT)
    edges = await title_edges(page)
    assert abs(edges["left"] - (edges["main_left"] + 14)) < 2, edges  # the French page reads from the left
    eye = await page.page.locator(".eye").bounding_box()
    box = await page.page.locator("#f-value").bounding_box()
    assert eye is not None and box is not None and eye["x"] >= box["x"] + box["width"]
    status, answer = await client.open(token_of(url), signed(parent, token="123456789:not-this-bots-token"))
    assert (status, answer["message"]) == (401, "Telegram n'a pas pu confirmer qui ouvre ce formulaire. Fermez-le et "
                                                "rouvrez-le depuis la conversation avec le bot.")


def test_every_form_text_in_arabic_keeps_its_latin_fragments_isolated() -> None:
    """The chat's button and hint, the privacy note and every line of the page: Telegram, ENT and the numbers set
    apart in Arabic, and each text really translated."""
    with (LOCALES / "form.pot").open("rb") as fp:
        msgids = [message.id for message in read_po(fp) if message.id]
    shown = []
    with using("ar"):
        for msgid in msgids:
            if isinstance(msgid, tuple):
                shown += [form_texts.ngettext(*msgid, n).format(min_length=n, min_kinds=n) for n in (0, 1, 2, 3, 8, 11, 100)]
            else:
                shown.append(form_texts.CATALOG.gettext(msgid))
                assert shown[-1] != msgid, msgid
    for text in shown:
        assert latin_outside_isolates(text) == [], text
