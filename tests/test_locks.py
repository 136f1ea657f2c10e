"""Locks an attacker can cause, as the family, the stranger and the school's staff see them."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import timedelta

import pytest

from sandbox.driver import Person
from storage.attempts import MAX_PROBED_IDENTIFIERS
from tests import flows
from tests.conftest import Harness, process_env
from tests.smtp import SmtpServer

pytestmark = pytest.mark.both_engines  # attempts and locks, on SQLite and on PostgreSQL

WRONG = "Mauvais-1"


def minutes_told(text: str) -> int:
    found = re.search(r"réessayez dans <b>(\d+) minutes?</b>|réessayez dans (\d+) minutes?", text)
    assert found, text
    return int(found.group(1) or found.group(2))


async def fail_provisional(person: Person, times: int) -> None:
    """Wrong pairs at step 2 of the activation: the identifier when the bot asks for it, then wrong passwords."""
    for _ in range(times):
        if "Votre identifiant" in await person.text():
            await person.send(flows.IDENTIFIER)
        await person.send(WRONG)


async def lock_out(person: Person, first: bool) -> int:
    """Five wrong pairs in a row, from the menu the first time; the minutes the lock message gives."""
    if first:
        await flows.to_identifier(person)
        await fail_provisional(person, 5)
    else:  # still at the password of step 2, where the lock left them
        await person.send(WRONG)
        await fail_provisional(person, 4)
    return minutes_told(await person.text())


async def family_is_told(family: Person, first: bool = True) -> int:
    """What the account's own family reads when they try now with the right pair."""
    if first:
        await flows.to_cgu(family)
    else:  # still at the password of step 2, where the lock message left them
        await family.send(flows.PROVISIONAL)
    return minutes_told(await family.text())


async def test_one_stranger_cannot_make_the_family_lock_grow(bot: Harness, parent: Person) -> None:
    stranger = await bot.parent("Intrus")
    assert await lock_out(stranger, first=True) == 15
    bot.clock.advance(timedelta(minutes=16))
    # The stranger's own lock doubles; the account's does not, for the same single stranger.
    assert await lock_out(stranger, first=False) == 30
    assert await family_is_told(parent) == 15
    bot.clock.advance(timedelta(minutes=31))
    assert await lock_out(stranger, first=False) == 60
    assert await family_is_told(parent, first=False) == 15
    bot.clock.advance(timedelta(minutes=61))
    await stranger.send(WRONG)
    await fail_provisional(stranger, 4)
    assert "réessayez dans 2 heures" in await stranger.text()
    assert await family_is_told(parent, first=False) == 15


async def test_the_account_lock_grows_with_distinct_users_and_decays_after_a_quiet_day(bot: Harness,
                                                                                        parent: Person) -> None:
    first, second = await bot.parent("Intrus"), await bot.parent("Complice")
    assert await lock_out(first, first=True) == 15
    bot.clock.advance(timedelta(minutes=16))
    # A second Telegram user failing on the same account: the account's lock doubles.
    assert await lock_out(second, first=True) == 30
    assert await family_is_told(parent) == 30
    # A day with no failure once the lock is over: the account's past no longer counts.
    bot.clock.advance(timedelta(minutes=31) + timedelta(hours=24))
    assert await lock_out(first, first=False) == 15
    assert await family_is_told(parent, first=False) == 15


async def test_staff_see_how_many_users_caused_a_lock_not_who(bot: Harness, parent: Person) -> None:
    first, second = await bot.parent("Intrus"), await bot.parent("Complice")
    await flows.to_identifier(first)
    await fail_provisional(first, 3)
    await flows.to_identifier(second)
    await fail_provisional(second, 2)
    assert "Trop d'essais incorrects" in await second.text()
    secretary = await bot.secretary()
    await secretary.send("/compte jean.dupont12")
    card = await secretary.text()
    assert "Verrou : jusqu'à" in card and "échecs venant de 2 utilisateurs Telegram" in card
    assert str(first.user_id) not in card and str(second.user_id) not in card
    env = process_env(**bot.cli_env())
    shown = subprocess.run([sys.executable, "-m", "bot", "accounts", "show", flows.IDENTIFIER], env=env,
                           capture_output=True, text=True, timeout=120).stdout
    assert "échecs venant de 2 utilisateurs Telegram" in shown
    assert str(first.user_id) not in shown and str(second.user_id) not in shown


