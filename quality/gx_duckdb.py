"""Great Expectations' SQL datasource, made to work on DuckDB.

Why this module exists: GX (1.x) runs a metric query inside ``with engine.connect()`` and reads
the rows after the block has closed the connection. SQLAlchemy then rolls back the connection's
transaction, and duckdb-engine's cursor *is* the DuckDB connection, so the pending result is
discarded: every metric comes back empty and every expectation fails with MetricResolutionError.
GX already keeps one persistent connection for dialects with the same need (SQLite, SQL Server,
BigQuery, Databricks); we add DuckDB to that list. The metric queries then run inside DuckDB,
so validation scales with DuckDB, not with pandas.

``tests/unit/test_gx_duckdb.py`` proves that expectations resolve, pass and fail on DuckDB, and
fails loudly if a GX upgrade changes the internals this relies on.
"""

from __future__ import annotations


class _DialectName(str):
    """A dialect name with the ``.value`` GX's dialect enum members have."""

    @property
    def value(self) -> str:
        return str(self)


def enable_duckdb_persistent_connection() -> None:
    """Idempotently add DuckDB to GX's persisted-connection dialects (imports GX: call it when validating)."""
    from great_expectations.execution_engine import sqlalchemy_execution_engine as _see

    current = tuple(_see._PERSISTED_CONNECTION_DIALECTS)
    if any(str(getattr(d, "value", d)) == "duckdb" for d in current):
        return
    # a name with .value stands in for a GXSqlDialect member (GX has none for DuckDB)
    _see._PERSISTED_CONNECTION_DIALECTS = (*current, _DialectName("duckdb"))  # type: ignore[assignment]


def duckdb_connection_string(path: str) -> str:
    return f"duckdb:///{path}"
