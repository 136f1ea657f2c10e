"""What a family reads in the main menu, /aide, the services and how to log in."""

from __future__ import annotations

from html import escape

# -- main menu -------------------------------------------------------------------------------


__all__ = [  # what the package exports as it is (not translated)
    "EDUCONNECT",
    "MENU_ACTIVATE",
    "MENU_FORGOT",
    "MENU_LOGIN",
    "MENU_RESET",
    "MENU_RESTART",
    "MENU_SERVICES",
    "MENU_TEST",
    "OPEN_ENT",
    "contact_text",
    "help_text",
    "login_text",
    "menu_resume",
    "school_contacts",
    "service_link",
    "services_text",
    "welcome",
]

def welcome(school: str | None, first_name: str) -> str:
    """`school`: the family's school, or None when the deployment serves several and the family is not yet known."""
    whose = f"du <b>{escape(school)}</b>" if school else "des collèges de <b>Touraine e-school</b>"
    return (f"Bonjour {escape(first_name)} 👋\n\nJe suis l'assistant ENT {whose}. "
            "Je vous guide pas à pas pour activer votre compte sur l'ENT Touraine e-school "
            "(l'espace numérique du collège : notes, cahier de textes, messages).\n\n"
            "Que souhaitez-vous faire ?")


MENU_ACTIVATE = "🔑 Activer mon compte"
MENU_RESTART = "🔄 Recommencer l'activation"
MENU_RESET = "♻️ Mon compte a été réinitialisé"
MENU_FORGOT = "🔓 Mot de passe oublié"
MENU_TEST = "🔎 Tester ma connexion"
MENU_SERVICES = "🧭 Découvrir les services de l'ENT"
MENU_LOGIN = "🔐 Comment me connecter"


def menu_resume(step_number: int) -> str:
    return f"▶️ Reprendre à l'étape {step_number}/6"


def school_contacts(schools: list[tuple[str, str]]) -> str | None:
    """The address(es) a family writes to: its school's; each with its name when it has two; None when the
    deployment serves several schools and the family is not yet known (« Écrire au collège » finds the school)."""
    if len(schools) == 1:
        return schools[0][1]
    return " ou ".join(f"{address} ({name})" for name, address in schools) or None


def help_text(contact: str | None, where: str | None) -> str:
    head = f"<b>Aide</b>\n\nVous êtes {where}.\n\n" if where else "<b>Aide</b>\n\n"
    return (head + "• /start : le menu principal\n• /annuler : mettre en pause (vos étapes validées sont gardées)\n"
            "• /aide : ce message\n\n"
            "En cas de difficulté pour accéder à l'ENT, touchez « Écrire au collège » : le secrétariat vous "
            "répondra ici." + (f" Ou écrivez à {escape(contact)}" if contact else ""))


def contact_text(contact: str | None) -> str:
    by_mail = (", ou par courriel à l'adresse ci-dessous, en indiquant votre nom, celui de votre enfant et sa classe :"
               f"\n\n{escape(contact)}" if contact else ", en indiquant votre nom, celui de votre enfant et sa classe.")
    return ("<b>Contacter le collège</b>\n\nEn cas de difficulté pour accéder à l'ENT, écrivez au collège ici, "
            f"dans Telegram (touchez « Écrire au collège »){by_mail}\n\n"
            "N'envoyez jamais votre mot de passe, ni au collège ni à personne.")


def services_text(services: list[tuple[str, str]]) -> str:
    """Step 9 of the guide: the services as the school lists them (name, one line); links are buttons."""
    lines = []
    for name, line in services:
        lines.append(f"• <b>{escape(name)}</b>" + (f" : {escape(line)}" if line else ""))
    return "<b>Les services de l'ENT</b> (étape 9 du guide)\n\n" + "\n".join(lines)


OPEN_ENT = "🌐 Ouvrir l'ENT"


def service_link(name: str) -> str:
    return f"🔗 {name}"


EDUCONNECT = ("Vous avez un compte <b>ÉduConnect</b> (le compte national des parents) ? Sur la page de connexion "
              "de l'ENT, choisissez « Élève ou parent » puis « ÉduConnect », et connectez-vous avec ce compte : "
              "il n'a pas besoin d'être activé ici.")


def login_text(ent_url: str) -> str:
    return ("<b>Se connecter à l'ENT</b> (étape 8 du guide)\n\n"
            f"1. Ouvrez {escape(ent_url)} et touchez « Se connecter ».\n"
            "2. Choisissez « Élève ou parent ».\n"
            "3. Tapez votre identifiant et le mot de passe que <b>vous</b> avez choisi, puis « CONNEXION ».\n\n"
            "Pas sûr de votre mot de passe ? Touchez « Tester ma connexion ». Oublié ? Touchez "
            "« Mot de passe oublié » : vos deux questions secrètes permettent d'en choisir un nouveau.\n\n"
            + EDUCONNECT)