async def test_forgot_password_no_longer_tells_whether_a_guess_is_the_current_password(bot: Harness,
                                                                                        parent: Person) -> None:
    await flows.activate(parent)
    bot.clock.advance(timedelta(seconds=61))  # answers and passwords are checked at a bounded pace per minute
    await flows.forgot(parent)
    replies = []
    for guess in ("Essai-Un:11", "Essai-Deux:22", flows.PASSWORD):  # the third is the current password
        await parent.send(guess)
        replies.append(await parent.text())
        await parent.send("Pas-Le-Meme-1")  # a different confirmation: back to choosing
        assert "ne sont pas identiques" in await parent.text()
    assert replies[0] == replies[1] == replies[2]
    assert "ancien mot de passe" not in await parent.all_text()
    bot.clock.advance(timedelta(seconds=61))
    await parent.send("court")
    assert "au moins 8 caractères" in await parent.text()
    # Keeping the same password is allowed: it harms nobody, and nothing tells it apart.
    await parent.send(flows.PASSWORD)
    await parent.send(flows.PASSWORD)
    assert "Mot de passe changé !" in await parent.text()


def _user_attempts(bot: Harness, user_id: int) -> tuple[int, str | None]:
    rows = bot.query("SELECT locks, locked_until FROM attempts WHERE scope = 'user' AND key = ?", (str(user_id),))
    return (rows[0][0], rows[0][1]) if rows else (0, None)


async def test_probing_identifiers_in_forgot_password_counts_and_locks(bot: Harness, parent: Person) -> None:
    prober = await bot.parent("Curieux")
    await prober.send("/start")
    await prober.click("🔓 Mot de passe oublié")
    for n in range(14):
        if await bot.store.recovery.get(prober.user_id) is None:  # the lock ended the dialogue
            await prober.send("/start")
            await prober.click("🔓 Mot de passe oublié")
        await prober.send(f"eleve.inconnu{n}")
    assert "Trop d'essais incorrects" in await prober.text()
    locks, until = _user_attempts(bot, prober.user_id)
    assert locks == 1 and until is not None
    events = [r[0] for r in bot.query("SELECT event FROM audit WHERE actor = ? ORDER BY id",
                                      (f"telegram:{prober.user_id}",))]
    assert events.count("forgot_identifier_failed") == 5 and events.count("locked") == 1
    # Locked, even the family's real identifier is no longer looked up for this user.
    await prober.send("/start")
    await prober.click("🔓 Mot de passe oublié")
    await prober.send(flows.IDENTIFIER)
    assert "Trop d'essais incorrects" in await prober.text()


async def activate_as(bot: Harness, identifier: str) -> None:
    """One more activated account of the school, activated by its own family."""
    await flows.with_account(bot, identifiant=identifier)
    family = await bot.parent(f"Famille {identifier}")
    await flows.to_identifier(family)
    await family.send(identifier)
    await family.send(flows.PROVISIONAL)
    await family.click("✅ J'ai lu et j'accepte")
    await family.click("⏭ Passer (recommandé)")
    await flows.choose_question(family, 7)
    await family.send(flows.ANSWER1)
    await flows.choose_question(family, 14)
    await family.send(flows.ANSWER2)
    await family.send(flows.PASSWORD)
    await family.send(flows.PASSWORD)
    assert "Compte activé" in await family.all_text()


