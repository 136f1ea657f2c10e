"""What a family reads when it writes to its school, and the bot's words around the school's replies."""

from __future__ import annotations

from html import escape

import i18n
from i18n import N_, Catalog

CATALOG = Catalog("helpdesk")
_ = CATALOG.gettext
ngettext = CATALOG.ngettext

# -- help desk: a parent writes to the school ------------------------------------------------------

__all__ = [  # functions, translated when called; the upper-case texts are read through the package in the family's language
    "helpdesk_done",
    "helpdesk_no_school",
    "helpdesk_prompt",
    "helpdesk_queue_full",
    "reply_caption",
    "reply_from_school",
    "schools_found",
    "ticket_closed_notice",
    "ticket_received",
    "ticket_taken_notice",
]

# TRANSLATORS: button
MENU_WRITE = N_("✍️ Écrire au collège")
# TRANSLATORS: button
ANSWER_SCHOOL = N_("✍️ Répondre au collège")


def helpdesk_prompt(contact: str, open_ticket: int | None, school: str | None = None) -> str:
    """`school`: its name, with several schools (one school: the prompt as it always was)."""
    title = (_("✍️ <b>Écrire à : {school}</b>").format(school=escape(school)) if school
             # TRANSLATORS: the title of the message; « Écrire au collège » is also the menu's label (MENU_WRITE)
             else _("✍️ <b>Écrire au collège</b>"))
    body = _("Écrivez votre message ici : ce qui bloque, à quelle étape. Vous pouvez aussi envoyer une <b>photo</b> "
             "de l'écran (une capture) avec une légende. La réponse arrivera dans cette conversation.")
    seen = _("Le secrétariat voit votre identifiant et l'étape où vous en êtes : inutile de les répéter. ⚠️ "
             "N'écrivez jamais votre mot de passe.")
    mail = _("Vous pouvez aussi écrire par courriel à {contact}").format(contact=escape(contact))
    ongoing = (_("Votre demande n°{ticket_id} est ouverte : ce message s'y ajoutera.").format(ticket_id=open_ticket)
               if open_ticket else None)
    return "\n\n".join(p for p in (title, body, seen, mail, ongoing) if p)


def ticket_received(ticket_id: int, new: bool, mid_activation: bool = False) -> str:
    head = (_("✅ Message transmis au collège : <b>demande n°{ticket_id}</b>.") if new
            else _("✅ Message ajouté à votre demande n°{ticket_id}.")).format(ticket_id=ticket_id)
    body = _("La réponse arrivera ici, dans cette conversation. Vous pouvez écrire d'autres messages en attendant : "
             "ils s'ajoutent à la même demande.")
    # TRANSLATORS: « Reprendre l'activation » is the label of HELPDESK_RESUME: quote your translation of it
    then = (_("Pour continuer l'activation, touchez « Reprendre l'activation ».") if mid_activation
            else _("Tapez /start pour le menu."))
    return f"{head}\n{body} {then}"


# TRANSLATORS: button
HELPDESK_RESUME = N_("▶️ Reprendre l'activation")

# Several schools: which one the parent writes to.
HELPDESK_PICK_SCHOOL = N_("✍️ <b>Écrire à l'établissement</b>\n\nVotre compte est lié à plusieurs établissements : "
                          "auquel voulez-vous écrire ?")
HELPDESK_FIND_SCHOOL = N_("✍️ <b>Écrire à l'établissement</b>\n\nÀ quel établissement voulez-vous écrire ? Tapez une "
                          "partie de son <b>nom</b> ou de sa <b>ville</b> (par exemple « Jean Moulin » ou "
                          "« Amboise »).")
HELPDESK_SEARCH_TOO_LONG = N_("Tapez seulement une partie du <b>nom</b> de l'établissement ou de sa <b>ville</b> : "
                              "votre message, vous l'écrirez juste après.")
# TRANSLATORS: button
HELPDESK_NONE_OF_THESE = N_("🚫 Aucun de ceux-là")


def schools_found(count: int, limit: int) -> str:
    if count == 0:
        return _("Aucun établissement ne correspond. Tapez une autre partie de son nom, ou sa ville (les accents et "
                 "les majuscules ne comptent pas).")
    if count > limit:
        return ngettext("{count} établissement correspond ; voici les {limit} premiers. Touchez le vôtre, ou tapez "
                        "un mot de plus (la ville, par exemple).",
                        "{count} établissements correspondent ; voici les {limit} premiers. Touchez le vôtre, ou "
                        "tapez un mot de plus (la ville, par exemple).", count).format(count=count, limit=limit)
    return _("Touchez votre établissement :") if count > 1 else _("Est-ce votre établissement ? Touchez-le :")


