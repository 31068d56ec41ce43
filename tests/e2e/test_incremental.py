"""An incremental build gives the same tables as a full one.

On the small sample: build everything without the newest month of vacancies; then a new month arrives
together with a corrected earlier month (a backfill of that period: one posting dropped, one changed, one
moved in from another month) and the build is incremental (transformation/build_plan.py decides what to
rebuild, dbt_project/macros/deliveries.sql what to take; the enterprise list recomputes only the posting years
the deliveries touched). A full build of the same raw zone into a new
database must hold the same rows in every staging, intermediate and mart table.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from devtools.dbt_cli import DbtFailed, run_dbt
from devtools.sample import generate
from ingestion.ingest import ingest_inbox
from ingestion.raw_zone import all_manifests
from transformation.build_plan import (
    BuildInputs,
    BuildPlan,
    dbt_build_args,
    dbt_build_env,
    feed_files,
    plan_build,
)

pytestmark = pytest.mark.e2e
NEW_MONTH = Path("vacancies/2024/vacancies_2024-12.csv")
CORRECTED = Path("vacancies/2024/vacancies_2024-11.csv")
DONOR = Path("vacancies/2023/vacancies_2023-06.csv")


def _dbt(root: Path, build_db: Path, args: list[str], env: dict[str, str] | None = None) -> dict:
    target = root / f"target-{build_db.stem}"
    run_dbt(args, raw_dir=root / "raw", build_db=build_db, target_dir=target, log_dir=root / "logs", env=env)
    return json.loads((target / "run_results.json").read_text(encoding="utf-8"))


def _tables(con: duckdb.DuckDBPyConnection, db: str) -> list[tuple[str, str]]:
    return con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = ? and "
        "schema_name in ('staging', 'intermediate', 'marts') order by all",
        [db],
    ).fetchall()


def _differences(incremental: Path, full: Path) -> dict[str, int]:
    con = duckdb.connect()
    con.execute(f"attach '{incremental}' as i (read_only)")
    con.execute(f"attach '{full}' as f (read_only)")
    assert _tables(con, "i") == _tables(con, "f")
    out = {}
    for schema, table in _tables(con, "i"):
        columns = con.execute(
            "select column_name, data_type from duckdb_columns() where database_name = 'i' and "
            "schema_name = ? and table_name = ?",
            [schema, table],
        ).fetchall()
        # doubles to 9 places: a sum of doubles depends on the order DuckDB's threads add them in
        cols = ", ".join(f'round("{c}", 9)' if t == "DOUBLE" else f'"{c}"' for c, t in columns)
        out[f"{schema}.{table}"] = con.execute(
            f"select count(*) from ((select {cols} from i.{schema}.{table} except all select {cols} from "
            f"f.{schema}.{table}) union all (select {cols} from f.{schema}.{table} except all "
            f"select {cols} from i.{schema}.{table}))"
        ).fetchone()[0]
    con.close()
    return out


def test_incremental_build_equals_full_build(tmp_path: Path) -> None:
    generate(tmp_path / "all", "small")
    inbox = tmp_path / "inbox"
    shutil.copytree(tmp_path / "all", inbox)
    (inbox / NEW_MONTH).unlink()
    assert all(r.reconciles for r in ingest_inbox(inbox, tmp_path / "raw", b"k"))
    build = tmp_path / "incremental.duckdb"
    _dbt(tmp_path, build, dbt_build_args(BuildPlan("full", (), "test"), {}) or [])  # a refresh's full build
    first = BuildInputs("code", feed_files(all_manifests(tmp_path / "raw")))

    # a new month, and a corrected earlier month: drop its first posting, double the second's headcount,
    # and take over a posting first delivered in another month
    shutil.copy2(tmp_path / "all" / NEW_MONTH, inbox / NEW_MONTH)
    month = pl.read_csv(inbox / CORRECTED, infer_schema=False)
    moved = pl.read_csv(inbox / DONOR, infer_schema=False).head(1)
    dropped, changed, moved_id = month["posting_id"][0], month["posting_id"][1], moved["posting_id"][0]
    corrected = pl.concat(
        [
            month.slice(1, 1).with_columns((pl.col("headcount").cast(pl.Int64) * 2).cast(pl.Utf8)),
            month.slice(2),
            moved.select(month.columns),
        ]
    )
    corrected.write_csv(inbox / CORRECTED)
    reports = [r for r in ingest_inbox(inbox, tmp_path / "raw", b"k") if r.status == "loaded"]
    assert sorted(r.source_file for r in reports) == sorted([str(NEW_MONTH), str(CORRECTED)])

    manifest = json.loads((tmp_path / "target-incremental" / "manifest.json").read_text(encoding="utf-8"))
    # a line of a year no delivery touches, marked: an incremental build leaves that year's lines as they are
    con = duckdb.connect(str(build))
    years = [
        y
        for (y,) in con.execute(
            "select distinct year from marts.mart_enterprise_demand order by 1"
        ).fetchall()
    ]
    left_year = years[0]
    mark = (
        "enterprise_id = (select min(enterprise_id) from marts.mart_enterprise_demand where year = ?) "
        "and year = ?"
    )
    marked = con.execute(
        f"select count(*) from marts.mart_enterprise_demand where {mark}", [left_year] * 2
    ).fetchone()
    con.execute(
        f"update marts.mart_enterprise_demand set enterprise_name = enterprise_name || '*' where {mark}",
        [left_year] * 2,
    )
    con.close()
    plan = plan_build(
        first, BuildInputs("code", feed_files(all_manifests(tmp_path / "raw"))), build_db_exists=True
    )
    assert plan.mode == "incremental" and plan.changed_feeds == ("vacancies",)
    results = _dbt(tmp_path, build, dbt_build_args(plan, manifest), dbt_build_env(plan))
    ran = {r["unique_id"].split(".")[-1] for r in results["results"] if r["unique_id"].startswith("model.")}
    assert {"stg_vacancies", "int_vacancies", "mart_talent_match"} <= ran
    # the graduates' side of the talent match is not read again for a month of vacancies
    left_alone = {"stg_graduate_destinations", "int_graduates", "int_talent_match_graduate_counts"}
    assert not ran & (left_alone | {"mart_graduate_flows", "dim_region"})
    assert "int_talent_match_counts" in ran
    tests = [r for r in results["results"] if r["unique_id"].startswith("test.")]
    assert any("relationships" in r["unique_id"] and "mart_talent_match" in r["unique_id"] for r in tests), (
        "a test between a rebuilt mart and an unchanged dimension must still run"
    )
    assert not [
        r for r in results["results"] if r["unique_id"].startswith("unit_test.")
    ]  # tests/e2e runs them

    # the enterprise list recomputed only the posting years the deliveries touched (2024: the new and the
    # corrected month; the moved posting's year): the marked line of an earlier year is still marked
    con = duckdb.connect(str(build))
    moved_year = con.execute(
        "select year(posted_date) from staging.stg_vacancies where posting_id = ?", [moved_id]
    ).fetchone()[0]
    assert left_year not in {2024, moved_year}, f"the sample's years {years}: none left alone"
    still = f"select count(*) from marts.mart_enterprise_demand where {mark} and enterprise_name like '%*'"
    assert con.execute(still, [left_year] * 2).fetchone() == marked
    con.execute(
        f"update marts.mart_enterprise_demand set enterprise_name = rtrim(enterprise_name, '*') where {mark}",
        [left_year] * 2,
    )
    con.close()

    # the uniqueness of the staging model's key reads the rows of the keys the new file versions deliver
    # (rows_touched_since_last_build, dbt_project/macros/deliveries.sql): a key no delivery touched,
    # repeated by hand, is not read again by the incremental build's test, a test of every row finds it,
    # and a touched key repeated the same way is read
    delivered = [str(NEW_MONTH), str(CORRECTED)]
    raw_rows = str(tmp_path / "raw" / "vacancies" / "*" / "*.parquet")
    con = duckdb.connect(str(build))
    untouched = con.execute(
        "select posting_id from staging.stg_vacancies where source_file not in (?, ?) and posting_id not in "
        "(select posting_id from read_parquet(?) where source_file in (?, ?)) order by posting_id limit 1",
        [*delivered, raw_rows, *delivered],
    ).fetchone()[0]
    repeat = "insert into staging.stg_vacancies select * from staging.stg_vacancies where posting_id = ?"
    undo = (
        "delete from staging.stg_vacancies where posting_id = ? and rowid <> "
        "(select min(rowid) from staging.stg_vacancies where posting_id = ?)"
    )
    con.execute(repeat, [untouched])
    con.close()
    unique = ["test", "--select", "unique_stg_vacancies_posting_id"]
    _dbt(tmp_path, build, unique, dbt_build_env(plan))  # passes: the key is not among those read
    with pytest.raises(DbtFailed, match="unique_stg_vacancies_posting_id"):
        _dbt(tmp_path, build, unique)  # dbt run by hand, told of no new file: every row
    con = duckdb.connect(str(build))
    con.execute(undo, [untouched, untouched])
    con.execute(repeat, [moved_id])  # a key in a delivered file
    con.close()
    with pytest.raises(DbtFailed, match="unique_stg_vacancies_posting_id"):
        _dbt(tmp_path, build, unique, dbt_build_env(plan))
    con = duckdb.connect(str(build))
    con.execute(undo, [moved_id, moved_id])
    assert con.execute(
        "select count(*) - count(distinct posting_id) from staging.stg_vacancies"
    ).fetchone() == (0,)
    con.close()

    full = tmp_path / "full.duckdb"
    _dbt(tmp_path, full, dbt_build_args(BuildPlan("full", (), "test"), manifest) or [])
    assert _differences(build, full) == dict.fromkeys(_differences(build, full), 0)

    con = duckdb.connect(str(build), read_only=True)
    rows = dict(
        con.execute(
            "select posting_id, headcount from staging.stg_vacancies where posting_id in (?, ?, ?)",
            [dropped, changed, moved_id],
        ).fetchall()
    )
    source = con.execute(
        "select source_file from staging.stg_vacancies where posting_id = ?", [moved_id]
    ).fetchone()
    con.close()
    assert dropped not in rows  # the correction removed it, and no other file has it
    assert rows[changed] == 2 * int(month["headcount"][1])
    assert source == (str(CORRECTED),)  # the later delivery wins
