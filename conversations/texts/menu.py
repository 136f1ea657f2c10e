"""What a family reads in the main menu, /aide, the services and how to log in."""

from __future__ import annotations

from html import escape

from i18n import N_, Catalog

CATALOG = Catalog("menu")
_ = CATALOG.gettext

__all__ = [  # functions (they translate inside); the family's constants are read through the package, translated
    "contact_text",
    "help_text",
    "login_text",
    "menu_resume",
    "school_contacts",
    "service_link",
    "services_text",
    "welcome",
]

# -- main menu -------------------------------------------------------------------------------


def welcome(school: str | None, first_name: str) -> str:
    """`school`: the family's school, or None when the deployment serves several and the family is not yet known."""
    if school:
        text = _("Bonjour {name} 👋\n\nJe suis l'assistant ENT du <b>{school}</b>. Je vous guide pas à pas pour activer "
                 "votre compte sur l'ENT Touraine e-school (l'espace numérique du collège : notes, cahier de textes, "
                 "messages).\n\nQue souhaitez-vous faire ?")
        return text.format(name=escape(first_name), school=escape(school))
    return _("Bonjour {name} 👋\n\nJe suis l'assistant ENT des collèges de <b>Touraine e-school</b>. Je vous guide pas "
             "à pas pour activer votre compte sur l'ENT Touraine e-school (l'espace numérique du collège : notes, "
             "cahier de textes, messages).\n\nQue souhaitez-vous faire ?").format(name=escape(first_name))


# TRANSLATORS: button
MENU_ACTIVATE = N_("🔑 Activer mon compte")
# TRANSLATORS: button
MENU_RESTART = N_("🔄 Recommencer l'activation")
# TRANSLATORS: button
MENU_RESET = N_("♻️ Mon compte a été réinitialisé")
# TRANSLATORS: button
MENU_FORGOT = N_("🔓 Mot de passe oublié")
# TRANSLATORS: button
MENU_TEST = N_("🔎 Tester ma connexion")
# TRANSLATORS: button
MENU_SERVICES = N_("🧭 Découvrir les services de l'ENT")
# TRANSLATORS: button
MENU_LOGIN = N_("🔐 Comment me connecter")


def menu_resume(step_number: int) -> str:
    # TRANSLATORS: button
    return _("▶️ Reprendre à l'étape {n}/6").format(n=step_number)


def school_contacts(schools: list[tuple[str, str]]) -> str | None:
    """The address(es) a family writes to: its school's; each with its name when it has two; None when the
    deployment serves several schools and the family is not yet known (« Écrire au collège » finds the school)."""
    if len(schools) == 1:
        return schools[0][1]
    each = [_("{address} ({school})").format(address=address, school=name) for name, address in schools]
    if not each:
        return None
    listed = each[0]
    for one in each[1:]:  # « a ou b ou c », the list growing one address at a time, in the language's own order
        listed = _("{addresses} ou {address}").format(addresses=listed, address=one)
    return listed


def help_text(contact: str | None, where: str | None) -> str:
    """/aide: `where` ends the sentence « Vous êtes … » (the dialogue the parent is in), `contact` the address."""
    head = _("<b>Aide</b>\n\nVous êtes {where}.").format(where=where) if where else _("<b>Aide</b>")
    body = _("• /start : le menu principal\n• /annuler : mettre en pause (vos étapes validées sont gardées)\n"
             "• /aide : ce message\n\n"
             "En cas de difficulté pour accéder à l'ENT, touchez « Écrire au collège » : le secrétariat vous "
             "répondra ici.")
    tail = " " + _("Ou écrivez à {contact}").format(contact=escape(contact)) if contact else ""
    return head + "\n\n" + body + tail


def contact_text(contact: str | None) -> str:
    if contact:
        text = _("<b>Contacter le collège</b>\n\nEn cas de difficulté pour accéder à l'ENT, écrivez au collège ici, "
                 "dans Telegram (touchez « Écrire au collège »), ou par courriel à l'adresse ci-dessous, en indiquant "
                 "votre nom, celui de votre enfant et sa classe :\n\n{contact}\n\n"
                 "N'envoyez jamais votre mot de passe, ni au collège ni à personne.")
        return text.format(contact=escape(contact))
    return _("<b>Contacter le collège</b>\n\nEn cas de difficulté pour accéder à l'ENT, écrivez au collège ici, "
             "dans Telegram (touchez « Écrire au collège »), en indiquant votre nom, celui de votre enfant et sa "
             "classe.\n\nN'envoyez jamais votre mot de passe, ni au collège ni à personne.")


def services_text(services: list[tuple[str, str]]) -> str:
    """Step 9 of the guide: the services as the school lists them (name, one line); links are buttons. The names
    and lines are the school's own words, shown as it wrote them."""
    lines = []
    for name, line in services:
        lines.append(_("• <b>{service}</b> : {line}").format(service=escape(name), line=escape(line)) if line
                     else _("• <b>{service}</b>").format(service=escape(name)))
    return _("<b>Les services de l'ENT</b> (étape 9 du guide)") + "\n\n" + "\n".join(lines)


# TRANSLATORS: button
OPEN_ENT = N_("🌐 Ouvrir l'ENT")


def service_link(name: str) -> str:
    return f"🔗 {name}"


EDUCONNECT = N_("Vous avez un compte <b>ÉduConnect</b> (le compte national des parents) ? Sur la page de connexion "
                "de l'ENT, choisissez « Élève ou parent » puis « ÉduConnect », et connectez-vous avec ce compte : "
                "il n'a pas besoin d'être activé ici.")


def login_text(ent_url: str) -> str:
    """Step 8 of the guide: the ENT's own words (« Se connecter », « Élève ou parent », « CONNEXION ») stay French."""
    return (_("<b>Se connecter à l'ENT</b> (étape 8 du guide)\n\n"
              "1. Ouvrez {url} et touchez « Se connecter ».\n"
              "2. Choisissez « Élève ou parent ».\n"
              "3. Tapez votre identifiant et le mot de passe que <b>vous</b> avez choisi, puis « CONNEXION ».\n\n"
              "Pas sûr de votre mot de passe ? Touchez « Tester ma connexion ». Oublié ? Touchez "
              "« Mot de passe oublié » : vos deux questions secrètes permettent d'en choisir un nouveau.")
            .format(url=escape(ent_url)) + "\n\n" + _(EDUCONNECT))
