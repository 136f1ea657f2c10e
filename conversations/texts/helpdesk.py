"""What a family reads when it writes to its school."""

from __future__ import annotations

from html import escape

# -- help desk: a parent writes to the school ------------------------------------------------------

__all__ = [  # what the package exports as it is (not translated)
    "ANSWER_SCHOOL",
    "HELPDESK_CANCELLED",
    "HELPDESK_DOCUMENT_REFUSED",
    "HELPDESK_EXPECTS",
    "HELPDESK_FIND_SCHOOL",
    "HELPDESK_NONE_OF_THESE",
    "HELPDESK_PASSWORD_SEEN",
    "HELPDESK_PICK_SCHOOL",
    "HELPDESK_RESUME",
    "HELPDESK_SEARCH_TOO_LONG",
    "HELPDESK_SLOW_DOWN",
    "HELPDESK_TOO_FAST",
    "HELPDESK_TOO_LONG",
    "MENU_WRITE",
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

MENU_WRITE = "✍️ Écrire au collège"
ANSWER_SCHOOL = "✍️ Répondre au collège"


def helpdesk_prompt(contact: str, open_ticket: int | None, school: str | None = None) -> str:
    """`school`: its name, with several schools (one school: the prompt as it always was)."""
    ongoing = f"\n\nVotre demande n°{open_ticket} est ouverte : ce message s'y ajoutera." if open_ticket else ""
    title = f"✍️ <b>Écrire à : {escape(school)}</b>" if school else "✍️ <b>Écrire au collège</b>"
    return (title + "\n\nÉcrivez votre message ici : ce qui bloque, à quelle étape. Vous pouvez "
            "aussi envoyer une <b>photo</b> de l'écran (une capture) avec une légende. La réponse arrivera dans "
            "cette conversation.\n\nLe secrétariat voit votre identifiant et l'étape où vous en êtes : inutile de "
            "les répéter. ⚠️ N'écrivez jamais votre mot de passe.\n\n"
            f"Vous pouvez aussi écrire par courriel à {escape(contact)}" + ongoing)


def ticket_received(ticket_id: int, new: bool, mid_activation: bool = False) -> str:
    head = (f"✅ Message transmis au collège : <b>demande n°{ticket_id}</b>." if new
            else f"✅ Message ajouté à votre demande n°{ticket_id}.")
    then = ("Pour continuer l'activation, touchez « Reprendre l'activation »." if mid_activation
            else "Tapez /start pour le menu.")
    return (head + "\nLa réponse arrivera ici, dans cette conversation. Vous pouvez écrire d'autres messages en "
            "attendant : ils s'ajoutent à la même demande. " + then)


HELPDESK_RESUME = "▶️ Reprendre l'activation"

# Several schools: which one the parent writes to.
HELPDESK_PICK_SCHOOL = ("✍️ <b>Écrire à l'établissement</b>\n\nVotre compte est lié à plusieurs établissements : "
                        "auquel voulez-vous écrire ?")
HELPDESK_FIND_SCHOOL = ("✍️ <b>Écrire à l'établissement</b>\n\nÀ quel établissement voulez-vous écrire ? Tapez une "
                        "partie de son <b>nom</b> ou de sa <b>ville</b> (par exemple « Jean Moulin » ou « Amboise »).")
HELPDESK_SEARCH_TOO_LONG = ("Tapez seulement une partie du <b>nom</b> de l'établissement ou de sa <b>ville</b> : "
                            "votre message, vous l'écrirez juste après.")
HELPDESK_NONE_OF_THESE = "🚫 Aucun de ceux-là"


def schools_found(count: int, limit: int) -> str:
    if count == 0:
        return ("Aucun établissement ne correspond. Tapez une autre partie de son nom, ou sa ville (les accents et "
                "les majuscules ne comptent pas).")
    if count > limit:
        return (f"{count} établissements correspondent ; voici les {limit} premiers. Touchez le vôtre, ou tapez un mot "
                "de plus (la ville, par exemple).")
    return "Touchez votre établissement :" if count > 1 else "Est-ce votre établissement ? Touchez-le :"


def helpdesk_no_school(ent_url: str) -> str:
    return ("Votre établissement n'est pas servi par cet assistant : pour de l'aide, ouvrez la page « Assistance » du "
            f"site de l'ENT, {escape(ent_url)}, ou adressez-vous directement à votre établissement.")


HELPDESK_CANCELLED = "D'accord, rien n'a été envoyé. Tapez /start pour le menu."


def helpdesk_done(ticket_id: int) -> str:
    return (f"Vos messages sont bien transmis au collège (demande n°{ticket_id}). La réponse arrivera ici. "
            "Tapez /start pour le menu.")
HELPDESK_EXPECTS = ("Je ne peux transmettre au collège que du <b>texte</b>, ou une <b>photo</b> (ou un document) avec "
                    "une légende. Les autocollants, messages vocaux, vidéos et positions ne passent pas : écrivez "
                    "plutôt votre message.")
HELPDESK_PASSWORD_SEEN = ("🔒 Votre message contient votre mot de passe (ou une réponse secrète) : je l'ai effacé et "
                          "je ne l'ai <b>pas</b> transmis. Le collège n'en a jamais besoin. Réécrivez votre message "
                          "sans le mot de passe ni les réponses.")
HELPDESK_TOO_FAST = ("⏳ Vous m'écrivez très vite : avant de transmettre un message, je vérifie qu'il ne contient "
                     "aucun de vos mots de passe, et cela prend du temps. Par sécurité, j'ai effacé celui-ci sans le "
                     "transmettre.\n\nAttendez une minute, puis envoyez-le à nouveau.")
HELPDESK_DOCUMENT_REFUSED = ("📎 Je ne transmets au collège que des <b>photos</b>, des <b>images</b> (JPEG, PNG) et des "
                             "<b>PDF</b> de {megabytes} Mo au plus. Ce fichier n'a <b>pas</b> été transmis.\n\n"
                             "Le plus simple : une photo de l'écran, ou une capture d'écran, avec une légende.")


def helpdesk_queue_full(contact_email: str) -> str:
    return ("🙏 Le collège reçoit beaucoup de messages en ce moment : le vôtre n'a <b>pas</b> été transmis, pour que "
            "les demandes déjà arrivées soient lues d'abord.\n\nRéessayez dans une demi-heure, ou écrivez à "
            f"{escape(contact_email)}.")


HELPDESK_TOO_LONG = "Ce message est trop long ({length} caractères, {limit} au plus) : coupez-le en plusieurs messages."
HELPDESK_SLOW_DOWN = ("Vous avez envoyé beaucoup de messages en peu de temps : celui-ci n'a <b>pas</b> été transmis. "
                      "Attendez quelques minutes, le collège lit tout ce qui est arrivé.")


def reply_from_school(ticket_id: int, text: str) -> str:
    return f"💬 <b>Réponse du collège</b> (demande n°{ticket_id}) :\n\n{escape(text)}"


def reply_caption(ticket_id: int, caption: str | None) -> str:
    return f"💬 Réponse du collège (demande n°{ticket_id})" + (f" : {caption}" if caption else "")


def ticket_taken_notice(ticket_id: int) -> str:
    return f"👀 Votre demande n°{ticket_id} est prise en charge par le collège."


def ticket_closed_notice(ticket_id: int) -> str:
    return (f"✅ Votre demande n°{ticket_id} a été close par le collège. Pour une nouvelle question, touchez "
            "« Écrire au collège » dans le menu (/start).")


