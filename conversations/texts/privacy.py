"""The family's data and rights (RGPD): /confidentialite and /mesdonnees, in the family's language."""

from __future__ import annotations

from contextlib import nullcontext
from html import escape
from typing import Any

from conversations.texts.activation import STEP_NUMBER, where
from conversations.texts.common import moment
from i18n import N_, NAMES, SOURCE, Catalog, using
from storage.privacy import Retention

CATALOG = Catalog("privacy")
_ = CATALOG.gettext
ngettext = CATALOG.ngettext

# -- privacy: the family's data and rights (RGPD); the DPO's register is privacy_staff's --------------------------

__all__ = [  # functions, translated inside; the constants left out are the family's, read through the package
    "MY_DATA_ACCOUNTS",
    "MY_DATA_TICKETS",
    "duration",
    "erased_text",
    "mask_email",
    "my_data",
    "my_data_by_school",
    "privacy_commands",
    "privacy_controllers",
    "privacy_notice",
    "retention_items",
]

_COMMANDS = {"mesdonnees": N_("Mes données : voir ou effacer"), "confidentialite": N_("Protection de mes données")}
PRIVACY_LINE = N_("\n\n🔒 Ce que je garde sur vous, combien de temps, et vos droits : /confidentialite")
# TRANSLATORS: button
MY_DATA_ERASE_BUTTON = N_("🗑 Effacer mes données")
# TRANSLATORS: button
MY_DATA_ERASE_YES = N_("🗑 Oui, tout effacer")
# TRANSLATORS: button
MY_DATA_ERASE_NO = N_("↩ Non, garder")
MY_DATA_ERASE_CONFIRM = N_("⚠️ <b>Effacer vos données ?</b>\n\nJe supprimerai votre activation en cours, votre "
                           "abonnement aux annonces, le contenu de vos demandes au collège et le lien entre votre "
                           "compte Telegram et le compte ENT. C'est définitif.\n\nCe qui est conservé (obligation du "
                           "collège) : un compte déjà activé reste activé, le journal de sécurité garde ses lignes, "
                           "sans votre nom ni votre numéro Telegram, et vos essais échoués récents restent comptés "
                           "(ils protègent les comptes).")
MY_DATA_ERASE_CANCELLED = N_("Rien n'a été effacé. Vos données restent telles qu'elles étaient (/mesdonnees pour les "
                             "revoir).")
MY_DATA_NOTHING_HELD = N_("🔒 Je ne garde rien sur vous en ce moment : ni activation en cours, ni abonnement, ni "
                          "demande au collège.\n\nPour savoir ce que je garderais et combien de temps : "
                          "/confidentialite")
MY_DATA_NOTHING_TO_ERASE = N_("Il n'y avait rien à effacer : je ne garde rien sur vous.")

# Telegram carries every message: plain words, as article 13 asks.
TELEGRAM_TRANSFER = N_("Telegram transporte les messages entre vous et le collège. Telegram est une société établie "
                       "hors de l'Union européenne (à Dubaï) : vos messages passent par ses serveurs, sous ses propres "
                       "règles de confidentialité (telegram.org/privacy).")
# What an erasure keeps of the failed attempts, and why.
ATTEMPTS_KEPT = N_("vos essais échoués des dernières 24 heures et un blocage en cours : ils protègent les comptes ENT "
                   "contre qui voudrait deviner un mot de passe, et comptent comme si rien n'avait été effacé")


def privacy_commands() -> dict[str, str]:
    """The privacy commands of the bot's menu (setMyCommands), described in the current language."""
    return {name: _(description) for name, description in _COMMANDS.items()}


def duration(days: int) -> str:
    """A retention in words: 365 days is a year, 0 is the next night."""
    if days == 0:
        return _("jusqu'à la nuit suivante")
    if days % 365 == 0:
        years = days // 365
        return ngettext("{n} an", "{n} ans", years).format(n=years)
    return ngettext("{n} jour", "{n} jours", days).format(n=days)


