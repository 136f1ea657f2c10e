"""Mail through a real SMTP server on loopback: down, refusing, slow, a restart with mail queued; the e-mail code."""

from __future__ import annotations

import re
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from sandbox.driver import Person
from tests import flows
from tests.conftest import Harness
from tests.old_schema import database_before
from tests.smtp import SmtpServer
from tests.waiting import eventually

pytestmark = pytest.mark.both_engines  # the outbox and the mail codes, on SQLite and on PostgreSQL

ADDRESS = "amina.parent@exemple.fr"


def outbox(bot: Harness) -> list[tuple[str, int, str | None]]:
    return [(r[0], r[1], r[2]) for r in bot.query("SELECT state, attempts, body FROM outbox ORDER BY id")]


async def open_ticket(bot: Harness, text: str = "Bonjour, je suis bloquée") -> Person:
    parent = await bot.parent("Amina")
    await bot.staff_group(await bot.secretary())
    await parent.send("/start")
    await parent.click("✍️ Écrire au collège")
    await parent.send(text)
    assert "demande n°" in await parent.text()
    return parent


async def test_mail_waits_while_the_server_is_down_and_arrives_once(mail_bot: Harness, smtp: SmtpServer) -> None:
    smtp.stop()
    await open_ticket(mail_bot)
    await eventually(lambda: outbox(mail_bot)[0][1] >= 1)  # tried, failed, kept
    assert outbox(mail_bot)[0][0] == "pending" and smtp.received == []
    smtp.start()
    mail_bot.clock.advance(timedelta(seconds=31))  # the first retry comes 30 s later
    mail_bot.mailer.wake()
    await smtp.wait_for(1)
    await eventually(lambda: outbox(mail_bot)[0][0] == "sent")
    mail_bot.clock.advance(timedelta(hours=2))
    mail_bot.mailer.wake()
    await mail_bot.mailer.flush()
    assert len(smtp.received) == 1
    assert outbox(mail_bot)[0][1] == 2


async def test_a_refusing_server_is_retried_with_growing_delays(mail_bot: Harness, smtp: SmtpServer) -> None:
    smtp.refusing = 2
    await open_ticket(mail_bot)
    await eventually(lambda: smtp.refused == 1)
    await eventually(lambda: outbox(mail_bot)[0][1] == 1)
    mail_bot.clock.advance(timedelta(seconds=25))
    await mail_bot.mailer.flush()
    assert smtp.refused == 1  # not yet: 30 s after the first failure
    mail_bot.clock.advance(timedelta(seconds=7))
    mail_bot.mailer.wake()
    await eventually(lambda: smtp.refused == 2)
    mail_bot.clock.advance(timedelta(seconds=50))
    await mail_bot.mailer.flush()
    assert smtp.received == []  # the second wait is 60 s
    mail_bot.clock.advance(timedelta(seconds=12))
    mail_bot.mailer.wake()
    [mail] = await smtp.wait_for(1)
    assert "Bonjour, je suis bloquée" in str(mail.get_content())
    await eventually(lambda: outbox(mail_bot)[0][:2] == ("sent", 3))


async def test_a_slow_server_holds_up_no_parent(mail_bot: Harness, smtp: SmtpServer) -> None:
    smtp.delay = 1.0
    parent = await open_ticket(mail_bot)
    other = await mail_bot.parent("Karim")
    await other.send("/start")  # answered while the mail is on its way
    assert "Bonjour Karim" in await other.text()
    assert smtp.received == []
    await smtp.wait_for(1)
    await parent.send("Autre précision")
    await smtp.wait_for(2)
    assert len({m["Message-ID"] for m in smtp.received}) == 2


async def test_mail_queued_before_a_restart_is_sent_after_it(mail_bot: Harness, smtp: SmtpServer) -> None:
    smtp.stop()
    await open_ticket(mail_bot, "Message écrit pendant la panne")
    await eventually(lambda: outbox(mail_bot)[0][1] >= 1)
    mail_bot.clock.advance(timedelta(minutes=1))
    await mail_bot.restart(before_start=smtp.start)
    [mail] = await smtp.wait_for(1)
    assert "Message écrit pendant la panne" in str(mail.get_content())
    await eventually(lambda: outbox(mail_bot)[0][0] == "sent")
    await mail_bot.mailer.flush()
    assert len(smtp.received) == 1


async def test_without_smtp_tickets_stay_in_telegram(bot: Harness) -> None:
    await open_ticket(bot)
    assert outbox(bot) == []
    await bot.group_caught_up()
    ticket = await bot.store.tickets.get(1)
    assert ticket is not None and ticket.header_message_id is not None


# -- the activation's e-mail step: a code sent through the same outbox ---------------------------------


def code_in(mail_text: str) -> str:
    match = re.search(r"\b(\d{6})\b", mail_text)
    assert match, mail_text
    return match.group(1)


async def to_email_code(parent: Person) -> None:
    await flows.to_cgu(parent)
    await parent.click("✅ J'ai lu et j'accepte")
    await parent.send(ADDRESS)
    await parent.send(ADDRESS.upper())


