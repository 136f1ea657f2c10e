"""Every French text a parent reads, by flow, in one place (HTML parse mode; values escaped by callers)."""

from __future__ import annotations

import math
import re
from datetime import datetime, time
from html import escape
from typing import Any

from conversations.when import PARIS as PARIS  # the school's time, re-exported for the texts' users
from storage.privacy import Retention
from storage.stats import DAILY_EVENTS, Summary

# Times are shown to families and staff in the school's time.
SHORT = "%d/%m %H:%M"  # a moment in a list or a card
WHEN = "%d/%m/%Y à %H:%M"  # a moment in a sentence
SHEET = "%d/%m/%Y %H:%M"  # a moment in a spreadsheet cell


def paris(moment: datetime | str, fmt: str = SHORT) -> str:
    """A stored moment (UTC, as a datetime or its ISO text) in Paris time."""
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return value.astimezone(PARIS).strftime(fmt)

# -- the 16 secret questions of the school's guide, verbatim -----------------------------------

QUESTIONS: tuple[str, ...] = (
    "Quel était votre surnom d'enfance ?",
    "Quel était le nom de votre première peluche ?",
    "Dans quelle rue avez-vous vécu en primaire ?",
    "Quel est le prénom de votre ami d'enfance préféré ?",
    "Quel est le deuxième prénom de votre frère ou soeur ?",
    "Quel est le prénom de votre enfant le plus âgé ?",
    "Quel était votre premier numéro de téléphone ?",
    "Quel est le nom et le prénom de votre cousin le plus âgé ?",
    "Dans quelle ville votre mère et père se sont rencontrés ?",
    "Quel était le nom de famille de votre maître de CM2 ?",
    "Dans quelle ville vit votre frère ou soeur le plus proche ?",
    "Quel est le mois et l'année de l'anniversaire de votre frère ou soeur aîné ? (ex Janvier 1900)",
    "Quel est le nom de jeune fille de votre grand-mère maternelle ?",
    "Quel est votre film préféré ?",
    "Quel est le nom de votre animal préféré ?",
    "Quel est le nom de jeune fille de votre grand-mère paternelle ?",
)

# -- common ----------------------------------------------------------------------------------

BACK = "↩ Retour"
STALE_BUTTON = "Ce bouton n'est plus valable. Utilisez les boutons du dernier message."
SECRET_LIKE_COMMAND = ("🔒 Ce message commence par « / » : Telegram le prend pour une commande. Je l'ai effacé sans le "
                       "lire, au cas où il contiendrait un secret.\nTapez votre réponse sans « / » au début.")
NOT_UNDERSTOOD = "Je n'ai pas compris. Tapez /start pour voir le menu, ou /aide pour de l'aide."
COMMANDS = {"start": "Menu principal", "aide": "Aide et contact du collège", "annuler": "Mettre en pause ce que je fais"}
TOO_LONG = "Ce message est trop long ({length} caractères, {limit} au plus). Réessayez plus court."
ONLY_SPACES = "Je n'ai reçu que des espaces. Réessayez."
NOT_AN_IDENTIFIER = ("🔒 Ce message ne peut pas être un identifiant : je l'ai effacé sans le garder.\n\n"
                     "Un identifiant est <b>un seul mot</b>, sans espace, de {limit} caractères au plus : "
                     "des lettres, des chiffres, parfois un point ou un tiret (par exemple <code>jean.dupont12</code>).\n"
                     "Tapez seulement l'identifiant : le mot de passe vient ensuite, dans un message à part.")
IDENTIFIER_LOOKS_LIKE_A_PASSWORD = (
    "🔒 Ce mot ressemble à un <b>mot de passe</b> plutôt qu'à un identifiant : je l'ai effacé sans le garder ni le "
    "transmettre.\n\nTapez d'abord l'<b>identifiant</b> (par exemple <code>jean.dupont12</code>) ; les majuscules n'y "
    "comptent pas, vous pouvez le taper en minuscules. Le mot de passe vient ensuite, dans un message à part.")
ERROR = ("Désolé, un problème technique m'a empêché de répondre. Réessayez dans un instant ; "
         "ce que vous aviez déjà validé est conservé.")
# The ENT's directory cannot be reached: nothing was changed, the parent sends the same answer later.
# Too many families typing secrets at once (the Argon2 queue is full): nothing of this message was saved.
BUSY = ("⏳ Beaucoup de familles utilisent l'assistant en ce moment et je n'ai pas pu traiter votre message : "
        "je l'ai effacé par précaution et rien n'a été enregistré. Votre progression est conservée : "
        "renvoyez-le dans une minute.")
BUSY_GROUP = ("⏳ Le bot est très sollicité en ce moment : ce message n'a pas été traité et rien n'a été transmis "
              "à la famille. Renvoyez-le dans une minute.")
DIRECTORY_DOWN = ("⏳ Le service est momentanément indisponible, votre progression est conservée. "
                  "Réessayez dans quelques minutes en renvoyant votre dernière réponse : vous reprendrez à la même étape.")

# -- main menu -------------------------------------------------------------------------------


def welcome(school: str | None, first_name: str) -> str:
    """`school`: the family's school, or None when the deployment serves several and the family is not yet known."""
    whose = f"du <b>{escape(school)}</b>" if school else "des collèges de <b>Touraine e-school</b>"
    return (f"Bonjour {escape(first_name)} 👋\n\nJe suis l'assistant ENT {whose}. "
            "Je vous guide pas à pas pour activer votre compte sur l'ENT Touraine e-school "
            "(l'espace numérique du collège : notes, cahier de textes, messages).\n\n"
            "Que souhaitez-vous faire ?")


MENU_ACTIVATE = "🔑 Activer mon compte"
MENU_RESTART = "🔄 Recommencer l'activation"
MENU_RESET = "♻️ Mon compte a été réinitialisé"
MENU_FORGOT = "🔓 Mot de passe oublié"
MENU_TEST = "🔎 Tester ma connexion"
MENU_SERVICES = "🧭 Découvrir les services de l'ENT"
MENU_LOGIN = "🔐 Comment me connecter"


def menu_resume(step_number: int) -> str:
    return f"▶️ Reprendre à l'étape {step_number}/6"


def school_contacts(schools: list[tuple[str, str]]) -> str | None:
    """The address(es) a family writes to: its school's; each with its name when it has two; None when the
    deployment serves several schools and the family is not yet known (« Écrire au collège » finds the school)."""
    if len(schools) == 1:
        return schools[0][1]
    return " ou ".join(f"{address} ({name})" for name, address in schools) or None


def help_text(contact: str | None, where: str | None) -> str:
    head = f"<b>Aide</b>\n\nVous êtes {where}.\n\n" if where else "<b>Aide</b>\n\n"
    return (head + "• /start : le menu principal\n• /annuler : mettre en pause (vos étapes validées sont gardées)\n"
            "• /aide : ce message\n\n"
            "En cas de difficulté pour accéder à l'ENT, touchez « Écrire au collège » : le secrétariat vous "
            "répondra ici." + (f" Ou écrivez à {escape(contact)}" if contact else ""))


def contact_text(contact: str | None) -> str:
    by_mail = (", ou par courriel à l'adresse ci-dessous, en indiquant votre nom, celui de votre enfant et sa classe :"
               f"\n\n{escape(contact)}" if contact else ", en indiquant votre nom, celui de votre enfant et sa classe.")
    return ("<b>Contacter le collège</b>\n\nEn cas de difficulté pour accéder à l'ENT, écrivez au collège ici, "
            f"dans Telegram (touchez « Écrire au collège »){by_mail}\n\n"
            "N'envoyez jamais votre mot de passe, ni au collège ni à personne.")


def services_text(services: list[tuple[str, str]]) -> str:
    """Step 9 of the guide: the services as the school lists them (name, one line); links are buttons."""
    lines = []
    for name, line in services:
        lines.append(f"• <b>{escape(name)}</b>" + (f" : {escape(line)}" if line else ""))
    return "<b>Les services de l'ENT</b> (étape 9 du guide)\n\n" + "\n".join(lines)


OPEN_ENT = "🌐 Ouvrir l'ENT"


def service_link(name: str) -> str:
    return f"🔗 {name}"


EDUCONNECT = ("Vous avez un compte <b>ÉduConnect</b> (le compte national des parents) ? Sur la page de connexion "
              "de l'ENT, choisissez « Élève ou parent » puis « ÉduConnect », et connectez-vous avec ce compte : "
              "il n'a pas besoin d'être activé ici.")


def login_text(ent_url: str) -> str:
    return ("<b>Se connecter à l'ENT</b> (étape 8 du guide)\n\n"
            f"1. Ouvrez {escape(ent_url)} et touchez « Se connecter ».\n"
            "2. Choisissez « Élève ou parent ».\n"
            "3. Tapez votre identifiant et le mot de passe que <b>vous</b> avez choisi, puis « CONNEXION ».\n\n"
            "Pas sûr de votre mot de passe ? Touchez « Tester ma connexion ». Oublié ? Touchez "
            "« Mot de passe oublié » : vos deux questions secrètes permettent d'en choisir un nouveau.\n\n"
            + EDUCONNECT)


# -- activation, step by step ----------------------------------------------------------------

STEP_PREFIX = "<b>Étape {n}/6</b> — "

RESET_INTRO = ("♻️ <b>Votre compte a été réinitialisé</b> par le collège : votre ancien mot de passe et vos "
               "réponses secrètes ne fonctionnent plus. Il faut le réactiver, comme la première fois, avec le "
               "<b>nouveau mot de passe provisoire</b> que le collège vous a transmis. Six étapes, quelques minutes.")

PROFILE = (STEP_PREFIX.format(n=1) + "Votre profil\n\nQui êtes-vous ? Choisissez ci-dessous, comme sur l'écran "
           "« Bienvenue dans votre ENT ! ».\n\n" + EDUCONNECT)
PROFILE_PARENT = "👪 Élève ou parent"
# The account belongs to none of the deployment's schools (its ENT entry's, or the school files imported): one
# sentence, no other detail.
NOT_OUR_SCHOOL = ("Votre compte ENT n'est rattaché à aucun des établissements que cet assistant accompagne : "
                  "adressez-vous à l'établissement de votre enfant.")
ACCOUNT_BLOCKED = ("🔒 Ce compte est bloqué dans l'annuaire de l'ENT : il ne peut pas être activé ici. "
                   "Contactez le collège, qui pourra le débloquer ; vous pouvez lui écrire avec le bouton ci-dessous.")
PROFILE_STAFF = "🏫 Personnel de l'éducation nationale"
PROFILE_OTHER = "🏢 Autre public"
PROFILE_STAFF_ANSWER = ("Les personnels de l'éducation nationale se connectent avec leur compte académique "
                        "(le même que pour la messagerie professionnelle), en choisissant « Personnel de "
                        "l'éducation nationale » sur la page de connexion de l'ENT. Ce compte n'a pas besoin "
                        "d'être activé ici. Tapez /start pour revenir au menu.")
PROFILE_OTHER_ANSWER = ("Le personnel de collectivité, les entreprises et les utilisateurs locaux se connectent en "
                        "choisissant « Autre public » sur la page de connexion de l'ENT, avec les accès donnés "
                        "par leur organisme. Pour toute question, contactez le collège. Tapez /start pour revenir "
                        "au menu.")

IDENTIFIER = (STEP_PREFIX.format(n=2) + "Votre identifiant\n\nTapez l'<b>identifiant</b> transmis par le collège "
              "(sur le courrier ou la feuille remise à votre enfant), par exemple <code>jean.dupont12</code>.")


# The identifier just typed is not repeated: it may be a password typed in the wrong box (issue 22).
def provisional() -> str:
    return (STEP_PREFIX.format(n=2) + "Mot de passe provisoire\n\nIdentifiant reçu.\n\n"
            "Tapez maintenant le <b>mot de passe provisoire</b> envoyé par le collège.\n"
            "⚠️ Respectez bien les majuscules et les minuscules.\n"
            "🔒 J'efface votre message dès que je l'ai lu.")


WRONG_PAIR = ("❌ Identifiant ou mot de passe provisoire incorrect. Vérifiez les majuscules et les minuscules, puis "
              "retapez le mot de passe provisoire.")
CHANGE_IDENTIFIER = "✏️ Changer d'identifiant"
REAUTH_WRONG = "❌ Mot de passe provisoire incorrect. Réessayez : majuscules et minuscules comptent."
ALREADY_ACTIVE = ("✅ Ce compte est déjà activé. Connectez-vous sur l'ENT avec votre identifiant et le mot de passe "
                  "que vous avez choisi. Si vous l'avez oublié, touchez « Mot de passe oublié » ci-dessous.")

TOO_FAST = ("⏳ Vous allez un peu vite : je vérifie chaque réponse et chaque mot de passe avec soin, et cela prend "
            "du temps. Par sécurité, j'ai effacé votre message sans le lire.\n\nAttendez une minute, puis tapez-le "
            "à nouveau : vous êtes toujours à la même étape.")


def _duration(minutes: int) -> str:
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes > 1 else ''}"
    return f"{math.ceil(minutes / 60)} heures"


def locked(minutes: int, contact: str | None) -> str:
    return (f"🔒 Trop d'essais incorrects. Par sécurité, réessayez dans <b>{_duration(minutes)}</b>."
            "\n\nEn cas de blocage, le collège peut vous débloquer : touchez « Écrire au collège »"
            + (f", ou écrivez à {escape(contact)}" if contact else "."))


# The guide's own words at step 3, verbatim: the bot invents no terms of use.
CGU_GUIDE_EXCERPT = ("Toute personne utilisant les outils et services de l'ESPACE NUMERIQUE DE TRAVAIL Touraine e-school "
                     "mis à disposition par l'établissement, dans le cadre des activités éducatives, à l'intérieur ou à "
                     "l'extérieur de l'établissement. Ci-après dénommé « l'utilisateur », élèves, parents d'élèves, "
                     "tous les personnels de l'Éducation.")
