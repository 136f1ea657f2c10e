"""Privacy: every table's retention through the nightly job, a family seeing and erasing its data, the notice."""

from __future__ import annotations

import ast
import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest

from bot.settings import SettingsError, load
from sandbox.driver import Chat, Person
from sandbox.server import SandboxServer
from storage.db import Clock
from storage.letters import NewLetter, new_token
from storage.notices import Delivery
from storage.outbox import OutgoingMail, enqueue, enqueue_code
from storage.privacy import RULES, Retention
from storage.schools import DEFAULT_UAI
from storage.store import Store
from storage.tickets import NewMessage
from tests import flows
from tests.conftest import OTHER_UAI, Harness, process_env, running_bot
from tests.test_helpdesk import header_of, write_to_school

DEFAULTS = Retention()
OLD, YOUNG = 4_200_001, 4_200_002  # the Telegram users of the row to purge and of the row to keep

Seed = Callable[[Harness, int], Awaitable[None]]


async def _progress(bot: Harness, uid: int) -> None:
    await bot.store.progress.start(uid, "identifier")


async def _recovery(bot: Harness, uid: int) -> None:
    await bot.store.recovery.start(uid, "forgot", "identifier")


async def _writing(bot: Harness, uid: int) -> None:
    await bot.store.writing.start(uid)


async def _attempts(bot: Harness, uid: int) -> None:
    # Five failures: a lock of 15 minutes, lifted long before the retention ends.
    for _ in range(5):
        await bot.store.attempts.failure(("user", str(uid)), actor=f"telegram:{uid}", account_id=None,
                                         event="provisional_failed")


async def _audit(bot: Harness, uid: int) -> None:
    await bot.store.audit.record(f"telegram:{uid}", "login_ok")


async def _outbox(bot: Harness, uid: int) -> None:
    async with bot.store.db.transaction() as conn:
        await enqueue(conn, bot.clock.now(), "ticket", "ce@college.fr", f"Demande {uid}", f"Telegram {uid}", "college.fr")
    for mail in await bot.store.outbox.due(all_pending=True):
        await bot.store.outbox.sent(mail, forget_body=False)


async def _notices(bot: Harness, uid: int) -> None:
    notice = await bot.store.notices.start(uid, "Sylvie")
    await bot.store.notices.change(notice.id, ("awaiting",), state="cancelled")


async def _deliveries(bot: Harness, uid: int) -> None:
    await bot.store.subscribers.subscribe(uid, "Parent")
    notice = await bot.store.notices.start(777, "Sylvie")
    await bot.store.notices.publish(notice.id, ("awaiting",), "none")
    delivery = Delivery(notice.id, uid, 0, 0, 0)
    assert await bot.store.deliveries.claim(delivery)
    await bot.store.deliveries.sent(delivery)
    await bot.store.subscribers.unsubscribe(uid, "asked")


async def _subscribers(bot: Harness, uid: int) -> None:
    await bot.store.subscribers.subscribe(uid, "Parent")
    if uid == OLD:
        await bot.store.subscribers.unsubscribe(uid, "asked")


async def _subscriber_schools(bot: Harness, uid: int) -> None:
    # Subscribed to two schools' notices; OLD stops one of them (and still gets the other's).
    await bot.store.subscribers.subscribe(uid, "Parent", [DEFAULT_UAI, OTHER_UAI])
    if uid == OLD:
        await bot.store.subscribers.unsubscribe(uid, "asked", [OTHER_UAI])


async def _ephemeral(bot: Harness, uid: int) -> None:
    await bot.store.ephemeral.add(uid, 1, bot.clock.now())


async def _pending_deletions(bot: Harness, uid: int) -> None:
    await bot.store.pending_deletions.add(uid, 1, bot.clock.now(), "timed out")


async def _undeleted(bot: Harness, uid: int) -> None:
    await bot.store.privacy.record_undeleted([(uid, 1, 1, "message can't be deleted")])


async def _directory_row(bot: Harness, uid: int) -> None:
    # What LDAP mode writes when a family types an identifier found in the ENT's directory (storage/ldap_directory.py).
    now = bot.clock.now().isoformat(timespec="seconds")
    async with bot.store.db.transaction() as conn:
        await conn.execute("INSERT INTO accounts (identifier, identifier_key, last_name, first_name, profile, state,"
                           " created_at, updated_at) VALUES (?, ?, 'Martin', 'Léa', 'parent', 'pending', ?, ?)",
                           (f"l{uid}", f"l{uid}", now, now))


