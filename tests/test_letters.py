"""Letters with a QR code: printed by `entbot letters`, scanned by a family, refused once no longer valid."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from datetime import date, timedelta
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image, ImageOps

from bot.settings import SettingsError, load
from conversations.letters import letterhead, prepare
from render.letter_page import MARGIN, Letter, Letterhead, render
from sandbox.driver import Person
from storage.letters import token_hash
from storage.secrets import verify_secret
from tests import flows
from tests.conftest import TOKEN, Harness, process_env

BOT_LINK = "https://t.me/assistant_ent_sandbox_bot?start="
WELCOME = "Voici la lettre du collège pour le compte de"
INVALID = "Cette lettre n'est plus valable"
DPI = 110


def pages(pdf: bytes) -> list[Image.Image]:
    document = pdfium.PdfDocument(pdf)
    return [document[i].render(scale=DPI / 72).to_pil().convert("L") for i in range(len(document))]


def page_texts(pdf: bytes) -> list[str]:
    """The text of each page; PDFium reports a hyphen ending a line as U+FFFE, put back as the "-" printed."""
    document = pdfium.PdfDocument(pdf)
    return [document[i].get_textpage().get_text_range().replace("\ufffe", "-") for i in range(len(document))]


def decoded_links(pdf: bytes) -> list[str]:
    """The one QR code of each page, read by a real decoder from the rendered image."""
    links = []
    for image in pages(pdf):
        codes = zxingcpp.read_barcodes(image)
        assert len(codes) == 1, f"{len(codes)} code(s) on a page"
        links.append(codes[0].text)
    return links


def token_of(link: str) -> str:
    assert link.startswith(BOT_LINK), link
    return link.removeprefix(BOT_LINK)


async def entbot(bot: Harness, *args: str, token: str | None = TOKEN) -> tuple[int, str, str]:
    """`entbot …` as a process, against the test's sandbox and SQLite file (the bot keeps running)."""
    settings = dict(ENTBOT_DATABASE=str(bot.settings.database), TELEGRAM_API_URL=bot.server.api_url,
                    SCHOOL_NAME="Collège Léonard de Vinci", SCHOOL_CONTACT_EMAIL="secretariat@college-vinci.fr")
    if token:
        settings["TELEGRAM_BOT_TOKEN"] = token
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=process_env(**settings), cwd=bot.tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def write_csv(bot: Harness, lines: list[str], name: str = "comptes.csv") -> Path:
    path = bot.tmp_path / name
    path.write_text("identifiant;mot_de_passe_provisoire;nom;prenom;profil;classe\n" + "\n".join(lines) + "\n",
                    encoding="utf-8")
    return path


FAMILIES = ["lea.martin;Prov-Lea1a;Martin;Léa;eleve;6A", "noe.lefevre;Prov-Noe2b;Lefèvre;Noé;parent;5B",
            "zoe.hennault;Prov-Zoe3c;Hénault;Zoé;eleve;4C"]


async def finish_activation(parent: Person) -> str:
    """From the CGU to the end, as the typed path does it."""
    await parent.click("✅ J'ai lu et j'accepte")
    await parent.click("⏭ Passer (recommandé)")
    await flows.choose_question(parent, 7)
    await parent.send(flows.ANSWER1)
    await flows.choose_question(parent, 14)
    await parent.send(flows.ANSWER2)
    await parent.send(flows.PASSWORD)
    await parent.send(flows.PASSWORD)
    return await parent.text()


