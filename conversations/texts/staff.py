"""What staff read of their account tools (/compte, /reinitialiser, /debloquer, /stats): French only."""

from __future__ import annotations

import re
from html import escape

from conversations.texts.activation import STEP_NAME, STEP_NUMBER
from conversations.texts.common import paris
from storage.stats import DAILY_EVENTS, Summary

# -- staff: the school's account tools ------------------------------------------------------------

__all__ = [  # what the package exports as it is (not translated)
    "CANCEL_BUTTON",
    "CONFIRM_CHECKED_RESET_BUTTON",
    "CONFIRM_RESET_BUTTON",
    "ERASE_BUTTON",
    "EVENT_LABELS",
    "LAST_ERRORS",
    "MAIL_KINDS",
    "OPEN_PRIVATE_CHAT",
    "PICK_SCHOOL",
    "RESET_BLOCKED",
    "RESET_BUTTON",
    "RESET_CANCELLED",
    "RESET_RACE",
    "SECRET_LIFETIME_MINUTES",
    "STAFF_COMMANDS",
    "STAFF_HELP",
    "STAFF_USAGE",
    "STATE_LABELS",
    "UNLOCK_BUTTON",
    "account_card",
    "confirm_reset",
    "confirm_unproven_reset",
    "event_detail",
    "lock_line",
    "new_provisional",
    "no_account",
    "picked_school",
    "procedure_where",
    "reset_done",
    "stats_lines",
    "stats_message",
    "step_label",
    "step_where",
    "unlocked",
    "who",
]



# A parent's activation step as staff read it (French, whatever the family's language).
def step_label(step: str) -> str:
    """« étape 3/6 (règles d'usage) »: /compte, the accounts' export."""
    n = STEP_NUMBER[step]
    return f"étape {n}/6 ({STEP_NAME[n]})"


def step_where(step: str) -> str:
    """« à l'étape 3/6 de l'activation (règles d'usage) »: where a family writing to the school is."""
    n = STEP_NUMBER[step]
    return f"à l'étape {n}/6 de l'activation ({STEP_NAME[n]})"


def procedure_where(flow: str) -> str:
    """Where a family writing to the school is, in a forgotten password or a login test: as staff read it."""
    return "dans la démarche « Mot de passe oublié »" if flow == "forgot" else "dans la démarche « Tester ma connexion »"


PICK_SCHOOL = "Vous êtes membre de l'équipe de plusieurs établissements : pour lequel ?"


def picked_school(name: str) -> str:
    """The pick buttons' message, once one is pressed: what the command below is for."""
    return f"🏫 Pour : <b>{escape(name)}</b>"

STAFF_COMMANDS = {
    "compte": "État d'un compte : /compte identifiant",
    "debloquer": "Débloquer un compte : /debloquer identifiant",
    "reinitialiser": "Réinitialiser un compte : /reinitialiser identifiant",
    "stats": "Chiffres des activations",
    "tickets": "Demandes d'aide ouvertes",
    "annonce": "Écrire une annonce aux familles",
    "annonces": "Annonces récentes et programmées",
    "lettre": "Nouvelle lettre à QR code (compte pas encore activé) : /lettre identifiant",
}
STAFF_HELP = ("<b>Pour le personnel</b>\n"
              + "\n".join(f"• /{name} : {escape(what)}" for name, what in STAFF_COMMANDS.items())
              + "\n• Dans le groupe du personnel : répondez au message d'une demande pour écrire à la famille.")
STATE_LABELS = {"pending": "à activer", "active": "activé", "reset": "réinitialisé, à réactiver",
                "blocked": "bloqué dans l'annuaire",
                "invalidated": "remis à « à activer » dans l'ENT : à réinitialiser ici pour un nouveau mot de passe"}
EVENT_LABELS = {
    "identified": "identifiant et mot de passe provisoire corrects",
    "provisional_failed": "mot de passe provisoire incorrect",
    "reauth_failed": "mot de passe provisoire incorrect (reprise)",
    "answers_failed": "réponses secrètes incorrectes",
    "answers_verified": "réponses secrètes correctes",
    "code_failed": "code reçu par courriel incorrect",
    "code_verified": "code reçu par courriel correct",
    "login_failed": "test de connexion échoué",
    "login_ok": "test de connexion réussi",
    "forgot_probe_failed": "compte cherché au-delà de la limite (mot de passe oublié)",
    "locked": "bloqué",
    "unlocked": "débloqué",
    "cgu_refused": "CGU refusées",
    "activated": "compte activé",
    "password_changed": "mot de passe changé",
    "reset": "compte réinitialisé",
    "account_viewed": "fiche consultée",
    "import": "import",
    "letter_issued": "lettre à QR code créée",
    "letter_failed": "lettre non valable scannée",
    # What staff did on the account (issue 22): each command, button and `entbot accounts` command.
    "reset_asked": "réinitialisation demandée (confirmation affichée)",
    "letter_asked": "nouvelle lettre demandée (confirmation affichée)",
    "ticket_take": "demande prise en charge",
    "ticket_close": "demande close",
    "ticket_answered": "réponse à la demande transmise",
    "ticket_reply_refused": "réponse à la demande refusée (mot de passe provisoire)",
    "accounts_listed": "liste des comptes affichée",
    "accounts_exported": "comptes exportés en CSV",
}
LAST_ERRORS = {"provisional_failed": "mot de passe provisoire incorrect",
               "email_code_failed": "code de confirmation de l'adresse incorrect",
               "password_rejected": "mot de passe refusé (règles non respectées)"}