def retention_items(r: Retention, family: bool = True) -> list[tuple[str, str]]:
    """(what is kept, for how long), generated from the settings: the notice and the register never go stale.

    The one list of what is kept. `family`: addressed to the family (/confidentialite), in its language; else about
    families, for the DPO's register (privacy_staff.register), always in French. A new kind of data gets its item
    here, in both wordings, and so reaches the notice and the register at once.
    """
    with nullcontext() if family else using(SOURCE):  # the register is French whatever the update at hand
        after_unsubscribing = (_("effacé la nuit suivante") if r.unsubscribed_days == 0 else
                               _("{duration} après le désabonnement").format(duration=duration(r.unsubscribed_days)))
        return [
            (_("une activation, un mot de passe oublié ou un test de connexion laissés en cours (identifiant tapé, "
               "étape, adresse électronique si vous l'avez donnée)") if family else
             "une activation, un mot de passe oublié ou un test de connexion laissés en cours (identifiant tapé, "
             "étape, adresse électronique si la famille l'a donnée)",
             _("{duration} après la dernière étape").format(duration=duration(r.progress_days))),
            (_("les essais échoués et les blocages après trop d'essais"),
             _("{duration} après le dernier essai, une fois le blocage levé").format(
                 duration=duration(r.attempts_days))),
            (_("le journal de sécurité (qui a activé, testé, réinitialisé quel compte, et quand)"),
             duration(r.audit_days)),
            (_("les codes envoyés par courriel : l'envoi (adresse, date), le code lui-même effacé dès que le serveur "
               "de courriel l'a pris"), duration(r.tickets_days)),
            (_("vos demandes au collège (messages, photos, leur courriel, leurs copies dans le groupe du personnel)")
             if family else
             "les demandes d'aide des familles (messages, photos, leur courriel, leurs copies dans le groupe du "
             "personnel)",
             _("{duration} après leur clôture").format(duration=duration(r.tickets_days))),
            (_("les annonces reçues (date d'envoi)"), duration(r.notices_days)),
            (_("votre abonnement aux annonces (prénom Telegram)") if family else
             "l'abonnement d'un parent aux annonces (prénom Telegram)",
             _("tant que vous êtes abonné, puis {after}").format(after=after_unsubscribing) if family else
             f"tant que le parent est abonné, puis {after_unsubscribing}"),
            (_("un compte activé : identifiant, date d'activation, acceptation de la charte (les mots de passe et "
               "réponses ne sont gardés que sous forme d'empreinte irréversible, jamais lisibles)"),
             _("tant que le collège garde le compte")),
            (_("la langue dans laquelle je vous écris (choisie avec /langue, ou celle de votre application "
               "Telegram à votre premier /start)") if family else
             "la langue dans laquelle le bot écrit à la famille (choisie avec /langue, ou celle de son application "
             "Telegram à son premier /start)",
             _("tant que vous avez autre chose avec l'assistant (un compte lié, un abonnement, une démarche ou une "
               "demande en cours), puis {duration}").format(duration=duration(r.progress_days)) if family else
             "tant que la famille a autre chose avec le bot (un compte lié, un abonnement, une démarche ou une "
             f"demande en cours), puis {duration(r.progress_days)}"),
            # One item per new kind of data, in both wordings.
        ]


