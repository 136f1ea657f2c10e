"""What a family reads when it forgot its password or tests its login."""

from __future__ import annotations

from html import escape

from conversations.texts.activation import password_rule
from conversations.texts.common import question_shown
from i18n import N_, Catalog

CATALOG = Catalog("recovery")
_ = CATALOG.gettext
ngettext = CATALOG.ngettext

__all__ = [  # functions (they translate inside); the family's constants are read through the package, translated
    "expects_recovery",
    "forgot_answer",
    "forgot_code",
    "forgot_code_mail",
    "forgot_password",
    "login_password",
]

# -- forgotten password (the "Mot de passe oublié ?" link of step 8) --------------------------------

FORGOT_IDENTIFIER = N_("🔓 <b>Mot de passe oublié</b>\n\nVos deux questions secrètes, ou un code envoyé à votre "
                       "adresse confirmée, vont vous permettre de choisir un nouveau mot de passe.\n\n"
                       "Tapez d'abord votre <b>identifiant</b> ENT (par exemple "
                       "<code>jean.dupont12</code>).")
NOT_ACTIVE_OR_UNKNOWN = N_("Je ne trouve pas de compte <b>activé</b> avec cet identifiant.\n\n"
                           "• Vérifiez son orthographe et tapez-le à nouveau ;\n"
                           "• ou, si votre compte n'a jamais été activé, ou si le collège l'a réinitialisé, "
                           "activez-le avec le mot de passe provisoire du collège.")

TOO_MANY_IDENTIFIERS = N_("Vous avez déjà cherché plusieurs comptes différents aujourd'hui : par sécurité, je ne "
                          "peux pas en chercher d'autres.\n\nSi vous avez besoin d'aide pour ce compte, écrivez au "
                          "collège.")


def forgot_answer(number: int, question: int, identifier: str) -> str:
    """Secret question `number` of 2 (the account's question `question`), translated with the French beside it."""
    return _("🔓 <b>Mot de passe oublié</b> — question secrète {number}/2\n\nIdentifiant : <code>{identifier}</code>"
             "\n\n{question}\n\nTapez votre réponse, comme lors de l'activation. "
             "Majuscules, accents et espaces ne comptent pas.\n🔒 J'efface votre message dès que je l'ai lu.").format(
        number=number, identifier=escape(identifier), question=question_shown(question))


def forgot_code(identifier: str, address: str) -> str:
    return _("🔓 <b>Mot de passe oublié</b>\n\nIdentifiant : <code>{identifier}</code>\n\n"
             "Je viens d'envoyer un <b>code à 6 chiffres</b> à l'adresse confirmée de ce compte ({address}). "
             "Tapez-le ici. Il est valable 15 minutes ; pensez à regarder dans les courriers indésirables.\n"
             "🔒 J'efface votre message dès que je l'ai lu.").format(identifier=escape(identifier),
                                                                    address=escape(address))


# The French subject is also in migration 0013, for mail queued before it; a family's mail is in its language.
FORGOT_CODE_SUBJECT = N_("Votre code pour changer de mot de passe ENT")


def forgot_code_mail(school: str, code: str, minutes: int) -> tuple[str, str]:
    """The code's mail (subject, plain-text body), in the language of the family that asked for it."""
    # The code never in the subject: subjects are kept (outbox, mail servers' logs) where bodies are not.
    body = (_("Bonjour,\n\nVoici votre code pour choisir un nouveau mot de passe ENT avec l'Assistant ENT du "
              "{school} : {code}").format(school=school, code=code) + "\n\n"
            + ngettext("Tapez-le dans la conversation Telegram avec l'assistant. Il est valable {minutes} minute.",
                       "Tapez-le dans la conversation Telegram avec l'assistant. Il est valable {minutes} minutes.",
                       minutes).format(minutes=minutes) + "\n\n"
            + _("Si vous n'avez rien demandé, ignorez ce message : votre mot de passe n'a pas changé.") + "\n")
    return _(FORGOT_CODE_SUBJECT), body


FORGOT_CODE_SPENT = N_("Ce code n'est plus valable (trop d'essais, ou plus de 15 minutes). Recommencez en touchant "
                       "« Mot de passe oublié » dans le menu (/start).")
ANSWERS_WRONG = N_("❌ Les réponses ne correspondent pas à celles enregistrées pour ce compte. "
                   "Réessayez en commençant par la première question :")