CGU_FULL_TEXT = "📄 Lire les conditions complètes"


def cgu_step(school_text: str | None, has_link: bool) -> str:
    text = (STEP_PREFIX.format(n=3) + "Les règles d'usage de l'ENT\n\n"
            f"<i>{escape(CGU_GUIDE_EXCERPT)}</i>")
    if school_text:
        text += f"\n\n<b>Règles du collège</b>\n{escape(school_text)}"
    if has_link:
        text += "\n\nLe texte complet des Conditions générales d'utilisation de l'ENT : « Lire les conditions complètes »."
    return text + "\n\nTouchez « J'ai lu et j'accepte » pour accepter les Conditions générales d'utilisation."

CGU_ACCEPT = "✅ J'ai lu et j'accepte"
CGU_REFUSE = "❌ Je refuse"
CGU_REFUSED = ("Vous avez refusé les conditions d'utilisation : l'activation s'arrête là, rien n'a été activé. "
               "Vous pourrez recommencer quand vous voudrez avec /start. Pour toute question, contactez le collège.")

EMAIL = (STEP_PREFIX.format(n=4) + "Adresse électronique\n\n"
         "Le collège vous conseille de <b>ne pas</b> indiquer d'adresse personnelle : touchez "
         "« Passer (recommandé) ». Vous pourrez en ajouter une plus tard dans votre espace ENT.\n\n"
         "Si vous tenez à en donner une, tapez-la ici. Elle pourrait être utilisée par l'établissement, "
         "l'Académie d'Orléans-Tours, le Département d'Indre-et-Loire et le GIP RECIA, exclusivement dans le "
         "cadre de l'ENT, et servirait d'adresse de secours en cas d'oubli du mot de passe.")
EMAIL_SKIP = "⏭ Passer (recommandé)"
EMAIL_INVALID = "Cette adresse ne semble pas valide ({reason}). Tapez-la à nouveau, ou touchez « Passer (recommandé) »."
EMAIL_NO_AT = "il manque le @"
EMAIL_CHECK_SPELLING = "vérifiez l'orthographe"


def email_confirm(address: str) -> str:
    return (STEP_PREFIX.format(n=4) + f"Confirmation\n\nVous avez tapé : <code>{escape(address)}</code>\n"
            "Tapez-la une seconde fois pour confirmer.")


EMAIL_MISMATCH = "Les deux adresses ne sont pas identiques. Tapez à nouveau votre adresse, ou touchez « Passer (recommandé) »."
EMAIL_CODE_RESEND = "🔁 Renvoyer un code"


def email_code(address: str) -> str:
    return (STEP_PREFIX.format(n=4) + f"Vérification de l'adresse\n\nJe viens d'envoyer un <b>code à 6 chiffres</b> à "
            f"<code>{escape(address)}</code>. Tapez-le ici : il est valable 15 minutes.\n\n"
            "Rien reçu après quelques minutes ? Regardez dans les courriers indésirables, ou touchez « Renvoyer un "
            "code ». Vous pouvez aussi passer cette étape.")


EMAIL_CODE_SUBJECT = "Votre code de confirmation ENT"  # also in migration 0006, for the mail already queued


def email_code_mail(school: str, code: str, minutes: int) -> tuple[str, str]:
    # The code never in the subject: subjects are kept (outbox, mail servers' logs) where bodies are not.
    return (EMAIL_CODE_SUBJECT,
            f"Bonjour,\n\nVoici votre code de confirmation pour l'Assistant ENT du {school} : {code}\n\n"
            f"Tapez-le dans la conversation Telegram avec l'assistant. Il est valable {minutes} minutes.\n\n"
            "Si vous n'avez rien demandé, ignorez ce message.\n")


def email_code_wrong(left: int) -> str:
    if left <= 0:
        return EMAIL_CODE_SPENT
    return f"❌ Code incorrect. Il vous reste {left} essai{'s' if left > 1 else ''}."


EMAIL_CODE_SPENT = ("Ce code ne peut plus servir (trop d'essais). Touchez « Renvoyer un code » pour en recevoir un "
                    "nouveau, ou passez cette étape.")
EMAIL_CODE_EXPIRED = "Ce code a expiré. Touchez « Renvoyer un code » pour en recevoir un nouveau, ou passez cette étape."
EMAIL_CODE_RESENT = "📨 Nouveau code envoyé. Seul le dernier code reçu fonctionne."
# The day's share of code mails (per account, per Telegram user) is spent: the same words whichever.
EMAIL_CODE_CAPPED = ("📭 Beaucoup de codes ont déjà été envoyés aujourd'hui pour ce compte : je n'en envoie pas "
                     "d'autre avant demain. Touchez « Passer (recommandé) » pour continuer sans adresse (vous "
                     "choisirez deux questions secrètes), ou réessayez demain.")
FORGOT_CODE_CAPPED = ("📭 Beaucoup de codes ont déjà été envoyés aujourd'hui pour ce compte : je n'en envoie pas "
                      "d'autre avant demain. Si le dernier code reçu a expiré, réessayez demain, ou écrivez au "
                      "collège : il peut vous aider après avoir vérifié votre identité.")
EMAIL_CODE_NO_MORE = "Trois codes ont déjà été envoyés : passez cette étape, ou revenez en arrière pour changer d'adresse."
EMAIL_CONFIRMED_NO_QUESTIONS = ("✅ Adresse confirmée. Elle vous servira si vous oubliez votre mot de passe : pas de "
                                "questions secrètes à choisir.")
EMAIL_SAVED = ("Adresse enregistrée. Elle n'est pas encore vérifiée : aucun courriel ne vous a été envoyé "
               "pour l'instant.")

QUESTIONS_NO_EMAIL = ("Vous avez choisi de ne pas indiquer d'adresse électronique. Pour pouvoir réinitialiser un mot "
                      "de passe perdu, choisissez deux questions secrètes et retenez vos réponses.\n\n")
QUESTIONS_WITH_EMAIL = ("Choisissez deux questions secrètes et retenez vos réponses : elles servent si vous perdez "
                        "votre mot de passe.\n\n")


def question_prompt(number: int, with_email: bool) -> str:
    intro = (QUESTIONS_WITH_EMAIL if with_email else QUESTIONS_NO_EMAIL) if number == 1 else ""
    title = "Première question secrète" if number == 1 else "Seconde question secrète"
    return STEP_PREFIX.format(n=5) + f"{title}\n\n{intro}Touchez la question de votre choix ci-dessous."


MORE_QUESTIONS = "➡️ Autres questions"
FIRST_QUESTIONS = "⬅️ Premières questions"


def answer_prompt(number: int, question: int) -> str:
    title = "Première question secrète" if number == 1 else "Seconde question secrète"
    return (STEP_PREFIX.format(n=5) + f"{title}\n\n<b>{escape(QUESTIONS[question - 1])}</b>\n\n"
            "Tapez votre réponse. Majuscules, accents et espaces ne comptent pas.\n"
            "🔒 J'efface votre message dès que je l'ai lu.")


ANSWER_SAVED = "Réponse enregistrée (effacée du fil, conservée de façon sécurisée)."

KIND_NAMES = "minuscules, majuscules, chiffres, caractères spéciaux (par ex. ! ? @ # * -)"


def password_rule(min_length: int, min_kinds: int) -> str:
    """The rule as the ENT sets it (PASSWORD_MIN_LENGTH, PASSWORD_MIN_KINDS), one checklist, one grammatical form."""
    lines = [f"• contenir <b>au moins {min_length} caractères</b> ;"]
    if min_kinds >= 4:
        lines.append(f"• contenir les 4 sortes de caractères : {KIND_NAMES} ;")
    elif min_kinds > 1:
        lines.append(f"• mélanger au moins <b>{min_kinds} sortes</b> de caractères parmi : {KIND_NAMES} ;")
    lines += ["• ne pas contenir votre identifiant ;", "• être différent du mot de passe provisoire."]
    return "Il doit :\n" + "\n".join(lines)


def password_step(min_length: int, min_kinds: int) -> str:
    return (STEP_PREFIX.format(n=6) + "Votre mot de passe\n\n"
            "Dernière étape : choisissez un mot de passe compliqué. Aucune personne, même amie, ne doit pouvoir "
            "le deviner.\n\n" + password_rule(min_length, min_kinds)
            + "\n\nTapez-le. 🔒 J'efface votre message dès que je l'ai lu.")


PASSWORD_PROBLEMS = {
    "length": "contenir au moins {min_length} caractères (il en a {length})",
    "too_long": "contenir 128 caractères au plus",
    "kinds": "mélanger au moins {min_kinds} sortes de caractères parmi : " + KIND_NAMES + " (il en mélange {kinds})",
    "identifier": "ne pas contenir votre identifiant",
    "common": "être moins courant (celui-ci est trop facile à deviner)",
    "provisional": "être différent du mot de passe provisoire",
    "previous": "être différent de votre ancien mot de passe",
}


def password_rejected(problems: list[str], length: int, kinds: int, min_length: int, min_kinds: int) -> str:
    lines = [f"• {PASSWORD_PROBLEMS[p].format(min_length=min_length, length=length, min_kinds=min_kinds, kinds=kinds)}"
             for p in problems]
    return "Ce mot de passe ne convient pas. Il doit :\n" + "\n".join(lines) + "\n\nTapez-en un autre."


PASSWORD_CONFIRM = STEP_PREFIX.format(n=6) + "Confirmation\n\nTapez votre mot de passe une seconde fois."
PASSWORD_MISMATCH = ("Les deux mots de passe ne sont pas identiques. Recommençons : tapez le mot de passe choisi.")

# Messages a button under them never replaces: they start with these.
KEPT_MESSAGES = ("🎉 Compte activé !",)
ACTIVATED = ("🎉 <b>Compte activé !</b>\n\nFélicitations ! Votre compte ENT est maintenant actif.\n\n"
             "Pour vous connecter : ouvrez l'ENT, touchez « Se connecter », choisissez « Élève ou parent », "
             "puis tapez votre identifiant <code>{identifier}</code> et le mot de passe que vous venez de choisir.")
ACTIVATION_RACE = ("Ce compte vient d'être activé ou réinitialisé par ailleurs : je ne peux pas terminer cette "
                   "activation. Tapez /start pour recommencer, ou contactez le collège.")
ACCOUNT_RESET_MEANWHILE = ("Le collège a réinitialisé ce compte pendant votre activation. Pas d'inquiétude : "
                           "recommencez avec le <b>nouveau</b> mot de passe provisoire que le collège vous a transmis. "
                           "Tapez /start.")
NO_ACTIVATION = "Aucune activation n'est en cours. Tapez /start pour voir le menu."

PAUSED = ("⏸ Activation mise en pause. Les étapes déjà validées sont gardées : tapez /start pour reprendre "
          "quand vous voulez.")
def start_mid_flow(step_number: int) -> str:
    return (f"Vous en êtes à l'<b>étape {step_number}/6</b> de l'activation : vos étapes validées sont gardées. "
            "Touchez « Reprendre » pour continuer, ou choisissez autre chose.")
REAUTH = ("Cela fait un moment que vous n'avez rien tapé… Par sécurité, tapez à nouveau votre <b>mot de passe provisoire</b> "
          "pour continuer (identifiant <code>{identifier}</code>).\n🔒 J'efface votre message dès que je l'ai lu.")
REAUTH_OK = "Merci, c'est bien vous. Reprenons."
RESUMED = "Reprenons là où vous en étiez."

# What each text step expects, said when something else arrives (a sticker, a photo, a voice note…).
EXPECTS = {
    "identifier": "J'attends votre identifiant, tapé au clavier (par exemple jean.dupont12).",
    "provisional": "J'attends votre mot de passe provisoire, tapé au clavier.",
    "reauth": "J'attends votre mot de passe provisoire, tapé au clavier.",
    "email": "J'attends une adresse électronique tapée au clavier, ou touchez « Passer (recommandé) ».",
    "email_confirm": "J'attends la même adresse électronique, tapée une seconde fois.",
    "email_code": "J'attends le code à 6 chiffres reçu par courriel, tapé au clavier.",
    "answer1": "J'attends votre réponse à la question secrète, tapée au clavier.",
    "answer2": "J'attends votre réponse à la question secrète, tapée au clavier.",
    "password": "J'attends le mot de passe que vous choisissez, tapé au clavier.",
    "password_confirm": "J'attends votre mot de passe, tapé une seconde fois au clavier.",
    "profile": "Choisissez votre profil avec les boutons du message ci-dessus.",
    "cgu": "Touchez « J'ai lu et j'accepte » ou « Je refuse », sous le message ci-dessus.",
    "question1": "Touchez une question dans les boutons du message ci-dessus.",
    "question2": "Touchez une question dans les boutons du message ci-dessus.",
}

# Where each step is, for /aide and the menu.
STEP_NUMBER = {"profile": 1, "identifier": 2, "provisional": 2, "cgu": 3, "email": 4, "email_confirm": 4, "email_code": 4,
               "question1": 5, "answer1": 5, "question2": 5, "answer2": 5, "password": 6, "password_confirm": 6}
STEP_NAME = {1: "profil", 2: "identifiant et mot de passe provisoire", 3: "règles d'usage", 4: "adresse électronique",
             5: "questions secrètes", 6: "mot de passe"}


def step_label(step: str) -> str:
    n = STEP_NUMBER[step]
    return f"étape {n}/6 ({STEP_NAME[n]})"


def where(step: str) -> str:
    """Where a parent is, to end the sentence « Vous êtes … »."""
    n = STEP_NUMBER[step]
    return f"à l'étape {n}/6 de l'activation ({STEP_NAME[n]})"


# -- forgotten password (the "Mot de passe oublié ?" link of step 8) --------------------------------

