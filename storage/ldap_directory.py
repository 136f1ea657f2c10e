"""The account directory kept in the ENT's LDAP (ESCO schema), with SQLite holding what LDAP has no place for."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import queue
import re
import ssl
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from ldap3 import BASE, MODIFY_ADD, MODIFY_DELETE, MODIFY_REPLACE, SUBTREE, Connection, Server, Tls
from ldap3.core import exceptions as lx
from ldap3.utils.conv import escape_filter_chars

from storage.accounts import (
    Account,
    Activation,
    Credentials,
    DirectoryUnavailable,
    SqliteDirectory,
    identifier_key,
    is_identifier,
)
from storage.db import Database, from_text, to_text
from storage.schools import normal_uai, valid_uai
from storage.secrets import verify_secret

log = logging.getLogger(__name__)
T = TypeVar("T")

STATE = "ESCOPersonEtatCompte"
CHARTER = "ESCOPersonValidationCharte"
PROFILES = "ENTPersonProfils"
# What an inactive entry holds in userPassword: no bind can ever match it.
LOCK_VALUE = "{SCRIPT}LOCK"
PARENT_PROFILE, PUPIL_PROFILE = "National_TUT", "National_ELV"
# LDAP_PASSWORD_WRITE=modify: a claim (see `_activate_by_password_modify`) takes seconds to turn into VALIDE;
# one the entry has kept this long, untouched, was left by an activation that died, and may be replaced.
CLAIM_STALE_AFTER = timedelta(minutes=2)


@dataclass(frozen=True)
class LdapConfig:
    url: str
    people_dn: str
    bind_dn: str | None = None
    bind_password: str | None = None
    starttls: bool = True
    ca_file: str | None = None
    login_attributes: tuple[str, ...] = ("ENTPersonLogin", "ENTPersonAlias")
    provisional: str = "import"  # import: checked against `accounts import`; bind: bind as the entry
    password_write: str = "argon2"  # argon2: {ARGON2} written by the bot; modify: RFC 3062, the server hashes
    pool_size: int = 4
    connect_timeout: float = 5.0
    operation_timeout: float = 10.0
    # After an outage (unreachable, or no answer in time) every call fails at once for this long, instead
    # of each parent waiting out the timeouts again; the first call after it tries the server again.
    breaker_seconds: float = 30.0
    # Calls waiting for a free thread beyond the pool's: more fail at once rather than wait in line.
    max_waiting: int = 16
    # The schools an entry belongs to (GIP RECIA's ESCO schema: multi-valued, one UAI each).
    school_attribute: str = "ESCOUAI"

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def is_loopback(self) -> bool:
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return self.host == "localhost"


@dataclass(frozen=True)
class Entry:
    dn: str
    login: str
    state: str | None
    profiles: tuple[str, ...]
    last_name: str | None
    first_name: str | None
    mail: str | None
    names: tuple[str, ...] = ()  # every value of the login attributes (the login, then its aliases)
    schools: tuple[str, ...] = ()  # the school attribute's UAIs


class DirectoryProblem(Exception):
    """What `entbot directory check` reports: one French line for the IT referent."""


# -- the connection pool ----------------------------------------------------------------------------


class LdapPool:
    """ldap3's synchronous connections, each used by one thread at a time, in a bounded pool of threads.

    A connection that fails at once (the server restarted, the network dropped) is thrown away with
    every idle one, since they share its fate; the operation is tried once more on a fresh connection.
    A server that does not answer in time is not tried again: the circuit breaker opens, and every
    call fails fast for `breaker_seconds`, so that waits never add up while the directory hangs.
    """

    def __init__(self, config: LdapConfig, now: Callable[[], datetime] | None = None) -> None:
        self.config = config
        self._now = now or (lambda: datetime.now(UTC))
        self._executor = ThreadPoolExecutor(max_workers=config.pool_size, thread_name_prefix="ldap")
        self._idle: queue.SimpleQueue[Connection] = queue.SimpleQueue()
        self._open_until: datetime | None = None
        self._pending = 0  # calls handed to the threads and not finished (the event loop alone counts them)

    @property
    def is_open(self) -> bool:
        """Whether the breaker is open: the directory failed lately, calls fail without trying it."""
        until = self._open_until
        return until is not None and self._now() < until

    def _fail_fast(self) -> None:
        if self.is_open:
            raise DirectoryUnavailable("the directory failed lately (circuit breaker open)")

    def _trip(self, exc: BaseException) -> DirectoryUnavailable:
        self._open_until = self._now() + timedelta(seconds=self.config.breaker_seconds)
        log.warning("directory unreachable: %s; calls fail fast for %s s", type(exc).__name__,
                    self.config.breaker_seconds)
        return DirectoryUnavailable(str(exc))

    def server(self) -> Server:
        parts = urlsplit(self.config.url)
        secure = parts.scheme == "ldaps"
        tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=self.config.ca_file,
                  version=ssl.PROTOCOL_TLS_CLIENT) if secure or self.config.starttls else None
        return Server(parts.hostname or "", port=parts.port or (636 if secure else 389), use_ssl=secure, tls=tls,
                      connect_timeout=self.config.connect_timeout, get_info=None)

    def connect(self, user: str | None = None, password: str | None = None) -> Connection:
        """A connection bound as `user` (the service account when None); raises ldap3's errors as they come."""
        service = user is None
        conn = Connection(self.server(), user=self.config.bind_dn if service else user,
                          password=self.config.bind_password if service else password,
                          receive_timeout=max(1, round(self.config.operation_timeout)), raise_exceptions=True,
                          auto_bind="NONE", read_only=False)
        try:
            conn.open()
            if self.config.starttls and not self.config.url.startswith("ldaps"):
                conn.start_tls()
            conn.bind()
        except BaseException:
            _close(conn)
            raise
        return conn

    def _drain(self) -> None:
        while True:
            try:
                _close(self._idle.get_nowait())
            except queue.Empty:
                return

    def _run(self, operation: Callable[[Connection], T]) -> T:
        self._fail_fast()  # queued while the breaker opened: fail now rather than wait out another timeout
        for attempt in (1, 2):
            pooled = True
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                pooled = False
                try:
                    conn = self.connect()
                except lx.LDAPOperationResult as exc:
                    log.warning("directory refused the service account: %s", type(exc).__name__)
                    raise DirectoryUnavailable(str(exc)) from exc
                except (lx.LDAPException, OSError) as exc:
                    raise self._trip(exc) from exc
            try:
                result = operation(conn)
            except (lx.LDAPBusyResult, lx.LDAPUnavailableResult) as exc:
                self._idle.put(conn)
                log.warning("directory busy or unavailable: %s", type(exc).__name__)
                raise DirectoryUnavailable(str(exc)) from exc
            except lx.LDAPOperationResult:
                self._idle.put(conn)  # the server answered: the connection is fine
                raise
            except (lx.LDAPException, OSError) as exc:
                _close(conn)
                self._drain()
                # Only a pooled connection that died at once deserves a second try; a timeout is the
                # server itself hanging, and a fresh connection would wait as long again.
                if attempt == 2 or not pooled or _timed_out(exc):
                    raise self._trip(exc) from exc
                continue
            self._idle.put(conn)
            self._open_until = None
            return result
        raise AssertionError("unreachable")

    async def _in_thread(self, call: Callable[[], T]) -> T:
        """Runs `call` in a pool thread, unless the breaker is open or too many calls already wait."""
        self._fail_fast()
        if self._pending >= self.config.pool_size + self.config.max_waiting:
            log.warning("too many directory calls waiting: this one fails at once")
            raise DirectoryUnavailable("too many calls waiting")
        self._pending += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, call)
        finally:
            self._pending -= 1

    async def run(self, operation: Callable[[Connection], T]) -> T:
        """Runs `operation` on a pooled connection in a thread: the event loop never waits on LDAP."""
        return await self._in_thread(lambda: self._run(operation))

    async def bind_as(self, dn: str, password: str) -> bool:
        """Whether `password` opens the entry `dn` (a simple bind on a connection of its own)."""

        def attempt() -> bool:
            if not password:
                return False  # an empty password would be an anonymous bind, which proves nothing
            self._fail_fast()
            try:
                _close(self.connect(dn, password))
            except lx.LDAPInvalidCredentialsResult:
                return False
            except lx.LDAPOperationResult as exc:
                log.info("bind as entry refused: %s", type(exc).__name__)
                return False
            except (lx.LDAPException, OSError) as exc:
                raise self._trip(exc) from exc
            self._open_until = None
            return True

        return await self._in_thread(attempt)

    def close(self) -> None:
        self._drain()
        self._executor.shutdown(wait=False, cancel_futures=True)


