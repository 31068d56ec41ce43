"""Small DuckDB files the unit tests build: from SQL, or a release candidate typed by the dbt declarations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb

from transformation.marts import declarations


def duckdb_file(path: Path, sql: str) -> Path:
    """A DuckDB file at ``path`` made by ``sql`` (one or more statements)."""
    with duckdb.connect(str(path)) as con:
        con.execute(sql)
    return path


def candidate_database(path: Path, rows: Mapping[str, Sequence[Mapping[str, Any]]]) -> Path:
    """A candidate database at ``path``: each table of ``rows`` created from its dbt declaration (every
    documented column, typed as declared, varchar where no type is) and filled with its rows, in which
    ``suppressed_columns`` is '' unless given."""
    models = {d.name: d for d in declarations()}
    with duckdb.connect(str(path)) as con:
        for table, table_rows in rows.items():
            columns = models[table].columns
            typed = ", ".join(f"{c.name} {c.data_type or 'varchar'}" for c in columns)
            con.execute(f"create table {table} ({typed})")
            suppressed = (
                {"suppressed_columns": ""} if "suppressed_columns" in {c.name for c in columns} else {}
            )
            for row in table_rows:
                values = {**suppressed, **row}
                con.execute(
                    f"insert into {table} ({', '.join(values)}) values ({', '.join('?' for _ in values)})",
                    list(values.values()),
                )
    return path
