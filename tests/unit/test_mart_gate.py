"""The mart gate runs the suite of a mart whose table changed and carries over the outcome of one that did
not (quality/mart_gate.py), with real Great Expectations suites on a candidate database."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb

from core.table_digest import read_digests, table_digest
from quality.gate import GateResult
from quality.mart_gate import commit_record, load_record, pending_record, run_mart_gate
from tests.databases import candidate_database

SUITES = {m: m for m in ("mart_technical_services", "mart_training_resources")}


def _project(n: int, value: float = 12.5) -> dict:
    return {
        "project_id": f"P{n:03d}",
        "school_code": "4132010001",
        "start_date": dt.date(2024, 3, 1),
        "status": "ongoing",
        "region_code": "320100",
        "school_name": "样例学校",
        "contract_value_10k_cny": value,
    }


def _course(n: int) -> dict:
    return {
        "school_code": "4132010001",
        "course_id": f"C{n:03d}",
        "school_name": "样例学校",
        "region_code": "320100",
        "start_date": dt.date(2024, 9, 1),
        "training_type": "upskilling",
        "trainees": 40 + n,
        "certificates_awarded": 25,
    }


def _candidate(tmp_path: Path, name: str, projects: list[dict], courses: list[dict]) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    return candidate_database(
        folder / "warehouse.duckdb",
        {"mart_technical_services": projects, "mart_training_resources": courses},
    )


RECORD = Path("home") / "marts_validated.json"


def _gate(
    tmp_path: Path, database: Path, release_id: str, k: float = 5, code: str = "code-1", publish: bool = True
) -> GateResult:
    """The mart gate on ``database``; then, with ``publish``, its release published (the record kept)."""
    result = run_mart_gate(
        database,
        SUITES,
        database.parent / "quality",
        suppression_k=k,
        release_id=release_id,
        record=tmp_path / RECORD,
        kept_dir=tmp_path / "home" / "marts",
        code=code,
    )
    if publish:
        commit_record(tmp_path / RECORD, tmp_path / "home" / "marts", release_id, database.parent / "quality")
    return result


def test_the_digest_is_of_the_rows_in_any_order_and_changes_with_a_value(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "d.duckdb")) as con:
        con.execute(
            "create table a as select range as id, range % 3 as v, null::varchar as s from range(100)"
        )
        con.execute("create table b as select * from a order by id desc")
        con.execute("create table c as select * from a")
        con.execute("update c set v = v + 1 where id = 42")
        con.execute("create table d as select id, v::double as v, s from a")  # another type, same values
        con.execute("create table e as select * from a")
        con.execute("update e set s = '' where id = 7")  # an empty text is not a null
        digests = {t: table_digest(con, t) for t in "abcde"}
    assert digests["a"] == digests["b"]
    assert len({digests[t] for t in "acde"}) == 4


def test_a_mart_as_it_was_keeps_its_outcome_and_a_changed_one_is_validated(tmp_path: Path) -> None:
    projects, courses = [_project(n) for n in range(5)], [_course(n) for n in range(4)]
    first = _gate(tmp_path, _candidate(tmp_path, "r1", projects, courses), "r1")
    assert first.passed and [o.carried_from for o in first.suites] == [None, None]
    assert load_record(tmp_path / RECORD, "code-1|k=5")  # recorded on a pass, once published

    # the same projects in another order, one course more: the projects' suite is not run
    second_db = _candidate(tmp_path, "r2", projects[::-1], [*courses, _course(9)])
    second = _gate(tmp_path, second_db, "r2")
    by_suite = {o.suite: o for o in second.suites}
    assert second.passed and by_suite["mart_technical_services"].carried_from == "r1"
    assert by_suite["mart_training_resources"].carried_from is None
    assert by_suite["mart_technical_services"].expectations == first.suites[0].expectations
    quality = second_db.parent / "quality"
    # the results file of the gate that ran it
    assert (quality / "mart_technical_services.json").read_bytes() == (
        tmp_path / "r1" / "quality" / "mart_technical_services.json"
    ).read_bytes()
    gate = json.loads((quality / "gate.json").read_text(encoding="utf-8"))
    assert {s["suite"]: s["carried_from"] for s in gate["suites"]} == {
        "mart_training_resources": None,
        "mart_technical_services": "r1",
    }
    assert "not run: its table is as when release r1's gate ran it" in second.summary()
    # the digests it computed, left for the export (core/table_digest.py)
    with duckdb.connect(str(second_db), read_only=True) as con:
        assert read_digests(quality, "r2") == {t: table_digest(con, t) for t in SUITES.values()}
    assert read_digests(quality, "r1") == {}  # another release's: hashed again

    # a third release as the second: both carried, each from the release whose gate ran it; GX not started
    third = _gate(tmp_path, _candidate(tmp_path, "r3", projects, [*courses, _course(9)]), "r3")
    assert sorted((o.suite, o.carried_from) for o in third.suites) == [
        ("mart_technical_services", "r1"),
        ("mart_training_resources", "r2"),
    ]
    assert third.data_docs_index is None

    # another suppression k: the suites check the masked counts against k, so every suite runs again
    other_k = _gate(tmp_path, _candidate(tmp_path, "r4", projects, courses), "r4", k=10)
    assert [o.carried_from for o in other_k.suites] == [None, None]
    # and other code: every suite runs again
    other_code = _gate(tmp_path, _candidate(tmp_path, "r5", projects, courses), "r5", k=10, code="code-2")
    assert [o.carried_from for o in other_code.suites] == [None, None]
    # the kept results files are those the record names, by release
    assert sorted(p.name for p in (tmp_path / "home" / "marts").iterdir()) == ["r5"]


def test_a_release_not_published_after_its_gate_passed_leaves_the_record_as_it_was(tmp_path: Path) -> None:
    projects, courses = [_project(n) for n in range(5)], [_course(n) for n in range(4)]
    _gate(tmp_path, _candidate(tmp_path, "r1", projects, courses), "r1")
    before = (tmp_path / RECORD).read_bytes()
    changed = [*courses, _course(9)]
    second = _gate(tmp_path, _candidate(tmp_path, "r2", projects, changed), "r2", publish=False)
    assert second.passed and pending_record(tmp_path / RECORD, "r2").exists()
    assert (tmp_path / RECORD).read_bytes() == before  # r2 was never published: nothing names it
    # the next candidate validates the changed mart again, and carries only from the published r1
    third = _gate(tmp_path, _candidate(tmp_path, "r3", projects, changed), "r3")
    assert sorted((o.suite, o.carried_from) for o in third.suites) == [
        ("mart_technical_services", "r1"),
        ("mart_training_resources", None),
    ]
    assert not pending_record(tmp_path / RECORD, "r2").exists()  # a pending record left behind is gone


def test_a_record_that_does_not_read_or_a_lost_results_file_runs_the_suite(tmp_path: Path) -> None:
    projects, courses = [_project(n) for n in range(5)], [_course(n) for n in range(4)]
    _gate(tmp_path, _candidate(tmp_path, "r1", projects, courses), "r1")
    (tmp_path / "home" / "marts" / "r1" / "mart_training_resources.json").unlink()
    record = json.loads((tmp_path / RECORD).read_text(encoding="utf-8"))
    del record["suites"]["mart_technical_services"]["outcome"]["expectations"]
    (tmp_path / RECORD).write_text(json.dumps(record), encoding="utf-8")
    again = _gate(tmp_path, _candidate(tmp_path, "r2", projects, courses), "r2")
    assert again.passed and [o.carried_from for o in again.suites] == [None, None]
    (tmp_path / RECORD).write_text("[1, 2]", encoding="utf-8")  # JSON, not a record
    assert load_record(tmp_path / RECORD, "code-1|k=5") == {}


def test_an_outcome_with_an_expectation_that_raised_is_not_carried(tmp_path: Path) -> None:
    projects, courses = [_project(n) for n in range(5)], [_course(n) for n in range(4)]
    _gate(tmp_path, _candidate(tmp_path, "r1", projects, courses), "r1")
    record = json.loads((tmp_path / RECORD).read_text(encoding="utf-8"))
    expectations = record["suites"]["mart_technical_services"]["outcome"]["expectations"]
    expectations[0] = {**expectations[0], "blocking": False, "success": False, "error": "out of memory"}
    (tmp_path / RECORD).write_text(json.dumps(record), encoding="utf-8")
    again = _gate(tmp_path, _candidate(tmp_path, "r2", projects, courses), "r2")
    assert {o.suite: o.carried_from for o in again.suites} == {
        "mart_training_resources": "r1",
        "mart_technical_services": None,
    }


def test_a_failed_gate_records_nothing(tmp_path: Path) -> None:
    projects, courses = [_project(n) for n in range(5)], [_course(n) for n in range(4)]
    assert _gate(tmp_path, _candidate(tmp_path, "r1", projects, courses), "r1").passed
    record = tmp_path / RECORD
    before = record.read_bytes()
    broken = [*projects[:-1], _project(4, value=-1.0)]  # a negative contract value: a blocking check fails
    failed = _gate(tmp_path, _candidate(tmp_path, "r2", broken, courses), "r2")
    by_suite = {o.suite: o for o in failed.suites}
    assert not failed.passed and not by_suite["mart_technical_services"].success
    assert by_suite["mart_training_resources"].carried_from == "r1"
    assert record.read_bytes() == before
    # the failed mart is validated again next time, and passes once mended
    mended = _gate(tmp_path, _candidate(tmp_path, "r3", projects, courses), "r3")
    assert mended.passed and [o.carried_from for o in mended.suites] == ["r1", "r1"]
