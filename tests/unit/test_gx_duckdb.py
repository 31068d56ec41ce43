"""Great Expectations on DuckDB through the SQL datasource: expectations resolve, pass and fail as they
should.

Without quality.gx_duckdb every metric of GX 1.x on duckdb-engine comes back empty
(MetricResolutionError); these tests fail if that regresses after an upgrade.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import great_expectations as gx
import pytest
from great_expectations import expectations as gxe

from quality.gate import run_gate, validate
from quality.suites import SuiteSpec
from tests.databases import duckdb_file


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return duckdb_file(
        tmp_path / "t.duckdb",
        "create table t as select range as id, range % 7 as v, lpad((range % 100)::varchar, 6, '0') as code, "
        "case when range = 3 then null else 'a' end as s from range(1000)",
    )


def _suite(*expectations, blocking: bool = True) -> SuiteSpec:
    return SuiteSpec(name="s", table="t", expectations=tuple((e, blocking) for e in expectations))


def test_passing_expectations_resolve_on_duckdb(database: Path, tmp_path: Path) -> None:
    result = validate(
        database,
        [
            _suite(
                gxe.ExpectTableRowCountToBeBetween(min_value=1000, max_value=1000),
                gxe.ExpectColumnValuesToBeUnique(column="id"),
                gxe.ExpectColumnValuesToBeBetween(column="v", min_value=0, max_value=6),
                gxe.ExpectColumnValuesToBeInSet(column="s", value_set=["a"]),
                gxe.ExpectCompoundColumnsToBeUnique(column_list=["id", "v"]),
                gxe.UnexpectedRowsExpectation(
                    unexpected_rows_query="select * from {batch} where not regexp_full_match("
                    "code, '^\\d{{6}}$')"
                ),
            )
        ],
        tmp_path / "results",
        build_docs=False,
    )
    errors = [e.error for s in result.suites for e in s.expectations if e.error]
    assert errors == [] and result.passed


def test_failing_expectations_fail_with_counts(database: Path, tmp_path: Path) -> None:
    result = validate(
        database,
        [
            _suite(
                gxe.ExpectColumnValuesToNotBeNull(column="s"),
                gxe.ExpectColumnValuesToBeBetween(column="v", min_value=0, max_value=5),
            )
        ],
        tmp_path / "results",
        build_docs=False,
    )
    assert not result.passed
    failures = {e.expectation: e.unexpected_count for e in result.suites[0].failures}
    assert failures == {"expect_column_values_to_not_be_null": 1, "expect_column_values_to_be_between": 142}
    assert all(e.error is None for e in result.suites[0].expectations)


def test_non_blocking_failure_does_not_fail_the_gate(database: Path, tmp_path: Path) -> None:
    result = validate(
        database,
        [_suite(gx.expectations.ExpectColumnValuesToNotBeNull(column="s"), blocking=False)],
        tmp_path / "results",
        build_docs=False,
    )
    assert result.passed and result.suites[0].failures


def test_the_gate_writes_json_and_data_docs_and_releases_the_file(database: Path, tmp_path: Path) -> None:
    con = duckdb.connect(str(database))
    con.execute("create table mart_talent_outflow as select 'x' as region_code where false")
    con.close()
    result = run_gate(database, ["mart_talent_outflow"], tmp_path / "results")
    assert not result.passed  # an empty mart fails its row-count expectation
    assert (tmp_path / "results" / "gate.json").exists() and (
        tmp_path / "results" / "mart_talent_outflow.json"
    ).exists()
    assert result.data_docs_index and Path(result.data_docs_index.removeprefix("file://")).exists()
    duckdb.connect(str(database)).close()  # no connection left open in this process: a writer can open it


def test_plausibility_flags_are_reported_and_never_block(tmp_path: Path) -> None:
    """A count that more than doubles year on year (both years over the minimum volume) and a ratio over its
    bound are flagged as warnings with a sample row; a jump between small counts is not; the gate passes."""
    from quality.gate import plausibility_flags
    from quality.suites import plausibility_expectations
    from transformation.marts import Plausibility, YearOnYear

    path = tmp_path / "m.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "create table m as select * from (values ('A', 2023, 100, 1.0), ('A', 2024, 250, 25.0), "
        "('B', 2023, 40, 1.0), ('B', 2024, 60, 2.0), ('C', 2023, 3, 1.0), ('C', 2024, 29, 1.0)) "
        "t(school_code, grad_year, graduates, ratio)"
    )
    con.close()
    plausible = Plausibility(
        max={"ratio": 20},
        year_on_year=(YearOnYear("graduates", "grad_year", ("school_code",), max_factor=2, min_volume=30),),
    )
    suite = SuiteSpec("m", "m", tuple(plausibility_expectations(plausible)))
    result = validate(path, [suite], tmp_path / "results", build_docs=False)
    assert result.passed
    flags = {f["check"]: f for f in plausibility_flags(result.to_json())}
    assert set(flags) == {
        "ratio above 20",
        "graduates of one school_code changes more than 2× from one grad_year to the next (both at least 30)",
    }
    assert all(f["rows"] == 1 for f in flags.values())
    jump = next(f for c, f in flags.items() if c.startswith("graduates"))
    assert any("250" in row and "100" in row for row in jump["sample"]), jump


def test_a_gate_keeps_the_newest_validations_of_each_suite(tmp_path: Path) -> None:
    """The feed suites' results folder is the warehouse's and persists: without pruning, each refresh added
    a validation that every later Data Docs build rendered again."""
    from quality.gate import KEEP_VALIDATIONS, _prune_history

    store = tmp_path / "gx" / "uncommitted" / "validations"
    runs = [f"20261206T1{n:05d}.000000Z" for n in range(KEEP_VALIDATIONS + 3)]
    for suite in ("feed_training", "feed_vacancies"):
        for run in runs:
            (store / suite / "__none__" / run).mkdir(parents=True)
            (store / suite / "__none__" / run / "warehouse.json").write_text("{}")
    rendered = tmp_path / "gx" / "uncommitted" / "data_docs" / "local_site" / "validations"
    for suite in ("feed_training", "feed_vacancies"):
        for run in runs:
            (rendered / suite / "__none__" / run).mkdir(parents=True)
            (rendered / suite / "__none__" / run / "warehouse.html").write_text("<html/>")
    _prune_history(tmp_path)
    for suite in ("feed_training", "feed_vacancies"):
        kept = sorted(p.name for p in (store / suite / "__none__").iterdir())
        assert kept == runs[-KEEP_VALIDATIONS:]
        assert sorted(p.name for p in (rendered / suite / "__none__").iterdir()) == kept


def test_a_gate_renders_its_own_results_and_lists_the_kept_ones(database: Path, tmp_path: Path) -> None:
    """Data Docs are built for the gate's own results and suites; the pages of results kept from earlier
    gates stay and the index links every kept result."""
    results = tmp_path / "results"
    suite = _suite(gxe.ExpectColumnValuesToNotBeNull(column="id"))
    pages = results / "gx" / "uncommitted" / "data_docs" / "local_site" / "validations" / "s" / "__none__"
    first = validate(database, [suite], results)
    (earlier,) = [p.name for p in pages.iterdir()]
    page = next((pages / earlier).glob("*.html"))
    written = page.stat().st_mtime_ns
    second = validate(database, [suite], results)
    assert first.passed and second.passed and second.data_docs_index
    runs = sorted(p.name for p in pages.iterdir())
    assert len(runs) == 2 and earlier in runs
    assert page.stat().st_mtime_ns == written  # not rendered again
    index = Path(second.data_docs_index.removeprefix("file://")).read_text(encoding="utf-8")
    assert all(f"validations/s/__none__/{run}/" in index for run in runs)
    page.unlink()  # a build of the docs that failed left a kept result without its page
    assert validate(database, [suite], results).passed
    assert page.exists()
