"""Many schools in one deployment: SCHOOLS_FILE read and refused line by line, accounts given their schools by the
import or the ENT's directory, a database from before given its school, `entbot schools check`."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load
from conversations import texts
from conversations.roles import NOT_MEMBER_FOR
from sandbox.driver import Sandbox
from sandbox.server import SandboxServer
from storage.schools import DEFAULT_UAI, valid_uai
from storage.store import Store
from tests import flows
from tests.conftest import (
    OTHER_CONTACT,
    OTHER_STAFF_CHAT_ID,
    OTHER_UAI,
    STAFF_CHAT_ID,
    TOKEN,
    Harness,
    process_env,
    running_bot,
    two_schools,
)
from tests.ldap.slapd import Person, Slapd
from tests.old_schema import database_before
from tests.test_ldap import JEAN, PROVISIONALS, config_for, require_slapd
from tests.waiting import free_port

TWO = f"""
[[school]]
uai = "{DEFAULT_UAI}"
name = "Collège Léonard de Vinci"
contact_email = "ce.0371122u@ac-orleans-tours.fr"
staff_chat_id = -1009990001
staff_user_ids = [777001]
annonces_channel_id = -1009990002
postal_address = "1 rue de la Paix, 37000 Tours"

[[school]]
uai = "{OTHER_UAI}"
name = "Collège Jean Moulin"
contact_email = "{OTHER_CONTACT}"
staff_chat_id = -1009990011
staff_user_ids = [777002, 777003]
postal_address = "2 avenue du Lac, 37400 Amboise"
quiet_hours = "21:00-06:30"
"""


def settings_with(tmp_path: Path, toml: str, **env: str) -> Settings:
    path = tmp_path / "schools.toml"
    path.write_text(toml, encoding="utf-8")
    return load({"SCHOOLS_FILE": str(path), **env}, env_file=None)


def refusal(tmp_path: Path, toml: str) -> str:
    with pytest.raises(SettingsError) as caught:
        settings_with(tmp_path, toml)
    message = str(caught.value)
    assert "\n" not in message  # one line for the IT referent
    return message


def test_the_check_letter_of_a_uai() -> None:
    assert valid_uai("0371122U") and not valid_uai("0371122X")
    assert valid_uai(OTHER_UAI) and not valid_uai("037112U") and not valid_uai("0371122u")


def test_a_two_school_file_gives_each_school_its_own_staff_group_channel_and_hours(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, TWO, QUIET_HOURS="20:00-07:00")
    schools = settings.schools
    assert [s.uai for s in schools.all] == [DEFAULT_UAI, OTHER_UAI] and schools.several
    vinci, moulin = schools.all
    assert (vinci.staff.chat_id, vinci.annonces_channel_id, moulin.staff.chat_id) == (-1009990001, -1009990002,
                                                                                      -1009990011)
    assert moulin.annonces_channel_id is None and moulin.staff.user_ids == {777002, 777003}
    assert str(vinci.quiet_hours) != str(moulin.quiet_hours)  # the global QUIET_HOURS, and the school's own
    assert moulin.quiet_hours is not None and moulin.quiet_hours[0].hour == 21
    assert schools.of_staff_chat(-1009990011) is moulin and schools.listing(777003) == (moulin,)
    assert settings.legacy_uai == DEFAULT_UAI


@pytest.mark.parametrize(("change", "named"), [
    (('uai = "0370994E"', 'uai = "0370994X"'), ["Collège Jean Moulin", "uai", "0370994X", "lettre de contrôle serait E"]),
    (('uai = "0370994E"', 'uai = "370994E"'), ["Collège Jean Moulin", "uai", "7 chiffres et une lettre"]),
    (('uai = "0370994E"', f'uai = "{DEFAULT_UAI}"'), ["Collège Jean Moulin", "uai", "en double"]),
    ((f'contact_email = "{OTHER_CONTACT}"\n', ""), ["Collège Jean Moulin", "contact_email", "manquante"]),
    (('quiet_hours = "21:00-06:30"', 'heures_calmes = "21:00-06:30"'), ["Collège Jean Moulin", "heures_calmes",
                                                                        "clé inconnue"]),
    (('quiet_hours = "21:00-06:30"', 'quiet_hours = "le soir"'), ["Collège Jean Moulin", "quiet_hours", "HH:MM"]),
    (("staff_user_ids = [777002, 777003]", 'staff_user_ids = "777002"'), ["Collège Jean Moulin", "staff_user_ids"]),
    (("staff_chat_id = -1009990011", "staff_chat_id = -1009990001"), ["Collège Jean Moulin", "staff_chat_id",
                                                                      "Collège Léonard de Vinci"]),
])
def test_each_mistake_in_the_file_is_one_french_line_naming_the_school_and_the_key(
        tmp_path: Path, change: tuple[str, str], named: list[str]) -> None:
    old, new = change
    assert old in TWO
    message = refusal(tmp_path, TWO.replace(old, new))
    for part in named:
        assert part in message, message


def test_a_broken_toml_or_an_empty_file_is_refused(tmp_path: Path) -> None:
    assert "syntaxe TOML" in refusal(tmp_path, TWO.replace('name = "Collège Jean Moulin"', 'name = Collège'))
    assert "aucun établissement" in refusal(tmp_path, "# rien\n")
    assert "clé inconnue « ecole »" in refusal(tmp_path, '[ecole]\nuai = "0371122U"\n')


def test_without_schools_file_the_single_school_of_the_env_applies(tmp_path: Path) -> None:
    settings = load({"SCHOOL_CONTACT_EMAIL": "ce@college.fr", "SCHOOL_NAME": "Collège Rabelais"}, env_file=None)
    assert not settings.schools.several and settings.schools.first.uai == DEFAULT_UAI
    assert settings.schools.first.name == "Collège Rabelais" and settings.legacy_uai == DEFAULT_UAI
    other = load({"SCHOOL_CONTACT_EMAIL": "ce@college.fr", "SCHOOL_UAI": OTHER_UAI.lower()}, env_file=None)
    assert other.schools.first.uai == OTHER_UAI
    with pytest.raises(SettingsError, match="SCHOOL_UAI"):
        load({"SCHOOL_CONTACT_EMAIL": "ce@college.fr", "SCHOOL_UAI": "0371122X"}, env_file=None)


def test_the_bot_does_not_start_on_a_wrong_file(tmp_path: Path) -> None:
    path = tmp_path / "schools.toml"
    path.write_text(TWO.replace("0370994E", "0370994X"), encoding="utf-8")
    env = process_env(TELEGRAM_BOT_TOKEN=TOKEN, SCHOOLS_FILE=str(path), ENTBOT_DATABASE=str(tmp_path / "e.sqlite3"))
    result = subprocess.run([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2 and not (tmp_path / "e.sqlite3").exists()
    said = result.stderr.strip().splitlines()
    assert len(said) == 1 and "Collège Jean Moulin" in said[0] and "uai" in said[0], result.stderr


async def test_a_database_from_before_gets_the_school_of_its_settings(tmp_path: Path) -> None:
    """The single school's .env unchanged, its database made before many schools: after the upgrade, its accounts
    and tickets are SCHOOL_UAI's, and the bot finds them as before."""
    path = tmp_path / "entbot.sqlite3"
    conn = database_before(path, 14)
    conn.execute("INSERT INTO accounts (identifier, identifier_key, profile, state, created_at, updated_at)"
                 " VALUES ('jean.dupont12', 'jean.dupont12', 'parent', 'pending', '2026-09-01', '2026-09-01')")
    conn.execute("INSERT INTO tickets (telegram_user_id, user_name, context, opened_at, updated_at)"
                 " VALUES (5, 'Amina', '', '2026-09-01', '2026-09-01')")
    conn.commit()
    conn.close()
    store = Store(path, legacy_uai=OTHER_UAI)
    await store.open()
    try:
        account = await store.accounts.find("jean.dupont12")
        assert account is not None and account.schools == (OTHER_UAI,)
    finally:
        await store.close()
    with sqlite3.connect(path) as check:
        assert check.execute("SELECT uai FROM tickets").fetchall() == [(OTHER_UAI,)]
        assert check.execute("SELECT COUNT(*) FROM account_schools WHERE uai = ''").fetchone() == (0,)


