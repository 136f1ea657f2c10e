"""The parent's path as a parent lives it (issue 14): each test reads as one parent's session on a phone."""

from __future__ import annotations

import subprocess
import sys
from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.settings import SettingsError, load
from conversations.texts import question
from sandbox.driver import Chat, Msg
from sandbox.server import SandboxServer
from tests import flows
from tests.conftest import ROOT, Harness, process_env, running_bot
from tests.smtp import SmtpServer
from tests.test_mail import code_in


async def message(chat: Chat, message_id: int) -> Msg:
    return next(m for m in await chat.messages() if m.message_id == message_id)


async def staff_texts(group: Chat) -> str:
    return "\n".join(m.text for m in await group.messages() if m.from_bot)


async def test_follow_ups_go_to_the_school_until_the_parent_resumes(bot: Harness) -> None:
    await flows.with_account(bot)
    parent = await bot.parent("Amina")
    group = await bot.staff_group(await bot.secretary())
    await flows.to_identifier(parent)

    await parent.send("/aide")
    await parent.click("✍️ Écrire au collège")
    await parent.send("Je n'ai pas reçu le courrier")
    confirmation = await parent.last()
    assert "demande n°1" in confirmation.text and "Reprendre l'activation" in confirmation.text
    assert confirmation.button_texts == ["▶️ Reprendre l'activation"]

    await parent.send("C'est pour Emma Dupont en 3e A, merci")
    assert "Message ajouté à votre demande n°1" in await parent.text()
    await parent.send_photo(caption="Voici la feuille")
    assert "Message ajouté à votre demande n°1" in await parent.text()
    await bot.group_caught_up()
    staff = await staff_texts(group)
    assert "C'est pour Emma Dupont en 3e A, merci" in staff
    assert "Identifiant : C'est pour" not in await parent.all_text()

    await parent.click("▶️ Reprendre l'activation")
    assert "Étape 2/6 — Votre identifiant" in await parent.text()
    await parent.send(flows.IDENTIFIER)
    assert "Étape 2/6 — Mot de passe provisoire" in await parent.text()
    # The confirmation stays where it was, and its button is spent.
    assert "demande n°1" in (await message(parent, confirmation.message_id)).text


async def test_follow_ups_survive_a_restart(bot: Harness) -> None:
    await flows.with_account(bot)
    parent = await bot.parent("Amina")
    group = await bot.staff_group(await bot.secretary())
    await flows.to_identifier(parent)
    await parent.send(flows.IDENTIFIER)
    await parent.send("/aide")
    await parent.click("✍️ Écrire au collège")
    await parent.send("Le mot de passe provisoire est illisible sur la feuille")
    await bot.restart()
    await parent.send("Merci de me le renvoyer")
    assert "Message ajouté à votre demande n°1" in await parent.text()
    await bot.group_caught_up()
    assert "Merci de me le renvoyer" in await staff_texts(group)
    await parent.click("▶️ Reprendre l'activation")
    assert "Mot de passe provisoire" in await parent.text()



async def test_start_midway_shows_the_menu_with_resume_first(bot: Harness) -> None:
    await flows.with_account(bot)
    parent = await bot.parent("Amina")
    await flows.to_identifier(parent)  # step 2, and the letter is not at hand

    await parent.send("/start")
    menu = await parent.last()
    assert "Vous en êtes à l'étape 2/6" in menu.text and "Que souhaitez-vous faire ?" in menu.text
    assert menu.button_texts[0] == "▶️ Reprendre à l'étape 2/6"
    assert "✍️ Écrire au collège" in menu.button_texts
    await parent.click("🔐 Comment me connecter")
    assert "Se connecter" in await parent.text()

    await parent.send("/start")
    await parent.click("▶️ Reprendre à l'étape 2/6")
    assert "Étape 2/6 — Votre identifiant" in await parent.text()
    await parent.send(flows.IDENTIFIER)
    assert "Étape 2/6 — Mot de passe provisoire" in await parent.text()


