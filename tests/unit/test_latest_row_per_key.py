"""The staging models' delivery rule (dbt_project/macros/deliveries.sql, ``latest_row_per_key``) in its two
forms, DuckDB's (only the keys delivered more than once ranked) and Spark's (one window over every row),
rendered with Jinja as dbt would and run in DuckDB against raw rows with keys delivered once, in two files,
twice at one ingestion, twice in one file, in a file delivered again without them, and without a value; in
a full build and in an incremental one (new deliveries, corrected files, the model's earlier rows). The
end-to-end suites run it inside ``dbt build`` (tests/e2e/test_incremental.py, tests/faults/test_redelivery.py)
and on Spark (tests/e2e/test_spark_parity.py)."""

from __future__ import annotations

import datetime as dt
import random

import duckdb
import jinja2
import pytest

from tests.conftest import REPO

MACROS = REPO / "dbt_project" / "macros" / "deliveries.sql"
FORMS = ("default", "spark")


def latest_row_per_key(form: str, relation: str, key: list[str], incremental: bool = False) -> str:
    """The macro's ``form`` (``default``: DuckDB; ``spark``) as dbt renders it; ``model`` is the model."""
    env = jinja2.Environment()
    env.globals["is_incremental"] = lambda: incremental
    env.globals["this"] = "model"
    module = env.from_string(MACROS.read_text(encoding="utf-8")).module
    return str(getattr(module, f"{form}__latest_row_per_key")(relation, key))


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
    for form in FORMS:
        assert _kept(con, latest_row_per_key(form, "raw_rows", ["posting_id"])) == expected, form


def _deliveries(rng: random.Random, n: int, first_day: int) -> list[tuple]:
    files = [f"{c}.csv" for c in "abcdef"]
    times = [dt.datetime(2026, 1, d, tzinfo=dt.UTC) for d in range(first_day, first_day + 3)]
    return [
        (
            rng.choice([None, *(f"P{i}" for i in range(60))]),
            rng.choice([None, dt.date(2025, 6, 30), dt.date(2025, 12, 31)]),
            rng.randint(0, 10**6),
            rng.choice(files),
            rng.randint(1, 10_000) * 1_000 + i,  # a file's rows are numbered once: no tie
            rng.choice(times),
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("key", [["posting_id"], ["posting_id", "survey_date"]])
def test_both_forms_keep_the_same_rows_in_full_and_incremental_builds(seed: int, key: list[str]) -> None:
    rng = random.Random(seed)
    con = duckdb.connect()
    _rows(con, _deliveries(rng, 400, 1))
    full = [_kept(con, latest_row_per_key(form, "raw_rows", key)) for form in FORMS]
    assert full[0] == full[1] and len(full[0]) > 20
    # the model after that build, then more deliveries: new keys, keys again, files delivered again
    con.execute(
        "create table model as select * exclude (delivery_rank) from "
        f"({latest_row_per_key('spark', 'raw_rows', key)})"
    )
    con.executemany("insert into raw_rows values (?, ?, ?, ?, ?, ?)", _deliveries(rng, 200, 3))
    touched = [_kept(con, latest_row_per_key(form, "raw_rows", key, incremental=True)) for form in FORMS]
    assert touched[0] == touched[1] and touched[0]