# -- the import ----------------------------------------------------------------------------------------------


def entbot(tmp_path: Path, *args: str, schools: bool = True) -> subprocess.CompletedProcess[str]:
    settings = {"ENTBOT_DATABASE": str(tmp_path / "entbot.sqlite3")}
    if schools:
        (tmp_path / "schools.toml").write_text(TWO, encoding="utf-8")
        settings["SCHOOLS_FILE"] = str(tmp_path / "schools.toml")
    return subprocess.run([sys.executable, "-m", "bot", *args], env=process_env(**settings), cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)


def csv_file(tmp_path: Path, name: str, rows: list[str], header: str = "identifiant;mot_de_passe_provisoire") -> str:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return str(path)


def memberships(tmp_path: Path) -> dict[str, set[str]]:
    with sqlite3.connect(tmp_path / "entbot.sqlite3") as conn:
        rows = conn.execute("SELECT a.identifier, s.uai FROM accounts a JOIN account_schools s ON s.account_id = a.id")
        found: dict[str, set[str]] = {}
        for identifier, uai in rows:
            found.setdefault(identifier, set()).add(uai)
    return found


def test_one_account_in_two_schools_files_and_a_school_that_drops_it(tmp_path: Path) -> None:
    """A parent with a child at each collège is one account with two schools; Jean Moulin's next file no longer
    names them: they lose Jean Moulin, never Léonard de Vinci."""
    vinci = csv_file(tmp_path, "vinci.csv", ["jean.dupont12;Prov-2026a", "marie.curie;Prov-2026b"])
    moulin = csv_file(tmp_path, "moulin.csv", ["jean.dupont12;Prov-2026a", "paul.martin;Prov-2026c"])
    assert entbot(tmp_path, "accounts", "import", vinci, "--school", DEFAULT_UAI).returncode == 0
    second = entbot(tmp_path, "accounts", "import", moulin, "--school", OTHER_UAI.lower())
    assert second.returncode == 0, second.stdout + second.stderr
    assert memberships(tmp_path) == {"jean.dupont12": {DEFAULT_UAI, OTHER_UAI}, "marie.curie": {DEFAULT_UAI},
                                     "paul.martin": {OTHER_UAI}}
    again = csv_file(tmp_path, "moulin2.csv", ["paul.martin;Prov-2026c"])
    third = entbot(tmp_path, "accounts", "import", again, "--school", OTHER_UAI)
    assert third.returncode == 0 and "1 absent(s) du fichier détaché(s)" in third.stdout, third.stdout
    assert memberships(tmp_path) == {"jean.dupont12": {DEFAULT_UAI}, "marie.curie": {DEFAULT_UAI},
                                     "paul.martin": {OTHER_UAI}}
    with sqlite3.connect(tmp_path / "entbot.sqlite3") as conn:  # the audit names the school of each import
        assert [r[0] for r in conn.execute("SELECT uai FROM audit WHERE event = 'import' ORDER BY id")] == [
            DEFAULT_UAI, OTHER_UAI, OTHER_UAI]