FORGOT_IDENTIFIER = ("🔓 <b>Mot de passe oublié</b>\n\nVos deux questions secrètes, ou un code envoyé à votre "
                     "adresse confirmée, vont vous permettre de choisir un nouveau mot de passe.\n\n"
                     "Tapez d'abord votre <b>identifiant</b> ENT (par exemple "
                     "<code>jean.dupont12</code>).")
NOT_ACTIVE_OR_UNKNOWN = ("Je ne trouve pas de compte <b>activé</b> avec cet identifiant.\n\n"
                         "• Vérifiez son orthographe et tapez-le à nouveau ;\n"
                         "• ou, si votre compte n'a jamais été activé, ou si le collège l'a réinitialisé, "
                         "activez-le avec le mot de passe provisoire du collège.")

TOO_MANY_IDENTIFIERS = ("Vous avez déjà cherché plusieurs comptes différents aujourd'hui : par sécurité, je ne peux "
                        "pas en chercher d'autres.\n\nSi vous avez besoin d'aide pour ce compte, écrivez au "
                        "collège.")


def forgot_answer(number: int, question: int, identifier: str) -> str:
    return (f"🔓 <b>Mot de passe oublié</b> — question secrète {number}/2\n\nIdentifiant : <code>{escape(identifier)}</code>"
            f"\n\n<b>{escape(QUESTIONS[question - 1])}</b>\n\nTapez votre réponse, comme lors de l'activation. "
            "Majuscules, accents et espaces ne comptent pas.\n🔒 J'efface votre message dès que je l'ai lu.")


def forgot_code(identifier: str, address: str) -> str:
    return (f"🔓 <b>Mot de passe oublié</b>\n\nIdentifiant : <code>{escape(identifier)}</code>\n\n"
            f"Je viens d'envoyer un <b>code à 6 chiffres</b> à l'adresse confirmée de ce compte ({escape(address)}). "
            "Tapez-le ici. Il est valable 15 minutes ; pensez à regarder dans les courriers indésirables.\n"
            "🔒 J'efface votre message dès que je l'ai lu.")


FORGOT_CODE_SUBJECT = "Votre code pour changer de mot de passe ENT"  # also in migration 0013, for mail queued


def forgot_code_mail(school: str, code: str, minutes: int) -> tuple[str, str]:
    # The code never in the subject: subjects are kept (outbox, mail servers' logs) where bodies are not.
    return (FORGOT_CODE_SUBJECT,
            f"Bonjour,\n\nVoici votre code pour choisir un nouveau mot de passe ENT avec l'Assistant ENT du {school} : "
            f"{code}\n\nTapez-le dans la conversation Telegram avec l'assistant. Il est valable {minutes} minutes.\n\n"
            "Si vous n'avez rien demandé, ignorez ce message : votre mot de passe n'a pas changé.\n")


FORGOT_CODE_SPENT = ("Ce code n'est plus valable (trop d'essais, ou plus de 15 minutes). Recommencez en touchant "
                     "« Mot de passe oublié » dans le menu (/start).")
ANSWERS_WRONG = ("❌ Les réponses ne correspondent pas à celles enregistrées pour ce compte. "
                 "Réessayez en commençant par la première question :")
def forgot_password(min_length: int, min_kinds: int, after_code: bool = False) -> str:
    return (("✅ Code correct." if after_code else "✅ Réponses correctes.")
            + "\n\n🔓 <b>Nouveau mot de passe</b>\n\nChoisissez un mot de passe compliqué. "
            + password_rule(min_length, min_kinds).replace("du mot de passe provisoire", "de l'ancien")
            + "\n\nTapez-le. 🔒 J'efface votre message dès que je l'ai lu.")


FORGOT_CONFIRM = "🔓 <b>Nouveau mot de passe</b> — confirmation\n\nTapez votre nouveau mot de passe une seconde fois."
FORGOT_TOO_LATE = ("Vous avez mis plus de 15 minutes à choisir votre nouveau mot de passe : par sécurité, "
                   "recommencez en touchant « Mot de passe oublié » dans le menu (/start).")
PASSWORD_CHANGED = ("🎉 <b>Mot de passe changé !</b>\n\nConnectez-vous à l'ENT avec votre identifiant <code>{identifier}</code> "
                    "et votre nouveau mot de passe.")
ACCOUNT_CHANGED_MEANWHILE = ("Ce compte vient d'être modifié (réinitialisé par le collège, ou mot de passe changé "
                             "depuis un autre téléphone) : je ne peux pas terminer. Tapez /start pour recommencer.")

# -- login test ("Tester ma connexion") ------------------------------------------------------------

LOGIN_IDENTIFIER = ("🔎 <b>Tester ma connexion</b>\n\nJe vérifie votre identifiant et votre mot de passe, sans vous "
                    "connecter à l'ENT.\n\nTapez votre <b>identifiant</b> ENT.")


def login_password() -> str:
    return ("🔎 <b>Tester ma connexion</b>\n\nIdentifiant reçu.\n\n"
            "Tapez maintenant votre <b>mot de passe</b> (celui que vous avez choisi à l'activation).\n"
            "🔒 J'efface votre message dès que je l'ai lu.")


LOGIN_OK = ("✅ <b>Identifiant et mot de passe corrects.</b>\n\nVous pouvez vous connecter à l'ENT : "
            "« Se connecter », « Élève ou parent », puis les mêmes identifiant et mot de passe.")
LOGIN_WRONG = ("❌ Identifiant ou mot de passe incorrect. Vérifiez les majuscules et les minuscules.\n"
               "Si votre compte n'est pas encore activé, activez-le d'abord ; si vous avez oublié votre mot de "
               "passe, touchez « Mot de passe oublié ». Recommençons :")
FLOW_CANCELLED = "C'est abandonné, rien n'a été changé. Tapez /start pour voir le menu."
NO_FLOW = "Cette démarche n'est plus en cours. Tapez /start pour voir le menu."
WHERE_FORGOT = "dans la démarche « Mot de passe oublié »"
WHERE_LOGIN = "dans la démarche « Tester ma connexion »"
EXPECTS_RECOVERY = {
    "forgot_identifier": "J'attends votre identifiant ENT, tapé au clavier (par exemple jean.dupont12).",
    "forgot_answer1": "J'attends votre réponse à la question secrète, tapée au clavier.",
    "forgot_answer2": "J'attends votre réponse à la question secrète, tapée au clavier.",
    "forgot_code": "J'attends le code à 6 chiffres reçu par courriel, tapé au clavier.",
    "forgot_password": "J'attends le nouveau mot de passe que vous choisissez, tapé au clavier.",
    "forgot_confirm": "J'attends votre nouveau mot de passe, tapé une seconde fois au clavier.",
    "login_identifier": "J'attends votre identifiant ENT, tapé au clavier (par exemple jean.dupont12).",
    "login_password": "J'attends votre mot de passe, tapé au clavier.",
}

# -- staff: the school's account tools ------------------------------------------------------------

PICK_SCHOOL = "Vous êtes membre de l'équipe de plusieurs établissements : pour lequel ?"


def picked_school(name: str) -> str:
    """The pick buttons' message, once one is pressed: what the command below is for."""
    return f"🏫 Pour : <b>{escape(name)}</b>"

STAFF_COMMANDS = {
    "compte": "État d'un compte : /compte identifiant",
    "debloquer": "Débloquer un compte : /debloquer identifiant",
    "reinitialiser": "Réinitialiser un compte : /reinitialiser identifiant",
    "stats": "Chiffres des activations",
    "tickets": "Demandes d'aide ouvertes",
    "annonce": "Écrire une annonce aux familles",
    "annonces": "Annonces récentes et programmées",
    "lettre": "Nouvelle lettre à QR code (compte pas encore activé) : /lettre identifiant",
}
STAFF_HELP = ("<b>Pour le personnel</b>\n"
              + "\n".join(f"• /{name} : {escape(what)}" for name, what in STAFF_COMMANDS.items())
              + "\n• Dans le groupe du personnel : répondez au message d'une demande pour écrire à la famille.")
STATE_LABELS = {"pending": "à activer", "active": "activé", "reset": "réinitialisé, à réactiver",
                "blocked": "bloqué dans l'annuaire",
                "invalidated": "remis à « à activer » dans l'ENT : à réinitialiser ici pour un nouveau mot de passe"}
EVENT_LABELS = {
    "identified": "identifiant et mot de passe provisoire corrects",
    "provisional_failed": "mot de passe provisoire incorrect",
    "reauth_failed": "mot de passe provisoire incorrect (reprise)",
    "answers_failed": "réponses secrètes incorrectes",
    "answers_verified": "réponses secrètes correctes",
    "code_failed": "code reçu par courriel incorrect",
    "code_verified": "code reçu par courriel correct",
    "login_failed": "test de connexion échoué",
    "login_ok": "test de connexion réussi",
    "forgot_probe_failed": "compte cherché au-delà de la limite (mot de passe oublié)",
    "locked": "bloqué",
    "unlocked": "débloqué",
    "cgu_refused": "CGU refusées",
    "activated": "compte activé",
    "password_changed": "mot de passe changé",
    "reset": "compte réinitialisé",
    "account_viewed": "fiche consultée",
    "import": "import",
    "letter_issued": "lettre à QR code créée",
    "letter_failed": "lettre non valable scannée",
    # What staff did on the account (issue 22): each command, button and `entbot accounts` command.
    "reset_asked": "réinitialisation demandée (confirmation affichée)",
    "letter_asked": "nouvelle lettre demandée (confirmation affichée)",
    "ticket_take": "demande prise en charge",
    "ticket_close": "demande close",
    "ticket_answered": "réponse à la demande transmise",
    "ticket_reply_refused": "réponse à la demande refusée (mot de passe provisoire)",
    "accounts_listed": "liste des comptes affichée",
    "accounts_exported": "comptes exportés en CSV",
}
LAST_ERRORS = {"provisional_failed": "mot de passe provisoire incorrect",
               "email_code_failed": "code de confirmation de l'adresse incorrect",
               "password_rejected": "mot de passe refusé (règles non respectées)"}
STAFF_USAGE = "Précisez l'identifiant du compte, par exemple : <code>/{command} jean.dupont12</code>"


def no_account(identifier: str) -> str:
    return (f"Aucun compte « {escape(identifier)} ». Vérifiez l'orthographe ; la liste complète est dans "
            "<code>entbot accounts list</code> ou l'export CSV.")


UNLOCK_BUTTON = "🔓 Débloquer"
RESET_BUTTON = "♻️ Réinitialiser"
CONFIRM_RESET_BUTTON = "✅ Oui, réinitialiser"
CANCEL_BUTTON = "Annuler"
ERASE_BUTTON = "🗑 C'est noté : effacer ce message"


def confirm_reset(identifier: str, name: str, state: str) -> str:
    return (f"♻️ Réinitialiser le compte <code>{escape(identifier)}</code> ({escape(name)}, {STATE_LABELS[state]}) ?\n\n"
            "Son mot de passe, ses réponses secrètes et son adresse seront effacés, et un nouveau mot de passe "
            "provisoire sera créé. Il vous sera montré <b>une seule fois</b>, en message privé, pour le "
            "transmettre à la famille, qui réactivera alors son compte (« Mon compte a été réinitialisé »).")


CONFIRM_CHECKED_RESET_BUTTON = "✅ Identité vérifiée : réinitialiser"


def confirm_unproven_reset(identifier: str, name: str, state: str) -> str:
    return ("⚠️ <b>Attention : la personne qui a écrit n'a pas prouvé détenir ce compte.</b> Elle a seulement tapé "
            "son identifiant, que n'importe qui peut connaître. Avant de réinitialiser, vérifiez l'identité de la "
            "famille par un autre moyen : appelez-la au numéro que le collège a dans son dossier, ou recevez-la "
            "au secrétariat. Ne donnez jamais le nouveau mot de passe en réponse à la demande.\n\n"
            + confirm_reset(identifier, name, state))


RESET_CANCELLED = "Réinitialisation annulée : rien n'a changé."
RESET_BLOCKED = ("Le compte <code>{identifier}</code> est bloqué dans l'annuaire de l'ENT (état BLOQUE ou DELETE) : "
                 "je ne le réinitialise pas. Son déblocage relève de l'administrateur de l'ENT.")
RESET_RACE = ("Ce compte a changé entre-temps (réinitialisé ou activé à l'instant, peut-être par un collègue) : "
              "je n'ai rien fait. Vérifiez avec <code>/compte {identifier}</code>.")
OPEN_PRIVATE_CHAT = ("Je dois vous montrer le nouveau mot de passe en privé, mais je ne peux pas vous écrire : "
                     "ouvrez une conversation avec moi (touchez mon nom, puis « Démarrer »), puis recommencez. "
                     "Rien n'a été changé.")
SECRET_LIFETIME_MINUTES = 15


def reset_done(identifier: str, staff_name: str, private: bool) -> str:
    where = "ci-dessous" if private else f"en message privé à {escape(staff_name)}"
    return (f"✅ Compte <code>{escape(identifier)}</code> réinitialisé par {escape(staff_name)}. "
            f"Le nouveau mot de passe provisoire a été envoyé {where}.")


def new_provisional(identifier: str, name: str, password: str) -> str:
    return (f"🔑 Nouveau mot de passe provisoire de <code>{escape(identifier)}</code> ({escape(name)}) :\n\n"
            f"<code>{escape(password)}</code>\n\nTransmettez-le à la famille (majuscules et minuscules comptent). "
            "Il n'est gardé nulle part en clair : notez-le maintenant. Ce message s'effacera de lui-même dans "
            f"{SECRET_LIFETIME_MINUTES} minutes.")


ACCOUNT_RESET_NOTICE = ("ℹ️ Le collège vient de réinitialiser votre compte ENT. Ce que vous étiez en train de faire "
                        "s'arrête là, sans conséquence. Quand vous aurez reçu le <b>nouveau</b> mot de passe "
                        "provisoire, tapez /start et touchez « Mon compte a été réinitialisé ».")


