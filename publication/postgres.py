"""A published release, loaded into PostgreSQL and switched in atomically (the SQL endpoint reads it there).

One schema per release: ``release_<id>`` is filled in one transaction (tables created and filled with
``COPY … FREEZE`` from the release's DuckDB file, primary keys, foreign keys of marts to dimensions where
the data holds them, indexes on those columns, ``COMMENT ON`` tables and columns, ``SELECT`` granted to the
analysts' group role). Readers only ever see the schema named :data:`READER_SCHEMA` (``warehouse``), and
one short transaction switches it::

    LOCK TABLE warehouse.* IN ACCESS EXCLUSIVE MODE   -- waits for readers of the old release, 200 ms at most
    ALTER SCHEMA warehouse RENAME TO release_<old>     -- kept for the grace period, analysts lose USAGE on it
    ALTER SCHEMA release_<new> RENAME TO warehouse

Why readers see whole releases only: a reader's transaction holds a lock on every table it has read until it
ends, so the switch cannot commit while a transaction that read the old release is open, and a reader asking
for a table the switch has locked waits for it and then reads the new release. The switch gives way
(``lock_timeout`` shorter than ``deadlock_timeout``; it retries until ``switch_timeout``), so a reader is
never the victim of a deadlock. The rows are frozen by ``COPY FREEZE``: a ``REPEATABLE READ`` reader whose
snapshot is older than the load still sees every row of the new tables.

Release schemas switched out longer ago than the grace period are dropped (``drop_expired``), and so are
schemas that were loaded but never switched in. What was loaded and when is kept in ``tw_meta.releases``
(no analyst can read it).

This module only needs a DSN of a role that may create schemas and roles in the database (the embedded
server's administrator, or ``TW_PG_DSN``); starting and hardening the server is ``serving/postgres.py``.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import duckdb
import psycopg
from psycopg import errors, sql

from publication.contract import duckdb_tables

READER_SCHEMA = "warehouse"  # what analysts read: the current release
ANALYSTS_ROLE = (
    "tw_analysts"  # NOLOGIN group role: USAGE on READER_SCHEMA, SELECT on its tables; nothing else
)
META_SCHEMA = "tw_meta"  # which release schema is which (administrators only)
RELEASE_SCHEMA_PREFIX = "release_"
# the table publication/release.py adds to every release
RELEASE_INFO = "release_info"
RELEASE_INFO_DOC = (
    ["release_id"],
    (
        "Which release this is: its id, when it was published, and its record (inputs, checks, suppression) "
        "as JSON (release.json)."
    ),
)
SWITCH_LOCK_TIMEOUT = "200ms"  # below PostgreSQL's deadlock_timeout (1 s): the switch gives way, not a reader
COPY_CHUNK_BYTES = 1 << 20


class PostgresLoadError(RuntimeError):
    """A release could not be loaded into or switched in PostgreSQL (the DuckDB release is not affected)."""


@dataclass(frozen=True)
class TableDoc:
    """What ``COMMENT ON`` says: the table's description and its columns' (from the dbt YAML)."""

    description: str = ""
    columns: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LoadReport:
    release_id: str
    schema: str
    loaded: bool  # False: the schema was already loaded by an earlier call
    tables: dict[str, int]  # rows per table
    primary_keys: dict[str, list[str]]
    unique_keys: dict[
        str, list[str]
    ]  # declared keys with nulls in a column: UNIQUE NULLS NOT DISTINCT instead
    foreign_keys: list[str]  # "mart.column -> dim.column"
    foreign_keys_not_holding: list[str]
    load_seconds: float
    switch_seconds: float
    switch_attempts: int
    previous_release: str | None
    dropped: list[str]


def release_schema(release_id: str) -> str:
    """The schema a release is loaded into: ``release_`` + the id in lower case, other characters as ``_``."""
    name = RELEASE_SCHEMA_PREFIX + re.sub(r"[^a-z0-9]+", "_", release_id.lower()).strip("_")
    if len(name) > 63:
        raise PostgresLoadError(f"release id {release_id!r} gives a schema name over 63 characters: {name}")
    return name


def pg_type(duckdb_type: str) -> str:
    """PostgreSQL's type for a DuckDB column type (``information_schema.columns.data_type``)."""
    t = duckdb_type.strip().upper()
    if t.endswith("[]"):
        return pg_type(t[:-2]) + "[]"
    decimal = re.fullmatch(r"(?:DECIMAL|NUMERIC)\((\d+),\s*(\d+)\)", t)
    if decimal:
        return f"numeric({decimal.group(1)},{decimal.group(2)})"
    simple = {
        "VARCHAR": "text",
        "BOOLEAN": "boolean",
        "TINYINT": "smallint",
        "SMALLINT": "smallint",
        "UTINYINT": "smallint",
        "INTEGER": "integer",
        "USMALLINT": "integer",
        "BIGINT": "bigint",
        "UINTEGER": "bigint",
        "UBIGINT": "numeric(20,0)",
        "HUGEINT": "numeric(39,0)",
        "FLOAT": "real",
        "DOUBLE": "double precision",
        "DATE": "date",
        "TIME": "time",
        "TIMESTAMP": "timestamp",
        "TIMESTAMP WITH TIME ZONE": "timestamptz",
        "INTERVAL": "interval",
        "UUID": "uuid",
        "JSON": "jsonb",
    }
    if t not in simple:
        raise PostgresLoadError(
            f"DuckDB type {duckdb_type!r} has no PostgreSQL counterpart here (publication/postgres.py)"
        )
    return simple[t]


