"""`entbot`: run the bot, and the IT referent's account tools, with one clear line on any error."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import logging
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, TelegramError

from bot import doctor
from bot.console import fail
from bot.importing import import_file
from bot.settings import Settings, SettingsError, load
from conversations import form_texts, texts
from conversations.privacy import copy_deleter
from i18n import MissingCatalog, check_catalogs
from storage import backup as backups
from storage.accounts import Account, DirectoryUnavailable, identifier_key
from storage.db import DatabaseTooNew
from storage.ldap_directory import DirectoryProblem, check_directory
from storage.privacy import DeleteCopy
from storage.private_files import write_private
from storage.schools import normal_uai, uai_problem
from storage.store import Store


async def _with_store(settings: Settings, action: Callable[[Store], Awaitable[int]]) -> int:
    store = Store(settings.database, ldap=settings.ldap, legacy_uai=settings.legacy_uai, url=settings.database_url)
    await store.open()
    try:
        return await action(store)
    finally:
        await store.close()


# -- entbot run ---------------------------------------------------------------------------------


def run(settings: Settings, webhook: bool = False) -> int:
    # The Application pulls in every dialogue and matplotlib (a second, and a cache folder): only for `run`.
    from bot.app import build_application, configure_logging, webhook_of
    from bot.webhook import NEEDS_URL, WebhookRefused
    from bot.webhook import run as run_webhook

    settings.require_token()
    if webhook and settings.webhook is None:
        return fail(NEEDS_URL)
    if not settings.school_list:  # a single school needs its address; SCHOOLS_FILE's schools have theirs
        settings.require_contact()
    try:  # every offered language's catalogs compiled (`make catalogs`): said now, not at a family's first message
        check_catalogs(settings.languages)
    except MissingCatalog as exc:
        return fail(str(exc))
    configure_logging(settings.log_level)
    # Held until the process ends: `entbot restore` and a second `entbot run` see the bot is running.
    lock = backups.DatabaseLock(settings.database)
    try:
        lock.acquire()
    except backups.Locked:
        return fail(texts.ALREADY_RUNNING.format(where=settings.database.resolve()))
    # Migrate (or refuse a newer file) before Telegram is contacted, so that the error is one line.
    asyncio.run(_with_store(settings, _noop))
    log_checks(asyncio.run(doctor.run_checks(settings, form=False)))  # the form checks itself once it listens
    app = build_application(settings, webhook=webhook)
    if webhook:
        try:
            run_webhook(app, webhook_of(app))
        except WebhookRefused as refused:
            return fail(str(refused), 1)
    else:
        if settings.webhook is not None:
            logging.getLogger("entbot").info("WEBHOOK_URL is set but `entbot run` has no --webhook: long polling, "
                                             "and Telegram's webhook is deleted")
        # PTB deletes any webhook first (getUpdates is refused while one is set): switching back needs nothing more.
        app.run_polling(allowed_updates=Update.ALL_TYPES, timeout=settings.poll_timeout, poll_interval=0.0)
    lock.release()
    return 0


def log_checks(checks: list[doctor.Check]) -> None:
    """`entbot doctor`'s checklist, once in the log at start: a failed line is a warning, the bot starts anyway."""
    log = logging.getLogger("entbot.doctor")
    for check in checks:
        log.log(logging.WARNING if check.ok is False else logging.INFO, "doctor: %s", check.line())


async def _noop(store: Store) -> int:
    return 0


# -- entbot accounts … -----------------------------------------------------------------------------


def shell_actor() -> str:
    """Who runs an `entbot accounts` command, for the audit trail: the login behind sudo, else the login."""
    import getpass

    try:
        login = os.environ.get("SUDO_USER") or getpass.getuser()
    except (KeyError, OSError):  # no login name for this uid (a container's bare uid)
        login = f"uid {os.getuid()}"
    return f"shell:{''.join(ch for ch in login if ch.isprintable())[:64]}"


def one_school(settings: Settings, raw: str | None) -> str:
    """The school a command acts for: --school (checked), required when the deployment has several schools; the
    single school's otherwise. Its audit rows name it."""
    uai = settings.require_school(raw)
    if uai is None and len(settings.school_uais) > 1:
        raise SettingsError(texts.school_required(", ".join(settings.school_uais)))
    return uai or settings.school_uais[0]


def _only(settings: Settings, uai: str) -> str | None:
    """The school to keep the accounts of: none with one school (every account is its)."""
    return uai if len(settings.school_uais) > 1 else None


