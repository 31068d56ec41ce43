"""The feed gate validates each raw-zone part once per code version (quality/increments.py)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from ingestion.contracts import VACANCIES
from ingestion.ingest import ingest_file
from quality.gate import prepare_feed_database
from quality.increments import (
    feeds_to_validate,
    forget_manifests,
    ingested_parts,
    load_validated,
    load_validated_manifests,
    manifest_digest,
    parts_to_validate,
    save_validated,
)
from tests.conftest import vacancy_rows


def _deliver(tmp_path: Path, name: str, n: int, key: bytes) -> None:
    rows = vacancy_rows(n)
    for r in rows:
        r["posting_id"] = f"{name}-{r['posting_id']}"
    src = tmp_path / "in" / f"{name}.csv"
    src.parent.mkdir(exist_ok=True)
    pl.DataFrame(rows).write_csv(src)
    assert ingest_file(src, VACANCIES, tmp_path / "raw", key).status == "loaded"


def _rows(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert "posting_id" in [c[0] for c in con.execute("describe raw_vacancies").fetchall()]
        return con.execute("select count(*) from raw_vacancies").fetchone()[0]
    finally:
        con.close()


def test_only_parts_not_yet_validated_under_this_code_are_validated(tmp_path: Path, key: bytes) -> None:
    raw, record = tmp_path / "raw", tmp_path / "feeds_validated.json"
    _deliver(tmp_path, "a", 3, key)
    todo = parts_to_validate(raw, ["vacancies"], load_validated(record, "code-1"))
    assert todo["vacancies"] == ingested_parts(raw, "vacancies") and len(todo["vacancies"]) == 1
    assert _rows(prepare_feed_database(raw, tmp_path / "f.duckdb", parts=todo)) == 3
    save_validated(record, "code-1", set(todo["vacancies"]))

    _deliver(tmp_path, "b", 2, key)
    todo = parts_to_validate(raw, ["vacancies"], load_validated(record, "code-1"))
    assert len(todo["vacancies"]) == 1
    assert _rows(prepare_feed_database(raw, tmp_path / "f.duckdb", parts=todo)) == 2  # the new file only
    assert _rows(prepare_feed_database(raw, tmp_path / "f.duckdb")) == 5  # everything, when asked
    save_validated(record, "code-1", load_validated(record, "code-1") | set(todo["vacancies"]))

    nothing = parts_to_validate(raw, ["vacancies"], load_validated(record, "code-1"))
    assert nothing == {"vacancies": []}
    assert _rows(prepare_feed_database(raw, tmp_path / "f.duckdb", parts=nothing)) == 0  # columns still there
    # new code (the suites are code): everything again
    assert len(parts_to_validate(raw, ["vacancies"], load_validated(record, "code-2"))["vacancies"]) == 2


def test_a_part_without_its_manifest_is_not_counted_as_ingested(tmp_path: Path, key: bytes) -> None:
    _deliver(tmp_path, "a", 3, key)
    raw = tmp_path / "raw"
    (part,) = ingested_parts(raw, "vacancies")
    for manifest in (raw / "_manifest" / "vacancies").glob("*.json"):
        manifest.unlink()  # as a run killed between the parts and the manifest leaves it
    assert ingested_parts(raw, "vacancies") == []
    assert (raw / part).exists()


def _due(raw: Path, record: Path, code: str) -> list[str]:
    """The feeds feed_checks would validate (orchestration/assets/feeds.py)."""
    feeds = ["vacancies", "enrolment"]
    todo = parts_to_validate(raw, feeds, load_validated(record, code))
    digests = {f: manifest_digest(raw, f) for f in feeds}
    return feeds_to_validate(feeds, todo, digests, load_validated_manifests(record, code))


def _pass(raw: Path, record: Path, code: str) -> None:
    """What a passing gate records: every part and every feed's manifests."""
    feeds = ["vacancies", "enrolment"]
    parts = {p for f in feeds for p in ingested_parts(raw, f)}
    save_validated(record, code, parts, {f: manifest_digest(raw, f) for f in feeds})


def test_a_feed_with_nothing_new_since_its_last_passing_gate_is_not_validated(
    tmp_path: Path, key: bytes
) -> None:
    raw, record = tmp_path / "raw", tmp_path / "feeds_validated.json"
    _deliver(tmp_path, "a", 3, key)
    assert _due(raw, record, "code-1") == ["vacancies", "enrolment"]  # never validated: every feed
    _pass(raw, record, "code-1")
    assert _due(raw, record, "code-1") == []  # the same parts and files: nothing to run
    assert _due(raw, record, "code-2") == ["vacancies", "enrolment"]  # new code: every feed again

    _deliver(tmp_path, "b", 2, key)  # a new file: its feed only
    assert _due(raw, record, "code-1") == ["vacancies"]
    _pass(raw, record, "code-1")
    assert _due(raw, record, "code-1") == []


def test_a_feed_whose_gate_failed_is_validated_again_even_when_its_bad_file_is_gone(
    tmp_path: Path, key: bytes
) -> None:
    raw, record = tmp_path / "raw", tmp_path / "feeds_validated.json"
    _deliver(tmp_path, "a", 3, key)
    _pass(raw, record, "code-1")
    src = tmp_path / "in" / "bad.csv"
    pl.DataFrame(vacancy_rows()).drop("headcount").write_csv(src)
    assert ingest_file(src, VACANCIES, raw, key).status == "rejected"  # a manifest, no part
    assert parts_to_validate(raw, ["vacancies"], load_validated(record, "code-1")) == {"vacancies": []}
    assert _due(raw, record, "code-1") == ["vacancies"]  # the manifest rules must see the rejected file
    # the gate fails on it (feed_checks: no part recorded, the failed feeds' manifests forgotten)
    forget_manifests(record, "code-1", ["vacancies"])
    (rejected,) = [m for m in (raw / "_manifest" / "vacancies").glob("*.json") if "rejected" in m.read_text()]
    rejected.unlink()  # taken back: the manifests are those of the last pass again
    assert manifest_digest(raw, "vacancies") != load_validated_manifests(record, "code-1").get("vacancies")
    assert _due(raw, record, "code-1") == ["vacancies"]  # run again, so its failed results are replaced
    assert load_validated(record, "code-1") == set(ingested_parts(raw, "vacancies"))  # parts kept
    _pass(raw, record, "code-1")
    assert _due(raw, record, "code-1") == []
    forget_manifests(record, "code-2", ["vacancies"])  # a record of other code is left as it is
    assert _due(raw, record, "code-1") == []
