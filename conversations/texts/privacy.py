"""The family's data and rights (RGPD), and the DPO's register."""

from __future__ import annotations

from html import escape
from typing import Any

from conversations.texts.activation import STEP_NUMBER, where
from conversations.texts.common import WHEN, paris
from storage.privacy import Retention

# -- privacy: the family's data and rights (RGPD), the DPO's register ------------------------------

__all__ = [  # what the package exports as it is (not translated)
    "ATTEMPTS_KEPT",
    "ERASED_CONTENT",
    "MY_DATA_ERASE_BUTTON",
    "MY_DATA_ERASE_CANCELLED",
    "MY_DATA_ERASE_CONFIRM",
    "MY_DATA_ERASE_NO",
    "MY_DATA_ERASE_YES",
    "MY_DATA_NOTHING_HELD",
    "MY_DATA_NOTHING_TO_ERASE",
    "MY_DATA_TICKETS",
    "PRIVACY_COMMANDS",
    "PRIVACY_LINE",
    "TELEGRAM_TRANSFER",
    "TICKET_ERASED_IN_GROUP",
    "duration",
    "erased_text",
    "erasure_lines",
    "mask_email",
    "my_data",
    "my_data_by_school",
    "privacy_controllers",
    "privacy_notice",
    "purge_lines",
    "register",
    "retention_items",
]

PRIVACY_COMMANDS = {"mesdonnees": "Mes données : voir ou effacer", "confidentialite": "Protection de mes données"}
PRIVACY_LINE = "\n\n🔒 Ce que je garde sur vous, combien de temps, et vos droits : /confidentialite"
ERASED_CONTENT = "effacé à la demande de la famille"
MY_DATA_ERASE_BUTTON = "🗑 Effacer mes données"
MY_DATA_ERASE_YES = "🗑 Oui, tout effacer"
MY_DATA_ERASE_NO = "↩ Non, garder"
MY_DATA_ERASE_CONFIRM = ("⚠️ <b>Effacer vos données ?</b>\n\nJe supprimerai votre activation en cours, votre abonnement aux "
                 "annonces, le contenu de vos demandes au collège et le lien entre votre compte Telegram et le compte "
                 "ENT. C'est définitif.\n\nCe qui est conservé (obligation du collège) : un compte déjà activé reste "
                 "activé, le journal de sécurité garde ses lignes, sans votre nom ni votre numéro Telegram, et vos "
                 "essais échoués récents restent comptés (ils protègent les comptes).")
MY_DATA_ERASE_CANCELLED = "Rien n'a été effacé. Vos données restent telles qu'elles étaient (/mesdonnees pour les revoir)."
MY_DATA_NOTHING_HELD = ("🔒 Je ne garde rien sur vous en ce moment : ni activation en cours, ni abonnement, ni demande au "
                "collège.\n\nPour savoir ce que je garderais et combien de temps : /confidentialite")
MY_DATA_NOTHING_TO_ERASE = "Il n'y avait rien à effacer : je ne garde rien sur vous."
TICKET_ERASED_IN_GROUP = "🗑 Demande n°{ticket_id} : effacée à la demande de la famille (contenu supprimé)."

# Telegram carries every message: plain words, as article 13 asks.
TELEGRAM_TRANSFER = ("Telegram transporte les messages entre vous et le collège. Telegram est une société établie hors "
                     "de l'Union européenne (à Dubaï) : vos messages passent par ses serveurs, sous ses propres règles "
                     "de confidentialité (telegram.org/privacy).")


def duration(days: int) -> str:
    """A retention in words: 365 days is a year, 0 is the next night."""
    if days == 0:
        return "jusqu'à la nuit suivante"
    if days % 365 == 0:
        years = days // 365
        return f"{years} an" + ("s" if years > 1 else "")
    return f"{days} jour" + ("s" if days > 1 else "")


