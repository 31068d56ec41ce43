"""A read-only SQL endpoint over the PostgreSQL wire protocol, serving the current published release.

The protocol (startup, MD5 password authentication, simple and extended queries, type OIDs) is
buenavista's; this module decides what runs:

- every client session reads the release that ``releases/current`` points to, and moves to a newer
  release only between two queries — never within one (atomic switch for readers);
- the release database is opened **read-only** with external access (files, ATTACH, COPY, extensions)
  disabled and the configuration locked, so the engine itself refuses writes, DDL, file-reading
  functions, ``INSTALL``/``LOAD``, whatever the SQL looks like;
- before that, statements are classified with DuckDB's own parser and anything but a query is refused
  with a clear message; ``SET`` is accepted and ignored, ``SHOW`` answers from a table of PostgreSQL
  parameters, transaction statements are accepted (a read-only session has nothing to commit).

Start it with ``tw serve`` (host, port and users from the environment: ``core/settings.py``).
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

import duckdb
from buenavista import bv_dialects, postgres, rewrite
from buenavista.backends.duckdb import DuckDBConnection, DuckDBQueryResult, DuckDBSession
from buenavista.core import BVType, QueryResult, SimpleQueryResult

from publication.release import current_release

log = logging.getLogger(__name__)

HARDENED_CONFIG = {
    "access_mode": "READ_ONLY",
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "lock_configuration": True,
}

# What SHOW answers (and what clients are told at start-up).
PG_PARAMETERS = {
    # 9.4: drivers and psql then skip catalog features DuckDB's pg_catalog lacks (identity columns, partitions)
    "server_version": "9.4",
    "server_encoding": "UTF8",
    "client_encoding": "UTF8",
    "datestyle": "ISO, MDY",
    "timezone": "UTC",
    "integer_datetimes": "on",
    "standard_conforming_strings": "on",
    "search_path": "main",
    "transaction_isolation": "read committed",
    "transaction_read_only": "on",
    "default_transaction_read_only": "on",
    "max_identifier_length": "63",
    "application_name": "",
    "is_superuser": "off",
}
ALLOWED = {"SELECT", "EXPLAIN"}
# PostgreSQL functions that drivers and psql call while browsing, missing in DuckDB's pg_catalog; each
# session gets them as temporary macros (nothing is written to the release).
PG_COMPAT_MACROS = {
    "pg_get_userbyid(role_oid)": "'warehouse'",
    "pg_get_serial_sequence(table_name, column_name)": "null",
    "to_regtype(wanted_type)": "(select t.oid from pg_catalog.pg_type t where t.typname = wanted_type limit 1)",
    "json_build_object(k1, v1, k2, v2)": "json_object(k1::varchar, v1, k2::varchar, v2)",
    # DuckDB's format_type answers short names (int8, float8, varchar); drivers expect PostgreSQL's own
    "pg_format_type(type_oid, type_mod)": (
        "case pg_catalog.format_type(type_oid, type_mod) when 'int8' then 'bigint' when 'int4' then 'integer' "
        "when 'int2' then 'smallint' when 'float8' then 'double precision' when 'float4' then 'real' "
        "when 'varchar' then 'character varying' when 'bool' then 'boolean' "
        "when 'timestamptz' then 'timestamp with time zone' when 'timestamp' then 'timestamp without time zone' "
        "else pg_catalog.format_type(type_oid, type_mod) end"
    ),
}
PG_COMPAT_VIEWS = {
    "pg_inherits": "select null::bigint as inhrelid, null::bigint as inhparent, null::integer as inhseqno where false",
    "pg_collation": "select null::bigint as oid, null::varchar as collname, null::bigint as collnamespace, "
    "null::varchar as collcollate where false",
}
PG_COMPAT_REWRITES = (
    (re.compile(r"pg_catalog\.(pg_collation|pg_inherits)\b", re.IGNORECASE), r"\1"),
    (re.compile(r"::\s*pg_catalog\.(\w+)", re.IGNORECASE), r"::\1"),
    (re.compile(r"::\s*(regclass|regtype|regproc|regnamespace|regrole)\b", re.IGNORECASE), ""),
    (re.compile(r"CAST\(([^()]+?) AS (REGCLASS|REGTYPE)\)", re.IGNORECASE), r"\1"),
    (
        re.compile(
            r"pg_catalog\.(pg_get_userbyid|pg_get_serial_sequence|to_regtype|json_build_object)\s*\(",
            re.IGNORECASE,
        ),
        r"\1(",
    ),
    (re.compile(r"(?:pg_catalog\.)?\bformat_type\s*\(", re.IGNORECASE), "pg_format_type("),
    (re.compile(r"pg_get_expr\(([^(),]+),\s*([^(),]+),\s*true\)", re.IGNORECASE), r"pg_get_expr(\1, \2)"),
    (re.compile(r"OPERATOR\(pg_catalog\.(~|!~|~\*|!~\*|=|<>)\)", re.IGNORECASE), r"\1"),
    (re.compile(r"\s+COLLATE\s+pg_catalog\.\w+", re.IGNORECASE), ""),
)
TRANSACTION = {"TRANSACTION"}


class ReadOnlyRefused(PermissionError):
    pass


class _UntypedParametersStayText:
    """buenavista parses every text parameter whose type OID is 0 (unspecified) as a date with dateutil.
    psycopg 3 sends ``str`` parameters that way, so ``'320500'`` would silently become a timestamp and
    ``'hstore'`` an error. Keep them as text; DuckDB casts text where a column needs a date."""

    class parser:
        @staticmethod
        def parse(text: str) -> str:
            return text


postgres.dateutil = _UntypedParametersStayText
# Binary-format boolean parameters (SQLAlchemy's reflection sends them); buenavista lists only numbers.
postgres.TYPE_OIDS.setdefault(16, ("BOOLOID", "!?", True))


class ReleaseDatabases:
    """Opens each published release once, read-only and hardened; follows the ``current`` link."""

    def __init__(self, releases_dir: Path) -> None:
        self.releases_dir = releases_dir
        self._open: dict[str, duckdb.DuckDBPyConnection] = {}
        self._users: dict[str, int] = {}  # sessions reading each open release
        self._lock = threading.Lock()

    def current_id(self) -> str:
        release_id = current_release(self.releases_dir)
        if release_id is None:
            raise ReadOnlyRefused("no release has been published yet")
        return release_id

    def cursor(self, release_id: str) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if release_id not in self._open:
                path = self.releases_dir / release_id / "warehouse.duckdb"
                self._open[release_id] = duckdb.connect(
                    str(path), read_only=True, config=dict(HARDENED_CONFIG)
                )
            cursor = self._open[release_id].cursor()
            self._users[release_id] = self._users.get(release_id, 0) + 1
        for signature, body in PG_COMPAT_MACROS.items():
            cursor.execute(f"create temp macro {signature} as {body}")
        for name, body in PG_COMPAT_VIEWS.items():
            cursor.execute(f"create temp view {name} as {body}")
        return cursor

    def release(self, release_id: str) -> None:
        """A session stopped reading ``release_id``; close it once no session reads it and it is not current."""
        with self._lock:
            self._users[release_id] = self._users.get(release_id, 1) - 1
            if (
                self._users[release_id] <= 0
                and release_id != current_release(self.releases_dir)
                and release_id in self._open
            ):
                self._open.pop(release_id).close()
                del self._users[release_id]

    def close_all(self) -> None:
        with self._lock:
            for con in self._open.values():
                con.close()
            self._open.clear()
            self._users.clear()

    def open_releases(self) -> list[str]:
        with self._lock:
            return sorted(self._open)


def classify(sql: str) -> list[str]:
    """DuckDB's statement types of ``sql`` (SELECT, INSERT, CREATE, SET, ...)."""
    parser = duckdb.connect(":memory:")
    try:
        return [s.type.name for s in parser.extract_statements(sql)]
    finally:
        parser.close()