def privacy_notice(school: str, contact_email: str, postal_address: str | None, dpo: str | None,
                   r: Retention, controller: str | None = None) -> str:
    """/confidentialite: the information article 13 of the RGPD asks for, short. `controller`: who is responsible,
    when it is not the one school given (privacy_controllers)."""
    kept = "\n".join(_("• {what} : <b>{how_long}</b>").format(what=escape(what), how_long=escape(how_long))
                     for what, how_long in retention_items(r))
    address = f"{escape(contact_email)}" + (f", {escape(postal_address)}" if postal_address else "")
    responsible = (_("<b>Responsable</b> : {controller}.").format(controller=controller) if controller else
                   _("<b>Responsable</b> : le {school} ({address}).").format(school=escape(school), address=address))
    if dpo:
        responsible += _(" Délégué à la protection des données : {dpo}.").format(dpo=escape(dpo))
    write = (_("Ou écrivez au collège : {address}.").format(address=address) if controller is None else
             _("Ou écrivez à votre établissement (son adresse est ci-dessus, ou sur le courrier qu'il vous a remis)."))
    return (_("🔒 <b>Vos données personnelles</b>") + "\n\n" + responsible + "\n\n"
            + _("<b>Pourquoi</b> : vous aider à activer votre compte ENT et à joindre le collège, et vous envoyer ses "
                "annonces si vous le demandez. Base légale : la mission de service public du collège.") + "\n\n"
            + _("<b>Ce qui est gardé, et combien de temps</b> :") + f"\n{kept}\n"
            + _("Vos mots de passe et réponses secrètes ne sont jamais gardés en clair, et vos messages qui en "
                "contiennent sont effacés de la conversation.") + "\n\n"
            + _("<b>Qui les reçoit</b> : seulement le personnel du collège chargé de l'ENT et de l'accueil "
                "(secrétariat, référent numérique).") + " " + _(TELEGRAM_TRANSFER) + "\n\n"
            + _("<b>Vos droits</b> : voir vos données, les faire corriger ou effacer, vous opposer. Ici : /mesdonnees "
                "(voir et effacer). Après un effacement restent seulement l'activation du compte (elle appartient au "
                "collège), le journal de sécurité sans votre nom ni votre numéro Telegram, les essais échoués qui "
                "comptent encore pour un blocage (24 heures) et un blocage en cours, les codes demandés par courriel "
                "dans la journée (leur nombre seulement), et pour 2 jours au plus un message à secret encore à "
                "effacer de notre conversation.") + " " + write + " "
            + _("Si vous estimez vos droits mal respectés, vous pouvez saisir la CNIL (cnil.fr/plaintes)."))


def privacy_controllers(schools: list[tuple[str, str]]) -> str:
    """With several schools: the family's schools (name, contact address), each for what concerns it; or, for a
    family the bot does not know yet, its child's school; the ENT's operator runs the bot for them."""
    if not schools:
        return _("l'établissement de votre enfant, dont l'adresse est sur le courrier qu'il vous a remis "
                 "(l'opérateur de l'ENT fait fonctionner ce bot pour lui)")
    named = " ; ".join(_("le {school} ({contact})").format(school=escape(name), contact=escape(contact))
                          for name, contact in schools)
    return _("chacun de vos établissements, pour ce qui le concerne : {schools} (l'opérateur de l'ENT fait "
             "fonctionner ce bot pour eux)").format(schools=named)


def mask_email(email: str) -> str:
    """j•••@exemple.fr: enough for the parent to recognise it, not for someone reading over a shoulder."""
    local, _at, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else "•••"


MY_DATA_TICKETS = 15
# Linked accounts listed one by one (a family has a few); beyond, a count: the message stays under Telegram's 4,096
# characters in every language (Arabic's lines are the longest).
MY_DATA_ACCOUNTS = 5

_ACCOUNT_STATES = {"active": N_("activé"), "pending": N_("pas encore activé"), "reset": N_("réinitialisé")}
_ACCOUNT_STATES_ON = {"active": N_("activé le {when}"), "pending": N_("pas encore activé le {when}"),
                      "reset": N_("réinitialisé le {when}")}


def _account_state(state: str, activated_at: str | None) -> str:
    """An ENT account's state, with its activation's date when there is one."""
    if activated_at:
        on = _ACCOUNT_STATES_ON.get(state)
        when = moment(activated_at)
        if on:
            return _(on).format(when=when)
        return _("{state} le {when}").format(state=escape(state), when=when)
    known = _ACCOUNT_STATES.get(state)
    return _(known) if known else escape(state)


def _typed_identifier(kept: str | None) -> str:
    if not kept:
        return ""
    if kept.startswith("#"):  # storage.accounts.UNKNOWN_MARK: what is kept of an identifier that named no account
        return _(", un identifiant qui ne correspond à aucun compte (gardé sous une forme illisible)")
    return _(", identifiant <code>{identifier}</code>").format(identifier=escape(kept))


