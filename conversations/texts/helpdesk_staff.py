"""What staff read of the help desk, in their group and in the school's mailbox: French only."""

from __future__ import annotations

from html import escape

from conversations.texts.staff import LAST_ERRORS, STATE_LABELS
from i18n import IN_FRENCH, SOURCE

# -- help desk: what staff see in their group --------------------------------------------------------

__all__ = [  # what the package exports as it is (not translated)
    "ALREADY_CLOSED",
    "CLOSE_BUTTON",
    "DOCUMENT_PLACEHOLDER",
    "NOT_PROVEN",
    "NOWHERE",
    "NO_IDENTIFIER",
    "NO_LOCK",
    "NO_OPEN_TICKETS",
    "PHOTO_PLACEHOLDER",
    "PROOFS",
    "REPLY_BLOCKED",
    "REPLY_DELIVERED",
    "REPLY_HOLDS_PASSWORD",
    "REPLY_TO_CLOSED",
    "REPLY_UNSUPPORTED",
    "TAKE_BUTTON",
    "TEXT_PLACEHOLDER",
    "UNKNOWN_IDENTIFIER",
    "open_ticket_line",
    "open_tickets_list",
    "ticket_context",
    "ticket_follow_up",
    "ticket_follow_up_caption",
    "ticket_follow_up_caption_below",
    "ticket_header",
    "ticket_mail",
    "written_in",
]

TAKE_BUTTON = "🙋 Je m'en occupe"
CLOSE_BUTTON = "✅ Clore"
NO_IDENTIFIER = "inconnu (la famille ne l'a pas encore tapé)"
NOWHERE = "aucune démarche en cours"


PROOFS = {"provisional": "✅ a prouvé détenir ce compte (son mot de passe provisoire, tapé dans cette conversation)",
          "activated": "✅ a prouvé détenir ce compte (activé depuis cette conversation Telegram)",
          "answers": "✅ a prouvé détenir ce compte (ses deux réponses secrètes, dans cette conversation)"}
NOT_PROVEN = ("⚠️ N'A PAS prouvé détenir ce compte : a seulement tapé l'identifiant. Ne débloquez ni ne "
              "réinitialisez sans avoir vérifié l'identité de la famille par un autre moyen.")


# What the family typed as an identifier matched no account: it is not shown, since it may be a password.
UNKNOWN_IDENTIFIER = ("tapé, mais ne correspond à aucun compte (non transmis : ce peut être un mot de passe tapé "
                      "par erreur ; demandez à la famille son identifiant)")


def ticket_context(identifier: str | None, state: str | None, where: str | None, last_error: str | None,
                   lock_until: str | None, proof: str | None = None, typed_unknown: bool = False) -> str:
    """The context of a ticket, plain lines, as staff and the school's mailbox read it. Never a secret."""
    shown = identifier or (UNKNOWN_IDENTIFIER if typed_unknown else NO_IDENTIFIER)
    lines = [f"Identifiant : {shown}" + (f" — compte {STATE_LABELS[state]}" if state else "")]
    if state:
        lines.append("Preuve : " + PROOFS.get(proof or "", NOT_PROVEN))
    lines.append(f"Où : {where or NOWHERE}")
    if last_error:
        lines.append(f"Dernière erreur : {LAST_ERRORS.get(last_error, last_error)}")
    lines.append(f"Verrou : jusqu'à {lock_until} (heure de Paris)" if lock_until else NO_LOCK)
    return "\n".join(lines)


NO_LOCK = "Verrou : aucun"


def written_in(language: str) -> str:
    """« (écrit en ukrainien) » after the family's name, for staff, when the family reads the bot in another language
    than French (what it writes is likely in that language); nothing for French."""
    return f" (écrit en {IN_FRENCH.get(language, language)})" if language != SOURCE else ""


def ticket_header(ticket_id: int, opened: str, user_name: str, user_id: int, context: str, taken_by: str | None,
                  closed_by: str | None, first_message: str, language: str = SOURCE) -> str:
    status = (f"✅ Close par {escape(closed_by)}" if closed_by else
              f"🙋 Prise en charge par {escape(taken_by)}" if taken_by else "🆕 Pas encore prise en charge")
    return (f"🆘 <b>Demande n°{ticket_id}</b> — ouverte le {opened}\n"
            f"De : {escape(user_name)} (Telegram {user_id}){written_in(language)}\n{escape(context)}\n{status}\n\n"
            f"{escape(first_message)}\n\n"
            "↩️ <i>Pour répondre à la famille : répondez à ce message (Répondre).</i>")