def _csv_expression(column: str, duckdb_type: str) -> str:
    """How a column is written to the CSV that ``COPY`` reads: lists as PostgreSQL array literals."""
    quoted = '"' + column.replace('"', '""') + '"'
    if duckdb_type.strip().endswith("[]"):
        element = (
            "case when x is null then 'NULL' else "
            "'\"' || replace(replace(x::varchar, '\\', '\\\\'), '\"', '\\\"') || '\"' end"
        )
        return (
            f"case when {quoted} is null then null else "
            f"'{{' || array_to_string(list_transform({quoted}, x -> {element}), ',') || '}}' end"
        )
    return quoted


def _ensure_meta(con: psycopg.Connection) -> None:
    with con.transaction():
        if not con.execute("select 1 from pg_roles where rolname = %s", [ANALYSTS_ROLE]).fetchone():
            con.execute(sql.SQL("create role {} nologin").format(sql.Identifier(ANALYSTS_ROLE)))
        con.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(META_SCHEMA)))
        con.execute(
            sql.SQL(
                "create table if not exists {}.releases (release_id text primary key, "
                "schema_name text not null, "
                "state text not null check (state in ('loaded', 'current', 'retired')), "
                "loaded_at timestamptz not null default now(), switched_in_at timestamptz, "
                "retired_at timestamptz, tables integer, rows bigint)"
            ).format(sql.Identifier(META_SCHEMA))
        )


def _meta(con: psycopg.Connection, release_id: str) -> tuple[str, str] | None:
    row = con.execute(
        sql.SQL("select schema_name, state from {}.releases where release_id = %s").format(
            sql.Identifier(META_SCHEMA)
        ),
        [release_id],
    ).fetchone()
    return (row[0], row[1]) if row else None


def current_release(dsn: str) -> str | None:
    """The release analysts read (``warehouse``), or None before the first switch."""
    with psycopg.connect(dsn, autocommit=True) as con:
        if not con.execute("select 1 from pg_namespace where nspname = %s", [META_SCHEMA]).fetchone():
            return None
        row = con.execute(
            sql.SQL("select release_id from {}.releases where state = 'current'").format(
                sql.Identifier(META_SCHEMA)
            )
        ).fetchone()
        return row[0] if row else None


