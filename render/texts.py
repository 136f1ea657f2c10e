"""The words of what render/ draws: the letter's pages (French, then the family's) and the staff's chart (French)."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

from i18n import N_, SOURCE, Catalog, current

CATALOG = Catalog("document")
_ = CATALOG.gettext


def tr(message: str) -> str:
    """One of this module's N_-marked constants, in the language at hand (French outside any)."""
    return _(message)


# The staff's chart stays French: not in the catalog.

CHART_TITLE = "Assistant ENT — {school} — {when}"
CHART_STEPS = "Où en sont les familles (activations en cours)"
CHART_DAILY = "Comptes activés par jour ({days} derniers jours)"
CHART_TICKETS = "Demandes ouvertes"
CHART_TICKETS_DETAIL = "dont {taken} prises en charge\n{new} en attente"
CHART_ACTIVE = "Comptes activés : {active} sur {imported}"

# The steps as the chart names them, short enough for its axis.
CHART_STEP_NAMES = {1: "profil", 2: "identifiant", 3: "règles d'usage", 4: "adresse", 5: "questions secrètes",
                    6: "mot de passe"}


def chart_step(number: int) -> str:
    return f"{number}. {CHART_STEP_NAMES[number]}"


# The letter: plain text (no HTML), for a parent who has never used Telegram. Its first page is French (drawn
# outside any language, or in French); a bilingual letter's second page draws the same texts inside
# `i18n.using(language)`, so each is read with `_()` at drawing time, never at import.
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")


def long_date(day: date) -> str:
    """The date as a parent of that language writes it (Babel's long form; French as the letters always had it)."""
    language = current()
    if language == SOURCE:
        return f"{day.day} {MONTHS[day.month - 1]} {day.year}"
    return format_date(day, format="long", locale=language)


LETTER_TITLE = N_("Activer votre compte ENT")
LETTER_INTRO = N_("L'ENT est l'espace numérique du collège : notes, devoirs, messages, actualités. Votre compte "
                  "est prêt ; il reste à l'activer. Le plus simple : avec votre téléphone, en quelques minutes.")
LETTER_STEP_TELEGRAM = N_("Installez l'application gratuite Telegram sur votre téléphone (Play Store ou App Store), "
                          "ou ouvrez-la si vous l'avez déjà.")
# The French page: the code is printed beside the steps.
LETTER_STEP_SCAN = N_("Ouvrez l'appareil photo du téléphone et visez le code ci-contre, puis touchez le lien qui "
                      "apparaît (ou tapez le lien imprimé sous le code).")
# The translated page: the code is printed once, on the French page.
LETTER_STEP_SCAN_FRENCH_PAGE = N_("Ouvrez l'appareil photo du téléphone et visez le code imprimé sur la page en "
                                  "français de cette lettre, puis touchez le lien qui apparaît (ou tapez le lien "
                                  "imprimé sous le code).")
LETTER_STEP_START = N_("Telegram ouvre l'Assistant ENT du collège : touchez « Démarrer », puis suivez ses messages.")
LETTER_STEP_START_LANGUAGE = N_("Telegram ouvre l'Assistant ENT du collège : touchez « Démarrer », puis suivez ses "
                                "messages. S'ils sont en français, envoyez /langue pour choisir votre langue.")
LETTER_NO_PHONE_TITLE = N_("Sans téléphone ? Avec un ordinateur :")
LETTER_IDENTIFIER = N_("Identifiant :")
LETTER_PROVISIONAL = N_("Mot de passe provisoire :")
# The translated page: the identifier and the provisional password are printed once, on the French page, after
# these two French labels (quoted so that the parent finds them there).
# TRANSLATORS: in Arabic, each quoted French label, guillemets and colon included, is set between U+2068 and U+2069
# (first strong isolate … pop directional isolate) so that it keeps its left-to-right order on the page.
LETTER_CREDENTIALS_FRENCH_PAGE = N_("Votre identifiant et votre mot de passe provisoire sont imprimés sur la page en "
                                    "français de cette lettre, après « Identifiant : » et « Mot de passe "
                                    "provisoire : ».")
LETTER_CASE = N_("Respectez les majuscules et les minuscules. Ces caractères sont imprimés pour ne pas confondre "
                 "0 (zéro) et O (lettre), ni 1 (un), l (L minuscule) et I (i majuscule).")
LETTER_WARNING = N_("Ce code et ce lien valent cette lettre : les donner à quelqu'un, c'est lui donner votre compte. "
                    "Ne les envoyez à personne, gardez cette feuille pour vous.")
# On the French page, in the family's language, above the title: where to find its translation.
LETTER_OVERLEAF = N_("La traduction de cette lettre est au dos de la feuille (page suivante).")
# At the top of the translated page.
LETTER_TRANSLATION = N_("Traduction de la lettre du collège. Le code à scanner, l'identifiant et le mot de passe "
                        "provisoire sont imprimés une seule fois, sur la page en français.")


def letter_steps(code_beside: bool) -> tuple[str, str, str]:
    """The three steps; `code_beside`: the French page, its code beside them (else the code is on the French page)."""
    if code_beside:
        return _(LETTER_STEP_TELEGRAM), _(LETTER_STEP_SCAN), _(LETTER_STEP_START)
    return _(LETTER_STEP_TELEGRAM), _(LETTER_STEP_SCAN_FRENCH_PAGE), _(LETTER_STEP_START_LANGUAGE)


def letter_for(name: str | None, class_name: str | None) -> str | None:
    if name and class_name:
        return _("Pour : {name} — classe {class_name}").format(name=name, class_name=class_name)
    if name:
        return _("Pour : {name}").format(name=name)
    if class_name:
        return _("Pour : classe {class_name}").format(class_name=class_name)
    return None


def letter_web(ent_url: str) -> str:
    return _("Allez sur {ent_url}, cliquez sur « Se connecter », choisissez « Élève ou parent », tapez "
             "l'identifiant et le mot de passe provisoire ci-dessous, puis suivez les étapes (règles d'usage, "
             "adresse électronique facultative, deux questions secrètes, votre nouveau mot de passe).").format(
        ent_url=ent_url)


def letter_web_french_page(ent_url: str) -> str:
    """The translated page's web path: the pair is on the French page, not below."""
    return _("Allez sur {ent_url}, cliquez sur « Se connecter », choisissez « Élève ou parent », tapez "
             "l'identifiant et le mot de passe provisoire de la page en français, puis suivez les étapes (règles "
             "d'usage, adresse électronique facultative, deux questions secrètes, votre nouveau mot de passe).").format(
        ent_url=ent_url)


def letter_validity(until: date) -> str:
    return _("Le code ne sert qu'une fois et jusqu'au {date} ; ensuite, utilisez l'identifiant et le mot de passe "
             "provisoire.").format(date=long_date(until))


def letter_contact(email: str) -> str:
    return _("Une question ? Écrivez au collège : {email}, ou touchez « Écrire au collège » dans l'Assistant "
             "ENT.").format(email=email)


def letter_header_date(day: date) -> str:
    return _("Le {date}").format(date=long_date(day))
