"""A real OpenLDAP slapd for tests and the benchmark: the ESCO schema, seed entries, a child process ended by PID."""

from __future__ import annotations

import base64
import datetime
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from argon2 import PasswordHasher

HERE = Path(__file__).resolve().parent
SUFFIX = "dc=esco-centre,dc=fr"
PEOPLE_DN = f"ou=people,{SUFFIX}"
SERVICE_DN = f"cn=entbot,ou=services,{SUFFIX}"
SERVICE_PASSWORD = "service-Secret-42"
DEFAULT_UAI = "0371122U"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "admin-Secret-42"
MODULE_DIRS = ("/usr/lib/ldap", "/usr/lib/x86_64-linux-gnu/ldap", "/usr/lib/aarch64-linux-gnu/ldap", "/usr/lib64/openldap")
INSTALL_HINT = ("slapd absent : installez-le avec « sudo apt-get install -y --no-install-recommends slapd ldap-utils » "
                "(ou lancez make test en root, qui l'installe)")


def slapd_binary() -> str | None:
    return shutil.which("slapd") or next((p for p in ("/usr/sbin/slapd",) if Path(p).exists()), None)


def module_dir() -> str:
    for directory in MODULE_DIRS:
        if (Path(directory) / "argon2.so").exists() or (Path(directory) / "argon2.la").exists():
            return directory
    raise RuntimeError("module argon2 de slapd introuvable (cherché dans " + ", ".join(MODULE_DIRS) + ")")


@dataclass
class Person:
    """A seed entry under ou=people, in the shape of the ENT's directory."""

    uid: str
    login: str
    state: str = "INVALIDE"
    profile: str = "National_TUT"
    sn: str = "Dupont"
    given_name: str = "Jean"
    aliases: list[str] = field(default_factory=list)
    password: str = "{SCRIPT}LOCK"
    schools: list[str] = field(default_factory=lambda: [DEFAULT_UAI])  # ESCOUAI: the school of the tests' settings

    @property
    def dn(self) -> str:
        return f"uid={escape_rdn_value(self.uid)},{PEOPLE_DN}"


def escape_rdn_value(value: str) -> str:
    """RFC 4514: the characters a DN's attribute value must escape."""
    out = "".join("\\" + ch if ch in ',+"\\<>;=' else ch for ch in value)
    if out.startswith((" ", "#")):
        out = "\\" + out
    if out.endswith(" "):
        out = out[:-1] + "\\ "
    return out


def _ldif_line(name: str, value: str) -> str:
    if value.isascii() and value.isprintable() and not value.startswith((" ", ":", "<")) and not value.endswith(" "):
        return f"{name}: {value}"
    return f"{name}:: {base64.b64encode(value.encode()).decode()}"


def seed_ldif(people: list[Person]) -> str:
    service_hash = "{ARGON2}" + PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1).hash(SERVICE_PASSWORD)
    blocks = [
        [f"dn: {SUFFIX}", "objectClass: dcObject", "objectClass: organization", "dc: esco-centre", "o: ESCO"],
        [f"dn: {PEOPLE_DN}", "objectClass: organizationalUnit", "ou: people"],
        [f"dn: ou=services,{SUFFIX}", "objectClass: organizationalUnit", "ou: services"],
        [f"dn: {SERVICE_DN}", "objectClass: applicationProcess", "objectClass: simpleSecurityObject", "cn: entbot",
         _ldif_line("userPassword", service_hash)],
    ]
    for p in people:
        block = [_ldif_line("dn", p.dn), "objectClass: ENTPerson", "objectClass: ESCOAddons", _ldif_line("uid", p.uid),
                 _ldif_line("cn", f"{p.given_name} {p.sn}"), _ldif_line("sn", p.sn), _ldif_line("givenName", p.given_name),
                 _ldif_line("ENTPersonLogin", p.login), f"ENTPersonJointure: AC-ORLEANS-TOURS${p.uid}",
                 f"ENTPersonProfils: {p.profile}", f"ESCOPersonEtatCompte: {p.state}", _ldif_line("userPassword", p.password)]
        block += [_ldif_line("ENTPersonAlias", a) for a in p.aliases]
        block += [_ldif_line("ESCOUAI", uai) for uai in p.schools]
        blocks.append(block)
    return "\n\n".join("\n".join(b) for b in blocks) + "\n"


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1: (certificate, key), PEM."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "server.crt", directory / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


ACL = f"""
access to dn.base=""
    by * read
access to dn.base="cn=Subschema"
    by * read
access to attrs=userPassword
    by dn.exact="{SERVICE_DN}" write
    by anonymous auth
    by * none
access to attrs=ESCOPersonEtatCompte,ESCOPersonValidationCharte,mail
    by dn.exact="{SERVICE_DN}" write
    by self read
    by * none
access to dn.subtree="{PEOPLE_DN}"
    by dn.exact="{SERVICE_DN}" read
    by self read
    by * none
access to *
    by dn.exact="{SERVICE_DN}" search
    by * none
"""

