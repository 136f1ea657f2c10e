"""Issue 22 as an attacker runs it against the help desk: no oracle of a family's secrets, a bounded cost, nothing typed
in the wrong box sent on, only pictures and PDFs relayed, a flood of tickets refused politely."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import timedelta

import pytest

from conversations import helpdesk
from sandbox.driver import Person
from sandbox.world import BOT_ID
from storage import metering
from tests import flows
from tests.conftest import Harness
from tests.smtp import SmtpServer
from tests.test_helpdesk import header_of, write_to_school

ArgonCount = Callable[[], int]


@pytest.fixture
def argon_ops(monkeypatch: pytest.MonkeyPatch) -> ArgonCount:
    """The Argon2 operations the bot made so far in this process (the benchmark's own counter, switched on)."""
    monkeypatch.setattr(metering, "ENABLED", True)
    return lambda: int(metering.snapshot()["argon2"])


async def said_to(person: Person, text: str) -> tuple[str, bool]:
    """Sends `text` and returns what the bot answered and whether the message was taken out of the chat."""
    sent = await person.send(text)
    return await person.text(), sent in await person.deleted_ids()


# -- finding 1: the filter is no oracle ------------------------------------------------------------------


async def test_a_stranger_cannot_tell_a_right_guess_from_a_wrong_one(
        mail_bot: Harness, smtp: SmtpServer, argon_ops: ArgonCount) -> None:
    await flows.with_account(mail_bot)
    family = await mail_bot.parent("Amina")
    await flows.activate(family)
    group = await mail_bot.staff_group(await mail_bot.secretary())
    stranger = await mail_bot.parent("Intrus")
    await flows.to_identifier(stranger)
    await stranger.send(flows.IDENTIFIER)  # the family's identifier: all the stranger knows
    await write_to_school(stranger, "Bonjour, je n'arrive pas à me connecter")
    assert "demande n°1" in await stranger.text()

    # Each right guess (the family's password, provisional password, answers) beside a wrong one of its kind.
    pairs = [(flows.PASSWORD, "Ma-Cle:Rouge42"), (flows.PROVISIONAL, "Prov-2025b"),
             (flows.ANSWER2, "Le Grand Rouge"), (flows.ANSWER1, "01 47 20 00 02")]
    before = argon_ops()
    for right, wrong in pairs:
        mail_bot.clock.advance(timedelta(minutes=6))  # past the help desk's 5 messages in 5 minutes
        seen_right = await said_to(stranger, f"C'est bien {right} ?")
        seen_wrong = await said_to(stranger, f"C'est bien {wrong} ?")
        assert seen_right == seen_wrong, (right, seen_right, seen_wrong)
        assert "ajouté à votre demande n°1" in seen_right[0] and seen_right[1] is False
    # No comparison with the family's secrets was made on the stranger's behalf: nothing to count, nothing to learn.
    assert argon_ops() == before
    # And the family's own Telegram account is still the only one that proved the account.
    assert "N'A PAS prouvé détenir ce compte" in (await header_of(group, 1)).text


async def test_the_family_that_proved_its_account_is_still_protected_from_its_own_slip(
        mail_bot: Harness, smtp: SmtpServer) -> None:
    await flows.with_account(mail_bot)
    family = await mail_bot.parent("Amina")
    await flows.activate(family)
    await write_to_school(family, "Bonjour")
    answered, deleted = await said_to(family, f"Mon mot de passe est {flows.PASSWORD}, il ne marche plus")
    assert "Votre message contient votre mot de passe" in answered and deleted
    # A provisional password's shape is refused from anyone, the stranger included: it depends on the words alone.
    stranger = await mail_bot.parent("Intrus")
    await write_to_school(stranger, "Bonjour, voici le code de la lettre : Kp7m-X4tz-R9")
    assert "Votre message contient votre mot de passe" in await stranger.text()


# -- finding 8: one message, one person: a few Argon2 checks -------------------------------------------


async def test_a_long_message_costs_a_few_checks_and_a_flood_of_them_is_cut(
        mail_bot: Harness, smtp: SmtpServer, argon_ops: ArgonCount) -> None:
    await flows.with_account(mail_bot)
    family = await mail_bot.parent("Amina")
    await flows.activate(family)  # proven: its messages are compared with its secrets
    await mail_bot.staff_group(await mail_bot.secretary())
    mail_bot.clock.advance(timedelta(minutes=1, seconds=1))  # the activation's own checks are a minute old
    sixty_words = " ".join(f"essai-{n}:{n * 7}" for n in range(1, 61))  # 60 words that look like passwords

    costs = []
    await family.send("/aide")
    await family.click("✍️ Écrire au collège")
    for n in range(3):
        before = argon_ops()
        answered, deleted = await said_to(family, f"Message {n} : {sixty_words}")
        costs.append(argon_ops() - before)
        assert "demande n°1" in answered and not deleted
    # Before the fix, each of these messages cost about 200 Argon2 verifications (seconds of CPU).
    assert all(0 < cost <= 6 for cost in costs), costs

    # The person's budget (20 a minute, shared with the steps that hash) is spent: the next is refused, unchecked.
    before = argon_ops()
    answered, deleted = await said_to(family, f"Message 4 : {sixty_words}")
    assert "Vous m'écrivez très vite" in answered and deleted
    assert argon_ops() == before
    # Shared with the steps: a login test in the same minute is refused as well once the budget is gone.
    await family.send("/start")
    await family.click("🔎 Tester ma connexion")
    for _ in range(3):  # a wrong password sends the test back to the identifier
        await family.send(flows.IDENTIFIER)
        await family.send("Pas-Le-Bon:1")
    assert "Vous allez un peu vite" in await family.text()
    # A minute later the family writes again as usual.
    mail_bot.clock.advance(timedelta(minutes=1, seconds=1))
    await family.send("/start")
    await family.click("✍️ Écrire au collège")
    answered, _ = await said_to(family, "Merci de votre aide")
    assert "demande n°1" in answered


# -- finding 6: a password typed as the identifier -------------------------------------------------------


async def test_a_password_typed_as_the_identifier_is_erased_and_never_reaches_the_school(
        mail_bot: Harness, smtp: SmtpServer) -> None:
    await flows.with_account(mail_bot)
    parent = await mail_bot.parent("Amina")
    group = await mail_bot.staff_group(await mail_bot.secretary())
    await flows.to_identifier(parent)
    for typed in ("Kp7m-X4tz-R9", "MaCleVerte42"):  # a provisional password's shape; capitals inside, digits
        answered, deleted = await said_to(parent, typed)
        assert "ressemble à un mot de passe" in answered and deleted
    # A word that matches no account is not repeated to the parent, nor sent to the school: it may be a password.
    await parent.send("azerty2024")
    assert "Mot de passe provisoire" in await parent.text() and "azerty2024" not in await parent.text()
    await parent.send("Faux-1")
    await write_to_school(parent, "Bonjour, ça ne marche pas")
    header = await header_of(group, 1)
    [mail] = await smtp.wait_for(1)
    assert "ne correspond à aucun compte" in header.text and "ne correspond à aucun compte" in str(mail.get_content())
    for where in (header.text, str(mail["Subject"]), str(mail.get_content())):
        for secret in ("Kp7m-X4tz-R9", "MaCleVerte42", "azerty2024"):
            assert secret not in where
    database = mail_bot.settings.database.read_bytes()
    assert b"Kp7m-X4tz-R9" not in database and b"MaCleVerte42" not in database
    conn = sqlite3.connect(mail_bot.settings.database)
    assert conn.execute("SELECT identifier FROM tickets").fetchall() == [(None,)]
    conn.close()

    # The family's identifier typed with a capital first letter, as phones do, is taken as usual.
    await parent.send("/start")
    await parent.click("▶️ Reprendre à l'étape 2/6")
    await parent.click("↩ Retour")
    await parent.send("Jean.dupont12")
    await parent.send(flows.PROVISIONAL)
    assert "Étape 3/6" in await parent.text()


# -- finding 14: what a parent's file may be ------------------------------------------------------------


async def test_only_pictures_and_pdfs_of_a_sensible_size_reach_the_staff_group(bot: Harness) -> None:
    parent = await bot.parent("Léa")
    group = await bot.staff_group(await bot.secretary())
    await write_to_school(parent, "Bonjour, voici l'erreur")
    refused = [("setup.exe", "application/x-msdownload", 40_000),
               ("facture.pdf.exe", "application/pdf", 40_000),  # a PDF's type, a program's name
               ("photos.zip", "application/zip", 40_000),
               ("capture.pdf", "application/pdf", 25 * 1024 * 1024)]  # too big
    for name, mime, size in refused:
        await parent.send_document(caption=f"fichier {name}", file_name=name, mime_type=mime, size=size)
        assert "n'a pas été transmis" in await parent.text() and "PDF" in await parent.text(), name
    await parent.send_document(caption="la capture", file_name="Capture.PNG", mime_type="image/png", size=300_000)
    assert "ajouté à votre demande n°1" in await parent.text()
    await bot.group_caught_up()
    shown = [m.text for m in await group.messages()]
    assert any("la capture" in t for t in shown)
    assert not any("fichier" in t for t in shown), shown


# -- finding 10: a flood of tickets -------------------------------------------------------------------


async def test_a_flood_of_new_tickets_is_refused_politely_once_the_staff_group_is_far_behind(
        bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(helpdesk, "MAX_WAITING_POSTS", 6)  # the real bound is 180: the same path, fewer accounts
    group = await bot.staff_group(await bot.secretary())
    await group.set_member(BOT_ID, member=False)  # the group cannot receive: every post waits in the queue
    writers = [await bot.parent(f"Compte{n}") for n in range(4)]
    answers = []
    for writer in writers:
        await write_to_school(writer, f"Bonjour de {writer.first_name}")
        answers.append(await writer.text())
    accepted = [a for a in answers if "demande n°" in a]
    refused = [a for a in answers if "beaucoup de messages en ce moment" in a]
    assert len(accepted) == 3 and len(refused) == 1, answers  # header + message each: 6 posts waiting
    assert "ce.0371122u@ac-orleans-tours.fr" in refused[0]
    conn = sqlite3.connect(bot.settings.database)
    assert conn.execute("SELECT COUNT(*) FROM tickets").fetchone() == (3,)
    conn.close()
    await group.set_member(BOT_ID)  # the group back: what was accepted reaches it
    await bot.run_job("repost_tickets")
    await bot.group_caught_up()
    assert len([m for m in await group.messages() if m.text.startswith("🆘")]) == 3


async def test_a_usual_password_typed_as_the_identifier_is_kept_nowhere(bot: Harness) -> None:
    await flows.with_account(bot)
    family = await bot.parent("Amina")
    await flows.activate(family, password="Flocon.2019")  # a capital, a dot, digits: an identifier's shape too
    for menu in ("🔎 Tester ma connexion", "🔓 Mot de passe oublié"):
        await family.send("/start")
        await family.click(menu)
        typed = await family.send("Flocon.2019")  # the password, in the identifier's box
        assert typed in await family.deleted_ids()
        assert "Flocon.2019" not in await family.all_text()
    await family.send("/mesdonnees")
    assert "un identifiant qui ne correspond à aucun compte" in await family.text()
    assert "Flocon" not in await family.text()
    database = bot.settings.database
    for raw in (database.read_bytes(), *(p.read_bytes() for p in database.parent.glob(database.name + "-wal"))):
        assert b"flocon" not in raw.lower()
    key = database.with_name(database.name + ".key")  # what the digests are keyed with: the bot's user alone
    assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_bytes()) == 32
    # The identifier itself is deleted just the same, so the chat never says whether a word is one.
    await family.send("/start")
    await family.click("🔎 Tester ma connexion")
    typed = await family.send(flows.IDENTIFIER)
    assert typed in await family.deleted_ids()
    await family.send("Flocon.2019")
    assert "Identifiant et mot de passe corrects" in await family.text()


# -- the second pass of the review: a proof that no longer holds, a backlog that turns families away --------


async def test_a_provisional_password_proven_before_someone_else_activated_proves_nothing(
        mail_bot: Harness, smtp: SmtpServer, argon_ops: ArgonCount) -> None:
    await flows.with_account(mail_bot)
    intruder = await mail_bot.parent("Intrus")
    await flows.to_cgu(intruder)  # saw the letter: typed the identifier and the provisional password, then waited
    family = await mail_bot.parent("Amina")
    await flows.activate(family)  # the family activates from its own phone, with its own password and answers
    group = await mail_bot.staff_group(await mail_bot.secretary())
    await intruder.send("/start")
    await intruder.click("✍️ Écrire au collège")
    await intruder.send("Bonjour")
    before = argon_ops()
    seen = []
    for guess in (flows.PASSWORD, "Ma-Cle:Rouge41", f"« {flows.ANSWER2} »", "« Le Petit Rouge »"):
        mail_bot.clock.advance(timedelta(minutes=6))
        seen.append(await said_to(intruder, f"Est-ce {guess} ?"))
    assert seen[0] == seen[1] and seen[2] == seen[3] and not any(deleted for _, deleted in seen), seen
    assert argon_ops() == before
    header = await header_of(group, 1)
    assert "N'A PAS prouvé détenir ce compte" in header.text  # so a reset asks staff to check who writes first


async def test_a_full_backlog_never_turns_away_a_family_that_proved_its_account(
        bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(helpdesk, "MAX_WAITING_POSTS", 4)
    await flows.with_account(bot)
    family = await bot.parent("Amina")
    await flows.activate(family)
    group = await bot.staff_group(await bot.secretary())
    await group.set_member(BOT_ID, member=False)  # the group cannot receive: every post waits
    strangers = [await bot.parent(f"Compte{n}") for n in range(3)]
    for stranger in strangers:
        await write_to_school(stranger, "Bonjour")
    assert "beaucoup de messages en ce moment" in await strangers[-1].text()  # 4 posts wait: the third is refused
    await write_to_school(family, "Bonjour, je n'arrive pas à me connecter")  # proven: accepted all the same
    assert "demande n°3" in await family.text()
    await strangers[0].send("Vous avez pu regarder ?")  # a follow-up on an open ticket: accepted too
    assert "ajouté à votre demande n°1" in await strangers[0].text()
