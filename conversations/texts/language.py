"""What a family reads when it picks the language the bot speaks to it (/langue)."""

from __future__ import annotations

from i18n import N_, NAMES, Catalog

CATALOG = Catalog("language")
_ = CATALOG.gettext

__all__ = [  # functions; the constants below are the family's, read through the package in its language
    "language_button",
]

# TRANSLATORS: button
MENU_LANGUAGE = N_("🌐 Langue · Language")
LANGUAGE_COMMAND = N_("Changer de langue · Language")
LANGUAGE_PROMPT = N_("🌐 <b>Dans quelle langue voulez-vous que je vous écrive ?</b>\n\n"
                     "Les pages de l'ENT restent en français : quand je vous dis quoi toucher sur l'ENT, je vous "
                     "donne aussi ses mots en français, entre « ».")
LANGUAGE_SET = N_("✅ Je vous écris maintenant en français. Ce que vous aviez déjà fait est gardé : continuez là où "
                  "vous en étiez, ou tapez /start pour le menu.")
LANGUAGE_NOT_OFFERED = N_("Cette langue n'est pas proposée par cet assistant. Choisissez-en une dans la liste.")


def language_button(code: str, current: bool) -> str:
    """A language in its own name and script, the one in use marked: a parent finds theirs without reading French."""
    return ("✅ " if current else "") + NAMES[code]
