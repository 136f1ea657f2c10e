"""`entbot`: run the bot, and the IT referent's account tools, with one clear line on any error."""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from telegram import Update
from tqdm import tqdm

from bot.settings import Settings, SettingsError, load
from conversations import texts
from storage.accounts import DirectoryUnavailable, identifier_key
from storage.db import DatabaseTooNew
from storage.importer import CsvError, ImportReport, import_accounts
from storage.ldap_directory import DirectoryProblem
from storage.store import Store


def fail(message: str, code: int = 2) -> int:
    print(f"entbot : {message}", file=sys.stderr)
    return code


async def _with_store(settings: Settings, action: Callable[[Store], Awaitable[int]]) -> int:
    store = Store(settings.database, ldap=settings.ldap)
    await store.open()
    try:
        return await action(store)
    finally:
        await store.close()


# -- entbot run ---------------------------------------------------------------------------------


def run(settings: Settings) -> int:
    from bot.app import build_application, configure_logging

    settings.require_token()
    configure_logging(settings.log_level)
    # Migrate (or refuse a newer file) before Telegram is contacted, so that the error is one line.
    asyncio.run(_with_store(settings, _noop))
    app = build_application(settings)
    app.run_polling(allowed_updates=Update.ALL_TYPES, timeout=settings.poll_timeout, poll_interval=0.0)
    return 0


async def _noop(store: Store) -> int:
    return 0


# -- entbot accounts … -----------------------------------------------------------------------------


def _print_report(report: ImportReport, dry_run: bool) -> None:
    for line, reason in report.errors:
        print(f"ligne {line} : {reason}")
    if report.errors and not report.written and not (report.created or report.updated or report.unchanged):
        print(f"{len(report.errors)} ligne(s) en erreur : rien n'a été importé. Corrigez le fichier, "
              "ou relancez avec --skip-invalid pour importer les lignes correctes.")
        return
    prefix = "Simulation (--dry-run), rien n'est écrit : " if dry_run else ""
    if not report.changes:
        print(f"{prefix}aucun changement : les {len(report.unchanged)} compte(s) du fichier sont déjà à jour"
              + (f", {len(report.active_kept)} déjà activé(s) et laissé(s) tel(s) quel(s)." if report.active_kept else "."))
        return
    print(f"{prefix}{len(report.created)} compte(s) créé(s), {len(report.updated)} mis à jour, "
          f"{len(report.unchanged)} inchangé(s), {len(report.active_kept)} déjà activé(s) laissé(s) tel(s) quel(s)"
          + (f", {len(report.errors)} ligne(s) ignorée(s)." if report.errors else "."))


async def _import(store: Store, path: Path, dry_run: bool, skip_invalid: bool) -> int:
    bar: tqdm | None = None

    def total(n: int) -> None:
        nonlocal bar
        bar = tqdm(total=n, desc="Chiffrement des mots de passe provisoires", unit="compte", file=sys.stderr,
                   disable=n == 0)

    def advance(n: int) -> None:
        if bar is not None:
            bar.update(n)

    try:
        report = await import_accounts(store, path, dry_run=dry_run, skip_invalid=skip_invalid,
                                       on_progress=advance, on_total=total)
    except CsvError as exc:
        return fail(f"{path} : {exc}")
    finally:
        if bar is not None:
            bar.close()
    _print_report(report, dry_run)
    return 1 if report.errors and not skip_invalid else 0


async def _list(store: Store) -> int:
    accounts = await store.accounts.all()
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
              f"{texts.STATE_LABELS[account.state]:<26} {steps.get(account.id, ''):<16} "
              f"{'jusqu’à ' + texts.paris(until) if until else ''}")
    print(f"{len(accounts)} compte(s)")
    return 0