UNLOCKED_PARENT = "🔓 Le collège a levé le blocage : vous pouvez reprendre."
UNLOCKED_PARENT_NO_STEP = "🔓 Le collège a levé le blocage : vous pouvez reprendre. Tapez /start pour le menu."


def unlocked(identifier: str, was_locked: bool, still_locked: int = 0) -> str:
    if was_locked:
        text = f"🔓 Compte <code>{escape(identifier)}</code> débloqué : la famille peut réessayer tout de suite."
    else:
        text = (f"Le compte <code>{escape(identifier)}</code> n'était pas bloqué ; ses compteurs d'essais sont remis à "
                "zéro.")
    if still_locked:
        # Who proved the account is the family; someone who only failed on it may be a stranger guessing.
        one = still_locked == 1
        text += (f"\n{still_locked} {'personne qui essayait' if one else 'personnes qui essayaient'} ce compte sans "
                 "avoir prouvé être la famille (mot de passe provisoire, lettre, réponses) "
                 f"{'reste bloquée par ses' if one else 'restent bloquées par leurs'} propres erreurs jusqu'à la fin "
                 f"de {'son' if one else 'leur'} blocage (15 minutes la première fois).")
    return text


def who(actor: str) -> str:
    """An event's author for staff: a staff member by id; a family's Telegram user never by identity."""
    return "utilisateur Telegram" if actor.startswith("telegram:") else actor


def lock_line(lock_until: str | None, failing_users: int) -> str:
    """The lock, and how many Telegram users failed on the account since its count last started afresh."""
    line = f"Verrou : jusqu'à {lock_until} (heure de Paris)" if lock_until else "Verrou : aucun"
    if failing_users:
        plural = "s" if failing_users > 1 else ""
        line += f" — échecs venant de {failing_users} utilisateur{plural} Telegram"
    return line


def account_card(*, identifier: str, name: str, profile: str, class_name: str | None, state: str,
                 activated: str | None, step: str | None, step_at: str | None, last_error: str | None,
                 cgu_version: str | None, has_email: bool, lock_until: str | None,
                 events: list[tuple[str, str, str, str | None]], failing_users: int = 0) -> str:
    """What staff may know of an account, for /compte: never a secret. Times already in Paris time."""
    lines = [f"<b>Compte <code>{escape(identifier)}</code></b> — {escape(name)}, {escape(profile)}"
             + (f", {escape(class_name)}" if class_name else ""),
             f"État : {STATE_LABELS[state]}" + (f" le {activated}" if activated else "")]
    if step:
        lines.append(f"Activation en cours : {step}, dernière action le {step_at}")
    if last_error:
        lines.append(f"Dernière erreur : {LAST_ERRORS.get(last_error, last_error)}")
    if state == "active":
        lines.append(f"CGU acceptées : version {escape(cgu_version or '-')} ; adresse électronique : "
                     f"{'oui' if has_email else 'non'}")
    lines.append(lock_line(lock_until, failing_users))
    if events:
        lines.append("\nDerniers événements :")
        lines += [f"• {at} {EVENT_LABELS.get(event, event)} ({escape(who(actor))})"
                  + (f" — {escape(event_detail(event, detail))}" if detail else "")
                  for at, event, actor, detail in events]
    return "\n".join(lines)


def stats_message(lines: list[str]) -> str:
    return "<b>Activations ENT</b>\n<pre>" + escape("\n".join(lines)) + "</pre>"


def stats_lines(summary: Summary) -> list[str]:
    """The figures of /stats and `entbot stats`, as plain lines."""
    s = summary.by_state
    lines = [f"Comptes importés : {summary.imported}",
             f"  activés : {s['active']}   à activer : {s['pending']}   réinitialisés : {s['reset']}",
             f"Activations en cours : {sum(summary.in_progress.values())}"]
    for number, name in STEP_NAME.items():
        count = sum(n for step, n in summary.in_progress.items() if STEP_NUMBER.get(step) == number)
        lines.append(f"  étape {number}/6 ({name}) : {count}")
    lines.append(f"Comptes bloqués en ce moment : {summary.locked_accounts}")
    lines.append("7 derniers jours (activations / mots de passe changés / blocages / réinitialisations) :")
    for day, counts in summary.days:
        lines.append(f"  {day.strftime('%d/%m')} : " + " / ".join(str(counts[e]) for e in DAILY_EVENTS))
    failed = summary.failed_mails
    total = failed[0].total if failed else 0
    lines.append(f"Courriels abandonnés (non envoyés après tous les essais) : {total}")
    for mail in failed:
        lines.append(f"  n°{mail.id} ({MAIL_KINDS.get(mail.kind, mail.kind)}, du {paris(mail.created_at)}, "
                     f"{mail.attempts} essais) : {mail.last_error or 'raison inconnue'}")
    if total > len(failed):
        lines.append(f"  … et {total - len(failed)} autres : entbot stats, ou la table outbox")
    return lines


MAIL_KINDS = {"ticket": "demande d'aide", "email_code": "code de confirmation"}
# -- the IT referent's tools: entbot doctor, chats, backup and restore; the /stats chart ----------------

DOCTOR_TOKEN = "Jeton Telegram"
DOCTOR_DATABASE = "Base de données"
DOCTOR_STAFF = "Groupe du secrétariat"
DOCTOR_CHANNEL = "Canal des annonces"
DOCTOR_MAIL = "Courriel"
DOCTOR_DIRECTORY = "Annuaire LDAP"
DOCTOR_CLOCK = "Horloge"
DOCTOR_HEADER = "Vérification de l'installation d'Assistant ENT"
SCHOOLS_HEADER = "Vérification des établissements (SCHOOLS_FILE)"
SCHOOLS_FILE_CHECK = "Fichier des établissements"
DOCTOR_SCHOOL_DATA = "Établissements de la base"


def doctor_stray_schools(strays: list[tuple[str, int]], example: str) -> str:
    """Accounts of UAIs the configuration does not list; how to give them to a school that it does."""
    listed = ", ".join(f"{n} compte(s) de l'UAI {uai}" for uai, n in strays)
    return (f"{listed}, absent(s) de la configuration : aucun personnel ne les voit. Si c'est le même établissement "
            f"sous un autre UAI : entbot schools move {strays[0][0]} {example} (bot arrêté), sinon ajoutez-le à "
            "SCHOOLS_FILE.")
SCHOOLS_NO_TOKEN = "TELEGRAM_BOT_TOKEN absent : groupes et canaux non vérifiés."
SCHOOLS_UNSET = ("SCHOOLS_FILE n'est pas défini : le bot sert un seul établissement, celui de SCHOOL_UAI, SCHOOL_NAME "
                 "et SCHOOL_CONTACT_EMAIL (entbot doctor le vérifie).")


def schools_file_ok(path: str, count: int, listed: str) -> str:
    return f"{path} : {count} établissement(s) valides ({listed})"
DOCTOR_ALL_OK = "Tout est prêt."
DOCTOR_SOME_FAILED = "{n} point(s) à corriger (✗) : faites ce qui est indiqué, puis relancez « entbot doctor »."
DOCTOR_TOKEN_MISSING = ("TELEGRAM_BOT_TOKEN vide : créez le bot avec @BotFather (/newbot) et copiez son jeton dans "
                        "le fichier .env")
DOCTOR_TOKEN_REFUSED = ("jeton refusé par Telegram : recopiez dans TELEGRAM_BOT_TOKEN le jeton exact donné par "
                        "@BotFather (/mybots → API Token)")
DOCTOR_AFTER_TOKEN = "non vérifié : corrigez d'abord le jeton"
DOCTOR_STAFF_UNSET = ("STAFF_CHAT_ID vide : ajoutez le bot au groupe du secrétariat, tapez /id dans le groupe "
                      "pendant « entbot chats --listen 120 », et copiez le numéro dans STAFF_CHAT_ID")
DOCTOR_CHANNEL_UNSET = "pas de canal (ANNONCES_CHANNEL_ID vide) : les annonces iront aux seules familles abonnées"
DOCTOR_MAIL_OFF = ("désactivé (SMTP_HOST vide) : les demandes restent dans Telegram et aucune adresse n'est "
                   "confirmée par code")
DOCTOR_MAIL_TEST_OFF = "--mail-test demandé mais SMTP_HOST est vide : renseignez les réglages SMTP_* dans .env"
DOCTOR_MAIL_TEST_SUBJECT = "Assistant ENT : courriel de test"
DOCTOR_MAIL_TEST_BODY = ("Ce courriel a été envoyé par « entbot doctor --mail-test » pour vérifier l'envoi des "
                         "courriels d'Assistant ENT. Vous pouvez le supprimer.\n")
DOCTOR_NO_ZONE = ("fuseau Europe/Paris introuvable : installez le paquet tzdata (sudo apt install tzdata), "
                  "puis réinstallez le bot")
DOCTOR_CLOCK_UNKNOWN = "heure de Telegram inconnue (pas de réponse) : vérifiez la connexion du serveur à Internet"


def doctor_directory_ok(url: str, people: int) -> str:
    return f"{url} : connexion et authentification réussies, {people} personne(s) sous la base (entbot directory check)"


def doctor_token_ok(username: str) -> str:
    return f"accepté, le bot est @{username}"


def doctor_telegram_unreachable(api_url: str, error: str) -> str:
    return f"Telegram injoignable ({api_url} : {error}) : vérifiez la connexion du serveur à Internet"


def doctor_no_database(where: str) -> str:
    return (f"aucune base à {where} : lancez « entbot accounts import comptes.csv » ou « entbot run » depuis ce "
            "dossier, ou indiquez le bon dossier dans ENTBOT_DATA_DIR")


def doctor_database_read_only(where: str) -> str:
    return (f"{where} (ou son dossier) n'est pas modifiable par cet utilisateur : "
            "sudo chown -R entbot: sur le dossier des données")


def doctor_database_unreadable(where: str, error: str) -> str:
    return f"{where} illisible ({error}) : restaurez la dernière sauvegarde (entbot restore FICHIER)"


def doctor_database_schema(where: str, version: int, latest: int) -> str:
    if version > latest:
        return (f"{where} est au schéma {version}, plus récent que ce programme ({latest}) : "
                "mettez le programme à jour")
    return f"{where} est au schéma {version}, le programme au {latest} : lancez « entbot run » une fois pour la mettre à jour"


def _size(size: int) -> str:
    return f"{size / 1024:.0f} Ko" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} Mo"


def doctor_database_ok(where: str, version: int, size: int) -> str:
    return f"{where}, modifiable, schéma {version} à jour, {_size(size)}"


def doctor_chat_unreachable(chat_id: int, error: str) -> str:
    return (f"le bot ne voit pas la conversation {chat_id} ({error}) : ajoutez-y le bot, ou corrigez le numéro "
            "(entbot chats --listen 120)")


def doctor_not_member(title: str) -> str:
    return f"le bot n'est pas membre de « {title} » : ajoutez-le au groupe (Ajouter des membres → le nom du bot)"


def doctor_staff_not_group(chat_id: int) -> str:
    return f"{chat_id} n'est pas un groupe : mettez dans STAFF_CHAT_ID le numéro du groupe du secrétariat"


def doctor_staff_cannot_post(title: str) -> str:
    return f"le bot ne peut pas écrire dans « {title} » : autorisez les messages des membres, ou faites du bot un administrateur"


def doctor_staff_public(title: str, username: str) -> str:
    return (f"« {title} » est public (@{username}) : n'importe qui pourrait y entrer et devenir secrétaire ; "
            "rendez le groupe privé (Modifier → Type de groupe → Privé)")


def doctor_staff_link(title: str) -> str:
    return (f"« {title} » a un lien d'invitation visible du bot : quiconque l'a reçu peut entrer et devenir "
            "secrétaire ; révoquez le lien (Modifier → Invitations) ou retirez au bot le droit d'inviter")


def doctor_staff_ok(title: str, chat_id: int) -> str:
    return f"« {title} » ({chat_id}), le bot y écrit, groupe privé sans lien visible"


def doctor_channel_not_channel(chat_id: int) -> str:
    return f"{chat_id} n'est pas un canal : mettez dans ANNONCES_CHANNEL_ID le numéro du canal des annonces"


def doctor_channel_not_admin(title: str) -> str:
    return (f"le bot n'est pas administrateur de « {title} » avec le droit de publier : ajoutez-le comme "
            "administrateur (Publier des messages)")


def doctor_channel_ok(title: str, chat_id: int) -> str:
    return f"« {title} » ({chat_id}), le bot y publie"


def doctor_mail_connect(where: str, error: str) -> str:
    return (f"connexion impossible à {where} ({error}) : vérifiez SMTP_HOST, SMTP_PORT et SMTP_SECURITY, "
            "et que le pare-feu laisse sortir ce port")


def doctor_mail_clear(where: str) -> str:
    return (f"{where} sans chiffrement (SMTP_SECURITY=none) : le mot de passe passerait en clair sur le réseau ; "
            "mettez SMTP_SECURITY=starttls (port 587) ou tls (port 465)")


def doctor_mail_login(where: str, username: str) -> str:
    return f"{where} refuse l'identification de « {username} » : vérifiez SMTP_USERNAME et SMTP_PASSWORD"


def doctor_mail_refused(where: str, error: str) -> str:
    return f"{where} refuse le courriel de test ({error}) : vérifiez MAIL_FROM, et que le serveur accepte cette adresse"


def doctor_mail_ok(where: str, login: bool) -> str:
    return f"{where} : connexion" + (", identification" if login else "") + " réussies (aucun courriel envoyé)"


def doctor_mail_sent(where: str, address: str) -> str:
    return f"{where} : courriel de test remis au serveur pour {address}"


def doctor_clock_ok(shown: str, drift: int) -> str:
    return f"{shown} (heure de Paris), écart avec Telegram : {drift} s"


