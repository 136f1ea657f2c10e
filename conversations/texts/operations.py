"""What the IT referent reads: entbot doctor, chats, backup and restore, the /stats chart: French only."""

from __future__ import annotations

# -- the IT referent's tools: entbot doctor, chats, backup and restore; the /stats chart ----------------

__all__ = [  # what the package exports as it is (not translated)
    "ALREADY_RUNNING",
    "BACKUP_ONTO_DATABASE",
    "BOT_RUNNING",
    "CHART_CAPTION",
    "CHATS_CONFLICT",
    "CHATS_KEPT",
    "CHATS_LISTENING",
    "CHATS_NONE",
    "CHAT_KINDS",
    "DOCTOR_AFTER_TOKEN",
    "DOCTOR_ALL_OK",
    "DOCTOR_CHANNEL",
    "DOCTOR_CHANNEL_UNSET",
    "DOCTOR_CLOCK",
    "DOCTOR_CLOCK_UNKNOWN",
    "DOCTOR_DATABASE",
    "DOCTOR_DIRECTORY",
    "DOCTOR_HEADER",
    "DOCTOR_MAIL",
    "DOCTOR_MAIL_OFF",
    "DOCTOR_MAIL_TEST_BODY",
    "DOCTOR_MAIL_TEST_OFF",
    "DOCTOR_MAIL_TEST_SUBJECT",
    "DOCTOR_NO_ZONE",
    "DOCTOR_SCHOOL_DATA",
    "DOCTOR_SOME_FAILED",
    "DOCTOR_STAFF",
    "DOCTOR_STAFF_UNSET",
    "DOCTOR_TOKEN",
    "DOCTOR_TOKEN_MISSING",
    "DOCTOR_TOKEN_REFUSED",
    "POSTGRESQL_BACKUP",
    "RESTORE_DAMAGED",
    "RESTORE_ITSELF",
    "RESTORE_NOT_SQLITE",
    "RESTORE_TOO_NEW",
    "SCHOOLS_FILE_CHECK",
    "SCHOOLS_HEADER",
    "SCHOOLS_NO_TOKEN",
    "SCHOOLS_UNSET",
    "backup_done",
    "chat_id_answer",
    "chats_line",
    "doctor_channel_not_admin",
    "doctor_channel_not_channel",
    "doctor_channel_ok",
    "doctor_chat_unreachable",
    "doctor_clock_drift",
    "doctor_clock_ok",
    "doctor_database_ok",
    "doctor_database_read_only",
    "doctor_database_schema",
    "doctor_database_unreadable",
    "doctor_directory_ok",
    "doctor_mail_clear",
    "doctor_mail_connect",
    "doctor_mail_login",
    "doctor_mail_ok",
    "doctor_mail_refused",
    "doctor_mail_sent",
    "doctor_no_database",
    "doctor_not_member",
    "doctor_postgresql_ok",
    "doctor_postgresql_unreachable",
    "doctor_staff_cannot_post",
    "doctor_staff_link",
    "doctor_staff_not_group",
    "doctor_staff_ok",
    "doctor_staff_public",
    "doctor_stray_schools",
    "doctor_telegram_unreachable",
    "doctor_token_ok",
    "no_database_here",
    "privacy_export_written",
    "restore_done",
    "restore_refused",
    "school_required",
    "schools_file_ok",
]

DOCTOR_TOKEN = "Jeton Telegram"
DOCTOR_DATABASE = "Base de données"
DOCTOR_STAFF = "Groupe du secrétariat"
DOCTOR_CHANNEL = "Canal des annonces"
DOCTOR_MAIL = "Courriel"
DOCTOR_DIRECTORY = "Annuaire LDAP"
DOCTOR_CLOCK = "Horloge"
DOCTOR_HEADER = "Vérification de l'installation d'Assistant ENT"
SCHOOLS_HEADER = "Vérification des établissements (SCHOOLS_FILE)"
SCHOOLS_FILE_CHECK = "Fichier des établissements"
DOCTOR_SCHOOL_DATA = "Établissements de la base"