async def test_an_address_is_confirmed_by_a_code_sent_to_it(mail_bot: Harness, smtp: SmtpServer) -> None:
    await flows.with_account(mail_bot)
    parent = await mail_bot.parent("Amina")
    await to_email_code(parent)
    assert "code à 6 chiffres" in await parent.text() and ADDRESS in await parent.text()
    [mail] = await smtp.wait_for(1)
    assert mail["To"] == ADDRESS
    code = code_in(str(mail.get_content()))
    wrong = "000000" if code != "000000" else "111111"
    typed_wrong = await parent.send(wrong)
    assert "Code incorrect. Il vous reste 2 essais." in await parent.text()
    typed = await parent.send(code[:3] + " " + code[3:])
    # With a confirmed address, no secret questions: straight to the password, as in the guide.
    assert "Adresse confirmée" in await parent.text() and "Étape 6/6" in await parent.text()
    assert {typed_wrong, typed} <= set(await parent.deleted_ids())
    await eventually(lambda: outbox(mail_bot)[0][0] == "sent")
    assert outbox(mail_bot)[0][2] is None  # the code's mail is not kept once sent
    await parent.send(flows.PASSWORD)
    await parent.send(flows.PASSWORD)
    assert "Compte activé !" in await parent.text()
    account = await mail_bot.store.accounts.find(flows.IDENTIFIER)
    assert account is not None and account.email == ADDRESS
    assert not mail_bot.database_holds(code)


async def test_a_code_expires_can_be_resent_three_times_and_three_tries_spend_it(mail_bot: Harness,
                                                                                 smtp: SmtpServer) -> None:
    await flows.with_account(mail_bot)
    parent = await mail_bot.parent("Amina")
    await to_email_code(parent)
    first = code_in(str((await smtp.wait_for(1))[0].get_content()))
    mail_bot.clock.advance(timedelta(minutes=16))
    await parent.send(first)
    assert "Ce code a expiré" in await parent.text()
    await parent.click("🔁 Renvoyer un code")
    assert "Nouveau code envoyé" in await parent.text()
    second = code_in(str((await smtp.wait_for(2))[1].get_content()))
    for _ in range(3):
        await parent.send("999999" if second != "999999" else "888888")
    assert "ne peut plus servir" in await parent.text()
    await parent.send(second)  # too late: spent
    assert "ne peut plus servir" in await parent.text()
    await parent.click("🔁 Renvoyer un code")
    third = code_in(str((await smtp.wait_for(3))[2].get_content()))
    assert "🔁 Renvoyer un code" not in (await parent.last()).button_texts  # three codes: no more
    await parent.send(third)
    assert "Adresse confirmée" in await parent.text()


async def test_skipping_at_the_code_step_keeps_no_address(mail_bot: Harness, smtp: SmtpServer) -> None:
    await flows.with_account(mail_bot)
    parent = await mail_bot.parent("Amina")
    await to_email_code(parent)
    await parent.click("⏭ Passer (recommandé)")
    assert "Vous avez choisi de ne pas indiquer d'adresse" in await parent.text()
    progress = await mail_bot.store.progress.get(parent.user_id)
    assert progress is not None and progress.email is None


async def test_a_code_waits_for_the_server_and_is_dropped_once_expired(mail_bot: Harness, smtp: SmtpServer) -> None:
    await flows.with_account(mail_bot)
    smtp.stop()
    parent = await mail_bot.parent("Amina")
    await to_email_code(parent)
    await eventually(lambda: outbox(mail_bot)[0][1] >= 1)
    mail_bot.clock.advance(timedelta(minutes=16))  # the server is back too late for this code
    smtp.start()
    mail_bot.mailer.wake()
    await eventually(lambda: outbox(mail_bot)[0][0] == "expired")
    assert smtp.received == [] and outbox(mail_bot)[0][2] is None
    await parent.click("🔁 Renvoyer un code")
    [mail] = await smtp.wait_for(1)
    await parent.send(code_in(str(mail.get_content())))
    assert "Adresse confirmée" in await parent.text()


async def test_without_mail_the_address_is_kept_unconfirmed_as_before(bot: Harness, parent: Person) -> None:
    await to_email_code(parent)
    assert "n'est pas encore vérifiée" in await parent.text() and "Première question secrète" in await parent.text()


# -- one bad mail never blocks the outbox (issue 10, points 1 and 14) ---------------------------------


async def test_a_line_break_in_a_name_is_no_header_and_blocks_no_mail(mail_bot: Harness, smtp: SmtpServer) -> None:
    # Telegram lets anyone put a line break in their name; the ticket mail's subject carries that name.
    sly = await mail_bot.parent("x\nBcc: espion@exemple.org\r\nX-Injected: oui")
    await mail_bot.staff_group(await mail_bot.secretary())
    await sly.send("/start")
    await sly.click("✍️ Écrire au collège")
    await sly.send("Bonjour")
    assert "demande n°1" in await sly.text()
    await open_ticket(mail_bot, "Message de Karim, derrière")  # a second mail, queued behind the first
    received = await smtp.wait_for(2)
    assert any("Message de Karim, derrière" in str(m.get_content()) for m in received)
    first = next(m for m in received if "Demande n°1" in str(m["Subject"]))
    assert first["Bcc"] is None and first["X-Injected"] is None
    assert "\n" not in str(first["Subject"]) and "Bcc: espion@exemple.org" in str(first["Subject"])
    assert smtp.rcpt_tos == [[first["To"]], [first["To"]]]  # nobody else got a copy
    await eventually(lambda: [row[0] for row in outbox(mail_bot)] == ["sent", "sent"])