class ReleaseSession(DuckDBSession):
    """One client's session: refuses anything but queries, and reads the current release."""

    def __init__(self, releases: ReleaseDatabases) -> None:
        self.releases = releases
        self.release_id = releases.current_id()
        super().__init__(releases.cursor(self.release_id))

    def refresh_config(self) -> None:  # the base class lists settings to pass SET through; we never do
        self.config_params = set()

    def rewrite_sql(self, sql: str) -> str:
        """buenavista's rewrites for psql and DBeaver, plus functions DuckDB lacks that drivers call on connect."""
        sql = super().rewrite_sql(sql)
        for pattern, replacement in PG_COMPAT_REWRITES:
            sql = pattern.sub(replacement, sql)
        return sql

    def _follow_current_release(self) -> None:
        latest = self.releases.current_id()
        if latest != self.release_id:
            old, old_id = self._cursor, self.release_id
            self._cursor = self.releases.cursor(latest)
            self.release_id = latest
            old.close()
            self.releases.release(old_id)

    def close(self) -> None:
        self._cursor.close()
        self.releases.release(self.release_id)

    def execute_sql(self, sql: str, params=None) -> QueryResult:
        text = sql.strip().rstrip(";").strip()
        if not text:
            return DuckDBQueryResult(status="EMPTY")
        lowered = " ".join(text.lower().split())
        if lowered.startswith("show "):
            name = lowered[5:].strip().replace(" ", "_")
            if name == "all":
                raise ReadOnlyRefused("SHOW ALL is not supported")
            return SimpleQueryResult(name, PG_PARAMETERS.get(name, ""), BVType.TEXT)
        text = self.rewrite_sql(text)
        try:
            kinds = classify(text)
        except duckdb.Error as exc:
            raise ReadOnlyRefused(f"cannot parse the statement: {exc}") from exc
        if kinds and all(k == "SET" or k == "VARIABLE_SET" for k in kinds):
            return DuckDBQueryResult(status="SET")
        if kinds and all(k in TRANSACTION for k in kinds):
            first = lowered.split()[0]
            return DuckDBQueryResult(
                status={
                    "begin": "BEGIN",
                    "start": "BEGIN",
                    "commit": "COMMIT",
                    "end": "COMMIT",
                    "rollback": "ROLLBACK",
                    "abort": "ROLLBACK",
                }.get(first, "BEGIN")
            )
        if any(k not in ALLOWED for k in kinds):
            keyword = text.split()[0].upper()
            raise ReadOnlyRefused(
                f"this endpoint is read-only: {keyword} statements are not allowed "
                f"(only SELECT queries on the published marts)"
            )
        self._follow_current_release()
        if params:
            self._cursor.execute(text, params)
        else:
            self._cursor.execute(text)
        rb = self._cursor.fetch_record_batch() if self._cursor.description else None
        return DuckDBQueryResult(rb, "")


