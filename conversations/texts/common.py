"""Texts every flow shares (the 16 secret questions, errors, limits), and how moments are shown."""

from __future__ import annotations

from datetime import datetime
from html import escape

import i18n
from conversations.when import PARIS as PARIS  # the school's time, re-exported for the texts' users
from i18n import N_, Catalog

CATALOG = Catalog("common")
_ = CATALOG.gettext

__all__ = [  # what the package exports as it is: functions (they translate inside), moments, and staff's texts
    "BUSY_GROUP",
    "PARIS",
    "QUESTION_COUNT",
    "SHEET",
    "SHORT",
    "WHEN",
    "commands",
    "moment",
    "paris",
    "question",
    "question_button",
    "question_shown",
]

# Times are shown to families and staff in the school's time.
SHORT = "%d/%m %H:%M"  # a moment in a list or a card
WHEN = "%d/%m/%Y à %H:%M"  # a moment in a sentence
SHEET = "%d/%m/%Y %H:%M"  # a moment in a spreadsheet cell


def paris(moment: datetime | str, fmt: str = SHORT) -> str:
    """A stored moment (UTC, as a datetime or its ISO text) in Paris time."""
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return value.astimezone(PARIS).strftime(fmt)


def moment(value: datetime | str) -> str:
    """A moment in a family's sentence, in Paris time and in its language (WHEN is the staff's French)."""
    # TRANSLATORS: a date (dd/mm/yyyy) and an hour (hh:mm) in a sentence
    return _("{date} à {hour}").format(date=paris(value, "%d/%m/%Y"), hour=paris(value, "%H:%M"))


# -- the 16 secret questions of the school's guide, verbatim -----------------------------------

# Stored in French, as the ENT stores them; a family reads its translation with the French beside it.
_QUESTIONS: tuple[str, ...] = (
    # TRANSLATORS: button (and the question shown above the answer, the French under it)
    N_("Quel était votre surnom d'enfance ?"),
    # TRANSLATORS: button (and the question shown above the answer, the French under it)
    N_("Quel était le nom de votre première peluche ?"),
    # TRANSLATORS: button (and the question shown above the answer, the French under it)
    N_("Dans quelle rue avez-vous vécu en primaire ?"),
    # TRANSLATORS: button (and the question shown above the answer, the French under it)
    N_("Quel est le prénom de votre ami d'enfance préféré ?"),
    # TRANSLATORS: button (and the question shown above the answer, the French under it)
    N_("Quel est le deuxième prénom de votre frère ou soeur ?"),
    # TRANSLATORS: button (and the question shown above the answer, the French under it)
    N_("Quel est le prénom de votre enfant le plus âgé ?"),
    # TRANSLATORS: button (and the question shown above the answer, the French under it)
    N_("Quel était votre premier numéro de téléphone ?"),
    # TRANSLATORS: button (and the question shown above the answer, the French under it)
    N_("Quel est le nom et le prénom de votre cousin le plus âgé ?"),
    # TRANSLATORS: button (and the question shown above the answer, the French under it)
    N_("Dans quelle ville votre mère et père se sont rencontrés ?"),
    # TRANSLATORS: button (and the question shown above the answer, the French under it)
    N_("Quel était le nom de famille de votre maître de CM2 ?"),
    # TRANSLATORS: button (and the question shown above the answer, the French under it)
    N_("Dans quelle ville vit votre frère ou soeur le plus proche ?"),
    # TRANSLATORS: button (and the question shown above the answer, the French under it)
    N_("Quel est le mois et l'année de l'anniversaire de votre frère ou soeur aîné ? (ex Janvier 1900)"),
    # TRANSLATORS: button (and the question shown above the answer, the French under it)
    N_("Quel est le nom de jeune fille de votre grand-mère maternelle ?"),
    # TRANSLATORS: button (and the question shown above the answer, the French under it)
    N_("Quel est votre film préféré ?"),
    # TRANSLATORS: button (and the question shown above the answer, the French under it)
    N_("Quel est le nom de votre animal préféré ?"),
    # TRANSLATORS: button (and the question shown above the answer, the French under it)
    N_("Quel est le nom de jeune fille de votre grand-mère paternelle ?"),
)
QUESTION_COUNT = len(_QUESTIONS)