async def _school_accounts(store: Store, only: str | None) -> list[Account]:
    return [a for a in await store.accounts.all() if only is None or only in a.schools]


async def _school_account(store: Store, identifier: str, only: str | None) -> Account | None:
    """The account, if it is the school's: another school's is told exactly as an unknown one."""
    account = await store.accounts.find(identifier)
    return account if account is not None and (only is None or only in account.schools) else None


async def _list(store: Store, uai: str, only: str | None) -> int:
    await store.audit.record(shell_actor(), "accounts_listed", uai=uai)
    accounts = await _school_accounts(store, only)
    steps = await store.progress.steps_by_account()
    locks = await store.attempts.running_locks("account")
    if not accounts:
        print("Aucun compte. Importez le fichier du collège : entbot accounts import comptes.csv")
        return 0
    print(f"{'identifiant':<28} {'nom':<28} {'classe':<8} {'état':<26} {'étape':<16} verrou")
    for account in accounts:
        until = locks.get(identifier_key(account.identifier))
        name = " ".join(p for p in (account.last_name, account.first_name) if p)
        print(f"{account.identifier:<28} {name:<28} {account.class_name or '':<8} "
              f"{texts.STATE_LABELS[account.state]:<26} {_step_short(steps.get(account.id)):<16} "
              f"{'jusqu’à ' + texts.paris(until) if until else ''}")
    print(f"{len(accounts)} compte(s)")
    return 0


def _step_short(step: str | None) -> str:
    return f"étape {texts.STEP_NUMBER[step]}/6" if step in texts.STEP_NUMBER else ""


async def _show(store: Store, identifier: str, uai: str, only: str | None) -> int:
    account = await _school_account(store, identifier, only)
    if account is None:
        return fail(f"aucun compte « {identifier} »", 1)
    await store.audit.record(shell_actor(), "account_viewed", account.id, uai=uai)
    lock = await store.attempts.account_state(identifier_key(account.identifier))
    steps = [p.step for p in await store.progress.touching(account.id, identifier_key(account.identifier))]
    print(f"Identifiant : {account.identifier}")
    print(f"Nom : {account.display_name}  Profil : {account.profile}  Classe : {account.class_name or '-'}")
    activated = f" (le {texts.paris(account.activated_at)})" if account.activated_at else ""
    print(f"État : {texts.STATE_LABELS[account.state]}{activated}")
    if account.dn is not None:  # read from the ENT's directory just now
        print(f"Annuaire : {account.dn} (profil {account.profile})")
    labels = [texts.step_label(step) for step in steps if step in texts.STEP_NUMBER]  # the labels of /compte
    print(f"Étape atteinte : {', '.join(labels) if labels else '-'}")
    print(f"CGU acceptées : {account.cgu_version or '-'}  Adresse : {account.email or '-'}")
    print(texts.lock_line(texts.paris(lock.until) if lock.until else None, lock.failing_users))
    events = await store.audit.for_account(account.id, uai=only)
    if events:
        print("Derniers événements :")
        for at, actor, event, detail in events:
            print(f"  {texts.paris(at)}  {texts.EVENT_LABELS.get(event, event)} ({texts.who(actor)})"
                  + (f"  {texts.event_detail(event, detail)}" if detail else ""))
    return 0


async def _reset(store: Store, identifier: str, uai: str, only: str | None) -> int:
    account = await _school_account(store, identifier, only)
    if account is None:
        return fail(f"aucun compte « {identifier} »", 1)
    if not account.is_family:
        return fail(f"le compte « {account.identifier} » n'est pas celui d'une famille (profil {account.profile} dans "
                    "l'annuaire de l'ENT) : le bot ne réinitialise que les comptes des parents et des élèves, "
                    "rien n'a été fait", 1)
    if account.state == "blocked":
        return fail(f"le compte « {account.identifier} » est bloqué dans l'annuaire de l'ENT : son déblocage relève "
                    "de l'administrateur de l'ENT, rien n'a été fait", 1)
    password = await store.reset(account, account.revision, shell_actor(), uai=uai)
    if password is None:
        return fail(f"le compte « {account.identifier} » a changé pendant la réinitialisation : relancez la commande", 1)
    print(f"Compte {account.identifier} ({account.display_name}) réinitialisé.")
    print(f"Nouveau mot de passe provisoire, à transmettre à la famille : {password}")
    print("Il n'est gardé nulle part en clair : notez-le maintenant. La famille choisira « Mon compte a été "
          "réinitialisé » dans le bot.")
    return 0


