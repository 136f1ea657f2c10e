"""The school's account tools in Telegram, used by a secretary and refused to anyone else."""

from __future__ import annotations

import asyncio
import re
import sys
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from sandbox.driver import Person
from storage import metering
from storage.secrets import verify_secret
from tests import flows
from tests.conftest import Harness, process_env


def provisional_in(text: str) -> str:
    match = re.search(r"\b([A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{2})\b", text)
    assert match, text
    return match.group(1)


async def test_staff_commands_from_a_parent_look_like_any_unknown_command(bot: Harness, parent: Person) -> None:
    await parent.send("/nimportequoi")
    unknown = await parent.text()
    for command in ("/compte jean.dupont12", "/debloquer jean.dupont12", "/reinitialiser jean.dupont12", "/stats"):
        await parent.send(command)
        assert await parent.text() == unknown
    # Midway through the activation, the same: the help where they are, for any command.
    await flows.to_cgu(parent)
    await parent.send("/nimportequoi")
    unknown_midway = await parent.text()
    await parent.send("/reinitialiser jean.dupont12")
    assert await parent.text() == unknown_midway and "Étape 3/6" not in unknown_midway
    account = await bot.store.accounts.find(flows.IDENTIFIER)
    assert account is not None and account.state == "pending" and account.revision == 0


async def test_forged_staff_buttons_from_a_parent_do_nothing(bot: Harness, parent: Person) -> None:
    await flows.activate(parent)
    account = await bot.store.accounts.find(flows.IDENTIFIER)
    assert account is not None
    await parent.send("/start")
    menu = await parent.last()
    for data in (f"staff:reset_ok:{account.id}:{account.revision}", f"staff:unlock:{account.id}", "staff:erase"):
        toast = await parent.click_data(menu.message_id, data)
        assert toast == "Ce bouton n'est plus valable. Utilisez les boutons du dernier message."
    after = await bot.store.accounts.find(flows.IDENTIFIER)
    assert after == account
    assert "Nouveau mot de passe provisoire" not in await parent.all_text()


async def test_account_card_tells_state_step_lock_and_events_never_a_secret(bot: Harness, parent: Person) -> None:
    secretary = await bot.secretary()
    await flows.to_identifier(parent)
    await parent.send(flows.IDENTIFIER)
    await parent.send("Mauvais-1")
    await parent.send(flows.PROVISIONAL)
    await secretary.send("/compte   JEAN.DUPONT12 ")
    card = await secretary.text()
    assert "Compte jean.dupont12 — Jean Dupont, parent, 5B" in card
    assert "État : à activer" in card and "étape 3/6 (règles d'usage)" in card
    assert "mot de passe provisoire incorrect" in card and "Verrou : aucun" in card
    assert "$argon2" not in card and flows.PROVISIONAL not in card
    await secretary.send("/compte")
    assert "Précisez l'identifiant du compte" in await secretary.text()
    await secretary.send("/compte personne.inconnue")
    assert "Aucun compte « personne.inconnue »" in await secretary.text()
    account = await bot.store.accounts.find(flows.IDENTIFIER)
    assert account is not None
    assert ("staff:777001", "account_viewed") in [(a, e) for _, a, e, _ in await bot.store.audit.for_account(account.id)]


async def test_the_card_shows_a_parent_still_trying_the_identifier(bot: Harness, parent: Person) -> None:
    secretary = await bot.secretary()
    await flows.to_identifier(parent)
    await parent.send("Jean.Dupont12")
    await parent.send("Mauvais-1")
    await secretary.send("/compte jean.dupont12")
    card = await secretary.text()
    assert "Activation en cours : étape 2/6 (identifiant et mot de passe provisoire)" in card
    assert "Dernière erreur : mot de passe provisoire incorrect" in card and "Mauvais-1" not in card