def test_a_uai_column_and_the_rows_of_an_unknown_school(tmp_path: Path) -> None:
    mixed = csv_file(tmp_path, "academie.csv", [f"jean.dupont12;Prov-2026a;{DEFAULT_UAI}",
                                                f"paul.martin;Prov-2026c;{OTHER_UAI}",
                                                "lea.durand;Prov-2026d;0370036N",
                                                "max.petit;Prov-2026e;0370036X",
                                                "rose.blanc;Prov-2026f;"],
                     header="identifiant;mot_de_passe_provisoire;uai")
    refused = entbot(tmp_path, "accounts", "import", mixed)
    assert refused.returncode == 1 and memberships(tmp_path) == {}  # nothing written
    lines = refused.stdout
    assert "ligne 4 : uai 0370036N : établissement absent de la configuration" in lines, lines
    assert "ligne 5 : colonne uai" in lines and "lettre de contrôle" in lines
    assert "ligne 6 : établissement inconnu : plusieurs établissements, précisez --school" in lines
    assert "ligne 2" not in lines and "ligne 3" not in lines
    kept = entbot(tmp_path, "accounts", "import", mixed, "--skip-invalid")
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert memberships(tmp_path) == {"jean.dupont12": {DEFAULT_UAI}, "paul.martin": {OTHER_UAI}}
    wrong = entbot(tmp_path, "accounts", "import", mixed, "--school", "0370036N")
    assert wrong.returncode == 2 and "--school 0370036N : établissement inconnu" in wrong.stderr