def _copy_table(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: str, table: str, columns: list, tmp: Path
) -> int:
    """One table: DuckDB writes CSV (NULL unquoted-empty, '' quoted), PostgreSQL reads it with COPY FREEZE."""
    target = tmp / f"{table}.csv"
    select = ", ".join(_csv_expression(c, t) for c, t in columns)
    duck.execute(f"copy (select {select} from main.\"{table}\") to '{target}' (format csv, header false)")
    copy = sql.SQL("copy {}.{} ({}) from stdin (format csv, freeze)").format(
        sql.Identifier(schema),
        sql.Identifier(table),
        sql.SQL(", ").join(sql.Identifier(c) for c, _ in columns),
    )
    with pg.cursor().copy(copy) as cp, open(target, "rb") as f:
        while chunk := f.read(COPY_CHUNK_BYTES):
            cp.write(chunk)
    target.unlink()
    return pg.execute(
        sql.SQL("select count(*) from {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
    ).fetchall()[0][0]


def _load(
    pg: psycopg.Connection,
    release_id: str,
    release_db: Path,
    keys: Mapping[str, Sequence[str]],
    docs: Mapping[str, TableDoc],
) -> dict:
    schema = release_schema(release_id)
    tables = duckdb_tables(release_db)
    report: dict = {
        "tables": {},
        "primary_keys": {},
        "unique_keys": {},
        "foreign_keys": [],
        "foreign_keys_not_holding": [],
    }
    s = sql.Identifier(schema)
    duck = duckdb.connect(str(release_db), read_only=True)
    try:
        duck.execute("set TimeZone = 'UTC'")
        with tempfile.TemporaryDirectory(prefix="tw-pg-load-") as tmp, pg.transaction():
            pg.execute(sql.SQL("drop schema if exists {} cascade").format(s))  # what a failed load left
            pg.execute(sql.SQL("create schema {}").format(s))
            for table, columns in tables.items():
                t = sql.Identifier(table)
                pg.execute(
                    sql.SQL("create table {}.{} ({})").format(
                        s,
                        t,
                        sql.SQL(", ").join(
                            sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(pg_type(dt)))
                            for c, dt in columns
                        ),
                    )
                )
                report["tables"][table] = _copy_table(pg, duck, schema, table, columns, Path(tmp))
                _key(pg, schema, table, [c for c, _ in columns], keys.get(table), report)
                _comments(pg, schema, table, [c for c, _ in columns], docs.get(table))
            _foreign_keys(pg, schema, tables, report)
            for table in tables:
                pg.execute(sql.SQL("analyze {}.{}").format(s, sql.Identifier(table)))
            pg.execute(
                sql.SQL("grant select on all tables in schema {} to {}").format(
                    s, sql.Identifier(ANALYSTS_ROLE)
                )
            )
            pg.execute(
                sql.SQL(
                    "insert into {}.releases (release_id, schema_name, state, tables, rows) "
                    "values (%s, %s, 'loaded', %s, %s) on conflict (release_id) do update set "
                    "schema_name = excluded.schema_name, state = 'loaded', loaded_at = now(), "
                    "switched_in_at = null, retired_at = null, tables = excluded.tables, rows = excluded.rows"
                ).format(sql.Identifier(META_SCHEMA)),
                [release_id, schema, len(tables), sum(report["tables"].values())],
            )
    finally:
        duck.close()
    return report


def _key(
    pg: psycopg.Connection,
    schema: str,
    table: str,
    columns: list[str],
    key: Sequence[str] | None,
    report: dict,
) -> None:
    if not key:
        return
    missing = [c for c in key if c not in columns]
    if missing:
        raise PostgresLoadError(f"{table}: key column(s) {missing} are not columns of the table ({columns})")
    s, t = sql.Identifier(schema), sql.Identifier(table)
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in key)
    nulls = pg.execute(
        sql.SQL("select count(*) from {}.{} where {}").format(
            s, t, sql.SQL(" or ").join(sql.SQL("{} is null").format(sql.Identifier(c)) for c in key)
        )
    ).fetchall()[0][0]
    try:
        if nulls == 0:
            pg.execute(sql.SQL("alter table {}.{} add primary key ({})").format(s, t, cols))
            report["primary_keys"][table] = list(key)
        else:  # a key with an optional column: unique, with null equal to null as the dbt test counts it
            pg.execute(sql.SQL("alter table {}.{} add unique nulls not distinct ({})").format(s, t, cols))
            report["unique_keys"][table] = list(key)
    except errors.UniqueViolation as exc:
        raise PostgresLoadError(f"{table}: the declared key ({', '.join(key)}) is not unique: {exc}") from exc


