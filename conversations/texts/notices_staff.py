"""What staff read when they publish a notice: French only."""

from __future__ import annotations

from html import escape

# -- announcements: staff who publish ---------------------------------------------------------------

__all__ = [  # what the package exports as it is (not translated)
    "CANCEL_NOTICE_BUTTON",
    "CHANNEL_AGAIN_BUTTON",
    "CHANNEL_THERE_BUTTON",
    "CHANNEL_UNCERTAIN",
    "CHANNEL_UNCERTAIN_REASON",
    "FAILURE_REASONS",
    "NOTICE_ASK",
    "NOTICE_ASK_TIME",
    "NOTICE_CANCELLED",
    "NOTICE_EMPTY",
    "NOTICE_IN_GROUP",
    "NOTICE_STALE",
    "NOTICE_TIME_PAST",
    "NOTICE_TIME_UNREADABLE",
    "NOTICE_UNSCHEDULED",
    "NOTICE_UNSUPPORTED",
    "NOT_CHANNEL_ADMIN",
    "NO_NOTICES",
    "PARENTS_ONLY_BUTTON",
    "PREVIEW_ABOVE",
    "PUBLISH_BUTTON",
    "SCHEDULE_BUTTON",
    "UNSCHEDULE_BUTTON",
    "cancel_scheduled_button",
    "channel_unreachable",
    "channel_warning",
    "notice_draft",
    "notice_figures",
    "notice_from",
    "notice_from_length",
    "notice_line",
    "notice_progress",
    "notice_scheduled",
    "notice_too_long",
    "notices_list",
    "scheduled_channel_failed",
    "shorten",
]

NOTICE_ASK = ("📣 <b>Nouvelle annonce</b>\n\nEnvoyez-moi maintenant l'annonce, comme un message ordinaire : un texte "
              "(gras, italique, liens… comme d'habitude dans Telegram), ou une photo ou un document avec une légende. "
              "Je vous la montrerai exactement comme les familles la verront, avant tout envoi.\n\n/annuler pour abandonner.")
NOTICE_IN_GROUP = "Pour préparer une annonce, écrivez-moi en privé : /annonce"
NOTICE_UNSUPPORTED = ("Une annonce est un <b>texte</b>, une <b>photo</b> ou un <b>document</b> (avec une légende si vous "
                      "voulez). Les autocollants, messages vocaux, vidéos, sondages ou positions ne peuvent pas être "
                      "envoyés. Envoyez l'annonce à nouveau, ou /annuler.")
NOTICE_EMPTY = "Cette annonce est vide. Envoyez un texte, ou une photo ou un document, ou /annuler."


def notice_from(school: str) -> str:
    """With several schools, what opens every family's copy: which school the notice comes from (HTML)."""
    return f"🏫 <b>{escape(school)}</b>\n\n"


def notice_from_length(school: str) -> int:
    """The UTF-16 length Telegram counts of `notice_from` once sent (the text's limit is what is left)."""
    return len(f"🏫 {school}\n\n".encode("utf-16-le")) // 2



def notice_too_long(length: int, limit: int, caption: bool) -> str:
    what = "La légende" if caption else "Le texte"
    return (f"{what} fait {length} caractères ; Telegram en accepte {limit} au plus. Raccourcissez-la et "
            "envoyez-la à nouveau, ou /annuler." if caption else
            f"{what} fait {length} caractères ; Telegram en accepte {limit} au plus. Raccourcissez-le et "
            "envoyez-le à nouveau, ou /annuler.")


PREVIEW_ABOVE = "☝️ <b>Aperçu</b> : voici l'annonce telle que les familles la recevront."
PUBLISH_BUTTON = "📣 Publier maintenant"
SCHEDULE_BUTTON = "🕒 Programmer"
CANCEL_NOTICE_BUTTON = "✖ Annuler"
PARENTS_ONLY_BUTTON = "📣 Publier aux familles seulement"
UNSCHEDULE_BUTTON = "✖ Annuler la programmation"


def notice_draft(notice_id: int, subscribers: int, channel: str | None) -> str:
    where = f"sur le canal {escape(channel)} et " if channel else ""
    return (PREVIEW_ABOVE + f"\n\nAnnonce n°{notice_id} : elle partira {where}à <b>{subscribers}</b> famille"
            f"{'s' if subscribers > 1 else ''} abonnée{'s' if subscribers > 1 else ''}.")


NOT_CHANNEL_ADMIN = "le bot n'y est pas administrateur avec le droit de publier"


def channel_warning(reason: str) -> str:
    return (f"⚠️ Le canal des annonces ne pourra pas la recevoir ({escape(reason)}). Si vous publiez, je vous "
            "proposerai de l'envoyer aux familles seulement.")


