"""The secure form's page in a real Chromium (Debian's, headless), with a stand-in for Telegram's script that carries
correctly signed initData: what a parent sees and types there, and what an attacker gets."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

from PIL import Image
from playwright.async_api import Browser, Page, Route, expect

from conversations import form_texts
from sandbox.driver import Person
from tests import flows
from tests.browser import WAIT
from tests.conftest import ROOT, Harness
from tests.form_helpers import form_url, signed

TELEGRAM_JS = "https://telegram.org/js/telegram-web-app.js"


def telegram_double(init_data: str | None) -> str:
    """What stands in for telegram-web-app.js: Telegram.WebApp with this initData, the theme's colours set as
    Telegram's script sets them, and close() leaving a mark the test can see."""
    return f"""
window.Telegram = {{ WebApp: {{
  initData: {json.dumps(init_data or "")},
  themeParams: {{ bg_color: "#ffffff", text_color: "#222222", button_color: "#3390ec", button_text_color: "#ffffff" }},
  ready() {{}}, expand() {{}},
  close() {{ document.documentElement.dataset.closed = "yes"; }},
}} }};
for (const [name, value] of Object.entries(window.Telegram.WebApp.themeParams))
  document.documentElement.style.setProperty("--tg-theme-" + name.replace("_", "-"), value);
"""


class FormPage:
    """A tab on the form's page; JavaScript errors and CSP violations are collected and must be none."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        self.posts: list[tuple[str, str]] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        page.on("request", lambda r: self.posts.append((r.url, r.post_data or "")) if r.method == "POST" else None)

    async def fill(self, **values: str) -> None:
        for name, value in values.items():
            await self.page.fill(f"#f-{name}", value)

    async def send(self) -> None:
        await self.page.click("#send")

    async def closed(self) -> None:
        await expect(self.page.locator("html")).to_have_attribute("data-closed", "yes", timeout=WAIT)

    async def says(self, text: str) -> None:
        await expect(self.page.locator("#status")).to_contain_text(text, timeout=WAIT)

    async def shot(self, path: Path) -> None:
        not_blank(await self.page.screenshot(path=str(path), full_page=True))


async def open_form(browser: Browser, url: str, init_data: str | None, width: int = 320) -> FormPage:
    """The page as Telegram opens it on a phone; nothing leaves this machine but Telegram's script, answered here."""
    page = await browser.new_page(viewport={"width": width, "height": 640})
    made = FormPage(page)

    async def route(route: Route) -> None:
        if route.request.url == TELEGRAM_JS:
            if init_data is None:  # opened outside Telegram: the script is not there
                await route.fulfill(status=404, body="")
            else:
                await route.fulfill(status=200, content_type="text/javascript", body=telegram_double(init_data))
        elif route.request.url.startswith("http://127.0.0.1"):
            await route.continue_()
        else:
            await route.abort()

    await page.route("**/*", route)
    await page.goto(url)
    return made