async def test_a_mail_that_never_goes_ends_failed_and_is_listed(mail_bot: Harness, smtp: SmtpServer) -> None:
    from storage.outbox import MAX_ATTEMPTS, enqueue

    # A mail every server refuses, queued first (as the shell or an old version might have queued it).
    async with mail_bot.store.db.transaction() as conn:
        await enqueue(conn, mail_bot.clock.now(), "ticket", "pas une adresse", "Sujet", "Corps", "exemple.fr")
    await open_ticket(mail_bot, "Message qui doit passer")
    [mail] = await smtp.wait_for(1)
    assert "Message qui doit passer" in str(mail.get_content())
    for _ in range(MAX_ATTEMPTS + 5):
        if outbox(mail_bot)[0][0] != "pending":
            break
        mail_bot.clock.advance(timedelta(hours=1))
        await mail_bot.mailer.flush()
    state, attempts, _ = outbox(mail_bot)[0]
    assert (state, attempts) == ("failed", MAX_ATTEMPTS)
    [(error,)] = mail_bot.query("SELECT last_error FROM outbox WHERE id = 1")
    assert error and error.startswith("ValueError")  # the address cannot even be put in an envelope
    mail_bot.clock.advance(timedelta(hours=5))
    assert await mail_bot.mailer.flush() == 0 and len(smtp.received) == 1  # given up: not tried again
    secretary = await mail_bot.secretary()
    await secretary.send("/stats")
    stats = await secretary.text()
    assert "Courriels abandonnés (non envoyés après tous les essais) : 1" in stats
    assert "n°1 (demande d'aide" in stats and f"{MAX_ATTEMPTS} essais" in stats


async def test_the_code_is_never_in_a_subject_nor_kept_once_sent(mail_bot: Harness, smtp: SmtpServer) -> None:
    await flows.with_account(mail_bot)
    parent = await mail_bot.parent("Amina")
    await to_email_code(parent)
    [mail] = await smtp.wait_for(1)
    code = code_in(str(mail.get_content()))
    assert code not in str(mail["Subject"])
    await eventually(lambda: outbox(mail_bot)[0][0] == "sent")
    rows = mail_bot.query("SELECT subject, body FROM outbox")
    assert rows == [("Votre code de confirmation ENT", None)]


async def test_codes_already_in_the_outbox_leave_their_subjects_at_the_upgrade(tmp_path: Path) -> None:
    from storage.store import Store

    path = tmp_path / "old.sqlite3"
    conn = database_before(path, 6)
    for state, body in (("sent", None), ("pending", "Voici votre code : 484353"), ("expired", None)):
        conn.execute("INSERT INTO outbox (kind, recipient, subject, body, message_id, created_at, next_attempt_at,"
                     " state) VALUES ('email_code', 'a@exemple.fr', '484353 : votre code de confirmation ENT', ?,"
                     " ?, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', ?)", (body, f"<{state}@x>", state))
    conn.commit()
    conn.close()
    store = Store(path)
    await store.open()
    await store.close()
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT state, subject FROM outbox ORDER BY id").fetchall()
    conn.close()
    assert rows == [(s, "Votre code de confirmation ENT") for s in ("sent", "pending", "expired")]


async def test_a_telegram_name_with_a_line_separator_does_not_stop_every_mail(
        mail_bot: Harness, smtp: SmtpServer) -> None:
    """The ticket mail's subject carries the parent's Telegram name. Identifiers are validated now, names are
    not: a name holding U+2028 (or \\x85, \\x0b, \\x1c: every `str.splitlines()` separator) makes EmailMessage
    raise ValueError, which `Mailer.flush` does not catch -- that mail, oldest first, blocks every mail behind
    it (other tickets, e-mail codes) for good."""
    await mail_bot.staff_group(await mail_bot.secretary())
    odd = await mail_bot.parent("Amina\u2028Bcc: intrus@example.org")
    await odd.send("/start")
    await odd.click("✍️ Écrire au collège")
    await odd.send("Bonjour, je suis bloquée")
    plain = await mail_bot.parent("Karim")
    await plain.send("/start")
    await plain.click("✍️ Écrire au collège")
    await plain.send("Bonjour, moi aussi")
    assert "demande n°" in await plain.text()
    try:
        await mail_bot.mailer.flush()
    except ValueError:
        pass  # what happens today, round after round; asserted below by what the school receives
    received = await smtp.wait_for(1)  # Karim's ticket must reach the school whatever Amina's name holds
    assert any("Karim" in str(m["Subject"]) for m in received)
    assert all("\nBcc" not in str(m) for m in received)