def _timed_out(exc: BaseException) -> bool:
    """Whether the server failed to answer in time (rather than the connection dying at once)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, TimeoutError | lx.LDAPResponseTimeoutError) or "timed out" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _close(conn: Connection) -> None:
    try:
        conn.unbind()
    except Exception:  # already dead: nothing to release
        pass


def _missing_schema(conn: Connection) -> list[str]:
    """The ESCO names the server's schema lacks; none when the schema cannot be read (nothing to say then)."""
    try:
        conn.search("", "(objectClass=*)", BASE, attributes=["subschemaSubentry"])
        root = [e for e in conn.response or [] if e.get("type") == "searchResEntry"]
        subschema = _first(dict(root[0]["raw_attributes"]), "subschemaSubentry") if root else None
        if not subschema:
            return []
        conn.search(subschema, "(objectClass=*)", BASE, attributes=["objectClasses", "attributeTypes"])
    except lx.LDAPOperationResult:
        return []
    found = [e for e in conn.response or [] if e.get("type") == "searchResEntry"]
    if not found:
        return []
    raw = dict(found[0]["raw_attributes"])
    if not raw.get("objectClasses"):
        return []
    names = {n.lower() for a in ("objectClasses", "attributeTypes") for v in _values(raw, a)
             for pair in re.findall(r"NAME\s+(?:'([^']+)'|\(\s*'([^']+)')", v) for n in pair if n}
    return [n for n in ("ENTPerson", "ESCOAddons", "ENTPersonLogin", STATE, CHARTER, PROFILES) if n.lower() not in names]