async def _unlock(store: Store, identifier: str, uai: str, only: str | None) -> int:
    account = await _school_account(store, identifier, only)
    if account is None:
        return fail(f"aucun compte « {identifier} »", 1)
    was_locked = await store.unlock(account, shell_actor(), uai=uai)
    print(f"Compte {account.identifier} débloqué." if was_locked else
          f"Le compte {account.identifier} n'était pas bloqué ; ses compteurs d'essais sont remis à zéro.")
    return 0


EXPORT_HEADER = ["identifiant", "nom", "prenom", "profil", "classe", "etat", "etape_en_cours", "bloque_jusqu_a",
                 "active_le", "version_cgu", "adresse_electronique_donnee"]


def _cell(value: str) -> str:
    # Excel runs a cell starting with = + - @ as a formula: a name cannot be allowed to.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


async def _export(store: Store, path: Path, uai: str, only: str | None) -> int:
    await store.audit.record(shell_actor(), "accounts_exported", None, str(path)[:200], uai=uai)
    accounts = await _school_accounts(store, only)
    steps = await store.progress.steps_by_account()
    locks = await store.attempts.running_locks("account")
    rows = [[account.identifier, account.last_name or "", account.first_name or "", account.profile,
             account.class_name or "", texts.STATE_LABELS[account.state],
             texts.step_label(steps[account.id]) if account.id in steps else "",
             texts.paris(until, texts.SHEET) if (until := locks.get(identifier_key(account.identifier))) else "",
             texts.paris(account.activated_at, texts.SHEET) if account.activated_at else "",
             account.cgu_version or "", "oui" if account.email else "non"] for account in accounts]
    sheet = io.StringIO()
    writer = csv.writer(sheet, delimiter=";", lineterminator="\r\n")
    writer.writerow(EXPORT_HEADER)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    try:
        # UTF-8 with its BOM and ';': what French Excel opens with accents and columns right.
        write_private(path, sheet.getvalue().encode("utf-8-sig"))
    except OSError as exc:
        return fail(f"impossible d'écrire {path} : {exc.strerror}")
    print(f"{len(rows)} compte(s) exporté(s) dans {path} (aucun secret).")
    return 0


async def _directory_check(settings: Settings) -> int:
    """Needs no database: it reads the directory only."""
    config = settings.ldap
    if config is None:
        return fail("DIRECTORY=sqlite : aucun annuaire LDAP configuré (DIRECTORY=ldap et LDAP_URL dans .env)", 1)
    try:
        figures = await check_directory(config)
    except DirectoryProblem as exc:
        return fail(f"annuaire {config.url} : {exc}", 1)
    total = sum(figures.values())
    print(f"Annuaire {config.url} : connexion et authentification de {config.bind_dn} réussies"
          f"{' (StartTLS)' if config.starttls else ''}.")
    print(f"{total} personne(s) sous {config.people_dn}, par état et profil :")
    for (state, profile), count in sorted(figures.items()):
        print(f"  {state:<10} {profile:<28} {count}")
    return 0


async def _stats(store: Store, settings: Settings, png: Path | None, uai: str) -> int:
    only = _only(settings, uai)
    school = settings.schools.get(uai) if only is not None else None  # several schools: SCHOOLS_FILE's, complete
    await store.audit.record(shell_actor(), "stats_viewed", uai=uai)
    for line in texts.stats_lines(await store.stats.summary(texts.PARIS, uai=only,
                                                           contact=school.contact_email if school else None)):
        print(line)
    if png is not None:
        from render import charts  # matplotlib loads in a second: only for the commands that draw

        figures = await store.stats.chart(texts.PARIS, texts.STEP_NUMBER, uai=only)
        image = await asyncio.to_thread(charts.render_png, figures, school.name if school else settings.school_name,
                                        store.clock.now().astimezone(texts.PARIS))
        try:
            await asyncio.to_thread(write_private, png, image)
        except OSError as exc:
            return fail(f"impossible d'écrire {png} : {exc.strerror}")
        print(f"Graphique écrit : {png}")
    return 0


# -- entbot doctor, chats, backup, restore ---------------------------------------------------------


def _checklist(header: str, checks: list[doctor.Check]) -> int:
    """doctor's and `schools check`'s way of saying it: a line a check, then all ready or how many failed."""
    print(header)
    for check in checks:
        print(check.line())
    failed = sum(c.ok is False for c in checks)
    print(texts.DOCTOR_SOME_FAILED.format(n=failed) if failed else texts.DOCTOR_ALL_OK)
    return 1 if failed else 0


def _doctor(settings: Settings, mail_test: str | None) -> int:
    return _checklist(texts.DOCTOR_HEADER, asyncio.run(doctor.run_checks(settings, mail_test)))