def test_a_single_school_imports_as_before(tmp_path: Path) -> None:
    plain = csv_file(tmp_path, "comptes.csv", ["jean.dupont12;Prov-2026a"])
    result = entbot(tmp_path, "accounts", "import", plain, schools=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert memberships(tmp_path) == {"jean.dupont12": {DEFAULT_UAI}}


# -- families whose account is of none of the schools ---------------------------------------------------------


async def test_an_account_no_school_of_the_deployment_names_is_told_so_in_one_sentence(
        sandbox_server: SandboxServer, tmp_path: Path) -> None:
    async with running_bot(sandbox_server, tmp_path, school_list=two_schools()) as bot:
        await flows.with_account(bot, uai=OTHER_UAI)
        path = tmp_path / "moulin.csv"
        path.write_text("identifiant;mot_de_passe_provisoire\nautre.compte;Prov-2026z\n", encoding="utf-8")
        from storage.importer import import_accounts  # Jean Moulin's new list no longer names the family

        report = await import_accounts(bot.store, path, school=OTHER_UAI, known=bot.settings.school_uais)
        assert report.left == [flows.IDENTIFIER]
        parent = await bot.parent()
        await flows.to_identifier(parent)
        await parent.send(flows.IDENTIFIER)
        assert "aucun des établissements" not in await parent.text()  # nothing said before the pair is proven
        await parent.send(flows.PROVISIONAL)
        assert await parent.text() == texts.NOT_OUR_SCHOOL
        assert await bot.store.progress.get(parent.user_id) is None


@pytest.fixture
def schools_slapd(tmp_path: Path) -> Slapd:
    require_slapd()
    return Slapd(tmp_path / "slapd", free_port(), [
        JEAN, Person("F900", "ailleurs.famille", schools=["0370036N"]),
        Person("F901", "deux.colleges", schools=[DEFAULT_UAI, OTHER_UAI, f"{DEFAULT_UAI} {OTHER_UAI}", "0370994X"])])


async def test_the_directory_gives_each_entry_its_schools_at_each_login(
        sandbox_server: SandboxServer, tmp_path: Path, schools_slapd: Slapd) -> None:
    schools_slapd.start()
    try:
        async with running_bot(sandbox_server, tmp_path, ldap=config_for(schools_slapd),
                               school_list=two_schools()) as bot:
            logins = {"ailleurs.famille": "Prov-ailleurs1", "deux.colleges": "Prov-deux2", JEAN.login: PROVISIONALS[JEAN.login]}
            await bot.import_accounts([{"identifiant": k, "mot_de_passe_provisoire": v, "uai": DEFAULT_UAI}
                                       for k, v in logins.items()])
            both = await bot.store.accounts.find("deux.colleges")  # its two values that are no UAI name no school
            assert both is not None and both.schools == tuple(sorted((DEFAULT_UAI, OTHER_UAI)))
            with sqlite3.connect(bot.settings.database) as conn:
                kept = conn.execute("SELECT uai FROM account_schools WHERE account_id = ?", (both.id,)).fetchall()
            assert sorted(row[0] for row in kept) == sorted((DEFAULT_UAI, OTHER_UAI))
            # The ENT moves Jean to Jean Moulin: read at the next login, whatever the import said.
            schools_slapd.modify(f"dn: {JEAN.dn}\nchangetype: modify\nreplace: ESCOUAI\nESCOUAI: {OTHER_UAI}\n")
            jean = await bot.store.accounts.find(JEAN.login)
            assert jean is not None and jean.schools == (OTHER_UAI,)
            # ...and what SQLite answers by school (lists, figures, data by school) follows it from then on.
            with sqlite3.connect(bot.settings.database) as conn:
                assert conn.execute("SELECT uai FROM account_schools WHERE account_id = ?", (jean.id,)).fetchall() == [
                    (OTHER_UAI,)]
            elsewhere = await bot.parent("Nadia")
            await flows.to_cgu(elsewhere, "ailleurs.famille", "Prov-ailleurs1")
            assert await elsewhere.text() == texts.NOT_OUR_SCHOOL
            ours = await bot.parent("Karim")
            await flows.to_cgu(ours, "deux.colleges", "Prov-deux2")
            assert "✅ J'ai lu et j'accepte" in (await ours.last()).button_texts
    finally:
        schools_slapd.stop()


async def test_with_one_school_the_directory_entry_s_uai_is_not_asked(
        sandbox_server: SandboxServer, tmp_path: Path, schools_slapd: Slapd) -> None:
    """An existing single-school .env: the default SCHOOL_UAI need not be the entries' — nothing changes."""
    schools_slapd.start()
    try:
        async with running_bot(sandbox_server, tmp_path, ldap=config_for(schools_slapd)) as bot:
            await bot.import_accounts([{"identifiant": "ailleurs.famille", "mot_de_passe_provisoire": "Prov-ailleurs1"}])
            parent = await bot.parent()
            await flows.to_cgu(parent, "ailleurs.famille", "Prov-ailleurs1")
            assert "✅ J'ai lu et j'accepte" in (await parent.last()).button_texts
    finally:
        schools_slapd.stop()


# -- entbot schools check -------------------------------------------------------------------------------------


async def test_schools_check_reads_the_file_then_asks_telegram_about_each_school(tmp_path: Path) -> None:
    server = SandboxServer(token=TOKEN)
    await server.start()
    sandbox = Sandbox(server.url)
    try:
        secretary = await sandbox.person("Sylvie", user_id=777001)
        await sandbox.group("Secrétariat — Vinci", [secretary], chat_id=STAFF_CHAT_ID)
        await sandbox.channel("Annonces — Vinci", chat_id=-1009990002)  # Jean Moulin's group was never made
        (tmp_path / "schools.toml").write_text(TWO, encoding="utf-8")
        env = process_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=server.api_url,
                          SCHOOLS_FILE=str(tmp_path / "schools.toml"))

        def run() -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-m", "bot", "schools", "check"], env=env, cwd=tmp_path,
                                  capture_output=True, text=True, timeout=60)

        result = await asyncio.get_running_loop().run_in_executor(None, run)
    finally:
        await sandbox.close()
        await server.stop()
    lines = result.stdout.splitlines()
    assert result.returncode == 1, result.stdout + result.stderr
    assert any(line.startswith("✓ Fichier des établissements") and "2 établissement(s)" in line for line in lines)
    assert any(line.startswith(f"✓ {texts.DOCTOR_STAFF} — {DEFAULT_UAI}") for line in lines), lines
    assert any(line.startswith(f"✓ {texts.DOCTOR_CHANNEL} — {DEFAULT_UAI}") for line in lines), lines
    assert any(line.startswith(f"✗ {texts.DOCTOR_STAFF} — {OTHER_UAI}") for line in lines), lines
    assert any(line.startswith(f"– {texts.DOCTOR_CHANNEL} — {OTHER_UAI}") for line in lines), lines