def doctor_stray_schools(strays: list[tuple[str, int]], example: str) -> str:
    """Accounts of UAIs the configuration does not list; how to give them to a school that it does."""
    listed = ", ".join(f"{n} compte(s) de l'UAI {uai}" for uai, n in strays)
    return (f"{listed}, absent(s) de la configuration : aucun personnel ne les voit. Si c'est le même établissement "
            f"sous un autre UAI : entbot schools move {strays[0][0]} {example} (bot arrêté), sinon ajoutez-le à "
            "SCHOOLS_FILE.")
SCHOOLS_NO_TOKEN = "TELEGRAM_BOT_TOKEN absent : groupes et canaux non vérifiés."
SCHOOLS_UNSET = ("SCHOOLS_FILE n'est pas défini : le bot sert un seul établissement, celui de SCHOOL_UAI, SCHOOL_NAME "
                 "et SCHOOL_CONTACT_EMAIL (entbot doctor le vérifie).")


def schools_file_ok(path: str, count: int, listed: str) -> str:
    return f"{path} : {count} établissement(s) valides ({listed})"
DOCTOR_ALL_OK = "Tout est prêt."
DOCTOR_SOME_FAILED = "{n} point(s) à corriger (✗) : faites ce qui est indiqué, puis relancez « entbot doctor »."
DOCTOR_TOKEN_MISSING = ("TELEGRAM_BOT_TOKEN vide : créez le bot avec @BotFather (/newbot) et copiez son jeton dans "
                        "le fichier .env")
DOCTOR_TOKEN_REFUSED = ("jeton refusé par Telegram : recopiez dans TELEGRAM_BOT_TOKEN le jeton exact donné par "
                        "@BotFather (/mybots → API Token)")
DOCTOR_AFTER_TOKEN = "non vérifié : corrigez d'abord le jeton"
DOCTOR_STAFF_UNSET = ("STAFF_CHAT_ID vide : ajoutez le bot au groupe du secrétariat, tapez /id dans le groupe "
                      "pendant « entbot chats --listen 120 », et copiez le numéro dans STAFF_CHAT_ID")
DOCTOR_CHANNEL_UNSET = "pas de canal (ANNONCES_CHANNEL_ID vide) : les annonces iront aux seules familles abonnées"
DOCTOR_MAIL_OFF = ("désactivé (SMTP_HOST vide) : les demandes restent dans Telegram et aucune adresse n'est "
                   "confirmée par code")
DOCTOR_MAIL_TEST_OFF = "--mail-test demandé mais SMTP_HOST est vide : renseignez les réglages SMTP_* dans .env"
DOCTOR_MAIL_TEST_SUBJECT = "Assistant ENT : courriel de test"
DOCTOR_MAIL_TEST_BODY = ("Ce courriel a été envoyé par « entbot doctor --mail-test » pour vérifier l'envoi des "
                         "courriels d'Assistant ENT. Vous pouvez le supprimer.\n")
DOCTOR_NO_ZONE = ("fuseau Europe/Paris introuvable : installez le paquet tzdata (sudo apt install tzdata), "
                  "puis réinstallez le bot")
DOCTOR_CLOCK_UNKNOWN = "heure de Telegram inconnue (pas de réponse) : vérifiez la connexion du serveur à Internet"


def doctor_directory_ok(url: str, people: int) -> str:
    return f"{url} : connexion et authentification réussies, {people} personne(s) sous la base (entbot directory check)"


def doctor_token_ok(username: str) -> str:
    return f"accepté, le bot est @{username}"


def doctor_telegram_unreachable(api_url: str, error: str) -> str:
    return f"Telegram injoignable ({api_url} : {error}) : vérifiez la connexion du serveur à Internet"


def doctor_no_database(where: str) -> str:
    return (f"aucune base à {where} : lancez « entbot accounts import comptes.csv » ou « entbot run » depuis ce "
            "dossier, ou indiquez le bon dossier dans ENTBOT_DATA_DIR")


def doctor_database_read_only(where: str) -> str:
    return (f"{where} (ou son dossier) n'est pas modifiable par cet utilisateur : "
            "sudo chown -R entbot: sur le dossier des données")


def doctor_database_unreadable(where: str, error: str) -> str:
    return f"{where} illisible ({error}) : restaurez la dernière sauvegarde (entbot restore FICHIER)"