async def test_unlock_gives_the_family_its_access_back_not_the_stranger_who_locked_it(bot: Harness,
                                                                                      parent: Person) -> None:
    """Issue 22, finding 5: the stranger's failures locked the account; staff unlock it for the family."""
    secretary = await bot.secretary()
    stranger = await bot.parent("Intrus")
    await flows.to_identifier(stranger)
    await stranger.send(flows.IDENTIFIER)
    for _ in range(5):
        await stranger.send("Mauvais-1")
    assert "Trop d'essais incorrects" in await stranger.text()
    await flows.to_cgu(parent)  # the family, with the right pair: the account's lock holds it back
    assert "Trop d'essais incorrects" in await parent.text()
    await secretary.send("/compte jean.dupont12")
    assert "Verrou : jusqu'à" in await secretary.text()
    await secretary.click("🔓 Débloquer")
    said = await secretary.text()
    assert "débloqué : la famille peut réessayer tout de suite" in said and "Verrou : aucun" in said
    assert "Le collège a levé le blocage" in await parent.text()
    assert "levé le blocage" not in await stranger.all_text()
    # The stranger keeps their own lock: even the right password is not looked at.
    await stranger.send(flows.PROVISIONAL)
    assert "Trop d'essais incorrects" in await stranger.text()
    assert await bot.store.attempts.locked_until(("user", str(stranger.user_id))) is not None
    await parent.send(flows.PROVISIONAL)
    assert "Étape 3/6" in await parent.text()
    await secretary.send("/debloquer jean.dupont12")
    assert "n'était pas bloqué" in await secretary.text()
    await stranger.send(flows.PROVISIONAL)
    assert "Trop d'essais incorrects" in await stranger.text()
    # Staff were told who stays locked, never who they are.
    assert "1 personne qui essayait ce compte sans avoir prouvé être la famille" in said
    assert str(stranger.user_id) not in said


async def test_reset_midway_tells_the_parent_who_reactivates_with_the_new_password(bot: Harness, parent: Person) -> None:
    secretary = await bot.secretary()
    await flows.activate(parent)
    other_phone = await bot.parent("Karim")
    await flows.forgot(other_phone, answer2="je ne sais plus")  # a second person midway on the same account
    await secretary.send("/reinitialiser jean.dupont12")
    assert "Réinitialiser le compte jean.dupont12 (Jean Dupont, activé) ?" in await secretary.text()
    await secretary.click("✅ Oui, réinitialiser")
    messages = await secretary.messages()
    assert any("réinitialisé par Sylvie" in m.text and "ci-dessous" in m.text for m in messages)
    password_message = await secretary.last()
    password = provisional_in(password_message.text)
    assert "Ce message s'effacera de lui-même dans 15 minutes" in password_message.text
    assert "Le collège vient de réinitialiser votre compte ENT" in await other_phone.text()
    # Nothing of the password in clear in the database; the old password no longer works.
    assert password.encode() not in (bot.tmp_path / "entbot.sqlite3").read_bytes()
    await flows.login_test(parent, flows.PASSWORD)
    assert "Identifiant ou mot de passe incorrect" in await parent.text()

    await parent.send("/start")
    await parent.click("♻️ Mon compte a été réinitialisé")
    assert "Votre compte a été réinitialisé" in await parent.text() and "Étape 1/6" in await parent.text()
    await parent.click("👪 Élève ou parent")
    await parent.send(flows.IDENTIFIER)
    await parent.send(password)
    await parent.click("✅ J'ai lu et j'accepte")
    await parent.click("⏭ Passer (recommandé)")
    await flows.choose_question(parent, 3)
    await parent.send("Rue des Lilas")
    await flows.choose_question(parent, 5)
    await parent.send("Marie")
    await parent.send(flows.NEW_PASSWORD)
    await parent.send(flows.NEW_PASSWORD)
    assert "Compte activé !" in await parent.text()

    # The password message goes away by itself once its time is up, even after a restart.
    await bot.restart()
    bot.clock.advance(timedelta(minutes=16))
    await bot.run_job("sweep_secrets")
    assert password_message.message_id in await secretary.deleted_ids()
    assert password not in "".join(m.text for m in await secretary.messages())