def _schools_move(settings: Settings, old: str, new: str) -> int:
    """Run with the bot stopped: its lock says whether it runs."""
    lock = backups.DatabaseLock(settings.database)
    try:
        lock.acquire()
    except backups.Locked:
        return fail("le bot tourne : arrêtez-le d'abord (sudo systemctl stop entbot), puis relancez la commande.", 1)
    try:
        return asyncio.run(_with_store(settings, lambda s: _move(s, old, new)))
    finally:
        lock.release()


async def _move(store: Store, old: str, new: str) -> int:
    moved = await store.move_school(old, new, shell_actor())
    print(f"{old} → {new} : {moved['account_schools']} compte(s), {moved['tickets']} demande(s), "
          f"{moved['notices']} annonce(s), {moved['letter_tokens']} lettre(s), {moved['subscriber_schools']} "
          "abonnement(s) rattaché(s) à l'établissement.")
    return 0


def _schools_check(settings: Settings) -> int:
    """The file was read whole by the settings (a mistake stops there, in one line); Telegram is asked the rest."""
    if not settings.school_list:
        print(texts.SCHOOLS_UNSET)
        return 0
    return _checklist(texts.SCHOOLS_HEADER, asyncio.run(doctor.check_schools(settings)))


async def _listen(settings: Settings, seconds: float) -> int:
    """Prints who writes where, without confirming the updates: `entbot run` still gets them all afterwards."""
    bot = Bot(settings.require_token(), base_url=settings.api_url)
    seen: set[int] = set()
    try:
        async with bot:
            print(texts.CHATS_LISTENING.format(seconds=int(seconds)), flush=True)
            deadline = time.monotonic() + seconds
            while (left := deadline - time.monotonic()) > 0:
                # No offset: Telegram keeps what is read here for the bot. Pending updates come back at once, so wait.
                updates = await bot.get_updates(timeout=int(min(left, 10)), read_timeout=min(left, 10) + 10,
                                                allowed_updates=Update.ALL_TYPES)
                fresh = [u for u in updates if u.update_id not in seen]
                for update in fresh:
                    seen.add(update.update_id)
                    message = update.effective_message
                    chat = update.effective_chat
                    if message is None or chat is None:
                        continue
                    title = chat.title or chat.full_name or chat.username or ""
                    sender = message.from_user.id if message.from_user else None
                    print(texts.chats_line(chat.type, doctor.printable(title), chat.id, sender), flush=True)
                if updates and not fresh:
                    await asyncio.sleep(min(1.0, max(deadline - time.monotonic(), 0)))
    except Conflict as exc:
        if "webhook" in exc.message.lower():  # a bot in webhook mode: Telegram hands out nothing to getUpdates
            from bot.webhook import CHATS_IN_WEBHOOK_MODE

            return fail(CHATS_IN_WEBHOOK_MODE, 1)
        return fail(texts.CHATS_CONFLICT, 1)
    except InvalidToken:
        return fail(texts.DOCTOR_TOKEN_REFUSED, 1)
    except TelegramError as exc:
        return fail(texts.doctor_telegram_unreachable(settings.api_url, str(exc)), 1)
    print(texts.CHATS_KEPT if seen else texts.CHATS_NONE)
    return 0


def _same_file(a: Path, b: Path) -> bool:
    return a.resolve() in (b.resolve(), Path(f"{b}-wal").resolve(), Path(f"{b}-shm").resolve())


def _backup(settings: Settings, target: Path) -> int:
    if _same_file(target, settings.database):
        return fail(texts.BACKUP_ONTO_DATABASE)
    try:
        size = backups.backup(settings.database, target)
    except OSError as exc:
        return fail(f"impossible d'écrire {target} : {exc.strerror or exc}")
    print(texts.backup_done(str(target), size))
    return 0


def _restore(settings: Settings, copy: Path) -> int:
    if not copy.is_file():
        return fail(f"fichier introuvable : {copy}")
    if _same_file(copy, settings.database):
        return fail(texts.RESTORE_ITSELF)
    lock = backups.DatabaseLock(settings.database)
    try:
        lock.acquire()
    except backups.Locked:
        return fail(texts.BOT_RUNNING.format(where=settings.database.resolve()), 1)
    try:
        problem = backups.check_copy(copy)
        if problem is not None:
            reason = {"not_sqlite": texts.RESTORE_NOT_SQLITE,
                      "damaged": texts.RESTORE_DAMAGED.format(detail=problem.detail),
                      "too_new": texts.RESTORE_TOO_NEW.format(version=problem.version, latest=problem.latest)}
            return fail(texts.restore_refused(str(copy), reason[problem.kind]), 1)
        previous = backups.restore(copy, settings.database, datetime.now())
    finally:
        lock.release()
    print(texts.restore_done(str(copy), str(settings.database.resolve()), str(previous.resolve()) if previous else None))
    return 0


