"""What a family reads about the school's notices (subscribing, stopping)."""

from __future__ import annotations

from datetime import time
from html import escape

# -- announcements: parents ------------------------------------------------------------------------

__all__ = [  # what the package exports as it is (not translated)
    "MENU_SUBSCRIBE",
    "MENU_SUBSCRIBE_OTHER",
    "MENU_UNSUBSCRIBE",
    "SCHOOLS_BEFORE",
    "SCHOOLS_NEXT",
    "SUBSCRIBE_PICK",
    "UNSUBSCRIBED",
    "menu_subscribe_to",
    "menu_unsubscribe_from",
    "subscribed",
    "subscribed_to",
    "unsubscribed_from",
]

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