def _comments(
    pg: psycopg.Connection, schema: str, table: str, columns: list[str], doc: TableDoc | None
) -> None:
    if doc is None:
        return
    s, t = sql.Identifier(schema), sql.Identifier(table)
    if doc.description:
        pg.execute(sql.SQL("comment on table {}.{} is {}").format(s, t, sql.Literal(doc.description)))
    for column, text in doc.columns.items():
        if column in columns and text:
            pg.execute(
                sql.SQL("comment on column {}.{}.{} is {}").format(
                    s, t, sql.Identifier(column), sql.Literal(text)
                )
            )


def _foreign_keys(pg: psycopg.Connection, schema: str, tables: dict[str, list], report: dict) -> None:
    """Each mart column named like a dimension's one-column primary key references it, where every value of
    the mart is in the dimension (checked by PostgreSQL itself); an index on it serves the join."""
    s = sql.Identifier(schema)
    targets = {
        key[0]: dim for dim, key in report["primary_keys"].items() if dim.startswith("dim_") and len(key) == 1
    }
    for mart in sorted(t for t in tables if t.startswith("mart_")):
        for column, _ in tables[mart]:
            dim = targets.get(column)
            if dim is None:
                continue
            edge = f"{mart}.{column} -> {dim}.{column}"
            try:
                with pg.transaction():  # a savepoint: a violation leaves the load going
                    pg.execute(
                        sql.SQL("alter table {}.{} add foreign key ({}) references {}.{} ({})").format(
                            s,
                            sql.Identifier(mart),
                            sql.Identifier(column),
                            s,
                            sql.Identifier(dim),
                            sql.Identifier(column),
                        )
                    )
            except errors.ForeignKeyViolation:
                report["foreign_keys_not_holding"].append(edge)
                continue
            pg.execute(
                sql.SQL("create index {} on {}.{} ({})").format(
                    sql.Identifier(f"{mart}_{column}_idx"[:63]),
                    s,
                    sql.Identifier(mart),
                    sql.Identifier(column),
                )
            )
            report["foreign_keys"].append(edge)


def switch(dsn: str, release_id: str, switch_timeout: float = 600.0) -> tuple[str | None, int, float]:
    """Make the loaded ``release_id`` what analysts read, in one transaction; returns (previous release,
    attempts, seconds). Retries while readers of the old release hold it, up to ``switch_timeout`` seconds."""
    started = time.monotonic()
    attempts = 0
    with psycopg.connect(dsn, autocommit=True) as con:
        _ensure_meta(con)
        while True:
            attempts += 1
            try:
                previous = _switch_once(con, release_id)
                return previous, attempts, time.monotonic() - started
            except (errors.LockNotAvailable, errors.DeadlockDetected) as exc:
                if time.monotonic() - started > switch_timeout:
                    raise PostgresLoadError(
                        f"release {release_id} was not switched in within {switch_timeout:.0f}s: readers of "
                        f"the current release held it ({exc}); it stays loaded, the switch can be retried"
                    ) from exc
                time.sleep(min(0.05 * attempts, 1.0))


def _tables(con: psycopg.Connection, schema: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select tablename from pg_tables where schemaname = %s order by 1", [schema]
        ).fetchall()
    ]


def _structure(con: psycopg.Connection, schema: str) -> list[tuple]:
    """Tables, columns, types and constraints of a schema, with the schema's own name taken out."""
    columns = con.execute(
        "select c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull "
        "from pg_attribute a join pg_class c on c.oid = a.attrelid "
        "join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped order by 1, 2",
        [schema],
    ).fetchall()
    constraints = con.execute(
        "select c.relname, k.contype, pg_get_constraintdef(k.oid) from pg_constraint k "
        "join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = %s order by 1, 2, 3",
        [schema],
    ).fetchall()
    prefixes = (f"{schema}.", f'"{schema}".')
    return columns + [
        (table, kind, definition.replace(prefixes[0], "").replace(prefixes[1], ""))
        for table, kind, definition in constraints
    ]