async def _account_failures(bot: Harness, uid: int) -> None:
    await bot.store.attempts.failure(("user", str(uid)), ("account", f"compte{uid}"), actor=f"telegram:{uid}",
                                     account_id=None, event="provisional_failed")


async def _identifier_probes(bot: Harness, uid: int) -> None:
    assert await bot.store.attempts.may_look_up(uid, f"compte{uid}")


async def _code_mails(bot: Harness, uid: int) -> None:
    mail = OutgoingMail("email_code", "a@exemple.fr", "Sujet", "Code", "college.fr", uid)
    async with bot.store.db.transaction() as conn:
        await enqueue_code(conn, bot.clock.now(), mail, None, bot.clock.now() + timedelta(minutes=15))


async def _letter_tokens(bot: Harness, uid: int) -> None:
    # A letter whose token expired at once: what the retention counts from.
    now = bot.clock.now().isoformat(timespec="seconds")
    async with bot.store.db.transaction() as conn:
        await conn.execute("INSERT INTO accounts (id, identifier, identifier_key, profile, state, created_at, updated_at)"
                           " VALUES (?, ?, ?, 'parent', 'pending', ?, ?)", (uid, f"lettre{uid}", f"lettre{uid}", now, now))
    await bot.store.letters.issue([NewLetter(uid, "empreinte", new_token())], timedelta(0), "shell")


async def _form_tokens(bot: Harness, uid: int) -> None:
    await bot.store.form_tokens.mint(uid, uid, "provisional", timedelta(minutes=15))


async def _family_language(bot: Harness, uid: int) -> None:
    """A family that chose its language and has nothing else with the bot (tests/test_languages.py: the rest)."""
    await bot.store.languages.set(uid, "uk", "chosen")


# table -> (how one row is made for Telegram user `uid`, the row's key column in that table, its retention)
TABLES: dict[str, tuple[Seed, str, int]] = {
    "activation_progress": (_progress, "telegram_user_id", DEFAULTS.progress_days),
    "recovery_progress": (_recovery, "telegram_user_id", DEFAULTS.progress_days),
    "helpdesk_writing": (_writing, "telegram_user_id", DEFAULTS.progress_days),
    "attempts": (_attempts, "CAST(key AS INTEGER)", DEFAULTS.attempts_days),
    "audit": (_audit, "CAST(substr(actor, 10) AS INTEGER)", DEFAULTS.audit_days),
    "outbox": (_outbox, "CAST(substr(body, 10) AS INTEGER)", DEFAULTS.tickets_days),
    "notices": (_notices, "author_id", DEFAULTS.notices_days),
    "deliveries": (_deliveries, "telegram_user_id", DEFAULTS.notices_days),
    "subscribers": (_subscribers, "telegram_user_id", DEFAULTS.unsubscribed_days),
    "subscriber_schools": (_subscriber_schools, f"CASE WHEN uai = '{OTHER_UAI}' THEN telegram_user_id END",
                           DEFAULTS.unsubscribed_days),
    "ephemeral_messages": (_ephemeral, "chat_id", DEFAULTS.telegram_days),
    "pending_deletions": (_pending_deletions, "chat_id", DEFAULTS.telegram_days),
    "undeleted_copies": (_undeleted, "chat_id", DEFAULTS.audit_days),
    "account_failures": (_account_failures, "telegram_user_id", DEFAULTS.attempts_days),
    "identifier_probes": (_identifier_probes, "telegram_user_id", DEFAULTS.telegram_days),
    "code_mails": (_code_mails, "telegram_user_id", DEFAULTS.telegram_days),
    "letter_tokens": (_letter_tokens, "account_id", DEFAULTS.progress_days),
    "form_tokens": (_form_tokens, "telegram_user_id", DEFAULTS.telegram_days),
    "family_languages": (_family_language, "telegram_user_id", DEFAULTS.progress_days),
    "accounts": (_directory_row, "CAST(substr(identifier, 2) AS INTEGER)", DEFAULTS.progress_days),
}


# Tables whose rows go with a ticket, an account or a subscriber (ON DELETE CASCADE), or that hold nothing about anyone.
FOLLOW_A_TICKET = {"ticket_messages", "ticket_posts", "staff_posts", "account_schools"}
NOTHING_PERSONAL = {"schema_migrations"}