async def test_a_reset_mid_activation_stops_the_parent_calmly(bot: Harness, parent: Person) -> None:
    secretary = await bot.secretary()
    await flows.to_questions(parent)
    await secretary.send("/reinitialiser jean.dupont12")
    await secretary.click("✅ Oui, réinitialiser")
    password = provisional_in((await secretary.last()).text)
    assert "Le collège vient de réinitialiser votre compte ENT" in await parent.text()
    assert all(m.buttons == [] for m in await parent.messages())  # no step left to press
    await parent.send("/start")
    await parent.click("🔑 Activer mon compte")
    await parent.click("👪 Élève ou parent")
    await parent.send(flows.IDENTIFIER)
    await parent.send(flows.PROVISIONAL)  # the old letter no longer opens the account
    assert "incorrect" in await parent.text()
    await parent.send(flows.IDENTIFIER)
    await parent.send(password)
    assert "Étape 3/6" in await parent.text()
    await secretary.click("🗑 C'est noté : effacer ce message")
    assert password not in "".join(m.text for m in await secretary.messages())


async def test_two_secretaries_resetting_at_once_get_one_password(bot: Harness, parent: Person) -> None:
    first = await bot.secretary()
    second = await bot.sandbox.person("Marc")
    group = await bot.staff_group(first, second)
    await flows.activate(parent)
    await first.send("/reinitialiser jean.dupont12", chat=group)
    await second.send("/reinitialiser jean.dupont12", chat=group)
    await second.send("/start")  # Marc can be written to in private
    confirmations = [m for m in await group.messages() if m.button("✅ Oui, réinitialiser")]
    assert len(confirmations) == 2
    await asyncio.gather(first.click("✅ Oui, réinitialiser", in_message=confirmations[0].message_id, chat=group),
                         second.click("✅ Oui, réinitialiser", in_message=confirmations[1].message_id, chat=group))
    texts = [m.text for m in await group.messages()]
    assert sum("réinitialisé par" in t for t in texts) == 1
    assert sum("Ce compte a changé entre-temps" in t for t in texts) == 1
    passwords = [provisional_in(m.text) for person in (first, second) for m in await person.messages()
                 if "Nouveau mot de passe provisoire" in m.text]
    assert len(passwords) == 1
    account = await bot.store.accounts.find(flows.IDENTIFIER)
    assert account is not None and account.state == "reset" and account.revision == 2
    assert await verify_secret(account.provisional_hash, passwords[0])


async def test_a_reset_from_the_group_needs_a_private_chat_first(bot: Harness, parent: Person) -> None:
    member = await bot.sandbox.person("Nadia")
    group = await bot.staff_group(member)
    await member.block_bot()  # as Telegram sees someone who never opened a chat with the bot
    await member.send("/reinitialiser jean.dupont12", chat=group)
    toast = await member.click("✅ Oui, réinitialiser", chat=group)
    assert toast is not None and "ouvrez une conversation avec moi" in toast
    account = await bot.store.accounts.find(flows.IDENTIFIER)
    assert account is not None and account.state == "pending" and account.revision == 0


async def test_group_members_are_staff_only_while_they_are_members(bot: Harness, parent: Person) -> None:
    member = await bot.sandbox.person("Nadia")
    group = await bot.staff_group(member)
    await member.send("/stats", chat=group)
    assert "Comptes importés : 1" in (await group.last()).text
    await group.set_member(member, member=False)
    await member.send("/stats")
    assert "Je n'ai pas compris" in await member.text()
    await member.send("/reinitialiser personne.inconnue")
    assert "Je n'ai pas compris" in await member.text()


async def test_help_lists_the_staff_commands_to_staff_only(bot: Harness, parent: Person) -> None:
    secretary = await bot.secretary()
    await secretary.send("/aide")
    assert "Pour le personnel" in await secretary.text() and "/reinitialiser" in await secretary.text()
    await parent.send("/aide")
    assert "Pour le personnel" not in await parent.text() and "/reinitialiser" not in await parent.text()


async def test_reset_of_an_unknown_account(bot: Harness) -> None:
    secretary = await bot.secretary()
    await secretary.send("/reinitialiser personne.inconnue")
    assert "Aucun compte « personne.inconnue »" in await secretary.text()
    assert (await secretary.last()).buttons == []