# -- who is staff of which school ------------------------------------------------------------------------------


async def _member_checks(bot: Harness, since: int) -> tuple[int, int]:
    calls, following = await bot.sandbox.calls(since)
    return sum(1 for _, method, _ in calls if method == "getChatMember"), following


async def test_a_group_member_is_staff_of_that_school_only_and_no_more_once_removed(
        sandbox_server: SandboxServer, tmp_path: Path) -> None:
    """Staff of Jean Moulin by its group alone: /stats works in private; removed from the group, at once not."""
    async with running_bot(sandbox_server, tmp_path, school_list=two_schools()) as bot:
        member = await bot.parent("Odile")
        group = await bot.staff_group(member, chat_id=OTHER_STAFF_CHAT_ID)
        await member.send("/stats")
        assert any(m.kind == "photo" for m in await member.messages())  # the chart, then the figures
        await group.set_member(member, member=False)
        told = len(await member.messages())
        await member.send("/stats")
        after = (await member.messages())[told:]
        assert [m.from_bot for m in after] == [False, True] and after[1].kind == "text"  # what a parent gets


async def test_a_stranger_s_staff_commands_do_not_cost_a_call_per_school_each_time(
        sandbox_server: SandboxServer, tmp_path: Path) -> None:
    """With several schools, a stranger typing /compte again and again: each school's group is asked once, then the
    "no" is kept a while; once that while has passed, asked again."""
    async with running_bot(sandbox_server, tmp_path, school_list=two_schools()) as bot:
        await bot.staff_group(chat_id=STAFF_CHAT_ID)
        await bot.staff_group(chat_id=OTHER_STAFF_CHAT_ID)
        stranger = await bot.parent("Intrus")
        _, since = await bot.sandbox.calls()
        await stranger.send("/compte jean.dupont12")
        first, since = await _member_checks(bot, since)
        assert first == 2  # each school's group, once
        for _ in range(3):
            await stranger.send("/compte jean.dupont12")
        again, since = await _member_checks(bot, since)
        assert again == 0
        bot.clock.advance(NOT_MEMBER_FOR + timedelta(seconds=1))
        await stranger.send("/compte jean.dupont12")
        later, _ = await _member_checks(bot, since)
        assert later == 2
        await stranger.send("/aide")  # a parent's /aide asks no group at all with several schools
        assert texts.STAFF_HELP not in await stranger.text()