def test_every_table_with_personal_data_has_a_rule(tmp_path: Path) -> None:
    """tickets (with ticket_messages and ticket_posts) is tested through the help desk below."""
    assert {rule.table for rule in RULES} == set(TABLES) | {"tickets"}
    # A table added by a later migration must be given a rule here, or said to hold nothing personal.
    import asyncio

    store = Store(tmp_path / "schema.sqlite3")
    asyncio.run(store.open())
    asyncio.run(store.close())
    with sqlite3.connect(tmp_path / "schema.sqlite3") as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                             " AND name NOT LIKE 'sqlite_%'")}
    assert tables - FOLLOW_A_TICKET - NOTHING_PERSONAL == {rule.table for rule in RULES}


async def _users_in(bot: Harness, table: str, key: str) -> set[int]:
    async with bot.store.db.read() as conn:
        rows = await conn.execute_fetchall(f"SELECT {key} FROM {table}")
    return {r[0] for r in rows} & {OLD, YOUNG}


@pytest.mark.parametrize("table", sorted(TABLES))
@pytest.mark.both_engines  # the retention's SQL, on both engines
async def test_a_row_older_than_its_retention_is_purged_by_the_nightly_job(bot: Harness, table: str) -> None:
    seed, key, days = TABLES[table]
    await seed(bot, OLD)
    if days > 0:  # the day before its time, the row is still there
        bot.clock.advance(timedelta(days=days) - timedelta(hours=1))
        await bot.run_job("purge")
        assert await _users_in(bot, table, key) == {OLD}
    await seed(bot, YOUNG)
    bot.clock.advance(timedelta(hours=2))
    await bot.run_job("purge")
    assert await _users_in(bot, table, key) == {YOUNG}


@pytest.mark.both_engines  # the retention's SQL, on both engines
async def test_a_running_lock_is_kept_past_the_retention(bot: Harness) -> None:
    for _ in range(5 * 8):  # eight locks in a row: the last one lasts 15 min x 2^7, 32 hours
        await bot.store.attempts.failure(("user", str(OLD)), actor="t", account_id=None, event="provisional_failed")
    bot.clock.advance(timedelta(days=DEFAULTS.attempts_days, hours=-1))
    await bot.store.attempts.failure(("user", str(OLD)), actor="t", account_id=None, event="provisional_failed")
    async with bot.store.db.transaction() as conn:  # a lock far ahead, as a staff member may leave it
        await conn.execute("UPDATE attempts SET locked_until = ? WHERE key = ?",
                           ((bot.clock.now() + timedelta(days=40)).isoformat(timespec="seconds"), str(OLD)))
    bot.clock.advance(timedelta(days=DEFAULTS.attempts_days + 1))
    await bot.run_job("purge")
    assert await _users_in(bot, "attempts", "CAST(key AS INTEGER)") == {OLD}


@pytest.mark.both_engines  # the retention's SQL, on both engines
async def test_purging_works_in_batches(bot: Harness) -> None:
    for i in range(120):
        await bot.store.audit.record(f"telegram:{i}", "login_ok")
    bot.clock.advance(timedelta(days=DEFAULTS.audit_days + 1))
    await bot.store.audit.record("telegram:1", "login_ok")
    report = await bot.store.privacy.purge(DEFAULTS, None, batch=50)
    assert report.removed["audit"] == 120
    async with bot.store.db.read() as conn:
        assert list(await conn.execute_fetchall("SELECT COUNT(*) FROM audit"))[0][0] == 1


@pytest.mark.both_engines  # the retention's SQL, on both engines
async def test_closed_tickets_go_with_their_messages_and_their_copies_in_the_staff_group(bot: Harness) -> None:
    old, recent = await bot.parent("A"), await bot.parent("B")
    secretary = await bot.secretary()
    group = await bot.staff_group(secretary)
    await write_to_school(old, "ancienne")
    await old.send_photo(caption="la capture")
    await secretary.click("✅ Clore", in_message=(await header_of(group, 1)).message_id, chat=group)
    await bot.group_caught_up()
    old_copies = [m.message_id for m in await group.messages() if m.from_bot]
    bot.clock.advance(timedelta(days=80))
    await write_to_school(recent, "récente")
    await secretary.click("✅ Clore", in_message=(await header_of(group, 2)).message_id, chat=group)
    bot.clock.advance(timedelta(days=11))
    # Telegram refuses one deletion (a bot may delete its messages in a group for 48 hours only).
    await bot.sandbox.fault("deleteMessage", status=400, count=1)
    await bot.run_job("purge")
    assert await bot.store.tickets.get(1) is None and await bot.store.tickets.get(2) is not None
    async with bot.store.db.read() as conn:
        assert [r[0] for r in await conn.execute_fetchall("SELECT DISTINCT ticket_id FROM ticket_messages")] == [2]
        assert [r[0] for r in await conn.execute_fetchall("SELECT DISTINCT ticket_id FROM ticket_posts")] == [2]
    deleted = set(await group.deleted_ids())
    left = await bot.store.privacy.undeleted()
    assert len(old_copies) == 2 and len(left) == 1 and left[0][2] == 1
    assert deleted == set(old_copies) - {left[0][1]}
    assert (await header_of(group, 2)).message_id not in deleted