STAFF_USAGE = "Précisez l'identifiant du compte, par exemple : <code>/{command} jean.dupont12</code>"


def no_account(identifier: str) -> str:
    return (f"Aucun compte « {escape(identifier)} ». Vérifiez l'orthographe ; la liste complète est dans "
            "<code>entbot accounts list</code> ou l'export CSV.")


UNLOCK_BUTTON = "🔓 Débloquer"
RESET_BUTTON = "♻️ Réinitialiser"
CONFIRM_RESET_BUTTON = "✅ Oui, réinitialiser"
CANCEL_BUTTON = "Annuler"
ERASE_BUTTON = "🗑 C'est noté : effacer ce message"


def confirm_reset(identifier: str, name: str, state: str) -> str:
    return (f"♻️ Réinitialiser le compte <code>{escape(identifier)}</code> ({escape(name)}, {STATE_LABELS[state]}) ?\n\n"
            "Son mot de passe, ses réponses secrètes et son adresse seront effacés, et un nouveau mot de passe "
            "provisoire sera créé. Il vous sera montré <b>une seule fois</b>, en message privé, pour le "
            "transmettre à la famille, qui réactivera alors son compte (« Mon compte a été réinitialisé »).")


CONFIRM_CHECKED_RESET_BUTTON = "✅ Identité vérifiée : réinitialiser"


def confirm_unproven_reset(identifier: str, name: str, state: str) -> str:
    return ("⚠️ <b>Attention : la personne qui a écrit n'a pas prouvé détenir ce compte.</b> Elle a seulement tapé "
            "son identifiant, que n'importe qui peut connaître. Avant de réinitialiser, vérifiez l'identité de la "
            "famille par un autre moyen : appelez-la au numéro que le collège a dans son dossier, ou recevez-la "
            "au secrétariat. Ne donnez jamais le nouveau mot de passe en réponse à la demande.\n\n"
            + confirm_reset(identifier, name, state))


RESET_CANCELLED = "Réinitialisation annulée : rien n'a changé."
RESET_BLOCKED = ("Le compte <code>{identifier}</code> est bloqué dans l'annuaire de l'ENT (état BLOQUE ou DELETE) : "
                 "je ne le réinitialise pas. Son déblocage relève de l'administrateur de l'ENT.")
RESET_RACE = ("Ce compte a changé entre-temps (réinitialisé ou activé à l'instant, peut-être par un collègue) : "
              "je n'ai rien fait. Vérifiez avec <code>/compte {identifier}</code>.")
OPEN_PRIVATE_CHAT = ("Je dois vous montrer le nouveau mot de passe en privé, mais je ne peux pas vous écrire : "
                     "ouvrez une conversation avec moi (touchez mon nom, puis « Démarrer »), puis recommencez. "
                     "Rien n'a été changé.")
SECRET_LIFETIME_MINUTES = 15


def reset_done(identifier: str, staff_name: str, private: bool) -> str:
    where = "ci-dessous" if private else f"en message privé à {escape(staff_name)}"
    return (f"✅ Compte <code>{escape(identifier)}</code> réinitialisé par {escape(staff_name)}. "
            f"Le nouveau mot de passe provisoire a été envoyé {where}.")


def new_provisional(identifier: str, name: str, password: str) -> str:
    return (f"🔑 Nouveau mot de passe provisoire de <code>{escape(identifier)}</code> ({escape(name)}) :\n\n"
            f"<code>{escape(password)}</code>\n\nTransmettez-le à la famille (majuscules et minuscules comptent). "
            "Il n'est gardé nulle part en clair : notez-le maintenant. Ce message s'effacera de lui-même dans "
            f"{SECRET_LIFETIME_MINUTES} minutes.")






def unlocked(identifier: str, was_locked: bool, still_locked: int = 0) -> str:
    if was_locked:
        text = f"🔓 Compte <code>{escape(identifier)}</code> débloqué : la famille peut réessayer tout de suite."
    else:
        text = (f"Le compte <code>{escape(identifier)}</code> n'était pas bloqué ; ses compteurs d'essais sont remis à "
                "zéro.")
    if still_locked:
        # Who proved the account is the family; someone who only failed on it may be a stranger guessing.
        one = still_locked == 1
        text += (f"\n{still_locked} {'personne qui essayait' if one else 'personnes qui essayaient'} ce compte sans "
                 "avoir prouvé être la famille (mot de passe provisoire, lettre, réponses) "
                 f"{'reste bloquée par ses' if one else 'restent bloquées par leurs'} propres erreurs jusqu'à la fin "
                 f"de {'son' if one else 'leur'} blocage (15 minutes la première fois).")
    return text


