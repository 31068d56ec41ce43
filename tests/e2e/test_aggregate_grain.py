"""Graduates and vacancies delivered as counts publish the same marts as the microdata they aggregate.

On the small sample: the graduate microdata is shaped as a survey office holds it (every graduate has a
year-end record, and those surveyed in the initial round their initial record too), and the same records
are tabulated as a graduate-employment statistics table would be (school × major × level × grad_year ×
survey date × destination and employer cell → graduates). One inbox holds the microdata, the other the
table, every other feed the same, and the vacancies of the microdata build are tabulated as the public
employment service's market table (people wanted and job seekers by region × quarter × industry ×
occupation) for the counted inbox; both are ingested and built. Every mart the counts can support holds the
same rows; the marts that need an employer's enterprise id (the partner scorecard and the partnership
contribution, and the enterprise demand list) are the ones the release marks as not covering counted rows
(publication/availability.py); a table of counts has no postings, so vacancy_postings is not compared.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from devtools.dbt_cli import run_dbt
from devtools.sample import generate
from ingestion.contracts import FEEDS
from ingestion.ingest import ingest_inbox
from publication.availability import marts_not_covering
from transformation.build_plan import WITHOUT_UNIT_TESTS
from transformation.marts import published_marts

pytestmark = pytest.mark.e2e

MICRODATA = "graduate_destinations"
COUNTS = "graduate_destination_counts"
POSTINGS = "vacancies"
VACANCY_COUNTS = "vacancy_counts"
# what a table of counts cannot give: postings (it has people wanted, not postings) and, in this test, the job
# seekers only the counted tables have
POSTINGS_ONLY = {"vacancy_postings", "job_seekers", "vacancies_with_job_seekers", "job_vacancy_ratio"}


def _records(raw_dir: Path) -> pl.DataFrame:
    """The sample's graduate records as loaded, each graduate given a year-end record too."""
    columns = [c.name for c in FEEDS[MICRODATA].columns]
    records = pl.read_parquet(raw_dir / MICRODATA / "*" / "*.parquet").select(columns)
    year_end = records.filter(pl.col("survey_date").dt.month() <= 8).with_columns(
        pl.date(pl.col("grad_year"), 12, 31).alias("survey_date")
    )
    return pl.concat([records, year_end])


def _tabulated(records: pl.DataFrame) -> pl.DataFrame:
    cells = list(FEEDS[COUNTS].key)
    firsts = [c.name for c in FEEDS[COUNTS].columns if c.name not in cells and c.name != "graduates"]
    return records.group_by(cells).agg(*[pl.col(c).first() for c in firsts], pl.len().alias("graduates"))


def _build(root: Path, inbox: Path) -> Path:
    raw = root / "raw"
    reports = ingest_inbox(inbox, raw, b"k")
    assert all(r.reconciles for r in reports)
    rejected = [(r.source_file, r.error) for r in reports if r.status == "rejected"]
    assert rejected == []
    # every counted cell loads: nothing of the table is quarantined
    assert sum(r.rows_quarantined for r in reports if r.feed == COUNTS) == 0
    build = root / "build.duckdb"
    run_dbt(
        ["build", "--full-refresh", *WITHOUT_UNIT_TESTS],
        raw_dir=raw,
        build_db=build,
        target_dir=root / "target",
    )
    return build


def _vacancy_table(build: Path) -> pl.DataFrame:
    """The postings a build accepted, tabulated as the public employment service does: people wanted per
    region × quarter × industry × occupation × source; job seekers (twice the people wanted, so 求人倍率 is
    0.5) where the source is the public employment service."""
    con = duckdb.connect(str(build), read_only=True)
    table = con.execute(
        """select year(posted_date) || 'Q' || quarter(posted_date) as period, region_code, industry_code,
               occupation_code, source, sum(headcount) as vacancies,
               case when source = 'public_employment_service' then 2 * sum(headcount) end as job_seekers
        from staging.stg_vacancies group by 1, 2, 3, 4, 5"""
    ).pl()
    con.close()
    return table