async def _show(store: Store, identifier: str) -> int:
    account = await store.accounts.find(identifier)
    if account is None:
        return fail(f"aucun compte « {identifier} »", 1)
    lock = await store.attempts.account_state(identifier_key(account.identifier))
    steps = [p.step for p in await store.progress.touching(account.id, identifier_key(account.identifier))]
    print(f"Identifiant : {account.identifier}")
    print(f"Nom : {account.display_name}  Profil : {account.profile}  Classe : {account.class_name or '-'}")
    activated = f" (le {texts.paris(account.activated_at)})" if account.activated_at else ""
    print(f"État : {texts.STATE_LABELS[account.state]}{activated}")
    if account.dn is not None:  # read from the ENT's directory just now
        print(f"Annuaire : {account.dn} (profil {account.profile})")
    print(f"Étape atteinte : {', '.join(steps) if steps else '-'}")
    print(f"CGU acceptées : {account.cgu_version or '-'}  Adresse : {account.email or '-'}")
    print(texts.lock_line(texts.paris(lock.until) if lock.until else None, lock.failing_users))
    events = await store.audit.for_account(account.id)
    if events:
        print("Derniers événements :")
        for at, actor, event, detail in events:
            print(f"  {texts.paris(at)}  {event:<20} {texts.who(actor)}" + (f"  {detail}" if detail else ""))
    return 0


async def _reset(store: Store, identifier: str) -> int:
    account = await store.accounts.find(identifier)
    if account is None:
        return fail(f"aucun compte « {identifier} »", 1)
    if not account.is_family:
        return fail(f"le compte « {account.identifier} » n'est pas celui d'une famille (profil {account.profile} dans "
                    "l'annuaire de l'ENT) : le bot ne réinitialise que les comptes des parents et des élèves, "
                    "rien n'a été fait", 1)
    if account.state == "blocked":
        return fail(f"le compte « {account.identifier} » est bloqué dans l'annuaire de l'ENT : son déblocage relève "
                    "de l'administrateur de l'ENT, rien n'a été fait", 1)
    password = await store.reset(account, account.revision, "shell")
    if password is None:
        return fail(f"le compte « {account.identifier} » a changé pendant la réinitialisation : relancez la commande", 1)
    print(f"Compte {account.identifier} ({account.display_name}) réinitialisé.")
    print(f"Nouveau mot de passe provisoire, à transmettre à la famille : {password}")
    print("Il n'est gardé nulle part en clair : notez-le maintenant. La famille choisira « Mon compte a été "
          "réinitialisé » dans le bot.")
    return 0


async def _unlock(store: Store, identifier: str) -> int:
    account = await store.accounts.find(identifier)
    if account is None:
        return fail(f"aucun compte « {identifier} »", 1)
    was_locked = await store.unlock(account, "shell")
    print(f"Compte {account.identifier} débloqué." if was_locked else
          f"Le compte {account.identifier} n'était pas bloqué ; ses compteurs d'essais sont remis à zéro.")
    return 0


EXPORT_HEADER = ["identifiant", "nom", "prenom", "profil", "classe", "etat", "etape_en_cours", "bloque_jusqu_a",
                 "active_le", "version_cgu", "adresse_electronique_donnee"]


def _cell(value: str) -> str:
    # Excel runs a cell starting with = + - @ as a formula: a name cannot be allowed to.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


async def _export(store: Store, path: Path) -> int:
    accounts = await store.accounts.all()
    steps = await store.progress.steps_by_account()
    locks = await store.attempts.running_locks("account")
    rows = [[account.identifier, account.last_name or "", account.first_name or "", account.profile,
             account.class_name or "", texts.STATE_LABELS[account.state],
             texts.step_label(steps[account.id]) if account.id in steps else "",
             texts.paris(until, texts.SHEET) if (until := locks.get(identifier_key(account.identifier))) else "",
             texts.paris(account.activated_at, texts.SHEET) if account.activated_at else "",
             account.cgu_version or "", "oui" if account.email else "non"] for account in accounts]
    try:
        # UTF-8 with its BOM and ';': what French Excel opens with accents and columns right.
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f, delimiter=";", lineterminator="\r\n")
            writer.writerow(EXPORT_HEADER)
            writer.writerows([[_cell(v) for v in row] for row in rows])
    except OSError as exc:
        return fail(f"impossible d'écrire {path} : {exc.strerror}")
    print(f"{len(rows)} compte(s) exporté(s) dans {path} (aucun secret).")
    return 0