async def test_one_user_looks_up_only_a_few_activated_accounts_a_day(bot: Harness) -> None:
    identifiers = [f"parent.numero{n}" for n in range(MAX_PROBED_IDENTIFIERS + 1)]
    for identifier in identifiers:
        await activate_as(bot, identifier)
    prober = await bot.parent("Curieux")
    for identifier in identifiers[:MAX_PROBED_IDENTIFIERS]:
        await flows.to_first_question(prober, identifier)
        assert "question secrète 1/2" in await prober.text()
        await prober.click("↩ Retour")
    await flows.to_first_question(prober, identifiers[-1])
    assert "plusieurs comptes différents" in await prober.text()
    assert "question secrète" not in await prober.text()
    assert _user_attempts(bot, prober.user_id) == (0, None)  # counted, not yet locked
    events = [r[0] for r in bot.query("SELECT event FROM audit WHERE actor = ? ORDER BY id",
                                      (f"telegram:{prober.user_id}",))]
    assert events == ["forgot_probe_failed"]
    # The same ones again are fine (a parent retrying their own), and a day later the count starts afresh.
    await prober.click("↩ Retour")
    await flows.to_first_question(prober, identifiers[0])
    assert "question secrète 1/2" in await prober.text()
    await prober.click("↩ Retour")
    bot.clock.advance(timedelta(hours=25))
    await flows.to_first_question(prober, identifiers[-1])
    assert "question secrète 1/2" in await prober.text()


# -- issue 22: a handful of strangers against one family (findings 5 and 9) ----------------------------


async def test_a_handful_of_strangers_keep_the_account_locked_an_hour_at_most(bot: Harness, parent: Person) -> None:
    """Issue 22, finding 9: five Telegram users take turns failing on the family's identifier for a whole day."""
    strangers = [await bot.parent(f"Intrus {n}") for n in range(5)]
    for stranger in strangers:
        await flows.to_identifier(stranger)
        await stranger.send(flows.IDENTIFIER)
    await flows.to_identifier(parent)
    await parent.send(flows.IDENTIFIER)
    start = bot.clock.now()
    free_at = {s.user_id: start for s in strangers}
    told: list[int] = []
    while bot.clock.now() - start < timedelta(hours=24):
        ready = [s for s in strangers if free_at[s.user_id] <= bot.clock.now()]
        if not ready:  # all of them locked themselves: they wait for the first to be free again
            bot.clock.advance(min(free_at.values()) - bot.clock.now() + timedelta(seconds=1))
            continue
        account_lock = None
        for stranger in ready:  # each one guesses in turn, until the account locks
            await stranger.send(WRONG)
            own = await bot.store.attempts.locked_until(("user", str(stranger.user_id)))
            if own is not None:
                free_at[stranger.user_id] = own.until
            account_lock = await bot.store.attempts.locked_until(("account", flows.IDENTIFIER))
            if account_lock is not None:
                break
        if account_lock is None:
            continue
        await parent.send(flows.PROVISIONAL)  # the family, with the right password, meanwhile
        told.append(minutes_told(await parent.text()))
        bot.clock.advance(account_lock.until - bot.clock.now() + timedelta(seconds=1))
    assert len(told) >= 5 and max(told) <= 60, told  # the lock grows with log2 of the users: 5 of them, 1 h
    # Meanwhile each stranger's own lock grew beyond the account's: locks grow per sender first.
    assert max(_user_attempts(bot, s.user_id)[0] for s in strangers) >= 4


async def test_the_family_s_proven_ways_in_hold_while_strangers_lock_its_identifier(bot: Harness,
                                                                                   parent: Person) -> None:
    from tests.test_letters import _letter

    await flows.to_cgu(parent)  # the family proved its account, then left it for a while
    assert "Étape 3/6" in await parent.text()
    bot.clock.advance(timedelta(minutes=40))
    for name in ("Intrus", "Complice", "Troisième"):
        stranger = await bot.parent(name)
        await lock_out(stranger, first=True)
    other_parent = await bot.parent("Karim")  # the family's other phone, which never proved anything
    await flows.to_cgu(other_parent)
    assert "Trop d'essais incorrects" in await other_parent.text()
    # The family's phone that proved the account: the provisional password asked again is checked, not locked.
    await parent.click("✅ J'ai lu et j'accepte")
    assert "mot de passe provisoire" in (await parent.text()).lower()
    await parent.send(flows.PROVISIONAL)
    assert "Trop d'essais" not in await parent.text() and "Étape 3/6" in await parent.text()
    # The letter's link opens the account from any phone, whatever the identifier's lock.
    await other_parent.send(f"/start {await _letter(bot)}")
    assert "Voici la lettre du collège pour le compte de" in await other_parent.text()