def doctor_postgresql_unreachable(where: str, error: str) -> str:
    return (f"PostgreSQL injoignable à {where} ({error}) : vérifiez que le serveur tourne, puis l'adresse, l'utilisateur "
            "et le mot de passe dans ENTBOT_DATABASE")


def doctor_postgresql_ok(where: str, version: int, size: int) -> str:
    return f"PostgreSQL à {where}, schéma {version} à jour, {_size(size)}"


def doctor_database_schema(where: str, version: int, latest: int) -> str:
    if version > latest:
        return (f"{where} est au schéma {version}, plus récent que ce programme ({latest}) : "
                "mettez le programme à jour")
    return f"{where} est au schéma {version}, le programme au {latest} : lancez « entbot run » une fois pour la mettre à jour"


def _size(size: int) -> str:
    return f"{size / 1024:.0f} Ko" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} Mo"


def doctor_database_ok(where: str, version: int, size: int) -> str:
    return f"{where}, modifiable, schéma {version} à jour, {_size(size)}"


def doctor_chat_unreachable(chat_id: int, error: str) -> str:
    return (f"le bot ne voit pas la conversation {chat_id} ({error}) : ajoutez-y le bot, ou corrigez le numéro "
            "(entbot chats --listen 120)")


def doctor_not_member(title: str) -> str:
    return f"le bot n'est pas membre de « {title} » : ajoutez-le au groupe (Ajouter des membres → le nom du bot)"


def doctor_staff_not_group(chat_id: int) -> str:
    return f"{chat_id} n'est pas un groupe : mettez dans STAFF_CHAT_ID le numéro du groupe du secrétariat"


def doctor_staff_cannot_post(title: str) -> str:
    return f"le bot ne peut pas écrire dans « {title} » : autorisez les messages des membres, ou faites du bot un administrateur"


def doctor_staff_public(title: str, username: str) -> str:
    return (f"« {title} » est public (@{username}) : n'importe qui pourrait y entrer et devenir secrétaire ; "
            "rendez le groupe privé (Modifier → Type de groupe → Privé)")


def doctor_staff_link(title: str) -> str:
    return (f"« {title} » a un lien d'invitation visible du bot : quiconque l'a reçu peut entrer et devenir "
            "secrétaire ; révoquez le lien (Modifier → Invitations) ou retirez au bot le droit d'inviter")


def doctor_staff_ok(title: str, chat_id: int) -> str:
    return f"« {title} » ({chat_id}), le bot y écrit, groupe privé sans lien visible"


def doctor_channel_not_channel(chat_id: int) -> str:
    return f"{chat_id} n'est pas un canal : mettez dans ANNONCES_CHANNEL_ID le numéro du canal des annonces"


def doctor_channel_not_admin(title: str) -> str:
    return (f"le bot n'est pas administrateur de « {title} » avec le droit de publier : ajoutez-le comme "
            "administrateur (Publier des messages)")


def doctor_channel_ok(title: str, chat_id: int) -> str:
    return f"« {title} » ({chat_id}), le bot y publie"


def doctor_mail_connect(where: str, error: str) -> str:
    return (f"connexion impossible à {where} ({error}) : vérifiez SMTP_HOST, SMTP_PORT et SMTP_SECURITY, "
            "et que le pare-feu laisse sortir ce port")


def doctor_mail_clear(where: str) -> str:
    return (f"{where} sans chiffrement (SMTP_SECURITY=none) : le mot de passe passerait en clair sur le réseau ; "
            "mettez SMTP_SECURITY=starttls (port 587) ou tls (port 465)")


def doctor_mail_login(where: str, username: str) -> str:
    return f"{where} refuse l'identification de « {username} » : vérifiez SMTP_USERNAME et SMTP_PASSWORD"


def doctor_mail_refused(where: str, error: str) -> str:
    return f"{where} refuse le courriel de test ({error}) : vérifiez MAIL_FROM, et que le serveur accepte cette adresse"


def doctor_mail_ok(where: str, login: bool) -> str:
    return f"{where} : connexion" + (", identification" if login else "") + " réussies (aucun courriel envoyé)"


def doctor_mail_sent(where: str, address: str) -> str:
    return f"{where} : courriel de test remis au serveur pour {address}"


