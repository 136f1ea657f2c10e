"""The French words of what render/ draws: the letter's printed page and the staff's chart (plain text, no HTML)."""

from __future__ import annotations

from datetime import date

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


# The letter: plain text (no HTML), for a parent who has never used Telegram.
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")


def long_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


LETTER_TITLE = "Activer votre compte ENT"
LETTER_INTRO = ("L'ENT est l'espace numérique du collège : notes, devoirs, messages, actualités. Votre compte "
                "est prêt ; il reste à l'activer. Le plus simple : avec votre téléphone, en quelques minutes.")
LETTER_STEPS = (
    "Installez l'application gratuite Telegram sur votre téléphone (Play Store ou App Store), "
    "ou ouvrez-la si vous l'avez déjà.",
    "Ouvrez l'appareil photo du téléphone et visez le code ci-contre, puis touchez le lien qui apparaît "
    "(ou tapez le lien imprimé sous le code).",
    "Telegram ouvre l'Assistant ENT du collège : touchez « Démarrer », puis suivez ses messages.",
)
LETTER_NO_PHONE_TITLE = "Sans téléphone ? Avec un ordinateur :"
LETTER_IDENTIFIER = "Identifiant :"
LETTER_PROVISIONAL = "Mot de passe provisoire :"
LETTER_CASE = ("Respectez les majuscules et les minuscules. Ces caractères sont imprimés pour ne pas confondre "
               "0 (zéro) et O (lettre), ni 1 (un), l (L minuscule) et I (i majuscule).")
LETTER_WARNING = ("Ce code et ce lien valent cette lettre : les donner à quelqu'un, c'est lui donner votre compte. "
                  "Ne les envoyez à personne, gardez cette feuille pour vous.")


def letter_for(name: str | None, class_name: str | None) -> str | None:
    if not name and not class_name:
        return None
    return "Pour : " + " — ".join(p for p in (name, f"classe {class_name}" if class_name else None) if p)


def letter_web(ent_url: str) -> str:
    return (f"Allez sur {ent_url}, cliquez sur « Se connecter », choisissez « Élève ou parent », tapez "
            "l'identifiant et le mot de passe provisoire ci-dessous, puis suivez les étapes (règles d'usage, "
            "adresse électronique facultative, deux questions secrètes, votre nouveau mot de passe).")


def letter_validity(until: date) -> str:
    return (f"Le code ne sert qu'une fois et jusqu'au {long_date(until)} ; ensuite, utilisez l'identifiant et le "
            "mot de passe provisoire.")


def letter_contact(email: str) -> str:
    return f"Une question ? Écrivez au collège : {email}, ou touchez « Écrire au collège » dans l'Assistant ENT."


def letter_header_date(day: date) -> str:
    return f"Le {long_date(day)}"