async def test_staff_unlock_from_the_shell_forgives_the_family_not_the_strangers(bot: Harness, parent: Person) -> None:
    """Issue 22, finding 5, with `entbot accounts unlock`."""
    await flows.to_cgu(parent)  # the family proved its account
    bot.clock.advance(timedelta(minutes=31))
    stranger = await bot.parent("Intrus")
    assert await lock_out(stranger, first=True) == 15
    await parent.click("✅ J'ai lu et j'accepte")
    for _ in range(5):  # asked again for the provisional password, the family mistypes it five times
        await parent.send(WRONG)
    assert "Trop d'essais incorrects" in await parent.text()
    env = process_env(**bot.cli_env())
    done = subprocess.run([sys.executable, "-m", "bot", "accounts", "unlock", flows.IDENTIFIER], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "débloqué" in done.stdout
    await parent.send(flows.PROVISIONAL)
    assert "Étape 3/6" in await parent.text()
    await stranger.send(flows.PROVISIONAL)  # even the right password: the stranger's own lock holds
    assert "Trop d'essais incorrects" in await stranger.text()


async def test_a_mail_code_still_opens_the_account_while_strangers_lock_its_identifier(mail_bot: Harness,
                                                                                       smtp: SmtpServer) -> None:
    """Issue 22, finding 9: the family's confirmed mailbox is its way back, from a phone that never proved anything."""
    from tests.test_mail import code_in

    bot = mail_bot
    await flows.with_account(bot)
    family = await bot.parent("Amina")
    await flows.to_cgu(family)
    await family.click("✅ J'ai lu et j'accepte")
    await family.send("amina.dupont@example.fr")
    await family.send("amina.dupont@example.fr")
    await family.send(code_in(str((await smtp.wait_for(1))[0].get_content())))
    await family.send(flows.PASSWORD)
    await family.send(flows.PASSWORD)
    assert "Compte activé !" in await family.text()
    bot.clock.advance(timedelta(seconds=61))
    for name in ("Intrus", "Complice"):
        stranger = await bot.parent(name)
        for _ in range(5):
            await flows.login_test(stranger, WRONG)
        bot.clock.advance(timedelta(minutes=16))
    assert await bot.store.attempts.locked_until(("account", flows.IDENTIFIER)) is not None
    new_phone = await bot.parent("Amina (nouveau téléphone)")
    await new_phone.send("/start")
    await new_phone.click("🔓 Mot de passe oublié")
    await new_phone.send(flows.IDENTIFIER)
    assert "code à 6 chiffres" in await new_phone.text()
    await new_phone.send(code_in(str((await smtp.wait_for(2))[1].get_content())))
    assert "Code correct" in await new_phone.text()
    await new_phone.send(flows.NEW_PASSWORD)
    await new_phone.send(flows.NEW_PASSWORD)
    assert "Mot de passe changé !" in await new_phone.text()


async def test_a_provisional_password_proven_before_the_activation_no_longer_passes_the_account_s_lock(
        bot: Harness, parent: Person) -> None:
    """Someone who had the letter before the family activated is a stranger to the active account's lock."""
    thief = await bot.parent("Voleur de lettre")
    await flows.to_cgu(thief)
    assert "Étape 3/6" in await thief.text()
    await thief.send("/annuler")
    await flows.activate(parent)
    assert "Compte activé !" in await parent.text()
    bot.clock.advance(timedelta(seconds=61))
    for name in ("Intrus", "Complice"):
        stranger = await bot.parent(name)
        for _ in range(5):
            await flows.login_test(stranger, WRONG)
        bot.clock.advance(timedelta(minutes=16))
    await flows.login_test(thief, WRONG)
    assert "Trop d'essais incorrects" in await thief.text()
    await flows.login_test(parent, flows.PASSWORD)  # the family that activated it is not held back
    assert "Identifiant et mot de passe corrects" in await parent.text()