# -- reading entries ------------------------------------------------------------------------------------


def login_filter(attributes: Iterable[str], login: str) -> str:
    """`(&(objectClass=ENTPerson)(|(ENTPersonLogin=x)(ENTPersonAlias=x)))`, the value escaped (RFC 4515)."""
    value = escape_filter_chars(login)
    return "(&(objectClass=ENTPerson)(|" + "".join(f"({a}={value})" for a in attributes) + "))"


def _first(attributes: dict[str, Any], name: str) -> str | None:
    values = attributes.get(name) or []
    if isinstance(values, str | bytes):
        values = [values]
    for value in values:
        return value.decode() if isinstance(value, bytes) else str(value)
    return None


def _values(attributes: dict[str, Any], name: str) -> list[str]:
    values = attributes.get(name) or []
    if isinstance(values, str | bytes):
        values = [values]
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


def _entry(dn: str, attributes: dict[str, Any], login_attributes: tuple[str, ...], school_attribute: str = "ESCOUAI") -> Entry:
    return Entry(dn=dn, login=_first(attributes, login_attributes[0]) or "",
                 state=(_first(attributes, STATE) or "").upper() or None,
                 profiles=tuple(_values(attributes, PROFILES)), last_name=_first(attributes, "sn"),
                 first_name=_first(attributes, "givenName"), mail=_first(attributes, "mail"),
                 names=tuple(v for a in login_attributes for v in _values(attributes, a)),
                 # UAIs only: a value that is none (a space in it, a wrong letter) names no school, and would
                 # otherwise split into two in the account's list (storage/accounts.py reads them space-separated).
                 schools=tuple(sorted({normal_uai(v) for v in _values(attributes, school_attribute)
                                       if valid_uai(normal_uai(v))})))


def _generalized_time(moment: Any) -> str:
    return str(moment.astimezone(UTC).strftime("%Y%m%d%H%M%SZ"))


