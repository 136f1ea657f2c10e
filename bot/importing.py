"""The accounts import as `entbot` runs it: the file's checks, a progress bar, and a report a person reads."""

from __future__ import annotations

import sys
from pathlib import Path

from tqdm import tqdm

from bot.console import fail
from storage.importer import CsvError, ImportReport, import_accounts
from storage.store import Store


def print_report(report: ImportReport, dry_run: bool) -> None:
    for line, reason in report.errors:
        print(f"ligne {line} : {reason}")
    if report.errors and not report.written and not (report.created or report.updated or report.unchanged):
        print(f"{len(report.errors)} ligne(s) en erreur : rien n'a été importé. Corrigez le fichier, "
              "ou relancez avec --skip-invalid pour importer les lignes correctes.")
        return
    prefix = "Simulation (--dry-run), rien n'est écrit : " if dry_run else ""
    moved = ""
    if report.joined or report.left:
        moved = (f"{prefix}{len(report.joined)} compte(s) déjà connu(s) rattaché(s) à l'établissement, "
                 f"{len(report.left)} absent(s) du fichier détaché(s) de cet établissement (et de lui seul).")
    if report.others_kept:
        moved += (f"{' ' if moved else prefix}{len(report.others_kept)} compte(s) déjà importé(s) par un autre "
                  "établissement : rattaché(s) aussi à celui-ci, leurs nom, classe et mot de passe provisoire gardés.")
    if moved:
        print(moved)
    if not report.changes:
        if moved:
            return
        print(f"{prefix}aucun changement : les {len(report.unchanged)} compte(s) du fichier sont déjà à jour"
              + (f", {len(report.active_kept)} déjà activé(s) et laissé(s) tel(s) quel(s)." if report.active_kept else "."))
        return
    print(f"{prefix}{len(report.created)} compte(s) créé(s), {len(report.updated)} mis à jour, "
          f"{len(report.unchanged)} inchangé(s), {len(report.active_kept)} déjà activé(s) laissé(s) tel(s) quel(s)"
          + (f", {len(report.errors)} ligne(s) ignorée(s)." if report.errors else "."))


async def import_file(store: Store, path: Path, dry_run: bool, skip_invalid: bool, school: str | None,
                      known: tuple[str, ...], complete: bool = True) -> int:
    """`school`: --school (checked); `known`: the deployment's UAIs (a single school's is every row's default)."""
    bar: tqdm | None = None

    def total(n: int) -> None:
        nonlocal bar
        bar = tqdm(total=n, desc="Mots de passe provisoires conservés de façon sécurisée", unit="compte", file=sys.stderr,
                   disable=n == 0)

    def advance(n: int) -> None:
        if bar is not None:
            bar.update(n)

    try:
        report = await import_accounts(store, path, dry_run=dry_run, skip_invalid=skip_invalid,
                                       on_progress=advance, on_total=total, school=school, known=known,
                                       default=known[0] if len(known) == 1 else None, complete=complete)
    except CsvError as exc:
        return fail(f"{path} : {exc}")
    finally:
        if bar is not None:
            bar.close()
    print_report(report, dry_run)
    return 1 if report.errors and not skip_invalid else 0
