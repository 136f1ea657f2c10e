"""What staff and the DPO read of the families' data: the register, the shell's purge and erasure, in French."""

from __future__ import annotations

from conversations.texts.privacy import retention_items
from storage.privacy import Retention

# -- privacy: the DPO's register (article 30), `entbot privacy purge|erase`, the staff group's notes ------------

__all__ = [  # French only: staff and the DPO read them
    "ERASED_CONTENT",
    "TICKET_ERASED_IN_GROUP",
    "erasure_lines",
    "purge_lines",
    "register",
]

# What replaces an erased ticket's messages in the database: staff read it, in French.
ERASED_CONTENT = "effacé à la demande de la famille"
TICKET_ERASED_IN_GROUP = "🗑 Demande n°{ticket_id} : effacée à la demande de la famille (contenu supprimé)."


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