# -- entbot migrate-db ----------------------------------------------------------------------------


def _migrate_db(settings: Settings, source: Path, url: str, replace: bool) -> int:
    """A SQLite deployment into PostgreSQL, bot stopped: all of it in one transaction, each table's rows counted."""
    from bot.settings import POSTGRESQL_SCHEMES, _database_url

    if not url.startswith(POSTGRESQL_SCHEMES):
        return fail("--to : attendu une adresse PostgreSQL, par exemple postgresql://entbot@localhost/entbot.")
    try:
        _database_url(url)
    except SettingsError as exc:
        return fail(str(exc).replace("ENTBOT_DATABASE", "--to"))
    if not source.is_file():
        return fail(texts.no_database_here(str(source.resolve())))
    from storage import transfer
    from storage.postgres import shown

    lock = backups.DatabaseLock(source)
    try:
        lock.acquire()
    except backups.Locked:
        return fail(f"le bot tourne sur cette base ({source.resolve()}) : arrêtez-le d'abord "
                    "(sudo systemctl stop entbot), puis relancez la copie.", 1)
    try:
        print(f"Copie de {source.resolve()} vers {shown(url)}…")
        try:
            asyncio.run(transfer.prepare(source, url))
            copied = transfer.copy(source, url, replace)
        except transfer.TargetNotEmpty as exc:
            listed = ", ".join(f"{t} : {n}" for t, n in sorted(exc.rows.items()))
            return fail(f"la base PostgreSQL contient déjà des données ({listed}) : rien n'a été copié. Si c'est une "
                        "copie précédente de cette base, relancez avec --replace pour la remplacer.", 1)
        except (transfer.CopyFailed, OSError) as exc:
            return fail(f"copie impossible, rien n'a été écrit dans PostgreSQL : {exc}", 1)
        except Exception as exc:  # the server unreachable at `prepare`, a file that is no SQLite database…
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return fail(f"copie impossible, rien n'a été écrit dans PostgreSQL : {first.replace(url, shown(url))}", 1)
    finally:
        lock.release()
    width = max(len(t) for t in copied.tables) if copied.tables else 0
    for table, (rows, _) in copied.tables.items():
        print(f"  {table:<{width}}  {rows:>9} ligne(s), autant dans PostgreSQL")
    if copied.replaced:
        print(f"({copied.replaced} ligne(s) qui s'y trouvaient avant ont été remplacées.)")
    print(f"Copie terminée : {copied.total} ligne(s) dans {len(copied.tables)} tables, chaque table comptée des deux "
          f"côtés.\nEnsuite : ENTBOT_DATABASE={shown(url)} dans le fichier .env (ou l'unité systemd), gardez le même "
          f"dossier des données (la clé de l'installation, {source.name}.key, y reste), puis relancez le bot. "
          f"Le fichier {source.name} n'a pas changé : c'est votre retour en arrière.")
    return 0


# -- entbot privacy … ------------------------------------------------------------------------------


@asynccontextmanager
async def _telegram(settings: Settings) -> AsyncIterator[DeleteCopy | None]:
    """Deletes the bot's copies in the staff group when Telegram answers; None (copies listed) when it does not."""

    if not settings.token:
        yield None
        return
    bot = Bot(settings.token, base_url=settings.api_url)
    try:
        await bot.initialize()
    except TelegramError as exc:
        print(f"Telegram injoignable ({exc}) : les copies dans le groupe du personnel seront listées.", file=sys.stderr)
        yield None
        return
    try:
        yield copy_deleter(bot)
    finally:
        await bot.shutdown()


async def _privacy_purge(store: Store, settings: Settings) -> int:
    async with _telegram(settings) as delete:
        report = await store.privacy.purge(settings.retention, delete)
    for line in texts.purge_lines(report.removed, report.copies_deleted, report.copies_left):
        print(line)
    return 0


async def _privacy_export(store: Store, telegram_user_id: int, out: Path | None) -> int:
    data = json.dumps(await store.privacy.export(telegram_user_id), ensure_ascii=False, indent=2) + "\n"
    if out is None:
        print(data, end="")
        return 0
    # A file made by the shell (`> famille.json`) has the shell's umask, and is open to others before a byte is in it.
    try:
        write_private(out, data.encode("utf-8"))
    except OSError as exc:
        return fail(f"impossible d'écrire {out} : {exc.strerror or exc}")
    print(texts.privacy_export_written(str(out), telegram_user_id))
    return 0