def doctor_clock_drift(shown: str, drift: int) -> str:
    return (f"{shown} (heure de Paris), mais {drift:+d} s d'écart avec Telegram : mettez l'heure à jour "
            "(sudo timedatectl set-ntp true)")


def no_database_here(where: str) -> str:
    return (f"aucune base de données à {where}. Lancez la commande depuis le dossier du bot, ou indiquez le dossier "
            "des données dans ENTBOT_DATA_DIR (par défaut : data/ dans le dossier courant). Seules « entbot run » et "
            "« entbot accounts import » créent la base.")


def school_required(listed: str) -> str:
    """A command about one school's data, without --school, on a deployment of several."""
    return (f"précisez l'établissement avec --school UAI : cette installation en sert plusieurs ({listed}). "
            "Rien n'a été fait.")


CHATS_LISTENING = ("À l'écoute pendant {seconds} s. Tapez /id dans le groupe du secrétariat et dans le canal (le bot "
                   "doit y être ajouté), ou écrivez au bot en privé. Ctrl-C pour arrêter.")
CHATS_CONFLICT = "le bot tourne déjà (entbot run) : arrêtez-le d'abord (sudo systemctl stop entbot), puis relancez."
CHATS_NONE = "Aucun message reçu. Le bot est-il bien dans le groupe ou le canal ?"
CHATS_KEPT = ("Ces messages restent en attente : le bot les traitera à son prochain démarrage.")
CHAT_KINDS = {"private": "privé", "group": "groupe", "supergroup": "groupe", "channel": "canal"}


def chats_line(kind: str, title: str, chat_id: int, sender: int | None) -> str:
    who = f"expéditeur {sender}" if sender is not None else "expéditeur : le canal"
    return f"{CHAT_KINDS.get(kind, kind):<7} « {title} »  identifiant {chat_id}  {who}"


def chat_id_answer(chat_id: int, user: int) -> str:
    return f"Identifiant de cette conversation : <code>{chat_id}</code>\nVotre identifiant : <code>{user}</code>"


BOT_RUNNING = ("le bot tourne sur cette base ({where}) : arrêtez-le d'abord (sudo systemctl stop entbot), "
               "restaurez, puis redémarrez-le.")
ALREADY_RUNNING = "un autre « entbot run » utilise déjà la base {where} : un seul à la fois."


BACKUP_ONTO_DATABASE = "la sauvegarde ne peut pas remplacer la base elle-même : donnez un autre nom de fichier."
RESTORE_ITSELF = "ce fichier est la base en service elle-même : donnez le fichier de la sauvegarde."


def backup_done(path: str, size: int) -> str:
    return f"Sauvegarde écrite : {path} ({_size(size)})."


def privacy_export_written(path: str, telegram_user_id: int) -> str:
    return (f"Données de l'utilisateur Telegram {telegram_user_id} écrites dans {path} (lisible par vous seul) : "
            "transmettez-les à la personne, puis effacez le fichier.")


def restore_refused(path: str, reason: str) -> str:
    return f"{path} ne peut pas être restauré : {reason}. Rien n'a été changé."


RESTORE_NOT_SQLITE = "ce n'est pas une base d'Assistant ENT"
RESTORE_DAMAGED = "le fichier est abîmé (contrôle d'intégrité : {detail})"
RESTORE_TOO_NEW = "sauvegarde au schéma {version}, plus récent que ce programme ({latest}) : mettez le programme à jour"


def restore_done(path: str, where: str, previous: str | None) -> str:
    kept = f" L'ancienne base est gardée dans {previous}." if previous else ""
    return f"{path} restaurée dans {where}.{kept} Vous pouvez redémarrer le bot (sudo systemctl start entbot)."


CHART_CAPTION = "📊 Le graphique des activations"


# -- help desk: a parent writes to the school ------------------------------------------------------

MENU_WRITE = "✍️ Écrire au collège"
ANSWER_SCHOOL = "✍️ Répondre au collège"


def helpdesk_prompt(contact: str, open_ticket: int | None, school: str | None = None) -> str:
    """`school`: its name, with several schools (one school: the prompt as it always was)."""
    ongoing = f"\n\nVotre demande n°{open_ticket} est ouverte : ce message s'y ajoutera." if open_ticket else ""
    title = f"✍️ <b>Écrire à : {escape(school)}</b>" if school else "✍️ <b>Écrire au collège</b>"
    return (title + "\n\nÉcrivez votre message ici : ce qui bloque, à quelle étape. Vous pouvez "
            "aussi envoyer une <b>photo</b> de l'écran (une capture) avec une légende. La réponse arrivera dans "
            "cette conversation.\n\nLe secrétariat voit votre identifiant et l'étape où vous en êtes : inutile de "
            "les répéter. ⚠️ N'écrivez jamais votre mot de passe.\n\n"
            f"Vous pouvez aussi écrire par courriel à {escape(contact)}" + ongoing)


def ticket_received(ticket_id: int, new: bool, mid_activation: bool = False) -> str:
    head = (f"✅ Message transmis au collège : <b>demande n°{ticket_id}</b>." if new
            else f"✅ Message ajouté à votre demande n°{ticket_id}.")
    then = ("Pour continuer l'activation, touchez « Reprendre l'activation »." if mid_activation
            else "Tapez /start pour le menu.")
    return (head + "\nLa réponse arrivera ici, dans cette conversation. Vous pouvez écrire d'autres messages en "
            "attendant : ils s'ajoutent à la même demande. " + then)


HELPDESK_RESUME = "▶️ Reprendre l'activation"

# Several schools: which one the parent writes to.
HELPDESK_PICK_SCHOOL = ("✍️ <b>Écrire à l'établissement</b>\n\nVotre compte est lié à plusieurs établissements : "
                        "auquel voulez-vous écrire ?")
HELPDESK_FIND_SCHOOL = ("✍️ <b>Écrire à l'établissement</b>\n\nÀ quel établissement voulez-vous écrire ? Tapez une "
                        "partie de son <b>nom</b> ou de sa <b>ville</b> (par exemple « Jean Moulin » ou « Amboise »).")
HELPDESK_SEARCH_TOO_LONG = ("Tapez seulement une partie du <b>nom</b> de l'établissement ou de sa <b>ville</b> : "
                            "votre message, vous l'écrirez juste après.")
HELPDESK_NONE_OF_THESE = "🚫 Aucun de ceux-là"


def schools_found(count: int, limit: int) -> str:
    if count == 0:
        return ("Aucun établissement ne correspond. Tapez une autre partie de son nom, ou sa ville (les accents et "
                "les majuscules ne comptent pas).")
    if count > limit:
        return (f"{count} établissements correspondent ; voici les {limit} premiers. Touchez le vôtre, ou tapez un mot "
                "de plus (la ville, par exemple).")
    return "Touchez votre établissement :" if count > 1 else "Est-ce votre établissement ? Touchez-le :"


def helpdesk_no_school(ent_url: str) -> str:
    return ("Votre établissement n'est pas servi par cet assistant : pour de l'aide, ouvrez la page « Assistance » du "
            f"site de l'ENT, {escape(ent_url)}, ou adressez-vous directement à votre établissement.")


HELPDESK_CANCELLED = "D'accord, rien n'a été envoyé. Tapez /start pour le menu."


def helpdesk_done(ticket_id: int) -> str:
    return (f"Vos messages sont bien transmis au collège (demande n°{ticket_id}). La réponse arrivera ici. "
            "Tapez /start pour le menu.")
HELPDESK_EXPECTS = ("Je ne peux transmettre au collège que du <b>texte</b>, ou une <b>photo</b> (ou un document) avec "
                    "une légende. Les autocollants, messages vocaux, vidéos et positions ne passent pas : écrivez "
                    "plutôt votre message.")
HELPDESK_PASSWORD_SEEN = ("🔒 Votre message contient votre mot de passe (ou une réponse secrète) : je l'ai effacé et "
                          "je ne l'ai <b>pas</b> transmis. Le collège n'en a jamais besoin. Réécrivez votre message "
                          "sans le mot de passe ni les réponses.")
HELPDESK_TOO_FAST = ("⏳ Vous m'écrivez très vite : avant de transmettre un message, je vérifie qu'il ne contient "
                     "aucun de vos mots de passe, et cela prend du temps. Par sécurité, j'ai effacé celui-ci sans le "
                     "transmettre.\n\nAttendez une minute, puis envoyez-le à nouveau.")
HELPDESK_DOCUMENT_REFUSED = ("📎 Je ne transmets au collège que des <b>photos</b>, des <b>images</b> (JPEG, PNG) et des "
                             "<b>PDF</b> de {megabytes} Mo au plus. Ce fichier n'a <b>pas</b> été transmis.\n\n"
                             "Le plus simple : une photo de l'écran, ou une capture d'écran, avec une légende.")


def helpdesk_queue_full(contact_email: str) -> str:
    return ("🙏 Le collège reçoit beaucoup de messages en ce moment : le vôtre n'a <b>pas</b> été transmis, pour que "
            "les demandes déjà arrivées soient lues d'abord.\n\nRéessayez dans une demi-heure, ou écrivez à "
            f"{escape(contact_email)}.")


HELPDESK_TOO_LONG = "Ce message est trop long ({length} caractères, {limit} au plus) : coupez-le en plusieurs messages."
HELPDESK_SLOW_DOWN = ("Vous avez envoyé beaucoup de messages en peu de temps : celui-ci n'a <b>pas</b> été transmis. "
                      "Attendez quelques minutes, le collège lit tout ce qui est arrivé.")


def reply_from_school(ticket_id: int, text: str) -> str:
    return f"💬 <b>Réponse du collège</b> (demande n°{ticket_id}) :\n\n{escape(text)}"


def reply_caption(ticket_id: int, caption: str | None) -> str:
    return f"💬 Réponse du collège (demande n°{ticket_id})" + (f" : {caption}" if caption else "")


def ticket_taken_notice(ticket_id: int) -> str:
    return f"👀 Votre demande n°{ticket_id} est prise en charge par le collège."


def ticket_closed_notice(ticket_id: int) -> str:
    return (f"✅ Votre demande n°{ticket_id} a été close par le collège. Pour une nouvelle question, touchez "
            "« Écrire au collège » dans le menu (/start).")


# -- help desk: what staff see in their group --------------------------------------------------------

TAKE_BUTTON = "🙋 Je m'en occupe"
CLOSE_BUTTON = "✅ Clore"
NO_IDENTIFIER = "inconnu (la famille ne l'a pas encore tapé)"
NOWHERE = "aucune démarche en cours"


PROOFS = {"provisional": "✅ a prouvé détenir ce compte (son mot de passe provisoire, tapé dans cette conversation)",
          "activated": "✅ a prouvé détenir ce compte (activé depuis cette conversation Telegram)",
          "answers": "✅ a prouvé détenir ce compte (ses deux réponses secrètes, dans cette conversation)"}
NOT_PROVEN = ("⚠️ N'A PAS prouvé détenir ce compte : a seulement tapé l'identifiant. Ne débloquez ni ne "
              "réinitialisez sans avoir vérifié l'identité de la famille par un autre moyen.")


# What the family typed as an identifier matched no account: it is not shown, since it may be a password.
UNKNOWN_IDENTIFIER = ("tapé, mais ne correspond à aucun compte (non transmis : ce peut être un mot de passe tapé "
                      "par erreur ; demandez à la famille son identifiant)")


def ticket_context(identifier: str | None, state: str | None, where: str | None, last_error: str | None,
                   lock_until: str | None, proof: str | None = None, typed_unknown: bool = False) -> str:
    """The context of a ticket, plain lines, as staff and the school's mailbox read it. Never a secret."""
    shown = identifier or (UNKNOWN_IDENTIFIER if typed_unknown else NO_IDENTIFIER)
    lines = [f"Identifiant : {shown}" + (f" — compte {STATE_LABELS[state]}" if state else "")]
    if state:
        lines.append("Preuve : " + PROOFS.get(proof or "", NOT_PROVEN))
    lines.append(f"Où : {where or NOWHERE}")
    if last_error:
        lines.append(f"Dernière erreur : {LAST_ERRORS.get(last_error, last_error)}")
    lines.append(f"Verrou : jusqu'à {lock_until} (heure de Paris)" if lock_until else NO_LOCK)
    return "\n".join(lines)


NO_LOCK = "Verrou : aucun"


def ticket_header(ticket_id: int, opened: str, user_name: str, user_id: int, context: str, taken_by: str | None,
                  closed_by: str | None, first_message: str) -> str:
    status = (f"✅ Close par {escape(closed_by)}" if closed_by else
              f"🙋 Prise en charge par {escape(taken_by)}" if taken_by else "🆕 Pas encore prise en charge")
    return (f"🆘 <b>Demande n°{ticket_id}</b> — ouverte le {opened}\n"
            f"De : {escape(user_name)} (Telegram {user_id})\n{escape(context)}\n{status}\n\n"
            f"{escape(first_message)}\n\n"
            "↩️ <i>Pour répondre à la famille : répondez à ce message (Répondre).</i>")


def ticket_follow_up(ticket_id: int, user_name: str, text: str) -> str:
    return f"💬 <b>Demande n°{ticket_id}</b> — {escape(user_name)} :\n\n{escape(text)}"


def ticket_follow_up_caption_below(ticket_id: int, user_name: str) -> str:
    return f"💬 Demande n°{ticket_id} — {user_name} (légende ci-dessous)"


def ticket_follow_up_caption(ticket_id: int, user_name: str, caption: str | None) -> str:
    return f"💬 Demande n°{ticket_id} — {user_name}" + (f" : {caption}" if caption else "")