def forgot_password(min_length: int, min_kinds: int, after_code: bool = False) -> str:
    """The new password's rule: the activation's, different from the old one rather than from a provisional one."""
    rule = password_rule(min_length, min_kinds, new=True)
    return ((_("✅ Code correct.") if after_code else _("✅ Réponses correctes.")) + "\n\n"
            + _("🔓 <b>Nouveau mot de passe</b>\n\nChoisissez un mot de passe compliqué. {rule}\n\n"
                "Tapez-le. 🔒 J'efface votre message dès que je l'ai lu.").format(rule=rule))


FORGOT_CONFIRM = N_("🔓 <b>Nouveau mot de passe</b> — confirmation\n\nTapez votre nouveau mot de passe une seconde "
                    "fois.")
FORGOT_TOO_LATE = N_("Vous avez mis plus de 15 minutes à choisir votre nouveau mot de passe : par sécurité, "
                     "recommencez en touchant « Mot de passe oublié » dans le menu (/start).")
PASSWORD_CHANGED = N_("🎉 <b>Mot de passe changé !</b>\n\nConnectez-vous à l'ENT avec votre identifiant "
                      "<code>{identifier}</code> et votre nouveau mot de passe.")
ACCOUNT_CHANGED_MEANWHILE = N_("Ce compte vient d'être modifié (réinitialisé par le collège, ou mot de passe changé "
                               "depuis un autre téléphone) : je ne peux pas terminer. Tapez /start pour recommencer.")

# -- login test ("Tester ma connexion") ------------------------------------------------------------

LOGIN_IDENTIFIER = N_("🔎 <b>Tester ma connexion</b>\n\nJe vérifie votre identifiant et votre mot de passe, sans vous "
                      "connecter à l'ENT.\n\nTapez votre <b>identifiant</b> ENT.")


def login_password() -> str:
    return _("🔎 <b>Tester ma connexion</b>\n\nIdentifiant reçu.\n\n"
             "Tapez maintenant votre <b>mot de passe</b> (celui que vous avez choisi à l'activation).\n"
             "🔒 J'efface votre message dès que je l'ai lu.")


LOGIN_OK = N_("✅ <b>Identifiant et mot de passe corrects.</b>\n\nVous pouvez vous connecter à l'ENT : "
              "« Se connecter », « Élève ou parent », puis les mêmes identifiant et mot de passe.")
LOGIN_WRONG = N_("❌ Identifiant ou mot de passe incorrect. Vérifiez les majuscules et les minuscules.\n"
                 "Si votre compte n'est pas encore activé, activez-le d'abord ; si vous avez oublié votre mot de "
                 "passe, touchez « Mot de passe oublié ». Recommençons :")
FLOW_CANCELLED = N_("C'est abandonné, rien n'a été changé. Tapez /start pour voir le menu.")
NO_FLOW = N_("Cette démarche n'est plus en cours. Tapez /start pour voir le menu.")
# Each ends the sentence « Vous êtes … » of /aide.
WHERE_FORGOT = N_("dans la démarche « Mot de passe oublié »")
WHERE_LOGIN = N_("dans la démarche « Tester ma connexion »")

# (No upper-case str name here but the texts themselves: the package serves each as a text.)
_expects_identifier = N_("J'attends votre identifiant ENT, tapé au clavier (par exemple jean.dupont12).")
_expects_answer = N_("J'attends votre réponse à la question secrète, tapée au clavier.")
_EXPECTS = {
    "forgot_identifier": _expects_identifier,
    "forgot_answer1": _expects_answer,
    "forgot_answer2": _expects_answer,
    "forgot_code": N_("J'attends le code à 6 chiffres reçu par courriel, tapé au clavier."),
    "forgot_password": N_("J'attends le nouveau mot de passe que vous choisissez, tapé au clavier."),
    "forgot_confirm": N_("J'attends votre nouveau mot de passe, tapé une seconde fois au clavier."),
    "login_identifier": _expects_identifier,
    "login_password": N_("J'attends votre mot de passe, tapé au clavier."),
}


def expects_recovery(state: str) -> str:
    """What the bot waits for at a recovery step, when the parent sent something else (a sticker, a photo…)."""
    return _(_EXPECTS[state])
