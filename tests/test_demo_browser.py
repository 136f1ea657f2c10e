"""The demo's page in a real Chromium (Debian's, headless, driven by Playwright): what a visitor clicks, types and sees."""

from __future__ import annotations

import io
import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import Image
from playwright.async_api import Browser, Page, expect

from tests.browser import WAIT
from tests.conftest import ROOT
from tests.demo_process import DemoProcess

PASSWORD = "Ma-Cle:Verte42"


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[str]:
    process = DemoProcess(tmp_path)
    try:
        yield await process.started()
    finally:
        process.kill()


class Visitor:
    """A browser tab on the demo, with what a person does there; JavaScript errors are collected and must be none."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)

    async def press(self, label: str) -> None:
        """Touches the newest button with exactly this label."""
        await self.page.get_by_role("button", name=label, exact=True).last.click()

    async def type(self, text: str) -> None:
        await self.page.fill("#text", text)
        await self.page.press("#text", "Enter")

    async def bot_says(self, text: str | re.Pattern[str]) -> None:
        """Waits until the bot's newest message shows `text`."""
        try:
            await expect(self.page.locator(".msg.in").last).to_contain_text(text, timeout=WAIT)
        except AssertionError as exc:
            toast = await self.page.locator("#toast").text_content()
            raise AssertionError(f"{exc}\ntoast: {toast}\nerrors: {self.errors}") from None

    async def chat_shows(self, text: str) -> None:
        await expect(self.page.locator("#messages")).to_contain_text(text, timeout=WAIT)

    async def switch(self, label: str) -> None:
        await self.page.locator("#people .person", has_text=label).click()
        await expect(self.page.locator("#chat-title")).to_have_text(label)


async def visit(browser: Browser, url: str, width: int = 1280, height: int = 800) -> Visitor:
    page = await browser.new_page(viewport={"width": width, "height": height})
    visitor = Visitor(page)
    await page.goto(url)
    return visitor


async def watch_messages(page: Page) -> None:
    """Records the text of every message bubble ever drawn, to see one appear and then vanish."""
    await page.evaluate("""() => {
        window.drawn = [];
        new MutationObserver((records) => {
            for (const r of records) for (const n of r.addedNodes)
                if (n.classList && n.classList.contains("msg-wrap")) window.drawn.push(n.textContent);
        }).observe(document.getElementById("messages"), { childList: true });
    }""")


