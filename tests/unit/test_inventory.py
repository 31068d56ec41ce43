"""Recovering from a bad delivery: per-file status, quarantine reasons, retracting a file."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ingestion.ingest import ingest_feed
from ingestion.inventory import file_status, quarantine_reasons, retract
from ingestion.raw_zone import all_manifests
from tests.conftest import vacancy_rows


def _deliver(inbox: Path, name: str, rows: list[dict]) -> Path:
    path = inbox / "vacancies" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(rows).write_csv(path)
    return path


def test_status_lists_every_file_with_counts_and_its_most_frequent_reasons(tmp_path: Path) -> None:
    inbox, raw = tmp_path / "inbox", tmp_path / "raw"
    rows = vacancy_rows(3)
    rows[0]["headcount"] = rows[1]["headcount"] = "-1"
    _deliver(inbox, "a.csv", rows)
    _deliver(inbox, "b.csv", [{k: v for k, v in r.items() if k != "headcount"} for r in vacancy_rows(1)])
    ingest_feed(inbox, "vacancies", raw, b"k")
    by_name = {Path(s.report.source_file).name: s for s in file_status(raw)}
    assert set(by_name) == {"a.csv", "b.csv"}
    a = by_name["a.csv"]
    assert (a.report.rows_read, a.report.rows_loaded, a.report.rows_quarantined, a.latest) == (3, 1, 2, True)
    assert a.top_reasons == (("column headcount: value … is below the minimum 1", 2),)
    assert by_name["b.csv"].report.status == "rejected" and "headcount" in (
        by_name["b.csv"].report.error or ""
    )
    reasons = quarantine_reasons(raw, "a.csv")
    assert reasons["source_row"].to_list() == [2, 3] and reasons["reason"][0].startswith("column headcount")


def test_a_rejected_file_removed_from_the_inbox_stops_blocking(tmp_path: Path) -> None:
    inbox, raw = tmp_path / "inbox", tmp_path / "raw"
    bad = _deliver(
        inbox, "bad.csv", [{k: v for k, v in r.items() if k != "headcount"} for r in vacancy_rows(1)]
    )
    ingest_feed(inbox, "vacancies", raw, b"k")
    assert [m.status for m in all_manifests(raw)] == ["rejected"]
    bad.unlink()
    _deliver(inbox, "good.csv", vacancy_rows(2))
    ingest_feed(inbox, "vacancies", raw, b"k")
    assert [(m.source_file, m.status) for m in all_manifests(raw)] == [("vacancies/good.csv", "loaded")]


def test_retract_removes_every_version_and_its_rows(tmp_path: Path) -> None:
    inbox, raw = tmp_path / "inbox", tmp_path / "raw"
    rows = vacancy_rows(2)
    rows[0]["headcount"] = "-1"
    _deliver(inbox, "wrong.csv", rows)
    _deliver(inbox, "keep.csv", [r | {"posting_id": "K" + r["posting_id"]} for r in vacancy_rows(1)])
    ingest_feed(inbox, "vacancies", raw, b"k")
    removed = retract(raw, "wrong.csv")
    assert [r.source_file for r in removed] == ["vacancies/wrong.csv"]
    assert [m.source_file for m in all_manifests(raw)] == ["vacancies/keep.csv"]
    parts = [p.name for p in raw.rglob("part-*.parquet") if p.name != "part-schema.parquet"]
    assert parts == [f"part-{all_manifests(raw)[0].file_sha256[:16]}.parquet"]
    assert quarantine_reasons(raw).is_empty()
    assert retract(raw, "wrong.csv") == []