class ReleaseConnection(DuckDBConnection):
    def __init__(self, releases: ReleaseDatabases) -> None:
        super().__init__(db=None)
        self.releases = releases

    def parameters(self) -> dict[str, str]:
        return {
            "server_version": PG_PARAMETERS["server_version"],
            "client_encoding": "UTF8",
            "DateStyle": "ISO, MDY",
            "TimeZone": "UTC",
            "integer_datetimes": "on",
            "standard_conforming_strings": "on",
        }

    def new_session(self) -> ReleaseSession:
        return ReleaseSession(self.releases)


class _Rewriter(rewrite.Rewriter):
    """PostgreSQL dialect to DuckDB (sqlglot, through buenavista), with a PostgreSQL-looking version()."""

    def rewrite(self, sql: str) -> str:
        if sql.strip().lower().rstrip(";") in ("select version()", "select pg_catalog.version()"):
            return f"SELECT 'PostgreSQL {PG_PARAMETERS['server_version']} (talent-warehouse on DuckDB)' AS version"
        return super().rewrite(sql)


class Endpoint(postgres.BuenaVistaServer):
    """The server; ``allowed_hosts`` replaces buenavista's localhost-only check with an explicit choice."""

    def __init__(self, address: tuple[str, int], releases_dir: Path, users: dict[str, str]) -> None:
        if not users:
            raise ValueError("the SQL endpoint needs at least one user with a password")
        super().__init__(
            address,
            ReleaseConnection(ReleaseDatabases(releases_dir)),
            rewriter=_Rewriter(bv_dialects.BVPostgres(), bv_dialects.BVDuckDB()),
            auth=dict(users),
        )
        self.daemon_threads = True

    def server_close(self) -> None:
        super().server_close()
        self.conn.releases.close_all()

    def verify_request(self, request, client_address) -> bool:
        return True  # binding decides who can reach us (127.0.0.1 by default); every client must authenticate


def serve(host: str, port: int, releases_dir: Path, users: dict[str, str]) -> Endpoint:
    """Start the endpoint in a background thread and return it (``shutdown()`` stops it)."""
    server = Endpoint((host, port), releases_dir, users)
    threading.Thread(target=server.serve_forever, name="sql-endpoint", daemon=True).start()
    log.info("SQL endpoint listening on %s:%s", *server.server_address)
    return server