def _with_foreign_keys_last(con: psycopg.Connection, schema: str) -> list[str]:
    """The schema's tables; those that reference others last (one level: marts → dimensions)."""
    referencing = {
        r[0]
        for r in con.execute(
            "select distinct c.relname from pg_constraint k join pg_class c on c.oid = k.conrelid "
            "join pg_namespace n on n.oid = c.relnamespace where n.nspname = %s and k.contype = 'f'",
            [schema],
        ).fetchall()
    }
    tables = _tables(con, schema)
    return [t for t in tables if t not in referencing] + [t for t in tables if t in referencing]


def _copy_comments(con: psycopg.Connection, source: str, target: str, table: str) -> None:
    rows = con.execute(
        "select a.attname, obj_description(s.oid, 'pg_class'), col_description(s.oid, a.attnum), "
        "obj_description(d.oid, 'pg_class'), col_description(d.oid, b.attnum) "
        "from pg_class s join pg_namespace sn on sn.oid = s.relnamespace and sn.nspname = %s "
        "join pg_class d on d.relname = s.relname join pg_namespace dn on dn.oid = d.relnamespace "
        "and dn.nspname = %s "
        "join pg_attribute a on a.attrelid = s.oid and a.attnum > 0 and not a.attisdropped "
        "join pg_attribute b on b.attrelid = d.oid and b.attname = a.attname where s.relname = %s",
        [source, target, table],
    ).fetchall()
    t = sql.SQL("{}.{}").format(sql.Identifier(target), sql.Identifier(table))
    if rows and rows[0][1] != rows[0][3]:
        con.execute(sql.SQL("comment on table {} is {}").format(t, sql.Literal(rows[0][1])))
    for column, _, text, _, current in rows:
        if text != current:
            con.execute(
                sql.SQL("comment on column {}.{} is {}").format(t, sql.Identifier(column), sql.Literal(text))
            )


def _clone(con: psycopg.Connection, source: str, target: str) -> None:
    """A copy of schema ``source`` as ``target``: tables with their keys, indexes and comments, rows, foreign
    keys, and SELECT for the analysts (USAGE comes with the switch)."""
    s, d = sql.Identifier(source), sql.Identifier(target)
    con.execute(sql.SQL("drop schema if exists {} cascade").format(d))
    con.execute(sql.SQL("create schema {}").format(d))
    tables = _with_foreign_keys_last(con, source)
    for table in tables:
        t = sql.Identifier(table)
        con.execute(sql.SQL("create table {}.{} (like {}.{} including all)").format(d, t, s, t))
        con.execute(sql.SQL("insert into {}.{} select * from {}.{}").format(d, t, s, t))
        _copy_comments(con, source, target, table)
    for table, name, definition in con.execute(
        "select c.relname, k.conname, pg_get_constraintdef(k.oid) from pg_constraint k "
        "join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = %s and k.contype = 'f' order by 1, 2",
        [source],
    ).fetchall():
        definition = definition.replace(f'"{source}".', f'"{target}".').replace(f"{source}.", f'"{target}".')
        con.execute(
            sql.SQL("alter table {}.{} add constraint {} {}").format(
                d, sql.Identifier(table), sql.Identifier(name), sql.SQL(definition)
            )
        )
    con.execute(
        sql.SQL("grant select on all tables in schema {} to {}").format(d, sql.Identifier(ANALYSTS_ROLE))
    )


NEXT_SCHEMA = READER_SCHEMA + "_next"  # a structural switch prepares the new reader schema here