# A directory without the ESCO schema (to see `entbot directory check` say so).
PLAIN_ACL = ACL.replace("attrs=ESCOPersonEtatCompte,ESCOPersonValidationCharte,mail", "attrs=mail")


class Slapd:
    """slapd on 127.0.0.1:port, its data in `directory`; start, kill, start again on the same data."""

    def __init__(self, directory: Path, port: int, people: list[Person], tls: bool = False, esco: bool = True) -> None:
        self.directory = directory
        self.port = port
        self.url = f"ldap://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.cert: Path | None = None
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "db").mkdir(exist_ok=True)
        tls_lines = ""
        if tls:
            self.cert, key = make_certificate(directory)
            tls_lines = f"TLSCertificateFile {self.cert}\nTLSCertificateKeyFile {key}\n"
        self.conf = directory / "slapd.conf"
        self.conf.write_text(f"""
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
{"include " + str(HERE / 'esco.schema') if esco else ""}
pidfile {directory / 'slapd.pid'}
modulepath {module_dir()}
moduleload back_mdb
moduleload argon2 m=19456 t=2 p=1
password-hash {{ARGON2}}
{tls_lines}
database mdb
maxsize 104857600
suffix "{SUFFIX}"
rootdn "{ROOT_DN}"
rootpw {ROOT_PASSWORD}
directory {directory / 'db'}
{"index objectClass,ENTPersonLogin,ENTPersonAlias eq" if esco else "index objectClass eq"}
{ACL if esco else PLAIN_ACL}
""", encoding="utf-8")
        seed = directory / "seed.ldif"
        seed.write_text(seed_ldif(people), encoding="utf-8")
        subprocess.run([self.binary, "-T", "add", "-f", str(self.conf), "-l", str(seed)], check=True,
                       capture_output=True)

    @property
    def binary(self) -> str:
        binary = slapd_binary()
        if binary is None:
            raise RuntimeError(INSTALL_HINT)
        return binary

    def start(self) -> None:
        self.process = subprocess.Popen([self.binary, "-f", str(self.conf), "-h", self.url, "-d", "0"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError("slapd stopped at once: " + error)
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("slapd did not answer within 20 s")

    def freeze(self) -> None:
        """SIGSTOP, and wait until every thread of slapd has stopped: the signal is delivered asynchronously, and a
        request sent in that window would still be answered (seen once in CI, under load)."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)
        deadline = time.monotonic() + 10
        while not _all_threads_stopped(self.process.pid):
            if time.monotonic() > deadline:
                raise RuntimeError("slapd did not stop within 10 s of SIGSTOP")
            time.sleep(0.005)

    def thaw(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL, as a crash would: no clean shutdown."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def entry(self, dn: str) -> dict[str, list[str]]:
        """The entry as the root DN reads it (ldapsearch), to check what the bot wrote."""
        out = subprocess.run(["ldapsearch", "-x", "-LLL", "-o", "ldif-wrap=no", "-H", self.url, "-D", ROOT_DN,
                              "-w", ROOT_PASSWORD, "-b", dn, "-s", "base", "*"], capture_output=True, text=True, check=True)
        values: dict[str, list[str]] = {}
        for line in out.stdout.splitlines():
            name, sep, encoded = line.partition(":: ")
            if sep:
                values.setdefault(name, []).append(base64.b64decode(encoded).decode())
                continue
            name, sep, value = line.partition(": ")
            if sep:
                values.setdefault(name, []).append(value)
        return values

    def modify(self, ldif: str) -> None:
        """An ldapmodify as the root DN: what another tool, or a write whose answer was lost, leaves behind."""
        subprocess.run(["ldapmodify", "-x", "-H", self.url, "-D", ROOT_DN, "-w", ROOT_PASSWORD], input=ldif, text=True,
                       check=True, capture_output=True)

    def whoami(self, dn: str, password: str) -> subprocess.CompletedProcess[str]:
        """`ldapwhoami -x -H … -D dn -w password`: a simple bind as the entry."""
        return subprocess.run(["ldapwhoami", "-x", "-H", self.url, "-D", dn, "-w", password],
                              capture_output=True, text=True)


def _all_threads_stopped(pid: int) -> bool:
    """Whether every thread of `pid` is in the stopped state ("T" in /proc/<pid>/task/<tid>/stat)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except FileNotFoundError:  # a thread that ended meanwhile
            continue
        if stat.rsplit(")", 1)[1].split()[0] not in ("T", "t"):
            return False
    return True