async def _privacy_erase(store: Store, settings: Settings, telegram_user_id: int) -> int:
    done = await store.privacy.erase(telegram_user_id, texts.ERASED_CONTENT, "shell")
    if not done.anything:
        print(f"Rien à effacer : aucune donnée pour l'utilisateur Telegram {telegram_user_id}.")
        return 0
    left = []
    async with _telegram(settings) as delete:
        for chat_id, message_id, ticket_id in done.copies:
            why = await delete(chat_id, message_id) if delete is not None else "pas de connexion à Telegram"
            if why is not None:
                left.append((chat_id, message_id, ticket_id, why))
    await store.privacy.record_undeleted(left)
    for line in texts.erasure_lines(telegram_user_id, done.removed, done.tickets, done.accounts_unlinked,
                                    done.audit_lines, done.lock_kept, len(left)):
        print(line)
    return 0


def _privacy_register(settings: Settings, raw_school: str | None) -> int:
    today = datetime.now(texts.PARIS).strftime("%d/%m/%Y")
    uai = one_school(settings, raw_school)
    if len(settings.school_uais) > 1:
        # One school's record: its head is the controller, the ENT's operator running the deployment a processor.
        school = settings.schools.get(uai)
        assert school is not None
        print(texts.register(school.name, school.contact_email, school.postal_address, settings.dpo_contact,
                             settings.retention, "ldap" if settings.ldap else "sqlite",
                             settings.smtp.host if settings.smtp else None, school.staff.chat_id is not None,
                             school.annonces_channel_id is not None, today, shared=True), end="")
        return 0
    print(texts.register(settings.school_name, settings.require_contact(), settings.school_postal_address,
                         settings.dpo_contact, settings.retention, "ldap" if settings.ldap else "sqlite",
                         settings.smtp.host if settings.smtp else None, settings.staff_chat_id is not None,
                         settings.annonces_channel_id is not None, today), end="")
    if settings.form is not None:
        print(form_texts.register_section(settings.form.public_url), end="")
    return 0


def _telegram_id(raw: str) -> int:
    if not raw.strip().isdigit():
        raise argparse.ArgumentTypeError(f"{raw!r} : attendu le numéro de l'utilisateur Telegram (des chiffres)")
    return int(raw)
def _french(message: str) -> str:
    return texts.ARGPARSE.get(message, message)


def _french_plural(singular: str, plural: str, n: int) -> str:
    return _french(singular if n == 1 else plural)