def profile_of(profiles: Iterable[str]) -> str:
    """parent (National_TUT), eleve (National_ELV), or staff (any other profile, or none).

    Only the first two are families; the bot never writes to any other entry (a teacher's working
    ENT account must not be reset because someone typed its login).
    """
    names = {p.strip() for p in profiles}
    if PARENT_PROFILE in names:
        return "parent"
    if PUPIL_PROFILE in names:
        return "eleve"
    return "staff"


def state_of(entry_state: str | None, local_state: str) -> str:
    if entry_state == "VALIDE":
        return "active"
    if entry_state == "INVALIDE":
        if local_state == "active":
            # Put back to INVALIDE by the ENT, not the bot: the provisional SQLite holds is the old letter's,
            # which must not open the account again. The school resets it here to hand out a new one.
            return "invalidated"
        return "reset" if local_state == "reset" else "pending"
    return "blocked"  # BLOQUE, DELETE, or a state the bot does not know: the school decides


class LdapDirectory:
    """Accounts read from and written to the ENT's LDAP; SQLite keeps the rest (provisional, answers, revision).

    Each directory entry has a row in SQLite, keyed like today by its login, created on first sight:
    the row's id is what progress, attempts and the audit refer to.
    """

    def __init__(self, db: Database, config: LdapConfig) -> None:
        self.db = db
        self.config = config
        self.local = SqliteDirectory(db)
        self.pool = LdapPool(config, db.clock.now)
        self._attributes = [*config.login_attributes, STATE, PROFILES, "sn", "givenName", "mail", config.school_attribute]

    # -- reading --

    async def _search(self, filter_: str) -> list[Entry]:
        def search(conn: Connection) -> list[Entry]:
            try:
                conn.search(self.config.people_dn, filter_, SUBTREE, attributes=self._attributes, size_limit=2)
            except lx.LDAPNoSuchObjectResult as exc:
                log.error("LDAP_PEOPLE_DN %s does not exist", self.config.people_dn)
                raise DirectoryUnavailable("base DN") from exc
            except lx.LDAPSizeLimitExceededResult:
                return [Entry("", "", None, (), None, None, None)] * 2  # more than one: never a guess
            return [_entry(e["dn"], dict(e["attributes"]), self.config.login_attributes, self.config.school_attribute)
                    for e in conn.response or [] if e.get("type") == "searchResEntry"]

        return await self.pool.run(search)

    async def entry(self, login: str) -> Entry | None:
        """The one entry that answers to this login or alias; None if none or more than one (never a guess)."""
        login = login.strip()
        if not login:
            return None
        found = await self._search(login_filter(self.config.login_attributes, login))
        if len(found) > 1:
            log.warning("several directory entries answer to one login: none is used")
            return None
        return found[0] if found else None

    async def _local_row(self, entry: Entry) -> Account:
        """The entry's SQLite row: imported under its login or one of its aliases, or created now.

        A row found under an alias is this entry's only if that alias names this entry alone in the
        directory: another entry's login that happens to be one of our aliases keeps its own row.
        """
        for name in entry.names:
            local = await self.local.find(name)
            if local is None:
                continue
            if identifier_key(name) == identifier_key(entry.login):
                return local
            owner = await self.entry(name)
            if owner is not None and owner.dn == entry.dn:
                return local
        key = identifier_key(entry.login)
        async with self.db.transaction() as conn:
            now = to_text(self.db.clock.now())
            await conn.execute(
                "INSERT INTO accounts (identifier, identifier_key, last_name, first_name, profile, state,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT(identifier_key) DO NOTHING",
                (entry.login, key, entry.last_name, entry.first_name,
                 "eleve" if profile_of(entry.profiles) == "eleve" else "parent", now, now))
        local = await self.local.find(entry.login)
        assert local is not None
        return local

    def _merge(self, local: Account, entry: Entry) -> Account:
        return replace(local, identifier=entry.login, last_name=entry.last_name or local.last_name,
                       first_name=entry.first_name or local.first_name, profile=profile_of(entry.profiles),
                       state=state_of(entry.state, local.state), email=entry.mail, dn=entry.dn, schools=entry.schools)

    async def _sync_schools(self, local: Account, entry: Entry) -> None:
        """The row's schools become the entry's, read just now: the lists, figures and data by school that SQLite
        answers follow the directory as of each family's last login, not the last import."""
        if not entry.schools or set(local.schools) == set(entry.schools):
            return  # an entry without the attribute (a directory that lacks it) keeps what the import said
        async with self.db.transaction() as conn:
            await conn.execute(f"DELETE FROM account_schools WHERE account_id = ? AND uai NOT IN "
                               f"({', '.join('?' * len(entry.schools))})", (local.id, *entry.schools))
            await conn.executemany("INSERT INTO account_schools (account_id, uai) VALUES (?, ?) ON CONFLICT DO NOTHING",
                                   [(local.id, uai) for uai in entry.schools])

    async def find(self, identifier: str) -> Account | None:
        if not is_identifier(identifier):  # never a search for what cannot be an identifier
            return None
        entry = await self.entry(identifier)
        if entry is None or not entry.login:
            return None
        local = await self._local_row(entry)
        await self._sync_schools(local, entry)
        return self._merge(local, entry)

    async def get(self, account_id: int) -> Account | None:
        local = await self.local.get(account_id)
        if local is None:
            return None
        entry = await self.entry(local.identifier)
        if entry is None:
            return None
        await self._sync_schools(local, entry)
        account = self._merge(local, entry)
        if account.state == "active" and local.state != "active" and await self._in_flight(account_id, entry.dn):
            # The bot's own activation reached the directory but not SQLite (its answer was lost, or
            # the bot stopped in between): still to finish, and `activate` will recognise it.
            return replace(account, state=local.state)
        return account

    async def _in_flight(self, account_id: int, dn: str) -> bool:
        """Whether the entry holds what an activation in progress here was writing (its password or charter time)."""
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall(
                "SELECT password_hash, cgu_accepted_at FROM activation_progress"
                " WHERE account_id = ? AND password_hash IS NOT NULL AND cgu_accepted_at IS NOT NULL", (account_id,)))
        if not rows:
            return False
        _, passwords, charter = await self._read_back(dn)
        if self.config.password_write == "modify":
            return any(charter == _generalized_time(from_text(row[1])) for row in rows)
        return any("{ARGON2}" + row[0] in passwords for row in rows)

    async def by_telegram_user(self, telegram_user_id: int) -> Account | None:
        local = await self.local.by_telegram_user(telegram_user_id)
        return await self.get(local.id) if local is not None else None

    async def all(self) -> list[Account]:
        """The accounts the bot knows (imported or seen), as SQLite last saw them; `find` reads the directory."""
        return await self.local.all()

    async def unknown(self, logins: Iterable[str]) -> set[str]:
        """The logins no directory entry answers to (for the import)."""
        missing: set[str] = set()
        for login in logins:
            if await self.entry(login) is None:
                missing.add(login)
        return missing

    # -- proving who one is --

    async def check_provisional(self, account: Account | None, provisional: str) -> bool:
        if self.config.provisional == "import" or account is None or account.dn is None:
            return await self.local.check_provisional(account, provisional)
        if account.state == "invalidated":  # proven either way, never remembered: the family is sent to the school
            return (await self.local.check_provisional(account, provisional)
                    or await self.pool.bind_as(account.dn, provisional))
        if account.state not in ("pending", "reset"):
            return await self.local.check_provisional(account, provisional)
        if not await self.pool.bind_as(account.dn, provisional):
            return False
        # Kept as a hash, like an imported one: the steps after this one check against it.
        if not await verify_secret(account.provisional_hash, provisional):
            await self.local.remember_provisional(account.id, provisional)
        return True

    async def check_password(self, account: Account | None, password: str) -> bool:
        if account is None or account.dn is None or account.state != "active":
            await verify_secret(None, password)  # as long as a real check
            return False
        return await self.pool.bind_as(account.dn, password)

    async def credentials(self, account_id: int) -> Credentials | None:
        account = await self.get(account_id)
        if account is None or account.state != "active":
            return None
        return await self.local.credentials(account_id)

    # -- writing --

    def _password_change(self, password_hash: str) -> dict[str, list[tuple[str, list[str]]]]:
        if self.config.password_write == "argon2":
            return {"userPassword": [(MODIFY_REPLACE, ["{ARGON2}" + password_hash])]}
        return {}

    async def _password_modify(self, dn: str, password: str | None) -> None:
        """RFC 3062: the server hashes the clear password, which never travels in a plain modify."""
        if password is None:
            raise ValueError("LDAP_PASSWORD_WRITE=modify needs the password itself")

        def modify(conn: Connection) -> None:
            conn.extend.standard.modify_password(user=dn, new_password=password)

        await self.pool.run(modify)

    async def _read_back(self, dn: str) -> tuple[str | None, list[str], str | None]:
        """The entry's state, userPassword values and charter time, as they are now."""

        def read(conn: Connection) -> tuple[str | None, list[str], str | None]:
            conn.search(dn, "(objectClass=*)", BASE, attributes=[STATE, "userPassword", CHARTER])
            entries = [e for e in conn.response or [] if e.get("type") == "searchResEntry"]
            if not entries:
                return None, [], None
            attributes = dict(entries[0]["raw_attributes"])
            passwords = [v.decode() if isinstance(v, bytes) else str(v) for v in attributes.get("userPassword") or []]
            return (_first(attributes, STATE) or "").upper() or None, passwords, _first(attributes, CHARTER)

        return await self.pool.run(read)

    async def _modify_while(self, dn: str, expected: str, changes: dict[str, list[tuple[str, list[str]]]],
                            new_state: str | None = None) -> bool:
        """One LDAP modify, done only if the entry is still in `expected` state.

        Deleting the very value `expected` fails the whole modify (noSuchAttribute) when the state
        changed meanwhile: a conditional write that needs no assertion control. An `add` of a
        single value already there fails it whole too (a claim, see `_activate_by_password_modify`).
        """
        changes = {STATE: [(MODIFY_DELETE, [expected]), (MODIFY_ADD, [new_state or expected])], **changes}

        def modify(conn: Connection) -> bool:
            try:
                conn.modify(dn, changes)
            except (lx.LDAPNoSuchAttributeResult, lx.LDAPNoSuchObjectResult, lx.LDAPAttributeOrValueExistsResult,
                    lx.LDAPConstraintViolationResult):
                return False
            return True

        return await self.pool.run(modify)

    async def activate(self, account_id: int, provisional_hash: str, activation: Activation,
                       password: str | None = None) -> bool:
        """State VALIDE, charter time, password and (confirmed) mail in one modify, then SQLite's part.

        A modify sent but unanswered (the server went down) is recognised on the next try: the entry
        is VALIDE with exactly the password this activation wrote (its salt is unique).
        """
        local = await self.local.get(account_id)
        if local is None or local.state == "active" or local.provisional_hash != provisional_hash:
            return False
        account = await self.get(account_id)
        if account is None or account.dn is None or not account.is_family:
            return False
        charter = _generalized_time(activation.cgu_accepted_at)
        mail = {"mail": [(MODIFY_REPLACE, [activation.email])]} if activation.email and activation.email_verified else {}
        if self.config.password_write == "modify":
            written = await self._activate_by_password_modify(account, charter, mail, password)
        elif account.state in ("pending", "reset"):
            changes = {CHARTER: [(MODIFY_REPLACE, [charter])], **self._password_change(activation.password_hash), **mail}
            written = await self._modify_while(account.dn, "INVALIDE", changes, new_state="VALIDE")
            written = written or await self._ours(account.dn, activation.password_hash)
        else:
            written = await self._ours(account.dn, activation.password_hash)
        if not written:
            return False
        done = await self.local.activate(account_id, provisional_hash, activation)
        if not done:
            log.error("account %s is VALIDE in the directory but SQLite refused the activation: undone", account_id)
            await self._undo_activation(account.dn, activation, charter, mail)
        return done

    async def _undo_activation(self, dn: str, activation: Activation, charter: str,
                               mail: dict[str, list[tuple[str, list[str]]]]) -> None:
        """Back to INVALIDE and locked, only if the entry still holds what this activation wrote.

        Deleting our exact password value (argon2 mode) or charter time (modify mode, where the server
        hashed the password) fails the whole modify if anyone changed it since: never undo another's write.
        """
        ours: dict[str, list[tuple[str, list[str]]]] = {CHARTER: [(MODIFY_DELETE, [charter])]}
        if self.config.password_write == "argon2":
            ours["userPassword"] = [(MODIFY_DELETE, ["{ARGON2}" + activation.password_hash]),
                                    (MODIFY_ADD, [LOCK_VALUE])]
        else:
            ours["userPassword"] = [(MODIFY_REPLACE, [LOCK_VALUE])]
        if mail and activation.email:
            ours["mail"] = [(MODIFY_DELETE, [activation.email])]
        if not await self._modify_while(dn, "VALIDE", ours, new_state="INVALIDE"):
            log.warning("the directory entry changed since this activation wrote it: left as it is")

    async def _activate_by_password_modify(self, account: Account, charter: str,
                                           mail: dict[str, list[tuple[str, list[str]]]], password: str | None) -> bool:
        """RFC 3062 cannot join a modify: claim, set the password, then VALIDE; never VALIDE without it.

        The claim is adding the charter time to the INVALIDE entry (single-valued, absent until then):
        of two activations at once only one can add it. The same activation tried again after an
        outage finds its own time there and carries on. A claim left by an activation that died
        (untouched for CLAIM_STALE_AFTER) is replaced by compare-and-swap on its value; the final
        VALIDE is conditional on the claim still being ours, so a claimer that comes back late fails.
        """
        assert account.dn is not None
        if account.state not in ("pending", "reset"):
            state, _, found = await self._read_back(account.dn)
            return state == "VALIDE" and found == charter
        if not await self._modify_while(account.dn, "INVALIDE", {CHARTER: [(MODIFY_ADD, [charter])]}):
            state, _, found = await self._read_back(account.dn)
            if state == "VALIDE":
                return found == charter
            if state != "INVALIDE" or found is None:
                return False
            if found != charter and not await self._replace_stale_claim(account.dn, found, charter):
                return False
        try:
            await self._password_modify(account.dn, password)
        except lx.LDAPOperationResult as exc:  # refused by the server's own policy: the claim must not stay
            log.warning("the directory refused the new password: %s", type(exc).__name__)
            await self._modify_while(account.dn, "INVALIDE", {CHARTER: [(MODIFY_DELETE, [charter])]})
            return False
        claimed = {CHARTER: [(MODIFY_DELETE, [charter]), (MODIFY_ADD, [charter])], **mail}
        if await self._modify_while(account.dn, "INVALIDE", claimed, new_state="VALIDE"):
            return True
        state, _, found = await self._read_back(account.dn)
        return state == "VALIDE" and found == charter

    async def _replace_stale_claim(self, dn: str, found: str, charter: str) -> bool:
        """Swaps another activation's claim for ours, only if nothing touched the entry for CLAIM_STALE_AFTER."""
        changed = await self._modified_at(dn)
        if changed is None or self.db.clock.now() - changed < CLAIM_STALE_AFTER:
            return False
        log.info("a stale activation claim is replaced")
        return await self._modify_while(dn, "INVALIDE", {CHARTER: [(MODIFY_DELETE, [found]), (MODIFY_ADD, [charter])]})

    async def _modified_at(self, dn: str) -> datetime | None:
        """The entry's modifyTimestamp (when the server last wrote it), None if it cannot be read."""

        def read(conn: Connection) -> str | None:
            conn.search(dn, "(objectClass=*)", BASE, attributes=["modifyTimestamp"])
            entries = [e for e in conn.response or [] if e.get("type") == "searchResEntry"]
            return _first(dict(entries[0]["raw_attributes"]), "modifyTimestamp") if entries else None

        raw = await self.pool.run(read)
        try:
            return datetime.strptime(raw[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC) if raw else None
        except ValueError:
            return None

    async def _ours(self, dn: str, password_hash: str) -> bool:
        state, passwords, _ = await self._read_back(dn)
        return state == "VALIDE" and "{ARGON2}" + password_hash in passwords

    async def set_password(self, account_id: int, revision: int, password_hash: str, actor: str,
                           password: str | None = None) -> bool:
        account = await self.get(account_id)
        if (account is None or account.dn is None or account.state != "active" or account.revision != revision
                or not account.is_family):
            return False
        if self.config.password_write == "modify":
            await self._password_modify(account.dn, password)
        elif not await self._modify_while(account.dn, "VALIDE", self._password_change(password_hash)):
            return False
        return await self.local.set_password(account_id, revision, password_hash, actor)

    async def reset(self, account_id: int, revision: int, provisional_hash: str, actor: str,
                    uai: str | None = None) -> bool:
        """Back to INVALIDE, locked (or holding the new provisional when the directory checks it by bind)."""
        account = await self.get(account_id)
        if (account is None or account.dn is None or account.revision != revision or account.state == "blocked"
                or not account.is_family):
            return False
        lock = "{ARGON2}" + provisional_hash if self.config.provisional == "bind" else LOCK_VALUE
        changes: dict[str, list[tuple[str, list[str]]]] = {
            "userPassword": [(MODIFY_REPLACE, [lock])], CHARTER: [(MODIFY_REPLACE, [])], "mail": [(MODIFY_REPLACE, [])]}
        # Conditional on the state read: an activation (or the ENT) that changed the entry meanwhile wins,
        # and staff are told the account changed rather than erase what was just written.
        expected = "VALIDE" if account.state == "active" else "INVALIDE"
        if not await self._modify_while(account.dn, expected, changes, new_state="INVALIDE"):
            return False
        return await self.local.reset(account_id, revision, provisional_hash, actor, uai)

    # -- the IT referent's check --

    async def check(self) -> Counter[tuple[str, str]]:
        """Connects, binds, reads every person: counts by (state, profile); DirectoryProblem says what is wrong."""
        return await asyncio.get_running_loop().run_in_executor(None, _check, self.pool, self.config)

    def close(self) -> None:
        self.pool.close()


async def check_directory(config: LdapConfig) -> Counter[tuple[str, str]]:
    """The same check with a pool of its own, for `entbot doctor` (no database needed)."""
    pool = LdapPool(config)
    try:
        return await asyncio.get_running_loop().run_in_executor(None, _check, pool, config)
    finally:
        pool.close()


def _check(pool: LdapPool, config: LdapConfig) -> Counter[tuple[str, str]]:
    try:
        conn = pool.connect()
    except lx.LDAPStartTLSError as exc:
        raise DirectoryProblem(f"TLS : échec de StartTLS ({exc}), vérifiez LDAP_CA_FILE et le certificat du serveur") from exc
    except lx.LDAPSocketOpenError as exc:
        text = str(exc)
        if any(word in text.lower() for word in ("ssl", "certificate", "tls")):
            raise DirectoryProblem(f"TLS : certificat du serveur refusé ({text}), vérifiez LDAP_CA_FILE") from exc
        raise DirectoryProblem(f"serveur injoignable ({text})") from exc
    except lx.LDAPInvalidCredentialsResult as exc:
        raise DirectoryProblem(f"authentification refusée pour LDAP_BIND_DN={config.bind_dn} : "
                               "mot de passe ou DN du compte de service incorrect") from exc
    except lx.LDAPException as exc:
        raise DirectoryProblem(f"connexion impossible : {exc}") from exc
    try:
        missing = _missing_schema(conn)
        if missing:
            raise DirectoryProblem(f"schéma ESCO absent : l'annuaire ne connaît pas {', '.join(missing)}")
        figures: Counter[tuple[str, str]] = Counter()
        entries = conn.extend.standard.paged_search(config.people_dn, "(objectClass=ENTPerson)", SUBTREE,
                                                    attributes=[STATE, PROFILES], paged_size=500, generator=True)
        for e in entries:
            if e.get("type") == "searchResEntry":
                attributes = dict(e["attributes"])
                figures[((_first(attributes, STATE) or "-").upper(),
                         ",".join(sorted(_values(attributes, PROFILES))) or "-")] += 1
        return figures
    except lx.LDAPNoSuchObjectResult as exc:
        raise DirectoryProblem(f"LDAP_PEOPLE_DN={config.people_dn} n'existe pas dans l'annuaire") from exc
    except lx.LDAPException as exc:
        raise DirectoryProblem(f"lecture impossible : {exc}") from exc
    finally:
        _close(conn)
