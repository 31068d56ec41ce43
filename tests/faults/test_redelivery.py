"""A file changed after it was ingested, and the same key delivered in two files.

Expected: the corrected file (same name, other bytes) is ingested as a new version and replaces the earlier
version entirely in staging (rows it dropped are gone); the gate judges the latest version, so a correction
unblocks publication. Across different files, the most recently ingested row of a key wins.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

from devtools.dbt_cli import run_dbt
from ingestion.ingest import ingest_inbox
from ingestion.raw_zone import FileReport
from quality.gate import prepare_feed_database, run_gate
from tests.conftest import vacancy_rows
from tests.faults.figures import record_figures

pytestmark = pytest.mark.e2e


def _ingest(tmp_path: Path) -> list[FileReport]:
    reports = ingest_inbox(tmp_path / "inbox", tmp_path / "raw", b"k")
    for r in reports:
        assert r.reconciles
        if r.status != "unchanged":
            record_figures(1, r.rows_read, r.rows_loaded, r.rows_quarantined)
    return reports


def _dbt_build(root: Path) -> duckdb.DuckDBPyConnection:
    build_db = root / "build.duckdb"
    run_dbt(
        ["run", "--select", "stg_vacancies"],
        raw_dir=root / "raw",
        build_db=build_db,
        target_dir=root / "target",
    )
    return duckdb.connect(str(build_db), read_only=True)


def test_a_corrected_file_replaces_its_earlier_version(tmp_path: Path) -> None:
    """LOADED as a new version: same name, new bytes; it replaces the earlier version in staging and the
    gate."""
    inbox = tmp_path / "inbox" / "vacancies"
    inbox.mkdir(parents=True)
    v1 = vacancy_rows(4)
    v1[3]["region_code"] = "32050"  # 1 of 4 rows quarantined: 25% > the 5% limit, the gate fails
    pl.DataFrame(v1).write_csv(inbox / "march.csv")
    pl.DataFrame([{**vacancy_rows(1)[0], "posting_id": "OTHER", "headcount": "9"}]).write_csv(
        inbox / "other.csv"
    )
    _ingest(tmp_path)
    gate = run_gate(
        prepare_feed_database(tmp_path / "raw", tmp_path / "q" / "feeds.duckdb"),
        ["feed_vacancies"],
        tmp_path / "q" / "first",
    )
    assert not gate.passed

    time.sleep(0.01)  # a later ingestion time
    v2 = vacancy_rows(2)  # the correction drops P2 and P3 and changes P1
    v2[1]["headcount"] = "7"
    pl.DataFrame(v2).write_csv(inbox / "march.csv")
    reports = _ingest(tmp_path)
    assert sorted((r.source_file, r.status) for r in reports) == [
        ("vacancies/march.csv", "loaded"),
        ("vacancies/other.csv", "unchanged"),
    ]
    gate = run_gate(
        prepare_feed_database(tmp_path / "raw", tmp_path / "q" / "feeds.duckdb"),
        ["feed_vacancies"],
        tmp_path / "q" / "second",
    )
    assert gate.passed, gate.summary()

    con = _dbt_build(tmp_path)
    rows = con.sql("select posting_id, headcount from staging.stg_vacancies order by 1").fetchall()
    con.close()
    assert rows == [("OTHER", 9), ("P0", 3), ("P1", 7)]


def test_the_same_key_in_two_files_latest_ingested_wins(tmp_path: Path) -> None:
    """LOADED, both: staging keeps the most recently ingested row of the key."""
    inbox = tmp_path / "inbox" / "vacancies"
    inbox.mkdir(parents=True)
    pl.DataFrame(vacancy_rows(1)).write_csv(inbox / "a.csv")
    _ingest(tmp_path)
    time.sleep(0.01)
    pl.DataFrame([{**vacancy_rows(1)[0], "headcount": "5"}]).write_csv(inbox / "b.csv")
    _ingest(tmp_path)
    con = _dbt_build(tmp_path)
    assert con.sql("select posting_id, headcount, source_file from staging.stg_vacancies").fetchall() == [
        ("P0", 5, "vacancies/b.csv")
    ]
    con.close()