PHOTO_PLACEHOLDER = "[photo ci-dessous]"
TEXT_PLACEHOLDER = "[message long : ci-dessous]"
DOCUMENT_PLACEHOLDER = "[document ci-dessous]"
REPLY_DELIVERED = "✅ Réponse transmise à {name} (demande n°{ticket_id})."
REPLY_BLOCKED = ("⚠️ Réponse <b>non remise</b> : {name} a bloqué le bot ou supprimé la conversation "
                 "(demande n°{ticket_id}). Essayez par un autre moyen (courrier, téléphone).")
REPLY_TO_CLOSED = "Cette demande n°{ticket_id} est close : votre réponse n'a pas été transmise."
REPLY_UNSUPPORTED = "Je ne transmets aux familles que du texte, des photos et des documents."
REPLY_HOLDS_PASSWORD = ("🔒 Votre réponse à la demande n°{ticket_id} contient un mot de passe : je ne l'ai <b>pas</b> "
                        "transmise ni gardée, et je l'ai effacée du groupe si je le pouvais. Un mot de passe ne passe "
                        "jamais par une demande : la personne qui écrit n'est peut-être pas la famille. Remettez le "
                        "mot de passe provisoire en main propre, par courrier, ou par téléphone au numéro que le "
                        "collège a dans son dossier, puis répondez sans le mot de passe.")
ALREADY_CLOSED = "Cette demande est déjà close."
NO_OPEN_TICKETS = "Aucune demande ouverte. 🎉"


def open_tickets_list(lines: list[str]) -> str:
    return f"<b>Demandes ouvertes ({len(lines)})</b>\n\n" + "\n".join(lines)


def open_ticket_line(ticket_id: int, user_name: str, identifier: str | None, opened: str, taken_by: str | None) -> str:
    return (f"• n°{ticket_id} — {escape(user_name)}" + (f" (<code>{escape(identifier)}</code>)" if identifier else "")
            + f" — ouverte le {opened} — " + (f"prise par {escape(taken_by)}" if taken_by else "<b>à prendre</b>"))


# -- help desk: the mail to the school's address ------------------------------------------------------


def ticket_mail(ticket_id: int, new: bool, user_name: str, user_id: int, identifier: str | None, context: str,
                kind: str, text: str | None) -> tuple[str, str]:
    """(subject, body) of the mail telling the school's mailbox of a ticket's message."""
    subject = (f"[Assistant ENT] Demande n°{ticket_id}" + (f" — {identifier}" if identifier else "")
               + f" — {user_name}" + ("" if new else " (nouveau message)"))
    if kind == "text":
        content = text or ""
    else:
        what = "une photo" if kind == "photo" else "un document"
        content = f"[La famille a envoyé {what}, visible dans le groupe Telegram du personnel.]" + (
            f"\nLégende : {text}" if text else "")
    body = ("Nouvelle demande d'aide" if new else "Nouveau message sur la demande") + f" n°{ticket_id}\n\n" \
        f"De : {user_name} (Telegram {user_id})\n{context}\n\nMessage :\n{content}\n\n" \
        f"Pour répondre : dans le groupe Telegram du personnel, répondez au message de la demande n°{ticket_id}.\n" \
        "(Une réponse à ce courriel n'arrive pas à la famille.)\n"
    return subject, body

# -- announcements: parents ------------------------------------------------------------------------

MENU_SUBSCRIBE = "📣 Recevoir les annonces du collège"
MENU_UNSUBSCRIBE = "🔕 Ne plus recevoir les annonces"
def subscribed(quiet: tuple[time, time] | None) -> str:
    """The confirmation, with the quiet hours the school set (QUIET_HOURS), or none when it set none."""
    hours = (f" Jamais entre {_hour(quiet[0])} et {_hour(quiet[1])}." if quiet else "")
    return ("✅ C'est noté : les annonces du collège (le « canal annonces » de l'ENT) arriveront ici." + hours
            + " Pour arrêter : /start puis « Ne plus recevoir les annonces ».")


def _hour(moment: time) -> str:
    """20 h, 7 h, 7 h 30: as French people write times."""
    return f"{moment.hour} h" + (f" {moment.minute:02d}" if moment.minute else "")


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut between words, with "…" when something was cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    if not text[limit - 1].isspace() and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.") + "…"


def event_detail(event: str, detail: str) -> str:
    """An event's detail as staff read it: a lock's scopes in French and its end in Paris time."""
    if event != "locked":
        return detail
    scopes = {"user": "ce compte Telegram", "account": "cet identifiant"}
    parts = []
    for scope, until in re.findall(r"(\w+) jusqu'à (\S+?)(?:,|$)", detail):
        try:
            end = paris(until)
        except ValueError:
            end = until
        parts.append(f"{scopes.get(scope, scope)} jusqu'à {end} (heure de Paris)")
    return ", ".join(parts) or detail


UNSUBSCRIBED = "🔕 Vous ne recevrez plus les annonces ici. Vous pouvez vous réabonner quand vous voulez depuis le menu (/start)."

# With several schools: one button per school, and a family not yet known picks its school in a list.


def menu_subscribe_to(school: str) -> str:
    return f"📣 Recevoir les annonces : {school}"


def menu_unsubscribe_from(school: str) -> str:
    return f"🔕 Ne plus recevoir : {school}"


MENU_SUBSCRIBE_OTHER = "📣 Recevoir les annonces d'un autre établissement"
SUBSCRIBE_PICK = ("📣 De quel établissement voulez-vous recevoir les annonces ? Choisissez-le dans la liste (par ordre "
                  "alphabétique). Vous pourrez en ajouter un autre ensuite depuis le menu (/start).")
SCHOOLS_NEXT = "Suivants ▶"
SCHOOLS_BEFORE = "◀ Précédents"


def subscribed_to(schools: list[tuple[str, tuple[time, time] | None]]) -> str:
    """The confirmation with several schools: each school named, with its own quiet hours."""
    lines = [f"• {escape(name)}" + (f" (jamais entre {_hour(quiet[0])} et {_hour(quiet[1])})" if quiet else "")
             for name, quiet in schools]
    return ("✅ C'est noté : les annonces de ces établissements arriveront ici.\n" + "\n".join(lines)
            + "\n\nPour arrêter : /start puis « Ne plus recevoir ».")


def unsubscribed_from(school: str) -> str:
    return (f"🔕 Vous ne recevrez plus ici les annonces de {escape(school)}. Vous pouvez vous réabonner quand vous "
            "voulez depuis le menu (/start).")


# -- announcements: staff who publish ---------------------------------------------------------------

NOTICE_ASK = ("📣 <b>Nouvelle annonce</b>\n\nEnvoyez-moi maintenant l'annonce, comme un message ordinaire : un texte "
              "(gras, italique, liens… comme d'habitude dans Telegram), ou une photo ou un document avec une légende. "
              "Je vous la montrerai exactement comme les familles la verront, avant tout envoi.\n\n/annuler pour abandonner.")
NOTICE_IN_GROUP = "Pour préparer une annonce, écrivez-moi en privé : /annonce"
NOTICE_UNSUPPORTED = ("Une annonce est un <b>texte</b>, une <b>photo</b> ou un <b>document</b> (avec une légende si vous "
                      "voulez). Les autocollants, messages vocaux, vidéos, sondages ou positions ne peuvent pas être "
                      "envoyés. Envoyez l'annonce à nouveau, ou /annuler.")
NOTICE_EMPTY = "Cette annonce est vide. Envoyez un texte, ou une photo ou un document, ou /annuler."


def notice_from(school: str) -> str:
    """With several schools, what opens every family's copy: which school the notice comes from (HTML)."""
    return f"🏫 <b>{escape(school)}</b>\n\n"


def notice_from_length(school: str) -> int:
    """The UTF-16 length Telegram counts of `notice_from` once sent (the text's limit is what is left)."""
    return len(f"🏫 {school}\n\n".encode("utf-16-le")) // 2



def notice_too_long(length: int, limit: int, caption: bool) -> str:
    what = "La légende" if caption else "Le texte"
    return (f"{what} fait {length} caractères ; Telegram en accepte {limit} au plus. Raccourcissez-la et "
            "envoyez-la à nouveau, ou /annuler." if caption else
            f"{what} fait {length} caractères ; Telegram en accepte {limit} au plus. Raccourcissez-le et "
            "envoyez-le à nouveau, ou /annuler.")


PREVIEW_ABOVE = "☝️ <b>Aperçu</b> : voici l'annonce telle que les familles la recevront."
PUBLISH_BUTTON = "📣 Publier maintenant"
SCHEDULE_BUTTON = "🕒 Programmer"
CANCEL_NOTICE_BUTTON = "✖ Annuler"
PARENTS_ONLY_BUTTON = "📣 Publier aux familles seulement"
UNSCHEDULE_BUTTON = "✖ Annuler la programmation"


def notice_draft(notice_id: int, subscribers: int, channel: str | None) -> str:
    where = f"sur le canal {escape(channel)} et " if channel else ""
    return (PREVIEW_ABOVE + f"\n\nAnnonce n°{notice_id} : elle partira {where}à <b>{subscribers}</b> famille"
            f"{'s' if subscribers > 1 else ''} abonnée{'s' if subscribers > 1 else ''}.")


NOT_CHANNEL_ADMIN = "le bot n'y est pas administrateur avec le droit de publier"


def channel_warning(reason: str) -> str:
    return (f"⚠️ Le canal des annonces ne pourra pas la recevoir ({escape(reason)}). Si vous publiez, je vous "
            "proposerai de l'envoyer aux familles seulement.")


CHANNEL_UNCERTAIN = ("⚠️ Le canal n'a pas confirmé la publication : l'annonce y est <b>peut-être</b> déjà (la réponse "
                     "de Telegram s'est perdue). Regardez le canal, puis dites-moi ce qu'il en est : je ne la reposte "
                     "jamais de moi-même, pour qu'elle n'y soit jamais en double. <b>Rien n'a encore été envoyé aux "
                     "familles.</b>")
CHANNEL_UNCERTAIN_REASON = "réponse de Telegram perdue : l'annonce y est peut-être, regardez le canal"
CHANNEL_THERE_BUTTON = "✅ Elle est dans le canal : envoyer aux familles"
CHANNEL_AGAIN_BUTTON = "🔁 Elle n'y est pas : la publier dans le canal"


def channel_unreachable(reason: str) -> str:
    return (f"⚠️ Le canal des annonces n'a pas reçu l'annonce ({escape(reason)}). Vérifiez que le bot est "
            "administrateur du canal, avec le droit de publier. <b>Rien n'a été envoyé aux familles.</b>")


NOTICE_ASK_TIME = ("🕒 <b>Quand faut-il publier cette annonce ?</b>\n\nTapez la date et l'heure (heure de Paris), par "
                   "exemple : <code>25/12 8h30</code>, <code>25/12/2026 08:30</code>, <code>demain 7h30</code>, "
                   "<code>aujourd'hui 18h</code>.")
NOTICE_TIME_UNREADABLE = ("Je n'ai pas compris cette date. Écrivez-la comme ceci : <code>25/12 8h30</code>, "
                          "<code>25/12/2026 08:30</code> ou <code>demain 7h30</code>.")
NOTICE_TIME_PAST = "Ce moment est déjà passé ({when}). Tapez une date et une heure à venir."


def notice_scheduled(notice_id: int, when: str, quiet_note: bool) -> str:
    note = ("\n\n🌙 C'est pendant les heures calmes : le canal l'aura à l'heure dite, les familles le matin venu."
            if quiet_note else "")
    return f"🕒 Annonce n°{notice_id} programmée pour le <b>{when}</b>. Vous pouvez l'annuler d'ici là.{note}"


NOTICE_CANCELLED = "Annonce abandonnée : rien n'a été envoyé."
NOTICE_UNSCHEDULED = "Programmation annulée : l'annonce n°{notice_id} ne partira pas."
NOTICE_STALE = "Cette annonce n'est plus à cet état (déjà publiée ou annulée)."
FAILURE_REASONS = {"blocked": "ont bloqué le bot", "chat_not_found": "introuvables", "deleted": "message source supprimé",
                   "network": "erreur réseau répétée"}


def notice_progress(notice_id: int, sent: int, failed: int, left: int, reasons: dict[str, int],
                    channel_state: str | None, quiet_until: str | None, done: bool) -> str:
    channel = {"sent": "📢 Canal : publiée.\n", "failed": "⚠️ Canal : non publiée.\n"}.get(channel_state or "", "")
    head = (f"✅ <b>Annonce n°{notice_id} envoyée.</b>" if done else f"📣 <b>Annonce n°{notice_id} en cours d'envoi…</b>")
    lines = [head, channel + f"Familles : {sent} reçue{'s' if sent > 1 else ''}, {failed} échec{'s' if failed > 1 else ''}, "
             f"{left} restante{'s' if left > 1 else ''}."]
    if reasons:
        lines.append("Échecs : " + ", ".join(f"{n} {escape(FAILURE_REASONS.get(r, r))}" for r, n in sorted(reasons.items())))
    if quiet_until and left:
        lines.append(f"🌙 Heures calmes : les familles la recevront à partir de {quiet_until}.")
    return "\n".join(lines)


def scheduled_channel_failed(notice_id: int, reason: str) -> str:
    return (f"⚠️ L'annonce programmée n°{notice_id} n'a pas pu être publiée sur le canal ({escape(reason)}). "
            "Elle part quand même aux familles abonnées.")


NO_NOTICES = "Aucune annonce publiée ou programmée pour l'instant. /annonce pour en écrire une."


def notice_line(notice_id: int, summary: str, state: str, when: str, figures: str) -> str:
    label = {"scheduled": "🕒 programmée pour", "publishing": "📣 en cours, publiée le", "done": "✅ publiée le",
             "cancelled": "✖ annulée (était programmée pour"}.get(state, state)
    closing = ")" if state == "cancelled" else ""
    return f"• n°{notice_id} — « {escape(summary)} » — {label} {when}{closing}" + (f"\n  {figures}" if figures else "")


