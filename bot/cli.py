"""`entbot`: run the bot, and the IT referent's account tools, with one clear line on any error."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from telegram import Update
from tqdm import tqdm

from bot.settings import Settings, SettingsError, load
from storage.accounts import identifier_key
from storage.db import DatabaseTooNew
from storage.importer import CsvError, ImportReport, import_accounts
from storage.store import Store

STATE_LABELS = {"pending": "à activer", "active": "activé", "reset": "réinitialisé"}


def fail(message: str, code: int = 2) -> int:
    print(f"entbot : {message}", file=sys.stderr)
    return code


async def _with_store(settings: Settings, action: Callable[[Store], Awaitable[int]]) -> int:
    store = Store(settings.database)
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
    print(f"{'identifiant':<28} {'nom':<28} {'classe':<8} {'état':<14} {'étape':<16} verrou")
    for account in accounts:
        until = locks.get(identifier_key(account.identifier))
        name = " ".join(p for p in (account.last_name, account.first_name) if p)
        print(f"{account.identifier:<28} {name:<28} {account.class_name or '':<8} "
              f"{STATE_LABELS[account.state]:<14} {steps.get(account.id, ''):<16} "
              f"{'jusqu’à ' + until.strftime('%d/%m %H:%M UTC') if until else ''}")
    print(f"{len(accounts)} compte(s)")
    return 0


async def _show(store: Store, identifier: str) -> int:
    account = await store.accounts.find(identifier)
    if account is None:
        return fail(f"aucun compte « {identifier} »", 1)
    lock = await store.attempts.locked_until(("account", identifier_key(account.identifier)))
    steps = [p.step for p in await store.progress.for_account(account.id)]
    print(f"Identifiant : {account.identifier}")
    print(f"Nom : {account.display_name}  Profil : {account.profile}  Classe : {account.class_name or '-'}")
    print(f"État : {STATE_LABELS[account.state]}" + (f" (le {account.activated_at})" if account.activated_at else ""))
    print(f"Étape atteinte : {', '.join(steps) if steps else '-'}")
    print(f"CGU acceptées : {account.cgu_version or '-'}  Adresse : {account.email or '-'}")
    print(f"Verrou : {'jusqu’à ' + lock.until.isoformat() if lock else 'aucun'}")
    events = await store.audit.for_account(account.id)
    if events:
        print("Derniers événements :")
        for at, actor, event, detail in events:
            print(f"  {at}  {event:<20} {actor}" + (f"  {detail}" if detail else ""))
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load()
        if args.command == "run":
            return run(settings)
        if args.action == "import":
            if not args.file.is_file():
                return fail(f"fichier introuvable : {args.file}")
            return asyncio.run(_with_store(settings, lambda s: _import(s, args.file, args.dry_run, args.skip_invalid)))
        if args.action == "list":
            return asyncio.run(_with_store(settings, _list))
        if args.action == "show":
            return asyncio.run(_with_store(settings, lambda s: _show(s, args.identifier)))
    except SettingsError as exc:
        return fail(str(exc))
    except DatabaseTooNew as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