async def test_every_printed_code_opens_its_own_account_and_activates_it(bot: Harness) -> None:
    csv = write_csv(bot, FAMILIES)
    code, out, err = await entbot(bot, "letters", str(csv), "--out", "lettres.pdf", "--csv", "liens.csv")
    assert code == 0, err
    assert "3 compte(s) créé(s)" in out and "3 lettre(s) dans lettres.pdf" in out
    pdf = (bot.tmp_path / "lettres.pdf").read_bytes()
    links = decoded_links(pdf)
    assert len(links) == 3 and len(set(links)) == 3
    merge = (bot.tmp_path / "liens.csv").read_text(encoding="utf-8-sig")
    texts = page_texts(pdf)
    for line, link, text in zip(FAMILIES, links, texts, strict=True):
        identifier, provisional, last, first, _, class_name = line.split(";")
        token = token_of(link)
        assert 22 <= len(token) <= 64 and all(c.isalnum() or c in "_-" for c in token)
        assert f"{identifier};{last};{first};{class_name};{link}" in merge
        # The page says it all: school, for whom, the link under the code, the pair for the web, whom to ask.
        flat = " ".join(text.split())
        for expected in ("Collège Léonard de Vinci", f"Pour : {first} {last} — classe {class_name}", identifier,
                         provisional, "https://www.touraine-eschool.fr", "secretariat@college-vinci.fr",
                         "c'est lui donner votre compte", "Installez l'application gratuite Telegram"):
            assert expected in flat.replace("\u00a0", " "), (expected, flat)
        assert link in flat.replace(" ", "")
    # Only hashes are kept: no token in the SQLite file.
    raw = bot.settings.database.read_bytes() + Path(f"{bot.settings.database}-wal").read_bytes()
    assert not any(token_of(link).encode() in raw for link in links)

    for n, link in enumerate(links):
        parent = await bot.parent(f"Parent{n}")
        await parent.send(f"/start {token_of(link)}")
        shown = await parent.text()
        first, last = FAMILIES[n].split(";")[3], FAMILIES[n].split(";")[2]
        assert f"{WELCOME} {first} {last}" in shown and "Étape 3/6" in shown
        assert "Étape 1/6" not in await parent.all_text() and "Étape 2/6" not in await parent.all_text()
        assert "Compte activé !" in await finish_activation(parent)
    states = sqlite3.connect(bot.settings.database).execute("SELECT state FROM accounts").fetchall()
    assert states == [("active",)] * 3


async def test_the_cli_refuses_what_the_import_refuses_and_unknown_ids(bot: Harness) -> None:
    csv = write_csv(bot, [*FAMILIES, "lea.martin;Autre-1;Martin;Léa;eleve;6A", "sans espace;X-1;A;B;parent;6A"])
    code, out, _ = await entbot(bot, "letters", str(csv), "--out", "lettres.pdf")
    assert code == 1
    assert "ligne 5 : identifiant « lea.martin » en double (déjà ligne 2)" in out
    assert "ligne 6 : identifiant « sans espace » avec des espaces" in out
    assert "rien n'a été importé" in out and not (bot.tmp_path / "lettres.pdf").exists()
    assert await bot.store.accounts.all() == []
    good = write_csv(bot, FAMILIES, "bons.csv")
    code, _, err = await entbot(bot, "letters", str(good), "--out", "lettres.pdf", "--only", "personne.inconnue")
    assert code == 1 and "personne.inconnue" in err and await bot.store.accounts.all() == []
    code, _, err = await entbot(bot, "letters", str(good), "--out", "lettres.pdf", token=None)
    assert code == 2 and "TELEGRAM_BOT_TOKEN manquant" in err and await bot.store.accounts.all() == []


async def test_only_prints_again_and_revokes_the_old_letter(bot: Harness) -> None:
    csv = write_csv(bot, FAMILIES)
    assert (await entbot(bot, "letters", str(csv), "--out", "toutes.pdf"))[0] == 0
    old = decoded_links((bot.tmp_path / "toutes.pdf").read_bytes())
    code, out, _ = await entbot(bot, "letters", str(csv), "--out", "une.pdf", "--only", "NOE.LEFEVRE")
    assert code == 0 and "1 lettre(s)" in out
    new = decoded_links((bot.tmp_path / "une.pdf").read_bytes())
    assert len(new) == 1 and new[0] != old[1]
    parent = await bot.parent()
    await parent.send(f"/start {token_of(old[1])}")
    assert INVALID in await parent.text()
    await parent.send(f"/start {token_of(new[0])}")
    assert f"{WELCOME} Noé Lefèvre" in await parent.text()
    other = await bot.parent("Autre")
    await other.send(f"/start {token_of(old[0])}")  # the letters not printed again still work
    assert f"{WELCOME} Léa Martin" in await other.text()