def notice_figures(sent: int, failed: int, left: int) -> str:
    return f"{sent} reçue(s), {failed} échec(s), {left} restante(s)"


def notices_list(lines: list[str]) -> str:
    return "<b>Annonces récentes</b>\n\n" + "\n".join(lines)


def cancel_scheduled_button(notice_id: int) -> str:
    return f"✖ Annuler la n°{notice_id}"


# -- letters with a QR code (the printed page, and what the bot says about them) -------------------




# What the bot says when a letter's link is opened.
def letter_welcome(name: str) -> str:
    return (f"👋 Bonjour ! Voici la lettre du collège pour le compte de <b>{escape(name)}</b> : l'identifiant et "
            "le mot de passe provisoire sont déjà vérifiés, il reste quelques étapes.")


LETTER_INVALID = ("Cette lettre n'est plus valable (déjà utilisée, remplacée ou trop ancienne) : activez votre "
                  "compte avec l'identifiant et le mot de passe provisoire imprimés, ou écrivez au collège.")

# /lettre, for staff.
LETTER_BUTTON = "📄 Oui, nouvelle lettre"


def confirm_letter(identifier: str, name: str, state: str) -> str:
    return (f"📄 Nouvelle lettre pour <code>{escape(identifier)}</code> ({escape(name)}, {STATE_LABELS[state]}) ?\n\n"
            "C'est une <b>réinitialisation</b> : un nouveau mot de passe provisoire est créé et imprimé sur la "
            "lettre ; l'ancien mot de passe et l'ancienne lettre ne marcheront plus, et une famille en train "
            "d'activer ce compte devra recommencer. La lettre (PDF) vous est envoyée en privé et s'effacera "
            f"d'elle-même dans {SECRET_LIFETIME_MINUTES} minutes.")


def letter_refused_active(identifier: str) -> str:
    return (f"Le compte <code>{escape(identifier)}</code> est déjà activé : une lettre ne sert plus à rien. "
            "Si la famille a oublié son mot de passe, elle peut utiliser « Mot de passe oublié » ; sinon, "
            f"<code>/reinitialiser {escape(identifier)}</code>.")


LETTER_CANCELLED = "Nouvelle lettre annulée : rien n'a changé."


def letter_done(identifier: str, staff_name: str, private: bool) -> str:
    where = "ci-dessous" if private else f"en message privé à {escape(staff_name)}"
    return (f"✅ Compte <code>{escape(identifier)}</code> réinitialisé par {escape(staff_name)} pour une nouvelle "
            f"lettre, envoyée {where}.")


def letter_caption(identifier: str, name: str) -> str:
    return (f"📄 Nouvelle lettre de <code>{escape(identifier)}</code> ({escape(name)}) : imprimez-la et remettez-la "
            "à la famille. Elle porte le mot de passe provisoire, gardé nulle part en clair : ce message "
            f"s'effacera de lui-même dans {SECRET_LIFETIME_MINUTES} minutes.")


LETTER_FILE_NAME = "lettre-{identifier}.pdf"
# -- privacy: the family's data and rights (RGPD), the DPO's register ------------------------------

PRIVACY_COMMANDS = {"mesdonnees": "Mes données : voir ou effacer", "confidentialite": "Protection de mes données"}
PRIVACY_LINE = "\n\n🔒 Ce que je garde sur vous, combien de temps, et vos droits : /confidentialite"
ERASED_CONTENT = "effacé à la demande de la famille"
MY_DATA_ERASE_BUTTON = "🗑 Effacer mes données"
MY_DATA_ERASE_YES = "🗑 Oui, tout effacer"
MY_DATA_ERASE_NO = "↩ Non, garder"
MY_DATA_ERASE_CONFIRM = ("⚠️ <b>Effacer vos données ?</b>\n\nJe supprimerai votre activation en cours, votre abonnement aux "
                 "annonces, le contenu de vos demandes au collège et le lien entre votre compte Telegram et le compte "
                 "ENT. C'est définitif.\n\nCe qui est conservé (obligation du collège) : un compte déjà activé reste "
                 "activé, le journal de sécurité garde ses lignes, sans votre nom ni votre numéro Telegram, et vos "
                 "essais échoués récents restent comptés (ils protègent les comptes).")
MY_DATA_ERASE_CANCELLED = "Rien n'a été effacé. Vos données restent telles qu'elles étaient (/mesdonnees pour les revoir)."
MY_DATA_NOTHING_HELD = ("🔒 Je ne garde rien sur vous en ce moment : ni activation en cours, ni abonnement, ni demande au "
                "collège.\n\nPour savoir ce que je garderais et combien de temps : /confidentialite")
MY_DATA_NOTHING_TO_ERASE = "Il n'y avait rien à effacer : je ne garde rien sur vous."
TICKET_ERASED_IN_GROUP = "🗑 Demande n°{ticket_id} : effacée à la demande de la famille (contenu supprimé)."

# Telegram carries every message: plain words, as article 13 asks.
TELEGRAM_TRANSFER = ("Telegram transporte les messages entre vous et le collège. Telegram est une société établie hors "
                     "de l'Union européenne (à Dubaï) : vos messages passent par ses serveurs, sous ses propres règles "
                     "de confidentialité (telegram.org/privacy).")


def duration(days: int) -> str:
    """A retention in words: 365 days is a year, 0 is the next night."""
    if days == 0:
        return "jusqu'à la nuit suivante"
    if days % 365 == 0:
        years = days // 365
        return f"{years} an" + ("s" if years > 1 else "")
    return f"{days} jour" + ("s" if days > 1 else "")


def retention_items(r: Retention, family: bool = True) -> list[tuple[str, str]]:
    """(what is kept, for how long), generated from the settings: the notice and the register never go stale.

    `family`: addressed to the family (the notice), else about families (the register).
    """
    given = "si vous l'avez donnée" if family else "si la famille l'a donnée"
    requests = "vos demandes au collège" if family else "les demandes d'aide des familles"
    subscription = "votre abonnement aux annonces" if family else "l'abonnement d'un parent aux annonces"
    subscribed = "tant que vous êtes abonné" if family else "tant que le parent est abonné"
    return [
        ("une activation, un mot de passe oublié ou un test de connexion laissés en cours (identifiant tapé, étape, "
         f"adresse électronique {given})", f"{duration(r.progress_days)} après la dernière étape"),
        ("les essais échoués et les blocages après trop d'essais",
         f"{duration(r.attempts_days)} après le dernier essai, une fois le blocage levé"),
        ("le journal de sécurité (qui a activé, testé, réinitialisé quel compte, et quand)", duration(r.audit_days)),
        ("les codes envoyés par courriel : l'envoi (adresse, date), le code lui-même effacé dès que le serveur de "
         "courriel l'a pris", duration(r.tickets_days)),
        (f"{requests} (messages, photos, leur courriel, leurs copies dans le groupe du personnel)",
         f"{duration(r.tickets_days)} après leur clôture"),
        ("les annonces reçues (date d'envoi)", duration(r.notices_days)),
        (f"{subscription} (prénom Telegram)",
         f"{subscribed}, puis " + ("effacé la nuit suivante" if r.unsubscribed_days == 0 else
                                   f"{duration(r.unsubscribed_days)} après le désabonnement")),
        ("un compte activé : identifiant, date d'activation, acceptation de la charte (les mots de passe et réponses "
         "ne sont gardés que sous forme d'empreinte irréversible, jamais lisibles)",
         "tant que le collège garde le compte"),
    ]


def privacy_notice(school: str, contact_email: str, postal_address: str | None, dpo: str | None,
                   r: Retention, controller: str | None = None) -> str:
    """/confidentialite: the information article 13 of the RGPD asks for, short. `controller`: who is responsible,
    when it is not the one school given (privacy_controllers)."""
    kept = "\n".join(f"• {escape(what)} : <b>{escape(how_long)}</b>" for what, how_long in retention_items(r))
    address = f"{escape(contact_email)}" + (f", {escape(postal_address)}" if postal_address else "")
    return ("🔒 <b>Vos données personnelles</b>\n\n"
            + (f"<b>Responsable</b> : {controller}." if controller else
               f"<b>Responsable</b> : le {escape(school)} ({address}).")
            + (f" Délégué à la protection des données : {escape(dpo)}." if dpo else "") + "\n\n"
            "<b>Pourquoi</b> : vous aider à activer votre compte ENT et à joindre le collège, et vous envoyer ses "
            "annonces si vous le demandez. Base légale : la mission de service public du collège.\n\n"
            f"<b>Ce qui est gardé, et combien de temps</b> :\n{kept}\n"
            "Vos mots de passe et réponses secrètes ne sont jamais gardés en clair, et vos messages qui en contiennent "
            "sont effacés de la conversation.\n\n"
            "<b>Qui les reçoit</b> : seulement le personnel du collège chargé de l'ENT et de l'accueil (secrétariat, "
            f"référent numérique). {TELEGRAM_TRANSFER}\n\n"
            "<b>Vos droits</b> : voir vos données, les faire corriger ou effacer, vous opposer. Ici : /mesdonnees "
            "(voir et effacer). Après un effacement restent seulement l'activation du compte (elle appartient au "
            "collège), le journal de sécurité sans votre nom ni votre numéro Telegram, les essais échoués qui "
            "comptent encore pour un blocage (24 heures) et un blocage en cours, les codes demandés par courriel "
            "dans la journée (leur nombre seulement), et pour 2 jours au plus un message à secret encore à effacer "
            "de notre conversation. "
            + (f"Ou écrivez au collège : {address}." if controller is None else
               "Ou écrivez à votre établissement (son adresse est ci-dessus, ou sur le courrier qu'il vous a remis).")
            + " Si vous estimez vos droits mal respectés, "
            "vous pouvez saisir la CNIL (cnil.fr/plaintes).")


def privacy_controllers(schools: list[tuple[str, str]]) -> str:
    """With several schools: the family's schools (name, contact address), each for what concerns it; or, for a
    family the bot does not know yet, its child's school; the ENT's operator runs the bot for them."""
    if not schools:
        return ("l'établissement de votre enfant, dont l'adresse est sur le courrier qu'il vous a remis "
                "(l'opérateur de l'ENT fait fonctionner ce bot pour lui)")
    return ("chacun de vos établissements, pour ce qui le concerne : "
            + " ; ".join(f"le {escape(name)} ({escape(contact)})" for name, contact in schools)
            + " (l'opérateur de l'ENT fait fonctionner ce bot pour eux)")


def mask_email(email: str) -> str:
    """j•••@exemple.fr: enough for the parent to recognise it, not for someone reading over a shoulder."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else "•••"


MY_DATA_TICKETS = 15


def _typed_identifier(kept: str | None) -> str:
    if not kept:
        return ""
    if kept.startswith("#"):  # storage.accounts.UNKNOWN_MARK: what is kept of an identifier that named no account
        return ", un identifiant qui ne correspond à aucun compte (gardé sous une forme illisible)"
    return f", identifiant <code>{escape(kept)}</code>"


def my_data(data: dict[str, Any]) -> str:
    """/mesdonnees: everything held about this Telegram user, in one message, never a secret or a hash."""
    lines = ["🔒 <b>Ce que je garde sur vous</b>", ""]
    for account in data["accounts"]:
        state = {"active": "activé", "pending": "pas encore activé", "reset": "réinitialisé"}.get(account["state"],
                                                                                                   account["state"])
        lines.append(f"👤 <b>Compte ENT lié</b> : <code>{escape(account['identifier'])}</code> "
                     f"({escape(' '.join(p for p in (account['first_name'], account['last_name']) if p))}), {state}"
                     + (f" le {paris(account['activated_at'], WHEN)}" if account["activated_at"] else "")
                     + (f" ; adresse : {escape(mask_email(account['email']))}" if account["email"] else "") + ".")
    progress = data["activation"]
    if progress is not None:
        step = where(progress["step"]) if progress["step"] in STEP_NUMBER else "au début"
        email = (f" ; adresse donnée : {escape(mask_email(progress['email']))}" if progress["email"]
                 else " ; adresse : non donnée (recommandé)" if progress["email_skipped"] else "")
        lines.append(f"🔑 <b>Activation en cours</b> : {escape(step)}"
                     + _typed_identifier(progress["identifier"])
                     + f"{email} ; commencée le {paris(progress['started_at'], WHEN)}, "
                     f"dernière étape le {paris(progress['updated_at'], WHEN)}.")
    recovery = data["recovery"]
    if recovery is not None:
        what = "mot de passe oublié" if recovery["flow"] == "forgot" else "test de connexion"
        lines.append(f"🔓 <b>En cours</b> : {what}"
                     + _typed_identifier(recovery["identifier"])
                     + f", le {paris(recovery['updated_at'], WHEN)}.")
    subscription = data["subscription"]
    if subscription is not None:
        lines.append("📣 <b>Annonces</b> : " + (
            f"abonné depuis le {paris(subscription['subscribed_at'], WHEN)}" if subscription["active"]
            else f"désabonné le {paris(subscription['unsubscribed_at'], WHEN)}") + "."
            + (f" {len(data['deliveries'])} annonce(s) reçue(s)." if data["deliveries"] else ""))
    shown = data["tickets"][-MY_DATA_TICKETS:]  # the latest; Telegram takes 4096 characters at most
    if len(data["tickets"]) > len(shown):
        lines.append(f"💬 <b>Demandes au collège</b> : {len(data['tickets'])}, dont les {len(shown)} dernières :")
    for ticket in shown:
        state = (f"ouverte le {paris(ticket['opened_at'], WHEN)}" if ticket["state"] == "open" else
                 f"ouverte le {paris(ticket['opened_at'], WHEN)}, close le {paris(ticket['closed_at'], WHEN)}")
        lines.append(f"💬 <b>Demande n°{ticket['id']}</b> : {state}, {len(ticket['messages'])} message(s).")
    attempts = data["attempts"]
    if attempts is not None and attempts["last_failure_at"]:
        lines.append(f"⛔ <b>Essais échoués</b> : dernier le {paris(attempts['last_failure_at'], WHEN)}"
                     + (f", bloqué jusqu'au {paris(attempts['locked_until'], WHEN)}" if attempts["locked_until"] else "")
                     + ".")
    if data["audit"]:
        lines.append(f"📒 <b>Journal de sécurité</b> : {len(data['audit'])} ligne(s), la dernière le "
                     f"{paris(data['audit'][-1]['at'], WHEN)}.")
    lines += ["", "Jamais gardés en clair : vos mots de passe, vos réponses secrètes, les codes reçus.",
              "Combien de temps : /confidentialite"]
    return "\n".join(lines)


def my_data_by_school(schools: list[tuple[str, dict[str, Any]]]) -> str:
    """/mesdonnees with several schools: what the family has with each, by the school's name."""
    lines = ["🏫 <b>Établissement par établissement</b>"]
    for name, held in schools:
        parts = []
        if held["accounts"]:
            parts.append("compte " + ", ".join(f"<code>{escape(i)}</code>" for i in held["accounts"]))
        if held["subscribed"] is not None:
            parts.append("annonces : " + ("abonné" if held["subscribed"] else "désabonné"))
        if held["tickets"]:
            parts.append("demande(s) n°" + ", n°".join(str(t) for t in held["tickets"][-MY_DATA_TICKETS:]))
        lines.append(f"• <b>{escape(name)}</b> : " + ("; ".join(parts) if parts else "rien") + ".")
    return "\n".join(lines)