def retention_items(r: Retention, family: bool = True) -> list[tuple[str, str]]:
    """(what is kept, for how long), generated from the settings: the notice and the register never go stale.

    `family`: addressed to the family (the notice), else about families (the register).
    """
    given = "si vous l'avez donnée" if family else "si la famille l'a donnée"
    requests = "vos demandes au collège" if family else "les demandes d'aide des familles"
    subscription = "votre abonnement aux annonces" if family else "l'abonnement d'un parent aux annonces"
    subscribed = "tant que vous êtes abonné" if family else "tant que le parent est abonné"
    return [
        ("une activation, un mot de passe oublié ou un test de connexion laissés en cours (identifiant tapé, étape, "
         f"adresse électronique {given})", f"{duration(r.progress_days)} après la dernière étape"),
        ("les essais échoués et les blocages après trop d'essais",
         f"{duration(r.attempts_days)} après le dernier essai, une fois le blocage levé"),
        ("le journal de sécurité (qui a activé, testé, réinitialisé quel compte, et quand)", duration(r.audit_days)),
        ("les codes envoyés par courriel : l'envoi (adresse, date), le code lui-même effacé dès que le serveur de "
         "courriel l'a pris", duration(r.tickets_days)),
        (f"{requests} (messages, photos, leur courriel, leurs copies dans le groupe du personnel)",
         f"{duration(r.tickets_days)} après leur clôture"),
        ("les annonces reçues (date d'envoi)", duration(r.notices_days)),
        (f"{subscription} (prénom Telegram)",
         f"{subscribed}, puis " + ("effacé la nuit suivante" if r.unsubscribed_days == 0 else
                                   f"{duration(r.unsubscribed_days)} après le désabonnement")),
        ("un compte activé : identifiant, date d'activation, acceptation de la charte (les mots de passe et réponses "
         "ne sont gardés que sous forme d'empreinte irréversible, jamais lisibles)",
         "tant que le collège garde le compte"),
    ]


def privacy_notice(school: str, contact_email: str, postal_address: str | None, dpo: str | None,
                   r: Retention, controller: str | None = None) -> str:
    """/confidentialite: the information article 13 of the RGPD asks for, short. `controller`: who is responsible,
    when it is not the one school given (privacy_controllers)."""
    kept = "\n".join(f"• {escape(what)} : <b>{escape(how_long)}</b>" for what, how_long in retention_items(r))
    address = f"{escape(contact_email)}" + (f", {escape(postal_address)}" if postal_address else "")
    return ("🔒 <b>Vos données personnelles</b>\n\n"
            + (f"<b>Responsable</b> : {controller}." if controller else
               f"<b>Responsable</b> : le {escape(school)} ({address}).")
            + (f" Délégué à la protection des données : {escape(dpo)}." if dpo else "") + "\n\n"
            "<b>Pourquoi</b> : vous aider à activer votre compte ENT et à joindre le collège, et vous envoyer ses "
            "annonces si vous le demandez. Base légale : la mission de service public du collège.\n\n"
            f"<b>Ce qui est gardé, et combien de temps</b> :\n{kept}\n"
            "Vos mots de passe et réponses secrètes ne sont jamais gardés en clair, et vos messages qui en contiennent "
            "sont effacés de la conversation.\n\n"
            "<b>Qui les reçoit</b> : seulement le personnel du collège chargé de l'ENT et de l'accueil (secrétariat, "
            f"référent numérique). {TELEGRAM_TRANSFER}\n\n"
            "<b>Vos droits</b> : voir vos données, les faire corriger ou effacer, vous opposer. Ici : /mesdonnees "
            "(voir et effacer). Après un effacement restent seulement l'activation du compte (elle appartient au "
            "collège), le journal de sécurité sans votre nom ni votre numéro Telegram, les essais échoués qui "
            "comptent encore pour un blocage (24 heures) et un blocage en cours, les codes demandés par courriel "
            "dans la journée (leur nombre seulement), et pour 2 jours au plus un message à secret encore à effacer "
            "de notre conversation. "
            + (f"Ou écrivez au collège : {address}." if controller is None else
               "Ou écrivez à votre établissement (son adresse est ci-dessus, ou sur le courrier qu'il vous a remis).")
            + " Si vous estimez vos droits mal respectés, "
            "vous pouvez saisir la CNIL (cnil.fr/plaintes).")