async def _letter(bot: Harness, identifier: str = flows.IDENTIFIER, provisional: str = flows.PROVISIONAL) -> str:
    """A letter for an imported account, made as the CLI makes it; returns its token."""
    account = await bot.store.accounts.find(identifier)
    assert account is not None
    head = letterhead(bot.store, "Collège", "a@b.fr", "https://www.touraine-eschool.fr", 90)
    batch = await prepare(head, "assistant_ent_sandbox_bot", [(account, provisional)])
    await bot.store.letters.issue(batch.tokens, timedelta(days=90), "test")
    return token_of(decoded_links(batch.pdf)[0])


async def _refused(parent: Person, token: str) -> None:
    await parent.send(f"/start {token}")
    last = await parent.last()
    assert INVALID in last.text and "Étape 3/6" not in last.text
    assert last.button_texts == ["🔑 Activer mon compte", "✍️ Écrire au collège"]


async def test_a_used_revoked_expired_or_unknown_letter_is_refused_in_one_sentence(bot: Harness) -> None:
    await flows.with_account(bot)
    # Used: the family scanned it; whoever scans it after them gets nothing.
    token = await _letter(bot)
    family, stranger = await bot.parent("Famille"), await bot.parent("Inconnu")
    await family.send(f"/start {token}")
    assert WELCOME in await family.text()
    await _refused(stranger, token)
    assert (await bot.store.progress.get(stranger.user_id)) is None
    # The same family scanning again carries on where it was.
    await family.send(f"/start {token}")
    assert "Étape 3/6" in await family.text() and INVALID not in await family.text()
    # Revoked by a new letter.
    first, second = await _letter(bot), await _letter(bot)
    await _refused(stranger, first)
    # Revoked by a staff reset (which tells the family midway too).
    account = await bot.store.accounts.find(flows.IDENTIFIER)
    assert account is not None
    assert await bot.store.reset(account, account.revision, "staff:1") is not None
    await _refused(stranger, second)
    # Expired.
    fresh = await _letter(bot, provisional="unused")  # the token binds the account's current hash, not this text
    bot.clock.advance(timedelta(days=91))
    await _refused(await bot.parent("Tard"), fresh)
    # Unknown, forged, or not even a token.
    await _refused(await bot.parent("Curieux"), "A" * 24)
    await _refused(await bot.parent("Bizarre"), "pas+un+jeton")


async def test_activation_revokes_the_letter(bot: Harness, parent: Person) -> None:
    token = await _letter(bot)
    await flows.activate(parent)
    assert "Compte activé !" in await parent.text()
    await _refused(await bot.parent("Autre"), token)
    account = await bot.store.accounts.find(flows.IDENTIFIER)
    assert account is not None and await bot.store.letters.valid_for(account.id) == 0


async def test_bad_letters_count_like_wrong_provisional_passwords(bot: Harness) -> None:
    await flows.with_account(bot)
    token = await _letter(bot)
    prober = await bot.parent("Curieux")
    for n in range(3):
        await _refused(prober, f"{'B' * 23}{n}")
    # A wrong provisional password typed in between counts on the same per-person counter.
    await flows.to_identifier(prober)
    await prober.send(flows.IDENTIFIER)
    await prober.send("Mauvais-1")
    await prober.send(f"/start {'C' * 24}")
    assert "🔒 Trop d'essais incorrects. Par sécurité, réessayez dans 15 minutes" in await prober.text()
    # Locked: even a valid letter waits, and is not used up meanwhile.
    await prober.send(f"/start {token}")
    assert WELCOME not in await prober.text()
    family = await bot.parent("Famille")
    await family.send(f"/start {token}")
    assert WELCOME in await family.text()