def _switch_once(con: psycopg.Connection, release_id: str) -> str | None:
    """One attempt. Same tables, columns and constraints as what readers see: the rows are replaced in one
    transaction (no lock that blocks a reader; a transaction sees one release under REPEATABLE READ, the
    analysts' default, and every statement does under READ COMMITTED). Otherwise (the first release, or a
    release whose tables changed): a copy is prepared, then swapped in under ACCESS EXCLUSIVE locks on the
    old tables, which waits for the readers of the old release."""
    meta = sql.Identifier(META_SCHEMA)
    reader, analysts = sql.Identifier(READER_SCHEMA), sql.Identifier(ANALYSTS_ROLE)
    row = _meta(con, release_id)
    if row is None:
        raise PostgresLoadError(f"release {release_id} is not loaded into PostgreSQL")
    schema, state = row
    if state == "current":
        return release_id
    if not _schema_exists(con, schema):
        raise PostgresLoadError(f"release {release_id}: its schema {schema} was dropped; load it again")
    in_place = _schema_exists(con, READER_SCHEMA) and _structure(con, READER_SCHEMA) == _structure(
        con, schema
    )
    if not in_place:
        with con.transaction():
            _clone(con, schema, NEXT_SCHEMA)
    with con.transaction():
        con.execute(sql.SQL("set local lock_timeout = {}").format(sql.Literal(SWITCH_LOCK_TIMEOUT)))
        # one switch at a time (two publishers would otherwise race)
        con.execute("select pg_advisory_xact_lock(hashtext('tw release switch'))")
        current = con.execute(
            sql.SQL("select release_id from {}.releases where state = 'current'").format(meta)
        ).fetchone()
        if _schema_exists(con, READER_SCHEMA) and current is None:
            raise PostgresLoadError(
                f"schema {READER_SCHEMA} exists but no release is recorded as current in "
                f"{META_SCHEMA}.releases: it was not made by this loader; rename or drop it"
            )
        if in_place:
            order = _with_foreign_keys_last(con, schema)
            for table in reversed(order):
                con.execute(sql.SQL("delete from {}.{}").format(reader, sql.Identifier(table)))
            for table in order:
                t = sql.Identifier(table)
                con.execute(
                    sql.SQL("insert into {}.{} select * from {}.{}").format(
                        reader, t, sql.Identifier(schema), t
                    )
                )
                _copy_comments(con, schema, READER_SCHEMA, table)
        else:
            old = _tables(con, READER_SCHEMA)
            if old:
                con.execute(
                    sql.SQL("lock table {} in access exclusive mode").format(
                        sql.SQL(", ").join(sql.SQL("{}.{}").format(reader, sql.Identifier(t)) for t in old)
                    )
                )
            con.execute(sql.SQL("drop schema if exists {} cascade").format(reader))
            con.execute(sql.SQL("alter schema {} rename to {}").format(sql.Identifier(NEXT_SCHEMA), reader))
            con.execute(sql.SQL("grant usage on schema {} to {}").format(reader, analysts))
        con.execute(
            sql.SQL(
                "update {}.releases set state = 'retired', retired_at = now() where state = 'current'"
            ).format(meta)
        )
        con.execute(
            sql.SQL(
                "update {}.releases set state = 'current', switched_in_at = now(), retired_at = null "
                "where release_id = %s"
            ).format(meta),
            [release_id],
        )
    if in_place:  # the replaced rows are dead tuples: reclaim them, and fresh statistics for the planner
        for table in _tables(con, READER_SCHEMA):
            con.execute(
                sql.SQL("vacuum (analyze, truncate false) {}.{}").format(reader, sql.Identifier(table))
            )
    return current[0] if current else None


def drop_expired(dsn: str, grace: timedelta) -> list[str]:
    """Drop release schemas switched out (or loaded and never switched in) more than ``grace`` ago. A schema
    someone still holds a lock on is left for the next call."""
    dropped = []
    meta = sql.Identifier(META_SCHEMA)
    with psycopg.connect(dsn, autocommit=True) as con:
        _ensure_meta(con)
        expired = con.execute(
            sql.SQL(
                "select release_id, schema_name from {}.releases where state <> 'current' "
                "and coalesce(retired_at, loaded_at) < now() - %s order by release_id"
            ).format(meta),
            [grace],
        ).fetchall()
        for release_id, schema in expired:
            try:
                with con.transaction():
                    con.execute("set local lock_timeout = '1s'")
                    con.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema)))
                    con.execute(
                        sql.SQL("delete from {}.releases where release_id = %s").format(meta), [release_id]
                    )
                dropped.append(release_id)
            except (errors.LockNotAvailable, errors.DeadlockDetected):
                continue
    return dropped