def ticket_follow_up(ticket_id: int, user_name: str, text: str, language: str = SOURCE) -> str:
    return f"💬 <b>Demande n°{ticket_id}</b> — {escape(user_name)}{written_in(language)} :\n\n{escape(text)}"


def ticket_follow_up_caption_below(ticket_id: int, user_name: str, language: str = SOURCE) -> str:
    return f"💬 Demande n°{ticket_id} — {user_name}{written_in(language)} (légende ci-dessous)"


def ticket_follow_up_caption(ticket_id: int, user_name: str, caption: str | None, language: str = SOURCE) -> str:
    return f"💬 Demande n°{ticket_id} — {user_name}{written_in(language)}" + (f" : {caption}" if caption else "")


PHOTO_PLACEHOLDER = "[photo ci-dessous]"
TEXT_PLACEHOLDER = "[message long : ci-dessous]"
DOCUMENT_PLACEHOLDER = "[document ci-dessous]"
REPLY_DELIVERED = "✅ Réponse transmise à {name} (demande n°{ticket_id})."
REPLY_BLOCKED = ("⚠️ Réponse <b>non remise</b> : {name} a bloqué le bot ou supprimé la conversation "
                 "(demande n°{ticket_id}). Essayez par un autre moyen (courrier, téléphone).")
REPLY_TO_CLOSED = "Cette demande n°{ticket_id} est close : votre réponse n'a pas été transmise."
REPLY_UNSUPPORTED = "Je ne transmets aux familles que du texte, des photos et des documents."
REPLY_HOLDS_PASSWORD = ("🔒 Votre réponse à la demande n°{ticket_id} contient un mot de passe : je ne l'ai <b>pas</b> "
                        "transmise ni gardée, et je l'ai effacée du groupe si je le pouvais. Un mot de passe ne passe "
                        "jamais par une demande : la personne qui écrit n'est peut-être pas la famille. Remettez le "
                        "mot de passe provisoire en main propre, par courrier, ou par téléphone au numéro que le "
                        "collège a dans son dossier, puis répondez sans le mot de passe.")
ALREADY_CLOSED = "Cette demande est déjà close."
NO_OPEN_TICKETS = "Aucune demande ouverte. 🎉"


def open_tickets_list(lines: list[str]) -> str:
    return f"<b>Demandes ouvertes ({len(lines)})</b>\n\n" + "\n".join(lines)


def open_ticket_line(ticket_id: int, user_name: str, identifier: str | None, opened: str, taken_by: str | None) -> str:
    return (f"• n°{ticket_id} — {escape(user_name)}" + (f" (<code>{escape(identifier)}</code>)" if identifier else "")
            + f" — ouverte le {opened} — " + (f"prise par {escape(taken_by)}" if taken_by else "<b>à prendre</b>"))


# -- help desk: the mail to the school's address ------------------------------------------------------


def ticket_mail(ticket_id: int, new: bool, user_name: str, user_id: int, identifier: str | None, context: str,
                kind: str, text: str | None, language: str = SOURCE) -> tuple[str, str]:
    """(subject, body) of the mail telling the school's mailbox of a ticket's message."""
    subject = (f"[Assistant ENT] Demande n°{ticket_id}" + (f" — {identifier}" if identifier else "")
               + f" — {user_name}{written_in(language)}" + ("" if new else " (nouveau message)"))
    if kind == "text":
        content = text or ""
    else:
        what = "une photo" if kind == "photo" else "un document"
        content = f"[La famille a envoyé {what}, visible dans le groupe Telegram du personnel.]" + (
            f"\nLégende : {text}" if text else "")
    body = ("Nouvelle demande d'aide" if new else "Nouveau message sur la demande") + f" n°{ticket_id}\n\n" \
        f"De : {user_name} (Telegram {user_id}){written_in(language)}\n{context}\n\nMessage :\n{content}\n\n" \
        f"Pour répondre : dans le groupe Telegram du personnel, répondez au message de la demande n°{ticket_id}.\n" \
        "(Une réponse à ce courriel n'arrive pas à la famille.)\n"
    return subject, body

