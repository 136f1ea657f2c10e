"""Code mails as an attacker would ask for them: no code in a subject or left in the file, a cap per day."""

from __future__ import annotations

import re
import sqlite3
from datetime import timedelta
from pathlib import Path

from sandbox.driver import Person
from storage.outbox import CODES_PER_ACCOUNT, CODES_PER_USER
from tests import flows
from tests.conftest import Harness
from tests.old_schema import database_before
from tests.smtp import SmtpServer
from tests.waiting import eventually

ADDRESS = "famille.dupont@exemple.fr"
CAPPED = "Beaucoup de codes ont déjà été envoyés aujourd'hui"
# Three families of the school, each with its letter.
FAMILIES = [
    flows.ACCOUNT,
    {**flows.ACCOUNT, "identifiant": "marie.martin7", "mot_de_passe_provisoire": "Prov-2026b", "nom": "Martin",
     "prenom": "Marie"},
    {**flows.ACCOUNT, "identifiant": "leo.bernard3", "mot_de_passe_provisoire": "Prov-2026c", "nom": "Bernard",
     "prenom": "Léo"},
]


def code_in(mail_text: str) -> str:
    match = re.search(r"\b(\d{6})\b", mail_text)
    assert match, mail_text
    return match.group(1)


def file_bytes(path: Path) -> bytes:
    """The database as a thief of the disk would read it: the file and its write-ahead log, byte by byte."""
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def pending(bot: Harness) -> int:
    conn = sqlite3.connect(bot.settings.database)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM outbox WHERE state = 'pending'").fetchone()[0])
    finally:
        conn.close()


async def delivered(bot: Harness, smtp: SmtpServer) -> int:
    """How many mails the SMTP server really received once the outbox is empty."""
    bot.mailer.wake()
    await eventually(lambda: pending(bot) == 0)
    return len(smtp.received)


async def activate_with_address(bot: Harness, smtp: SmtpServer, family: dict[str, str], address: str) -> Person:
    """A family activates its account with a confirmed address (one code mail), as the guide says."""
    parent = await bot.parent(family["prenom"])
    await flows.to_cgu(parent, family["identifiant"], family["mot_de_passe_provisoire"])
    await parent.click("✅ J'ai lu et j'accepte")
    before = len(smtp.received)
    await parent.send(address)
    await parent.send(address)
    received = await smtp.wait_for(before + 1)
    await parent.send(code_in(str(received[-1].get_content())))
    await parent.send(flows.PASSWORD)
    await parent.send(flows.PASSWORD)
    assert "Compte activé !" in await parent.text()
    return parent


async def ask_forgot_code(person: Person, identifier: str = flows.IDENTIFIER) -> str:
    await person.send("/start")
    await person.click("🔓 Mot de passe oublié")
    await person.send(identifier)
    return await person.text()


# -- finding 2: no code in a subject, none left in the file once sent --------------------------------


async def test_the_forgot_code_is_in_no_subject_and_not_in_the_file_once_sent(mail_bot: Harness,
                                                                              smtp: SmtpServer) -> None:
    await flows.with_account(mail_bot)
    await activate_with_address(mail_bot, smtp, flows.ACCOUNT, ADDRESS)
    stranger = await mail_bot.parent("Intrus")
    assert "code à 6 chiffres" in await ask_forgot_code(stranger)
    mails = await smtp.wait_for(2)
    code = code_in(str(mails[1].get_content()))
    # The subject is what mail servers log and mailbox lists show: no code there, nor any number.
    assert re.search(r"\d", str(mails[1]["Subject"])) is None
    activation_code = code_in(str(mails[0].get_content()))
    assert re.search(r"\d", str(mails[0]["Subject"])) is None
    # Once the server accepted it, the file (and its log) holds neither code, in a row or in a freed page.
    await eventually(lambda: pending(mail_bot) == 0)
    database = mail_bot.settings.database
    await eventually(lambda: code.encode() not in file_bytes(database), timeout=5)
    assert activation_code.encode() not in file_bytes(database)
    conn = sqlite3.connect(database)
    rows = conn.execute("SELECT subject, body FROM outbox WHERE kind = 'email_code' ORDER BY id").fetchall()
    conn.close()
    assert rows == [("Votre code de confirmation ENT", None), ("Votre code pour changer de mot de passe ENT", None)]