def privacy_controllers(schools: list[tuple[str, str]]) -> str:
    """With several schools: the family's schools (name, contact address), each for what concerns it; or, for a
    family the bot does not know yet, its child's school; the ENT's operator runs the bot for them."""
    if not schools:
        return ("l'établissement de votre enfant, dont l'adresse est sur le courrier qu'il vous a remis "
                "(l'opérateur de l'ENT fait fonctionner ce bot pour lui)")
    return ("chacun de vos établissements, pour ce qui le concerne : "
            + " ; ".join(f"le {escape(name)} ({escape(contact)})" for name, contact in schools)
            + " (l'opérateur de l'ENT fait fonctionner ce bot pour eux)")


def mask_email(email: str) -> str:
    """j•••@exemple.fr: enough for the parent to recognise it, not for someone reading over a shoulder."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else "•••"


MY_DATA_TICKETS = 15


def _typed_identifier(kept: str | None) -> str:
    if not kept:
        return ""
    if kept.startswith("#"):  # storage.accounts.UNKNOWN_MARK: what is kept of an identifier that named no account
        return ", un identifiant qui ne correspond à aucun compte (gardé sous une forme illisible)"
    return f", identifiant <code>{escape(kept)}</code>"


def my_data(data: dict[str, Any]) -> str:
    """/mesdonnees: everything held about this Telegram user, in one message, never a secret or a hash."""
    lines = ["🔒 <b>Ce que je garde sur vous</b>", ""]
    for account in data["accounts"]:
        state = {"active": "activé", "pending": "pas encore activé", "reset": "réinitialisé"}.get(account["state"],
                                                                                                   account["state"])
        lines.append(f"👤 <b>Compte ENT lié</b> : <code>{escape(account['identifier'])}</code> "
                     f"({escape(' '.join(p for p in (account['first_name'], account['last_name']) if p))}), {state}"
                     + (f" le {paris(account['activated_at'], WHEN)}" if account["activated_at"] else "")
                     + (f" ; adresse : {escape(mask_email(account['email']))}" if account["email"] else "") + ".")
    progress = data["activation"]
    if progress is not None:
        step = where(progress["step"]) if progress["step"] in STEP_NUMBER else "au début"
        email = (f" ; adresse donnée : {escape(mask_email(progress['email']))}" if progress["email"]
                 else " ; adresse : non donnée (recommandé)" if progress["email_skipped"] else "")
        lines.append(f"🔑 <b>Activation en cours</b> : {escape(step)}"
                     + _typed_identifier(progress["identifier"])
                     + f"{email} ; commencée le {paris(progress['started_at'], WHEN)}, "
                     f"dernière étape le {paris(progress['updated_at'], WHEN)}.")
    recovery = data["recovery"]
    if recovery is not None:
        what = "mot de passe oublié" if recovery["flow"] == "forgot" else "test de connexion"
        lines.append(f"🔓 <b>En cours</b> : {what}"
                     + _typed_identifier(recovery["identifier"])
                     + f", le {paris(recovery['updated_at'], WHEN)}.")
    subscription = data["subscription"]
    if subscription is not None:
        lines.append("📣 <b>Annonces</b> : " + (
            f"abonné depuis le {paris(subscription['subscribed_at'], WHEN)}" if subscription["active"]
            else f"désabonné le {paris(subscription['unsubscribed_at'], WHEN)}") + "."
            + (f" {len(data['deliveries'])} annonce(s) reçue(s)." if data["deliveries"] else ""))
    shown = data["tickets"][-MY_DATA_TICKETS:]  # the latest; Telegram takes 4096 characters at most
    if len(data["tickets"]) > len(shown):
        lines.append(f"💬 <b>Demandes au collège</b> : {len(data['tickets'])}, dont les {len(shown)} dernières :")
    for ticket in shown:
        state = (f"ouverte le {paris(ticket['opened_at'], WHEN)}" if ticket["state"] == "open" else
                 f"ouverte le {paris(ticket['opened_at'], WHEN)}, close le {paris(ticket['closed_at'], WHEN)}")
        lines.append(f"💬 <b>Demande n°{ticket['id']}</b> : {state}, {len(ticket['messages'])} message(s).")
    attempts = data["attempts"]
    if attempts is not None and attempts["last_failure_at"]:
        lines.append(f"⛔ <b>Essais échoués</b> : dernier le {paris(attempts['last_failure_at'], WHEN)}"
                     + (f", bloqué jusqu'au {paris(attempts['locked_until'], WHEN)}" if attempts["locked_until"] else "")
                     + ".")
    if data["audit"]:
        lines.append(f"📒 <b>Journal de sécurité</b> : {len(data['audit'])} ligne(s), la dernière le "
                     f"{paris(data['audit'][-1]['at'], WHEN)}.")
    lines += ["", "Jamais gardés en clair : vos mots de passe, vos réponses secrètes, les codes reçus.",
              "Combien de temps : /confidentialite"]
    return "\n".join(lines)


def my_data_by_school(schools: list[tuple[str, dict[str, Any]]]) -> str:
    """/mesdonnees with several schools: what the family has with each, by the school's name."""
    lines = ["🏫 <b>Établissement par établissement</b>"]
    for name, held in schools:
        parts = []
        if held["accounts"]:
            parts.append("compte " + ", ".join(f"<code>{escape(i)}</code>" for i in held["accounts"]))
        if held["subscribed"] is not None:
            parts.append("annonces : " + ("abonné" if held["subscribed"] else "désabonné"))
        if held["tickets"]:
            parts.append("demande(s) n°" + ", n°".join(str(t) for t in held["tickets"][-MY_DATA_TICKETS:]))
        lines.append(f"• <b>{escape(name)}</b> : " + ("; ".join(parts) if parts else "rien") + ".")
    return "\n".join(lines)