def load_release(
    dsn: str,
    release_dir: Path,
    keys: Mapping[str, Sequence[str]],
    docs: Mapping[str, TableDoc] | None = None,
    grace: timedelta = timedelta(hours=24),
    switch_timeout: float = 600.0,
) -> LoadReport:
    """Load the published release in ``release_dir`` (its ``warehouse.duckdb``) into PostgreSQL, switch it
    in, and drop expired release schemas.

    ``keys``: table → key columns (a primary key; UNIQUE NULLS NOT DISTINCT where a key column has nulls);
    ``docs``: table → its ``COMMENT ON`` texts. A release already loaded is only switched in.
    """
    keys = {RELEASE_INFO: RELEASE_INFO_DOC[0], **keys}
    docs = {RELEASE_INFO: TableDoc(RELEASE_INFO_DOC[1]), **(docs or {})}
    release_dir = release_dir.resolve()
    release_id = release_dir.name
    release_db = release_dir / "warehouse.duckdb"
    if not release_db.exists():
        raise PostgresLoadError(f"{release_db}: no release database to load")
    started = time.monotonic()
    with psycopg.connect(dsn, autocommit=True) as con:
        _ensure_meta(con)
        existing = _meta(con, release_id)
        loaded = existing is None or (existing[1] == "loaded" and not _schema_exists(con, existing[0]))
        report = (
            _load(con, release_id, release_db, keys, docs)
            if loaded
            else {
                "tables": {},
                "primary_keys": {},
                "unique_keys": {},
                "foreign_keys": [],
                "foreign_keys_not_holding": [],
            }
        )
    load_seconds = time.monotonic() - started
    previous, attempts, switch_seconds = switch(dsn, release_id, switch_timeout)
    dropped = drop_expired(dsn, grace)
    return LoadReport(
        release_id=release_id,
        schema=release_schema(release_id),
        loaded=loaded,
        load_seconds=load_seconds,
        switch_seconds=switch_seconds,
        switch_attempts=attempts,
        previous_release=previous,
        dropped=dropped,
        **report,
    )


def _schema_exists(con: psycopg.Connection, schema: str) -> bool:
    return con.execute("select 1 from pg_namespace where nspname = %s", [schema]).fetchone() is not None


def declarations_from_manifest(
    manifest_path: Path, tables: Sequence[str]
) -> tuple[dict[str, list[str]], dict[str, TableDoc]]:
    """Keys and COMMENT ON texts of ``tables`` from dbt's ``manifest.json``: a model's key is the columns of
    its ``unique_combination_of_columns`` test, else the column of its ``unique`` test; the comments are the
    model's and its columns' descriptions in the dbt YAML (English and 中文)."""
    import json

    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    models = {
        n["name"]: n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["name"] in set(tables)
    }
    by_id = {n["unique_id"]: name for name, n in models.items()}
    combined: dict[str, list[str]] = {}
    single: dict[str, list[str]] = {}
    for node in manifest["nodes"].values():
        meta = node.get("test_metadata") or {}
        table = by_id.get(node.get("attached_node") or "")
        if node["resource_type"] != "test" or table is None:
            continue
        kwargs = meta.get("kwargs") or {}
        if meta.get("name") == "unique_combination_of_columns":
            combined.setdefault(
                table, list(kwargs.get("columns") or (kwargs.get("arguments") or {})["columns"])
            )
        elif meta.get("name") == "unique" and node.get("column_name"):
            single.setdefault(table, [node["column_name"]])
    keys = {**single, **combined}
    docs = {
        name: TableDoc(
            _with_caveat(node),
            {c: _with_caveat(col) for c, col in (node.get("columns") or {}).items()},
        )
        for name, node in models.items()
    }
    return keys, docs


def _with_caveat(node: dict) -> str:
    """A description, and the caveat of the indicator when its YAML has one (``meta: {caveat: ...}``)."""
    meta = {**(node.get("meta") or {}), **((node.get("config") or {}).get("meta") or {})}
    caveat = meta.get("caveat")
    description = node.get("description") or ""
    return f"{description} Caveat: {caveat}".strip() if caveat else description


def published_declarations(manifest_path: Path) -> tuple[dict[str, list[str]], dict[str, TableDoc]]:
    """Keys and comments of every published table (publication/release.py) from the dbt manifest; none
    (and the loader makes tables without keys or comments) when dbt has not parsed the project yet."""
    from publication.release import published_tables

    if not manifest_path.exists():
        return {}, {}
    return declarations_from_manifest(manifest_path, [t for _, t in published_tables(manifest_path)])