def my_data(data: dict[str, Any]) -> str:
    """/mesdonnees: everything held about this Telegram user, in one message, never a secret or a hash."""
    lines = [_("🔒 <b>Ce que je garde sur vous</b>"), ""]
    for account in data["accounts"][:MY_DATA_ACCOUNTS]:
        fields = {"identifier": escape(account["identifier"]),
                  "name": escape(" ".join(p for p in (account["first_name"], account["last_name"]) if p)),
                  "state": _account_state(account["state"], account["activated_at"])}
        if account["email"]:
            lines.append(_("👤 <b>Compte ENT lié</b> : <code>{identifier}</code> ({name}), {state} ; adresse : "
                           "{email}.").format(email=escape(mask_email(account["email"])), **fields))
        else:
            lines.append(_("👤 <b>Compte ENT lié</b> : <code>{identifier}</code> ({name}), {state}.").format(**fields))
    if len(data["accounts"]) > MY_DATA_ACCOUNTS:
        more = len(data["accounts"]) - MY_DATA_ACCOUNTS
        lines.append(ngettext("👤 … et {n} autre compte ENT lié.", "👤 … et {n} autres comptes ENT liés.", more).format(
            n=more))
    progress = data["activation"]
    if progress is not None:
        step = where(progress["step"]) if progress["step"] in STEP_NUMBER else _("au début")
        email = (_(" ; adresse donnée : {email}").format(email=escape(mask_email(progress["email"])))
                 if progress["email"] else
                 _(" ; adresse : non donnée (recommandé)") if progress["email_skipped"] else "")
        lines.append(_("🔑 <b>Activation en cours</b> : {step}{identifier}{email} ; commencée le {started}, "
                       "dernière étape le {updated}.").format(
            step=escape(step), identifier=_typed_identifier(progress["identifier"]), email=email,
            started=moment(progress["started_at"]), updated=moment(progress["updated_at"])))
    recovery = data["recovery"]
    if recovery is not None:
        what = _("mot de passe oublié") if recovery["flow"] == "forgot" else _("test de connexion")
        lines.append(_("🔓 <b>En cours</b> : {what}{identifier}, le {when}.").format(
            what=what, identifier=_typed_identifier(recovery["identifier"]),
            when=moment(recovery["updated_at"])))
    subscription = data["subscription"]
    if subscription is not None:
        line = (_("📣 <b>Annonces</b> : abonné depuis le {when}.").format(
                    when=moment(subscription["subscribed_at"])) if subscription["active"] else
                _("📣 <b>Annonces</b> : désabonné le {when}.").format(
                    when=moment(subscription["unsubscribed_at"])))
        if data["deliveries"]:
            n = len(data["deliveries"])
            line += " " + ngettext("{n} annonce(s) reçue(s).", "{n} annonce(s) reçue(s).", n).format(n=n)
        lines.append(line)
    shown = data["tickets"][-MY_DATA_TICKETS:]  # the latest; Telegram takes 4096 characters at most
    if len(data["tickets"]) > len(shown):
        lines.append(_("💬 <b>Demandes au collège</b> : {total}, dont les {shown} dernières :").format(
            total=len(data["tickets"]), shown=len(shown)))
    for ticket in shown:
        n = len(ticket["messages"])
        opened = moment(ticket["opened_at"])
        if ticket["state"] == "open":
            line = ngettext("💬 <b>Demande n°{ticket_id}</b> : ouverte le {opened}, {n} message(s).",
                            "💬 <b>Demande n°{ticket_id}</b> : ouverte le {opened}, {n} message(s).", n)
        else:
            line = ngettext("💬 <b>Demande n°{ticket_id}</b> : ouverte le {opened}, close le {closed}, "
                            "{n} message(s).",
                            "💬 <b>Demande n°{ticket_id}</b> : ouverte le {opened}, close le {closed}, "
                            "{n} message(s).", n)
        closed = moment(ticket["closed_at"]) if ticket["closed_at"] else ""
        lines.append(line.format(ticket_id=ticket["id"], opened=opened, closed=closed, n=n))
    attempts = data["attempts"]
    if attempts is not None and attempts["last_failure_at"]:
        last = moment(attempts["last_failure_at"])
        lines.append(_("⛔ <b>Essais échoués</b> : dernier le {when}, bloqué jusqu'au {until}.").format(
            when=last, until=moment(attempts["locked_until"])) if attempts["locked_until"] else
            _("⛔ <b>Essais échoués</b> : dernier le {when}.").format(when=last))
    if data["audit"]:
        n = len(data["audit"])
        lines.append(ngettext("📒 <b>Journal de sécurité</b> : {n} ligne(s), la dernière le {when}.",
                              "📒 <b>Journal de sécurité</b> : {n} ligne(s), la dernière le {when}.", n).format(
            n=n, when=moment(data["audit"][-1]["at"])))
    if data.get("language"):
        chosen = data["language"]
        how = (_("choisie avec /langue") if chosen["source"] == "chosen" else
               _("celle de votre application Telegram"))
        lines.append(_("🌐 <b>Langue</b> : {language} ({how}), depuis le {when}.").format(
            language=NAMES.get(chosen["language"], chosen["language"]), how=how,
            when=moment(chosen["chosen_at"])))
    lines += ["", _("Jamais gardés en clair : vos mots de passe, vos réponses secrètes, les codes reçus."),
              _("Combien de temps : /confidentialite")]
    return "\n".join(lines)