# What an erasure keeps of the failed attempts, and why (also in the notice and the register).
ATTEMPTS_KEPT = ("vos essais échoués des dernières 24 heures et un blocage en cours : ils protègent les comptes ENT "
                 "contre qui voudrait deviner un mot de passe, et comptent comme si rien n'avait été effacé")


def erased_text(removed: dict[str, int], tickets: list[int], unlinked: int, audit_lines: int, lock_kept: bool) -> str:
    """What erasing did and what it kept, said plainly."""
    done = []
    if removed.get("activation_progress") or removed.get("recovery_progress"):
        done.append("votre activation ou démarche en cours")
    if removed.get("subscribers"):
        done.append("votre abonnement aux annonces")
    if tickets:
        done.append(f"le contenu de vos demandes au collège (n°{', n°'.join(str(t) for t in tickets)})")
    if unlinked:
        done.append("le lien entre votre compte Telegram et le compte ENT")
    if removed.get("attempts"):
        done.append("vos essais échoués")
    kept = []
    if unlinked:
        kept.append("le compte ENT reste activé (il appartient au collège) ; l'identifiant et le mot de passe "
                    "restent valables")
    if audit_lines:
        kept.append(f"le journal de sécurité garde ses {audit_lines} ligne(s), sans votre nom ni votre numéro "
                    "Telegram")
    if tickets:
        kept.append("le numéro et les dates de vos demandes, sans leur contenu")
    if lock_kept:
        kept.append(ATTEMPTS_KEPT)
    return ("🗑 <b>C'est fait.</b> J'ai effacé : " + ("; ".join(done) if done else "vos données") + ".\n\n"
            + ("Conservé : " + "; ".join(kept) + ".\n\n" if kept else "")
            + "Si vous revenez, vous repartirez de zéro. Vos droits : /confidentialite")


def purge_lines(removed: dict[str, int], deleted: int, left: list[tuple[int, int, int, str]]) -> list[str]:
    """`entbot privacy purge`: what was removed, table by table."""
    lines = [f"  {table:<22} {count} ligne(s) supprimée(s)" for table, count in removed.items()]
    lines.append(f"  copies dans le groupe du personnel : {deleted} supprimée(s), {len(left)} impossible(s)")
    lines += [f"    à supprimer à la main : groupe {chat}, message {message} (demande n°{ticket}) — {why}"
              for chat, message, ticket, why in left]
    return ["Purge selon les durées de conservation :", *lines]


