"""The baselines' comparison with the pipeline's marts finds a differing value, a missing row and a missing
column, and tolerates what it is told to skip and float noise below 1e-9 (benchmarks/floor.py: compare)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from benchmarks.floor import compare


@pytest.fixture
def build_db(tmp_path: Path) -> Path:
    db = tmp_path / "build.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create schema marts")
    con.execute(
        "create table marts.mart_x (region_code varchar, year integer, n bigint, share double, "
        "supplied decimal(18, 4), note varchar)"
    )
    con.execute(
        "insert into marts.mart_x values ('110100', 2023, 5, 0.1, 1.3333, 'v1'), "
        "('110100', 2024, 7, null, 0, 'v1')"
    )
    con.close()
    return db


def _other(tmp_path: Path, rows: str, columns: str = "region_code, year, n, share, supplied") -> str:
    path = tmp_path / "other.parquet"
    duckdb.execute(f"copy (select * from (values {rows}) t({columns})) to '{path}' (format parquet)")
    return f"'{path}'"


def test_equal_builds_give_no_differences(build_db: Path, tmp_path: Path) -> None:
    # a pandas-like build: year as int64, counts as floats, a share off by float noise; the note is skipped
    other = _other(
        tmp_path,
        "('110100', 2023::bigint, 5.0, 0.1 + 1e-13, 1.3333::double), "
        "('110100', 2024::bigint, 7.0, null, 0.0)",
    )
    assert compare(build_db, ["mart_x"], lambda _: other, frozenset({"note"})) == {"mart_x": 0}


def test_a_differing_value_and_a_missing_row_are_counted(build_db: Path, tmp_path: Path) -> None:
    other = _other(tmp_path, "('110100', 2023, 5, 0.1000001, 1.3333)")
    # row 2023 differs (one row each side), row 2024 is missing: 3 rows of the symmetric difference
    assert compare(build_db, ["mart_x"], lambda _: other, frozenset({"note"})) == {"mart_x": 3}


def test_a_missing_column_is_an_error(build_db: Path, tmp_path: Path) -> None:
    other = _other(tmp_path, "('110100', 2023, 5, 0.1)", "region_code, year, n, share")
    with pytest.raises(ValueError, match=r"lacks columns of mart_x: \['note', 'supplied'\]"):
        compare(build_db, ["mart_x"], lambda _: other)
