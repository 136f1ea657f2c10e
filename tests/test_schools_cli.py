"""The IT referent's commands with several schools: --school, required, keeps each school's accounts, letters and
register apart; the letter's code carries its school, and the family that scans it is known to be that school's."""

from __future__ import annotations

import asyncio
import csv
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sandbox.server import SandboxServer
from storage.schools import DEFAULT_UAI
from tests import flows
from tests.conftest import CONTACT, OTHER_CONTACT, OTHER_UAI, TOKEN, Harness, process_env, running_bot, two_schools
from tests.test_letters import WELCOME, decoded_links, page_texts, token_of

SCHOOLS = f"""
[[school]]
uai = "{DEFAULT_UAI}"
name = "Collège Léonard de Vinci"
contact_email = "{CONTACT}"
postal_address = "1 rue de la Paix, 37000 Tours"

[[school]]
uai = "{OTHER_UAI}"
name = "Collège Jean Moulin"
contact_email = "{OTHER_CONTACT}"
postal_address = "2 avenue du Lac, 37400 Amboise"
"""
HEADER = "identifiant;mot_de_passe_provisoire;nom;prenom;profil;classe\n"
REQUIRED = "précisez l'établissement avec --school UAI : cette installation en sert plusieurs"


def run(tmp_path: Path, *args: str, database: Path | None = None, **env: str) -> tuple[int, str, str]:
    import subprocess

    schools = tmp_path / "schools.toml"
    schools.write_text(SCHOOLS, encoding="utf-8")
    settings = {"ENTBOT_DATABASE": str(database or tmp_path / "entbot.sqlite3"), "SCHOOLS_FILE": str(schools), **env}
    done = subprocess.run([sys.executable, "-m", "bot", *args], env=process_env(**settings), cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout, done.stderr


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def audit(database: Path, event: str) -> list[tuple[str, str | None]]:
    conn = sqlite3.connect(database)
    try:
        return [(r[0], r[1]) for r in conn.execute("SELECT actor, uai FROM audit WHERE event = ? ORDER BY id", (event,))]
    finally:
        conn.close()


@pytest.fixture
def two_files(tmp_path: Path) -> Path:
    """jean.dupont12 and lea.martin are the usual collège's, marc.moulin Jean Moulin's."""
    vinci = write(tmp_path, "vinci.csv", ["jean.dupont12;Prov-2026a;Dupont;Jean;parent;5B",
                                          "lea.martin;Prov-Lea1a;Martin;Léa;eleve;6A"])
    moulin = write(tmp_path, "moulin.csv", ["marc.moulin;Prov-Marc1;Moulin;Marc;parent;4C"])
    assert run(tmp_path, "accounts", "import", str(vinci), "--school", DEFAULT_UAI)[0] == 0
    assert run(tmp_path, "accounts", "import", str(moulin), "--school", OTHER_UAI)[0] == 0
    return tmp_path


def test_school_is_required_with_several_schools_and_checked(two_files: Path) -> None:
    tmp_path = two_files
    for args in (["accounts", "list"], ["accounts", "export", "x.csv"], ["accounts", "reset", "marc.moulin"],
                 ["accounts", "unlock", "marc.moulin"], ["stats"], ["privacy", "register"]):
        code, out, err = run(tmp_path, *args)
        assert code != 0 and REQUIRED in err and f"{DEFAULT_UAI}, {OTHER_UAI}" in err, args
        assert "Nouveau mot de passe" not in out
    code, _, err = run(tmp_path, "accounts", "list", "--school", "0999999Z")
    assert code != 0 and "établissement inconnu de la configuration" in err
    assert not (tmp_path / "x.csv").exists()


def test_list_export_and_stats_show_the_school_s_accounts_only(two_files: Path) -> None:
    tmp_path = two_files
    code, out, _ = run(tmp_path, "accounts", "list", "--school", OTHER_UAI.lower())
    assert code == 0 and "marc.moulin" in out and "jean.dupont12" not in out and "1 compte(s)" in out
    code, out, _ = run(tmp_path, "accounts", "list", "--school", DEFAULT_UAI)
    assert code == 0 and "jean.dupont12" in out and "lea.martin" in out and "marc.moulin" not in out
    code, _, _ = run(tmp_path, "accounts", "export", "moulin-export.csv", "--school", OTHER_UAI)
    with (tmp_path / "moulin-export.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f, delimiter=";"))
    assert code == 0 and [r[0] for r in rows[1:]] == ["marc.moulin"]
    code, out, _ = run(tmp_path, "stats", "--school", OTHER_UAI)
    assert code == 0 and "Comptes importés : 1" in out
    code, out, _ = run(tmp_path, "stats", "--school", DEFAULT_UAI)
    assert code == 0 and "Comptes importés : 2" in out
    database = tmp_path / "entbot.sqlite3"
    assert [u for _, u in audit(database, "accounts_listed")] == [OTHER_UAI, DEFAULT_UAI]
    assert [u for _, u in audit(database, "accounts_exported")] == [OTHER_UAI]
    assert [u for _, u in audit(database, "stats_viewed")] == [OTHER_UAI, DEFAULT_UAI]


def test_reset_and_unlock_refuse_another_school_s_account_as_unknown(two_files: Path) -> None:
    tmp_path = two_files
    database = tmp_path / "entbot.sqlite3"
    for action in ("reset", "unlock"):
        theirs = run(tmp_path, "accounts", action, "jean.dupont12", "--school", OTHER_UAI)
        unknown = run(tmp_path, "accounts", action, "personne.inconnue", "--school", OTHER_UAI)
        assert theirs[0] == unknown[0] == 1
        assert theirs[2].replace("jean.dupont12", "X") == unknown[2].replace("personne.inconnue", "X")
        assert theirs[1] == unknown[1] == ""
    assert audit(database, "reset") == [] and audit(database, "unlocked") == []
    conn = sqlite3.connect(database)
    assert conn.execute("SELECT state, revision FROM accounts WHERE identifier = 'jean.dupont12'").fetchone() == ("pending", 0)
    conn.close()
    code, out, _ = run(tmp_path, "accounts", "reset", "marc.moulin", "--school", OTHER_UAI)
    assert code == 0 and "Compte marc.moulin (Marc Moulin) réinitialisé" in out
    code, out, _ = run(tmp_path, "accounts", "unlock", "jean.dupont12", "--school", DEFAULT_UAI)
    assert code == 0 and "jean.dupont12" in out
    assert [u for _, u in audit(database, "reset")] == [OTHER_UAI]
    assert [u for _, u in audit(database, "unlocked")] == [DEFAULT_UAI]


def test_the_register_of_one_school_names_its_head_controller_and_the_operator_processor(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, "privacy", "register", "--school", OTHER_UAI)
    assert code == 0
    controller = out.split("## Responsable du traitement")[1].split("## Finalités")[0]
    assert "Collège Jean Moulin, représenté par son chef d'établissement" in controller
    assert OTHER_CONTACT in controller and "2 avenue du Lac, 37400 Amboise" in controller
    assert "## Sous-traitant (article 28 du RGPD)" in controller and "L'opérateur de l'ENT" in controller
    assert "Léonard de Vinci" not in out and CONTACT not in out
    # One school: the record as before, the school its controller, no processor.
    single = process_env(ENTBOT_DATABASE=str(tmp_path / "seul.sqlite3"), SCHOOL_NAME="Collège Léonard de Vinci")
    import subprocess

    done = subprocess.run([sys.executable, "-m", "bot", "privacy", "register"], env=single, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "- **Organisme** : Collège Léonard de Vinci\n" in done.stdout
    assert "Sous-traitant" not in done.stdout


# -- letters ----------------------------------------------------------------------------------------


@pytest.fixture
async def two(sandbox_server: SandboxServer, tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(sandbox_server, tmp_path, school_list=two_schools()) as harness:
        yield harness


async def letters(bot: Harness, *args: str) -> tuple[int, str, str]:
    env = {"TELEGRAM_API_URL": bot.server.api_url, "TELEGRAM_BOT_TOKEN": TOKEN}
    return await asyncio.get_running_loop().run_in_executor(
        None, lambda: run(bot.tmp_path, "letters", *args, database=bot.settings.database, **env))


async def test_letters_of_a_school_print_its_name_address_and_contact_and_their_code_carries_it(two: Harness) -> None:
    bot = two
    moulin = write(bot.tmp_path, "moulin.csv", ["marc.moulin;Prov-Marc1;Moulin;Marc;parent;4C",
                                                "paul.moulin;Prov-Paul1;Moulin;Paul;eleve;6B"])
    code, _, err = await letters(bot, str(moulin), "--out", "lettres.pdf")
    assert code != 0 and REQUIRED in err and not (bot.tmp_path / "lettres.pdf").exists()
    code, out, err = await letters(bot, str(moulin), "--out", "lettres.pdf", "--school", OTHER_UAI)
    assert code == 0, err
    assert "2 lettre(s)" in out
    pdf = (bot.tmp_path / "lettres.pdf").read_bytes()
    for text in page_texts(pdf):
        flat = " ".join(text.split()).replace("\u00a0", " ")
        for expected in ("Collège Jean Moulin", "2 avenue du Lac, 37400 Amboise", OTHER_CONTACT):
            assert expected in flat, (expected, flat)
        assert "Léonard de Vinci" not in flat and CONTACT not in flat
    links = decoded_links(pdf)
    conn = sqlite3.connect(bot.settings.database)
    schools = {r[0] for r in conn.execute("SELECT uai FROM letter_tokens")}
    conn.close()
    assert schools == {OTHER_UAI}
    assert [u for _, u in audit(bot.settings.database, "letter_issued")] == [OTHER_UAI, OTHER_UAI]
    # The family that scans it is known to be Jean Moulin's.
    family = await bot.parent("Marc")
    await family.send(f"/start {token_of(links[0])}")
    assert f"{WELCOME} Marc Moulin" in await family.text()
    marc = await bot.store.accounts.find("marc.moulin")
    assert marc is not None and marc.schools == (OTHER_UAI,)
    assert await bot.store.letters.school_scanned(marc.id) == OTHER_UAI
    assert (f"telegram:{family.user_id}", OTHER_UAI) in audit(bot.settings.database, "identified")


async def test_late_letters_for_a_few_families_detach_no_one_else(two: Harness) -> None:
    """Jean Moulin prints letters for two late families: the school's other families keep the school."""
    bot = two
    await bot.import_accounts([{**flows.ACCOUNT, "identifiant": f"eleve.{n}", "uai": OTHER_UAI} for n in range(3)])
    late = write(bot.tmp_path, "retard.csv", ["tard.un;Prov-Tard1;Tard;Un;parent;4C", "tard.deux;Prov-Tard2;Tard;Deux;parent;5A"])
    code, out, err = await letters(bot, str(late), "--out", "retard.pdf", "--school", OTHER_UAI)
    assert code == 0, err
    assert "2 lettre(s)" in out and "détaché" not in out
    for n in range(3):
        kept = await bot.store.accounts.find(f"eleve.{n}")
        assert kept is not None and kept.schools == (OTHER_UAI,), kept
    joined = await bot.store.accounts.find("tard.un")
    assert joined is not None and joined.schools == (OTHER_UAI,)


async def test_lettre_in_telegram_prints_the_staff_member_s_school(two: Harness) -> None:
    from tests.conftest import OTHER_STAFF_ID

    bot = two
    await bot.import_accounts([{**flows.ACCOUNT, "identifiant": "marc.moulin", "uai": OTHER_UAI}])
    other = await bot.secretary("Odile", user_id=OTHER_STAFF_ID)
    await other.send("/lettre marc.moulin")
    await other.click("📄 Oui, nouvelle lettre")
    document = await other.last()
    assert document.kind == "document" and document.file_id is not None
    _, pdf = await bot.sandbox.file(document.file_id)
    flat = " ".join(page_texts(pdf)[0].split()).replace("\u00a0", " ")
    assert "Collège Jean Moulin" in flat and "2 avenue du Lac, 37400 Amboise" in flat and OTHER_CONTACT in flat
    assert "Léonard de Vinci" not in flat
    [link] = decoded_links(pdf)
    marc = await bot.store.accounts.find("marc.moulin")
    assert marc is not None
    conn = sqlite3.connect(bot.settings.database)
    assert conn.execute("SELECT uai FROM letter_tokens WHERE state = 'valid'").fetchall() == [(OTHER_UAI,)]
    events = conn.execute("SELECT event, uai FROM audit WHERE actor = ? ORDER BY id", (f"staff:{OTHER_STAFF_ID}",)).fetchall()
    conn.close()
    assert events == [("letter_asked", OTHER_UAI), ("reset", OTHER_UAI), ("letter_issued", OTHER_UAI)]
    family = await bot.parent("Marc")
    await family.send(f"/start {token_of(link)}")
    assert WELCOME in await family.text()
    assert await bot.store.letters.school_scanned(marc.id) == OTHER_UAI


def test_with_one_school_school_is_optional_and_must_be_its_own(tmp_path: Path) -> None:
    import subprocess

    env = process_env(ENTBOT_DATABASE=str(tmp_path / "seul.sqlite3"))
    path = write(tmp_path, "comptes.csv", ["jean.dupont12;Prov-2026a;Dupont;Jean;parent;5B"])

    def entbot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=120)

    assert entbot("accounts", "import", str(path)).returncode == 0
    assert "jean.dupont12" in entbot("accounts", "list").stdout
    assert "jean.dupont12" in entbot("accounts", "list", "--school", DEFAULT_UAI).stdout
    wrong = entbot("accounts", "list", "--school", OTHER_UAI)
    assert wrong.returncode != 0 and "établissement inconnu de la configuration" in wrong.stderr
    assert [u for _, u in audit(tmp_path / "seul.sqlite3", "accounts_listed")] == [DEFAULT_UAI, DEFAULT_UAI]