# argparse looks its words up through gettext at each call: French ones, for every subcommand.
setattr(argparse, "_", _french)  # noqa: B010
setattr(argparse, "ngettext", _french_plural)  # noqa: B010


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="entbot", description="Assistant ENT : bot Telegram d'activation des comptes ENT")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="lancer le bot (long polling, ou webhook avec --webhook)").add_argument(
        "--webhook", action="store_true", help="recevoir les messages de Telegram sur WEBHOOK_URL (voir WEBHOOK_SECRET)")
    accounts = sub.add_parser("accounts", help="comptes des familles").add_subparsers(dest="action", required=True)
    imp = accounts.add_parser("import", help="importer le fichier CSV du collège")
    imp.add_argument("file", type=Path)
    imp.add_argument("--dry-run", action="store_true", help="tout vérifier sans rien écrire")
    imp.add_argument("--skip-invalid", action="store_true", help="importer les lignes correctes malgré les erreurs")
    imp.add_argument("--school", metavar="UAI", help="le fichier est la liste complète de cet établissement")
    school_help = "l'établissement (obligatoire quand l'installation en sert plusieurs)"
    listing = accounts.add_parser("list", help="lister les comptes (jamais de secret)")
    listing.add_argument("--school", metavar="UAI", help=school_help)
    show = accounts.add_parser("show", help="détail d'un compte (jamais de secret)")
    show.add_argument("identifier")
    show.add_argument("--school", metavar="UAI", help=school_help)
    reset = accounts.add_parser("reset", help="réinitialiser un compte : nouveau mot de passe provisoire, affiché une fois")
    reset.add_argument("identifier")
    reset.add_argument("--school", metavar="UAI", help=school_help)
    unlock = accounts.add_parser("unlock", help="débloquer un compte après trop d'essais")
    unlock.add_argument("identifier")
    unlock.add_argument("--school", metavar="UAI", help=school_help)
    export = accounts.add_parser("export", help="exporter l'état des comptes en CSV pour Excel (jamais de secret)")
    export.add_argument("file", type=Path)
    export.add_argument("--school", metavar="UAI", help=school_help)
    stats = sub.add_parser("stats", help="chiffres des activations")
    stats.add_argument("--school", metavar="UAI", help=school_help)
    stats.add_argument("--png", type=Path, metavar="FICHIER", help="écrire aussi le graphique de /stats dans ce fichier")
    check = sub.add_parser("doctor", help="vérifier l'installation (jeton, base, groupe, canal, courriel, annuaire, horloge)")
    check.add_argument("--mail-test", metavar="ADRESSE", help="envoyer aussi un courriel de test à cette adresse")
    chats = sub.add_parser("chats", help="afficher les identifiants des conversations qui écrivent au bot (bot arrêté)")
    chats.add_argument("--listen", type=float, default=120, metavar="SECONDES", help="durée d'écoute (défaut 120)")
    save = sub.add_parser("backup", help="copier la base, même pendant que le bot tourne")
    save.add_argument("file", type=Path)
    back = sub.add_parser("restore", help="remettre une sauvegarde en place (bot arrêté)")
    back.add_argument("file", type=Path)
    moving = sub.add_parser("migrate-db", help="copier la base SQLite dans PostgreSQL (bot arrêté)")
    moving.add_argument("--to", required=True, metavar="postgresql://…", help="la base PostgreSQL (vide) à remplir")
    moving.add_argument("--from", dest="source", type=Path, metavar="FICHIER",
                        help="la base SQLite (défaut : celle du dossier des données)")
    moving.add_argument("--replace", action="store_true",
                        help="vider d'abord la base PostgreSQL si elle contient déjà des données")
    schools = sub.add_parser("schools", help="les établissements (SCHOOLS_FILE)").add_subparsers(dest="action", required=True)
    schools.add_parser("check", help="vérifier le fichier, et avec le jeton le groupe et le canal de chacun")
    move = schools.add_parser("move", help="donner à un établissement de la configuration tout ce d'un autre UAI "
                              "(bot arrêté)")
    move.add_argument("old", metavar="ANCIEN_UAI")
    move.add_argument("new", metavar="NOUVEL_UAI")
    directory = sub.add_parser("directory", help="l'annuaire LDAP de l'ENT").add_subparsers(dest="action", required=True)
    directory.add_parser("check", help="connexion, authentification, nombre de personnes par état et profil")
    letters = sub.add_parser("letters", help="importer le CSV et imprimer une lettre à QR code par famille (PDF)")
    letters.add_argument("file", type=Path)
    letters.add_argument("--out", type=Path, required=True, help="le PDF à écrire, par ex. lettres.pdf")
    letters.add_argument("--csv", type=Path, dest="merge", help="écrire aussi les liens par famille (publipostage)")
    letters.add_argument("--only", nargs="+", default=[], metavar="ID", help="seulement ces identifiants du fichier")
    letters.add_argument("--skip-invalid", action="store_true", help="imprimer les lignes correctes malgré les erreurs")
    letters.add_argument("--school", metavar="UAI", help="l'établissement des familles du fichier, dont les lettres "
                         "portent le nom, l'adresse et le contact (obligatoire avec plusieurs)")
    letters.add_argument("--language", metavar="CODE", help="lettres bilingues : le français puis cette langue (en, "
                         "ar, uk, tr, pt) pour chaque ligne sans colonne langue à elle")
    privacy = sub.add_parser("privacy", help="données personnelles (RGPD)").add_subparsers(dest="action", required=True)
    privacy.add_parser("purge", help="supprimer ce qui a dépassé sa durée de conservation")
    privacy.add_parser("register", help="le registre des traitements (article 30), en Markdown").add_argument(
        "--school", metavar="UAI", help="l'établissement dont c'est le registre (obligatoire avec plusieurs)")
    exported = privacy.add_parser("export", help="toutes les données d'un utilisateur Telegram, en JSON")
    exported.add_argument("telegram_id", type=_telegram_id)
    exported.add_argument("--out", type=Path, metavar="FICHIER", help="l'écrire dans ce fichier, lisible par vous seul")
    privacy.add_parser("erase", help="effacer les données d'un utilisateur Telegram").add_argument(
        "telegram_id", type=_telegram_id)
    return parser


