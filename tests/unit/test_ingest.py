"""Ingestion into the raw zone: reconciliation, idempotence, rejection, lineage and pseudonymisation."""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingestion import raw_zone
from ingestion.contracts import GRADUATE_DESTINATIONS, VACANCIES
from ingestion.ingest import ingest_feed, ingest_file, ingest_inbox
from ingestion.pseudonymise import pseudonym
from ingestion.raw_zone import all_manifests
from tests.conftest import graduate_row, vacancy_rows


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_loaded_plus_quarantined_equals_read_and_lineage(tmp_path: Path, key: bytes) -> None:
    rows = vacancy_rows(5)
    rows[1]["region_code"] = "32050"
    rows[4]["posted_date"] = "2024-04-01"
    src = tmp_path / "in" / "v.csv"
    src.parent.mkdir()
    pl.DataFrame(rows).write_csv(src)
    raw = tmp_path / "raw"
    report = ingest_file(src, VACANCIES, raw, key)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (5, 4, 1)
    assert report.periods == ["2024-03", "2024-04"]
    loaded = pl.read_parquet(raw / "vacancies" / "*" / "*.parquet")
    assert sorted(loaded["source_row"].to_list()) == [2, 4, 5, 6]
    assert set(loaded["source_file"]) == {"v.csv"} and set(loaded["file_sha256"]) == {report.file_sha256}
    q = pl.read_parquet(raw / "_quarantine" / "vacancies" / "*.parquet")
    assert q.select("source_file", "source_row").row(0) == ("v.csv", 3)
    assert "region_code: value '32050'" in q["reason"][0]


def test_same_file_twice_changes_nothing(tmp_path: Path, vacancies_csv: Path, key: bytes) -> None:
    raw = tmp_path / "raw"
    first = ingest_file(vacancies_csv, VACANCIES, raw, key)
    before = {p: (raw / p).stat().st_mtime_ns for p in _files(raw)}
    second = ingest_file(vacancies_csv, VACANCIES, raw, key)
    assert first.status == "loaded" and second.status == "unchanged"
    assert {p: (raw / p).stat().st_mtime_ns for p in _files(raw)} == before


def test_a_rejected_file_is_recorded_with_its_reason(tmp_path: Path, key: bytes) -> None:
    src = tmp_path / "bad.csv"
    pl.DataFrame(vacancy_rows()).drop("headcount").write_csv(src)
    report = ingest_file(src, VACANCIES, tmp_path / "raw", key)
    assert report.status == "rejected"
    assert "bad.csv" in report.error and "headcount" in report.error
    assert [m.status for m in all_manifests(tmp_path / "raw")] == ["rejected"]


def test_graduate_ids_are_pseudonymised_everywhere(tmp_path: Path, key: bytes) -> None:
    rows = [
        graduate_row(f"RAW-STUDENT-{i}", destination_type="further_study" if i else "bogus") for i in range(3)
    ]
    inbox = tmp_path / "inbox" / "graduate_destinations"
    inbox.mkdir(parents=True)
    pl.DataFrame(rows).write_csv(inbox / "g.csv")
    raw = tmp_path / "raw"
    reports = ingest_inbox(tmp_path / "inbox", raw, key)
    assert [(r.rows_loaded, r.rows_quarantined) for r in reports if r.feed == "graduate_destinations"] == [
        (2, 1)
    ]
    ids = pl.read_parquet(raw / "graduate_destinations" / "period=2024" / "*.parquet")[
        "graduate_id"
    ].to_list()
    assert sorted(ids) == sorted(pseudonym(f"RAW-STUDENT-{i}", key) for i in (1, 2))
    everything = b"".join(p.read_bytes() for p in raw.rglob("*") if p.is_file())
    assert b"RAW-STUDENT" not in everything
    text = duckdb.sql(
        f"select string_agg(raw_record, '') from read_parquet('{raw}/_quarantine/*/*.parquet')"
    ).fetchall()[0][0]
    assert pseudonym("RAW-STUDENT-0", key) in text


def test_pseudonym_depends_on_the_key() -> None:
    assert pseudonym("s1", b"a") == pseudonym("s1", b"a") != pseudonym("s1", b"b")
    assert len(pseudonym("s1", b"a")) == 32
    assert GRADUATE_DESTINATIONS.pseudonymised == ("graduate_id",)