def _entbot(bot: Harness, *args: str, closed_stdout: bool = False) -> tuple[int, str, str]:
    """`entbot …` as the IT referent types it, on the bot's database; `closed_stdout`: piped into a reader that left."""
    env = process_env(ENTBOT_DATABASE=str(bot.settings.database))
    proc = subprocess.Popen([sys.executable, "-m", "bot", *args], env=env, cwd=bot.tmp_path, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    if closed_stdout:
        proc.stdout.close()  # `| head` that has read its lines and gone
        out = ""
    else:
        out = proc.stdout.read()
    err = proc.stderr.read()
    return proc.wait(timeout=120), out, err


async def test_accounts_show_piped_into_head_and_its_labels_are_those_of_compte(bot: Harness) -> None:
    await flows.with_account(bot)
    parent = await bot.parent("Amina")
    await flows.to_identifier(parent)
    await parent.send(flows.IDENTIFIER)
    await parent.send("Mauvais-1")

    code, out, err = _entbot(bot, "accounts", "show", flows.IDENTIFIER)
    assert code == 0, err
    assert "mot de passe provisoire incorrect" in out and "provisional_failed" not in out
    assert "Étape atteinte : étape 2/6 (identifiant et mot de passe provisoire)" in out

    code, out, err = _entbot(bot, "accounts", "show", flows.IDENTIFIER, closed_stdout=True)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err


def test_entbot_help_is_all_french(tmp_path: Path) -> None:
    env = process_env(ENTBOT_DATABASE=str(tmp_path / "entbot.sqlite3"))
    for args in (["--help"], ["accounts", "--help"], ["accounts"], ["accounts", "montrer"]):
        result = subprocess.run([sys.executable, "-m", "bot", *args], env=env, capture_output=True, text=True,
                                timeout=120)
        shown = result.stdout + result.stderr
        for english in ("usage:", "positional arguments", "show this help", "error:", "required", "invalid choice"):
            assert english not in shown, (args, shown)
    assert "afficher cette aide et quitter" in subprocess.run(
        [sys.executable, "-m", "bot", "--help"], env=env, capture_output=True, text=True, timeout=120).stdout


async def test_a_wrong_provisional_password_asks_for_it_again_not_the_identifier(bot: Harness) -> None:
    await flows.with_account(bot)
    parent = await bot.parent("Amina")
    await flows.to_identifier(parent)
    await parent.send(flows.IDENTIFIER)
    prompt = await parent.last()
    typed = await parent.send("prov-2026A")  # the right one, with the wrong case

    error = await parent.last()
    assert "incorrect" in error.text and "retapez le mot de passe provisoire" in error.text
    assert len(error.text) < 200 and error.button_texts == ["✏️ Changer d'identifiant"]
    assert typed in await parent.deleted_ids()
    assert "Mot de passe provisoire" in (await message(parent, prompt.message_id)).text  # still there

    await parent.send(flows.PROVISIONAL)  # no identifier to type again
    assert "Étape 3/6" in await parent.text()


async def test_change_identifier_after_a_wrong_pair(bot: Harness) -> None:
    await flows.with_account(bot)
    parent = await bot.parent("Amina")
    await flows.to_identifier(parent)
    await parent.send("jean.dupont21")  # two digits swapped
    await parent.send(flows.PROVISIONAL)
    await parent.click("✏️ Changer d'identifiant")
    assert "Étape 2/6 — Votre identifiant" in await parent.text()
    await parent.send(flows.IDENTIFIER)
    await parent.send(flows.PROVISIONAL)
    assert "Étape 3/6" in await parent.text()
    # Only the current step's buttons can be pressed.
    assert [m.button_texts for m in await parent.messages() if m.buttons][:-1] == []


async def test_each_question_is_its_own_button_and_a_mistake_gets_one_line(bot: Harness) -> None:
    await flows.with_account(bot)
    parent = await bot.parent("Amina")
    await flows.to_questions(parent)
    step = await parent.last()
    assert step.button_texts[:8] == [question(n) for n in range(1, 9)] and len(step.text) < 400  # no list to scroll
    assert all(len(row) == 1 for row in step.buttons)
    await parent.send("le téléphone")  # typed instead of touched
    assert len(await parent.text()) < 100
    assert (await message(parent, step.message_id)).buttons == step.buttons  # left where it is
    await parent.click("➡️ Autres questions")
    await parent.click(question(14))
    assert question(14) in await parent.text()


async def test_an_old_menu_answers_at_the_bottom_and_the_activation_message_stays(bot: Harness) -> None:
    await flows.with_account(bot)
    parent = await bot.parent("Amina")
    await parent.send("/start")
    old_menu = await parent.last()
    await flows.activate(parent)
    activated = await parent.last()
    assert "Compte activé !" in activated.text

    await parent.click("🔐 Comment me connecter", in_message=activated.message_id)
    assert "Compte activé !" in (await message(parent, activated.message_id)).text
    assert "jean.dupont12" in (await message(parent, activated.message_id)).text
    assert "Se connecter" in (await parent.last()).text and (await parent.last()).message_id > activated.message_id

    await parent.click("🧭 Découvrir les services de l'ENT", in_message=old_menu.message_id)
    assert (await message(parent, old_menu.message_id)).text == old_menu.text  # far up: left as it was
    assert (await parent.last()).message_id > activated.message_id


async def test_the_parent_is_told_when_the_school_lifts_the_lock_and_the_card_follows(bot: Harness) -> None:
    await flows.with_account(bot)
    parent = await bot.parent("Amina")
    secretary = await bot.secretary()
    group = await bot.staff_group(secretary)
    await flows.to_identifier(parent)
    await parent.send(flows.IDENTIFIER)
    for _ in range(5):
        await parent.send("Mauvais-1")
    assert "Trop d'essais incorrects" in await parent.text()
    await parent.click("✍️ Écrire au collège")
    await parent.send("Je suis bloquée, pouvez-vous m'aider ?")
    await bot.group_caught_up()
    card = next(m for m in await group.messages() if m.text.startswith("🆘 Demande n°1"))
    assert "Verrou : jusqu'à" in card.text and "🔓 Débloquer" in card.button_texts

    await secretary.click("🔓 Débloquer", chat=group)
    told = await parent.last()
    assert "Le collège a levé le blocage : vous pouvez reprendre" in told.text
    assert told.button_texts == ["▶️ Reprendre à l'étape 2/6"]
    card = await message(group, card.message_id)
    assert "Verrou : aucun" in card.text and "🔓 Débloquer" not in card.button_texts

    await parent.click("▶️ Reprendre à l'étape 2/6")
    assert "Mot de passe provisoire" in await parent.text()
    await parent.send(flows.PROVISIONAL)
    assert "Étape 3/6" in await parent.text()


ADDRESS = "amina.dupont@example.fr"


async def test_with_a_confirmed_address_no_questions_and_forgot_sends_a_code(mail_bot: Harness,
                                                                              smtp: SmtpServer) -> None:
    bot = mail_bot
    await flows.with_account(bot)
    parent = await bot.parent("Amina")
    await flows.to_cgu(parent)
    await parent.click("✅ J'ai lu et j'accepte")
    await parent.send(ADDRESS)
    await parent.send(ADDRESS)
    [mail] = await smtp.wait_for(1)
    await parent.send(code_in(str(mail.get_content())))
    assert "Adresse confirmée" in await parent.text() and "Étape 6/6" in await parent.text()
    assert "question secrète" not in await parent.all_text()
    await parent.send(flows.PASSWORD)
    await parent.send(flows.PASSWORD)
    assert "Compte activé !" in await parent.text()

    await parent.send("/start")
    await parent.click("🔓 Mot de passe oublié")
    await parent.send(flows.IDENTIFIER)
    prompt = await parent.text()
    assert "code à 6 chiffres" in prompt and "a•••@example.fr" in prompt and ADDRESS not in prompt
    mails = await smtp.wait_for(2)
    assert mails[1]["To"] == ADDRESS and "nouveau mot de passe" in str(mails[1].get_content())
    code = code_in(str(mails[1].get_content()))
    typed = await parent.send("000000" if code != "000000" else "111111")
    assert "Code incorrect. Il vous reste 2 essais." in await parent.text()
    assert typed in await parent.deleted_ids()
    await parent.send(code)
    assert "Code correct" in await parent.text() and "Nouveau mot de passe" in await parent.text()
    await parent.send(flows.NEW_PASSWORD)
    await parent.send(flows.NEW_PASSWORD)
    assert "Mot de passe changé !" in await parent.text()
    assert code.encode() not in bot.settings.database.read_bytes()
    await flows.login_test(parent, flows.NEW_PASSWORD)
    assert "Identifiant et mot de passe corrects" in await parent.text()


async def test_a_forgot_code_is_spent_after_three_wrong_tries(mail_bot: Harness, smtp: SmtpServer) -> None:
    bot = mail_bot
    await flows.with_account(bot)
    parent = await bot.parent("Amina")
    await flows.to_cgu(parent)
    await parent.click("✅ J'ai lu et j'accepte")
    await parent.send(ADDRESS)
    await parent.send(ADDRESS)
    await parent.send(code_in(str((await smtp.wait_for(1))[0].get_content())))
    await parent.send(flows.PASSWORD)
    await parent.send(flows.PASSWORD)
    await parent.send("/start")
    await parent.click("🔓 Mot de passe oublié")
    await parent.send(flows.IDENTIFIER)
    code = code_in(str((await smtp.wait_for(2))[1].get_content()))
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(3):
        await parent.send(wrong)
    await parent.send(code)
    assert "n'est plus valable" in await parent.text()


async def test_the_password_rule_is_the_ent_s_from_settings(sandbox_server: SandboxServer, tmp_path: Path) -> None:
    async with running_bot(sandbox_server, tmp_path, password_min_length=10, password_min_kinds=4) as bot:
        await flows.with_account(bot)
        parent = await bot.parent("Amina")
        await flows.to_password(parent)
        step = await parent.text()
        assert "contenir au moins 10 caractères" in step and "contenir les 4 sortes de caractères" in step
        assert "• ne pas contenir votre identifiant" in step and "• être différent du mot de passe provisoire" in step
        await parent.send("Ma-Cle:Ve")  # 9 characters
        assert "contenir au moins 10 caractères (il en a 9)" in await parent.text()
        await parent.send("Ma-Cle:Verte")  # no digit
        assert "(il en mélange 3)" in await parent.text()
        await parent.send(flows.PASSWORD)
        await parent.send(flows.PASSWORD)
        assert "Compte activé !" in await parent.text()


async def test_by_default_three_kinds_of_four_are_enough(bot: Harness) -> None:
    await flows.with_account(bot)
    parent = await bot.parent("Amina")
    await flows.to_password(parent)
    assert "mélanger au moins 3 sortes de caractères" in await parent.text()
    await parent.send("vertebleu42")  # two kinds
    assert "(il en mélange 2)" in await parent.text()
    await parent.send("Vertebleu42")  # no special character: three kinds do
    await parent.send("Vertebleu42")
    assert "Compte activé !" in await parent.text()


def test_password_settings_get_one_line_french_errors() -> None:
    assert load({"PASSWORD_MIN_LENGTH": "12", "PASSWORD_MIN_KINDS": "4"}, env_file=None).password_min_length == 12
    for name, raw in (("PASSWORD_MIN_LENGTH", "6"), ("PASSWORD_MIN_LENGTH", "huit"), ("PASSWORD_MIN_KINDS", "5")):
        with pytest.raises(SettingsError) as error:
            load({name: raw}, env_file=None)
        assert str(error.value).startswith(f"{name}=") and "invalide" in str(error.value)
        assert "\n" not in str(error.value)


async def test_the_terms_are_the_guide_s_excerpt_with_the_ent_s_link(bot: Harness) -> None:
    await flows.with_account(bot)
    parent = await bot.parent("Amina")
    await flows.to_cgu(parent)
    step = await parent.last()
    assert "Toute personne utilisant les outils et services de l'ESPACE NUMERIQUE DE TRAVAIL" in step.text
    assert len(step.text) < 900  # the guide's excerpt, not pages of invented terms
    assert step.button_texts == ["✅ J'ai lu et j'accepte", "❌ Je refuse"]  # no CGU_URL here: no link
    await parent.click("✅ J'ai lu et j'accepte")
    progress = await bot.store.progress.get(parent.user_id)
    assert progress is not None and (progress.cgu_version or "").startswith("guide-")


async def test_the_school_s_own_terms_file_link_and_services_file(sandbox_server: SandboxServer,
                                                                 tmp_path: Path) -> None:
    cgu = tmp_path / "cgu-college.txt"
    cgu.write_text("Les familles utilisent la messagerie de l'ENT avec courtoisie.\n", encoding="utf-8")
    services = tmp_path / "services.txt"
    services.write_text("# nos services\nVie scolaire | notes et cahier de textes | https://pronote.exemple.fr\n"
                        "Aide\n", encoding="utf-8")
    settings = load({"CGU_FILE": str(cgu), "CGU_URL": "https://www.touraine-eschool.fr/cgu",
                     "SERVICES_FILE": str(services)}, env_file=None)
    async with running_bot(sandbox_server, tmp_path, cgu=settings.cgu, cgu_url=settings.cgu_url,
                           services=settings.services) as bot:
        await flows.with_account(bot)
        parent = await bot.parent("Amina")
        await flows.to_cgu(parent)
        step = await parent.last()
        assert "messagerie de l'ENT avec courtoisie" in step.text and "Toute personne utilisant" in step.text
        link = step.button("📄 Lire les conditions complètes")
        assert link is not None and link["url"] == "https://www.touraine-eschool.fr/cgu"
        await parent.click("✅ J'ai lu et j'accepte")
        progress = await bot.store.progress.get(parent.user_id)
        assert progress is not None and progress.cgu_version == settings.cgu.version
        assert len(settings.cgu.version) == 12  # the file has no version line: a hash of its text
        await parent.send("/start")
        await parent.click("🧭 Découvrir les services de l'ENT")
        shown = await parent.last()
        assert "Vie scolaire" in shown.text and "notes et cahier de textes" in shown.text
        assert "Documentation" not in shown.text
        button = shown.button("🔗 Vie scolaire")
        assert button is not None and button["url"] == "https://pronote.exemple.fr"


def test_a_bad_terms_or_services_file_gets_one_line(tmp_path: Path) -> None:
    services = tmp_path / "services.txt"
    services.write_text("Vie scolaire | notes | javascript:alert(1)\n", encoding="utf-8")
    for values in ({"CGU_FILE": str(tmp_path / "absent.txt")}, {"SERVICES_FILE": str(services)}):
        with pytest.raises(SettingsError) as error:
            load(values, env_file=None)
        assert "\n" not in str(error.value) and ("illisible" in str(error.value) or "lien invalide" in str(error.value))


def test_without_a_contact_address_the_bot_does_not_start(tmp_path: Path) -> None:
    env = {k: v for k, v in process_env(TELEGRAM_BOT_TOKEN="123456789:SANDBOX-token-for-tests",
                                        ENTBOT_DATABASE=str(tmp_path / "db.sqlite3")).items()
           if k != "SCHOOL_CONTACT_EMAIL"}
    result = subprocess.run([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("entbot : SCHOOL_CONTACT_EMAIL manquant")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "ac-orleans-tours" not in (ROOT / "bot" / "settings.py").read_text(encoding="utf-8")


async def test_the_subscription_confirmation_says_the_configured_quiet_hours(sandbox_server: SandboxServer,
                                                                             tmp_path: Path) -> None:
    async with running_bot(sandbox_server, tmp_path, quiet_hours=(time(21, 30), time(6, 45))) as bot:
        parent = await bot.parent("Amina")
        await parent.send("/start")
        await parent.click("📣 Recevoir les annonces du collège")
        assert "Jamais entre 21 h 30 et 6 h 45" in await parent.text()
        assert "20 h" not in await parent.text()


async def test_the_words_a_parent_reads_are_neutral_and_honest(bot: Harness) -> None:
    await flows.with_account(bot)
    parent = await bot.parent("Amina")
    await parent.send("/start")
    menu = await parent.last()
    assert "🔎 Tester ma connexion" in menu.button_texts and "✅ Tester ma connexion" not in menu.button_texts
    await flows.to_questions(parent)
    await flows.choose_question(parent, 7)
    await parent.send(flows.ANSWER1)
    assert "conservée de façon sécurisée" in await parent.text() and "chiffrée" not in await parent.text()
    bot.clock.advance(timedelta(minutes=45))
    await parent.click("➡️ Autres questions")
    asked = await parent.text()
    assert "Cela fait un moment que vous n'avez rien tapé" in asked and "absenté" not in asked
    await parent.send("Mauvais-1")
    for _ in range(4):
        await parent.send("Mauvais-1")
    locked = await parent.text()
    assert "En cas de blocage" in locked and "êtes bloqué" not in locked


async def test_staff_read_the_lock_in_french_and_paris_time(bot: Harness) -> None:
    await flows.with_account(bot)
    parent = await bot.parent("Amina")
    secretary = await bot.secretary()
    await flows.to_identifier(parent)
    await parent.send(flows.IDENTIFIER)
    for _ in range(5):
        await parent.send("Mauvais-1")
    await secretary.send("/compte jean.dupont12")
    card = await secretary.text()
    until = bot.clock.now() + timedelta(minutes=15)
    paris = until.astimezone(ZoneInfo("Europe/Paris")).strftime("%H:%M")
    assert "bloqué (utilisateur Telegram)" in card and "cet identifiant jusqu'à" in card and "(heure de Paris)" in card
    assert paris in card and "+00:00" not in card and "account jusqu" not in card and "user jusqu" not in card

    code, out, err = _entbot(bot, "accounts", "show", flows.IDENTIFIER)
    assert code == 0, err
    assert "cet identifiant jusqu'à" in out and "+00:00" not in out.split("Derniers événements")[1]


async def test_a_notice_summary_is_cut_between_words(bot: Harness) -> None:
    await bot.channel()
    secretary = await bot.secretary()
    await secretary.send("/annonce")
    text = "Réunion parents-professeurs des 3e jeudi prochain de 17 h 30 à 19 h 30 en salle polyvalente"
    await secretary.send(text)
    await secretary.click("🕒 Programmer")
    await secretary.send("demain 9h")
    await secretary.send("/annonces")
    listed = await secretary.text()
    summary = listed.split("« ", 1)[1].split(" »", 1)[0]
    assert summary.endswith("…") and len(summary) <= 60
    assert text.startswith(summary[:-1]) and text[len(summary) - 1] == " "  # cut between two words


async def test_leaving_the_writing_after_follow_ups_never_says_nothing_was_sent(bot: Harness) -> None:
    await flows.with_account(bot)
    parent = await bot.parent("Amina")
    await flows.to_identifier(parent)
    await parent.send("/aide")
    await parent.click("✍️ Écrire au collège")
    await parent.send("Je n'ai pas reçu le courrier")
    await parent.send("/annuler")
    said = await parent.text()
    assert "bien transmis au collège (demande n°1)" in said and "rien n'a été envoyé" not in said
    await parent.send("/start")
    await parent.click("▶️ Reprendre à l'étape 2/6")
    await parent.send(flows.IDENTIFIER)
    assert "Étape 2/6 — Mot de passe provisoire" in await parent.text()
