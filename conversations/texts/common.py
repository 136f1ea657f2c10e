"""Texts every flow shares (the 16 secret questions, errors, limits), and how moments are shown."""

from __future__ import annotations

from datetime import datetime

from conversations.when import PARIS as PARIS  # the school's time, re-exported for the texts' users

__all__ = [  # what the package exports as it is (not translated)
    "BACK",
    "BUSY",
    "BUSY_GROUP",
    "COMMANDS",
    "DIRECTORY_DOWN",
    "ERROR",
    "IDENTIFIER_LOOKS_LIKE_A_PASSWORD",
    "NOT_AN_IDENTIFIER",
    "NOT_UNDERSTOOD",
    "ONLY_SPACES",
    "PARIS",
    "QUESTIONS",
    "SECRET_LIKE_COMMAND",
    "SHEET",
    "SHORT",
    "STALE_BUTTON",
    "TOO_LONG",
    "WHEN",
    "paris",
]

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