async def test_after_a_letter_the_activation_is_the_typed_one(bot: Harness) -> None:
    """Same saved state as a proven provisional password: the 30-minute check asks for it, and it works."""
    await flows.with_account(bot)
    parent = await bot.parent()
    await parent.send(f"/start {await _letter(bot)}")
    progress = await bot.store.progress.get(parent.user_id)
    account = await bot.store.accounts.find(flows.IDENTIFIER)
    assert progress is not None and account is not None
    assert (progress.step, progress.account_id, progress.provisional_hash) == ("cgu", account.id,
                                                                               account.provisional_hash)
    bot.clock.advance(timedelta(minutes=31))
    await parent.click("✅ J'ai lu et j'accepte")
    assert "mot de passe provisoire" in (await parent.text()).lower()
    await parent.send(flows.PROVISIONAL)
    assert "Étape 3/6" in await parent.text()
    assert "Compte activé !" in await finish_activation(parent)


async def test_staff_lettre_resets_a_pending_account_and_sends_the_letter_privately(bot: Harness) -> None:
    await flows.with_account(bot)
    old = await _letter(bot)
    secretary = await bot.secretary()
    await secretary.send("/lettre jean.dupont12")
    assert "C'est une réinitialisation" in await secretary.text()
    await secretary.click("📄 Oui, nouvelle lettre")
    document = await secretary.last()
    assert document.kind == "document" and "Nouvelle lettre de jean.dupont12" in document.text
    assert document.file_id is not None
    name, pdf = await bot.sandbox.file(document.file_id)
    assert name == "lettre-jean.dupont12.pdf"
    [link] = decoded_links(pdf)
    provisional = next(line.split(":", 1)[1].strip() for line in page_texts(pdf)[0].splitlines()
                       if line.startswith("Mot de passe provisoire"))
    account = await bot.store.accounts.find(flows.IDENTIFIER)
    assert account is not None and account.state == "reset"
    assert await verify_secret(account.provisional_hash, provisional)
    assert not await verify_secret(account.provisional_hash, flows.PROVISIONAL)
    await _refused(await bot.parent("Ancienne"), old)
    events = [e for _, a, e, _ in await bot.store.audit.for_account(account.id) if a == "staff:777001"]
    assert "letter_issued" in events and "reset" in events
    # Deleted after 15 minutes, like the reset's password message.
    bot.clock.advance(timedelta(minutes=16))
    await bot.run_job("sweep_secrets")
    assert document.message_id in await secretary.deleted_ids()
    family = await bot.parent("Famille")
    await family.send(f"/start {token_of(link)}")
    assert f"{WELCOME} Jean Dupont" in await family.text()
    assert "Compte activé !" in await finish_activation(family)
    await secretary.send("/lettre jean.dupont12")
    assert "est déjà activé" in await secretary.text()


async def test_lettre_from_a_parent_looks_like_any_unknown_command(bot: Harness, parent: Person) -> None:
    await parent.send("/nimportequoi")
    unknown = await parent.text()
    await parent.send("/lettre jean.dupont12")
    assert await parent.text() == unknown
    menu = await parent.last()
    account = await bot.store.accounts.find(flows.IDENTIFIER)
    assert account is not None
    toast = await parent.click_data(menu.message_id, f"letter:ok:{account.id}:{account.revision}")
    assert toast == "Ce bouton n'est plus valable. Utilisez les boutons du dernier message."
    after = await bot.store.accounts.find(flows.IDENTIFIER)
    assert after == account