async def test_telegram_failing_to_answer_is_not_kept_as_a_no(sandbox_server: SandboxServer, tmp_path: Path) -> None:
    """Jean Moulin's group member asks /stats while Telegram errs on getChatMember: refused now, but once Telegram
    answers again, at once accepted (not ten minutes later)."""
    async with running_bot(sandbox_server, tmp_path, school_list=two_schools()) as bot:
        member = await bot.parent("Odile")
        await bot.staff_group(member, chat_id=OTHER_STAFF_CHAT_ID)
        await bot.sandbox.fault("getChatMember", status=500, count=2)  # both groups, once
        await member.send("/stats")
        assert not any(m.kind == "photo" for m in await member.messages())
        await member.send("/stats")
        assert any(m.kind == "photo" for m in await member.messages())


def test_a_school_importing_another_school_s_family_changes_nothing_of_it(tmp_path: Path) -> None:
    """Jean Moulin's file names Léonard de Vinci's pending family with other names and another provisional
    password: the family joins Jean Moulin too, and Vinci's letter still opens its account."""
    vinci = csv_file(tmp_path, "vinci.csv", ["jean.dupont12;Prov-2026a;Dupont;Jean"],
                     header="identifiant;mot_de_passe_provisoire;nom;prenom")
    moulin = csv_file(tmp_path, "moulin.csv", ["jean.dupont12;Autre-2026z;Intrus;Faux"],
                      header="identifiant;mot_de_passe_provisoire;nom;prenom")
    assert entbot(tmp_path, "accounts", "import", vinci, "--school", DEFAULT_UAI).returncode == 0
    second = entbot(tmp_path, "accounts", "import", moulin, "--school", OTHER_UAI)
    assert second.returncode == 0 and "déjà importé(s) par un autre établissement" in second.stdout, second.stdout
    assert memberships(tmp_path) == {"jean.dupont12": {DEFAULT_UAI, OTHER_UAI}}

    async def check() -> tuple[bool, bool, str | None]:
        store = Store(tmp_path / "entbot.sqlite3")
        await store.open()
        try:
            account = await store.accounts.find("jean.dupont12")
            assert account is not None
            return (await store.accounts.check_provisional(account, "Prov-2026a"),
                    await store.accounts.check_provisional(account, "Autre-2026z"), account.last_name)
        finally:
            await store.close()

    assert asyncio.run(check()) == (True, False, "Dupont")


def test_a_single_school_moved_to_schools_file_under_its_real_uai_is_told_and_moved(tmp_path: Path) -> None:
    """Its database was the default UAI's: `schools check` says no staff sees those accounts and how to move them;
    `schools move` gives them, and their tickets, to the configured school."""
    plain = csv_file(tmp_path, "comptes.csv", ["jean.dupont12;Prov-2026a", "marie.curie;Prov-2026b"])
    assert entbot(tmp_path, "accounts", "import", plain, schools=False).returncode == 0
    (tmp_path / "schools.toml").write_text(TWO.split("[[school]]")[0] + "[[school]]" + TWO.split("[[school]]")[2],
                                          encoding="utf-8")  # Jean Moulin alone: the school's real UAI

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = process_env(ENTBOT_DATABASE=str(tmp_path / "entbot.sqlite3"), SCHOOLS_FILE=str(tmp_path / "schools.toml"))
        return subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=120)

    told = run("schools", "check")
    assert told.returncode == 1
    line = next(x for x in told.stdout.splitlines() if texts.DOCTOR_SCHOOL_DATA in x)
    assert line.startswith("✗") and f"2 compte(s) de l'UAI {DEFAULT_UAI}" in line
    assert f"entbot schools move {DEFAULT_UAI} {OTHER_UAI}" in line
    assert run("schools", "move", DEFAULT_UAI, "0370036N").returncode == 2  # not a school of the configuration
    moved = run("schools", "move", DEFAULT_UAI, OTHER_UAI)
    assert moved.returncode == 0 and "2 compte(s)" in moved.stdout, moved.stdout + moved.stderr
    assert memberships(tmp_path) == {"jean.dupont12": {OTHER_UAI}, "marie.curie": {OTHER_UAI}}
    assert texts.DOCTOR_SCHOOL_DATA not in run("schools", "check").stdout
