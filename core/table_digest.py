"""A digest of a DuckDB table's content, and the digests a release candidate's mart gate computed.

:func:`table_digest` is a SHA-256 of a table's columns (names and types), its row count and the sum of a
hash of each row: the same rows in any order give the same digest (DuckDB's version is part of it, as its
hash is). The mart gate (quality/mart_gate.py) compares it with the last published release's to carry a
suite's outcome over; the export (publication/release.py) compares it with the replaced release's manifest
to link an unchanged table's Parquet file. Both read the candidate's tables, which nothing writes after they
are staged: the gate leaves the digests it computed in the candidate's quality folder
(:func:`write_digests`), and the export reads them there (:func:`read_digests`) instead of hashing the
same tables again (the 2M-row list at M, 20M at L).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

import duckdb

DIGESTS_FILE = "table_digests.json"  # in a candidate's quality folder, beside the mart gate's gate.json


def table_digest(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """The digest of ``main.<table>`` (the module's docstring)."""
    columns = con.execute(
        "select column_name, data_type from duckdb_columns() where schema_name = 'main' and table_name = ? "
        "order by column_index",
        [table],
    ).fetchall()
    rows, total = con.execute(
        f'select count(*), coalesce(sum(hash(_digest_row)), 0)::varchar from main."{table}" as _digest_row'
    ).fetchone() or (0, "0")
    text = json.dumps([duckdb.__version__, columns, rows, total])
    return hashlib.sha256(text.encode()).hexdigest()


def table_digests(database: Path, tables: Iterable[str]) -> dict[str, str]:
    con = duckdb.connect(str(database), read_only=True)
    try:
        return {t: table_digest(con, t) for t in tables}
    finally:
        con.close()


def write_digests(folder: Path, release_id: str, digests: Mapping[str, str]) -> None:
    """Leave ``digests`` (table → digest) of release candidate ``release_id``'s tables in its quality
    ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    data = {"release_id": release_id, "tables": dict(sorted(digests.items()))}
    (folder / DIGESTS_FILE).write_text(json.dumps(data, indent=1), encoding="utf-8")


def read_digests(folder: Path, release_id: str) -> dict[str, str]:
    """What :func:`write_digests` left in ``folder`` for ``release_id``; nothing when it left nothing readable
    or left them for another release (the tables are then hashed again)."""
    try:
        data = json.loads((folder / DIGESTS_FILE).read_text(encoding="utf-8"))
        if data["release_id"] != release_id or not isinstance(data["tables"], dict):
            return {}
        return {str(t): d for t, d in data["tables"].items() if isinstance(d, str) and d}
    except (OSError, ValueError, KeyError, TypeError):
        return {}