def _mart_differences(a: Path, b: Path, marts: list[str]) -> dict[str, int]:
    con = duckdb.connect()
    con.execute(f"attach '{a}' as a (read_only)")
    con.execute(f"attach '{b}' as b (read_only)")
    out = {}
    for mart in marts:
        columns = con.execute(
            "select column_name, data_type from duckdb_columns() where database_name = 'a' and "
            "schema_name = 'marts' and table_name = ?",
            [mart],
        ).fetchall()
        cols = ", ".join(
            f'round("{c}", 9)' if t == "DOUBLE" else f'"{c}"' for c, t in columns if c not in POSTINGS_ONLY
        )
        out[mart] = con.execute(
            f"select count(*) from ((select {cols} from a.marts.{mart} except all select {cols} from "
            f"b.marts.{mart}) union all (select {cols} from b.marts.{mart} except all "
            f"select {cols} from a.marts.{mart}))"
        ).fetchone()[0]
        out[f"{mart} rows"] = con.execute(f"select count(*) from a.marts.{mart}").fetchone()[0]
    con.close()
    return out


SHORTAGE_OCCUPATIONS = "mart_shortage_occupations"


def _shortage_occupations(micro: Path, counted: Path) -> dict[str, int]:
    """The counted build's occupation shortage list against the microdata build's, at the cells where the
    counted build has no job seekers (every column but the rank, which runs over the rows of one rule)."""
    con = duckdb.connect()
    con.execute(f"attach '{micro}' as a (read_only)")
    con.execute(f"attach '{counted}' as b (read_only)")
    key = "region_level, region_code, year, occupation_code"
    columns = f"{key}, ranking_basis, shortage_level, vacancy_headcount, graduates_supplied, shortage_gap"
    seekers = (
        f"(select {key} from b.marts.mart_talent_match_occupation where occupation_level = 'sub_major_group' "
        "and (job_seekers > 0 or vacancies_with_job_seekers > 0))"
    )
    a = f"(select {columns} from a.marts.{SHORTAGE_OCCUPATIONS} anti join {seekers} using ({key}))"
    b = f"(select {columns} from b.marts.{SHORTAGE_OCCUPATIONS})"
    out = {
        "job_seeker_rows": con.execute(
            f"select count(*) from b.marts.{SHORTAGE_OCCUPATIONS} where ranking_basis = 'job_seekers'"
        ).fetchone()[0],
        "differing": con.execute(
            f"select count(*) from (({a} except all {b}) union all ({b} except all {a}))"
        ).fetchone()[0],
        "compared": con.execute(f"select count(*) from {b}").fetchone()[0],
    }
    con.close()
    return out


def test_counts_publish_the_marts_of_the_microdata_they_tabulate(tmp_path: Path) -> None:
    generate(tmp_path / "sample", "small")
    # the sample's records as the raw zone holds them (pseudonymised once; doing it again is harmless)
    probe = tmp_path / "probe"
    probe_inbox = probe / "inbox"
    shutil.copytree(tmp_path / "sample" / MICRODATA, probe_inbox / MICRODATA)
    ingest_inbox(probe_inbox, probe / "raw", b"k")
    records = _records(probe / "raw")
    cells = _tabulated(records)
    assert cells.height < records.height  # a real tabulation: cells hold several graduates

    inboxes = {}
    for name in ("micro", "counts"):
        inbox = tmp_path / name / "inbox"
        shutil.copytree(tmp_path / "sample", inbox, ignore=shutil.ignore_patterns(MICRODATA))
        inboxes[name] = inbox
    (inboxes["micro"] / MICRODATA).mkdir()
    records.write_parquet(inboxes["micro"] / MICRODATA / "graduates.parquet")
    micro = _build(tmp_path / "micro", inboxes["micro"])

    (inboxes["counts"] / COUNTS).mkdir()
    cells.write_csv(inboxes["counts"] / COUNTS / "毕业去向统计表.csv")
    shutil.rmtree(inboxes["counts"] / POSTINGS)
    (inboxes["counts"] / VACANCY_COUNTS).mkdir()
    vacancy_table = _vacancy_table(micro)
    assert vacancy_table["job_seekers"].is_not_null().any()
    vacancy_table.write_csv(inboxes["counts"] / VACANCY_COUNTS / "人力资源市场供求状况.csv")
    counted = _build(tmp_path / "counts", inboxes["counts"])

    without_counts = {*marts_not_covering(COUNTS), *marts_not_covering(VACANCY_COUNTS)}
    # the marts left out are the ones keyed by an enterprise (which a table of counts does not name)
    assert len(without_counts) == 3
    assert all("enterprise_id" in m.key for m in published_marts() if m.name in without_counts)
    # the occupation shortage list ranks a cell by its job seekers where a table delivers them (the MOHRSS
    # 最缺工 rule), which microdata never does: compared apart below
    comparable = [
        m.name for m in published_marts() if m.name not in without_counts and m.name != SHORTAGE_OCCUPATIONS
    ]
    differences = _mart_differences(micro, counted, comparable)
    assert {m: n for m, n in differences.items() if not m.endswith(" rows") and n} == {}
    # the comparison compares something: every compared mart has rows
    assert [m for m in comparable if not differences[f"{m} rows"]] == []
    # every cell with job seekers has 求人倍率 0.5 (fewer wanted than seekers: not 招聘大于求职), so none is
    # listed by the job-seeker rule, and none by the graduate rule either; the other cells are listed as the
    # microdata build lists them (ranked among themselves)
    listed = _shortage_occupations(micro, counted)
    assert listed["job_seeker_rows"] == 0 and listed["differing"] == 0 and listed["compared"] > 0

    # the counted build took every graduate from the table, none from microdata
    con = duckdb.connect(str(counted), read_only=True)
    grains = dict(
        con.execute(
            "select input_grain, sum(graduates) from intermediate.int_graduates group by 1"
        ).fetchall()
    )
    assert grains == {"counts": records.filter(pl.col("survey_date").dt.month() == 12).height}
    # 求人倍率 where the tables give job seekers: people wanted ÷ job seekers, here 0.5 in every such cell
    ratios = con.execute(
        "select count(*), min(job_vacancy_ratio), max(job_vacancy_ratio), count(*) filter (where job_seekers "
        "is not null and vacancy_postings > 0) from marts.mart_talent_match where job_seekers > 0"
    ).fetchone()
    con.close()
    assert ratios[0] > 0 and ratios[1] == ratios[2] == 0.5 and ratios[3] == 0