async def test_a_parent_activates_completely_by_clicking_and_typing_at_320_px(browser: Browser, demo: str) -> None:
    amina = await visit(browser, demo, width=320, height=640)
    page = amina.page
    await amina.bot_says("Bonjour Amina")  # the page opens on the parent's /start
    # The accounts beside the chat, as on the school's letter: what the visitor types.
    identifier = await page.locator("#accounts tbody tr").first.locator("td").nth(0).inner_text()
    provisional = await page.locator("#accounts tbody tr").first.locator("td").nth(1).inner_text()
    assert (identifier, provisional) == ("jean.dupont12", "Prov-2026a")

    await amina.press("🔑 Activer mon compte")
    await amina.bot_says("Étape 1/6")
    await expect(page.locator(".msg.in")).to_have_count(1)  # edited in place, not a new message
    await amina.press("👪 Élève ou parent")
    await amina.bot_says("Étape 2/6")
    # The bot's HTML formatting drawn as such: the step's title in bold, the example as code.
    await expect(page.locator(".msg.in").last.locator("b", has_text="Étape 2/6")).to_be_visible()
    await expect(page.locator(".msg.in").last.locator("code", has_text="jean.dupont12")).to_be_visible()
    await amina.type(identifier)
    await amina.bot_says("Tapez maintenant le mot de passe provisoire")
    await watch_messages(page)
    await amina.type(provisional)
    await amina.bot_says("Étape 3/6")
    # The provisional password was shown as typed, then deleted by the bot: it vanishes from the chat.
    assert any(provisional in text for text in await page.evaluate("window.drawn"))
    await expect(page.locator("#messages")).not_to_contain_text(provisional, timeout=WAIT)
    await amina.press("✅ J'ai lu et j'accepte")
    await amina.bot_says("Étape 4/6")

    address = "amina.benali@famille-demonstration.fr"
    await expect(page.locator("#hints")).to_contain_text(address)
    await amina.type(address)
    await amina.bot_says("Tapez-la une seconde fois")
    await amina.type(address)
    await amina.bot_says("code à 6 chiffres")
    # The code arrives in the parent's mailbox on the page, caught by the demo's SMTP server.
    mail = page.locator("#mail-parents .mail").first
    await expect(mail).to_contain_text("Votre code de confirmation ENT", timeout=WAIT)
    await mail.locator("summary").click()
    code = re.search(r"\b(\d{6})\b", await mail.locator(".mail-body").inner_text())
    assert code is not None
    await amina.type(code.group(1))
    await amina.bot_says("Étape 6/6")
    await amina.type(PASSWORD)
    await amina.bot_says("seconde fois")
    await amina.type(PASSWORD)
    await amina.bot_says("Compte activé !")
    await expect(page.locator("#messages")).not_to_contain_text(PASSWORD, timeout=WAIT)
    ent = page.locator(".msg-wrap").last.locator("a.kb-link").first
    assert (await ent.get_attribute("href") or "").startswith("https://www.touraine-eschool.fr")
    assert await ent.get_attribute("target") == "_blank"
    # 320 px wide: nothing sticks out sideways.
    assert await page.evaluate("document.documentElement.scrollWidth") <= 320
    assert amina.errors == []


async def test_a_staff_member_answers_a_ticket_and_a_second_tab_shows_the_same(browser: Browser, demo: str) -> None:
    visitor = await visit(browser, demo)
    await visitor.switch("Karim (parent)")
    await visitor.press("DÉMARRER")
    await visitor.bot_says("Bonjour Karim")
    await visitor.press("✍️ Écrire au collège")
    await visitor.type("Bonjour, je n'ai pas reçu la lettre avec le mot de passe.")
    await visitor.bot_says("demande n°1")
    # The ticket's mail, in the school's mailbox on the page.
    await expect(visitor.page.locator("#mail-school .mail").first).to_contain_text("Demande n°1", timeout=WAIT)

    await visitor.switch("Groupe du secrétariat")
    await visitor.chat_shows("je n'ai pas reçu la lettre")
    ticket = visitor.page.locator(".msg-wrap", has_text="je n'ai pas reçu la lettre").first
    await ticket.get_by_role("button", name="↩ Répondre").click()
    await expect(visitor.page.locator("#reply-bar")).to_be_visible()
    await visitor.type("Bonjour Karim, nous la redonnons à votre enfant demain.")
    await visitor.bot_says("Réponse transmise à Karim")

    # A second tab, opened on the staff group, shows the same chat.
    other = await visit(browser, demo + "#staff-group")
    await other.chat_shows("Réponse transmise à Karim")
    await other.chat_shows("je n'ai pas reçu la lettre")

    # The Karim tab shows a new-message dot; there, the staff's answer.
    await expect(visitor.page.locator("#people .person", has_text="Karim").locator(".dot")).to_be_visible()
    await visitor.switch("Karim (parent)")
    await visitor.bot_says("Réponse du collège")
    await visitor.bot_says("nous la redonnons à votre enfant demain")
    assert visitor.errors == [] and other.errors == []


