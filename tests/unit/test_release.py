"""Publication: only a passed gate publishes; the switch is atomic; a failure leaves the release in place."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from core.table_digest import DIGESTS_FILE, read_digests, table_digest, write_digests
from publication.release import (
    PublicationBlocked,
    current_release,
    publish,
    published_releases,
    stage_candidate,
)
from tests.databases import duckdb_file

TABLES = (("marts", "m"),)


@pytest.fixture
def build_db(tmp_path: Path) -> Path:
    path = tmp_path / "build.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts; create table marts.m as select 1 as x")
    con.close()
    return path


def _gate(tmp_path: Path, passed: bool) -> Path:
    path = tmp_path / f"gate-{passed}.json"
    path.write_text(json.dumps({"passed": passed, "results_dir": str(tmp_path), "suites": []}))
    return path


def test_a_candidate_from_spark_parquet_tables_keeps_their_types(tmp_path: Path, build_db: Path) -> None:
    # Spark writes a table as a folder of part files: <warehouse>/<schema>.db/<table>/part-*.parquet
    warehouse = tmp_path / "spark-warehouse"
    folder = warehouse / "marts.db" / "m"
    folder.mkdir(parents=True)
    for part, x in enumerate((1, 2)):
        duckdb.sql(
            f"copy (select {x}::integer as x, 'a'::varchar as s, 1.5::decimal(18,4) as d) "
            f"to '{folder}/part-0000{part}.snappy.parquet' (format parquet)"
        )
    (folder / "_SUCCESS").touch()
    releases = tmp_path / "releases"
    cand = stage_candidate(tmp_path / "no-build.duckdb", releases, "r1", TABLES, spark_warehouse=warehouse)
    con = duckdb.connect(str(cand.database), read_only=True)
    assert con.execute("select x, s, d from m order by x").fetchall() == [(1, "a", 1.5), (2, "a", 1.5)]
    assert con.execute(
        "select data_type from information_schema.columns where table_name = 'm'"
    ).fetchall() == [("INTEGER",), ("VARCHAR",), ("DECIMAL(18,4)",)]
    con.close()
    record = publish(cand, releases, [], [_gate(tmp_path, True)])
    assert record["build"] == {"engine": "spark", "tables_from": str(warehouse)}
    with pytest.raises(FileNotFoundError, match=r"marts\.m is missing"):
        stage_candidate(build_db, releases, "r2", TABLES, spark_warehouse=tmp_path / "empty")


def test_publish_switches_current_and_records_the_release(tmp_path: Path, build_db: Path) -> None:
    releases = tmp_path / "releases"
    cand = stage_candidate(build_db, releases, "r1", TABLES)
    record = publish(cand, releases, [{"file_sha256": "abc"}], [_gate(tmp_path, True)])
    assert current_release(releases) == "r1" and record["inputs"] == [{"file_sha256": "abc"}]
    con = duckdb.connect(str(releases / "current" / "warehouse.duckdb"), read_only=True)
    assert con.execute("select x from m").fetchall() == [(1,)]
    assert con.execute("select release_id from release_info").fetchall() == [("r1",)]
    con.close()
    assert json.loads((releases / "r1" / "release.json").read_text())["release_id"] == "r1"
    manifest = json.loads((releases / "r1" / "manifest.json").read_text())
    assert {t["table"]: t["rows"] for t in manifest["tables"]} == {"m": 1, "release_info": 1}
    parquet = releases / "r1" / manifest["tables"][0]["parquet"]
    assert duckdb.sql(f"select x from '{parquet}'").fetchall() == [(1,)]


def test_a_table_as_the_replaced_release_exported_it_is_linked_not_written_again(
    tmp_path: Path, build_db: Path
) -> None:
    """Publish only what changed: a table whose content is the one the current release exported gets that
    release's Parquet file by a hard link (the same file, no copy); a changed table a file of its own."""
    import hashlib

    releases = tmp_path / "releases"
    publish(stage_candidate(build_db, releases, "r1", TABLES), releases, [], [_gate(tmp_path, True)])
    same = stage_candidate(build_db, releases, "r2", TABLES)
    publish(same, releases, [], [_gate(tmp_path, True)])
    with duckdb.connect(str(build_db)) as con:
        con.execute("update marts.m set x = x + 1")
    changed = stage_candidate(build_db, releases, "r3", TABLES)
    publish(changed, releases, [], [_gate(tmp_path, True)])
    manifests = {r: json.loads((releases / r / "manifest.json").read_text()) for r in ("r1", "r2", "r3")}
    files = {r: {t["table"]: releases / r / t["parquet"] for t in m["tables"]} for r, m in manifests.items()}
    assert files["r2"]["m"].stat().st_ino == files["r1"]["m"].stat().st_ino  # linked
    assert files["r3"]["m"].stat().st_ino != files["r2"]["m"].stat().st_ino  # written: x changed
    assert files["r2"]["release_info"].stat().st_ino != files["r1"]["release_info"].stat().st_ino
    assert duckdb.sql(f"select x from '{files['r3']['m']}'").fetchall() == [(2,)]
    for r, m in manifests.items():
        for t in m["tables"]:
            assert t["sha256"] == hashlib.sha256((releases / r / t["parquet"]).read_bytes()).hexdigest(), (
                r,
                t,
            )


