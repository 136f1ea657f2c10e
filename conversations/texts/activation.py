"""What a family reads in the six steps of the activation."""

from __future__ import annotations

import math
from html import escape

from conversations.texts.common import question_shown
from conversations.texts.menu import EDUCONNECT

# -- activation, step by step ----------------------------------------------------------------

__all__ = [  # what the package exports as it is (not translated)
    "ACCOUNT_BLOCKED",
    "ACCOUNT_RESET_MEANWHILE",
    "ACTIVATED",
    "ACTIVATION_RACE",
    "ALREADY_ACTIVE",
    "ANSWER_SAVED",
    "CGU_ACCEPT",
    "CGU_FULL_TEXT",
    "CGU_GUIDE_EXCERPT",
    "CGU_REFUSE",
    "CGU_REFUSED",
    "CHANGE_IDENTIFIER",
    "EMAIL",
    "EMAIL_CHECK_SPELLING",
    "EMAIL_CODE_CAPPED",
    "EMAIL_CODE_EXPIRED",
    "EMAIL_CODE_NO_MORE",
    "EMAIL_CODE_RESEND",
    "EMAIL_CODE_RESENT",
    "EMAIL_CODE_SPENT",
    "EMAIL_CODE_SUBJECT",
    "EMAIL_CONFIRMED_NO_QUESTIONS",
    "EMAIL_INVALID",
    "EMAIL_MISMATCH",
    "EMAIL_NO_AT",
    "EMAIL_SAVED",
    "EMAIL_SKIP",
    "EXPECTS",
    "FIRST_QUESTIONS",
    "FORGOT_CODE_CAPPED",
    "IDENTIFIER",
    "KEPT_MESSAGES",
    "KIND_NAMES",
    "MORE_QUESTIONS",
    "NOT_OUR_SCHOOL",
    "NO_ACTIVATION",
    "PASSWORD_CONFIRM",
    "PASSWORD_MISMATCH",
    "PASSWORD_PROBLEMS",
    "PAUSED",
    "PROFILE",
    "PROFILE_OTHER",
    "PROFILE_OTHER_ANSWER",
    "PROFILE_PARENT",
    "PROFILE_STAFF",
    "PROFILE_STAFF_ANSWER",
    "QUESTIONS_NO_EMAIL",
    "QUESTIONS_WITH_EMAIL",
    "REAUTH",
    "REAUTH_OK",
    "REAUTH_WRONG",
    "RESET_INTRO",
    "RESUMED",
    "STEP_NAME",
    "STEP_NUMBER",
    "STEP_PREFIX",
    "TOO_FAST",
    "WRONG_PAIR",
    "answer_prompt",
    "cgu_step",
    "email_code",
    "email_code_mail",
    "email_code_wrong",
    "email_confirm",
    "locked",
    "password_rejected",
    "password_rule",
    "password_step",
    "provisional",
    "question_prompt",
    "start_mid_flow",
    "step_label",
    "where",
]

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
    return (STEP_PREFIX.format(n=5) + f"{title}\n\n{question_shown(question)}\n\n"
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