# -- the family's own data ------------------------------------------------------------------------

FIRST_NAME, USERNAME = "Zéphyrine", "zephyrine_b42"


def _database_mentions(path: Path, uid: int) -> list[str]:
    """Every place the SQLite file names or links this Telegram user: live rows, and bytes left anywhere."""
    found = []
    conn = sqlite3.connect(path)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        for column in columns:
            for (value,) in conn.execute(f"SELECT {column} FROM {table}"):
                if value == uid or (isinstance(value, str) and any(
                        word in value for word in (str(uid), FIRST_NAME, USERNAME))):
                    found.append(f"{table}.{column} = {value!r}")
    conn.close()
    raw = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    for word in (str(uid), FIRST_NAME, USERNAME):
        if word.encode() in raw:
            found.append(f"bytes {word!r} in the file")
    return found


async def _family(bot: Harness) -> tuple[Person, Chat]:
    """A parent halfway through the activation, subscribed to the announcements, with a ticket open."""
    await flows.with_account(bot)
    parent = await bot.sandbox.person(FIRST_NAME, "Bernard", username=USERNAME)
    secretary = await bot.secretary()
    group = await bot.staff_group(secretary)
    await parent.send("/start")
    await parent.click("📣 Recevoir les annonces du collège")
    await flows.to_cgu(parent)
    await parent.click("✅ J'ai lu et j'accepte")
    await write_to_school(parent, "Bonjour, je bloque à l'étape de l'adresse")
    return parent, group


async def test_a_family_reads_and_erases_its_data_and_the_file_keeps_nothing_of_it(bot: Harness) -> None:
    parent, group = await _family(bot)
    await parent.send("/mesdonnees")
    shown = await parent.text()
    assert flows.IDENTIFIER in shown and "étape 4/6" in shown
    assert "abonné depuis le" in shown and "Demande n°1" in shown and "1 message(s)" in shown
    assert flows.PROVISIONAL not in shown and "argon2" not in shown
    assert _database_mentions(bot.settings.database, parent.user_id)  # the test would see what is there

    header = (await header_of(group, 1)).message_id
    await parent.click("🗑 Effacer mes données")
    assert "C'est fait" not in await parent.text() and "définitif" in await parent.text()
    await parent.click("🗑 Oui, tout effacer")
    done = await parent.text()
    assert "C'est fait" in done and "votre abonnement aux annonces" in done and "demandes au collège (n°1)" in done
    assert "journal de sécurité garde" in done and "sans votre nom ni votre numéro Telegram" in done

    assert _database_mentions(bot.settings.database, parent.user_id) == []
    # Kept, as the notice says: the account (the school's), the ticket's number and dates, the audit lines.
    account = await bot.store.accounts.find(flows.IDENTIFIER)
    assert account is not None and account.state == "pending"
    ticket = await bot.store.tickets.get(1)
    assert ticket is not None and ticket.state == "closed"
    assert [m.text for m in await bot.store.tickets.messages(1)] == ["effacé à la demande de la famille"]
    # The ticket's copy in the staff group is gone, and staff are told why.
    assert header in await group.deleted_ids()
    assert "Demande n°1 : effacée à la demande de la famille" in (await group.last()).text

    await parent.send("/mesdonnees")
    assert "Je ne garde rien sur vous" in await parent.text()


async def test_the_erase_button_asks_first_and_no_keeps_everything(bot: Harness) -> None:
    parent, _ = await _family(bot)
    await parent.send("/mesdonnees")
    await parent.click("🗑 Effacer mes données")
    await parent.click("↩ Non, garder")
    assert "Rien n'a été effacé" in await parent.text()
    assert await bot.store.progress.get(parent.user_id) is not None
    assert await bot.store.subscribers.is_active(parent.user_id)
    # The confirmation pressed again after erasing: nothing left to erase, said so.
    await parent.send("/mesdonnees")
    await parent.click("🗑 Effacer mes données")
    message = (await parent.last()).message_id
    await parent.click("🗑 Oui, tout effacer")
    await parent.click_data(message, "privacy:erase:yes")
    assert "rien à effacer" in await parent.text()