def test_a_slice_in_both_grains_takes_the_microdata(tmp_path: Path) -> None:
    """A school × major × level × grad_year delivered as microdata and as counts is counted once; so is a
    year × city × source of vacancies; the dbt tests that report the overlap warn."""
    generate(tmp_path / "sample", "small")
    inbox = tmp_path / "inbox"
    shutil.copytree(tmp_path / "sample", inbox)
    probe = pl.read_parquet(next((inbox / MICRODATA).glob("*.parquet")))
    one = probe.row(0, named=True)
    cell = {c.name: one.get(c.name) for c in FEEDS[COUNTS].columns if c.name != "graduates"}
    cell = {
        k: "" if v is None else str(v).lower() if isinstance(v, bool) else str(v) for k, v in cell.items()
    }
    cell["graduates"] = "40"
    (inbox / COUNTS).mkdir()
    pl.DataFrame([cell]).write_csv(inbox / COUNTS / "overlap.csv")
    posting = pl.read_csv(next((inbox / POSTINGS).rglob("*.csv")), infer_schema=False).row(0, named=True)
    (inbox / VACANCY_COUNTS).mkdir()
    pl.DataFrame(
        [
            {
                "period": posting["posted_date"][:4],
                "region_code": posting["region_code"],
                "industry_code": posting["industry_code"],
                "occupation_code": "",
                "vacancies": "500",
                "job_seekers": "",
                "source": posting["source"],
            }
        ]
    ).write_csv(inbox / VACANCY_COUNTS / "overlap.csv")
    build = _build(tmp_path, inbox)
    results = json.loads((tmp_path / "target" / "run_results.json").read_text(encoding="utf-8"))
    warned = {r["unique_id"].split(".")[2] for r in results["results"] if r["status"] == "warn"}
    assert {"assert_graduate_grains_do_not_overlap", "assert_vacancy_grains_do_not_overlap"} <= warned
    con = duckdb.connect(str(build), read_only=True)
    slice_graduates = con.execute(
        "select input_grain, sum(graduates) from intermediate.int_graduates where grad_year = ? and "
        "school_code = ? and major_code = ? and level = ? group by 1",
        [one["grad_year"], one["school_code"], one["major_code"], one["level"]],
    ).fetchall()
    demand = con.execute(
        "select (select sum(vacancy_headcount) from intermediate.int_vacancy_counts), "
        "(select sum(headcount) from intermediate.int_vacancies where prefecture_code is not null)"
    ).fetchone()
    con.close()
    assert [g for g, _ in slice_graduates] == ["microdata"]
    assert demand[0] == demand[1]