async def test_forgot_codes_queued_before_the_upgrade_leave_their_subjects(tmp_path: Path) -> None:
    from storage.store import Store

    path = tmp_path / "old.sqlite3"
    conn = database_before(path, 13)
    for state, body in (("sent", "Voici votre code : 484353"), ("pending", "Voici votre code : 484353")):
        conn.execute("INSERT INTO outbox (kind, recipient, subject, body, message_id, created_at, next_attempt_at,"
                     " state) VALUES ('email_code', 'a@exemple.fr', '484353 : votre code pour changer de mot de passe"
                     " ENT', ?, ?, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', ?)",
                     (body, f"<{state}@x>", state))
    conn.commit()
    conn.close()
    store = Store(path)
    await store.open()
    await store.close()
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT state, subject, body FROM outbox ORDER BY id").fetchall()
    conn.close()
    assert rows == [("sent", "Votre code pour changer de mot de passe ENT", None),
                    ("pending", "Votre code pour changer de mot de passe ENT", "Voici votre code : 484353")]


# -- finding 3: code mails capped per account and per Telegram user, a day, whatever asks ---------------


async def test_a_stranger_asking_a_family_s_code_again_and_again_sends_it_a_few_mails(mail_bot: Harness,
                                                                                     smtp: SmtpServer) -> None:
    await flows.with_account(mail_bot)
    family = await activate_with_address(mail_bot, smtp, flows.ACCOUNT, ADDRESS)  # the account's first code mail
    stranger = await mail_bot.parent("Intrus")
    answers = [await ask_forgot_code(stranger) for _ in range(CODES_PER_ACCOUNT + 5)]
    assert sum("code à 6 chiffres" in a for a in answers) == CODES_PER_ACCOUNT - 1
    assert all(CAPPED in a for a in answers[CODES_PER_ACCOUNT - 1:])
    assert await delivered(mail_bot, smtp) == CODES_PER_ACCOUNT
    # Counted in the file: a restart gives no fresh share, to the stranger nor to a second stranger.
    await mail_bot.restart()
    assert CAPPED in await ask_forgot_code(stranger)
    assert CAPPED in await ask_forgot_code(await mail_bot.parent("Complice"))
    assert await delivered(mail_bot, smtp) == CODES_PER_ACCOUNT
    # The next day the family gets its code again.
    mail_bot.clock.advance(timedelta(hours=24, minutes=1))
    assert "code à 6 chiffres" in await ask_forgot_code(family)
    assert await delivered(mail_bot, smtp) == CODES_PER_ACCOUNT + 1


async def test_starting_the_activation_again_gives_no_fresh_share_of_codes(mail_bot: Harness,
                                                                          smtp: SmtpServer) -> None:
    await flows.with_account(mail_bot)
    parent = await mail_bot.parent("Amina")
    for attempt in range(4):
        if attempt == 0:
            await flows.to_cgu(parent)
        else:  # "Recommencer l'activation" used to start the count of codes afresh
            await parent.send("/start")
            await parent.click("🔄 Recommencer l'activation")
            await parent.click("👪 Élève ou parent")
            await parent.send(flows.IDENTIFIER)
            await parent.send(flows.PROVISIONAL)
        await parent.click("✅ J'ai lu et j'accepte")
        await parent.send(ADDRESS)
        await parent.send(ADDRESS)
        for _ in range(2):
            if "🔁 Renvoyer un code" in (await parent.last()).button_texts:
                await parent.click("🔁 Renvoyer un code")
    assert await delivered(mail_bot, smtp) == CODES_PER_ACCOUNT
    # The last address was refused a code, said so; the step can still be passed, as it says.
    assert CAPPED in await parent.text() and "Étape 4/6" in await parent.text()
    await parent.click("⏭ Passer (recommandé)")
    assert "question secrète" in await parent.text()


async def test_one_telegram_user_gets_a_few_codes_a_day_across_accounts(mail_bot: Harness, smtp: SmtpServer) -> None:
    await mail_bot.import_accounts(FAMILIES)
    for i, family in enumerate(FAMILIES):
        await activate_with_address(mail_bot, smtp, family, f"famille{i}@exemple.fr")
    stranger = await mail_bot.parent("Intrus")
    answers = [await ask_forgot_code(stranger, family["identifiant"]) for family in FAMILIES for _ in range(3)]
    # Each account is under its own cap (4 codes at most), the stranger reached theirs at the ninth.
    assert sum("code à 6 chiffres" in a for a in answers) == CODES_PER_USER == 8
    assert CAPPED in answers[-1]
    assert await delivered(mail_bot, smtp) == len(FAMILIES) + CODES_PER_USER
    # The third family's account was not the limit: its own parent still gets a code.
    family = await mail_bot.parent("Léo")
    assert "code à 6 chiffres" in await ask_forgot_code(family, FAMILIES[2]["identifiant"])
    assert await delivered(mail_bot, smtp) == len(FAMILIES) + CODES_PER_USER + 1
