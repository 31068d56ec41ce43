"""The published contract's changes: differences between two releases' schemas, explained by the declared
changelog (publication/contract_changes.yml), which agrees with the marts dbt publishes."""

from __future__ import annotations

from pathlib import Path

import duckdb

from publication.contract import annotate, changelog, contract_record, schema_changes
from transformation.marts import published

LOG = {
    "contract_version": 3,
    "changes": [
        {"version": 2, "note": "split", "tables_replaced": {"mart_old": ["mart_a", "mart_b"]}},
        {
            "version": 3,
            "note": "renamed",
            "columns_renamed": {"mart_a": {"retention_rate": "province_retention_rate"}},
        },
    ],
}


def test_differences_between_two_schemas() -> None:
    before = {
        "mart_old": {"x": "VARCHAR"},
        "mart_a": {"k": "VARCHAR", "retention_rate": "DOUBLE", "n": "BIGINT"},
    }
    after = {
        "mart_a": {"k": "VARCHAR", "province_retention_rate": "DOUBLE", "n": "INTEGER"},
        "mart_b": {"k": "VARCHAR"},
    }
    kinds = [(c["kind"], c["table"], c.get("column")) for c in schema_changes(before, after)]
    assert kinds == [
        ("table_removed", "mart_old", None),
        ("table_added", "mart_b", None),
        ("column_removed", "mart_a", "retention_rate"),
        ("column_added", "mart_a", "province_retention_rate"),
        ("column_type_changed", "mart_a", "n"),
    ]


def test_declared_changes_are_explained_and_undeclared_ones_are_marked() -> None:
    changes = annotate(
        [
            {"kind": "table_removed", "table": "mart_old"},
            {"kind": "column_removed", "table": "mart_a", "column": "retention_rate"},
            {"kind": "column_removed", "table": "mart_a", "column": "placed"},
            {"kind": "table_added", "table": "mart_c"},
        ],
        LOG,
    )
    assert changes[0] | {} == {
        "kind": "table_removed",
        "table": "mart_old",
        "breaking": True,
        "declared": True,
        "version": 2,
        "note": "split",
        "replaced_by": ["mart_a", "mart_b"],
    }
    assert changes[1]["renamed_to"] == "province_retention_rate" and changes[1]["version"] == 3
    assert changes[2]["breaking"] and not changes[2]["declared"]
    assert not changes[3]["breaking"] and not changes[3]["declared"]


def _release(path: Path, ddl: str) -> Path:
    path.mkdir()
    con = duckdb.connect(str(path / "warehouse.duckdb"))
    con.execute(ddl)
    con.execute("create table release_info (release_id varchar)")
    con.close()
    return path / "warehouse.duckdb"


def test_a_release_records_its_changes_against_the_one_it_replaces(tmp_path: Path) -> None:
    old = _release(tmp_path / "r1", "create table mart_old (x varchar)")
    new = _release(tmp_path / "r2", "create table mart_a (k varchar); create table mart_b (k varchar)")
    record = contract_record(new, old, LOG)
    assert record["previous_release"] == "r1" and record["contract_version"] == 3
    assert [c["kind"] for c in record["changes"]] == ["table_removed", "table_added", "table_added"]
    assert record["undeclared_breaking_changes"] == 0
    assert contract_record(new, tmp_path / "none" / "warehouse.duckdb", LOG)["changes"] == []


def test_the_changelog_agrees_with_the_published_marts() -> None:
    log = changelog()
    tables = {m.name for m in published()}
    assert log["contract_version"] == max(c["version"] for c in log["changes"])
    for entry in log["changes"]:
        for old, new in (entry.get("tables_replaced") or {}).items():
            assert old not in tables and set(new) <= tables, entry["version"]
        for table, columns in (entry.get("columns_renamed") or {}).items():
            names = {c.name for m in published() if m.name == table for c in m.columns}
            new = {n for v in columns.values() for n in ([v] if isinstance(v, str) else v)}
            assert not set(columns) & names and new <= names, (table, columns)