# Besides `run` and `restore`, only the imports (accounts import, letters) create the database: any other command
# run from the wrong folder says where it looked rather than answering from an empty new file.
CREATES_DATABASE = {("accounts", "import"), ("letters", None)}


def main(argv: list[str] | None = None) -> int:
    # Whatever the shell's umask: what this program writes (the base, its copies, letters, exports, what SQLite and
    # the libraries write for it) is the school's data, for its own user only. Each writer also sets 0600 itself.
    os.umask(0o077)
    try:
        code = _main(argv)
        sys.stdout.flush()  # here, not at exit, where a closed pipe would print a traceback
        return code
    except BrokenPipeError:
        # `entbot accounts show X | head`: the reader left; no traceback, and none at exit either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load()
        if args.command == "run":
            return run(settings, args.webhook)
        if args.command == "doctor":
            return _doctor(settings, args.mail_test)
        if args.command in ("backup", "restore") and settings.database_url is not None:
            return fail(texts.POSTGRESQL_BACKUP)
        if args.command == "schools" and args.action == "move":
            if settings.database_url is None and not settings.database.is_file():
                return fail(texts.no_database_here(str(settings.database.resolve())))
            new = settings.require_school(args.new)
            if (problem := uai_problem(args.old)) is not None:
                return fail(f"ANCIEN_UAI : {problem}.")
            return _schools_move(settings, normal_uai(args.old), new or "")
        if args.command == "schools":
            return _schools_check(settings)
        if args.command == "chats":
            return asyncio.run(_listen(settings, args.listen))
        if args.command == "restore":
            return _restore(settings, args.file)
        if args.command == "migrate-db":
            return _migrate_db(settings, args.source or settings.database, args.to.strip(), args.replace)
        if args.command == "directory":  # reads the directory only
            return asyncio.run(_directory_check(settings))
        if args.command == "privacy" and args.action == "register":  # the configuration only
            return _privacy_register(settings, args.school)
        if ((args.command, getattr(args, "action", None)) not in CREATES_DATABASE and settings.database_url is None
                and not settings.database.is_file()):
            return fail(texts.no_database_here(str(settings.database.resolve())))
        if args.command == "backup":
            return _backup(settings, args.file)
        if args.command == "stats":
            uai = one_school(settings, args.school)
            return asyncio.run(_with_store(settings, lambda s: _stats(s, settings, args.png, uai)))
        if args.command == "letters":
            from bot.letters import letters  # the dialogues' letters, and so matplotlib: only for this command

            if not args.file.is_file():
                return fail(f"fichier introuvable : {args.file}")
            uai = one_school(settings, args.school)
            return asyncio.run(_with_store(settings, lambda s: letters(s, settings, args.file, args.out, args.merge,
                                                                        args.only, args.skip_invalid, uai,
                                                                        args.language)))
        if args.command == "privacy":
            if args.action == "purge":
                return asyncio.run(_with_store(settings, lambda s: _privacy_purge(s, settings)))
            if args.action == "export":
                return asyncio.run(_with_store(settings, lambda s: _privacy_export(s, args.telegram_id, args.out)))
            return asyncio.run(_with_store(settings, lambda s: _privacy_erase(s, settings, args.telegram_id)))
        if args.action == "import":
            if not args.file.is_file():
                return fail(f"fichier introuvable : {args.file}")
            school = settings.require_school(args.school)
            return asyncio.run(_with_store(settings, lambda s: import_file(
                s, args.file, args.dry_run, args.skip_invalid, school, settings.school_uais)))
        uai = one_school(settings, args.school) if args.action in ("list", "show", "reset", "unlock", "export") else ""
        if args.action == "list":
            return asyncio.run(_with_store(settings, lambda s: _list(s, uai, _only(settings, uai))))
        if args.action == "show":
            return asyncio.run(_with_store(settings, lambda s: _show(s, args.identifier, uai, _only(settings, uai))))
        if args.action == "reset":
            return asyncio.run(_with_store(settings, lambda s: _reset(s, args.identifier, uai, _only(settings, uai))))
        if args.action == "unlock":
            return asyncio.run(_with_store(settings, lambda s: _unlock(s, args.identifier, uai, _only(settings, uai))))
        if args.action == "export":
            return asyncio.run(_with_store(settings, lambda s: _export(s, args.file, uai, _only(settings, uai))))
    except SettingsError as exc:
        return fail(str(exc))
    except DatabaseTooNew as exc:
        return fail(str(exc))
    except DirectoryUnavailable:
        return fail("annuaire LDAP injoignable : vérifiez-le avec « entbot directory check »", 1)
    except KeyboardInterrupt:
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