def test_the_export_takes_the_digests_the_mart_gate_left_and_hashes_the_other_tables(
    tmp_path: Path, build_db: Path
) -> None:
    """The mart gate leaves its digests of the candidate's marts in its quality folder
    (core/table_digest.py); the export uses them (here one made up, to show it is not computed again) and
    computes the others'."""
    releases = tmp_path / "releases"
    candidate = stage_candidate(build_db, releases, "r1", TABLES)
    write_digests(candidate.quality_dir, "r1", {"m": "digest-of-m-by-the-gate"})
    publish(candidate, releases, [], [_gate(tmp_path, True)])
    manifest = json.loads((releases / "r1" / "manifest.json").read_text())
    digests = {t["table"]: t["content_digest"] for t in manifest["tables"]}
    assert digests["m"] == "digest-of-m-by-the-gate"
    with duckdb.connect(str(releases / "r1" / "warehouse.duckdb"), read_only=True) as con:
        assert digests["release_info"] == table_digest(con, "release_info")
    (tmp_path / DIGESTS_FILE).write_text("not json")
    assert read_digests(tmp_path, "r1") == {}  # unreadable: every table is hashed
    # a file left for another candidate is not taken: the table is hashed
    other = stage_candidate(build_db, releases, "r2", TABLES)
    write_digests(other.quality_dir, "r1", {"m": "digest-of-m-by-the-gate"})
    publish(other, releases, [], [_gate(tmp_path, True)])
    manifest = json.loads((releases / "r2" / "manifest.json").read_text())
    with duckdb.connect(str(releases / "r2" / "warehouse.duckdb"), read_only=True) as con:
        assert {t["table"]: t["content_digest"] for t in manifest["tables"]}["m"] == table_digest(con, "m")


def test_failed_gate_publishes_nothing_and_keeps_the_previous_release(tmp_path: Path, build_db: Path) -> None:
    releases = tmp_path / "releases"
    publish(stage_candidate(build_db, releases, "r1", TABLES), releases, [], [_gate(tmp_path, True)])
    bad = stage_candidate(build_db, releases, "r2", TABLES)
    with pytest.raises(PublicationBlocked, match="quality gate failed"):
        publish(bad, releases, [], [_gate(tmp_path, True), _gate(tmp_path, False)])
    with pytest.raises(PublicationBlocked, match="gate did not run"):
        publish(bad, releases, [], [tmp_path / "missing.json"])
    assert current_release(releases) == "r1" and published_releases(releases) == ["r1"]


def test_a_gate_that_left_out_a_required_suite_publishes_nothing(tmp_path: Path, build_db: Path) -> None:
    """A gate run for a subset of the suites (chosen in Dagster's UI) passes but does not publish; a suite not
    run because nothing it reads changed (``not_run``) counts as accounted for."""
    releases = tmp_path / "releases"
    gate = tmp_path / "gate.json"
    suite = {"suite": "feed_a", "success": True, "expectations": []}
    gate.write_text(
        json.dumps({"passed": True, "results_dir": "x", "suites": [suite], "not_run": ["feed_b"]})
    )
    bad = stage_candidate(build_db, releases, "r1", TABLES)
    with pytest.raises(PublicationBlocked, match=r"did not run the suites \['feed_c'\]"):
        publish(bad, releases, [], [gate], required_suites=["feed_a", "feed_b", "feed_c"])
    assert current_release(releases) is None
    record = publish(bad, releases, [], [gate], required_suites=["feed_a", "feed_b"])
    assert record["checks"][0]["not_run"] == ["feed_b"] and current_release(releases) == "r1"


def test_old_releases_are_pruned_but_never_the_current(tmp_path: Path, build_db: Path) -> None:
    releases = tmp_path / "releases"
    for i in range(4):
        publish(
            stage_candidate(build_db, releases, f"r{i}", TABLES),
            releases,
            [],
            [_gate(tmp_path, True)],
            keep=2,
        )
    assert published_releases(releases) == ["r2", "r3"] and current_release(releases) == "r3"


def test_a_document_entry_keeps_the_details_its_writer_gave(tmp_path: Path) -> None:
    """A writer may return its file's entry (a workbook's city and sheets) instead of its path: the entry
    keeps those details beside the computed path, kind, bytes and SHA-256, which the writer
    cannot override."""
    from publication.documents import document_entries

    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "330300-温州市.xlsx").write_bytes(b"book")
    (tmp_path / "report.html").write_bytes(b"<html>")
    sheets = [{"sheet": "企业需求清单", "table": "mart_enterprise_demand", "rows": 3, "masked_cells": 1}]
    entries = document_entries(
        tmp_path,
        [
            {"path": "lists/330300-温州市.xlsx", "city_code": "330300", "sheets": sheets, "sha256": "forged"},
            tmp_path / "report.html",
        ],
    )
    assert entries == [
        {
            "path": "lists/330300-温州市.xlsx",
            "kind": "xlsx",
            "bytes": 4,
            "sha256": hashlib.sha256(b"book").hexdigest(),
            "city_code": "330300",
            "sheets": sheets,
        },
        {"path": "report.html", "kind": "html", "bytes": 6, "sha256": hashlib.sha256(b"<html>").hexdigest()},
    ]