async def test_a_notice_reaches_the_channel_and_a_subscribed_parent(browser: Browser, demo: str) -> None:
    visitor = await visit(browser, demo)
    await visitor.bot_says("Bonjour Amina")
    await visitor.press("📣 Recevoir les annonces du collège")
    await visitor.bot_says("annonces du collège")
    await visitor.switch("Sylvie (secrétariat)")
    await visitor.type("/annonce")
    await visitor.bot_says("Envoyez-moi maintenant l'annonce")
    notice = "Réunion parents-professeurs jeudi à 18 h, au réfectoire."
    await visitor.type(notice)
    await visitor.bot_says("Aperçu")
    await visitor.press("📣 Publier maintenant")
    await visitor.switch("Canal d'annonces")
    await visitor.chat_shows(notice)
    await expect(visitor.page.locator("#composer")).to_be_hidden()  # only the bot posts in the channel
    await visitor.switch("Amina (parent)")
    await visitor.chat_shows(notice)
    assert visitor.errors == []


async def test_the_stats_chart_and_a_letter_are_shown_and_offered(browser: Browser, demo: str) -> None:
    visitor = await visit(browser, demo)
    await visitor.switch("Sylvie (secrétariat)")
    await visitor.type("/stats")
    picture = visitor.page.locator("img.picture").last
    await expect(picture).to_be_visible(timeout=WAIT)
    assert await picture.evaluate("img => img.complete && img.naturalWidth > 100")
    await visitor.type("/lettre noah.petit3")
    await visitor.bot_says("Nouvelle lettre pour")
    await visitor.press("📄 Oui, nouvelle lettre")
    letter = visitor.page.locator("a.doc").last
    await expect(letter).to_contain_text(".pdf", timeout=WAIT)
    href = await letter.get_attribute("href")
    assert href is not None
    async with aiohttp.ClientSession() as session, session.get(demo.rstrip("/") + href) as resp:
        assert resp.headers["Content-Type"] == "application/pdf" and (await resp.read()).startswith(b"%PDF-")
    assert await visitor.page.locator("a.doc-save").last.get_attribute("download")
    assert visitor.errors == []


async def test_the_page_comes_back_after_losing_the_demo_for_a_while(browser: Browser, demo: str) -> None:
    visitor = await visit(browser, demo)
    await visitor.bot_says("Bonjour Amina")
    # The demo unreachable (a sleeping laptop, a dropped connection): the page says so and keeps trying.
    await visitor.page.route("**/api/state*", lambda route: route.abort())
    await visitor.press("🔑 Activer mon compte")
    await expect(visitor.page.locator("#banner")).to_contain_text("Connexion à la démonstration perdue", timeout=WAIT)
    await visitor.page.unroute("**/api/state*")
    await expect(visitor.page.locator("#banner")).to_be_hidden(timeout=WAIT)
    await visitor.bot_says("Étape 1/6")
    # An hour later (the page's clock run forward), it still follows the chat.
    await visitor.page.clock.install()
    await visitor.page.clock.fast_forward("01:00:00")
    await visitor.press("👪 Élève ou parent")
    await visitor.bot_says("Étape 2/6")
    assert [e for e in visitor.errors if "ERR_FAILED" not in e] == []


