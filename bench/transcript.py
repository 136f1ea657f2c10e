"""One whole activation through the sandbox, as the parent sees it: the transcript, and how much they had to read."""

from __future__ import annotations

import asyncio
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import build_application, start_in_loop, stop_in_loop, store_of
from bot.processor import PerUserProcessor
from bot.settings import Settings
from sandbox.driver import Person, Sandbox, SandboxError
from sandbox.server import SandboxServer
from storage.db import Clock
from storage.importer import import_accounts

IDENTIFIER, PROVISIONAL, PASSWORD = "jean.dupont12", "Prov-2026a", "Ma-Cle:Verte42"




class Recorder:
    """What the parent sees after each action: the new messages and those edited in place."""

    def __init__(self, parent: Person) -> None:
        self.parent = parent
        self.seen: dict[int, str] = {}
        self.texts: dict[int, str] = {}
        self.lines: list[str] = []
        self.new_messages = self.screens = self.characters = 0

    async def after(self, action: str) -> None:
        self.lines.append(f">>> {action}")
        for m in await self.parent.messages():
            shown = m.text + "".join(f"[{b}]" for b in m.button_texts)
            if not m.from_bot or self.seen.get(m.message_id) == shown:
                continue
            self.new_messages += m.message_id not in self.seen
            self.lines.append(f"--- bot {'edits' if m.message_id in self.seen else 'sends'} #{m.message_id}")
            self.lines.append(m.text)
            self.lines += ["   " + "  ".join(f"[{b['text']}]" for b in row) for row in m.buttons]
            self.seen[m.message_id] = shown
            if self.texts.get(m.message_id) != m.text:  # buttons taken away only: nothing new to read
                self.screens += 1
                self.characters += len(m.text)
            self.texts[m.message_id] = m.text


async def _click_question(parent: Person, number: int, words: str, rec: Recorder) -> None:
    """The button of question `number`: a bare number on the old keypad, the question's own text now."""
    try:
        await parent.click(str(number))
        return
    except SandboxError:
        pass
    try:
        await parent.click(re.compile(re.escape(words)))
    except SandboxError:  # on the other page of questions
        await parent.click("➡️ Autres questions")
        await rec.after('parent.click("➡️ Autres questions")')
        await parent.click(re.compile(re.escape(words)))


async def activation(parent: Person, rec: Recorder) -> None:
    await parent.send("/start")
    await rec.after('parent.send("/start")')
    await parent.click("🔑 Activer mon compte")
    await rec.after('parent.click("🔑 Activer mon compte")')
    await parent.click("👪 Élève ou parent")
    await rec.after('parent.click("👪 Élève ou parent")')
    await parent.send(IDENTIFIER)
    await rec.after('parent.send(IDENTIFIER)')
    await parent.send(PROVISIONAL)
    await rec.after('parent.send(PROVISIONAL)')
    await parent.click("✅ J'ai lu et j'accepte")
    await rec.after('parent.click("✅ J\'ai lu et j\'accepte")')
    await parent.click("⏭ Passer (recommandé)")
    await rec.after('parent.click("⏭ Passer (recommandé)")')
    await _click_question(parent, 7, "numéro de téléphone", rec)
    await rec.after('_click_question(parent, 7, "numéro de téléphone")')
    await parent.send("01 47 20 00 01")
    await rec.after('parent.send("01 47 20 00 01")')
    await _click_question(parent, 14, "film", rec)
    await rec.after('_click_question(parent, 14, "film")')
    await parent.send("Le Grand Bleu")
    await rec.after('parent.send("Le Grand Bleu")')
    await parent.send(PASSWORD)
    await rec.after('parent.send(PASSWORD)')
    await parent.send(PASSWORD)
    await rec.after('parent.send(PASSWORD)')




async def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="entbot-transcript-"))
    csv = tmp / "comptes.csv"
    csv.write_text(f"identifiant;mot_de_passe_provisoire\n{IDENTIFIER};{PROVISIONAL}\n", encoding="utf-8")
    server = SandboxServer()
    await server.start()
    settings = Settings(token="123456789:TRANSCRIPT", api_url=server.api_url, database=tmp / "entbot.sqlite3",
                        school_name="Collège Léonard de Vinci", poll_timeout=1, quiet_hours=None,
                        school_contact_email="secretariat@college-exemple.fr")
    app = build_application(settings, Clock())
    await start_in_loop(app)
    try:
        await import_accounts(store_of(app), csv)
        processor = app.update_processor
        assert isinstance(processor, PerUserProcessor)
        sandbox = Sandbox(server.url, waiter=processor.wait_handled)
        parent = await sandbox.person("Amina")
        rec = Recorder(parent)
        await activation(parent, rec)
        print("\n".join(rec.lines))
        print("===")
        print(f"messages received: {rec.new_messages}; screens to read (new or text edited): {rec.screens}; "
              f"characters read: {rec.characters}; left in the chat at the end: "
              f"{len([m for m in await parent.messages() if m.from_bot])}")
        await sandbox.close()
    finally:
        await stop_in_loop(app)
        await server.stop()


if __name__ == "__main__":
    asyncio.run(main())
