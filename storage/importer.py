"""Import of the school's accounts CSV: every row checked first, then hashed on all cores, then one transaction."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import unicodedata
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from storage.accounts import IDENTIFIER_MAX, IDENTIFIER_SIGNS, Account, identifier_key, is_identifier
from storage.audit import write_event
from storage.db import to_text
from storage.schools import normal_uai, uai_problem
from storage.secrets import hash_secret_sync, verify_secret_sync
from storage.store import Store

REQUIRED = ("identifiant", "mot_de_passe_provisoire")
OPTIONAL = ("nom", "prenom", "profil", "classe", "uai", "langue")
PROFILES = {"": "parent", "parent": "parent", "parents": "parent", "responsable": "parent",
            "responsable legal": "parent", "eleve": "eleve", "eleves": "eleve"}


class CsvError(Exception):
    """The file as a whole cannot be read (encoding, header)."""


@dataclass(frozen=True)
class Row:
    line: int
    identifier: str
    provisional: str
    last_name: str | None
    first_name: str | None
    profile: str
    class_name: str | None
    uai: str | None = None  # the `uai` column's, checked against the deployment's schools by import_accounts
    language: str = ""  # the `langue` column's, lower-cased: the letter's second language, checked by `letters`


@dataclass
class ImportReport:
    rows: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    active_kept: list[str] = field(default_factory=list)
    joined: list[str] = field(default_factory=list)  # accounts already here, given this file's school
    others_kept: list[str] = field(default_factory=list)  # another school's accounts: joined, left as they were
    left: list[str] = field(default_factory=list)  # accounts --school's file no longer names: they lose that school
    written: bool = False

    @property
    def changes(self) -> int:
        return len(self.created) + len(self.updated)


def _plain(header: str) -> str:
    decomposed = unicodedata.normalize("NFKD", header.strip().lower())
    text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return text.replace(" ", "_").replace("-", "_")


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM), or Windows-1252 as Excel writes it."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="strict")


def read_csv(path: Path) -> tuple[list[Row], list[tuple[int, str]]]:
    try:
        text = decode(path.read_bytes())
    except UnicodeDecodeError:
        raise CsvError("encodage illisible : enregistrez le fichier en UTF-8, "
                       "ou en « CSV (séparateur : point-virgule) » depuis Excel") from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [_plain(h) for h in next(reader)]
    except StopIteration:
        raise CsvError("fichier vide") from None
    absent = [name for name in REQUIRED if name not in header]
    if absent:
        raise CsvError(f"colonne(s) manquante(s) dans l'en-tête : {', '.join(absent)} (en-tête lu : {', '.join(header)})")
    index = {name: header.index(name) for name in (*REQUIRED, *OPTIONAL) if name in header}
    rows: list[Row] = []
    errors: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue

        def cell(name: str, values: list[str] = values) -> str:
            i = index.get(name)
            return values[i].strip() if i is not None and i < len(values) else ""

        identifier, provisional, profile_raw = cell("identifiant"), cell("mot_de_passe_provisoire"), cell("profil")
        problem = None
        if not identifier:
            problem = "identifiant manquant"
        elif any(ch.isspace() for ch in identifier):
            problem = f"identifiant « {identifier} » avec des espaces"
        elif not is_identifier(identifier):
            problem = (f"identifiant « {identifier} » refusé : un seul mot de {IDENTIFIER_MAX} caractères au plus, "
                       f"fait de lettres, de chiffres et de {' '.join(IDENTIFIER_SIGNS)}")
        elif identifier_key(identifier) in seen:
            problem = f"identifiant « {identifier} » en double (déjà ligne {seen[identifier_key(identifier)]})"
        elif not provisional:
            problem = f"mot de passe provisoire vide pour « {identifier} »"
        elif _plain(profile_raw).replace("_", " ") not in PROFILES:
            problem = f"profil inconnu « {profile_raw} » (attendu : eleve ou parent)"
        elif cell("uai") and (why := uai_problem(cell("uai"))) is not None:
            problem = f"colonne uai : {why}"
        if problem:
            errors.append((line, problem))
            if identifier and identifier_key(identifier) not in seen:
                seen[identifier_key(identifier)] = line
            continue
        seen[identifier_key(identifier)] = line
        rows.append(Row(line=line, identifier=identifier, provisional=provisional,
                        last_name=cell("nom") or None, first_name=cell("prenom") or None,
                        profile=PROFILES[_plain(profile_raw).replace("_", " ")], class_name=cell("classe") or None,
                        uai=normal_uai(cell("uai")) or None, language=cell("langue").lower()))
    return rows, errors


def _same_fields(account: Account, row: Row) -> bool:
    return (account.identifier, account.last_name, account.first_name, account.profile, account.class_name) == (
        row.identifier, row.last_name, row.first_name, row.profile, row.class_name)


def _schools_of_rows(rows: list[Row], errors: list[tuple[int, str]], school: str | None, known: Collection[str],
                     default: str | None) -> tuple[list[Row], list[tuple[int, str]]]:
    """Each row's school: its `uai` cell, else `school` (--school), else `default` (a single-school install).

    With --school, the file is that school's: a row naming another is an error. A school the deployment does not
    serve is an error naming its line."""
    placed: list[Row] = []
    for row in rows:
        uai = row.uai or school or default
        if uai is None:
            errors.append((row.line, "établissement inconnu : plusieurs établissements, précisez --school UAI "
                                     "ou une colonne uai"))
        elif school is not None and uai != school:
            errors.append((row.line, f"uai {uai} différent de --school {school}"))
        elif uai not in known:
            errors.append((row.line, f"uai {uai} : établissement absent de la configuration (SCHOOLS_FILE)"))
        else:
            placed.append(replace(row, uai=uai))
    return placed, sorted(errors)


async def import_accounts(store: Store, path: Path, *, dry_run: bool = False, skip_invalid: bool = False,
                          on_progress: Callable[[int], None] | None = None,
                          on_total: Callable[[int], None] | None = None,
                          school: str | None = None, known: Collection[str] = (),
                          default: str | None = None, complete: bool = True) -> ImportReport:
    """Checks every row, then writes all or nothing (unless told to skip the bad rows).

    `known`: the deployment's schools (UAIs); `default`: the school of a row without one, when there is only one;
    `school` (--school): the file is that school's; `complete`, its whole list: an account it no longer names loses
    that school (and that school only). The letters of a few families are not a whole list (`complete=False`)."""
    rows, errors = read_csv(path)
    if not known:  # a caller that names no school: the single school's (the database's own, or the default)
        default = default or store.single_uai
        known = (default,)
    rows, errors = _schools_of_rows(rows, errors, school, known, default)
    if store.ldap is not None:  # an account the ENT's directory does not know could never be activated
        unknown = await store.ldap.unknown(row.identifier for row in rows)
        errors = sorted([*errors, *((row.line, f"identifiant « {row.identifier} » inconnu de l'annuaire de l'ENT")
                                    for row in rows if row.identifier in unknown)])
        rows = [row for row in rows if row.identifier not in unknown]
    report = ImportReport(rows=len(rows) + len(errors), errors=errors)
    if errors and not skip_invalid:
        return report
    existing = {identifier_key(a.identifier): a for a in await store.accounts.all()}
    work: list[tuple[Row, Account | None]] = []
    joining: list[tuple[Row, Account]] = []  # accounts already here that this file gives a school they lack
    for row in rows:
        account = existing.get(identifier_key(row.identifier))
        if account is not None and row.uai not in account.schools:
            joining.append((row, account))
        if account is not None and account.state == "active":
            report.active_kept.append(row.identifier)
        elif account is not None and account.schools and row.uai not in account.schools:
            # Another school's account: this file adds its school, never changes its names nor the provisional
            # password of the other school's letter (one school's import must not open another's family).
            report.others_kept.append(row.identifier)
        else:
            work.append((row, account))
    named = {identifier_key(row.identifier) for row in rows}
    leaving = [a for a in existing.values() if complete and school is not None and school in a.schools
               and identifier_key(a.identifier) not in named]
    report.joined = [row.identifier for row, _ in joining]
    report.left = [a.identifier for a in leaving]
    if on_total:
        on_total(len(work))

    def crunch(item: tuple[Row, Account | None]) -> tuple[Row, Account | None, bool, str | None]:
        row, account = item
        same_password = account is not None and verify_secret_sync(account.provisional_hash, row.provisional)
        digest = None if same_password or dry_run else hash_secret_sync(row.provisional)
        return row, account, same_password, digest

    loop = asyncio.get_running_loop()
    results = []
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        futures = [loop.run_in_executor(pool, crunch, item) for item in work]
        for future in asyncio.as_completed(futures):
            results.append(await future)
            if on_progress:
                on_progress(1)
    results.sort(key=lambda r: r[0].line)
    moment = store.clock.now()
    now = to_text(moment)
    plan = []
    for row, account, same_password, digest in results:
        if account is None:
            report.created.append(row.identifier)
        elif same_password and _same_fields(account, row):
            report.unchanged.append(row.identifier)
            continue
        else:
            report.updated.append(row.identifier)
        plan.append((row, account, digest))
    if dry_run or not (plan or joining or leaving):
        return report
    async with store.db.transaction() as conn:
        for row, account, digest in plan:
            if account is None:
                inserted = await conn.execute_fetchall(
                    "INSERT INTO accounts (identifier, identifier_key, last_name, first_name, profile, class_name,"
                    " state, provisional_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)"
                    " RETURNING id",
                    (row.identifier, identifier_key(row.identifier), row.last_name, row.first_name, row.profile,
                     row.class_name, digest, now, now))
                await conn.execute("INSERT INTO account_schools (account_id, uai) VALUES (?, ?)",
                                   (list(inserted)[0][0], row.uai))
            else:
                await conn.execute(
                    "UPDATE accounts SET identifier = ?, last_name = ?, first_name = ?, profile = ?, class_name = ?,"
                    " provisional_hash = COALESCE(?, provisional_hash), updated_at = ? WHERE id = ? AND state != 'active'",
                    (row.identifier, row.last_name, row.first_name, row.profile, row.class_name, digest, now,
                     account.id))
        for row, account in joining:
            await conn.execute("INSERT INTO account_schools (account_id, uai) VALUES (?, ?) ON CONFLICT DO NOTHING",
                               (account.id, row.uai))
        for account in leaving:
            await conn.execute("DELETE FROM account_schools WHERE account_id = ? AND uai = ?", (account.id, school))
        uais = sorted({row.uai for row in rows if row.uai})
        await write_event(conn, moment, "shell", "import", None,
                          f"{path.name}: {len(report.created)} créés, {len(report.updated)} mis à jour"
                          + (f", {len(report.joined)} rattachés, {len(report.left)} détachés" if school or len(uais) > 1
                             else ""),
                          uai=school or (uais[0] if len(uais) == 1 else None))
    report.written = True
    return report
