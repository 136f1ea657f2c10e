"""`entbot letters FILE.csv --out lettres.pdf`: imports the school's CSV, then prints one letter per family, bilingual
(French, then the family's language) for a row whose `langue` column, or the batch's `--language`, names one."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from bot.console import fail
from bot.importing import import_file  # the import exactly as `accounts import` runs it
from bot.settings import Settings
from conversations.letters import prepare, school_letterhead
from i18n import IN_FRENCH, SOURCE
from render.letter_page import TRANSLATED
from storage.accounts import Account, identifier_key
from storage.importer import CsvError, Row, read_csv
from storage.private_files import create_beside
from storage.store import Store

MERGE_HEADER = ["identifiant", "nom", "prenom", "classe", "lien"]
EXPECTED_LANGUAGES = ", ".join(f"{code} ({IN_FRENCH[code]})" for code in TRANSLATED)


def _languages(rows: list[Row], batch: str | None) -> tuple[dict[str, str], list[str]]:
    """Each row's letter language (by identifier), and the lines whose `langue` is not a shipped language.

    A row's own `langue` wins over --language (the family's language is known for that row, the option is the
    batch's default); `fr` in a row asks for French alone even with --language; an empty cell takes --language."""
    chosen: dict[str, str] = {}
    wrong: list[str] = []
    for row in rows:
        language = row.language or batch or SOURCE
        if language != SOURCE and language not in TRANSLATED:
            wrong.append(f"ligne {row.line} : langue inconnue « {row.language} » pour « {row.identifier} »")
            continue
        chosen[identifier_key(row.identifier)] = language
    return chosen, wrong


async def bot_username(settings: Settings) -> str:
    """The bot's @username, asked of Telegram with the token: the links then open this very bot.

    A setting typed by hand could name another bot and print a whole year's letters dead.
    """
    async with Bot(settings.require_token(), base_url=settings.api_url) as bot:
        return bot.username


def _cell(value: str) -> str:
    """Excel runs a cell starting with = + - @ as a formula: such a cell is prefixed with '."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def _write_atomically(path: Path, data: bytes) -> Path:
    """Writes next to `path` first, 0600 (the letters bear the provisional passwords): the file appears whole, or not
    at all."""
    temporary = create_beside(path)
    try:
        temporary.write_bytes(data)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


async def letters(store: Store, settings: Settings, path: Path, out: Path, merge: Path | None, only: list[str],
                  skip_invalid: bool, uai: str, language: str | None = None) -> int:
    """`uai`: the school whose letters these are (its name, address and contact on each, its tokens). The file's
    families are imported into that school; it is not the school's whole list (`accounts import --school` is).
    `language`: the second language of every letter whose row has no `langue` of its own."""
    school = settings.schools.get(uai)
    if school is None:
        return fail(f"--school {uai} : établissement inconnu de la configuration.")
    batch_language = language.strip().lower() if language else None
    if batch_language is not None and batch_language != SOURCE and batch_language not in TRANSLATED:
        return fail(f"--language {language} : langue inconnue (attendu : {EXPECTED_LANGUAGES}, ou fr pour le "
                    "français seul). Rien n'a été fait.")
    try:
        rows, _ = read_csv(path)
    except CsvError as exc:
        return fail(f"{path} : {exc}")
    languages, wrong = _languages(rows, batch_language)
    if wrong:  # before anything is imported or printed: a letter in the wrong language is a letter to print again
        return fail(f"{path} : colonne langue : {len(wrong)} ligne(s) en erreur (attendu : {EXPECTED_LANGUAGES}, "
                    "ou vide ou fr pour le français seul). Rien n'a été importé ni imprimé.\n"
                    + "\n".join(f"  {line}" for line in wrong), 1)
    wanted = {identifier_key(i) for i in only}
    unknown = sorted(wanted - {identifier_key(r.identifier) for r in rows})
    if unknown:
        return fail(f"--only : identifiant(s) absent(s) du fichier {path.name} (ou sur une ligne en erreur) : "
                     f"{', '.join(unknown)}. Rien n'a été fait.", 1)
    try:
        username = await bot_username(settings)
    except InvalidToken:
        return fail("TELEGRAM_BOT_TOKEN refusé par Telegram : vérifiez le jeton donné par @BotFather.")
    except TelegramError as exc:
        return fail(f"impossible de demander à Telegram le nom du bot (getMe) pour écrire les liens : {exc}. "
                     "Rien n'a été fait.")
    # The families printed join the school; the file is no whole list: no one else loses it (a few late letters
    # must not detach the rest of the school).
    code = await import_file(store, path, dry_run=False, skip_invalid=skip_invalid, school=uai,
                             known=settings.school_uais, complete=False)
    if code != 0:
        return code
    families: list[tuple[Account, str]] = []
    active: list[str] = []
    for row in rows:
        if wanted and identifier_key(row.identifier) not in wanted:
            continue
        account = await store.accounts.find(row.identifier)
        if account is None:  # a row the import skipped (--skip-invalid)
            continue
        if account.state == "active":
            active.append(account.identifier)
            continue
        families.append((account, row.provisional))
    if active:
        print(f"Pas de lettre pour {len(active)} compte(s) déjà activé(s) : {', '.join(active)}")
    if not families:
        print("Aucune lettre à imprimer.")
        return 0
    head = school_letterhead(store, school, settings.letter_validity_days)
    batch = await prepare(head, username, families, {account.id: languages.get(identifier_key(account.identifier),
                                                                                 SOURCE) for account, _ in families})
    bilingual = sum(1 for account, _ in families if languages.get(identifier_key(account.identifier), SOURCE) != SOURCE)
    finals = [out] if merge is None else [out, merge]
    pending: list[Path] = []
    try:  # the PDF is written before its links become valid, so that no valid letter is lost
        pending.append(_write_atomically(out, batch.pdf))
        if merge is not None:
            pending.append(create_beside(merge))
            with pending[-1].open("w", encoding="utf-8-sig", newline="") as f:
                writer = csv.writer(f, delimiter=";", lineterminator="\r\n")
                writer.writerow(MERGE_HEADER)
                for account, url in batch.links:
                    writer.writerow([_cell(v) for v in (account.identifier, account.last_name or "",
                                                         account.first_name or "", account.class_name or "", url)])
    except OSError as exc:
        for temporary in pending:
            temporary.unlink(missing_ok=True)
        return fail(f"impossible d'écrire {exc.filename} : {exc.strerror}. Aucune lettre n'est valable.")
    await store.letters.issue(batch.tokens, timedelta(days=settings.letter_validity_days), "shell", uai)
    for temporary, final in zip(pending, finals, strict=True):
        temporary.replace(final)
    pages = "une page par famille" if not bilingual else (
        f"dont {bilingual} bilingue(s), le français au recto et la traduction au verso : imprimez en recto verso")
    print(f"{len(batch.tokens)} lettre(s) dans {out} ({pages}), liens valables une fois jusqu'au "
          f"{head.valid_until.strftime('%d/%m/%Y')} ; les lettres précédentes de ces comptes ne marchent plus."
          + (f" Liens pour un publipostage : {merge}." if merge else ""))
    print("Ces fichiers portent les mots de passe provisoires et des liens qui valent la lettre : "
          "imprimez-les, puis effacez-les.")
    return 0
