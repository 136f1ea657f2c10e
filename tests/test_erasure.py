"""Erasing one's data (/mesdonnees) as an attacker would use it: no fresh count of guesses, no other family's mail."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from sandbox.driver import Person
from tests import flows
from tests.conftest import Harness
from tests.old_schema import database_before
from tests.smtp import SmtpServer
from tests.test_mail_codes import code_in, delivered, pending
from tests.test_privacy import entbot
from tests.waiting import eventually

OTHER = {**flows.ACCOUNT, "identifiant": "marie.martin7", "mot_de_passe_provisoire": "Prov-2026b", "nom": "Martin",
         "prenom": "Marie"}
LOCKED = "Trop d'essais incorrects"
SHARED_ADDRESS = "famille.martin@exemple.fr"


async def erase(person: Person) -> str:
    await person.send("/mesdonnees")
    await person.click("🗑 Effacer mes données")
    await person.click("🗑 Oui, tout effacer")
    return await person.text()


async def guess(person: Person, identifier: str, times: int) -> None:
    """Wrong provisional passwords for one identifier, as a guesser types them."""
    await flows.to_identifier(person)
    await person.send(identifier)
    for i in range(times):
        await person.send(f"Devine-{i}x")


# -- finding 4: erasing keeps what protects the accounts -------------------------------------------------


async def test_a_guesser_who_erases_gets_no_fresh_count(bot: Harness) -> None:
    await bot.import_accounts([flows.ACCOUNT, OTHER])
    guesser = await bot.parent("Intrus")
    await guess(guesser, flows.IDENTIFIER, 4)
    assert LOCKED not in await guesser.all_text()
    done = await erase(guesser)
    # One more guess, on another family's account: the fifth of this person, locked as without the erasure.
    await guess(guesser, OTHER["identifiant"], 1)
    assert LOCKED in await guesser.text()
    assert "C'est fait" in done and "vos essais échoués des dernières 24 heures" in done
    # Who failed on the first account still counts for that account's lock.
    conn = sqlite3.connect(bot.settings.database)
    failing = conn.execute("SELECT COUNT(*) FROM account_failures WHERE telegram_user_id = ?",
                           (guesser.user_id,)).fetchone()[0]
    conn.close()
    assert failing == 2


async def test_failures_that_no_longer_count_are_erased(bot: Harness) -> None:
    await bot.import_accounts([flows.ACCOUNT])
    parent = await bot.parent("Amina")
    await guess(parent, flows.IDENTIFIER, 2)
    bot.clock.advance(timedelta(hours=25))  # a day without a failure: the count starts afresh anyway
    await erase(parent)
    conn = sqlite3.connect(bot.settings.database)
    rows = [conn.execute(f"SELECT COUNT(*) FROM {table} WHERE {key} = ?", (value,)).fetchone()[0]
            for table, key, value in (("attempts", "key", str(parent.user_id)),
                                      ("account_failures", "telegram_user_id", parent.user_id))]
    conn.close()
    assert rows == [0, 0]


# -- finding 11: an erasure deletes the family's own mail, never another's -------------------------------


async def test_one_family_erasing_leaves_another_family_s_mail_queued(mail_bot: Harness, smtp: SmtpServer) -> None:
    await mail_bot.import_accounts([flows.ACCOUNT, OTHER])
    await mail_bot.staff_group(await mail_bot.secretary())
    smtp.stop()  # everything below waits in the outbox
    family = await mail_bot.parent("Marie")
    await flows.to_cgu(family, OTHER["identifiant"], OTHER["mot_de_passe_provisoire"])
    await family.click("✅ J'ai lu et j'accepte")
    await family.send(SHARED_ADDRESS)
    await family.send(SHARED_ADDRESS)
    assert "code à 6 chiffres" in await family.text()
    # The one who erases typed the same address at step 4 of their own activation, and their Telegram number
    # is in the other family's message to the school (any number may be: it is a word of the body).
    sly = await mail_bot.parent("Intrus")
    await flows.to_cgu(sly)
    await sly.click("✅ J'ai lu et j'accepte")
    await sly.send(SHARED_ADDRESS)
    await sly.send(SHARED_ADDRESS)
    await family.send("/start")
    await family.click("✍️ Écrire au collège")
    await family.send(f"Bonjour, le numéro {sly.user_id} m'écrit au sujet de mon compte, est-ce normal ?")
    assert "demande n°" in await family.text()
    await eventually(lambda: pending(mail_bot) == 3)

    await erase(sly)
    assert pending(mail_bot) == 2  # the sly one's own code mail went, and only it
    smtp.start()
    mail_bot.clock.advance(timedelta(minutes=2))
    assert await delivered(mail_bot, smtp) == 2
    bodies = smtp.bodies()
    assert any(f"le numéro {sly.user_id} m'écrit" in body for body in bodies)
    code_mail = next(m for m in smtp.received if m["To"] == SHARED_ADDRESS)
    await family.send("/start")
    await family.click("▶️ Reprendre à l'étape 4/6")
    await family.send(code_in(str(code_mail.get_content())))
    assert "Adresse confirmée" in await family.text()


async def test_mail_queued_before_the_upgrade_is_erased_with_its_family_only(tmp_path: Path) -> None:
    """Ticket mails queued by an older version learn their family from the ticket's number in their subject."""

    path = tmp_path / "entbot.sqlite3"
    conn = database_before(path, 13)
    now = "2026-01-01T00:00:00+00:00"
    for ticket, uid in ((1, 4_200_011), (2, 4_200_012)):
        conn.execute("INSERT INTO tickets (id, telegram_user_id, user_name, context, opened_at, updated_at)"
                     " VALUES (?, ?, 'Parent', 'étape 2', ?, ?)", (ticket, uid, now, now))
        conn.execute("INSERT INTO outbox (kind, recipient, subject, body, message_id, created_at, next_attempt_at)"
                     " VALUES ('ticket', 'ce@college.fr', ?, ?, ?, ?, ?)",
                     (f"[Assistant ENT] Demande n°{ticket} — Parent", f"De : Parent (Telegram {uid}) 4200011",
                      f"<{ticket}@x>", now, now))
    conn.commit()
    conn.close()
    erased = entbot(tmp_path, "privacy", "erase", "4200011")
    assert erased.returncode == 0, erased.stderr
    conn = sqlite3.connect(path)
    left = conn.execute("SELECT subject, telegram_user_id FROM outbox").fetchall()
    conn.close()
    assert left == [("[Assistant ENT] Demande n°2 — Parent", 4_200_012)]