async def test_the_first_start_points_to_the_notice_which_follows_the_settings(sandbox_server: SandboxServer,
                                                                              tmp_path: Path) -> None:
    async with running_bot(sandbox_server, tmp_path, progress_retention_days=10, audit_retention_days=180,
                           school_postal_address="12 rue des Écoles, 37000 Tours") as bot:
        parent = await bot.parent()
        await parent.send("/start")
        assert "/confidentialite" in await parent.text()
        await parent.send("/confidentialite")
        notice = await parent.text()
        assert "Collège Léonard de Vinci" in notice and "12 rue des Écoles, 37000 Tours" in notice
        assert "10 jours après la dernière étape" in notice and "180 jours" in notice
        assert "90 jours après leur clôture" in notice
        assert "hors de l'Union européenne" in notice and "CNIL" in notice and "/mesdonnees" in notice
        assert len(notice) < 4096
        await parent.click("📣 Recevoir les annonces du collège")
        await parent.send("/start")  # the bot now holds something: the line has done its job
        assert "/confidentialite" not in await parent.text()


# -- entbot privacy … , as the IT referent runs it ------------------------------------------------


def entbot(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = process_env(ENTBOT_DATABASE=str(tmp_path / "entbot.sqlite3"), **env)
    return subprocess.run([sys.executable, "-m", "bot", *args], env=environ, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)


async def _seed_file(tmp_path: Path, age: timedelta) -> None:
    """A family's progress, subscription, ticket and audit line, written `age` ago."""
    clock = Clock()
    clock.advance(-age)
    store = Store(tmp_path / "entbot.sqlite3", clock)
    await store.open()
    try:
        await store.progress.start(OLD, "identifier")
        await store.progress.update(OLD, identifier="jean.dupont12", email="jean@exemple.fr", step="email")
        await store.subscribers.subscribe(OLD, FIRST_NAME)
        await store.audit.record(f"telegram:{OLD}", "identified")
        await store.tickets.submit(OLD, f"{FIRST_NAME} (@{USERNAME})", None, "jean.dupont12", "étape 4", False,
                                   NewMessage("text", "je bloque"), None)
    finally:
        await store.close()


async def test_export_then_erase_from_the_shell(tmp_path: Path) -> None:
    await _seed_file(tmp_path, timedelta())
    export = entbot(tmp_path, "privacy", "export", str(OLD))
    assert export.returncode == 0, export.stderr
    data = json.loads(export.stdout)
    assert data["activation"]["identifier"] == "jean.dupont12" and data["activation"]["step"] == "email"
    assert data["subscription"]["active"] == 1 and data["tickets"][0]["messages"][0]["text"] == "je bloque"
    assert "hash" not in export.stdout
    erase = entbot(tmp_path, "privacy", "erase", str(OLD))
    assert erase.returncode == 0, erase.stderr
    assert f"Données de l'utilisateur Telegram {OLD} effacées" in erase.stdout
    assert "demandes n°1 : contenu remplacé" in erase.stdout and "1 ligne(s) du journal de sécurité" in erase.stdout
    assert _database_mentions(tmp_path / "entbot.sqlite3", OLD) == []
    again = json.loads(entbot(tmp_path, "privacy", "export", str(OLD)).stdout)
    assert not any(value for key, value in again.items() if key != "telegram_user_id")
    bad = entbot(tmp_path, "privacy", "erase", "amina")
    assert bad.returncode == 2 and "attendu le numéro de l'utilisateur Telegram" in bad.stderr


async def test_purge_from_the_shell_says_what_it_removed_per_table(tmp_path: Path) -> None:
    await _seed_file(tmp_path, timedelta(days=400))
    purge = entbot(tmp_path, "privacy", "purge")
    assert purge.returncode == 0, purge.stderr
    removed = dict(re.findall(r"^  (\w+)\s+(\d+) ligne", purge.stdout, flags=re.MULTILINE))
    # The ticket is still open: kept, as the subscription (active); the abandoned progress and the audit line go.
    assert removed["activation_progress"] == "1" and removed["audit"] == "1"
    assert removed["tickets"] == "0" and removed["subscribers"] == "0"


def test_the_register_is_filled_from_the_configuration(tmp_path: Path) -> None:
    result = entbot(tmp_path, "privacy", "register", SCHOOL_NAME="Collège Léonard de Vinci",
                    AUDIT_RETENTION_DAYS="180", DPO_CONTACT="dpo@ac-orleans-tours.fr", SMTP_HOST="127.0.0.1",
                    MAIL_FROM="bot@college.fr", STAFF_CHAT_ID="-1001")
    assert result.returncode == 0, result.stderr
    register = result.stdout
    assert register.startswith("# Registre des activités de traitement")
    assert "Collège Léonard de Vinci" in register and "dpo@ac-orleans-tours.fr" in register
    assert "| le journal de sécurité (qui a activé, testé, réinitialisé quel compte, et quand) | 180 jours |" in register
    assert "Argon2id" in register and "hors de l'Union européenne" in register and "6.1.e" in register
    assert "copie des demandes d'aide" in register and "groupe Telegram réservé" in register
    bad = entbot(tmp_path, "privacy", "register", AUDIT_RETENTION_DAYS="un an")
    assert bad.returncode == 2 and "AUDIT_RETENTION_DAYS='un an' invalide" in bad.stderr


async def test_many_tickets_still_fit_in_one_message(bot: Harness) -> None:
    parent = await bot.parent()
    for i in range(30):
        ticket, _ = await bot.store.tickets.submit(parent.user_id, "Amina", None, None, "contexte", False,
                                                   NewMessage("text", f"message {i} " + "x" * 3000), None)
        await bot.store.tickets.close(ticket.id, "Sylvie")
    await parent.send("/mesdonnees")
    shown = await parent.text()
    assert "Demandes au collège : 30, dont les 15 dernières" in shown
    assert "Demande n°30" in shown and "Demande n°15 " not in shown


def test_retention_settings_have_the_issue_defaults_and_refuse_nonsense() -> None:
    settings = load({}, env_file=None)
    assert settings.retention == Retention(progress_days=30, attempts_days=30, audit_days=365, tickets_days=90,
                                           notices_days=365, unsubscribed_days=0)
    changed = load({"PROGRESS_RETENTION_DAYS": "7", "UNSUBSCRIBED_RETENTION_DAYS": "0", "TICKETS_RETENTION_DAYS": "60"},
                   env_file=None)
    assert changed.retention.progress_days == 7 and changed.retention.tickets_days == 60
    with pytest.raises(SettingsError, match="PROGRESS_RETENTION_DAYS='0' invalide"):
        load({"PROGRESS_RETENTION_DAYS": "0"}, env_file=None)
    with pytest.raises(SettingsError, match="UNSUBSCRIBED_RETENTION_DAYS='-1' invalide"):
        load({"UNSUBSCRIBED_RETENTION_DAYS": "-1"}, env_file=None)


def test_no_text_is_defined_twice() -> None:
    """A second `ERASE_BUTTON = …` in texts.py silently changed the staff's button once: every name is bound once,
    across all the flows' modules too (the package exports them side by side)."""
    names = []
    for module in sorted((Path(__file__).resolve().parent.parent / "conversations" / "texts").glob("*.py")):
        if module.name == "__init__.py":
            continue
        tree = ast.parse(module.read_text(encoding="utf-8"))
        names += [target.id for node in tree.body if isinstance(node, ast.Assign) for target in node.targets
                  if isinstance(target, ast.Name) and not target.id.startswith("_")
                  and target.id not in ("CATALOG", "ngettext", "pgettext")]
        names += [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]
    assert len(names) > 300
    assert sorted({n for n in names if names.count(n) > 1}) == []


@pytest.mark.both_engines  # the retention's SQL, on both engines
async def test_erasing_is_no_way_round_a_running_lock(parent: Person, bot: Harness) -> None:
    await flows.to_identifier(parent)
    for _ in range(5):
        await parent.send(flows.IDENTIFIER)
        await parent.send("Faux-mot-2")
    assert await bot.store.attempts.locked_until(("user", str(parent.user_id))) is not None
    await parent.send("/mesdonnees")
    await parent.click("🗑 Effacer mes données")
    await parent.click("🗑 Oui, tout effacer")
    assert "vos essais échoués des dernières 24 heures et un blocage en cours" in await parent.text()
    assert await bot.store.attempts.locked_until(("user", str(parent.user_id))) is not None
