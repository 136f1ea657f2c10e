"""What the bot says about a letter's QR code: to the family, and to staff for /lettre."""

from __future__ import annotations

from html import escape

from conversations.texts.staff import SECRET_LIFETIME_MINUTES, STATE_LABELS
from i18n import N_, Catalog

CATALOG = Catalog("letters")
_ = CATALOG.gettext

# -- letters with a QR code (what the bot says about them) ------------------------------------------

__all__ = [  # staff's (/lettre), in French, and functions; LETTER_INVALID is the family's, read in its language
    "LETTER_BUTTON",
    "LETTER_CANCELLED",
    "LETTER_FILE_NAME",
    "confirm_letter",
    "letter_caption",
    "letter_done",
    "letter_refused_active",
    "letter_welcome",
]



# What the bot says when a letter's link is opened.
def letter_welcome(name: str) -> str:
    return _("👋 Bonjour ! Voici la lettre du collège pour le compte de <b>{name}</b> : l'identifiant et le mot de "
             "passe provisoire sont déjà vérifiés, il reste quelques étapes.").format(name=escape(name))


LETTER_INVALID = N_("Cette lettre n'est plus valable (déjà utilisée, remplacée ou trop ancienne) : activez votre "
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