async def _directory_check(store: Store) -> int:
    if store.ldap is None:
        return fail("DIRECTORY=sqlite : aucun annuaire LDAP configuré (DIRECTORY=ldap et LDAP_URL dans .env)", 1)
    config = store.ldap.config
    try:
        figures = await store.ldap.check()
    except DirectoryProblem as exc:
        return fail(f"annuaire {config.url} : {exc}", 1)
    total = sum(figures.values())
    print(f"Annuaire {config.url} : connexion et authentification de {config.bind_dn} réussies"
          f"{' (StartTLS)' if config.starttls else ''}.")
    print(f"{total} personne(s) sous {config.people_dn}, par état et profil :")
    for (state, profile), count in sorted(figures.items()):
        print(f"  {state:<10} {profile:<28} {count}")
    return 0


async def _stats(store: Store) -> int:
    for line in texts.stats_lines(await store.stats.summary(texts.PARIS)):
        print(line)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="entbot", description="Assistant ENT : bot Telegram d'activation des comptes ENT")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="lancer le bot (long polling)")
    accounts = sub.add_parser("accounts", help="comptes des familles").add_subparsers(dest="action", required=True)
    imp = accounts.add_parser("import", help="importer le fichier CSV du collège")
    imp.add_argument("file", type=Path)
    imp.add_argument("--dry-run", action="store_true", help="tout vérifier sans rien écrire")
    imp.add_argument("--skip-invalid", action="store_true", help="importer les lignes correctes malgré les erreurs")
    accounts.add_parser("list", help="lister les comptes (jamais de secret)")
    show = accounts.add_parser("show", help="détail d'un compte (jamais de secret)")
    show.add_argument("identifier")
    reset = accounts.add_parser("reset", help="réinitialiser un compte : nouveau mot de passe provisoire, affiché une fois")
    reset.add_argument("identifier")
    unlock = accounts.add_parser("unlock", help="débloquer un compte après trop d'essais")
    unlock.add_argument("identifier")
    export = accounts.add_parser("export", help="exporter l'état des comptes en CSV pour Excel (jamais de secret)")
    export.add_argument("file", type=Path)
    sub.add_parser("stats", help="chiffres des activations")
    directory = sub.add_parser("directory", help="l'annuaire LDAP de l'ENT").add_subparsers(dest="action", required=True)
    directory.add_parser("check", help="connexion, authentification, nombre de personnes par état et profil")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load()
        if args.command == "run":
            return run(settings)
        if args.command == "stats":
            return asyncio.run(_with_store(settings, _stats))
        if args.command == "directory":
            return asyncio.run(_with_store(settings, _directory_check))
        if args.action == "import":
            if not args.file.is_file():
                return fail(f"fichier introuvable : {args.file}")
            return asyncio.run(_with_store(settings, lambda s: _import(s, args.file, args.dry_run, args.skip_invalid)))
        if args.action == "list":
            return asyncio.run(_with_store(settings, _list))
        if args.action == "show":
            return asyncio.run(_with_store(settings, lambda s: _show(s, args.identifier)))
        if args.action == "reset":
            return asyncio.run(_with_store(settings, lambda s: _reset(s, args.identifier)))
        if args.action == "unlock":
            return asyncio.run(_with_store(settings, lambda s: _unlock(s, args.identifier)))
        if args.action == "export":
            return asyncio.run(_with_store(settings, lambda s: _export(s, args.file)))
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
