"""The staging models' delivery rule (dbt_project/macros/deliveries.sql, ``latest_row_per_key``) keeps the
row a window over every row keeps: the macro is rendered with Jinja as dbt would (a full build) and run in
DuckDB against raw rows with keys delivered once, in two files, twice at one ingestion, twice in one file, in
a file delivered again without them, and without a key; its result is compared with the rule written as one
window. The end-to-end suites run it inside ``dbt build`` (tests/e2e/test_incremental.py,
tests/faults/test_redelivery.py)."""

from __future__ import annotations

import datetime as dt
import random

import duckdb
import jinja2
import pytest

from tests.conftest import REPO

MACROS = REPO / "dbt_project" / "macros" / "deliveries.sql"


def latest_row_per_key(relation: str, key: list[str]) -> str:
    env = jinja2.Environment()
    env.globals["is_incremental"] = lambda: False
    module = env.from_string(MACROS.read_text(encoding="utf-8")).module
    return str(module.latest_row_per_key(relation, key))  # type: ignore[attr-defined]


def window_rule(relation: str, key: list[str]) -> str:
    """The rule as one window over every row of the latest version of each file."""
    k = ", ".join(key)
    return f"""
        select * exclude (r) from (
            select *, row_number() over (
                partition by {k} order by ingested_at desc, source_file desc, source_row desc) as r
            from {relation}
            where (source_file, ingested_at) in (
                select source_file, max(ingested_at) from {relation} group by source_file)
        ) where r = 1"""


def _rows(con: duckdb.DuckDBPyConnection, rows: list[tuple]) -> None:
    con.execute(
        "create or replace table raw_rows (posting_id varchar, survey_date date, headcount bigint, "
        "source_file varchar, source_row bigint, ingested_at timestamptz)"
    )
    con.executemany("insert into raw_rows values (?, ?, ?, ?, ?, ?)", rows)


def _kept(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(
        f"select posting_id, survey_date, headcount from ({sql}) order by all nulls first"
    ).fetchall()


def test_the_hand_worked_deliveries() -> None:
    jan, feb, mar = (dt.datetime(2026, m, 1, tzinfo=dt.UTC) for m in (1, 2, 3))
    con = duckdb.connect()
    _rows(
        con,
        [
            ("P1", None, 1, "a.csv", 1, jan),  # delivered once
            ("P2", None, 2, "a.csv", 2, jan),
            ("P2", None, 22, "b.csv", 1, feb),  # a later ingestion wins
            ("P3", None, 3, "c.csv", 1, feb),
            ("P3", None, 33, "d.csv", 1, feb),  # one ingestion: the later file name wins
            ("P4", None, 4, "e.csv", 1, jan),
            ("P4", None, 44, "e.csv", 2, jan),  # one file: the later row wins
            ("P5", None, 5, "f.csv", 1, jan),  # f.csv delivered again without P5: gone
            ("P6", None, 6, "f.csv", 1, mar),
            (None, None, 7, "g.csv", 1, jan),  # rows without a key are one key, as a window's partition
            (None, None, 77, "g.csv", 2, jan),
        ],
    )
    expected = [(None, None, 77), ("P1", None, 1), ("P2", None, 22), ("P3", None, 33), ("P4", None, 44)]
    expected.append(("P6", None, 6))
    assert _kept(con, latest_row_per_key("raw_rows", ["posting_id"])) == expected
    assert _kept(con, window_rule("raw_rows", ["posting_id"])) == expected


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("key", [["posting_id"], ["posting_id", "survey_date"]])
def test_the_same_rows_as_one_window_over_every_row(seed: int, key: list[str]) -> None:
    rng = random.Random(seed)
    files = [f"{c}.csv" for c in "abcdef"]
    times = [dt.datetime(2026, 1, d, tzinfo=dt.UTC) for d in (1, 2, 3)]
    rows = []
    for n in range(400):
        rows.append(
            (
                rng.choice([None, *(f"P{i}" for i in range(60))]),
                rng.choice([None, dt.date(2025, 6, 30), dt.date(2025, 12, 31)]),
                n,
                rng.choice(files),
                rng.randint(1, 10_000) * 1_000 + n,  # a file's rows are numbered once: no tie
                rng.choice(times),
            )
        )
    con = duckdb.connect()
    _rows(con, rows)
    kept = _kept(con, latest_row_per_key("raw_rows", key))
    assert kept == _kept(con, window_rule("raw_rows", key))
    assert len(kept) > 20