def not_blank(png: bytes) -> None:
    """Text, fields and a button drawn: many colours, and a fair share of the pixels not the background's."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 100, len(colours)
    biggest = max(count for count, _ in colours)
    assert biggest < 0.97 * image.width * image.height


async def test_an_activation_whose_three_secrets_go_through_the_form(browser: Browser, fbot: Harness,
                                                                     tmp_path: Path) -> None:
    parent = await fbot.parent()
    await flows.to_identifier(parent)
    await parent.send(flows.IDENTIFIER)

    page = await open_form(browser, await form_url(parent), signed(parent))
    await expect(page.page.locator("#title")).to_have_text(form_texts.PROVISIONAL_TITLE, timeout=WAIT)
    field = page.page.locator("#f-value")
    assert (await field.get_attribute("type"), await field.get_attribute("autocomplete")) == ("password", "one-time-code")
    await page.fill(value=flows.PROVISIONAL)
    await page.page.click(".eye")  # the eye shows what was typed, and hides it again
    assert await field.get_attribute("type") == "text"
    await page.page.click(".eye")
    await page.shot(tmp_path / "provisional.png")
    await page.send()
    await page.closed()
    await parent.wait_for("Étape 3/6")
    assert page.errors == []

    await parent.click("✅ J'ai lu et j'accepte")
    await parent.click("⏭ Passer (recommandé)")
    await flows.choose_question(parent, 7)
    page = await open_form(browser, await form_url(parent), signed(parent))
    await expect(page.page.locator("#f-question")).to_have_value("7", timeout=WAIT)
    await page.fill(value=flows.ANSWER1)
    await page.shot(tmp_path / "answer1.png")
    await page.send()
    await page.closed()
    await parent.wait_for("Seconde question")

    await flows.choose_question(parent, 14)
    page = await open_form(browser, await form_url(parent), signed(parent))
    question = page.page.locator("#f-question")
    await expect(question).to_have_value("14", timeout=WAIT)
    assert await question.locator("option[value='7']").count() == 0  # the first choice is not offered again
    await question.select_option("3")  # another question, chosen in the page's list
    await page.fill(value=flows.ANSWER2)
    await page.send()
    await page.closed()
    await parent.wait_for("Étape 6/6")

    page = await open_form(browser, await form_url(parent), signed(parent))
    await expect(page.page.locator("#f-value")).to_have_attribute("autocomplete", "new-password", timeout=WAIT)
    rule = page.page.locator("#rule")
    await page.fill(value="court")
    await expect(rule.locator("[data-rule=length]")).not_to_have_class("ok")
    await page.fill(value=flows.PASSWORD, confirm=flows.PASSWORD)
    await expect(rule.locator("[data-rule=length]")).to_have_class("ok")
    await expect(rule.locator("[data-rule=kinds]")).to_have_class("ok")
    await page.shot(tmp_path / "password.png")
    if os.environ.get("FORM_SCREENSHOT"):  # the README's picture: FORM_SCREENSHOT=docs/form.png
        shutil.copyfile(tmp_path / "password.png", ROOT / os.environ["FORM_SCREENSHOT"])
    await page.fill(confirm="pas-pareil")
    await page.send()
    await page.says(form_texts.MISMATCH)  # checked on the page: nothing was sent
    await page.fill(confirm=flows.PASSWORD)
    await expect(page.page.locator("#status")).to_have_text("")  # typing again clears the error
    await page.send()
    await page.closed()
    await parent.wait_for("Compte activé")
    assert page.errors == []

    account = await fbot.store.accounts.find(flows.IDENTIFIER)
    assert account is not None and account.state == "active"
    assert await fbot.store.accounts.check_password(account, flows.PASSWORD)
    credentials = await fbot.store.accounts.credentials(account.id)
    assert credentials is not None and (credentials.question1, credentials.question2) == (7, 3)
    chat = " ".join(m.text for m in await parent.messages())
    for secret in (flows.PROVISIONAL, flows.ANSWER1, flows.ANSWER2, flows.PASSWORD):
        assert secret not in chat


async def at_provisional(fbot: Harness) -> tuple[Person, str]:
    parent = await fbot.parent()
    await flows.to_identifier(parent)
    await parent.send(flows.IDENTIFIER)
    return parent, await form_url(parent)


async def test_a_forged_init_data_is_refused_on_the_page(browser: Browser, fbot: Harness, tmp_path: Path) -> None:
    parent, url = await at_provisional(fbot)
    page = await open_form(browser, url, signed(parent, token="123456789:not-this-bots-token"))
    await page.says(form_texts.refused("not_signed"))
    assert await page.page.locator("#form").is_hidden()
    await page.shot(tmp_path / "forged.png")
    assert (await fbot.store.progress.get(parent.user_id)).step == "provisional"  # type: ignore[union-attr]


async def test_a_replayed_submission_is_refused(browser: Browser, fbot: Harness) -> None:
    parent, url = await at_provisional(fbot)
    page = await open_form(browser, url, signed(parent))
    await page.fill(value=flows.PROVISIONAL)
    await page.send()
    await page.closed()
    await parent.wait_for("Étape 3/6")
    submitted = [body for posted, body in page.posts if posted.endswith("/form/api/submit")]
    assert len(submitted) == 1
    replay = await page.page.request.post(url.split("/form")[0] + "/form/api/submit", data=submitted[0],
                                          headers={"Content-Type": "application/json"})
    assert replay.status in (409, 410)
    assert (await replay.json())["ok"] is False
    again = await open_form(browser, url, signed(parent))  # the same button pressed again
    await again.says(form_texts.refused("spent"))
    assert (await fbot.store.progress.get(parent.user_id)).step == "cgu"  # type: ignore[union-attr]


async def test_a_token_of_another_chat_is_refused(browser: Browser, fbot: Harness) -> None:
    parent, url = await at_provisional(fbot)
    stranger = await fbot.parent("Intrus")
    page = await open_form(browser, url, signed(stranger))
    await page.says(form_texts.refused("other_user"))
    assert await page.page.locator("#form").is_hidden()
    assert (await fbot.store.progress.get(parent.user_id)).step == "provisional"  # type: ignore[union-attr]


async def test_opened_outside_telegram_the_page_says_so(browser: Browser, fbot: Harness, tmp_path: Path) -> None:
    _, url = await at_provisional(fbot)
    page = await open_form(browser, url, None)
    await page.says(form_texts.OUTSIDE_TELEGRAM)
    await page.shot(tmp_path / "outside.png")


async def test_the_demo_opens_the_form_over_the_chat(browser: Browser, tmp_path: Path) -> None:
    from tests.demo_process import DemoProcess
    from tests.test_demo_browser import visit

    process = DemoProcess(tmp_path)
    try:
        demo = await process.started()
        amina = await visit(browser, demo, width=360, height=740)
        await amina.bot_says("Bonjour Amina")
        await amina.press("🔑 Activer mon compte")
        await amina.press("👪 Élève ou parent")
        await amina.type("jean.dupont12")
        await amina.bot_says("Plus sûr")
        await amina.press(form_texts.BUTTON)
        frame = amina.page.frame_locator("#form-frame")
        await expect(frame.locator("#title")).to_have_text(form_texts.PROVISIONAL_TITLE, timeout=WAIT)
        await frame.locator("#f-value").fill("Prov-2026a")
        not_blank(await amina.page.screenshot(path=str(tmp_path / "demo-form.png")))
        await frame.locator("#send").click()
        await expect(amina.page.locator("#form-overlay")).to_have_count(0, timeout=WAIT)  # closed itself
        await amina.bot_says("Étape 3/6")
        await expect(amina.page.locator("#messages")).not_to_contain_text("Prov-2026a")
        assert amina.errors == []
    finally:
        process.kill()
