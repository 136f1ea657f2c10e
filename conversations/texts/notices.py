"""What a family reads about the school's notices (subscribing, stopping); the notices themselves are the staff's."""

from __future__ import annotations

from datetime import time
from html import escape

import i18n
from i18n import N_, Catalog

CATALOG = Catalog("notices")
_ = CATALOG.gettext

# -- announcements: parents ------------------------------------------------------------------------

__all__ = [  # functions, translated when called; the upper-case texts are read through the package in the family's language
    "menu_subscribe_to",
    "menu_unsubscribe_from",
    "subscribed",
    "subscribed_to",
    "unsubscribed_from",
]

# TRANSLATORS: button
MENU_SUBSCRIBE = N_("📣 Recevoir les annonces du collège")
# TRANSLATORS: button
MENU_UNSUBSCRIBE = N_("🔕 Ne plus recevoir les annonces")


def subscribed(quiet: tuple[time, time] | None) -> str:
    """The confirmation, with the quiet hours the school set (QUIET_HOURS), or none when it set none."""
    parts = [_("✅ C'est noté : les annonces du collège (le « canal annonces » de l'ENT) arriveront ici.")]
    if quiet:
        parts.append(_("Jamais entre {start} et {end}.").format(start=_hour(quiet[0]), end=_hour(quiet[1])))
    # TRANSLATORS: « Ne plus recevoir les annonces » is the label of MENU_UNSUBSCRIBE: quote your translation
    # of it
    parts.append(_("Pour arrêter : /start puis « Ne plus recevoir les annonces »."))
    return " ".join(parts)


def _hour(moment: time) -> str:
    """20 h, 7 h 30 as French people write times; each language its own way."""
    if moment.minute:
        # TRANSLATORS: a time of day, 24-hour clock (French: 7 h 30)
        return _("{hour} h {minute}").format(hour=moment.hour, minute=f"{moment.minute:02d}")
    # TRANSLATORS: a time of day on the hour, 24-hour clock (French: 20 h)
    return _("{hour} h").format(hour=moment.hour)


UNSUBSCRIBED = N_("🔕 Vous ne recevrez plus les annonces ici. Vous pouvez vous réabonner quand vous voulez depuis le "
                  "menu (/start).")

# With several schools: one button per school, and a family not yet known picks its school in a list.


def menu_subscribe_to(school: str) -> str:
    # TRANSLATORS: button
    return _("📣 Recevoir les annonces : {school}").format(school=school)


def menu_unsubscribe_from(school: str) -> str:
    # TRANSLATORS: button
    return _("🔕 Ne plus recevoir : {school}").format(school=school)


# TRANSLATORS: button
MENU_SUBSCRIBE_OTHER = N_("📣 Recevoir les annonces d'un autre établissement")
SUBSCRIBE_PICK = N_("📣 De quel établissement voulez-vous recevoir les annonces ? Choisissez-le dans la liste (par "
                    "ordre alphabétique). Vous pourrez en ajouter un autre ensuite depuis le menu (/start).")
# TRANSLATORS: button
SCHOOLS_NEXT = N_("Suivants ▶")
# TRANSLATORS: button
SCHOOLS_BEFORE = N_("◀ Précédents")


def subscribed_to(schools: list[tuple[str, tuple[time, time] | None]]) -> str:
    """The confirmation with several schools: each school named, with its own quiet hours."""
    lines = [f"• {_apart(escape(name))}" + (" " + _("(jamais entre {start} et {end})").format(
        start=_hour(quiet[0]), end=_hour(quiet[1])) if quiet else "") for name, quiet in schools]
    head = _("✅ C'est noté : les annonces de ces établissements arriveront ici.")
    # TRANSLATORS: « Ne plus recevoir » starts the label « Ne plus recevoir : <school> » in the menu: quote your
    # translation of it
    stop = _("Pour arrêter : /start puis « Ne plus recevoir ».")
    return head + "\n" + "\n".join(lines) + "\n\n" + stop


def _apart(name: str) -> str:
    """A school's name set apart in a right-to-left line, so that a French name keeps its own order."""
    return f"{i18n.FSI}{name}{i18n.PDI}" if i18n.current() in i18n.RIGHT_TO_LEFT else name


def unsubscribed_from(school: str) -> str:
    return _("🔕 Vous ne recevrez plus ici les annonces de {school}. Vous pouvez vous réabonner quand vous voulez "
             "depuis le menu (/start).").format(school=escape(school))