async def test_the_pages_javascript_pieces(browser: Browser, demo: str) -> None:
    visitor = await visit(browser, demo)
    await visitor.bot_says("Bonjour Amina")

    async def rendered(text: str, entities: list[dict[str, Any]]) -> str:
        html: str = await visitor.page.evaluate(
            """([text, entities]) => {
                const box = document.createElement("div");
                box.appendChild(DemoRender.renderText(text, entities, () => {}));
                return box.innerHTML;
            }""", [text, entities])
        return html

    # Text is text: markup in a message is shown, never run.
    html = await rendered('<img src=x onerror="window.pwned=1"> & <b>', [{"type": "bold", "offset": 0, "length": 4}])
    assert html == '<b>&lt;img</b> src=x onerror="window.pwned=1"&gt; &amp; &lt;b&gt;'
    assert await visitor.page.evaluate("window.pwned === undefined")
    # Nested entities, offsets in UTF-16 (an emoji counts two), links only to the web or mail.
    html = await rendered("😀 Lisez les CGU ici", [
        {"type": "bold", "offset": 3, "length": 13},
        {"type": "text_link", "offset": 9, "length": 7, "url": "https://ent.example/cgu"}])
    assert html == ('😀 <b>Lisez <a href="https://ent.example/cgu" target="_blank" rel="noopener noreferrer">'
                    'les CGU</a></b> ici')
    for url in ("javascript:alert(1)", "data:text/html,x", "/api/send", "JaVaScRiPt:alert(1)"):
        html = await rendered("piège", [{"type": "text_link", "offset": 0, "length": 5, "url": url}])
        assert html == "<span>piège</span>", url
    # Out-of-range or malformed entities are ignored rather than breaking the message.
    html = await rendered("abc", [{"type": "bold", "offset": 2, "length": 99}, {"type": "italic", "offset": 9, "length": 1},
                                  {"type": "bold", "offset": "0", "length": 1}])
    assert html == "ab<b>c</b>"
    # A /command is a button that sends it; not inside code or a link.
    html = await rendered("Tapez /aide ou /start", [{"type": "code", "offset": 15, "length": 6}])
    assert html == 'Tapez <button type="button" class="command">/aide</button> ou <code>/start</code>'
    assert await visitor.page.evaluate("DemoRender.safeUrl('mailto:ce@ac.fr')") == "mailto:ce@ac.fr"
    assert await visitor.page.evaluate("[0, 1, 2, 5, 50].map(DemoRender.backoff)") == [500, 500, 1000, 8000, 10000]
    assert await visitor.page.evaluate("DemoRender.fileSize(48213)") == "47 Ko"
    merged = await visitor.page.evaluate("DemoRender.mergeVanished([{id: 1}, {id: 4}], [1, 2, 4])")
    assert merged == {"gone": [2], "order": [1, 2, 4]}
    # The /command button in the bot's greeting sends it as the parent.
    await visitor.page.locator(".msg.in button.command", has_text="/confidentialite").last.click()
    await visitor.bot_says("Responsable :")
    assert visitor.errors == []


def not_blank(png: bytes) -> None:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 200, len(colours)  # text, bubbles, buttons: far from one flat colour
    biggest = max(count for count, _ in colours)
    assert biggest < 0.6 * image.width * image.height


async def test_a_screenshot_of_the_page_is_not_blank(browser: Browser, demo: str, tmp_path: Path) -> None:
    visitor = await visit(browser, demo, width=1280, height=800)
    await visitor.bot_says("Bonjour Amina")
    # Karim wrote to the school first: the school's mailbox has his ticket.
    await visitor.switch("Karim (parent)")
    await visitor.press("DÉMARRER")
    await visitor.press("✍️ Écrire au collège")
    await visitor.type("Bonjour, je n'ai pas reçu la lettre avec le mot de passe.")
    await visitor.bot_says("demande n°1")
    await expect(visitor.page.locator("#mail-school .mail")).to_have_count(1, timeout=WAIT)
    await visitor.switch("Amina (parent)")
    await visitor.bot_says("Bonjour Amina")
    await visitor.press("🔑 Activer mon compte")
    await visitor.bot_says("Étape 1/6")
    await visitor.press("👪 Élève ou parent")
    await visitor.bot_says("Étape 2/6")
    await visitor.type("jean.dupont12")
    await visitor.bot_says("mot de passe provisoire")
    await visitor.type("Prov-2026a")
    await visitor.bot_says("Étape 3/6")
    await visitor.page.wait_for_timeout(1500)  # the deleted password's bubble has faded out
    shot = tmp_path / "demo.png"
    not_blank(await visitor.page.screenshot(path=str(shot)))
    phone = await visit(browser, demo, width=320, height=640)
    await phone.bot_says("Étape 3/6")
    not_blank(await phone.page.screenshot())
    if os.environ.get("DEMO_SCREENSHOT"):  # make demo-screenshot: the README's picture
        shutil.copyfile(shot, ROOT / os.environ["DEMO_SCREENSHOT"])
    assert visitor.errors == [] and phone.errors == []