def helpdesk_no_school(ent_url: str) -> str:
    return _("Votre établissement n'est pas servi par cet assistant : pour de l'aide, ouvrez la page « Assistance » "
             "du site de l'ENT, {ent_url}, ou adressez-vous directement à votre établissement."
             ).format(ent_url=escape(ent_url))


HELPDESK_CANCELLED = N_("D'accord, rien n'a été envoyé. Tapez /start pour le menu.")


def helpdesk_done(ticket_id: int) -> str:
    return _("Vos messages sont bien transmis au collège (demande n°{ticket_id}). La réponse arrivera ici. "
             "Tapez /start pour le menu.").format(ticket_id=ticket_id)


HELPDESK_EXPECTS = N_("Je ne peux transmettre au collège que du <b>texte</b>, ou une <b>photo</b> (ou un document) "
                      "avec une légende. Les autocollants, messages vocaux, vidéos et positions ne passent pas : "
                      "écrivez plutôt votre message.")
HELPDESK_PASSWORD_SEEN = N_("🔒 Votre message contient votre mot de passe (ou une réponse secrète) : je l'ai effacé "
                            "et je ne l'ai <b>pas</b> transmis. Le collège n'en a jamais besoin. Réécrivez votre "
                            "message sans le mot de passe ni les réponses.")
HELPDESK_TOO_FAST = N_("⏳ Vous m'écrivez très vite : avant de transmettre un message, je vérifie qu'il ne contient "
                       "aucun de vos mots de passe, et cela prend du temps. Par sécurité, j'ai effacé celui-ci sans le "
                       "transmettre.\n\nAttendez une minute, puis envoyez-le à nouveau.")
HELPDESK_DOCUMENT_REFUSED = N_("📎 Je ne transmets au collège que des <b>photos</b>, des <b>images</b> (JPEG, PNG) et "
                               "des <b>PDF</b> de {megabytes} Mo au plus. Ce fichier n'a <b>pas</b> été transmis.\n\n"
                               "Le plus simple : une photo de l'écran, ou une capture d'écran, avec une légende.")


def helpdesk_queue_full(contact_email: str) -> str:
    return _("🙏 Le collège reçoit beaucoup de messages en ce moment : le vôtre n'a <b>pas</b> été transmis, pour que "
             "les demandes déjà arrivées soient lues d'abord.\n\nRéessayez dans une demi-heure, ou écrivez à "
             "{contact_email}.").format(contact_email=escape(contact_email))


HELPDESK_TOO_LONG = N_("Ce message est trop long ({length} caractères, {limit} au plus) : coupez-le en plusieurs "
                       "messages.")
HELPDESK_SLOW_DOWN = N_("Vous avez envoyé beaucoup de messages en peu de temps : celui-ci n'a <b>pas</b> été "
                        "transmis. Attendez quelques minutes, le collège lit tout ce qui est arrivé.")


# A staff member's reply reaches the family as the staff member wrote it (French, usually), under the bot's own
# words in the family's language; the reply is a paragraph of its own, so that it keeps its own direction.


def reply_from_school(ticket_id: int, text: str) -> str:
    return _("💬 <b>Réponse du collège</b> (demande n°{ticket_id}) :").format(ticket_id=ticket_id) + f"\n\n{escape(text)}"


def reply_caption(ticket_id: int, caption: str | None) -> str:
    if not caption:
        return _("💬 Réponse du collège (demande n°{ticket_id})").format(ticket_id=ticket_id)
    # Set apart in a right-to-left line, so that a caption in French keeps its own order.
    shown = f"{i18n.FSI}{caption}{i18n.PDI}" if i18n.current() in i18n.RIGHT_TO_LEFT else caption
    return _("💬 Réponse du collège (demande n°{ticket_id}) :").format(ticket_id=ticket_id) + f" {shown}"


def ticket_taken_notice(ticket_id: int) -> str:
    return _("👀 Votre demande n°{ticket_id} est prise en charge par le collège.").format(ticket_id=ticket_id)


def ticket_closed_notice(ticket_id: int) -> str:
    # TRANSLATORS: « Écrire au collège » is the label of MENU_WRITE in the menu: quote your translation of it
    return _("✅ Votre demande n°{ticket_id} a été close par le collège. Pour une nouvelle question, touchez "
             "« Écrire au collège » dans le menu (/start).").format(ticket_id=ticket_id)