CHANNEL_UNCERTAIN = ("⚠️ Le canal n'a pas confirmé la publication : l'annonce y est <b>peut-être</b> déjà (la réponse "
                     "de Telegram s'est perdue). Regardez le canal, puis dites-moi ce qu'il en est : je ne la reposte "
                     "jamais de moi-même, pour qu'elle n'y soit jamais en double. <b>Rien n'a encore été envoyé aux "
                     "familles.</b>")
CHANNEL_UNCERTAIN_REASON = "réponse de Telegram perdue : l'annonce y est peut-être, regardez le canal"
CHANNEL_THERE_BUTTON = "✅ Elle est dans le canal : envoyer aux familles"
CHANNEL_AGAIN_BUTTON = "🔁 Elle n'y est pas : la publier dans le canal"


def channel_unreachable(reason: str) -> str:
    return (f"⚠️ Le canal des annonces n'a pas reçu l'annonce ({escape(reason)}). Vérifiez que le bot est "
            "administrateur du canal, avec le droit de publier. <b>Rien n'a été envoyé aux familles.</b>")


NOTICE_ASK_TIME = ("🕒 <b>Quand faut-il publier cette annonce ?</b>\n\nTapez la date et l'heure (heure de Paris), par "
                   "exemple : <code>25/12 8h30</code>, <code>25/12/2026 08:30</code>, <code>demain 7h30</code>, "
                   "<code>aujourd'hui 18h</code>.")
NOTICE_TIME_UNREADABLE = ("Je n'ai pas compris cette date. Écrivez-la comme ceci : <code>25/12 8h30</code>, "
                          "<code>25/12/2026 08:30</code> ou <code>demain 7h30</code>.")
NOTICE_TIME_PAST = "Ce moment est déjà passé ({when}). Tapez une date et une heure à venir."


def notice_scheduled(notice_id: int, when: str, quiet_note: bool) -> str:
    note = ("\n\n🌙 C'est pendant les heures calmes : le canal l'aura à l'heure dite, les familles le matin venu."
            if quiet_note else "")
    return f"🕒 Annonce n°{notice_id} programmée pour le <b>{when}</b>. Vous pouvez l'annuler d'ici là.{note}"


NOTICE_CANCELLED = "Annonce abandonnée : rien n'a été envoyé."
NOTICE_UNSCHEDULED = "Programmation annulée : l'annonce n°{notice_id} ne partira pas."
NOTICE_STALE = "Cette annonce n'est plus à cet état (déjà publiée ou annulée)."
FAILURE_REASONS = {"blocked": "ont bloqué le bot", "chat_not_found": "introuvables", "deleted": "message source supprimé",
                   "network": "erreur réseau répétée"}


def notice_progress(notice_id: int, sent: int, failed: int, left: int, reasons: dict[str, int],
                    channel_state: str | None, quiet_until: str | None, done: bool) -> str:
    channel = {"sent": "📢 Canal : publiée.\n", "failed": "⚠️ Canal : non publiée.\n"}.get(channel_state or "", "")
    head = (f"✅ <b>Annonce n°{notice_id} envoyée.</b>" if done else f"📣 <b>Annonce n°{notice_id} en cours d'envoi…</b>")
    lines = [head, channel + f"Familles : {sent} reçue{'s' if sent > 1 else ''}, {failed} échec{'s' if failed > 1 else ''}, "
             f"{left} restante{'s' if left > 1 else ''}."]
    if reasons:
        lines.append("Échecs : " + ", ".join(f"{n} {escape(FAILURE_REASONS.get(r, r))}" for r, n in sorted(reasons.items())))
    if quiet_until and left:
        lines.append(f"🌙 Heures calmes : les familles la recevront à partir de {quiet_until}.")
    return "\n".join(lines)


def scheduled_channel_failed(notice_id: int, reason: str) -> str:
    return (f"⚠️ L'annonce programmée n°{notice_id} n'a pas pu être publiée sur le canal ({escape(reason)}). "
            "Elle part quand même aux familles abonnées.")


NO_NOTICES = "Aucune annonce publiée ou programmée pour l'instant. /annonce pour en écrire une."


def notice_line(notice_id: int, summary: str, state: str, when: str, figures: str) -> str:
    label = {"scheduled": "🕒 programmée pour", "publishing": "📣 en cours, publiée le", "done": "✅ publiée le",
             "cancelled": "✖ annulée (était programmée pour"}.get(state, state)
    closing = ")" if state == "cancelled" else ""
    return f"• n°{notice_id} — « {escape(summary)} » — {label} {when}{closing}" + (f"\n  {figures}" if figures else "")


def notice_figures(sent: int, failed: int, left: int) -> str:
    return f"{sent} reçue(s), {failed} échec(s), {left} restante(s)"


def notices_list(lines: list[str]) -> str:
    return "<b>Annonces récentes</b>\n\n" + "\n".join(lines)


def cancel_scheduled_button(notice_id: int) -> str:
    return f"✖ Annuler la n°{notice_id}"


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut between words, with "…" when something was cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    if not text[limit - 1].isspace() and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.") + "…"