async def test_stats_count_what_families_did(bot: Harness) -> None:
    await bot.import_accounts([{**flows.ACCOUNT},
                               {**flows.ACCOUNT, "identifiant": "lea.martin", "mot_de_passe_provisoire": "Prov-2b"},
                               {**flows.ACCOUNT, "identifiant": "marc.petit", "mot_de_passe_provisoire": "Prov-3c"}])
    done, midway, locked = await bot.parent("A"), await bot.parent("B"), await bot.parent("C")
    await flows.activate(done)
    await flows.to_cgu(midway, identifier="lea.martin", provisional="Prov-2b")
    await flows.to_identifier(locked)
    await locked.send("marc.petit")
    for _ in range(5):
        await locked.send("Mauvais-1")
    secretary = await bot.secretary()
    await secretary.send("/stats")
    text = await secretary.text()
    assert "Comptes importés : 3" in text
    assert "activés : 1   à activer : 2   réinitialisés : 0" in text
    assert "étape 3/6 (règles d'usage) : 1" in text and "étape 2/6 (identifiant et mot de passe provisoire) : 1" in text
    assert "Comptes bloqués en ce moment : 1" in text
    today = bot.clock.now().astimezone(ZoneInfo("Europe/Paris")).strftime("%d/%m")
    assert f"{today} : 1 / 0 / 1 / 0" in text


async def test_a_reset_from_the_shell_is_noticed_at_the_parent_s_next_step(bot: Harness, parent: Person) -> None:
    await flows.to_questions(parent)
    await flows.choose_question(parent, 7)
    env = process_env(ENTBOT_DATABASE=str(bot.settings.database))
    shell = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "accounts", "reset", flows.IDENTIFIER,
                                                 env=env, stdout=asyncio.subprocess.PIPE)
    out, _ = await shell.communicate()
    assert shell.returncode == 0
    password = out.decode().split("à transmettre à la famille : ")[1].split()[0]
    answer = await parent.send(flows.ANSWER1)
    assert answer in await parent.deleted_ids()
    assert "Le collège a réinitialisé ce compte pendant votre activation" in await parent.text()
    assert "nouveau mot de passe provisoire" in await parent.text()
    await parent.send("/start")
    await parent.click("♻️ Mon compte a été réinitialisé")
    await parent.click("👪 Élève ou parent")
    await parent.send(flows.IDENTIFIER)
    await parent.send(password)
    assert "Étape 3/6" in await parent.text()


async def test_a_ticket_reply_cannot_test_a_family_s_password_and_staff_actions_are_audited(
        bot: Harness, parent: Person, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 22, finding 12: a staff member replies to a family's ticket with guesses at its current password."""
    from tests.test_helpdesk import header_of, write_to_school

    secretary = await bot.secretary()
    group = await bot.staff_group(secretary)
    await flows.activate(parent)
    await write_to_school(parent, "Bonjour, une question sur l'ENT")
    header = await header_of(group, 1)
    monkeypatch.setattr(metering, "ENABLED", True)  # the bot's own count of Argon2 operations
    reactions = []
    for guess in ("Essai-Faux:77", flows.PASSWORD):  # the second is the family's current password
        before = metering.snapshot()["argon2"]
        await secretary.send(guess, chat=group, reply_to=header.message_id)
        reactions.append(((await group.last()).text, metering.snapshot()["argon2"] - before))
    # The same answer and the same work whether the guess is right or wrong: nothing to learn from it.
    assert reactions[0] == reactions[1] and "Réponse transmise" in reactions[0][0]
    # Every staff action on the account is in its trail, under the staff member's number.
    await secretary.send("/reinitialiser jean.dupont12")
    await secretary.click("Annuler")
    await secretary.send("/lettre jean.dupont12")
    await secretary.send("/debloquer jean.dupont12")
    await secretary.send("/compte jean.dupont12")
    account = await bot.store.accounts.find(flows.IDENTIFIER)
    assert account is not None
    trail = [(actor, event) for _, actor, event, _ in await bot.store.audit.for_account(account.id, limit=50)]
    for event in ("ticket_answered", "reset_asked", "letter_asked", "unlocked", "account_viewed"):
        assert ("staff:777001", event) in trail, event
    assert trail.count(("staff:777001", "ticket_answered")) == 2
    card = await secretary.text()
    assert "réponse à la demande transmise (staff:777001)" in card and "réinitialisation demandée" in card
