"""The same dbt project on Apache Spark publishes the same marts as on DuckDB (issue #7, docs/scale-out.md).

The small sample is refreshed twice from one inbox, through the whole pipeline (`tw run`: ingestion, feed
checks, dbt build with its tests and enforced contracts, release candidate, small-cell suppression, GX
gate, publication): once on DuckDB (the default) and once with ``TW_DBT_TARGET=spark`` (local PySpark,
dbt-spark's session method). Then:

- the exact (unsuppressed) marts Spark wrote as Parquet equal the marts of the DuckDB build database;
- the two published releases hold the same tables, with the same columns and types, row for row.

Tolerance: every value is compared exactly except DOUBLE columns, to a relative 1e-9 (sums of doubles
depend on the order the engines add them in). Counts, codes, names and the DECIMAL weighted counts are
exact. Needs Java 17+ (Spark 4); CI has it. Outside CI the test is skipped when no Java is found.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from devtools.sample import generate
from publication.release import published_tables

pytestmark = [pytest.mark.e2e, pytest.mark.spark, pytest.mark.slow]  # the slow tier: `make test-slow`
REL_TOL = 1e-9


def _java_ok() -> bool:
    if shutil.which("java") is None:
        return False
    version = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False).stderr
    return any(f'version "{v}' in version for v in range(17, 40))


def _refresh(home: Path, inbox: Path, target: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TW_", "DAGSTER_"))}
    env.update(
        TW_HOME=str(home), TW_INBOX_DIR=str(inbox), TW_PSEUDONYM_KEY="parity-test-key", TW_DBT_TARGET=target
    )
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "tw"), "run"], env=env, capture_output=True, text=True, check=False
    )
    log = home / "tw-run.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr, encoding="utf-8")
    problems = [
        line
        for line in (proc.stdout + proc.stderr).splitlines()
        if any(word in line for word in ("ERROR", "FAIL ", "Error", "Traceback"))
    ]
    assert proc.returncode == 0 and "published release" in proc.stdout, (
        f"`tw run` on {target} failed (full log: {log}):\n" + "\n".join(problems[-40:])
    )
    return proc.stdout


def _frame(con: duckdb.DuckDBPyConnection, relation: str) -> pl.DataFrame:
    frame = con.sql(f"select * from {relation}").pl()
    doubles = [c for c, t in frame.schema.items() if t == pl.Float64]
    others = [c for c in frame.columns if c not in doubles]
    # a canonical row order: the exact columns first (they identify a row), then the doubles
    return frame.sort([*others, *doubles], nulls_last=True)


def _assert_same(left: pl.DataFrame, right: pl.DataFrame, what: str) -> None:
    assert left.schema == right.schema, f"{what}: columns or types differ: {left.schema} != {right.schema}"
    assert left.height == right.height, f"{what}: {left.height} rows != {right.height} rows"
    try:
        assert_frame_equal(left, right, check_exact=False, rel_tol=REL_TOL, abs_tol=1e-12)
    except AssertionError as exc:
        raise AssertionError(f"{what}: {exc}") from None


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if not _java_ok() and not os.environ.get("CI"):
        pytest.skip("Spark needs Java 17+ on PATH (CI always runs this test)")
    root = tmp_path_factory.mktemp("parity")
    generate(root / "inbox", "small")
    duck, spark = root / "duckdb", root / "spark"
    _refresh(duck, root / "inbox", "duckdb")
    _refresh(spark, root / "inbox", "spark")
    return duck, spark


def test_spark_built_every_model_and_ran_every_test(homes: tuple[Path, Path]) -> None:
    _, spark = homes
    warehouse = spark / "warehouse" / "spark-warehouse"
    for schema, table in published_tables():
        assert list((warehouse / f"{schema}.db" / table).glob("*.parquet")), f"{schema}.{table} not on Spark"
    assert not (spark / "warehouse" / "build.duckdb").exists()  # nothing was built in DuckDB
    record = json.loads((spark / "releases" / "current" / "release.json").read_text(encoding="utf-8"))
    assert record["build"]["engine"] == "spark"


def test_exact_marts_on_spark_equal_the_duckdb_build(homes: tuple[Path, Path]) -> None:
    duck, spark = homes
    warehouse = spark / "warehouse" / "spark-warehouse"
    con = duckdb.connect()
    con.execute(f"attach '{duck / 'warehouse' / 'build.duckdb'}' as build (read_only)")
    for schema, table in published_tables():
        left = _frame(con, f"build.{schema}.{table}")
        right = _frame(con, f"read_parquet('{warehouse / f'{schema}.db' / table}/*.parquet')")
        _assert_same(left, right, f"{schema}.{table} (exact)")
        assert left.height > 0, f"{schema}.{table} is empty: nothing was compared"
    con.close()


def test_published_releases_are_equal_row_for_row(homes: tuple[Path, Path]) -> None:
    duck, spark = homes
    con = duckdb.connect()
    con.execute(f"attach '{duck / 'releases' / 'current' / 'warehouse.duckdb'}' as d (read_only)")
    con.execute(f"attach '{spark / 'releases' / 'current' / 'warehouse.duckdb'}' as s (read_only)")
    tables = {
        db: [
            t
            for (t,) in con.execute(
                "select table_name from duckdb_tables() "
                "where database_name = ? and table_name <> 'release_info' order by 1",
                [db],
            ).fetchall()
        ]
        for db in ("d", "s")
    }
    assert tables["d"] == tables["s"] == sorted(t for _, t in published_tables())
    suppressed = 0
    for table in tables["d"]:
        left, right = _frame(con, f"d.main.{table}"), _frame(con, f"s.main.{table}")
        _assert_same(left, right, f"published {table}")
        if "suppressed_columns" in left.columns:
            suppressed += left.filter(pl.col("suppressed_columns") != "").height
    con.close()
    assert (
        suppressed > 0
    )  # the comparison covered masked cells too (secondary suppression is order-sensitive)