def _ink_box(image: Image.Image) -> tuple[int, int, int, int]:
    """The box around everything printed (not white) on a rendered page."""
    box = ImageOps.invert(image).point(lambda v: 255 if v > 40 else 0).getbbox()
    assert box is not None
    return box


def test_long_french_names_stay_on_their_page_within_the_margins() -> None:
    head = Letterhead("Collège Marie-Éléonore de Saint-Exupéry-Lévêque — Saint-Cyr-sur-Loire (Indre-et-Loire)",
                      "ce.0371122u@ac-orleans-tours.fr", "https://www.touraine-eschool.fr", date(2026, 11, 29),
                      date(2027, 2, 27))
    long_link = BOT_LINK.replace("assistant_ent_sandbox_bot", "a" * 32) + "Z" * 64
    letters = [
        Letter("jean.dupont12", "Kp7m-X4tz-R9", BOT_LINK + "A" * 24, "Jean Dupont", "5B"),
        Letter("marie-éléonore.françoise-bérénice.de-la-tour-d'auvergne-lauragais"[:64], "Œ0oIl1-Ÿçàéèêëîïôöùûü-" * 5,
               long_link, "Marie-Éléonore-Françoise-Bérénice-Anne-Sophie de La Tour d'Auvergne-Lauragais-Montmorency",
               "3e Européenne Bilingue Allemand-Anglais Option Œnologie"),
        Letter("x", "y", BOT_LINK + "B" * 24),
    ]
    pdf = render(head, letters)
    images = pages(pdf)
    assert len(images) == 3
    margin = MARGIN * DPI / 25.4 - DPI / 25.4  # one millimetre of tolerance for the antialiasing
    for image in images:
        left, top, right, bottom = _ink_box(image)
        assert left >= margin and top >= margin, (left, top)
        assert right <= image.width - margin and bottom <= image.height - margin, (right, bottom, image.size)
    assert decoded_links(pdf) == [letter.link for letter in letters]
    flat = " ".join(page_texts(pdf)[1].split()).replace("\u00a0", " ")
    assert "Montmorency" in flat and "Œnologie" in flat


async def test_the_token_is_stored_as_its_sha256_only(bot: Harness) -> None:
    await flows.with_account(bot)
    token = await _letter(bot)
    rows = sqlite3.connect(bot.settings.database).execute("SELECT token_hash, state FROM letter_tokens").fetchall()
    assert rows == [(token_hash(token), "valid")]


def test_letter_validity_days_is_a_setting() -> None:
    assert load({}, env_file=None).letter_validity_days == 90
    assert load({"LETTER_VALIDITY_DAYS": "30"}, env_file=None).letter_validity_days == 30
    for wrong in ("0", "trois", "400"):
        with pytest.raises(SettingsError, match="LETTER_VALIDITY_DAYS"):
            load({"LETTER_VALIDITY_DAYS": wrong}, env_file=None)


async def test_lettre_from_the_group_goes_privately_or_changes_nothing(bot: Harness, parent: Person) -> None:
    member = await bot.sandbox.person("Nadia")
    group = await bot.staff_group(member)
    await member.block_bot()  # as Telegram sees someone who never opened a chat with the bot
    await member.send("/lettre jean.dupont12", chat=group)
    toast = await member.click("📄 Oui, nouvelle lettre", chat=group)
    assert toast is not None and "ouvrez une conversation avec moi" in toast
    account = await bot.store.accounts.find(flows.IDENTIFIER)
    assert account is not None and account.state == "pending" and account.revision == 0
    await member.block_bot(False)
    await member.click("📄 Oui, nouvelle lettre", chat=group)
    assert "envoyée en message privé à Nadia" in (await group.last()).text
    assert all(m.kind != "document" for m in await group.messages())
    document = await member.last()
    assert document.kind == "document" and document.file_id is not None
    _, pdf = await bot.sandbox.file(document.file_id)
    assert len(decoded_links(pdf)) == 1