def who(actor: str) -> str:
    """An event's author for staff: a staff member by id; a family's Telegram user never by identity."""
    return "utilisateur Telegram" if actor.startswith("telegram:") else actor


def lock_line(lock_until: str | None, failing_users: int) -> str:
    """The lock, and how many Telegram users failed on the account since its count last started afresh."""
    line = f"Verrou : jusqu'à {lock_until} (heure de Paris)" if lock_until else "Verrou : aucun"
    if failing_users:
        plural = "s" if failing_users > 1 else ""
        line += f" — échecs venant de {failing_users} utilisateur{plural} Telegram"
    return line


def account_card(*, identifier: str, name: str, profile: str, class_name: str | None, state: str,
                 activated: str | None, step: str | None, step_at: str | None, last_error: str | None,
                 cgu_version: str | None, has_email: bool, lock_until: str | None,
                 events: list[tuple[str, str, str, str | None]], failing_users: int = 0) -> str:
    """What staff may know of an account, for /compte: never a secret. Times already in Paris time."""
    lines = [f"<b>Compte <code>{escape(identifier)}</code></b> — {escape(name)}, {escape(profile)}"
             + (f", {escape(class_name)}" if class_name else ""),
             f"État : {STATE_LABELS[state]}" + (f" le {activated}" if activated else "")]
    if step:
        lines.append(f"Activation en cours : {step}, dernière action le {step_at}")
    if last_error:
        lines.append(f"Dernière erreur : {LAST_ERRORS.get(last_error, last_error)}")
    if state == "active":
        lines.append(f"CGU acceptées : version {escape(cgu_version or '-')} ; adresse électronique : "
                     f"{'oui' if has_email else 'non'}")
    lines.append(lock_line(lock_until, failing_users))
    if events:
        lines.append("\nDerniers événements :")
        lines += [f"• {at} {EVENT_LABELS.get(event, event)} ({escape(who(actor))})"
                  + (f" — {escape(event_detail(event, detail))}" if detail else "")
                  for at, event, actor, detail in events]
    return "\n".join(lines)


def stats_message(lines: list[str]) -> str:
    return "<b>Activations ENT</b>\n<pre>" + escape("\n".join(lines)) + "</pre>"


def stats_lines(summary: Summary) -> list[str]:
    """The figures of /stats and `entbot stats`, as plain lines."""
    s = summary.by_state
    lines = [f"Comptes importés : {summary.imported}",
             f"  activés : {s['active']}   à activer : {s['pending']}   réinitialisés : {s['reset']}",
             f"Activations en cours : {sum(summary.in_progress.values())}"]
    for number, name in STEP_NAME.items():
        count = sum(n for step, n in summary.in_progress.items() if STEP_NUMBER.get(step) == number)
        lines.append(f"  étape {number}/6 ({name}) : {count}")
    lines.append(f"Comptes bloqués en ce moment : {summary.locked_accounts}")
    lines.append("7 derniers jours (activations / mots de passe changés / blocages / réinitialisations) :")
    for day, counts in summary.days:
        lines.append(f"  {day.strftime('%d/%m')} : " + " / ".join(str(counts[e]) for e in DAILY_EVENTS))
    failed = summary.failed_mails
    total = failed[0].total if failed else 0
    lines.append(f"Courriels abandonnés (non envoyés après tous les essais) : {total}")
    for mail in failed:
        lines.append(f"  n°{mail.id} ({MAIL_KINDS.get(mail.kind, mail.kind)}, du {paris(mail.created_at)}, "
                     f"{mail.attempts} essais) : {mail.last_error or 'raison inconnue'}")
    if total > len(failed):
        lines.append(f"  … et {total - len(failed)} autres : entbot stats, ou la table outbox")
    return lines


MAIL_KINDS = {"ticket": "demande d'aide", "email_code": "code de confirmation"}

def event_detail(event: str, detail: str) -> str:
    """An event's detail as staff read it: a lock's scopes in French and its end in Paris time."""
    if event != "locked":
        return detail
    scopes = {"user": "ce compte Telegram", "account": "cet identifiant"}
    parts = []
    for scope, until in re.findall(r"(\w+) jusqu'à (\S+?)(?:,|$)", detail):
        try:
            end = paris(until)
        except ValueError:
            end = until
        parts.append(f"{scopes.get(scope, scope)} jusqu'à {end} (heure de Paris)")
    return ", ".join(parts) or detail
