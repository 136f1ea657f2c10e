"""`entbot accounts …` on a real SQLite file, as the IT referent runs it."""

from __future__ import annotations

import csv as csv_module
import io
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from storage.secrets import verify_secret_sync
from tests.conftest import process_env

HEADER = "identifiant;mot_de_passe_provisoire;nom;prenom;profil;classe\n"


def entbot(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = process_env(ENTBOT_DATABASE=str(tmp_path / "entbot.sqlite3"))
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "comptes.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def accounts(tmp_path: Path) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(tmp_path / "entbot.sqlite3")
    rows = conn.execute("SELECT identifier, state, provisional_hash FROM accounts ORDER BY identifier").fetchall()
    conn.close()
    return rows


def test_import_then_reimport_changes_nothing(tmp_path: Path) -> None:
    csv = write(tmp_path, HEADER + "lea.martin;Prov-1a;Martin;Léa;eleve;6A\nmarc.petit;Prov-2b;Petit;Marc;parent;6A\n")
    first = entbot(tmp_path, "accounts", "import", str(csv))
    assert first.returncode == 0, first.stderr
    assert "2 compte(s) créé(s)" in first.stdout
    rows = accounts(tmp_path)
    assert [r[:2] for r in rows] == [("lea.martin", "pending"), ("marc.petit", "pending")]
    assert all(r[2].startswith("$argon2id$") and "Prov" not in r[2] for r in rows)
    again = entbot(tmp_path, "accounts", "import", str(csv))
    assert again.returncode == 0 and "aucun changement" in again.stdout
    assert accounts(tmp_path) == rows
    changed = write(tmp_path, HEADER + "LEA.MARTIN;Prov-9z;Martin;Léa;eleve;5A\n", name="maj.csv")
    third = entbot(tmp_path, "accounts", "import", str(changed))
    assert "1 mis à jour" in third.stdout
    assert accounts(tmp_path)[0][2] != rows[0][2]


def test_every_bad_line_is_reported_and_nothing_is_imported(tmp_path: Path) -> None:
    csv = write(tmp_path, HEADER + "ok.un;P1;A;B;parent;6A\n;P2;A;B;parent;6A\nok.un;P3;A;B;parent;6A\n"
                "ok.deux;;A;B;parent;6A\nok.trois;P4;A;B;directeur;6A\nok quatre;P5;A;B;;6A\nok/cinq;P6;A;B;;6A\n")
    result = entbot(tmp_path, "accounts", "import", str(csv))
    assert result.returncode == 1
    out = result.stdout
    assert "ligne 3 : identifiant manquant" in out
    assert "ligne 4 : identifiant « ok.un » en double (déjà ligne 2)" in out
    assert "ligne 5 : mot de passe provisoire vide" in out
    assert "ligne 6 : profil inconnu « directeur »" in out
    assert "ligne 7 : identifiant « ok quatre » avec des espaces" in out
    assert "ligne 8 : identifiant « ok/cinq » refusé : un seul mot de 64 caractères au plus" in out  # the bot's rule
    assert "rien n'a été importé" in out
    assert accounts(tmp_path) == []
    dry = entbot(tmp_path, "accounts", "import", str(csv), "--skip-invalid", "--dry-run")
    assert "Simulation" in dry.stdout and "1 compte(s) créé(s)" in dry.stdout and accounts(tmp_path) == []
    skipped = entbot(tmp_path, "accounts", "import", str(csv), "--skip-invalid")
    assert skipped.returncode == 0 and [r[0] for r in accounts(tmp_path)] == ["ok.un"]


@pytest.mark.parametrize("encoding,sep", [("cp1252", ";"), ("utf-8-sig", ","), ("utf-8", ",")])
def test_excel_encodings_and_separators(tmp_path: Path, encoding: str, sep: str) -> None:
    text = (HEADER + "zoé.hénault;Prov-1a;Hénault;Zoé;Élève;6A\n").replace(";", sep)
    result = entbot(tmp_path, "accounts", "import", str(write(tmp_path, text, encoding)))
    assert result.returncode == 0, result.stdout + result.stderr
    shown = entbot(tmp_path, "accounts", "show", "ZOÉ.HÉNAULT")
    assert "Zoé Hénault" in shown.stdout and "Profil : eleve" in shown.stdout and "à activer" in shown.stdout


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    result = entbot(tmp_path, "accounts", "import", str(write(tmp_path, "login;password\na;b\n")))
    assert result.returncode == 2 and "mot_de_passe_provisoire" in result.stderr and "identifiant" in result.stderr


def test_list_and_show_never_print_a_secret(tmp_path: Path) -> None:
    csv = write(tmp_path, HEADER + "lea.martin;Secret-Prov1;Martin;Léa;eleve;6A\n")
    entbot(tmp_path, "accounts", "import", str(csv))
    listed = entbot(tmp_path, "accounts", "list")
    shown = entbot(tmp_path, "accounts", "show", "lea.martin")
    assert "lea.martin" in listed.stdout and "1 compte(s)" in listed.stdout
    assert "import" in shown.stdout or "Identifiant : lea.martin" in shown.stdout
    for out in (listed.stdout, shown.stdout):
        assert "Secret-Prov1" not in out and "argon2" not in out
    missing = entbot(tmp_path, "accounts", "show", "personne")
    assert missing.returncode == 1 and "aucun compte « personne »" in missing.stderr


def test_a_database_newer_than_the_program_is_refused(tmp_path: Path) -> None:
    entbot(tmp_path, "accounts", "import", str(write(tmp_path, HEADER + "lea.martin;Prov-1a;Martin;Léa;eleve;6A\n")))
    conn = sqlite3.connect(tmp_path / "entbot.sqlite3")
    conn.execute("INSERT INTO schema_migrations VALUES (999, 'future', '2030-01-01')")
    conn.commit()
    conn.close()
    result = entbot(tmp_path, "accounts", "list")
    assert result.returncode == 2 and "plus récent que ce programme" in result.stderr
    assert "Traceback" not in result.stderr


def test_reset_prints_a_new_provisional_password_once_and_stores_only_its_hash(tmp_path: Path) -> None:
    entbot(tmp_path, "accounts", "import", str(write(tmp_path, HEADER + "lea.martin;Prov-1a;Martin;Léa;eleve;6A\n")))
    before = accounts(tmp_path)[0]
    result = entbot(tmp_path, "accounts", "reset", " LEA.MARTIN ")
    assert result.returncode == 0, result.stderr
    password = result.stdout.split("à transmettre à la famille : ")[1].split()[0]
    identifier, state, digest = accounts(tmp_path)[0]
    assert (identifier, state) == ("lea.martin", "reset") and digest != before[2]
    assert verify_secret_sync(digest, password) and not verify_secret_sync(digest, "Prov-1a")
    assert password.encode() not in (tmp_path / "entbot.sqlite3").read_bytes()
    again = entbot(tmp_path, "accounts", "reset", "lea.martin")
    assert again.stdout.split("famille : ")[1].split()[0] != password
    missing = entbot(tmp_path, "accounts", "reset", "personne")
    assert missing.returncode == 1 and "aucun compte « personne »" in missing.stderr


def test_unlock_lifts_the_lock_on_the_account(tmp_path: Path) -> None:
    entbot(tmp_path, "accounts", "import", str(write(tmp_path, HEADER + "lea.martin;Prov-1a;Martin;Léa;eleve;6A\n")))
    conn = sqlite3.connect(tmp_path / "entbot.sqlite3")
    conn.execute("INSERT INTO attempts (scope, key, failures, locks, locked_until) "
                 "VALUES ('account', 'lea.martin', 0, 1, '2999-01-01T00:00:00+00:00')")
    conn.commit()
    assert "jusqu’à" in entbot(tmp_path, "accounts", "list").stdout
    result = entbot(tmp_path, "accounts", "unlock", "lea.martin")
    assert result.returncode == 0 and "Compte lea.martin débloqué." in result.stdout
    assert conn.execute("SELECT locked_until FROM attempts WHERE key = 'lea.martin'").fetchone() == (None,)
    conn.close()
    assert "n'était pas bloqué" in entbot(tmp_path, "accounts", "unlock", "lea.martin").stdout


def test_export_opens_in_french_excel_and_holds_no_secret(tmp_path: Path) -> None:
    rows = "zoé.hénault;Prov-1a;Hénault;Zoé;eleve;6A\nmal.veillant;Prov-2b;=HYPERLINK(\"x\");Eve;parent;6B\n"
    entbot(tmp_path, "accounts", "import", str(write(tmp_path, HEADER + rows)))
    entbot(tmp_path, "accounts", "reset", "mal.veillant")
    out = tmp_path / "etat des comptes.csv"
    result = entbot(tmp_path, "accounts", "export", str(out))
    assert result.returncode == 0 and "2 compte(s) exporté(s)" in result.stdout
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw and b"argon2" not in raw and b"Prov-" not in raw
    table = list(csv_module.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert table[0][:6] == ["identifiant", "nom", "prenom", "profil", "classe", "etat"]
    by_id = {row[0]: row for row in table[1:]}
    assert by_id["zoé.hénault"][1:6] == ["Hénault", "Zoé", "eleve", "6A", "à activer"]
    assert by_id["mal.veillant"][1].startswith("'=") and by_id["mal.veillant"][5].startswith("réinitialisé")
    bad = entbot(tmp_path, "accounts", "export", str(tmp_path / "absent" / "x.csv"))
    assert bad.returncode == 2 and "impossible d'écrire" in bad.stderr


def test_stats_in_the_shell(tmp_path: Path) -> None:
    rows = "lea.martin;Prov-1a;Martin;Léa;eleve;6A\nmarc.petit;Prov-2b;Petit;Marc;parent;6A\n"
    entbot(tmp_path, "accounts", "import", str(write(tmp_path, HEADER + rows)))
    entbot(tmp_path, "accounts", "reset", "marc.petit")
    result = entbot(tmp_path, "stats")
    assert result.returncode == 0
    assert "Comptes importés : 2" in result.stdout
    assert "activés : 0   à activer : 1   réinitialisés : 1" in result.stdout
    assert sum(line.endswith(" : 0 / 0 / 0 / 0") for line in result.stdout.splitlines()) == 6  # six quiet days
    *_, today, failed_mails = result.stdout.rstrip().splitlines()
    assert today.endswith("0 / 0 / 0 / 1")  # today's reset, last of the seven days
    assert failed_mails == "Courriels abandonnés (non envoyés après tous les essais) : 0"


def test_every_accounts_command_is_audited_under_the_login_that_ran_it(tmp_path: Path) -> None:
    """Issue 22, finding 12: what the IT referent does to an account, even reading it, names them."""
    csv = write(tmp_path, HEADER + "lea.martin;Prov-1a;Martin;Léa;eleve;6A\n")
    assert entbot(tmp_path, "accounts", "import", str(csv)).returncode == 0
    env = process_env(ENTBOT_DATABASE=str(tmp_path / "entbot.sqlite3"), SUDO_USER="m.durand")
    for args in (["list"], ["show", "lea.martin"], ["unlock", "lea.martin"], ["export", "etat.csv"],
                 ["reset", "lea.martin"]):
        done = subprocess.run([sys.executable, "-m", "bot", "accounts", *args], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    conn = sqlite3.connect(tmp_path / "entbot.sqlite3")
    rows = conn.execute("SELECT actor, event, account_id FROM audit WHERE event != 'import' ORDER BY id").fetchall()
    conn.close()
    assert [(actor, event) for actor, event, _ in rows] == [
        ("shell:m.durand", "accounts_listed"), ("shell:m.durand", "account_viewed"), ("shell:m.durand", "unlocked"),
        ("shell:m.durand", "accounts_exported"), ("shell:m.durand", "reset")]
    assert all(account_id is not None for _, event, account_id in rows if event in ("account_viewed", "unlocked", "reset"))
    shown = entbot(tmp_path, "accounts", "show", "lea.martin").stdout
    assert "fiche consultée (shell:" in shown and "compte réinitialisé (shell:m.durand)" in shown
