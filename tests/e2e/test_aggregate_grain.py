"""Graduate destinations delivered as counts publish the same marts as the microdata they aggregate.

On the small sample: the graduate microdata is shaped as a survey office holds it (every graduate has a
year-end record, and those surveyed in the initial round their initial record too), and the same records
are tabulated as a graduate-employment statistics table would be (school × major × level × grad_year ×
survey date × destination and employer cell → graduates). One inbox holds the microdata, the other the
table, every other feed the same; both are ingested and built. Every mart the counts can support holds the
same rows; the marts that need an employer's enterprise id (the partner scorecard and the partnership
contribution) are the ones the release marks as not covering counted graduates
(publication/availability.py).
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
from transformation.marts import published_marts

pytestmark = pytest.mark.e2e

MICRODATA = "graduate_destinations"
COUNTS = "graduate_destination_counts"


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
    run_dbt(["build", "--full-refresh"], raw_dir=raw, build_db=build, target_dir=root / "target")
    return build


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
        cols = ", ".join(f'round("{c}", 9)' if t == "DOUBLE" else f'"{c}"' for c, t in columns)
        out[mart] = con.execute(
            f"select count(*) from ((select {cols} from a.marts.{mart} except all select {cols} from "
            f"b.marts.{mart}) union all (select {cols} from b.marts.{mart} except all "
            f"select {cols} from a.marts.{mart}))"
        ).fetchone()[0]
        out[f"{mart} rows"] = con.execute(f"select count(*) from a.marts.{mart}").fetchone()[0]
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
    (inboxes["counts"] / COUNTS).mkdir()
    cells.write_csv(inboxes["counts"] / COUNTS / "毕业去向统计表.csv")

    micro = _build(tmp_path / "micro", inboxes["micro"])
    counted = _build(tmp_path / "counts", inboxes["counts"])

    without_counts = marts_not_covering(COUNTS)
    assert set(without_counts) == {"mart_partner_scorecard", "mart_partnership_contribution"}
    comparable = [m.name for m in published_marts() if m.name not in without_counts]
    differences = _mart_differences(micro, counted, comparable)
    assert {m: n for m, n in differences.items() if not m.endswith(" rows") and n} == {}
    # the comparison compares something: every compared mart has rows
    assert [m for m in comparable if not differences[f"{m} rows"]] == []

    # the counted build took every graduate from the table, none from microdata
    con = duckdb.connect(str(counted), read_only=True)
    grains = dict(
        con.execute(
            "select input_grain, sum(graduates) from intermediate.int_graduates group by 1"
        ).fetchall()
    )
    con.close()
    assert grains == {"counts": records.filter(pl.col("survey_date").dt.month() == 12).height}
    json.dumps(grains)  # plain numbers


def test_a_slice_in_both_grains_takes_the_microdata(tmp_path: Path) -> None:
    """A school × major × level × grad_year delivered as microdata and as counts is counted once."""
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
    build = _build(tmp_path, inbox)
    con = duckdb.connect(str(build), read_only=True)
    slice_graduates = con.execute(
        "select input_grain, sum(graduates) from intermediate.int_graduates where grad_year = ? and "
        "school_code = ? and major_code = ? and level = ? group by 1",
        [one["grad_year"], one["school_code"], one["major_code"], one["level"]],
    ).fetchall()
    con.close()
    assert [g for g, _ in slice_graduates] == ["microdata"]