def question(number: int) -> str:
    """Question `number` (1 to 16) in French, as the ENT stores it: what the bot writes, whatever the language."""
    return _QUESTIONS[number - 1]


def question_button(number: int) -> str:
    """Question `number` as a button's label, in the family's language."""
    return _(_QUESTIONS[number - 1])


def question_shown(number: int) -> str:
    """Question `number` as a family reads it (HTML, bold): in its language, with the French the ENT will show
    under it (in an isolate for a right-to-left language); French alone for a French family."""
    french = _QUESTIONS[number - 1]
    language = i18n.current()
    if language == i18n.SOURCE:
        return f"<b>{escape(french)}</b>"
    quoted = f"{i18n.FSI}{escape(french)}{i18n.PDI}" if language in i18n.RIGHT_TO_LEFT else escape(french)
    return f"<b>{escape(_(french))}</b>\n<i>« {quoted} »</i>"


# -- common ----------------------------------------------------------------------------------

# TRANSLATORS: button
BACK = N_("↩ Retour")
STALE_BUTTON = N_("Ce bouton n'est plus valable. Utilisez les boutons du dernier message.")
SECRET_LIKE_COMMAND = N_("🔒 Ce message commence par « / » : Telegram le prend pour une commande. Je l'ai effacé "
                         "sans le lire, au cas où il contiendrait un secret.\nTapez votre réponse sans « / » au début.")
NOT_UNDERSTOOD = N_("Je n'ai pas compris. Tapez /start pour voir le menu, ou /aide pour de l'aide.")
# Telegram's command menu, one description per command (set per language by the bot at start).
_COMMANDS = {"start": N_("Menu principal"), "aide": N_("Aide et contact du collège"),
             "annuler": N_("Mettre en pause ce que je fais")}


def commands() -> dict[str, str]:
    """The families' commands and their descriptions in the current language (`i18n.using` for another)."""
    return {name: _(description) for name, description in _COMMANDS.items()}


TOO_LONG = N_("Ce message est trop long ({length} caractères, {limit} au plus). Réessayez plus court.")
ONLY_SPACES = N_("Je n'ai reçu que des espaces. Réessayez.")
NOT_AN_IDENTIFIER = N_("🔒 Ce message ne peut pas être un identifiant : je l'ai effacé sans le garder.\n\n"
                       "Un identifiant est <b>un seul mot</b>, sans espace, de {limit} caractères au plus : "
                       "des lettres, des chiffres, parfois un point ou un tiret (par exemple "
                       "<code>jean.dupont12</code>).\n"
                       "Tapez seulement l'identifiant : le mot de passe vient ensuite, dans un message à part.")
IDENTIFIER_LOOKS_LIKE_A_PASSWORD = N_(
    "🔒 Ce mot ressemble à un <b>mot de passe</b> plutôt qu'à un identifiant : je l'ai effacé sans le garder ni le "
    "transmettre.\n\nTapez d'abord l'<b>identifiant</b> (par exemple <code>jean.dupont12</code>) ; les majuscules n'y "
    "comptent pas, vous pouvez le taper en minuscules. Le mot de passe vient ensuite, dans un message à part.")
ERROR = N_("Désolé, un problème technique m'a empêché de répondre. Réessayez dans un instant ; "
           "ce que vous aviez déjà validé est conservé.")
# Too many families typing secrets at once (the Argon2 queue is full): nothing of this message was saved.
BUSY = N_("⏳ Beaucoup de familles utilisent l'assistant en ce moment et je n'ai pas pu traiter votre message : "
          "je l'ai effacé par précaution et rien n'a été enregistré. Votre progression est conservée : "
          "renvoyez-le dans une minute.")
# The same in a staff group: staff read French.
BUSY_GROUP = ("⏳ Le bot est très sollicité en ce moment : ce message n'a pas été traité et rien n'a été transmis "
              "à la famille. Renvoyez-le dans une minute.")
# The ENT's directory cannot be reached: nothing was changed, the parent sends the same answer later.
DIRECTORY_DOWN = N_("⏳ Le service est momentanément indisponible, votre progression est conservée. Réessayez dans "
                    "quelques minutes en renvoyant votre dernière réponse : vous reprendrez à la même étape.")