def test_files_ingested_at_once_keep_the_name_order(tmp_path: Path, key: bytes) -> None:
    """With several workers the raw zone is the same as one file after another, and ingested_at still follows
    the files' name order (so "the latest ingested row of a key wins" picks the same row)."""
    inbox = tmp_path / "inbox" / "vacancies"
    inbox.mkdir(parents=True)
    for n in range(6):
        rows = vacancy_rows(4)
        for r in rows:
            r["posting_id"] = f"P{r['posting_id']}"  # every file has the same keys
            r["headcount"] = str(n + 1)
        pl.DataFrame(rows).write_csv(inbox / f"v{n}.csv")
    seen = {}
    for workers in (1, 2):
        raw = tmp_path / f"raw{workers}"
        reports = ingest_feed(tmp_path / "inbox", "vacancies", raw, key, workers=workers)
        assert [r.source_file for r in reports] == [f"vacancies/v{n}.csv" for n in range(6)]
        assert [r.ingested_at for r in reports] == sorted(r.ingested_at for r in reports)
        assert len({r.ingested_at for r in reports}) == 6
        latest = duckdb.sql(
            f"select posting_id, headcount from read_parquet('{raw}/vacancies/*/*.parquet') "
            "qualify row_number() over (partition by posting_id order by ingested_at desc) = 1 "
            "order by posting_id"
        ).fetchall()
        seen[workers] = (latest, _files(raw))
    assert seen[1] == seen[2]
    assert {headcount for _, headcount in seen[2][0]} == {6}  # the last file in name order wins


def _inbox_of_vacancies(tmp_path: Path, files: int) -> Path:
    inbox = tmp_path / "inbox" / "vacancies"
    inbox.mkdir(parents=True)
    for n in range(files):
        rows = vacancy_rows(3)
        for r in rows:
            r["posting_id"] = f"F{n}{r['posting_id']}"
        pl.DataFrame(rows).write_csv(inbox / f"v{n}.csv")
    return inbox


def test_an_unchanged_file_is_not_read_again_to_be_hashed(
    tmp_path: Path, key: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refresh learns that a delivered file is ingested already from its hash; a file whose size, times,
    inode and device are as when it was hashed keeps its hash (at L the inbox holds 3.3 GB)."""
    monkeypatch.setattr(raw_zone, "SETTLED_SECONDS", 0.0)  # these files were written just now
    _inbox_of_vacancies(tmp_path, 2)
    raw = tmp_path / "raw"
    first = ingest_feed(tmp_path / "inbox", "vacancies", raw, key, workers=2)
    assert [r.status for r in first] == ["loaded", "loaded"]
    assert set(raw_zone.known_hashes(raw, "vacancies")) == {"vacancies/v0.csv", "vacancies/v1.csv"}

    def no_hashing(path: Path) -> str:
        raise AssertionError(f"{path} was hashed again")

    monkeypatch.setattr("ingestion.ingest.file_sha256", no_hashing)
    again = ingest_feed(tmp_path / "inbox", "vacancies", raw, key, workers=2)
    assert [r.status for r in again] == ["unchanged", "unchanged"]
    assert [r.file_sha256 for r in again] == [r.file_sha256 for r in first]


def test_a_file_rewritten_with_its_size_and_time_is_hashed_again(
    tmp_path: Path, key: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New content of the same size, its modification time set back: the change time still moves (no tool
    sets it), so the file is read, hashed and ingested as a new version."""
    monkeypatch.setattr(raw_zone, "SETTLED_SECONDS", 0.0)
    inbox = _inbox_of_vacancies(tmp_path, 1)
    raw = tmp_path / "raw"
    (first,) = ingest_feed(tmp_path / "inbox", "vacancies", raw, key)
    target = inbox / "v0.csv"
    before = target.stat()
    text = target.read_text()
    changed = text.replace(",higher,3,", ",higher,4,", 1)  # one headcount, same length
    assert changed != text and len(changed) == len(text)
    time.sleep(0.05)  # past the file system's clock tick
    target.write_text(changed)
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (target.stat().st_size, target.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    (second,) = ingest_feed(tmp_path / "inbox", "vacancies", raw, key)
    assert second.status == "loaded" and second.file_sha256 != first.file_sha256
    assert raw_zone.known_hashes(raw, "vacancies")["vacancies/v0.csv"][1] == second.file_sha256


def test_a_file_changed_a_moment_ago_is_not_known_by_its_identity(tmp_path: Path, key: bytes) -> None:
    """File times advance by clock ticks: a file written within the last SETTLED_SECONDS could be written
    again with the same size and times, so its hash is not recorded yet; the files that left the inbox leave
    the record."""
    _inbox_of_vacancies(tmp_path, 2)
    raw = tmp_path / "raw"
    ingest_feed(tmp_path / "inbox", "vacancies", raw, key)
    assert raw_zone.known_hashes(raw, "vacancies") == {}
    time.sleep(raw_zone.SETTLED_SECONDS + 0.1)
    ingest_feed(tmp_path / "inbox", "vacancies", raw, key)
    assert list(raw_zone.known_hashes(raw, "vacancies")) == ["vacancies/v0.csv", "vacancies/v1.csv"]
    (tmp_path / "inbox" / "vacancies" / "v1.csv").unlink()
    (kept,) = ingest_feed(tmp_path / "inbox", "vacancies", raw, key)
    assert kept.status == "unchanged"
    assert list(raw_zone.known_hashes(raw, "vacancies")) == ["vacancies/v0.csv"]