def _numbers(tickets: list[int]) -> str:
    """Tickets by their numbers, as the staff group names them: « n°3, n°7 »."""
    return ", ".join(_("n°{ticket_id}").format(ticket_id=t) for t in tickets)


def my_data_by_school(schools: list[tuple[str, dict[str, Any]]]) -> str:
    """/mesdonnees with several schools: what the family has with each, by the school's name."""
    lines = [_("🏫 <b>Établissement par établissement</b>")]
    for name, held in schools:
        parts = []
        if held["accounts"]:
            parts.append(_("compte {identifiers}").format(
                identifiers=", ".join(f"<code>{escape(i)}</code>" for i in held["accounts"])))
        if held["subscribed"] is not None:
            parts.append(_("annonces : abonné") if held["subscribed"] else _("annonces : désabonné"))
        if held["tickets"]:
            shown = held["tickets"][-MY_DATA_TICKETS:]
            parts.append(ngettext("demande(s) {numbers}", "demande(s) {numbers}", len(shown)).format(
                numbers=_numbers(shown)))
        lines.append(_("• <b>{school}</b> : {held}.").format(
            school=escape(name), held="; ".join(parts) if parts else _("rien")))
    return "\n".join(lines)


def erased_text(removed: dict[str, int], tickets: list[int], unlinked: int, audit_lines: int, lock_kept: bool) -> str:
    """What erasing did and what it kept, said plainly."""
    done = []
    if removed.get("activation_progress") or removed.get("recovery_progress"):
        done.append(_("votre activation ou démarche en cours"))
    if removed.get("subscribers"):
        done.append(_("votre abonnement aux annonces"))
    if tickets:
        done.append(_("le contenu de vos demandes au collège ({numbers})").format(numbers=_numbers(tickets)))
    if unlinked:
        done.append(_("le lien entre votre compte Telegram et le compte ENT"))
    if removed.get("attempts"):
        done.append(_("vos essais échoués"))
    kept = []
    if unlinked:
        kept.append(_("le compte ENT reste activé (il appartient au collège) ; l'identifiant et le mot de passe "
                      "restent valables"))
    if audit_lines:
        kept.append(ngettext("le journal de sécurité garde ses {n} ligne(s), sans votre nom ni votre numéro Telegram",
                             "le journal de sécurité garde ses {n} ligne(s), sans votre nom ni votre numéro Telegram",
                             audit_lines).format(n=audit_lines))
    if tickets:
        kept.append(_("le numéro et les dates de vos demandes, sans leur contenu"))
    if lock_kept:
        kept.append(_(ATTEMPTS_KEPT))
    separator = "; "
    text = _("🗑 <b>C'est fait.</b> J'ai effacé : {done}.").format(
        done=separator.join(done) if done else _("vos données")) + "\n\n"
    if kept:
        text += _("Conservé : {kept}.").format(kept=separator.join(kept)) + "\n\n"
    return text + _("Si vous revenez, vous repartirez de zéro. Vos droits : /confidentialite")