def register(school: str, contact_email: str, postal_address: str | None, dpo: str | None, r: Retention,
             directory: str, smtp_host: str | None, staff_group: bool, channel: bool, today: str,
             shared: bool = False) -> str:
    """`entbot privacy register`: the record of processing (article 30 of the RGPD), in Markdown. `shared`: one
    school's record in a deployment the ENT's operator runs for several: the school's head is the controller, the
    operator a processor (article 28)."""
    kept = "\n".join(f"| {what} | {how_long} |" for what, how_long in retention_items(r, family=False))
    address = contact_email + (f", {postal_address}" if postal_address else "")
    server = "de l'opérateur de l'ENT" if shared else "du collège"
    where = (f"l'annuaire LDAP de l'ENT (comptes) et un fichier SQLite sur le serveur {server} (le reste)"
             if directory == "ldap" else f"un fichier SQLite sur le serveur {server}")
    controller = (f"- **Organisme** : {school}, représenté par son chef d'établissement" if shared
                  else f"- **Organisme** : {school}")
    processor = ("""

## Sous-traitant (article 28 du RGPD)

- **L'opérateur de l'ENT**, qui exploite cette installation du bot pour plusieurs établissements : il
  l'héberge, la sauvegarde et la met à jour, sur instruction du chef d'établissement et pour les seules
  finalités ci-dessous ; il ne consulte pas les données des familles.
- Les données de chaque établissement sont séparées : le personnel d'un établissement ne voit que les
  comptes, demandes et annonces du sien.""" if shared else "")
    recipients = ["les personnels du collège désignés (secrétariat, référent numérique)"
                  + (", dans un groupe Telegram réservé" if staff_group else ", en conversation privée avec le bot")]
    if smtp_host:
        recipients.append(f"la boîte du collège {contact_email} (copie des demandes d'aide)")
    if channel:
        recipients.append("le canal d'annonces du collège (annonces seulement, aucune donnée de famille)")
    return f"""# Registre des activités de traitement — Assistant ENT

*Article 30 du RGPD. Fiche générée le {today} à partir de la configuration de cette installation.*

## Responsable du traitement

{controller}
- **Contact** : {address}
- **Délégué à la protection des données** : {dpo or "à compléter (DPO de l'académie)"}{processor}

## Finalités

- Accompagner les familles (parents et élèves) dans l'activation de leur compte ENT, pas à pas.
- Permettre aux familles de joindre le collège (demandes d'aide) et au personnel de leur répondre.
- Diffuser les annonces du collège aux familles qui s'y abonnent.

## Base légale

Mission d'intérêt public dont est investi l'établissement (article 6.1.e du RGPD) ; l'abonnement aux
annonces repose sur la demande de la famille, qui peut l'arrêter à tout moment.

## Catégories de personnes concernées

- Familles : parents (responsables légaux) et élèves du collège qui utilisent le bot.
- Personnels du collège qui répondent aux demandes ou publient des annonces.

## Catégories de données

- Identification : identifiant ENT, nom, prénom, profil, classe (fichier du collège) ; numéro, prénom et nom
  d'utilisateur Telegram.
- Activation : étape atteinte, acceptation de la charte (version, date), adresse électronique si la famille
  la donne (déconseillé), numéros des questions secrètes.
- Secrets (jamais en clair) : mot de passe provisoire, mot de passe choisi, réponses secrètes, codes de
  confirmation, conservés uniquement sous forme d'empreinte Argon2id.
- Demandes d'aide : messages, photos et documents envoyés au collège, réponses du personnel.
- Annonces : abonnement, remise de chaque annonce.
- Sécurité : essais échoués, blocages, journal des actions (activation, test, réinitialisation, déblocage).

Aucune donnée sensible (article 9) n'est demandée.

## Destinataires

{chr(10).join(f"- {line}" for line in recipients)}

## Transferts hors de l'Union européenne

Telegram (Telegram FZ-LLC, Dubaï, Émirats arabes unis) transporte les messages entre les familles, le bot et
le personnel : c'est une société établie hors de l'Union européenne, sans décision d'adéquation, qui
traite ces messages sous ses propres règles (telegram.org/privacy). Les familles en sont informées
(/confidentialite) ; le bot ne demande jamais de donnée sensible et efface de la conversation les
messages qui contiennent un secret.

## Durées de conservation

| Données | Durée |
|---|---|
{kept}

Une tâche efface chaque nuit (03:30) ce qui a dépassé sa durée ; `entbot privacy purge` le fait à la demande.
Les copies des demandes dans le groupe du personnel sont supprimées avec elles quand Telegram le permet
(48 heures après leur envoi au plus) ; les autres sont listées pour être supprimées à la main.

## Droits des personnes

Accès et effacement dans Telegram (/mesdonnees), ou par écrit au collège ({address}) :
`entbot privacy export NUMERO_TELEGRAM` et `entbot privacy erase NUMERO_TELEGRAM`. Réclamation auprès de la
CNIL (cnil.fr/plaintes).

Un effacement garde, le temps qu'ils comptent, les essais échoués et les blocages de cet utilisateur
Telegram (24 heures sans essai, puis la durée de conservation des essais) et les codes qu'il a demandés
par courriel dans la journée (nombre et compte, jamais le code ni l'adresse) : ils protègent les comptes
des familles contre qui voudrait deviner un mot de passe ou remplir leur boîte de codes, et un effacement
ne doit pas les remettre à zéro (mission d'intérêt public, article 17.3.b du RGPD). Le courriel en
attente d'envoi est effacé par l'utilisateur qui l'a fait envoyer, jamais par l'adresse du destinataire.

## Mesures de sécurité

- Hébergement : {where}.
- Secrets hachés avec Argon2id (argon2-cffi, au moins m = 19 Mio, t = 2, p = 1), jamais écrits en clair dans
  la base, les journaux ou la conversation ; les messages qui en contiennent sont effacés de la conversation.
- Essais limités par compte et par utilisateur Telegram, avec blocage croissant.
- Journal de sécurité (audit) de chaque action sur un compte, sans secret.
- Effacement des données au terme de leur durée ; les données supprimées sont écrasées dans le fichier
  (SQLite secure_delete).
- Accès du personnel limité aux personnes désignées (STAFF_USER_IDS, groupe du personnel).
""" + (f"- Courriel : par le serveur {smtp_host}, copie des demandes à la seule boîte du collège.\n" if smtp_host
       else "- Courriel : désactivé, les demandes restent dans Telegram.\n")


def erasure_lines(telegram_user_id: int, removed: dict[str, int], tickets: list[int], unlinked: list[int],
                  audit_lines: int, lock_kept: bool, copies_left: int) -> list[str]:
    """`entbot privacy erase`: what was erased for this Telegram user, and what was kept."""
    lines = [f"Données de l'utilisateur Telegram {telegram_user_id} effacées :"]
    lines += [f"  {table:<22} {count} ligne(s) supprimée(s)" for table, count in removed.items() if count]
    if tickets:
        lines.append(f"  demandes n°{', n°'.join(str(t) for t in tickets)} : contenu remplacé par « {ERASED_CONTENT} », closes")
    if unlinked:
        lines.append(f"  {len(unlinked)} compte(s) ENT détaché(s) de ce compte Telegram (l'activation reste)")
    lines.append(f"Conservé : {audit_lines} ligne(s) du journal de sécurité, sans le numéro Telegram"
                 + ("; les essais échoués qui comptent encore (24 heures) et un blocage en cours" if lock_kept
                    else "") + ".")
    if copies_left:
        lines.append(f"{copies_left} copie(s) dans le groupe du personnel à supprimer à la main "
                     "(entbot privacy purge les liste).")
    return lines