def doctor_clock_ok(shown: str, drift: int) -> str:
    return f"{shown} (heure de Paris), écart avec Telegram : {drift} s"


def doctor_clock_drift(shown: str, drift: int) -> str:
    return (f"{shown} (heure de Paris), mais {drift:+d} s d'écart avec Telegram : mettez l'heure à jour "
            "(sudo timedatectl set-ntp true)")


POSTGRESQL_BACKUP = ("la base est sur PostgreSQL (ENTBOT_DATABASE) : sauvegardez-la et restaurez-la avec les outils de "
                     "PostgreSQL (pg_dump, pg_restore), comme le reste du serveur.")


def no_database_here(where: str) -> str:
    return (f"aucune base de données à {where}. Lancez la commande depuis le dossier du bot, ou indiquez le dossier "
            "des données dans ENTBOT_DATA_DIR (par défaut : data/ dans le dossier courant). Seules « entbot run » et "
            "« entbot accounts import » créent la base.")


def school_required(listed: str) -> str:
    """A command about one school's data, without --school, on a deployment of several."""
    return (f"précisez l'établissement avec --school UAI : cette installation en sert plusieurs ({listed}). "
            "Rien n'a été fait.")


CHATS_LISTENING = ("À l'écoute pendant {seconds} s. Tapez /id dans le groupe du secrétariat et dans le canal (le bot "
                   "doit y être ajouté), ou écrivez au bot en privé. Ctrl-C pour arrêter.")
CHATS_CONFLICT = "le bot tourne déjà (entbot run) : arrêtez-le d'abord (sudo systemctl stop entbot), puis relancez."
CHATS_NONE = "Aucun message reçu. Le bot est-il bien dans le groupe ou le canal ?"
CHATS_KEPT = ("Ces messages restent en attente : le bot les traitera à son prochain démarrage.")
CHAT_KINDS = {"private": "privé", "group": "groupe", "supergroup": "groupe", "channel": "canal"}


def chats_line(kind: str, title: str, chat_id: int, sender: int | None) -> str:
    who = f"expéditeur {sender}" if sender is not None else "expéditeur : le canal"
    return f"{CHAT_KINDS.get(kind, kind):<7} « {title} »  identifiant {chat_id}  {who}"


def chat_id_answer(chat_id: int, user: int) -> str:
    return f"Identifiant de cette conversation : <code>{chat_id}</code>\nVotre identifiant : <code>{user}</code>"


BOT_RUNNING = ("le bot tourne sur cette base ({where}) : arrêtez-le d'abord (sudo systemctl stop entbot), "
               "restaurez, puis redémarrez-le.")
ALREADY_RUNNING = "un autre « entbot run » utilise déjà la base {where} : un seul à la fois."


BACKUP_ONTO_DATABASE = "la sauvegarde ne peut pas remplacer la base elle-même : donnez un autre nom de fichier."
RESTORE_ITSELF = "ce fichier est la base en service elle-même : donnez le fichier de la sauvegarde."


def backup_done(path: str, size: int) -> str:
    return f"Sauvegarde écrite : {path} ({_size(size)})."


def privacy_export_written(path: str, telegram_user_id: int) -> str:
    return (f"Données de l'utilisateur Telegram {telegram_user_id} écrites dans {path} (lisible par vous seul) : "
            "transmettez-les à la personne, puis effacez le fichier.")


def restore_refused(path: str, reason: str) -> str:
    return f"{path} ne peut pas être restauré : {reason}. Rien n'a été changé."


RESTORE_NOT_SQLITE = "ce n'est pas une base d'Assistant ENT"
RESTORE_DAMAGED = "le fichier est abîmé (contrôle d'intégrité : {detail})"
RESTORE_TOO_NEW = "sauvegarde au schéma {version}, plus récent que ce programme ({latest}) : mettez le programme à jour"


def restore_done(path: str, where: str, previous: str | None) -> str:
    kept = f" L'ancienne base est gardée dans {previous}." if previous else ""
    return f"{path} restaurée dans {where}.{kept} Vous pouvez redémarrer le bot (sudo systemctl start entbot)."


CHART_CAPTION = "📊 Le graphique des activations"


