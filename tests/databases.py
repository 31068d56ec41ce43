"""Small DuckDB files the unit tests build: from SQL, or a release candidate typed by the dbt declarations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb

from transformation.marts import declarations

# 苏州's 2024 rows of mart_shortage_occupations, one ranked by each rule (ranking_basis): the report and the
# lists must show each by its own rule's figures (the MOHRSS 最缺工 row: its job-seeker gap, 求职人数 and
# 求人倍率; its graduate figures are for comparison only)
SHORTAGE_OCCUPATION_ROWS: tuple[dict[str, Any], ...] = tuple(
    {
        "region_level": "prefecture",
        "region_code": "320500",
        "year": 2024,
        "shortage_rank": 1,
        "job_seekers": 0,
        "vacancies_with_job_seekers": 0,
        **row,
    }
    for row in (
        {
            "occupation_code": "2-02",
            "ranking_basis": "graduates_supplied",
            "shortage_level": "severe",
            "vacancy_headcount": 90,
            "graduates_supplied": 10,
            "shortage_gap": 80,
            "vacancies_per_graduate": 9.0,
        },
        {
            "occupation_code": "6-22",
            "ranking_basis": "job_seekers",
            "shortage_level": "shortage",
            "vacancy_headcount": 300,
            "graduates_supplied": 40,
            "shortage_gap": 260,
            "vacancies_per_graduate": 7.5,
            "job_seekers": 50,
            "vacancies_with_job_seekers": 120,
            "job_seeker_gap": 70,
            "job_vacancy_ratio": 2.4,
        },
    )
)


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
