"""What a family reads when it forgot its password or tests its login."""

from __future__ import annotations

from html import escape

from conversations.texts.activation import password_rule
from conversations.texts.common import QUESTIONS

# -- forgotten password (the "Mot de passe oublié ?" link of step 8) --------------------------------

__all__ = [  # what the package exports as it is (not translated)
    "ACCOUNT_CHANGED_MEANWHILE",
    "ANSWERS_WRONG",
    "EXPECTS_RECOVERY",
    "FLOW_CANCELLED",
    "FORGOT_CODE_SPENT",
    "FORGOT_CODE_SUBJECT",
    "FORGOT_CONFIRM",
    "FORGOT_IDENTIFIER",
    "FORGOT_TOO_LATE",
    "LOGIN_IDENTIFIER",
    "LOGIN_OK",
    "LOGIN_WRONG",
    "NOT_ACTIVE_OR_UNKNOWN",
    "NO_FLOW",
    "PASSWORD_CHANGED",
    "TOO_MANY_IDENTIFIERS",
    "WHERE_FORGOT",
    "WHERE_LOGIN",
    "forgot_answer",
    "forgot_code",
    "forgot_code_mail",
    "forgot_password",
    "login_password",
]

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

