"""Small DuckDB files the unit tests build: from SQL, or a release candidate typed by the dbt declarations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb

from transformation.marts import declarations

# a 苏州 2024 row of mart_shortage_occupations ranked by the MOHRSS 最缺工 rule (ranking_basis job_seekers):
# the report and the lists must show its job-seeker gap, 求职人数 and 求人倍率; its graduate figures are for
# comparison only
JOB_SEEKER_SHORTAGE_ROW: dict[str, Any] = {
    "region_level": "prefecture",
    "region_code": "320500",
    "year": 2024,
    "occupation_code": "6-22",
    "ranking_basis": "job_seekers",
    "shortage_rank": 1,
    "shortage_level": "shortage",
    "vacancy_headcount": 300,
    "graduates_supplied": 40,
    "shortage_gap": 260,
    "vacancies_per_graduate": 7.5,
    "job_seekers": 50,
    "vacancies_with_job_seekers": 120,
    "job_seeker_gap": 70,
    "job_vacancy_ratio": 2.4,
}


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