# What an erasure keeps of the failed attempts, and why (also in the notice and the register).
ATTEMPTS_KEPT = ("vos essais échoués des dernières 24 heures et un blocage en cours : ils protègent les comptes ENT "
                 "contre qui voudrait deviner un mot de passe, et comptent comme si rien n'avait été effacé")


def erased_text(removed: dict[str, int], tickets: list[int], unlinked: int, audit_lines: int, lock_kept: bool) -> str:
    """What erasing did and what it kept, said plainly."""
    done = []
    if removed.get("activation_progress") or removed.get("recovery_progress"):
        done.append("votre activation ou démarche en cours")
    if removed.get("subscribers"):
        done.append("votre abonnement aux annonces")
    if tickets:
        done.append(f"le contenu de vos demandes au collège (n°{', n°'.join(str(t) for t in tickets)})")
    if unlinked:
        done.append("le lien entre votre compte Telegram et le compte ENT")
    if removed.get("attempts"):
        done.append("vos essais échoués")
    kept = []
    if unlinked:
        kept.append("le compte ENT reste activé (il appartient au collège) ; l'identifiant et le mot de passe "
                    "restent valables")
    if audit_lines:
        kept.append(f"le journal de sécurité garde ses {audit_lines} ligne(s), sans votre nom ni votre numéro "
                    "Telegram")
    if tickets:
        kept.append("le numéro et les dates de vos demandes, sans leur contenu")
    if lock_kept:
        kept.append(ATTEMPTS_KEPT)
    return ("🗑 <b>C'est fait.</b> J'ai effacé : " + ("; ".join(done) if done else "vos données") + ".\n\n"
            + ("Conservé : " + "; ".join(kept) + ".\n\n" if kept else "")
            + "Si vous revenez, vous repartirez de zéro. Vos droits : /confidentialite")


def purge_lines(removed: dict[str, int], deleted: int, left: list[tuple[int, int, int, str]]) -> list[str]:
    """`entbot privacy purge`: what was removed, table by table."""
    lines = [f"  {table:<22} {count} ligne(s) supprimée(s)" for table, count in removed.items()]
    lines.append(f"  copies dans le groupe du personnel : {deleted} supprimée(s), {len(left)} impossible(s)")
    lines += [f"    à supprimer à la main : groupe {chat}, message {message} (demande n°{ticket}) — {why}"
              for chat, message, ticket, why in left]
    return ["Purge selon les durées de conservation :", *lines]


def register(school: str, contact_email: str, postal_address: str | None, dpo: str | None, r: Retention,
             directory: str, smtp_host: str | None, staff_group: bool, channel: bool, today: str,
             shared: bool = False) -> str:
    """`entbot privacy register`: the record of processing (article 30 of the RGPD), in Markdown. `shared`: one
    school's record in a deployment the ENT's operator runs for several: the school's head is the controller, the
    operator a processor (article 28)."""
    kept = "\n".join(f"| {what} | {how_long} |" for what, how_long in retention_items(r, family=False))
    address = contact_email + (f", {postal_address}" if postal_address else "")
    server = "de l'opérateur de l'ENT" if shared else "du collège"
    where = (f"l'annuaire LDAP de l'ENT (comptes) et un fichier SQLite sur le serveur {server} (le reste)"
             if directory == "ldap" else f"un fichier SQLite sur le serveur {server}")
    controller = (f"- **Organisme** : {school}, représenté par son chef d'établissement" if shared
                  else f"- **Organisme** : {school}")
    processor = ("""

## Sous-traitant (article 28 du RGPD)

- **L'opérateur de l'ENT**, qui exploite cette installation du bot pour plusieurs établissements : il
  l'héberge, la sauvegarde et la met à jour, sur instruction du chef d'établissement et pour les seules
  finalités ci-dessous ; il ne consulte pas les données des familles.
- Les données de chaque établissement sont séparées : le personnel d'un établissement ne voit que les
  comptes, demandes et annonces du sien.""" if shared else "")
    recipients = ["les personnels du collège désignés (secrétariat, référent numérique)"
                  + (", dans un groupe Telegram réservé" if staff_group else ", en conversation privée avec le bot")]
    if smtp_host:
        recipients.append(f"la boîte du collège {contact_email} (copie des demandes d'aide)")
    if channel:
        recipients.append("le canal d'annonces du collège (annonces seulement, aucune donnée de famille)")
    return f"""# Registre des activités de traitement — Assistant ENT

*Article 30 du RGPD. Fiche générée le {today} à partir de la configuration de cette installation.*

## Responsable du traitement

{controller}
- **Contact** : {address}
- **Délégué à la protection des données** : {dpo or "à compléter (DPO de l'académie)"}{processor}

## Finalités

- Accompagner les familles (parents et élèves) dans l'activation de leur compte ENT, pas à pas.
- Permettre aux familles de joindre le collège (demandes d'aide) et au personnel de leur répondre.
- Diffuser les annonces du collège aux familles qui s'y abonnent.

## Base légale

Mission d'intérêt public dont est investi l'établissement (article 6.1.e du RGPD) ; l'abonnement aux
annonces repose sur la demande de la famille, qui peut l'arrêter à tout moment.

## Catégories de personnes concernées

- Familles : parents (responsables légaux) et élèves du collège qui utilisent le bot.
- Personnels du collège qui répondent aux demandes ou publient des annonces.

## Catégories de données

- Identification : identifiant ENT, nom, prénom, profil, classe (fichier du collège) ; numéro, prénom et nom
  d'utilisateur Telegram.
- Activation : étape atteinte, acceptation de la charte (version, date), adresse électronique si la famille
  la donne (déconseillé), numéros des questions secrètes.
- Secrets (jamais en clair) : mot de passe provisoire, mot de passe choisi, réponses secrètes, codes de
  confirmation, conservés uniquement sous forme d'empreinte Argon2id.
- Demandes d'aide : messages, photos et documents envoyés au collège, réponses du personnel.
- Annonces : abonnement, remise de chaque annonce.
- Sécurité : essais échoués, blocages, journal des actions (activation, test, réinitialisation, déblocage).

Aucune donnée sensible (article 9) n'est demandée.

## Destinataires

{chr(10).join(f"- {line}" for line in recipients)}

## Transferts hors de l'Union européenne

Telegram (Telegram FZ-LLC, Dubaï, Émirats arabes unis) transporte les messages entre les familles, le bot et
le personnel : c'est une société établie hors de l'Union européenne, sans décision d'adéquation, qui
traite ces messages sous ses propres règles (telegram.org/privacy). Les familles en sont informées
(/confidentialite) ; le bot ne demande jamais de donnée sensible et efface de la conversation les
messages qui contiennent un secret.

## Durées de conservation

| Données | Durée |
|---|---|
{kept}

Une tâche efface chaque nuit (03:30) ce qui a dépassé sa durée ; `entbot privacy purge` le fait à la demande.
Les copies des demandes dans le groupe du personnel sont supprimées avec elles quand Telegram le permet
(48 heures après leur envoi au plus) ; les autres sont listées pour être supprimées à la main.

## Droits des personnes

Accès et effacement dans Telegram (/mesdonnees), ou par écrit au collège ({address}) :
`entbot privacy export NUMERO_TELEGRAM` et `entbot privacy erase NUMERO_TELEGRAM`. Réclamation auprès de la
CNIL (cnil.fr/plaintes).

Un effacement garde, le temps qu'ils comptent, les essais échoués et les blocages de cet utilisateur
Telegram (24 heures sans essai, puis la durée de conservation des essais) et les codes qu'il a demandés
par courriel dans la journée (nombre et compte, jamais le code ni l'adresse) : ils protègent les comptes
des familles contre qui voudrait deviner un mot de passe ou remplir leur boîte de codes, et un effacement
ne doit pas les remettre à zéro (mission d'intérêt public, article 17.3.b du RGPD). Le courriel en
attente d'envoi est effacé par l'utilisateur qui l'a fait envoyer, jamais par l'adresse du destinataire.

## Mesures de sécurité

- Hébergement : {where}.
- Secrets hachés avec Argon2id (argon2-cffi, au moins m = 19 Mio, t = 2, p = 1), jamais écrits en clair dans
  la base, les journaux ou la conversation ; les messages qui en contiennent sont effacés de la conversation.
- Essais limités par compte et par utilisateur Telegram, avec blocage croissant.
- Journal de sécurité (audit) de chaque action sur un compte, sans secret.
- Effacement des données au terme de leur durée ; les données supprimées sont écrasées dans le fichier
  (SQLite secure_delete).
- Accès du personnel limité aux personnes désignées (STAFF_USER_IDS, groupe du personnel).
""" + (f"- Courriel : par le serveur {smtp_host}, copie des demandes à la seule boîte du collège.\n" if smtp_host
       else "- Courriel : désactivé, les demandes restent dans Telegram.\n")


def erasure_lines(telegram_user_id: int, removed: dict[str, int], tickets: list[int], unlinked: list[int],
                  audit_lines: int, lock_kept: bool, copies_left: int) -> list[str]:
    """`entbot privacy erase`: what was erased for this Telegram user, and what was kept."""
    lines = [f"Données de l'utilisateur Telegram {telegram_user_id} effacées :"]
    lines += [f"  {table:<22} {count} ligne(s) supprimée(s)" for table, count in removed.items() if count]
    if tickets:
        lines.append(f"  demandes n°{', n°'.join(str(t) for t in tickets)} : contenu remplacé par « {ERASED_CONTENT} », closes")
    if unlinked:
        lines.append(f"  {len(unlinked)} compte(s) ENT détaché(s) de ce compte Telegram (l'activation reste)")
    lines.append(f"Conservé : {audit_lines} ligne(s) du journal de sécurité, sans le numéro Telegram"
                 + ("; les essais échoués qui comptent encore (24 heures) et un blocage en cours" if lock_kept
                    else "") + ".")
    if copies_left:
        lines.append(f"{copies_left} copie(s) dans le groupe du personnel à supprimer à la main "
                     "(entbot privacy purge les liste).")
    return lines
# -- argparse's own words, in French for `entbot --help` and its errors --------------------------------

ARGPARSE = {
    "usage: ": "utilisation : ",
    "positional arguments": "arguments",
    "options": "options",
    "show this help message and exit": "afficher cette aide et quitter",
    "%(prog)s: error: %(message)s\n": "%(prog)s : erreur : %(message)s\n",
    "the following arguments are required: %s": "arguments obligatoires manquants : %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "choix invalide : %(value)r (au choix : %(choices)s)",
    "unrecognized arguments: %s": "arguments non reconnus : %s",
    "expected one argument": "une valeur est attendue",
    "expected at most one argument": "une valeur au plus est attendue",
    "expected at least one argument": "au moins une valeur est attendue",
    "ambiguous option: %(option)s could match %(matches)s": "option ambiguë : %(option)s peut être %(matches)s",
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s : %(message)s",
    "invalid %(type)s value: %(value)r": "valeur %(type)s invalide : %(value)r",
    "not allowed with argument %s": "incompatible avec l'argument %s",
    "one of the arguments %s is required": "un des arguments %s est obligatoire",
    "ignored explicit argument %r": "argument explicite ignoré : %r",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "commande inconnue %(parser_name)r (au choix : %(choices)s)",
    "expected %s argument": "%s valeur attendue",
    "expected %s arguments": "%s valeurs attendues",
}
# -- the ENT's directory: what the bot refuses to touch, and what it says when it cannot finish ----------

RESET_NOT_FAMILY = ("Le compte <code>{identifier}</code> n'est pas celui d'une famille (c'est un compte du personnel "
                    "dans l'annuaire de l'ENT) : je ne le réinitialise pas et n'y touche pas. Son mot de passe relève "
                    "de l'administrateur de l'ENT.")
ACCOUNT_RESET_BY_ENT = ("Ce compte a été remis à zéro dans l'ENT depuis son activation : l'ancien mot de passe "
                        "provisoire ne sert plus. Le collège doit vous transmettre un <b>nouveau</b> mot de passe "
                        "provisoire ; écrivez-lui avec le bouton ci-dessous.")
ACTIVATION_NOT_FINISHED = ("😕 L'annuaire de l'ENT n'a pas accepté l'activation pour l'instant : rien n'a été changé. "
                           "Retapez votre mot de passe dans un moment pour réessayer, ou écrivez au collège avec "
                           "le bouton ci-dessous.")