def test_documents_are_listed_and_a_failing_one_publishes_nothing(tmp_path: Path, build_db: Path) -> None:
    """The documents step (the lists workbooks) writes into the candidate before the switch; its entries
    are in release.json and manifest.json; when it fails the release stays a candidate, current unchanged."""
    releases = tmp_path / "releases"

    def one_document(folder: Path, record: dict) -> list[Path]:
        con = duckdb.connect(str(folder / "warehouse.duckdb"), read_only=True)  # reads the candidate's tables
        (x,) = con.execute("select x from m").fetchone() or (None,)
        con.close()
        (folder / "lists").mkdir()
        (folder / "lists" / "a.xlsx").write_bytes(f"{record['release_id']}:{x}".encode())
        return [folder / "lists" / "a.xlsx"]

    publish(
        stage_candidate(build_db, releases, "r1", TABLES),
        releases,
        [],
        [_gate(tmp_path, True)],
        finalize=one_document,
    )
    assert (releases / "r1" / "lists" / "a.xlsx").read_bytes() == b"r1:1"
    for listing in ("release.json", "manifest.json"):
        (entry,) = json.loads((releases / "r1" / listing).read_text())["documents"]
        assert entry["path"] == "lists/a.xlsx" and entry["sha256"] == hashlib.sha256(b"r1:1").hexdigest()

    def failing(folder: Path, record: dict) -> list[Path]:
        (folder / "lists").mkdir()
        (folder / "lists" / "half.xlsx").write_bytes(b"half")
        raise RuntimeError("workbook writer died")

    with pytest.raises(RuntimeError, match="workbook writer died"):
        publish(
            stage_candidate(build_db, releases, "r2", TABLES),
            releases,
            [],
            [_gate(tmp_path, True)],
            finalize=failing,
        )
    assert current_release(releases) == "r1" and published_releases(releases) == ["r1"]
    assert not (releases / "r2").exists()


def test_published_columns_carry_their_descriptions_and_caveats(tmp_path: Path) -> None:
    """A BI tool reading the DuckDB file or the Parquet manifest sees each column's dbt description, with the
    caveat that 岗位供需比 is not the official 求人倍率."""
    build = duckdb_file(
        tmp_path / "build.duckdb",
        "create schema marts; create table marts.mart_shortage_occupations as "
        "select '6-22' as occupation_code, 2.5::double as vacancies_per_graduate",
    )
    releases = tmp_path / "releases"
    tables = (("marts", "mart_shortage_occupations"),)
    record = publish(stage_candidate(build, releases, "r1", tables), releases, [], [_gate(tmp_path, True)])
    assert record["contract"]["previous_release"] is None
    con = duckdb.connect(str(releases / "r1" / "warehouse.duckdb"), read_only=True)
    comments = dict(
        con.execute(
            "select column_name, comment from duckdb_columns() where table_name = 'mart_shortage_occupations'"
        ).fetchall()
    )
    table_comment = con.execute(
        "select comment from duckdb_tables() where table_name = 'mart_shortage_occupations'"
    ).fetchall()[0][0]
    con.close()
    assert "Not the official 求人倍率" in comments["vacancies_per_graduate"]
    assert table_comment.startswith("紧缺职业目录")
    manifest = json.loads((releases / "r1" / "manifest.json").read_text())
    columns = {c["name"]: c for t in manifest["tables"] for c in t["columns"] if t["table"] != "release_info"}
    assert columns["vacancies_per_graduate"]["description"] == comments["vacancies_per_graduate"]

    # the next release drops a table: its record lists the change, undeclared in the changelog
    second = stage_candidate(build, releases, "r2", ())
    changes = publish(second, releases, [], [_gate(tmp_path, True)])["contract"]
    assert changes["previous_release"] == "r1" and changes["undeclared_breaking_changes"] == 1
    assert [c["kind"] for c in changes["changes"]] == ["table_removed"]


def test_the_build_is_let_go_before_the_protection_and_the_hook_is_told(
    build_db: Path, tmp_path: Path
) -> None:
    """``copied`` runs once, after the tables are copied and the build database detached: another process
    (the refresh's dbt docs) can then open the build read-write, which DuckDB refuses while it is attached."""
    opened: list[int] = []

    def open_build() -> None:
        with duckdb.connect(str(build_db)) as con:  # read-write, as dbt opens it
            opened.append(con.execute("select count(*) from marts.m").fetchone()[0])  # type: ignore[index]

    cand = stage_candidate(build_db, tmp_path / "releases", "r1", TABLES, copied=open_build)
    assert len(opened) == 1 and opened[0] > 0
    with duckdb.connect(str(cand.database), read_only=True) as con:
        assert con.execute("select count(*) from main.m").fetchone() == (opened[0],)
